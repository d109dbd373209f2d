// K01–K10, K15: the charging profiles installed on the station and the limits they set.
//
// A profile is kept twice: in RAM in its compact form (composite-schedule.ts Profile), which is all
// the composite schedule and the reports need, and in the journal (kind "cp", key its id, value
// [evseId, the ChargingProfileType as the CSMS sent it]) so it survives a reboot.
//
// Every second (and at once after a change, K10.FR.05) the composite limit of each EVSE is worked out
// and handed to the transactions block with the limit hook, which caps the pilot offer with it. A
// station-wide limit (ChargingStationMaxProfile, external constraints) is shared equally among the
// EVSEs in a transaction (all of them when none is).

import { idiv } from "../../firmware/arith";
import { epochNow } from "../../firmware/clock";
import { fmtNum, jarr, Json, jsonDecode, JsonObject } from "../../firmware/json";
import { journalOwner, journalPut, JValue } from "../../firmware/journal";
import { listHas, modelGet, modelInt, modelLookup } from "../../firmware/model";
import { blockData, Ctx, emit } from "../../firmware/station";
import { isoTime } from "../../firmware/time";
import { compositeSchedule, Profile, profileFromJson, PURPOSES } from "./composite-schedule";
import { checkProfile, replaces } from "./profile-check";
import { limitJson, profileJsonOf } from "./profile-json";

const KIND = "cp";
/** Profiles installed at most: SmartChargingCtrlr.Entries maxLimit (block.json). */
export const MAX_PROFILES = 8;
/** Nominal voltage of every phase, for A <-> W. */
const VOLTAGE = 230;
/** Periods of a GetCompositeSchedule answer at most. */
const MAX_COMPOSITE = 24;

export interface ScState {
  list: Profile[];
  /** Per EVSE (index evseId - 1): its transaction ("" none) and when it started (epoch, -1 unknown). */
  txId: string[];
  txStart: number[];
  /** Per EVSE: the limit last handed to the transactions block (0.1 A, -1 none, -2 never). */
  told: number[];
}

export function scState(ctx: Ctx): ScState {
  return blockData(ctx, "smart-charging") as unknown as ScState;
}

/** The EVSE's phases and its connectors' highest rated current (0.1 A). */
function evseHw(ctx: Ctx, evseId: number): LuaMultiReturn<[number, number]> {
  const ph = modelLookup(ctx, "EVSE#" + fmtNum(evseId) + "/SupplyPhases");
  let hw = 0;
  for (let c = 1; c <= ctx.img.evses[evseId - 1]; c++) {
    const a = tonumber(modelLookup(ctx, "Connector#" + fmtNum(evseId) + "." + fmtNum(c) + "/MaxCurrent") as string);
    if (a !== undefined && a * 10 > hw) hw = a * 10;
  }
  const n = ph !== undefined ? (tonumber(ph) as number) : 3;
  return $multi(n === 1 ? 1 : 3, hw);
}

/**
 * K08: the composite schedule of evseId (0: the station, whose hardware limit is the sum of its
 * EVSEs') from `from` for `duration` s in unit, at most maxPeriods periods: flat triples (start,
 * limit in 0.1 A or W, numberPhases). Profiles are applied only while SmartChargingCtrlr.Enabled.
 */
export function composite(ctx: Ctx, evseId: number, from: number, duration: number, unit: string, maxPeriods: number): number[] {
  const s = scState(ctx);
  let phases = 3;
  let hw = 0;
  for (let e = 1; e <= ctx.img.evses.length; e++) {
    if (evseId === 0 || e === evseId) {
      const [n, a] = evseHw(ctx, e);
      phases = n;
      hw = hw + a;
    }
  }
  if (evseId === 0) phases = 3;
  const on = modelGet(ctx, "SmartChargingCtrlr/Enabled") === "true";
  const tx = evseId > 0 ? s.txId[evseId - 1] : "";
  const start = evseId > 0 ? s.txStart[evseId - 1] : -1;
  return compositeSchedule(on ? s.list : [], evseId, start, tx, from, duration, unit, phases, VOLTAGE, hw, maxPeriods);
}

/** The composite limit (0.1 A) of evseId at now, as the first two of a triple. */
function composite1(ctx: Ctx, evseId: number, now: number): LuaMultiReturn<[number, number]> {
  const out = composite(ctx, evseId, now, 1, "A", 1);
  return $multi(out[0], out[1]);
}

/** Works out every EVSE's limit now and tells the transactions block of those that changed. */
function applyLimits(ctx: Ctx): void {
  const now = epochNow(ctx);
  if (now === undefined) return;
  const s = scState(ctx);
  const n = ctx.img.evses.length;
  // The station's limit, shared among the EVSEs in a transaction (all when none is).
  let busy = 0;
  for (let e = 0; e < n; e++) if (s.txId[e] !== "") busy = busy + 1;
  const [, station] = composite1(ctx, 0, now);
  const share = idiv(station, busy > 0 ? busy : n);
  for (let e = 1; e <= n; e++) {
    const [, hw] = evseHw(ctx, e);
    let [, lim] = composite1(ctx, e, now);
    if ((busy === 0 || s.txId[e - 1] !== "") && share < lim) lim = share;
    // At or above the rated current: no limit.
    if (lim >= hw) lim = -1;
    if (lim !== s.told[e - 1]) {
      s.told[e - 1] = lim;
      emit(ctx, "limit", e, lim);
    }
  }
}

function store(ctx: Ctx, p: Profile, cp: JsonObject | undefined): void {
  const s = scState(ctx);
  const at = replaces(p.id, s.list);
  s.list[at >= 0 ? at : s.list.length] = p;
  if (cp !== undefined && journalPut(ctx, KIND, p.id, jarr([p.evseId, cp as Json])) === undefined) ctx.hal.log(1, "journal full: charging profile not saved");
}

function remove(ctx: Ctx, i: number): void {
  const s = scState(ctx);
  journalPut(ctx, KIND, s.list[i].id, undefined);
  table.remove(s.list, i + 1);
}

/** K01: SetChargingProfile. */
function onSet(ctx: Ctx, p: JsonObject): JsonObject {
  const s = scState(ctx);
  const evseId = p.evseId as number;
  const cp = p.chargingProfile as JsonObject;
  const now = epochNow(ctx);
  const reason = checkProfile(cp, evseId, s.list, {
    evses: ctx.img.evses.length,
    maxStackLevel: modelInt(ctx, "SmartChargingCtrlr/ProfileStackLevel"),
    periodsPerSchedule: modelInt(ctx, "SmartChargingCtrlr/PeriodsPerSchedule"),
    rateUnits: modelGet(ctx, "SmartChargingCtrlr/RateUnit") as string,
    txIdOnEvse: evseId > 0 ? s.txId[evseId - 1] : "",
    maxEntries: MAX_PROFILES,
    now: now !== undefined ? now : 0,
  });
  // No profile is taken while smart charging is disabled (SmartChargingCtrlr.Enabled).
  if (reason !== "" || modelGet(ctx, "SmartChargingCtrlr/Enabled") !== "true") return { status: "Rejected", statusInfo: { reasonCode: reason !== "" ? reason : "NotEnabled" } };
  const q = profileFromJson(cp, evseId) as Profile;
  // K05 / K01.FR.09: a TxProfile belongs to the EVSE's transaction.
  if (q.purpose === 3) q.transactionId = s.txId[evseId - 1];
  store(ctx, q, cp);
  applyLimits(ctx);
  return { status: "Accepted" };
}

/** K10: ClearChargingProfile by id (K10.FR.03) or by criteria (K10.FR.04); never external constraints (K10.FR.08/09). */
function onClear(ctx: Ctx, p: JsonObject): JsonObject {
  const s = scState(ctx);
  const id = p.chargingProfileId as number | undefined;
  const c = p.chargingProfileCriteria as JsonObject | undefined;
  let cleared = false;
  for (let i = s.list.length - 1; i >= 0; i--) {
    const q = s.list[i];
    let hit = q.purpose !== 1;
    if (id !== undefined) hit = hit && q.id === id;
    else if (c !== undefined) {
      if (c.evseId !== undefined && c.evseId !== q.evseId) hit = false;
      if (c.stackLevel !== undefined && c.stackLevel !== q.stackLevel) hit = false;
      if (c.chargingProfilePurpose !== undefined && c.chargingProfilePurpose !== PURPOSES[q.purpose]) hit = false;
    } else hit = false;
    if (hit) {
      remove(ctx, i);
      cleared = true;
    }
  }
  // K10.FR.05: the limits follow at once.
  if (cleared) applyLimits(ctx);
  return { status: cleared ? "Accepted" : "Unknown" };
}

/** K08: GetCompositeSchedule for an EVSE or the station (0), in the unit asked (A when none). */
function onComposite(ctx: Ctx, p: JsonObject): JsonObject {
  const evseId = p.evseId as number;
  const now = epochNow(ctx);
  // K08.FR.05 (unknown EVSE); without the time no schedule can start anywhere.
  if (evseId < 0 || evseId > ctx.img.evses.length || now === undefined) return { status: "Rejected", statusInfo: { reasonCode: now === undefined ? "Unspecified" : "UnknownEvse" } };
  const unit = p.chargingRateUnit !== undefined ? (p.chargingRateUnit as string) : "A";
  // TC_K_42_CS: a unit the station does not take (SmartChargingCtrlr.RateUnit).
  if (!listHas(modelGet(ctx, "SmartChargingCtrlr/RateUnit") as string, unit)) return { status: "Rejected", statusInfo: { reasonCode: "UnsupportedRateUnit" } };
  const duration = p.duration as number;
  const out = composite(ctx, evseId, now, duration, unit, MAX_COMPOSITE);
  const periods: JsonObject[] = jarr([]);
  for (let i = 0; i < out.length; i += 3) {
    const per: JsonObject = { startPeriod: out[i], limit: limitJson(out[i + 1], unit) };
    if (out[i + 2] > 0) per.numberPhases = out[i + 2];
    periods[periods.length] = per;
  }
  return { status: "Accepted", schedule: { evseId, duration, scheduleStart: isoTime(now), chargingRateUnit: unit, chargingSchedulePeriod: periods } };
}

/** A transaction starts (with the chargingProfile of its RequestStartTransaction: its TxProfile, K05) or ends (its TxProfiles go). */
function onTx(ctx: Ctx, evseId: number, transactionId: string, profile: string): void {
  const s = scState(ctx);
  if (evseId < 1 || evseId > s.txId.length) return;
  s.txId[evseId - 1] = transactionId;
  const now = epochNow(ctx);
  s.txStart[evseId - 1] = transactionId !== "" && now !== undefined ? now : -1;
  if (transactionId === "") {
    for (let i = s.list.length - 1; i >= 0; i--) if (s.list[i].purpose === 3 && s.list[i].evseId === evseId) remove(ctx, i);
  } else if (profile !== "") {
    const [v] = jsonDecodeProfile(profile);
    const q = v !== undefined ? profileFromJson(v, evseId) : undefined;
    if (q !== undefined && q.purpose === 3 && (replaces(q.id, s.list) >= 0 || s.list.length < MAX_PROFILES)) {
      q.transactionId = transactionId;
      store(ctx, q, v);
    } else ctx.hal.log(2, "RequestStartTransaction chargingProfile not taken");
  }
  applyLimits(ctx);
}

function jsonDecodeProfile(text: string): LuaMultiReturn<[JsonObject | undefined]> {
  const [v] = jsonDecode(text, 8, false);
  return $multi(v !== undefined && type(v) === "table" ? (v as JsonObject) : undefined);
}

export const smartChargingProfiles = {
  name: "smart-charging",
  handlers: { SetChargingProfile: onSet, ClearChargingProfile: onClear, GetCompositeSchedule: onComposite },
  getters: { "SmartChargingCtrlr/Entries": (ctx: Ctx) => fmtNum(scState(ctx).list.length) },
  on: {
    start: (ctx: Ctx) => {
      const s = scState(ctx);
      s.list = [];
      s.txId = [];
      s.txStart = [];
      s.told = [];
      for (let e = 0; e < ctx.img.evses.length; e++) {
        s.txId[e] = "";
        s.txStart[e] = -1;
        s.told[e] = -2;
      }
      journalOwner(ctx, KIND, {
        replay: (c: Ctx, key: string | number, value: JValue | undefined) => {
          const l = scState(c).list;
          const at = replaces(key as number, l);
          if (value === undefined) {
            if (at >= 0) table.remove(l, at + 1);
            return;
          }
          const r = value as Json[];
          const q = profileFromJson(r[1] as JsonObject, r[0] as number);
          if (q !== undefined) l[at >= 0 ? at : l.length] = q;
        },
        dump: (c: Ctx) => {
          // The JSON is not in RAM: a compaction writes the compact form back as JSON (profile-report.ts).
          const l = scState(c).list;
          for (let i = 0; i < l.length; i++) journalPut(c, KIND, l[i].id, jarr([l[i].evseId, profileJsonOf(l[i]) as Json]));
        },
      });
    },
    tick: (ctx: Ctx) => applyLimits(ctx),
    tx: onTx,
  },
};

