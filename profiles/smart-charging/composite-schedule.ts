// K08 composite schedule: the limit the charging profiles (K01) put on an EVSE or on the station over
// a time window, as merged periods. Pure: no IO, no station state.
//
// Times inside are seconds from the window's start ("window time"). Epochs exceed 2^24 and reach
// 2^31 - 1, so they only ever meet each other in a difference (two epochs: within 32 bits), never a
// float and never a sum that could pass 2^31; a recurrence is found with imod on such a difference.

import { idiv, imod } from "../../firmware/arith";
import { isArray, isObject, Json, JsonObject } from "../../firmware/json";
import { isoScan, parseIsoTime } from "../../firmware/time";

/** Bytes a period takes in Profile.periods: start and limit, 4 bytes each, big-endian; numberPhases + 1. */
const PERIOD_BYTES = 9;

function put4(v: number): string {
  return string.char(idiv(v, 16777216), imod(idiv(v, 65536), 256), imod(idiv(v, 256), 256), imod(v, 256));
}

function get4(s: string, at: number): number {
  return (((string.byte(s, at) as number) * 256 + (string.byte(s, at + 1) as number)) * 256 + (string.byte(s, at + 2) as number)) * 256 + (string.byte(s, at + 3) as number);
}

/** One period packed: start, limit, numberPhases (1..3, -1 none). */
function packPeriod(start: number, limit: number, n: number): string {
  return put4(start) + put4(limit) + string.char(n >= 1 && n <= 3 ? n + 1 : 0);
}

/** Period i (from 0) of packed periods: start, limit, numberPhases (-1 none). Integers below 2^31 throughout. */
export function periodAt(ps: string, i: number): LuaMultiReturn<[number, number, number]> {
  const at = i * PERIOD_BYTES + 1;
  return $multi(get4(ps, at), get4(ps, at + 4), (string.byte(ps, at + 8) as number) - 1);
}

export function periodCount(ps: string): number {
  return idiv(ps.length, PERIOD_BYTES);
}

/** chargingProfilePurpose by its code in Profile.purpose, which is also its slot in the leading-profile table. */
const PURPOSES = ["ChargingStationMaxProfile", "ChargingStationExternalConstraints", "TxDefaultProfile", "TxProfile"];

/**
 * A charging profile with its (first) schedule, as the composite needs it; the JSON a report needs is
 * kept elsewhere. Epoch seconds, or -1 where the JSON has none.
 *   purpose          code in PURPOSES: 0 ChargingStationMaxProfile, 1 ChargingStationExternalConstraints,
 *                    2 TxDefaultProfile, 3 TxProfile
 *   evseId           0: the station (a TxDefaultProfile there applies to every EVSE, K01.FR.14)
 *   kind             "Absolute" | "Recurring" | "Relative"; recurrency "Daily" | "Weekly" | "" (none)
 *   transactionId    "" none (a TxProfile from RequestStartTransaction, K05: the EVSE's transaction)
 *   startSchedule    epoch, -1 none; duration: s, -1 none (open)
 *   rateUnit         "A" | "W"; minChargingRate and the limits are integers: deci-amperes for A, watts
 *                    for W, within 0 .. 10^7 dA / 2 * 10^8 W; minChargingRate -1 none
 *   periods          packed, PERIOD_BYTES a period (periodAt reads one): start (s from the schedule's
 *                    start), limit, numberPhases (1..3, -1 none), in the JSON's order (K01.FR.35:
 *                    ascending) — a string of 9 bytes a period, where numbers in a table cost 16 each
 *                    and more as it grows (8 profiles of 24 periods: under 2 KB instead of about 20)
 */
export interface Profile {
  id: number;
  stackLevel: number;
  purpose: number;
  evseId: number;
  kind: string;
  recurrency: string;
  validFrom: number;
  validTo: number;
  transactionId: string;
  startSchedule: number;
  duration: number;
  rateUnit: string;
  minChargingRate: number;
  periods: string;
  /** The chargingSchedule's id (reports give it back). */
  scheduleId: number;
}

const DAY = 86400;
const WEEK = 604800;
/** The longest window: window times, plus a week of recurrence, stay below 2^31. */
const MAX_WINDOW = 1073741824;
/** Watt limits stay below this, so W * 10 fits 32 bits; deci-ampere limits below CAP_DA (< 2^24). */
const CAP_W = 200000000;
const CAP_DA = 10000000;

/** min(a + b, cap) without forming a sum past cap: a in (-2^31, 2^31), b and cap in [0, 2^31). */
function plus(a: number, b: number, cap: number): number {
  return a >= cap - b ? cap : a + b;
}

/**
 * Whether p takes part in the composite for evseId (0: the station, K08.FR.03: only its own
 * ChargingStationMaxProfile and ChargingStationExternalConstraints). A TxProfile needs the EVSE's
 * transaction (K01.FR.04; without one, K08.FR.06: as if it were using the TxDefaultProfile).
 */
function applies(p: Profile, evseId: number, txId: string): boolean {
  if (p.purpose === 3) return evseId > 0 && p.evseId === evseId && txId !== "" && (p.transactionId === "" || p.transactionId === txId);
  if (p.purpose === 2 && evseId === 0) return false;
  return p.evseId === 0 || p.evseId === evseId;
}

/**
 * The limit p sets at window time t (in p's unit, -1: none), that period's numberPhases, and the next
 * window time (at most dur) at which that may change. w0: the window's start (epoch); txBase: the window
 * time a Relative schedule starts at.
 */
function limitAt(p: Profile, t: number, dur: number, w0: number, txBase: number): LuaMultiReturn<[number, number, number]> {
  let next = dur;
  // K01.FR.36/37: valid from validFrom on, up to before validTo.
  if (p.validFrom >= 0) {
    const valid = p.validFrom - w0;
    if (t < valid) return $multi(-1, -1, valid < dur ? valid : dur);
  }
  if (p.validTo >= 0) {
    const to = p.validTo - w0;
    if (t >= to) return $multi(-1, -1, dur);
    if (to < next) next = to;
  }
  // K01.FR.41: a Relative schedule starts with the transaction (K08.FR.06: now, without one).
  let base = p.kind === "Relative" || p.startSchedule < 0 ? txBase : p.startSchedule - w0;
  let len = p.duration;
  let again = dur;
  if (p.kind === "Recurring" && t >= base) {
    // The recurrence under way at t. A start long before the window is first brought within one
    // recurrence before 0, so t minus it stays small.
    const every = p.recurrency === "Weekly" ? WEEK : DAY;
    if (base < 0) base = -imod(-base, every);
    base = t - imod(t - base, every);
    again = plus(base, every, next);
    // K01.FR.13: a duration shorter than the recurrence leaves a gap until the next one.
    if (len < 0 || len > every) len = every;
  }
  // K01.FR.30: nothing before startSchedule.
  if (t < base) return $multi(-1, -1, base < next ? base : next);
  // K01.FR.11/12: the schedule ends after its duration; a period starting at or past it never runs.
  if (len >= 0) {
    const end = plus(base, len, next);
    if (t >= end) return $multi(-1, -1, again);
    next = end;
  }
  const ps = p.periods;
  let limit = -1;
  let phases = -1;
  for (let i = 0; i < periodCount(ps); i++) {
    const [start, l, n] = periodAt(ps, i);
    const s = plus(base, start, next);
    if (s > t) {
      next = s;
      break;
    }
    limit = l;
    phases = n;
  }
  return $multi(limit, phases, next);
}

/**
 * A limit v of unit src with numberPhases n (-1: none given, 3: K01.FR.49) in unit; W = dA * voltage * n / 10
 * (K01.FR.50 with the errata 2.40: the period's numberPhases, whatever the EVSE's), rounded down. A current
 * above the hardware limit is taken as that first: the hardware cap wins anyway, and the product stays
 * within 32 bits.
 */
export function convert(v: number, n: number, src: string, unit: string, voltage: number, hwDa: number): number {
  if (src === unit) return v;
  const vp = voltage * (n > 0 ? n : 3);
  if (unit === "W") return idiv((v < hwDa ? v : hwDa) * vp, 10);
  return idiv((v < CAP_W ? v : CAP_W) * 10, vp);
}

/**
 * Appends the period (t, limit, numberPhases n) to the flat triples out, merged into the last one when it
 * is the same. Past maxPeriods the last period takes the lowest limit and phases of the rest; with stop
 * nothing more is taken instead, and the answer is false (the schedule ends there).
 */
function addPeriod(out: number[], t: number, limit: number, n: number, maxPeriods: number, stop?: boolean): boolean {
  const m = out.length;
  if (m > 0 && out[m - 2] === limit && out[m - 1] === n) return true;
  if (m < maxPeriods * 3) {
    out[m] = t;
    out[m + 1] = limit;
    out[m + 2] = n;
    return true;
  }
  if (stop === true) return false;
  if (limit < out[m - 2]) out[m - 2] = limit;
  if (n > 0 && (out[m - 1] < 0 || n < out[m - 1])) out[m - 1] = n;
  return true;
}

/**
 * K08: the composite schedule for evseId (0: the station) over [from, from + duration) (at most 2^30 s),
 * as flat triples: start (s from `from`), limit in unit ("A": deci-amperes, "W": watts), numberPhases
 * (-1: no profile gave one). Adjacent periods with the same limit and phases are merged.
 *
 * Per purpose the profile with the highest stack level that has a period at that time leads (K01.FR.17;
 * an EVSE's own before the station's at the same level); a leading TxProfile overrules the
 * TxDefaultProfile (K02.FR.04) and where it has none the TxDefaultProfile applies again (K02.FR.08);
 * the limit is the lowest of the leaders and the hardware limit hwLimitDa (SC.01, K08.FR.04), its
 * numberPhases the lowest they give (errata 2.36). txStart: epoch the transaction started (-1 none), where
 * Relative schedules start; txId: its id ("" none). phases: the EVSE's (1 or 3), for the periods without
 * numberPhases. hwLimitDa * voltage * 3 must stay below 2^31.
 *
 * At most maxPeriods (>= 1) periods: where more would be needed, the last one takes the lowest limit
 * (and phases) of the rest of the window, so the schedule is never above what applies (K08.FR.04); with
 * stop, the schedule ends there instead (the window's first maxPeriods periods, no more work).
 * Time: one pass over the profiles per period boundary, no table per step.
 */
export function compositeSchedule(
  profiles: Profile[], evseId: number, txStart: number, txId: string, from: number, duration: number,
  unit: string, phases: number, voltage: number, hwLimitDa: number, maxPeriods: number, stop?: boolean,
): number[] {
  const out: number[] = [];
  const dur = duration < MAX_WINDOW ? duration : MAX_WINDOW;
  const txBase = txStart >= 0 ? txStart - from : 0;
  // Per purpose slot (PURPOSES * 3): the leader's stack level (-1: none), limit in unit, numberPhases.
  const lead: number[] = [];
  let t = 0;
  while (t < dur) {
    for (let k = 0; k < 12; k++) lead[k] = -1;
    let next = dur;
    for (let i = 0; i < profiles.length; i++) {
      const p = profiles[i];
      if (applies(p, evseId, txId)) {
        const [v, vn, change] = limitAt(p, t, dur, from, txBase);
        if (change < next) next = change;
        const k = p.purpose * 3;
        if (v >= 0 && (p.stackLevel > lead[k] || (p.stackLevel === lead[k] && p.evseId > 0))) {
          lead[k] = p.stackLevel;
          lead[k + 1] = convert(v, vn, p.rateUnit, unit, voltage, hwLimitDa);
          lead[k + 2] = vn;
        }
      }
    }
    if (lead[9] >= 0) lead[6] = -1;
    let limit = -1;
    let n = -1;
    for (let k = 0; k < 12; k += 3) {
      if (lead[k] >= 0) {
        if (limit < 0 || lead[k + 1] < limit) limit = lead[k + 1];
        if (lead[k + 2] > 0 && (n < 0 || lead[k + 2] < n)) n = lead[k + 2];
      }
    }
    const hw = unit === "W" ? idiv(hwLimitDa * voltage * (n > 0 && n < phases ? n : phases), 10) : hwLimitDa;
    if (limit < 0 || hw < limit) limit = hw;
    if (!addPeriod(out, t, limit, n, maxPeriods, stop)) break;
    t = next;
  }
  return out;
}

// ---- from the JSON of a ChargingProfileType ----

/** A number field floored, `absent` when missing, undefined when not a number. */
function int(v: Json | undefined, absent: number | undefined): number | undefined {
  if (v === undefined) return absent;
  return type(v) === "number" ? math.floor(v as number) : undefined;
}

/** A string field, `absent` when missing, undefined when not a string. */
function text(v: Json | undefined, absent: string | undefined): string | undefined {
  if (v === undefined) return absent;
  return type(v) === "string" ? (v as string) : undefined;
}

/** An RFC 3339 field as epoch seconds, -1 when missing, undefined when not one. */
function epoch(v: Json | undefined): number | undefined {
  if (v === undefined) return -1;
  return type(v) === "string" ? parseIsoTime(v as string) : undefined;
}

/** A validTo: as epoch(), but a well-formed time past 2038-01-19T03:14:07Z is that (CSMSs send 2099 for "no end"). */
function until(v: Json | undefined): number | undefined {
  const t = epoch(v);
  if (t !== undefined || type(v) !== "string") return t;
  const [days] = isoScan(v as string, true);
  return days !== undefined && days >= 24855 ? 2147483647 : undefined;
}

/**
 * A limit as held: deci-amperes to the nearest (the schema allows one decimal: 16.5 A is 165; 0.7 as a
 * single float is 0.69999999, so not rounded down) or watts rounded down; 0 for a negative one, capped.
 * v * 10 stays below 2^24 there, so the half is exact on a single-float VM too.
 */
function limitOf(v: number, unit: string): number {
  if (!(v > 0)) return 0;
  if (unit === "A") return v < 1000000 ? math.floor(v * 10 + 0.5) : CAP_DA;
  return v < CAP_W ? math.floor(v) : CAP_W;
}

/**
 * The compact form of a decoded ChargingProfileType for evseId (the request's, not part of the type),
 * or undefined where a field it needs is missing or of the wrong type, or a time is no RFC 3339 epoch
 * within 32 bits. No other validation (the K01.FR.* checks are the caller's). Only the first
 * chargingSchedule is read (more come with ISO 15118 only, K15).
 */
export function profileFromJson(cp: JsonObject, evseId: number): Profile | undefined {
  let purpose = -1;
  for (let i = 0; i < PURPOSES.length; i++) if (PURPOSES[i] === cp.chargingProfilePurpose) purpose = i;
  const list = cp.chargingSchedule;
  const s = isArray(list) ? (list as Json[])[0] : undefined;
  if (purpose < 0 || !isObject(s)) return undefined;
  const sc = s as JsonObject;
  const unit = sc.chargingRateUnit;
  const ps = sc.chargingSchedulePeriod;
  if ((unit !== "A" && unit !== "W") || !isArray(ps)) return undefined;
  const packed: string[] = [];
  for (let i = 0; i < (ps as Json[]).length; i++) {
    const q = (ps as Json[])[i] as JsonObject;
    const start = isObject(q) ? int(q.startPeriod, undefined) : undefined;
    const n = start !== undefined ? int(q.numberPhases, -1) : undefined;
    // A start outside 0 .. 2^31 - 1 is none a schedule can have (K01.FR.31/35 refuse it first).
    if (n === undefined || type(q.limit) !== "number" || (start as number) < 0 || (start as number) > 2147483647) return undefined;
    packed[packed.length] = packPeriod(start as number, limitOf(q.limit as number, unit), n);
  }
  const periods = table.concat(packed);
  const id = int(cp.id, undefined);
  const stackLevel = int(cp.stackLevel, undefined);
  const kind = text(cp.chargingProfileKind, undefined);
  const recurrency = text(cp.recurrencyKind, "");
  const transactionId = text(cp.transactionId, "");
  const validFrom = epoch(cp.validFrom);
  const validTo = until(cp.validTo);
  const startSchedule = epoch(sc.startSchedule);
  const duration = int(sc.duration, -1);
  if (id === undefined || stackLevel === undefined || kind === undefined || recurrency === undefined || transactionId === undefined) return undefined;
  if (validFrom === undefined || validTo === undefined || startSchedule === undefined || duration === undefined) return undefined;
  const min = sc.minChargingRate;
  return {
    id, stackLevel, purpose, evseId, kind, recurrency, validFrom, validTo, transactionId, startSchedule, duration,
    rateUnit: unit, minChargingRate: type(min) === "number" ? limitOf(min as number, unit) : -1, periods, scheduleId: type(sc.id) === "number" ? (sc.id as number) : 0,
  };
}

export { addPeriod, packPeriod, PURPOSES };
