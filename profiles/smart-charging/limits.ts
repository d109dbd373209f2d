// K08: the composite schedule of an EVSE or the station, answered to GetCompositeSchedule and applied
// every second: each EVSE's limit goes to the transactions block (limit hook), which caps the pilot
// offer with it (K10.FR.05: at once after a change too, applyLimits). A station-wide limit
// (ChargingStationMaxProfile, external constraints) below what the EVSEs in a transaction (all of them
// when none is) could draw is shared among them (shareOut): no part an EVSE cannot use, nor one below
// what an EV can charge at. Without the time no schedule can be placed: each EVSE gets the lowest limit
// its profiles could set (fail safe).

import { idiv, imod } from "../../firmware/arith";
import { epochNow } from "../../firmware/clock";
import { jarr, JsonObject } from "../../firmware/json";
import { listHas, modelGet } from "../../firmware/model";
import { Ctx, emit } from "../../firmware/station";
import { isoTime } from "../../firmware/time";
import { addPeriod, compositeSchedule, convert, periodAt, periodCount, Profile } from "./composite-schedule";
import { limitJson } from "./profile-json";
import { evseHw, saveTx, scState, significant, VOLTAGE } from "./sc-state";

/** Periods of a GetCompositeSchedule answer at most, and the longest window it looks at (a week: the work stays bounded). */
const MAX_COMPOSITE = 24;
const MAX_WINDOW_S = 604800;

/**
 * K08: the composite schedule of evseId (0: the station, whose hardware limit is the sum of its
 * EVSEs') from `from` for `duration` s in unit, at most maxPeriods periods: flat triples (start,
 * limit in 0.1 A or W, numberPhases). Profiles are applied only while SmartChargingCtrlr.Enabled.
 */
export function composite(ctx: Ctx, evseId: number, from: number, duration: number, unit: string, maxPeriods: number, stop?: boolean, only?: string): number[] {
  const s = scState(ctx);
  let phases = 3;
  let hw = 0;
  for (let e = 1; e <= ctx.img.evses.length; e++) {
    if (evseId === 0 || e === evseId) {
      const [n, a] = evseHw(ctx, e);
      if (evseId > 0) phases = n;
      hw = hw + a;
    }
  }
  const tx = evseId > 0 ? s.txId[evseId - 1] : "";
  const start = evseId > 0 ? s.txStart[evseId - 1] : -1;
  return compositeSchedule(inForce(ctx, only), evseId, start, tx, from, duration, unit, phases, VOLTAGE, hw, maxPeriods, stop);
}

/**
 * The profiles in force: all of them while SmartChargingCtrlr.Enabled; else only the external
 * constraints (K11.FR.01 / K12.FR.01: an external system's limit holds whatever the CSMS's profiles do).
 * only: those of that rate unit alone.
 */
function inForce(ctx: Ctx, only?: string): Profile[] {
  const list = scState(ctx).list;
  const all = modelGet(ctx, "SmartChargingCtrlr/Enabled") === "true";
  if (all && only === undefined) return list;
  const out: Profile[] = [];
  for (let i = 0; i < list.length; i++) if ((all || list[i].purpose === 1) && (only === undefined || list[i].rateUnit === only)) out[out.length] = list[i];
  return out;
}

/** Seconds applyLimits looks ahead for the next change (and so recomputes at least this often). */
const HORIZON_S = 3600;

/** The composite limit (0.1 A, or W) of evseId at now, and the seconds until it may change (HORIZON_S at most); only: profiles of that unit alone. */
function composite1(ctx: Ctx, evseId: number, now: number, unit: string, only?: string): LuaMultiReturn<[number, number]> {
  const out = composite(ctx, evseId, now, HORIZON_S, unit, 2, true, only);
  return $multi(out[1], out.length > 3 ? out[3] : HORIZON_S);
}

/**
 * Without the time (fail safe): the lowest limit (0.1 A) any period of the profiles in force for the EVSE
 * sets, or for the station (0: its own ChargingStationMaxProfile and external constraints, over the
 * EVSEs' rated total, those in `unit` alone and in it); -1 none.
 */
function lowest(ctx: Ctx, evseId: number, total: number, unit: string): number {
  const s = scState(ctx);
  let hw = total;
  if (evseId > 0) {
    const [, a] = evseHw(ctx, evseId);
    hw = a;
  }
  const list = inForce(ctx);
  let low = -1;
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    const mine = evseId > 0 ? p.evseId === 0 || p.evseId === evseId : p.evseId === 0 && p.purpose < 2 && p.rateUnit === unit;
    if (mine && (p.purpose !== 3 || p.transactionId === s.txId[evseId - 1])) {
      for (let k = 0; k < periodCount(p.periods); k++) {
        const [, l, n] = periodAt(p.periods, k);
        const v = convert(l, n, p.rateUnit, unit, VOLTAGE, hw);
        if (low < 0 || v < low) low = v;
      }
    }
  }
  return low;
}

/**
 * What an EVSE's transaction can charge at (0.1 A): IEC 61851's 6 A, or the minChargingRate of its
 * TxProfile or TxDefaultProfile when higher (the parameter is there for a local algorithm that shares
 * power, so that no EV gets a rate it charges badly at).
 */
function minRate(ctx: Ctx, e: number): number {
  const s = scState(ctx);
  const [, hw] = evseHw(ctx, e);
  let m = 60;
  for (let i = 0; i < s.list.length; i++) {
    const p = s.list[i];
    const mine = p.purpose === 3 ? p.transactionId === s.txId[e - 1] : p.purpose === 2 && (p.evseId === 0 || p.evseId === e);
    if (mine && p.minChargingRate >= 0) {
      const v = convert(p.minChargingRate, -1, p.rateUnit, "A", VOLTAGE, hw);
      if (v > m) m = v;
    }
  }
  return m;
}

/**
 * Water-filling: `left` (0.1 A) shared among the EVSEs in pool, each getting at most its cap[e], in
 * equal parts or in proportion to the weights w (rated currents); what one cannot take goes to the rest.
 */
function fill(left: number, pool: boolean[], cap: number[], w: number[] | undefined): number[] {
  const out: number[] = [];
  const open: boolean[] = [];
  for (let e = 0; e < cap.length; e++) {
    out[e] = 0;
    open[e] = pool[e];
  }
  let more = true;
  while (more) {
    more = false;
    let sw = 0;
    for (let e = 0; e < cap.length; e++) if (open[e]) sw = sw + (w !== undefined ? w[e] : 1);
    // left * w / sw as q * w + r * w / sw (left = q * sw + r): r * w < sw * w, within 32 bits while sw * w is.
    for (let e = 0; e < cap.length; e++) {
      if (open[e]) {
        const we = w !== undefined ? w[e] : 1;
        out[e] = sw > 0 ? idiv(left, sw) * we + idiv(imod(left, sw) * we, sw) : 0;
      }
    }
    // Those a part at this level covers take their cap; the rest's parts can only grow.
    for (let e = 0; e < cap.length; e++) {
      if (open[e] && cap[e] <= out[e]) {
        out[e] = cap[e];
        left = left - cap[e];
        open[e] = false;
        more = true;
      }
    }
  }
  return out;
}

/**
 * A station limit shared among the EVSEs in a transaction (all of them when none is), in place of their
 * own limits cap[e] where lower, all in one unit (0.1 A, or W): what one cannot take goes to the others
 * (fill), in equal parts or in proportion to the weights w. While some transaction's part is below what
 * it can charge at (min[e]), the one that started last waits (0) and the others share its part, rather
 * than every EV being offered a current none can use. An EVSE its own limit pauses takes no part.
 */
function shareOut(ctx: Ctx, station: number, cap: number[], min: number[], w: number[] | undefined, busy: number): void {
  const s = scState(ctx);
  const pool: boolean[] = [];
  let sum = 0;
  for (let e = 0; e < cap.length; e++) {
    pool[e] = (busy === 0 || s.txId[e] !== "") && cap[e] >= min[e];
    if (pool[e]) sum = sum + cap[e];
  }
  if (station >= sum) return;
  for (;;) {
    const part = fill(station, pool, cap, w);
    let short = false;
    // The transaction that started last (uptime; -1: before the reboot), the highest EVSE of equals.
    let last = -1;
    for (let e = 0; e < cap.length; e++) {
      if (pool[e]) {
        if (part[e] < min[e]) short = true;
        if (last < 0 || s.txUp[e] >= s.txUp[last]) last = e;
      }
    }
    if (!short || busy === 0) {
      for (let e = 0; e < cap.length; e++) if (pool[e]) cap[e] = part[e];
      return;
    }
    pool[last] = false;
    cap[last] = 0;
  }
}

/**
 * Works out every EVSE's limit now and tells the transactions block. report: what changed, when it is
 * something the CSMS cannot work out itself: 0 an external system's limit, e a transaction started or
 * ended on EVSE e (the others' parts of the station limit moved); none: the CSMS's own profiles or their
 * schedules.
 */
export function applyLimits(ctx: Ctx, report?: number): void {
  const now = epochNow(ctx);
  const s = scState(ctx);
  const n = ctx.img.evses.length;
  let busy = 0;
  let total = 0;
  // Each EVSE's phases and rated current (0.1 A).
  const ph: number[] = [];
  const hw: number[] = [];
  for (let e = 1; e <= n; e++) {
    [ph[e - 1], hw[e - 1]] = evseHw(ctx, e);
    if (s.txId[e - 1] !== "") busy = busy + 1;
    total = total + hw[e - 1];
    // A transaction that started before the time was known: its start, now that it is.
    if (now !== undefined && s.txId[e - 1] !== "" && s.txStart[e - 1] < 0) {
      s.txStart[e - 1] = s.txUp[e - 1] >= 0 ? now - (ctx.hal.uptime() - s.txUp[e - 1]) : now;
      saveTx(ctx, e);
    }
  }
  // The soonest any limit may change (without the time: nothing changes with it).
  let next = HORIZON_S;
  // The station's limits in A and in W apart: current is shared as current, power as power.
  let stationA = lowest(ctx, 0, total, "A");
  let stationW = lowest(ctx, 0, total, "W");
  if (now !== undefined) {
    let c = HORIZON_S;
    [stationA, next] = composite1(ctx, 0, now, "A", "A");
    [stationW, c] = composite1(ctx, 0, now, "W", "W");
    if (c < next) next = c;
  }
  // Each EVSE's own limit (its rated current when none), then its part of the station's.
  const cap: number[] = [];
  for (let e = 1; e <= n; e++) {
    let lim = -1;
    if (now === undefined) lim = lowest(ctx, e, total, "A");
    else {
      const [l, c] = composite1(ctx, e, now, "A");
      lim = l;
      if (c < next) next = c;
    }
    cap[e - 1] = lim < 0 || lim > hw[e - 1] ? hw[e - 1] : lim;
  }
  // What each EV can charge at; one its own limit already holds below its minChargingRate still charges
  // at that limit (the station's share does not pause it for that), so for it the IEC 61851 6 A.
  const min: number[] = [];
  for (let e = 1; e <= n; e++) {
    const m = minRate(ctx, e);
    min[e - 1] = cap[e - 1] < m ? 60 : m;
  }
  // SmartChargingCtrlr.LimitSharing (the OEM's choice): "Equal" parts, or "Rated": in proportion to the rated currents.
  const rated = modelGet(ctx, "SmartChargingCtrlr/LimitSharing") === "Rated";
  if (stationA >= 0) shareOut(ctx, stationA, cap, min, rated ? hw : undefined, busy);
  if (stationW >= 0) {
    // In W at each EVSE's own phases (W = 0.1 A x 23 x phases at 230 V): a one-phase EVSE's part of a
    // power limit is three times the current a three-phase one gets for the same power. Weights in A x phases.
    const capW: number[] = [];
    const minW: number[] = [];
    const w: number[] = [];
    for (let e = 0; e < n; e++) {
      const k = idiv(VOLTAGE * ph[e], 10);
      capW[e] = cap[e] * k;
      minW[e] = min[e] * k;
      w[e] = idiv(hw[e], 10) * ph[e];
    }
    shareOut(ctx, stationW, capW, minW, rated ? w : undefined, busy);
    for (let e = 0; e < n; e++) {
      const a = idiv(capW[e], idiv(VOLTAGE * ph[e], 10));
      if (a < cap[e]) cap[e] = a;
    }
  }
  for (let e = 1; e <= n; e++) {
    // At or above the rated current: no limit. Told every time: the hook's listeners only act on a change.
    const lim = cap[e - 1] >= hw[e - 1] ? -1 : cap[e - 1];
    emit(ctx, "limit", e, lim);
    // K11.FR.04 / K13.FR.03 (ChargingRateChanged): an external system, or the sharing of the station's
    // limit, moved the rate by more than LimitChangeSignificance from the one the CSMS last knew (-1: the
    // rated current); the CSMS knows the ones its profiles set, and a transaction starting its own.
    const was = s.rate[e - 1];
    if (report === undefined || report === e || was === -2) s.rate[e - 1] = lim;
    else if (lim !== was && significant(ctx, was < 0 ? hw[e - 1] : was, lim < 0 ? hw[e - 1] : lim)) {
      s.rate[e - 1] = lim;
      emit(ctx, "rate", e);
    }
  }
  const up = ctx.hal.uptime();
  s.due = up + next;
  s.base = now !== undefined ? now - up : -1;
  s.on = modelGet(ctx, "SmartChargingCtrlr/Enabled") === "true";
}

/**
 * Once a second: the limits again when one of them may change now (a period boundary, a validity), the
 * clock was set or moved, or SmartChargingCtrlr.Enabled changed; every other change (profiles,
 * transactions, external limits) calls applyLimits itself.
 */
export function limitsTick(ctx: Ctx): void {
  const s = scState(ctx);
  const up = ctx.hal.uptime();
  const now = epochNow(ctx);
  if (up >= s.due || (now !== undefined ? now - up : -1) !== s.base || (modelGet(ctx, "SmartChargingCtrlr/Enabled") === "true") !== s.on) applyLimits(ctx);
}

/**
 * K08.FR.03: what the station as a whole expects to draw from the grid: the sum of its EVSEs' composite
 * schedules (each with the station-wide TxDefaultProfile, K01.FR.14, and as if in a transaction,
 * K08.FR.06), never above its own (ChargingStationMaxProfile, external constraints, the EVSEs' rated total).
 * Flat triples as composite(); the periods of all of them merged, at most maxPeriods (the last one then
 * takes the lowest of the rest, as compositeSchedule does).
 */
function stationSchedule(ctx: Ctx, from: number, duration: number, unit: string, maxPeriods: number): number[] {
  const parts: number[][] = [];
  const at: number[] = [];
  for (let e = 0; e <= ctx.img.evses.length; e++) {
    parts[e] = composite(ctx, e, from, duration, unit, maxPeriods);
    at[e] = 0;
  }
  const out: number[] = [];
  let t = 0;
  while (t < duration) {
    let sum = 0;
    let next = duration;
    for (let e = 0; e < parts.length; e++) {
      const q = parts[e];
      while (at[e] + 3 < q.length && q[at[e] + 3] <= t) at[e] = at[e] + 3;
      if (e > 0) sum = sum + q[at[e] + 1];
      if (at[e] + 3 < q.length && q[at[e] + 3] < next) next = q[at[e] + 3];
    }
    const own = parts[0][at[0] + 1];
    const limit = sum < own ? sum : own;
    addPeriod(out, t, limit, parts[0][at[0] + 2], maxPeriods);
    t = next;
  }
  return out;
}

/** K08: GetCompositeSchedule for an EVSE or the station (0), in the unit asked (A when none). */
function onComposite(ctx: Ctx, p: JsonObject): JsonObject {
  const evseId = p.evseId as number;
  const now = epochNow(ctx);
  // K08.FR.05 (unknown EVSE); without the time no schedule can start anywhere.
  if (evseId < 0 || evseId > ctx.img.evses.length || now === undefined) return { status: "Rejected", statusInfo: { reasonCode: now === undefined ? "Unspecified" : "UnknownEvse" } };
  // A schedule has at least one period (the schema's minItems): a window of at least a second.
  if ((p.duration as number) < 1) return { status: "Rejected", statusInfo: { reasonCode: "InvalidValue" } };
  const unit = p.chargingRateUnit !== undefined ? (p.chargingRateUnit as string) : "A";
  // TC_K_42_CS: a unit the station does not take (SmartChargingCtrlr.RateUnit).
  if (!listHas(modelGet(ctx, "SmartChargingCtrlr/RateUnit") as string, unit)) return { status: "Rejected", statusInfo: { reasonCode: "UnsupportedRateUnit" } };
  const duration = (p.duration as number) < MAX_WINDOW_S ? (p.duration as number) : MAX_WINDOW_S;
  const out = evseId === 0 ? stationSchedule(ctx, now, duration, unit, MAX_COMPOSITE) : composite(ctx, evseId, now, duration, unit, MAX_COMPOSITE);
  const periods: JsonObject[] = jarr([]);
  for (let i = 0; i < out.length; i += 3) {
    const per: JsonObject = { startPeriod: out[i], limit: limitJson(out[i + 1], unit) };
    if (out[i + 2] > 0) per.numberPhases = out[i + 2];
    periods[periods.length] = per;
  }
  return { status: "Accepted", schedule: { evseId, duration, scheduleStart: isoTime(now), chargingRateUnit: unit, chargingSchedulePeriod: periods } };
}

export const smartChargingLimits = {
  name: "smart-charging-limits",
  handlers: { GetCompositeSchedule: onComposite },
  on: {
    tick: limitsTick,
  },
};
