// Part 6 smart-charging test cases (charging-station side, TC_K_<nn>_CS) not automated in
// test/smart-charging.test.ts or test/ems.test.ts, on every runtime against the scripted CSMS. Each
// scenario follows the test case's steps and tool validations (Part 6 with the 2025-09 errata); the
// Part 2 requirement that decides an expected value is cited beside it.
//
// Test bench ("configured" values of the OCTT): evseId 1 (EVSE 1: 32 A, 3 phases; EVSE 2: 16 A, 3
// phases), numberPhases 3, chargingRateUnit A, and for the composite-schedule cases W as well
// (errata 6.2.69: limit multiplier 1 for A, 690 for W on 3 phases). The CSMS and the station share one
// virtual clock, so the configured max time deviation is 0. "Current dateTime" is the CSMS's clock:
// the currentTime it gave in BootNotificationResponse plus the virtual seconds since. Every request
// the CSMS sends is checked against the official request schema first.

import { afterEach, describe, expect, it } from "vitest";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { schemaErrors } from "../sim/wire-check";
import { bootAccepted, NOW_ISO } from "./harness";
import { advance, call, evse, plug, sent, setVars, tes, token, TxStation } from "./tx-harness";
import { scStation } from "./sc-harness";
import { EmsStation, emsStation, settleNet, STATION_ID, until } from "./ems-harness";
import { authorizeReqs, known, tesOf, txAuthStation } from "./tx-auth-harness";

type Unit = "A" | "W";
type Json = Record<string, unknown>;

const UNITS: Unit[] = ["A", "W"];
/** Configured numberPhases. */
const PHASES = 3;
/** Configured max time deviation (s). */
const DEV = 0;
/** Errata 6.2.69: the limit multiplier of a unit (W on 3 phases: 3 x 230 V). */
const mult = (u: Unit) => (u === "A" ? 1 : 230 * PHASES);

// ---- the CSMS's clock ----
const bootAt = new WeakMap<TxStation, number>();
async function station(runtime: RuntimeName, provision: Record<string, string> = {}): Promise<TxStation> {
  const t = await scStation(runtime, provision);
  bootAt.set(t, t.board.uptime);
  return t;
}
/** The CSMS's current time, epoch seconds. */
const now = (t: TxStation) => Date.parse(NOW_ISO) / 1000 + (t.board.uptime - (bootAt.get(t) as number));
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");

/** A CSMS request, schema-checked first; the station's CALLRESULT payload (a CALLERROR fails). */
function req(t: TxStation, action: string, payload: Json): Json {
  expect(schemaErrors(`${action}Request`, payload), `${action}Request schema`).toEqual([]);
  return call(t, action, payload);
}

// ---- charging profiles ----
interface Spec {
  id: number;
  purpose: "ChargingStationMaxProfile" | "TxDefaultProfile" | "TxProfile";
  stackLevel?: number;
  /** Default: Absolute with a startSchedule, else Relative. */
  kind?: "Absolute" | "Relative" | "Recurring";
  /** [startPeriod, limit in A]; the limit is multiplied for W. */
  periods: [number, number][];
  unit?: Unit;
  /** Epoch seconds. */
  startSchedule?: number;
  duration?: number;
  validFrom?: number;
  validTo?: number;
  recurrencyKind?: "Daily" | "Weekly";
  transactionId?: string;
}

/** A ChargingProfileType: one schedule, numberPhases on every period. */
function cp(s: Spec): Json {
  const unit = s.unit ?? "A";
  const sched: Json = {
    id: s.id,
    chargingRateUnit: unit,
    chargingSchedulePeriod: s.periods.map(([startPeriod, limit]) => ({ startPeriod, limit: limit * mult(unit), numberPhases: PHASES })),
  };
  if (s.startSchedule !== undefined) sched.startSchedule = iso(s.startSchedule);
  if (s.duration !== undefined) sched.duration = s.duration;
  const p: Json = {
    id: s.id,
    stackLevel: s.stackLevel ?? 0,
    chargingProfilePurpose: s.purpose,
    chargingProfileKind: s.kind ?? (s.startSchedule !== undefined ? "Absolute" : "Relative"),
    chargingSchedule: [sched],
  };
  if (s.recurrencyKind !== undefined) p.recurrencyKind = s.recurrencyKind;
  if (s.validFrom !== undefined) p.validFrom = iso(s.validFrom);
  if (s.validTo !== undefined) p.validTo = iso(s.validTo);
  if (s.transactionId !== undefined) p.transactionId = s.transactionId;
  return p;
}

/** A profile with its date-times as instants, to compare what the station reports with what was sent. */
function norm(p: unknown): unknown {
  const c = structuredClone(p) as Json;
  for (const k of ["validFrom", "validTo"]) if (typeof c[k] === "string") c[k] = Date.parse(c[k] as string);
  for (const s of (c.chargingSchedule ?? []) as Json[]) if (typeof s.startSchedule === "string") s.startSchedule = Date.parse(s.startSchedule);
  return c;
}

function set(t: TxStation, evseId: number, profile: Json): Json {
  return req(t, "SetChargingProfile", { evseId, chargingProfile: profile });
}
function setOk(t: TxStation, evseId: number, profile: Json): void {
  expect(set(t, evseId, profile), `SetChargingProfile ${profile.id}`).toEqual({ status: "Accepted" });
}

interface Report {
  requestId: number;
  chargingLimitSource: string;
  tbc?: boolean;
  evseId: number;
  chargingProfile: Json[];
}

/** GetChargingProfiles: the response, and the ReportChargingProfiles it brought (each answered by the CSMS). */
async function getProfiles(t: TxStation, requestId: number, criteria: Json, evseId?: number): Promise<{ status: string; reports: Report[] }> {
  await sent(t);
  const r = req(t, "GetChargingProfiles", evseId === undefined ? { requestId, chargingProfile: criteria } : { requestId, evseId, chargingProfile: criteria });
  const reports = (await sent(t, "ReportChargingProfiles")).map((f) => f[3] as Report);
  if (reports.length > 0) {
    // K09.FR.01: the requestId in every report; K09.FR.02: tbc on all but the last.
    expect(reports.map((x) => x.requestId)).toEqual(reports.map(() => requestId));
    expect(reports.map((x) => x.tbc === true)).toEqual(reports.map((_, i) => i < reports.length - 1));
  }
  return { status: r.status as string, reports };
}

interface Composite {
  status: string;
  schedule?: { evseId: number; duration: number; scheduleStart: string; chargingRateUnit: string; chargingSchedulePeriod: { startPeriod: number; limit: number; numberPhases?: number }[] };
}

/** GetCompositeSchedule; checks status Accepted and the schedule's evseId, duration, unit and scheduleStart (errata 6.2.71). */
function composite(t: TxStation, evseId: number, duration: number, unit: Unit): { periods: [number, number][]; start: number } {
  const at = now(t);
  const r = req(t, "GetCompositeSchedule", { evseId, duration, chargingRateUnit: unit }) as unknown as Composite;
  expect(r.status).toBe("Accepted");
  const s = r.schedule!;
  expect({ evseId: s.evseId, duration: s.duration, chargingRateUnit: s.chargingRateUnit }).toEqual({ evseId, duration, chargingRateUnit: unit });
  const start = Date.parse(s.scheduleStart) / 1000;
  expect(Math.abs(start - at)).toBeLessThanOrEqual(DEV);
  return { periods: s.chargingSchedulePeriod.map((p) => [p.startPeriod, p.limit]), start };
}

/** State is EnergyTransferStarted on the EVSE (TxStartPoint PowerPathClosed: cable, then a card); its transactionId. */
async function energyTransfer(t: TxStation, e = 1): Promise<string> {
  plug(t, e);
  token(t, `OK-TCK${e}`, e);
  await advance(t, 3);
  const started = (await tes(t)).find((x) => x.eventType === "Started" && x.evse?.id === e);
  expect(started, "TransactionEvent Started").toBeDefined();
  expect(evse(t, e).relayClosed).toBe(true);
  return started!.transactionInfo.transactionId;
}

/** No TransactionEvent Ended since the last look. */
async function noEnded(t: TxStation): Promise<void> {
  expect((await tes(t)).filter((x) => x.eventType === "Ended")).toEqual([]);
}

describe.each(RUNTIMES)("Part 6 smart charging test cases on %s", (runtime) => {
  it("TC_K_04_CS: a profile with a known id replaces the installed one (K01.FR.05); GetChargingProfiles by id reports only the new one", async () => {
    const t = await station(runtime);
    setOk(t, 1, cp({ id: 41, purpose: "TxDefaultProfile", periods: [[0, 6]] }));
    const step1 = cp({ id: 41, purpose: "TxDefaultProfile", periods: [[0, 10]] });
    setOk(t, 1, step1);
    const r = await getProfiles(t, 404, { chargingProfileId: [41] });
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 1, profiles: [norm(step1)] }]);
    // Replaced, not added: the new limit is the one in force.
    await energyTransfer(t);
    expect(evse(t).offerDa).toBe(100);
  });

  it("TC_K_06_CS: ClearChargingProfile by purpose and stackLevel during a transaction clears that profile only (K10.FR.04) and the limits follow at once (K10.FR.05)", async () => {
    const t = await station(runtime);
    setOk(t, 1, cp({ id: 61, purpose: "TxDefaultProfile", stackLevel: 2, periods: [[0, 6]] }));
    setOk(t, 1, cp({ id: 62, purpose: "TxDefaultProfile", stackLevel: 1, periods: [[0, 8]] }));
    await energyTransfer(t);
    // K01.FR.17: the higher stackLevel leads.
    expect(evse(t).offerDa).toBe(60);
    expect(req(t, "ClearChargingProfile", { chargingProfileCriteria: { chargingProfilePurpose: "TxDefaultProfile", stackLevel: 2 } })).toEqual({ status: "Accepted" });
    expect((await getProfiles(t, 601, { chargingProfilePurpose: "TxDefaultProfile", stackLevel: 2 })).status).toBe("NoProfiles");
    // K10.FR.04 matches as a logical AND: the stackLevel 1 profile stays, and now leads.
    const left = await getProfiles(t, 602, { chargingProfilePurpose: "TxDefaultProfile" });
    expect(left.reports.flatMap((x) => x.chargingProfile.map((p) => p.id))).toEqual([62]);
    await advance(t, 1);
    expect(evse(t).offerDa).toBe(80);
    await noEnded(t);
  });

  it("TC_K_07_CS: ClearChargingProfile with an unknown purpose/stackLevel combination: Unknown (K10.FR.01); the installed profile stays", async () => {
    const t = await station(runtime);
    setOk(t, 1, cp({ id: 71, purpose: "TxDefaultProfile", stackLevel: 1, periods: [[0, 6]] }));
    expect(req(t, "ClearChargingProfile", { chargingProfileCriteria: { chargingProfilePurpose: "ChargingStationMaxProfile", stackLevel: 0 } })).toEqual({ status: "Unknown" });
    const r = await getProfiles(t, 701, { chargingProfileId: [71] });
    expect(r.status).toBe("Accepted");
    expect(r.reports.flatMap((x) => x.chargingProfile.map((p) => p.id))).toEqual([71]);
  });

  it.each(UNITS)("TC_K_09_CS (%s): clearing the TxDefaultProfile of a running transaction: the composite schedule is no longer its limit, the transaction goes on without it (K10.FR.05, K10.FR.07)", async (unit) => {
    const t = await station(runtime);
    setVars(t, { "SmartChargingCtrlr/LimitChangeSignificance": "1.0" });
    // Errata 6.2.66: no validFrom/validTo.
    setOk(t, 1, cp({ id: 91, purpose: "TxDefaultProfile", kind: "Absolute", stackLevel: 0, startSchedule: now(t), duration: 400 + DEV, unit, periods: [[0, 6]] }));
    await energyTransfer(t);
    expect(evse(t).offerDa).toBe(60);
    // Steps 1/2: the TxDefaultProfile's limit from the start of the window.
    const before = composite(t, 1, 300, unit);
    expect(before.periods[0]).toEqual([0, 6 * mult(unit)]);
    // Steps 3/4.
    expect(req(t, "ClearChargingProfile", { chargingProfileCriteria: { chargingProfilePurpose: "TxDefaultProfile" } })).toEqual({ status: "Accepted" });
    // Steps 5/6: period 0 no longer 6.
    const after = composite(t, 1, 300, unit);
    expect(after.periods[0][0]).toBe(0);
    expect(after.periods[0][1]).not.toBe(6 * mult(unit));
    // K10.FR.05: the ongoing transaction gets the recalculated limit (no profile: the EVSE's rated 32 A); K10.FR.07: it goes on.
    await advance(t, 1);
    expect(evse(t).offerDa).toBe(320);
    expect(evse(t).relayClosed).toBe(true);
    await noEnded(t);
  });

  it("TC_K_10_CS: a TxDefaultProfile on evseId 0 is Accepted, reported on EVSE 0 as sent, and applies to every EVSE (K01.FR.14)", async () => {
    const t = await station(runtime);
    const step1 = cp({ id: 101, purpose: "TxDefaultProfile", kind: "Relative", duration: 3600, periods: [[0, 6]] });
    setOk(t, 0, step1);
    const r = await getProfiles(t, 1001, { chargingProfileId: [101] });
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, tbc: x.tbc, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 0, tbc: false, profiles: [norm(step1)] }]);
    // K01.FR.14: applied, not copied, to all EVSEs: each EVSE's own limit is 6 A.
    await energyTransfer(t, 1);
    await energyTransfer(t, 2);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([60, 60]);
    expect(composite(t, 2, 300, "A").periods).toEqual([[0, 6]]);
  });

  it("TC_K_11_CS: a TxProfile on evseId 0 is Rejected (K01.FR.16)", async () => {
    const t = await station(runtime);
    expect(set(t, 0, cp({ id: 111, purpose: "TxProfile", periods: [[0, 6]] }))).toMatchObject({ status: "Rejected" });
    expect((await getProfiles(t, 1101, { chargingProfileId: [111] })).status).toBe("NoProfiles");
  });

  it("TC_K_16_CS: a TxProfile for an unknown transactionId during a transaction is Rejected (K01.FR.33) and not applied", async () => {
    const t = await station(runtime);
    await energyTransfer(t);
    expect(set(t, 1, cp({ id: 161, purpose: "TxProfile", transactionId: "UNKNOWN-TRANSACTION-ID", periods: [[0, 6]] }))).toMatchObject({ status: "Rejected" });
    expect((await getProfiles(t, 1601, { chargingProfileId: [161] })).status).toBe("NoProfiles");
    await advance(t, 1);
    expect(evse(t).offerDa).toBe(320);
  });

  it.each([
    ["Daily", 86400],
    ["Weekly", 604800],
  ] as const)("TC_K_19_CS (%s): a Recurring profile with a startSchedule (K01.FR.40) is Accepted and recurs", async (kind, every) => {
    const t = await station(runtime);
    // Started one recurrence ago, 60 s before now: the current recurrence began 60 s ago.
    const start = now(t) - every - 60;
    expect(set(t, 1, cp({ id: 191, purpose: "TxDefaultProfile", kind: "Recurring", recurrencyKind: kind, stackLevel: 2, startSchedule: start, periods: [[0, 6], [3600, 10]] }))).toEqual({ status: "Accepted" });
    expect(composite(t, 1, 7200, "A").periods).toEqual([
      [0, 6],
      [3540, 10],
    ]);
  });

  it.each(UNITS)("TC_K_21_CS (%s): a profile with validFrom 300 s ahead takes effect then (K01.FR.36)", async (unit) => {
    const t = await station(runtime);
    const setAt = now(t);
    setOk(t, 1, cp({ id: 211, purpose: "TxDefaultProfile", kind: "Relative", validFrom: setAt + 300, unit, periods: [[0, 6]] }));
    await advance(t, 10);
    const c = composite(t, 1, 400, unit);
    const x = c.start - setAt;
    expect(c.periods.length).toBe(2);
    expect(c.periods[0][0]).toBe(0);
    expect(c.periods[1]).toEqual([300 - x, 6 * mult(unit)]);
  });

  it.each(UNITS)("TC_K_22_CS (%s): a station-wide TxDefaultProfile stops at validTo (K01.FR.37); EVSE 0 reports the sum over the EVSEs (K08.FR.03)", async (unit) => {
    const t = await station(runtime);
    const setAt = now(t);
    setOk(t, 0, cp({ id: 221, purpose: "TxDefaultProfile", kind: "Absolute", validFrom: setAt - DEV, validTo: setAt + 300, startSchedule: setAt, unit, periods: [[0, 6]] }));
    await advance(t, 10);
    // Steps 3/4 for evseId 0, 1, 2: 6 each (K01.FR.14), on EVSE 0 times the number of EVSEs (K08.FR.03: what
    // the station expects to draw from the grid); from (300 - x) the local limit (its value not validated,
    // but no longer the profile's: K01.FR.37).
    const got: Record<number, unknown> = {};
    const want: Record<number, unknown> = {};
    for (const e of [0, 1, 2]) {
      const c = composite(t, e, 400, unit);
      const x = c.start - setAt;
      const six = 6 * mult(unit) * (e === 0 ? 2 : 1);
      got[e] = { periods: c.periods.length, first: c.periods[0], secondStart: c.periods[1]?.[0], secondIsProfile: c.periods[1]?.[1] === six };
      want[e] = { periods: 2, first: [0, six], secondStart: 300 - x, secondIsProfile: false };
    }
    expect(got).toEqual(want);
  });

  it.each(UNITS)("TC_K_23_CS (%s): a profile whose startSchedule is 60 s ahead imposes its limit from then on (K01.FR.30)", async (unit) => {
    const t = await station(runtime);
    const setAt = now(t);
    // Errata 6.2.67: no validFrom/validTo; startSchedule now + 60.
    setOk(t, 1, cp({ id: 231, purpose: "TxDefaultProfile", kind: "Absolute", startSchedule: setAt + 60, unit, periods: [[0, 6]] }));
    await advance(t, 10);
    const c = composite(t, 1, 300, unit);
    const x = c.start - setAt;
    expect(c.periods.length).toBe(2);
    expect(c.periods[0][0]).toBe(0);
    expect(c.periods[1]).toEqual([60 - x, 6 * mult(unit)]);
  });

  it("TC_K_24_CS: ClearChargingProfile by purpose and stackLevel clears the matching profiles of every EVSE (K10.FR.04)", async () => {
    const t = await station(runtime);
    setOk(t, 1, cp({ id: 241, purpose: "TxDefaultProfile", stackLevel: 3, periods: [[0, 6]] }));
    setOk(t, 2, cp({ id: 242, purpose: "TxDefaultProfile", stackLevel: 3, periods: [[0, 8]] }));
    expect(req(t, "ClearChargingProfile", { chargingProfileCriteria: { chargingProfilePurpose: "TxDefaultProfile", stackLevel: 3 } })).toEqual({ status: "Accepted" });
    expect((await getProfiles(t, 2401, { chargingProfilePurpose: "TxDefaultProfile", stackLevel: 3 })).status).toBe("NoProfiles");
  });

  it.each(UNITS)("TC_K_28_CS (%s): a TxDefaultProfile set during a transaction is Accepted, the transaction goes on under it (K01.FR.32)", async (unit) => {
    const t = await station(runtime);
    setVars(t, { "SmartChargingCtrlr/LimitChangeSignificance": "1.0" });
    await energyTransfer(t);
    expect(evse(t).offerDa).toBe(320);
    const setAt = now(t);
    // Errata 6.2.68: duration 400 + deviation, no validFrom/validTo.
    expect(set(t, 1, cp({ id: 281, purpose: "TxDefaultProfile", kind: "Absolute", duration: 400 + DEV, startSchedule: setAt - DEV, unit, periods: [[0, 6]] }))).toEqual({ status: "Accepted" });
    await advance(t, 2);
    expect(composite(t, 1, 300, unit).periods).toEqual([[0, 6 * mult(unit)]]);
    expect(evse(t).offerDa).toBe(60);
    expect(evse(t).relayClosed).toBe(true);
    await noEnded(t);
  });

  it("TC_K_29_CS: GetChargingProfiles for evseId 0 reports only the profiles installed on the station itself (K09.FR.05)", async () => {
    // test/smart-charging.test.ts names TC_K_29_CS but never asks for evseId 0.
    const t = await station(runtime);
    const max = cp({ id: 291, purpose: "ChargingStationMaxProfile", kind: "Absolute", startSchedule: now(t) - 3600, periods: [[0, 40]] });
    setOk(t, 0, max);
    setOk(t, 1, cp({ id: 292, purpose: "TxDefaultProfile", periods: [[0, 16]] }));
    const r = await getProfiles(t, 2901, { chargingLimitSource: ["CSO"] }, 0);
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => x.evseId)).toEqual(r.reports.map(() => 0));
    expect(r.reports.flatMap((x) => x.chargingProfile.map(norm))).toEqual([norm(max)]);
  });

  it("TC_K_32_CS: GetChargingProfiles by chargingProfileId reports that profile only, with the requestId (K09.FR.01/02)", async () => {
    const t = await station(runtime);
    const max = cp({ id: 321, purpose: "ChargingStationMaxProfile", kind: "Absolute", startSchedule: now(t) - 3600, periods: [[0, 40]] });
    setOk(t, 0, max);
    setOk(t, 1, cp({ id: 322, purpose: "TxDefaultProfile", periods: [[0, 16]] }));
    const r = await getProfiles(t, 3201, { chargingProfileId: [321] });
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, tbc: x.tbc, source: x.chargingLimitSource, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 0, tbc: false, source: "CSO", profiles: [norm(max)] }]);
  });

  it("TC_K_33_CS: GetChargingProfiles for EVSE 1 and a stackLevel reports that EVSE's profile at that level (K09.FR.04)", async () => {
    const t = await station(runtime);
    setOk(t, 0, cp({ id: 331, purpose: "ChargingStationMaxProfile", stackLevel: 2, kind: "Absolute", startSchedule: now(t) - 3600, periods: [[0, 40]] }));
    const mine = cp({ id: 332, purpose: "TxDefaultProfile", stackLevel: 2, periods: [[0, 16]] });
    setOk(t, 1, mine);
    setOk(t, 1, cp({ id: 333, purpose: "TxDefaultProfile", stackLevel: 1, periods: [[0, 12]] }));
    const r = await getProfiles(t, 3301, { stackLevel: 2 }, 1);
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 1, profiles: [norm(mine)] }]);
  });

  it("TC_K_34_CS: GetChargingProfiles for EVSE 1 by chargingLimitSource: CSO reports the CSMS's profile, a source with none: NoProfiles (K09.FR.04)", async () => {
    const t = await station(runtime);
    const mine = cp({ id: 341, purpose: "TxDefaultProfile", stackLevel: 1, periods: [[0, 16]] });
    setOk(t, 1, mine);
    const r = await getProfiles(t, 3401, { chargingLimitSource: ["CSO"] }, 1);
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, source: x.chargingLimitSource, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 1, source: "CSO", profiles: [norm(mine)] }]);
    const none = await getProfiles(t, 3402, { chargingLimitSource: ["EMS"] }, 1);
    expect(none).toEqual({ status: "NoProfiles", reports: [] });
  });

  it("TC_K_35_CS: GetChargingProfiles for EVSE 1 by purpose during a transaction (errata 6.2.70) reports that purpose's profile on that EVSE (K09.FR.04)", async () => {
    const t = await station(runtime);
    setOk(t, 0, cp({ id: 351, purpose: "ChargingStationMaxProfile", kind: "Absolute", startSchedule: now(t) - 3600, periods: [[0, 40]] }));
    const mine = cp({ id: 352, purpose: "TxDefaultProfile", periods: [[0, 16]] });
    setOk(t, 1, mine);
    const tx = await energyTransfer(t);
    setOk(t, 1, cp({ id: 353, purpose: "TxProfile", transactionId: tx, periods: [[0, 12]] }));
    const r = await getProfiles(t, 3501, { chargingProfilePurpose: "TxDefaultProfile" }, 1);
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 1, profiles: [norm(mine)] }]);
  });

  it("TC_K_36_CS: GetChargingProfiles for EVSE 1 by purpose and stackLevel reports the profile matching both (K09.FR.04)", async () => {
    const t = await station(runtime);
    setOk(t, 0, cp({ id: 361, purpose: "ChargingStationMaxProfile", stackLevel: 2, kind: "Absolute", startSchedule: now(t) - 3600, periods: [[0, 40]] }));
    const mine = cp({ id: 362, purpose: "TxDefaultProfile", stackLevel: 2, periods: [[0, 16]] });
    setOk(t, 1, mine);
    setOk(t, 1, cp({ id: 363, purpose: "TxDefaultProfile", stackLevel: 3, periods: [[0, 12]] }));
    const r = await getProfiles(t, 3601, { chargingProfilePurpose: "TxDefaultProfile", stackLevel: 2 }, 1);
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 1, profiles: [norm(mine)] }]);
  });

  it.each(UNITS)("TC_K_40_CS (%s): stacked TxDefaultProfiles: the higher stackLevel leads while it has a period (K01.FR.17), without a transaction as if one ran (K08.FR.06)", async (unit) => {
    const t = await station(runtime);
    // Errata 6.2.72: one startSchedule for both.
    const sst = now(t) - DEV;
    const valid = { validFrom: now(t) - DEV, validTo: now(t) + DEV + 401 };
    setOk(t, 1, cp({ id: 401, purpose: "TxDefaultProfile", kind: "Absolute", stackLevel: 0, ...valid, startSchedule: sst, duration: 400 + DEV, unit, periods: [[0, 6], [100, 8], [200, 10]] }));
    setOk(t, 1, cp({ id: 402, purpose: "TxDefaultProfile", kind: "Absolute", stackLevel: 1, ...valid, startSchedule: sst, duration: 150 + DEV, unit, periods: [[0, 7], [100, 9]] }));
    await advance(t, 5);
    const c = composite(t, 1, 350, unit);
    const x = c.start - sst;
    const m = mult(unit);
    expect(c.periods).toEqual([
      [0, 7 * m],
      [100 - x, 9 * m],
      [150 - x + DEV, 8 * m],
      [200 - x, 10 * m],
    ]);
  });

  it.each(UNITS)("TC_K_41_CS (%s): TxProfile, TxDefaultProfile and ChargingStationMaxProfile combined: the lowest of the leading ones (K08.FR.04, K02.FR.04, K02.FR.08)", async (unit) => {
    const t = await station(runtime);
    // Errata 6.2.75: a transaction runs (the TxProfile needs one).
    const tx = await energyTransfer(t);
    // Errata 6.2.73/6.2.74: one startSchedule for all three.
    const sst = now(t) - DEV;
    const valid = { validFrom: now(t) - DEV, validTo: now(t) + DEV + 401 };
    setOk(t, 0, cp({ id: 411, purpose: "ChargingStationMaxProfile", kind: "Absolute", stackLevel: 0, startSchedule: sst, duration: 86400, unit, periods: [[0, 10]] }));
    setOk(t, 1, cp({ id: 412, purpose: "TxDefaultProfile", kind: "Absolute", stackLevel: 0, ...valid, startSchedule: sst, duration: 300, unit, periods: [[0, 6], [60, 10], [120, 8], [180, 15], [260, 8]] }));
    setOk(t, 1, cp({ id: 413, purpose: "TxProfile", kind: "Absolute", stackLevel: 0, transactionId: tx, ...valid, startSchedule: sst, duration: 260, unit, periods: [[0, 8], [50, 11], [140, 16], [200, 6], [240, 12]] }));
    await advance(t, 5);
    const c = composite(t, 1, 400, unit);
    const x = c.start - sst;
    const m = mult(unit);
    expect(c.periods).toEqual([
      [0, 8 * m],
      [50 - x, 10 * m],
      [200 - x, 6 * m],
      [240 - x, 10 * m],
      [260 - x + DEV, 8 * m],
      [300 - x + DEV, 10 * m],
    ]);
    // The offer follows the composite (K02.FR.02): 8 A now.
    expect(evse(t).offerDa).toBe(80);
  });

  it("TC_K_60_CS: a TxProfile with the running transactionId is Accepted, applied to it (K01.FR.04) and reported as sent", async () => {
    const t = await station(runtime);
    const tx = await energyTransfer(t);
    const step1 = cp({ id: 601, purpose: "TxProfile", kind: "Relative", transactionId: tx, periods: [[0, 6]] });
    setOk(t, 1, step1);
    await advance(t, 1);
    expect(evse(t).offerDa).toBe(60);
    const r = await getProfiles(t, 6001, { chargingProfileId: [601] });
    expect(r.status).toBe("Accepted");
    expect(r.reports.map((x) => ({ evseId: x.evseId, profiles: x.chargingProfile.map(norm) }))).toEqual([{ evseId: 1, profiles: [norm(step1)] }]);
    await noEnded(t);
  });
});

// TC_K_52_CS needs an external system's limit: the smart-charging image plus the ems block (a local
// EMS over MQTT, test/ems-harness.ts).
describe.each(RUNTIMES)("Part 6 external charging limit on %s", (runtime) => {
  const stations: EmsStation[] = [];
  afterEach(async () => {
    for (const s of stations.splice(0)) await s.close();
  });

  it("TC_K_52_CS: an external limit (not on a transaction) is reported by GetChargingProfiles as a ChargingStationExternalConstraints profile (K12.FR.05)", async () => {
    const t = await emsStation(runtime);
    stations.push(t);
    await until(t, () => t.ems.lastMeter(STATION_ID) !== undefined, 20, "the EMS connection");
    await t.ems.publishLimit(STATION_ID, { limitA: 20 });
    const limit0 = () => ((call(t, "GetCompositeSchedule", { evseId: 0, duration: 60, chargingRateUnit: "A" }).schedule as { chargingSchedulePeriod: { limit: number }[] }).chargingSchedulePeriod[0].limit);
    await settleNet(t, () => limit0() === 20, "the external limit in force");
    await sent(t);
    const r = req(t, "GetChargingProfiles", { requestId: 5201, chargingProfile: { chargingProfilePurpose: "ChargingStationExternalConstraints" } });
    expect(r).toEqual({ status: "Accepted" });
    const reports = (await sent(t, "ReportChargingProfiles")).map((f) => f[3] as Report);
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.map((x) => x.requestId)).toEqual(reports.map(() => 5201));
    expect(reports.map((x) => x.tbc === true)).toEqual(reports.map((_, i) => i < reports.length - 1));
    const profiles = reports.flatMap((x) => x.chargingProfile);
    expect(profiles.length).toBeGreaterThan(0);
    expect(profiles.map((p) => p.chargingProfilePurpose)).toEqual(profiles.map(() => "ChargingStationExternalConstraints"));
  });
});

// TC_K_15_CS and TC_K_38_CS need a station that does NOT support smart charging: images without the
// smart-charging block. TC_K_15_CS on the core config itself (build/configs/core.json); TC_K_38_CS,
// which goes through a remote start to EnergyTransferStarted, on the core blocks with the real
// authorization (test/tx-auth-harness.ts: EVSE 1 32 A, EVSE 2 16 A). SmartChargingCtrlr.Enabled false
// on a station that has the block is another case (test/smart-charging.test.ts: Rejected, NotEnabled).
describe.each(RUNTIMES)("Part 6 smart charging test cases, station without smart charging, on %s", (runtime) => {
  it("TC_K_15_CS: SetChargingProfile is answered with CALLERROR NotSupported (K01.FR.29; Part 4 §4.3: the action is recognized but not supported); the other K actions likewise; the station goes on", async () => {
    const t = await bootAccepted(runtime, "core");
    // Step 1: the OCTT's SetChargingProfileRequest (TC_K_15_CSMS's request, errata 6.3.16: validFrom/validTo not required).
    const at = Date.parse(NOW_ISO) / 1000;
    const payload = { evseId: 1, chargingProfile: cp({ id: 151, purpose: "TxDefaultProfile", kind: "Absolute", startSchedule: at, duration: 3600, periods: [[0, 6]] }) };
    expect(schemaErrors("SetChargingProfileRequest", payload)).toEqual([]);
    const answer = t.csms.call("SetChargingProfile", payload);
    // Step 2: CALLERROR NotSupported, with the id of the CALL (Part 4: [4, id, errorCode, errorDescription, errorDetails]).
    expect(answer[0]).toBe(4);
    expect(answer[2]).toBe("NotSupported");
    expect(answer.length).toBe(5);
    // The rest of K01–K10 the same: recognized (OCPP 2.0.1 actions), not supported by this build.
    const others: [string, Json][] = [
      ["ClearChargingProfile", { chargingProfileId: 151 }],
      ["GetChargingProfiles", { requestId: 1501, chargingProfile: { chargingProfilePurpose: "TxDefaultProfile" } }],
      ["GetCompositeSchedule", { evseId: 1, duration: 300 }],
    ];
    for (const [action, p] of others) {
      expect(schemaErrors(`${action}Request`, p)).toEqual([]);
      expect(t.csms.call(action, p).slice(0, 3), action).toEqual([4, expect.any(String), "NotSupported"]);
    }
    // The connection and the station go on: a request it does support is answered.
    const hb = t.csms.call("GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "OfflineThreshold" } }] });
    expect(hb[0]).toBe(3);
  });

  it("TC_K_38_CS: RequestStartTransaction with a TxProfile: the profile is ignored (F01.FR.12), the start goes on: Accepted, Authorize, TransactionEvent RemoteStart with the remoteStartId, energy at the EVSE's rated current", async () => {
    const t = await txAuthStation(runtime);
    known(t, "TCK38TOKEN", "Accepted");
    // Reusable state EVConnectedPreSession (TxStartPoint PowerPathClosed: no transaction yet).
    plug(t, 1);
    await advance(t, 1);
    await sent(t);
    // Step 1.
    const payload = {
      idToken: { idToken: "TCK38TOKEN", type: "ISO14443" },
      remoteStartId: 3801,
      evseId: 1,
      chargingProfile: { id: 381, stackLevel: 0, chargingProfilePurpose: "TxProfile", chargingProfileKind: "Relative", chargingSchedule: [{ id: 381, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 6, numberPhases: PHASES }] }] },
    };
    // Step 2: Accepted; no transaction had started, so no transactionId.
    expect(req(t, "RequestStartTransaction", payload)).toEqual({ status: "Accepted" });
    await advance(t, 3);
    const calls = await sent(t);
    // Step 3 (AuthorizeRemoteStart true by default): an AuthorizeRequest with the token.
    expect(authorizeReqs(calls).map((a) => a.idToken)).toEqual([{ idToken: "TCK38TOKEN", type: "ISO14443" }]);
    // Step 5: triggerReason RemoteStart, transactionInfo.remoteStartId present.
    const l = tesOf(calls);
    expect(l.length).toBeGreaterThan(0);
    expect(l[0]).toMatchObject({ eventType: "Started", triggerReason: "RemoteStart", transactionInfo: { remoteStartId: 3801 }, idToken: { idToken: "TCK38TOKEN" } });
    // Step 7, EnergyTransferStarted; F01.FR.12: the 6 A of the ignored profile limit nothing.
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).offerDa).toBe(320);
    await advance(t, 5);
    expect(evse(t).ev.drawA).toBeGreaterThan(6);
    expect(tesOf(await sent(t)).filter((x) => x.eventType === "Ended")).toEqual([]);
  });
});
