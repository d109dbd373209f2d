// K01–K10, K15: the charging profiles installed on the station: SetChargingProfile, ClearChargingProfile
// and the TxProfile a RequestStartTransaction brings (K05), through the transactions block's tx hook.
//
// A profile is kept in its compact form (composite-schedule.ts Profile), which is all the composite
// schedule and the reports need: in RAM, and in the journal (kind "cp", key its id, value the
// PROFILE_RECORD fields as an array: integers and strings only, which CBOR keeps exactly) so it
// survives a reboot (K01.FR.27). Each EVSE's transaction and its start are journaled too (key "t" ..
// evseId), so a Relative schedule goes on where it was after a reboot.

import { epochNow } from "../../firmware/clock";
import { fmtNum, jarr, jsonDecode, JsonObject } from "../../firmware/json";
import { journalOwner, journalPut, JValue } from "../../firmware/journal";
import { modelGet, modelInt, modelMaxLimit } from "../../firmware/model";
import { Ctx } from "../../firmware/station";
import { Profile, profileFromJson, PURPOSES } from "./composite-schedule";
import { checkProfile, ProfileLimits, replaces } from "./profile-check";
import { applyLimits } from "./limits";
import { csmsProfiles, evseHw, KIND, MAX_PROFILES, saveTx, scState } from "./sc-state";

/** SmartChargingCtrlr.Entries maxLimit, as the OEM's config sets it (MAX_PROFILES when it sets none). */
function maxProfiles(ctx: Ctx): number {
  const m = modelMaxLimit(ctx, "SmartChargingCtrlr/Entries[ChargingProfiles]");
  return m !== undefined ? m : MAX_PROFILES;
}

/** The Profile fields a journal record holds, in its order. */
const PROFILE_RECORD = ["evseId", "id", "stackLevel", "purpose", "kind", "recurrency", "validFrom", "validTo", "transactionId", "startSchedule", "duration", "rateUnit", "minChargingRate", "periods", "scheduleId"];
type Fields = { [k: string]: JValue };

function record(p: Profile): JValue {
  const f = p as unknown as Fields;
  const r: JValue[] = [];
  for (let i = 0; i < PROFILE_RECORD.length; i++) r[i] = f[PROFILE_RECORD[i]];
  return jarr(r);
}

/** Installs p (in place of the one with its id, K01.FR.05); false when the journal cannot keep it (then it is not installed). */
function store(ctx: Ctx, p: Profile): boolean {
  const s = scState(ctx);
  if (journalPut(ctx, KIND, p.id, record(p)) === undefined) {
    ctx.hal.log(1, "journal full: charging profile not taken");
    return false;
  }
  const at = replaces(p.id, s.list);
  s.list[at >= 0 ? at : s.list.length] = p;
  return true;
}

/** What SetChargingProfile checks against (K01). */
function limitsFor(ctx: Ctx, evseId: number): ProfileLimits {
  const now = epochNow(ctx);
  return {
    evses: ctx.img.evses.length,
    maxStackLevel: modelInt(ctx, "SmartChargingCtrlr/ProfileStackLevel"),
    periodsPerSchedule: modelInt(ctx, "SmartChargingCtrlr/PeriodsPerSchedule"),
    rateUnits: modelGet(ctx, "SmartChargingCtrlr/RateUnit") as string,
    txIdOnEvse: evseId > 0 && evseId <= ctx.img.evses.length ? scState(ctx).txId[evseId - 1] : "",
    // The external constraints take no entry of the CSMS's.
    maxEntries: maxProfiles(ctx) + scState(ctx).list.length - csmsProfiles(ctx),
    now: now !== undefined ? now : 0,
    phases: evsePhases(ctx, evseId),
  };
}

/** The EVSE's phases; 0: the most of any EVSE's. */
function evsePhases(ctx: Ctx, evseId: number): number {
  let most = 1;
  for (let e = 1; e <= ctx.img.evses.length; e++) {
    const [n] = evseHw(ctx, e);
    if ((evseId === 0 || e === evseId) && n > most) most = n;
  }
  return most;
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
  const reason = modelGet(ctx, "SmartChargingCtrlr/Enabled") !== "true" ? "NotEnabled" : checkProfile(cp, evseId, s.list, limitsFor(ctx, evseId));
  if (reason !== "") return { status: "Rejected", statusInfo: { reasonCode: reason } };
  const q = profileFromJson(cp, evseId) as Profile;
  // K05 / K01.FR.09: a TxProfile belongs to the EVSE's transaction.
  if (q.purpose === 3) q.transactionId = s.txId[evseId - 1];
  if (!store(ctx, q)) return { status: "Rejected", statusInfo: { reasonCode: "OutOfStorage" } };
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

/**
 * A transaction starts (with the chargingProfile of its RequestStartTransaction: its TxProfile, K05,
 * taken when the K01 checks pass) or ends (its TxProfiles go). The same transaction told again (a
 * resumption after a reboot) keeps its start.
 */
function onTx(ctx: Ctx, evseId: number, transactionId: string, profile: string): void {
  const s = scState(ctx);
  if (evseId < 1 || evseId > s.txId.length) return;
  if (transactionId !== s.txId[evseId - 1]) {
    const now = epochNow(ctx);
    s.txId[evseId - 1] = transactionId;
    s.txStart[evseId - 1] = transactionId !== "" && now !== undefined ? now : -1;
    s.txUp[evseId - 1] = ctx.hal.uptime();
    saveTx(ctx, evseId);
  }
  if (transactionId === "") {
    for (let i = s.list.length - 1; i >= 0; i--) if (s.list[i].purpose === 3 && s.list[i].evseId === evseId) remove(ctx, i);
  } else if (profile !== "") {
    const [v] = jsonDecode(profile, 8, false);
    const cp = v as JsonObject;
    const ok = type(v) === "table" && modelGet(ctx, "SmartChargingCtrlr/Enabled") === "true" && cp.chargingProfilePurpose === "TxProfile" && checkProfile(cp, evseId, s.list, limitsFor(ctx, evseId)) === "";
    const q = ok ? profileFromJson(cp, evseId) : undefined;
    if (q !== undefined) {
      q.transactionId = transactionId;
      store(ctx, q);
    } else ctx.hal.log(2, "RequestStartTransaction chargingProfile not taken");
  }
  applyLimits(ctx, evseId);
}

/**
 * Profiles that can never apply again go (issue #8 §1, profile expiry): past their validTo (K01.FR.37), or
 * Absolute and past startSchedule + duration (K01.FR.11). They no longer take an Entries slot nor appear in
 * reports. The external system's own (external.ts) run out when it says so.
 */
function expire(ctx: Ctx): void {
  const now = epochNow(ctx);
  if (now === undefined) return;
  const s = scState(ctx);
  for (let i = s.list.length - 1; i >= 0; i--) {
    const p = s.list[i];
    // Epochs meet only in differences (composite-schedule.ts).
    const ended = (p.validTo >= 0 && now >= p.validTo) || (p.kind === "Absolute" && p.startSchedule >= 0 && p.duration >= 0 && now - p.startSchedule >= p.duration);
    if (ended && p.purpose !== 1) remove(ctx, i);
  }
}

export const smartChargingProfiles = {
  name: "smart-charging",
  handlers: { SetChargingProfile: onSet, ClearChargingProfile: onClear },
  getters: { "SmartChargingCtrlr/Entries": (ctx: Ctx) => fmtNum(csmsProfiles(ctx)) },
  on: {
    start: (ctx: Ctx) => {
      const s = scState(ctx);
      s.list = [];
      s.txId = [];
      s.txStart = [];
      s.txUp = [];
      s.rate = [];
      for (let e = 0; e < ctx.img.evses.length; e++) {
        s.txId[e] = "";
        s.txStart[e] = -1;
        s.txUp[e] = -1;
        s.rate[e] = -2;
      }
      s.due = -1;
      s.base = -1;
      s.on = false;
      journalOwner(ctx, KIND, {
        replay: (c: Ctx, key: string | number, value: JValue | undefined) => {
          const x = scState(c);
          if (type(key) === "string") {
            // "t" .. evseId: the EVSE's transaction and its start.
            const e = tonumber(string.sub(key as string, 2));
            if (e === undefined || e < 1 || e > x.txId.length) return;
            const r = value as JValue[] | undefined;
            x.txId[e - 1] = r !== undefined ? (r[0] as string) : "";
            x.txStart[e - 1] = r !== undefined ? (r[1] as number) : -1;
            return;
          }
          const at = replaces(key as number, x.list);
          if (value === undefined) {
            if (at >= 0) table.remove(x.list, at + 1);
            return;
          }
          const r = value as JValue[];
          // A record of another layout is not read.
          if (r.length !== PROFILE_RECORD.length) return;
          const f: Fields = {};
          for (let i = 0; i < PROFILE_RECORD.length; i++) f[PROFILE_RECORD[i]] = r[i];
          x.list[at >= 0 ? at : x.list.length] = f as unknown as Profile;
        },
        dump: (c: Ctx) => {
          const x = scState(c);
          // External constraints (external.ts) are not journaled.
          for (let i = 0; i < x.list.length; i++) if (x.list[i].purpose !== 1) journalPut(c, KIND, x.list[i].id, record(x.list[i]));
          for (let e = 1; e <= x.txId.length; e++) if (x.txId[e - 1] !== "") saveTx(c, e);
        },
      });
    },
    tx: onTx,
    tick: expire,
    // K05.FR.02/05: a RequestStartTransaction's chargingProfile is a TxProfile that passes the K01 checks
    // (for the transaction it will start: none yet). Ignored while disabled, as by a station without smart charging (K05.FR.04).
    txProfile: (ctx: Ctx, evseId: number, cp: JsonObject, verdict: { reason: string }) => {
      if (modelGet(ctx, "SmartChargingCtrlr/Enabled") !== "true") return;
      // It names no transaction (the one it starts has no id yet, F01.FR.11); its EVSE's running one (F01.FR.13) or one to come.
      const lim = limitsFor(ctx, evseId);
      if (lim.txIdOnEvse === "") lim.txIdOnEvse = "-";
      verdict.reason = cp.chargingProfilePurpose !== "TxProfile" || cp.transactionId !== undefined ? "InvalidProfile" : checkProfile(cp, evseId, scState(ctx).list, lim);
    },
  },
};

