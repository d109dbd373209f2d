// K01 SetChargingProfileRequest validation (profiles/smart-charging/profile-check.ts) on every runtime,
// through test/images/profile-check-probe.ts: one fixture per Part 2 K01 requirement (with the errata) or
// Part 6 TC_K_*_CS test case, the reasonCode and the replaced profile's index written out by hand.

import { beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { loadProbes, Probe } from "./probe";

let probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  probes = await loadProbes("profile-check-probe", () => import("./images/profile-check-probe"));
}, 120000);

const PURPOSE = { Max: "ChargingStationMaxProfile", Ext: "ChargingStationExternalConstraints", Default: "TxDefaultProfile", Tx: "TxProfile" };

/** A profile as the CSMS sends it; periods [startPeriod, limit, numberPhases?, phaseToUse?] (null: absent). */
interface P {
  id: number;
  purpose: keyof typeof PURPOSE;
  evse?: number; // 1 unless given
  stack?: number;
  kind?: "Absolute" | "Recurring" | "Relative"; // Absolute unless given
  rec?: "Daily" | "Weekly";
  validFrom?: string;
  validTo?: string;
  tx?: string;
  start?: string | null; // the window's start for Absolute and Recurring unless given; null: absent
  duration?: number;
  unit?: "A" | "W";
  periods?: (number | null)[][]; // [[0, 16]] unless given
  schedules?: number; // how many chargingSchedules, 1 unless given
}

interface Limits {
  evses: number;
  maxStackLevel: number;
  periodsPerSchedule: number;
  rateUnits: string;
  txIdOnEvse: string;
  maxEntries: number;
  now: number;
  phases: number;
}

// "Now", and input times relative to it (inputs only; expectations are literals).
const W0 = Date.UTC(2026, 10, 18, 10, 0, 0) / 1000;
const at = (s: number) => new Date((W0 + s) * 1000).toISOString().replace(".000Z", "Z");
const LIMITS: Limits = { evses: 2, maxStackLevel: 8, periodsPerSchedule: 24, rateUnits: "A,W", txIdOnEvse: "", maxEntries: 20, now: W0, phases: 3 };

function wire(p: P) {
  const kind = p.kind ?? "Absolute";
  const start = p.start === undefined ? (kind === "Relative" ? null : at(0)) : p.start;
  const schedule = (id: number) => ({
    id,
    chargingRateUnit: p.unit ?? "A",
    chargingSchedulePeriod: (p.periods ?? [[0, 16]]).map(([startPeriod, limit, numberPhases, phaseToUse]) => ({
      startPeriod,
      limit,
      ...(numberPhases !== undefined && numberPhases !== null ? { numberPhases } : {}),
      ...(phaseToUse !== undefined && phaseToUse !== null ? { phaseToUse } : {}),
    })),
    ...(start !== null ? { startSchedule: start } : {}),
    ...(p.duration !== undefined ? { duration: p.duration } : {}),
  });
  const profile: Record<string, unknown> = {
    id: p.id,
    stackLevel: p.stack ?? 0,
    chargingProfilePurpose: PURPOSE[p.purpose],
    chargingProfileKind: kind,
    chargingSchedule: Array.from({ length: p.schedules ?? 1 }, (_, i) => schedule(i + 1)),
    ...(p.rec !== undefined ? { recurrencyKind: p.rec } : {}),
    ...(p.validFrom !== undefined ? { validFrom: p.validFrom } : {}),
    ...(p.validTo !== undefined ? { validTo: p.validTo } : {}),
    ...(p.tx !== undefined ? { transactionId: p.tx } : {}),
  };
  return { evseId: p.evse ?? 1, chargingProfile: profile };
}

interface Case {
  cp: P;
  existing?: P[];
  limits?: Partial<Limits>;
}

function line(c: Case): string {
  return JSON.stringify({ ...wire(c.cp), existing: (c.existing ?? []).map(wire), limits: { ...LIMITS, ...c.limits } });
}

/** Installed: a TxDefaultProfile on EVSE 1 (id 1) and a ChargingStationMaxProfile (id 2), both at stack level 0. */
const BASE: P[] = [{ id: 1, purpose: "Default" }, { id: 2, purpose: "Max", evse: 0 }];
const TX = { txIdOnEvse: "TX1" };
/** 20 installed (ids 100-119): TxDefaultProfiles at stack levels 0-8 on EVSE 1 and 2, ChargingStationMaxProfiles at 0 and 1. */
const TWENTY = Array.from({ length: 20 }, (_, i): P => (i < 18 ? { id: 100 + i, purpose: "Default", stack: i % 9, evse: i < 9 ? 1 : 2 } : { id: 100 + i, purpose: "Max", stack: i - 18, evse: 0 }));

// [name, case, [reasonCode ("" accepted), index of the replaced profile (-1 none)]]
const FIXTURES: [string, Case, [string, number]][] = [
  // ---- accepted ----
  ["TC_K_01_CS TxDefaultProfile on a specific EVSE", { cp: { id: 7, purpose: "Default", stack: 1 }, existing: BASE }, ["", -1]],
  ["TC_K_10_CS TxDefaultProfile on evseId 0 (K01.FR.14)", { cp: { id: 7, purpose: "Default", evse: 0, stack: 1 }, existing: BASE }, ["", -1]],
  ["TC_K_03_CS ChargingStationMaxProfile on evseId 0", { cp: { id: 7, purpose: "Max", evse: 0, stack: 1 }, existing: BASE }, ["", -1]],
  [
    "TC_K_60_CS TxProfile, Relative, with the EVSE's transactionId and numberPhases 3",
    { cp: { id: 7, purpose: "Tx", kind: "Relative", tx: "TX1", periods: [[0, 6, 3]] }, existing: BASE, limits: TX },
    ["", -1],
  ],
  ["TC_K_04_CS / K01.FR.05 the same id replaces the installed profile", { cp: { id: 1, purpose: "Default", periods: [[0, 8]] }, existing: BASE }, ["", 0]],
  ["K01.FR.05 the same id replaces a profile of another purpose and EVSE", { cp: { id: 2, purpose: "Default", evse: 2 }, existing: BASE }, ["", 1]],
  ["TC_K_19_CS Recurring with recurrencyKind Daily", { cp: { id: 7, purpose: "Default", kind: "Recurring", rec: "Daily", stack: 2 }, existing: BASE }, ["", -1]],
  ["3.4 the stack level of a profile of another purpose (a TxProfile over the TxDefaultProfile, K02.FR.04)", { cp: { id: 7, purpose: "Tx", tx: "TX1" }, existing: BASE, limits: TX }, ["", -1]],
  [
    "K01.FR.06 the same stackLevel, purpose and EVSE valid right after the installed one (validTo is exclusive, K01.FR.37)",
    { cp: { id: 7, purpose: "Default", validFrom: at(3600) }, existing: [{ id: 1, purpose: "Default", validTo: at(3600) }] },
    ["", -1],
  ],
  [
    "K01.FR.06 the same stackLevel, purpose and EVSE as an expired profile: valid from now on",
    { cp: { id: 7, purpose: "Default" }, existing: [{ id: 1, purpose: "Default", validFrom: at(-7200), validTo: at(-60) }] },
    ["", -1],
  ],
  ["K01.FR.15 TxDefaultProfiles at the same stack level on EVSE 1 and EVSE 2", { cp: { id: 7, purpose: "Default", evse: 2 }, existing: BASE }, ["", -1]],
  [
    "K01.FR.39 a TxProfile at the stack level another transaction's TxProfile has",
    { cp: { id: 7, purpose: "Tx", tx: "TX1" }, existing: [{ id: 3, purpose: "Tx", evse: 2, tx: "TX2" }], limits: TX },
    ["", -1],
  ],
  ["K01.FR.03 a TxProfile without transactionId: the EVSE's transaction (K05)", { cp: { id: 7, purpose: "Tx", kind: "Relative" }, existing: BASE, limits: TX }, ["", -1]],
  ["K01.FR.48 phaseToUse with numberPhases 1: this station cannot switch phases (no ACPhaseSwitchingSupported)", { cp: { id: 7, purpose: "Default", stack: 1, periods: [[0, 16, 1, 2]] }, existing: BASE }, ["InvalidSchedule", -1]],
  ["K01.FR.26 W when RateUnit is W only", { cp: { id: 7, purpose: "Default", unit: "W", periods: [[0, 11000, 3]] }, limits: { rateUnits: "W" } }, ["", -1]],
  [
    "2.12 PeriodsPerSchedule periods exactly, increasing (K01.FR.35), with a duration",
    { cp: { id: 7, purpose: "Default", duration: 86400, periods: [[0, 6], [60, 10], [120, 8]] }, limits: { periodsPerSchedule: 3 } },
    ["", -1],
  ],
  ["2.9.4 stackLevel at ProfileStackLevel", { cp: { id: 7, purpose: "Default", stack: 8 }, existing: BASE }, ["", -1]],
  ["2.9.10 Entries full: a replacement takes the old one's room", { cp: { id: 105, purpose: "Default", stack: 5 }, existing: TWENTY }, ["", 5]],

  // ---- rejected ----
  ["TC_K_14_CS evseId EVSECount + 1 (K01.FR.28)", { cp: { id: 7, purpose: "Default", evse: 3 }, existing: BASE }, ["UnknownEvse", -1]],
  ["K01.FR.28 a negative evseId", { cp: { id: 7, purpose: "Default", evse: -1 } }, ["UnknownEvse", -1]],
  ["K01.FR.22 ChargingStationExternalConstraints from the CSMS", { cp: { id: 7, purpose: "Ext", evse: 0 } }, ["InvalidProfile", -1]],
  ["K04.FR.03 a ChargingStationMaxProfile on EVSE 1", { cp: { id: 7, purpose: "Max", evse: 1 } }, ["InvalidValue", -1]],
  ["TC_K_11_CS TxProfile on evseId 0 (K01.FR.16)", { cp: { id: 7, purpose: "Tx", evse: 0, tx: "TX1" }, limits: TX }, ["InvalidValue", -1]],
  ["TC_K_02_CS TxProfile without a transaction on the EVSE (K01.FR.09)", { cp: { id: 7, purpose: "Tx", tx: "UNKNOWN-TRANSACTION-ID" } }, ["TxNotFound", -1]],
  ["K01.FR.09 TxProfile without transactionId and without a transaction", { cp: { id: 7, purpose: "Tx", kind: "Relative" } }, ["TxNotFound", -1]],
  ["TC_K_16_CS unknown transactionId during a transaction (K01.FR.33)", { cp: { id: 7, purpose: "Tx", tx: "UNKNOWN-TRANSACTION-ID" }, limits: TX }, ["TxNotFound", -1]],
  ["2.10 a transactionId in a TxDefaultProfile", { cp: { id: 7, purpose: "Default", tx: "TX1" }, limits: TX }, ["InvalidProfile", -1]],
  ["2.9.4 stackLevel above ProfileStackLevel", { cp: { id: 7, purpose: "Default", stack: 9 } }, ["InvalidStackLevel", -1]],
  ["2.10 a negative stackLevel", { cp: { id: 7, purpose: "Default", stack: -1 } }, ["InvalidStackLevel", -1]],
  ["K01.FR.38 a Relative ChargingStationMaxProfile", { cp: { id: 7, purpose: "Max", evse: 0, kind: "Relative" } }, ["InvalidProfile", -1]],
  ["TC_K_19_CS / 3.3 Recurring without recurrencyKind", { cp: { id: 7, purpose: "Default", kind: "Recurring" } }, ["InvalidProfile", -1]],
  ["K01.FR.36/37 validFrom = validTo: never valid", { cp: { id: 7, purpose: "Default", validFrom: at(600), validTo: at(600) } }, ["InvalidProfile", -1]],
  ["K01.FR.36/37 validTo before validFrom", { cp: { id: 7, purpose: "Default", validFrom: at(600), validTo: at(0) } }, ["InvalidProfile", -1]],
  ["K01.FR.34 two chargingSchedules without ISO 15118", { cp: { id: 7, purpose: "Tx", tx: "TX1", schedules: 2 }, limits: TX }, ["TooManyElements", -1]],
  ["2.12 more periods than PeriodsPerSchedule", { cp: { id: 7, purpose: "Default", periods: [[0, 6], [60, 10], [120, 8], [180, 6]] }, limits: { periodsPerSchedule: 3 } }, ["TooManyElements", -1]],
  ["TC_K_12_CS W when RateUnit is A only (K01.FR.26)", { cp: { id: 7, purpose: "Default", unit: "W", periods: [[0, 11000]] }, limits: { rateUnits: "A" } }, ["UnsupportedRateUnit", -1]],
  ["K01.FR.40 Absolute without startSchedule", { cp: { id: 7, purpose: "Default", start: null } }, ["InvalidSchedule", -1]],
  ["K01.FR.40 Recurring without startSchedule", { cp: { id: 7, purpose: "Default", kind: "Recurring", rec: "Weekly", start: null } }, ["InvalidSchedule", -1]],
  ["K01.FR.41 Relative with a startSchedule", { cp: { id: 7, purpose: "Tx", kind: "Relative", start: at(0) }, limits: TX }, ["InvalidSchedule", -1]],
  ["K01.FR.31 the first startPeriod is not 0", { cp: { id: 7, purpose: "Default", periods: [[60, 16]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.35 two periods starting at the same time", { cp: { id: 7, purpose: "Default", periods: [[0, 6], [100, 10], [100, 8]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.35 periods out of order", { cp: { id: 7, purpose: "Default", periods: [[0, 6], [200, 10], [100, 8]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.43 numberPhases 1 on a three-phase EVSE: this station cannot switch to one phase, so it cannot ensure it", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 1]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.43 numberPhases 1 on a one-phase EVSE", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 1]] }, limits: { phases: 1 } }, ["", -1]],
  ["K01.FR.43 numberPhases 3 on a one-phase EVSE: no more than 3 are used", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 3]] }, limits: { phases: 1 } }, ["", -1]],
  ["K01.FR.43 numberPhases 2", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 3], [60, 10, 2]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.43 numberPhases 0", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 0]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.43 numberPhases 4", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 4]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.19 phaseToUse with numberPhases 3", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 3, 1]] } }, ["InvalidSchedule", -1]],
  ["K01.FR.19 phaseToUse without numberPhases (3, K01.FR.49)", { cp: { id: 7, purpose: "Default", periods: [[0, 6, null, 1]] } }, ["InvalidSchedule", -1]],
  ["2.11 phaseToUse 4", { cp: { id: 7, purpose: "Default", periods: [[0, 6, 1, 4]] } }, ["InvalidSchedule", -1]],
  ["2.12 a negative duration", { cp: { id: 7, purpose: "Default", duration: -1 } }, ["InvalidSchedule", -1]],
  [
    "K01.FR.05 (errata 2.38) the id of an installed ChargingStationExternalConstraints",
    { cp: { id: 3, purpose: "Max", evse: 0, stack: 1 }, existing: [...BASE, { id: 3, purpose: "Ext", evse: 0 }] },
    ["InvalidProfile", 2],
  ],
  ["K01.FR.06 (errata 2.39) the stackLevel, purpose and EVSE of another id, both always valid", { cp: { id: 7, purpose: "Default" }, existing: BASE }, ["DuplicateProfile", -1]],
  [
    "K01.FR.06 validity overlapping by one second",
    { cp: { id: 7, purpose: "Default", validFrom: at(3599), validTo: at(7200) }, existing: [{ id: 1, purpose: "Default", validFrom: at(-60), validTo: at(3600) }] },
    ["DuplicateProfile", -1],
  ],
  [
    "K01.FR.06 a ChargingStationMaxProfile at the stack level of the installed one, later but open-ended",
    { cp: { id: 7, purpose: "Max", evse: 0, validFrom: at(86400) }, existing: BASE },
    ["DuplicateProfile", -1],
  ],
  ["K01.FR.52 TxDefaultProfile on EVSE #0 at the stack level of EVSE 1's", { cp: { id: 7, purpose: "Default", evse: 0 }, existing: BASE }, ["DuplicateProfile", -1]],
  [
    "K01.FR.53 TxDefaultProfile on EVSE 2 at the stack level of EVSE #0's, validity apart",
    { cp: { id: 7, purpose: "Default", evse: 2, validFrom: at(3600) }, existing: [{ id: 1, purpose: "Default", evse: 0, validTo: at(60) }] },
    ["DuplicateProfile", -1],
  ],
  [
    "K01.FR.39 (errata 2.39) a TxProfile at the stack level of the transaction's TxProfile with another id",
    { cp: { id: 7, purpose: "Tx", tx: "TX1", stack: 2 }, existing: [...BASE, { id: 3, purpose: "Tx", tx: "TX1", stack: 2 }], limits: TX },
    ["DuplicateProfile", -1],
  ],
  [
    "K01.FR.39 a TxProfile at the stack level of the one RequestStartTransaction gave (K05, no transactionId)",
    { cp: { id: 7, purpose: "Tx", tx: "TX1", kind: "Relative" }, existing: [{ id: 3, purpose: "Tx", kind: "Relative" }], limits: TX },
    ["DuplicateProfile", -1],
  ],
  ["2.9.10 Entries full: a new id", { cp: { id: 7, purpose: "Max", evse: 0, stack: 2 }, existing: TWENTY }, ["OutOfStorage", -1]],
  ["a startSchedule past 2038-01-19T03:14:07Z cannot be held", { cp: { id: 7, purpose: "Default", start: "2038-01-19T03:14:08Z" } }, ["InvalidProfile", -1]],
];

describe.each(RUNTIMES)("K01 SetChargingProfile validation on %s", (runtime) => {
  it.each(FIXTURES)("%s", (_name, c, [reason, replaced]) => {
    expect(JSON.parse(probes[runtime]!(line(c)))).toEqual({ reason, replaces: replaced });
  });
});
