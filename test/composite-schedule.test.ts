// K08 composite schedule (profiles/smart-charging/composite-schedule.ts) on every runtime, through
// test/images/schedule-probe.ts: fixtures from Part 2 K01/K02/K08 and the Part 6 TC_K_*_CS test cases
// (with the errata), each with its expected periods written out by hand.

import { beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { loadProbes, Probe } from "./probe";

let probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  probes = await loadProbes("schedule-probe", () => import("./images/schedule-probe"));
}, 120000);

const PURPOSE = { Max: "ChargingStationMaxProfile", Ext: "ChargingStationExternalConstraints", Default: "TxDefaultProfile", Tx: "TxProfile" };

/** A profile as the CSMS would send it; periods [startPeriod, limit, numberPhases?]. */
interface P {
  purpose: keyof typeof PURPOSE;
  evse?: number; // 1 unless given
  stack?: number;
  kind?: "Absolute" | "Recurring" | "Relative"; // Absolute unless given
  rec?: "Daily" | "Weekly";
  validFrom?: string;
  validTo?: string;
  tx?: string;
  start?: string;
  duration?: number;
  unit?: "A" | "W";
  periods: number[][];
}

/** A GetCompositeSchedule as the probe takes it: EVSE 1, A, 3 phases, 230 V, 32 A hardware, 16 periods unless given. */
interface Case {
  profiles: P[];
  from: string;
  duration: number;
  evseId?: number;
  txStart?: string;
  txId?: string;
  unit?: "A" | "W";
  phases?: number;
  hw?: number;
  max?: number;
}

// The window most fixtures start at, and input times relative to it (inputs only; expectations are literals).
const W0 = Date.UTC(2026, 10, 18, 10, 0, 0) / 1000;
const at = (s: number) => new Date((W0 + s) * 1000).toISOString().replace(".000Z", "Z");
const FROM = at(0);

function wire(p: P, i: number) {
  const profile: Record<string, unknown> = {
    id: i + 1,
    stackLevel: p.stack ?? 0,
    chargingProfilePurpose: PURPOSE[p.purpose],
    chargingProfileKind: p.kind ?? "Absolute",
    chargingSchedule: [
      {
        id: 1,
        chargingRateUnit: p.unit ?? "A",
        chargingSchedulePeriod: p.periods.map(([startPeriod, limit, numberPhases]) => (numberPhases === undefined ? { startPeriod, limit } : { startPeriod, limit, numberPhases })),
        ...(p.start !== undefined ? { startSchedule: p.start } : (p.kind ?? "Absolute") === "Relative" ? {} : { startSchedule: FROM }),
        ...(p.duration !== undefined ? { duration: p.duration } : {}),
      },
    ],
    ...(p.rec !== undefined ? { recurrencyKind: p.rec } : {}),
    ...(p.validFrom !== undefined ? { validFrom: p.validFrom } : {}),
    ...(p.validTo !== undefined ? { validTo: p.validTo } : {}),
    ...(p.tx !== undefined ? { transactionId: p.tx } : {}),
  };
  return { evseId: p.evse ?? 1, chargingProfile: profile };
}

function line(c: Case): string {
  return JSON.stringify({
    profiles: c.profiles.map(wire),
    evseId: c.evseId ?? 1,
    ...(c.txStart !== undefined ? { txStart: c.txStart } : {}),
    txId: c.txId ?? "",
    from: c.from,
    duration: c.duration,
    unit: c.unit ?? "A",
    phases: c.phases ?? 3,
    voltage: 230,
    hw: c.hw ?? 320,
    max: c.max ?? 16,
  });
}

// TC_K_41_CS (errata 6.2.73/6.2.74) with x = 0: every startSchedule is the window's start.
const K41: P[] = [
  { purpose: "Max", evse: 0, duration: 86400, periods: [[0, 10, 3]] },
  { purpose: "Default", validFrom: at(-5), validTo: at(406), duration: 300, periods: [[0, 6, 3], [60, 10, 3], [120, 8, 3], [180, 15, 3], [260, 8, 3]] },
  { purpose: "Tx", tx: "TX41", validFrom: at(-5), validTo: at(406), duration: 260, periods: [[0, 8, 3], [50, 11, 3], [140, 16, 3], [200, 6, 3], [240, 12, 3]] },
];

// Part 2 §3.6: a daily TxDefaultProfile, 11 kW, 6 kW from 08:00, 11 kW from 20:00 (its startSchedule with seconds).
const DAILY_36: P = {
  purpose: "Default", evse: 0, kind: "Recurring", rec: "Daily", start: "2013-01-01T00:00:00Z", duration: 86400, unit: "W",
  periods: [[0, 11000, 3], [28800, 6000, 3], [72000, 11000, 3]],
};

const FIXTURES: [string, Case, number[][]][] = [
  ["TC_K_39_CS no profile installed: evseId 0 gets the hardware limit only", { profiles: [], evseId: 0, from: FROM, duration: 300 }, [[0, 320, -1]]],
  ["TC_K_39_CS no profile installed, in W: 32 A x 230 V x 3 phases", { profiles: [], evseId: 0, from: FROM, duration: 300, unit: "W" }, [[0, 22080, -1]]],
  [
    "TC_K_40_CS stacking TxDefaultProfiles (errata 6.2.72/6.2.74, startSchedule 5 s before)",
    {
      profiles: [
        { purpose: "Default", stack: 0, validFrom: at(-5), validTo: at(406), start: at(-5), duration: 405, periods: [[0, 6, 3], [100, 8, 3], [200, 10, 3]] },
        { purpose: "Default", stack: 1, validFrom: at(-5), validTo: at(406), start: at(-5), duration: 155, periods: [[0, 7, 3], [100, 9, 3]] },
      ],
      from: FROM, duration: 350,
    },
    [[0, 70, 3], [95, 90, 3], [150, 80, 3], [195, 100, 3]],
  ],
  [
    "TC_K_41_CS combining purposes: TxProfile, then TxDefaultProfile, then ChargingStationMaxProfile (K02.FR.08)",
    { profiles: K41, from: FROM, duration: 400, txId: "TX41", txStart: at(-30) },
    [[0, 80, 3], [50, 100, 3], [200, 60, 3], [240, 100, 3], [260, 80, 3], [300, 100, 3]],
  ],
  [
    "K08.FR.06 TC_K_41_CS profiles without a transaction: the TxDefaultProfile under the ChargingStationMaxProfile",
    { profiles: K41, from: FROM, duration: 400 },
    [[0, 60, 3], [60, 100, 3], [120, 80, 3], [180, 100, 3], [260, 80, 3], [300, 100, 3]],
  ],
  [
    "K01.FR.04 a TxProfile of another transaction does not apply",
    { profiles: K41, from: FROM, duration: 400, txId: "TX99", txStart: at(-30) },
    [[0, 60, 3], [60, 100, 3], [120, 80, 3], [180, 100, 3], [260, 80, 3], [300, 100, 3]],
  ],
  [
    "K02.FR.04 a TxProfile overrules a TxDefaultProfile of a higher stack level, even above it",
    {
      profiles: [
        { purpose: "Default", stack: 5, periods: [[0, 8]] },
        { purpose: "Tx", stack: 0, tx: "T1", kind: "Relative", periods: [[0, 16]] },
      ],
      from: FROM, duration: 300, txId: "T1", txStart: at(-60),
    },
    [[0, 160, -1]],
  ],
  [
    "K05.FR.03 a TxProfile without transactionId (RequestStartTransaction) is the EVSE's transaction's, relative to its start",
    { profiles: [{ purpose: "Tx", kind: "Relative", periods: [[0, 6], [120, 10]] }], from: FROM, duration: 300, txId: "T1", txStart: at(-60) },
    [[0, 60, -1], [60, 100, -1]],
  ],
  [
    "TC_K_22_CS validTo cuts a station-wide TxDefaultProfile in the middle of the window",
    { profiles: [{ purpose: "Default", evse: 0, validFrom: at(-5), validTo: at(300), periods: [[0, 6, 3]] }], from: FROM, duration: 400 },
    [[0, 60, 3], [300, 320, -1]],
  ],
  [
    "TC_K_21_CS validFrom: a Relative TxDefaultProfile takes effect 300 s on",
    { profiles: [{ purpose: "Default", kind: "Relative", validFrom: at(300), periods: [[0, 6, 3]] }], from: FROM, duration: 400 },
    [[0, 320, -1], [300, 60, 3]],
  ],
  [
    "TC_K_23_CS startSchedule after validFrom and the window's start (K01.FR.30)",
    { profiles: [{ purpose: "Default", validFrom: at(45), validTo: at(405), start: at(55), periods: [[0, 6, 3]] }], from: FROM, duration: 300 },
    [[0, 320, -1], [55, 60, 3]],
  ],
  [
    "TC_K_28_CS TxDefaultProfile set during a transaction: its duration ends it",
    { profiles: [{ purpose: "Default", validFrom: at(-5), validTo: at(305), start: at(-5), duration: 300, periods: [[0, 6, 3]] }], from: FROM, duration: 300, txId: "TX28", txStart: at(-100) },
    [[0, 60, 3], [295, 320, -1]],
  ],
  [
    "K01.FR.11 a period starting at the schedule's duration never runs",
    { profiles: [{ purpose: "Default", duration: 300, periods: [[0, 6], [300, 10]] }], from: FROM, duration: 400 },
    [[0, 60, -1], [300, 320, -1]],
  ],
  [
    "K01.FR.15/K01.FR.17 the EVSE's own TxDefaultProfile at a higher stack level, over the station-wide one until its duration ends",
    {
      profiles: [
        { purpose: "Default", evse: 0, stack: 0, periods: [[0, 16]] },
        { purpose: "Default", evse: 1, stack: 1, duration: 100, periods: [[0, 10]] },
      ],
      from: FROM, duration: 300,
    },
    [[0, 100, -1], [100, 160, -1]],
  ],
  [
    "K01.FR.14 the station-wide TxDefaultProfile on EVSE 2 (EVSE 1's own does not apply there)",
    {
      profiles: [
        { purpose: "Default", evse: 0, stack: 0, periods: [[0, 16]] },
        { purpose: "Default", evse: 1, stack: 1, duration: 100, periods: [[0, 10]] },
      ],
      from: FROM, duration: 300, evseId: 2,
    },
    [[0, 160, -1]],
  ],
  [
    "K01.FR.52/53 the same stack level on EVSE #0 and on the EVSE (refused by the validation): the EVSE's own leads",
    {
      profiles: [
        { purpose: "Default", evse: 1, stack: 1, periods: [[0, 10]] },
        { purpose: "Default", evse: 0, stack: 1, periods: [[0, 16]] },
      ],
      from: FROM, duration: 300,
    },
    [[0, 100, -1]],
  ],
  [
    "K04.FR.05 a ChargingStationMaxProfile from 100 s on caps the TxDefaultProfile",
    {
      profiles: [
        { purpose: "Max", evse: 0, start: at(100), periods: [[0, 10]] },
        { purpose: "Default", periods: [[0, 16]] },
      ],
      from: FROM, duration: 300,
    },
    [[0, 160, -1], [100, 100, -1]],
  ],
  [
    "K08.FR.04 ChargingStationExternalConstraints (K12.FR.05) on the EVSE cap it for 200 s, under a higher ChargingStationMaxProfile",
    {
      profiles: [
        { purpose: "Ext", evse: 1, duration: 200, periods: [[0, 12]] },
        { purpose: "Default", periods: [[0, 16]] },
        { purpose: "Max", evse: 0, periods: [[0, 20]] },
      ],
      from: FROM, duration: 300,
    },
    [[0, 120, -1], [200, 160, -1]],
  ],
  [
    "K08.FR.03 evseId 0: the station's ChargingStationMaxProfile and ExternalConstraints only, under the grid connection",
    {
      profiles: [
        { purpose: "Max", evse: 0, periods: [[0, 100]] },
        { purpose: "Ext", evse: 0, start: at(60), duration: 120, periods: [[0, 80]] },
        { purpose: "Ext", evse: 1, periods: [[0, 50]] },
        { purpose: "Default", evse: 0, periods: [[0, 6]] },
      ],
      from: FROM, duration: 300, evseId: 0, hw: 1250,
    },
    [[0, 1000, -1], [60, 800, -1], [180, 1000, -1]],
  ],
  [
    "SC.01 the hardware limit caps every profile",
    {
      profiles: [
        { purpose: "Default", periods: [[0, 40, 3]] },
        { purpose: "Max", evse: 0, periods: [[0, 63, 3]] },
      ],
      from: FROM, duration: 300,
    },
    [[0, 320, 3]],
  ],
  [
    "Part 2 §3.6 daily 6 kW 08:00-20:00, 11 kW else, across midnight: the 11 kW periods merge",
    { profiles: [DAILY_36], from: "2026-11-18T19:00:00Z", duration: 50400, unit: "W" },
    [[0, 6000, 3], [3600, 11000, 3], [46800, 6000, 3]],
  ],
  [
    "K01.FR.50 W to A on 3 phases: the §3.6 profile in A (60000 / 690 = 86.9 dA, rounded down)",
    { profiles: [DAILY_36], from: "2026-11-18T19:00:00Z", duration: 50400 },
    [[0, 86, 3], [3600, 159, 3], [46800, 86, 3]],
  ],
  [
    "K01.FR.50 W to A on 1 phase: 3680 W is 16 A",
    { profiles: [{ purpose: "Default", unit: "W", periods: [[0, 3680, 1]] }], from: FROM, duration: 300 },
    [[0, 160, 1]],
  ],
  [
    "K01.FR.49/50 (errata 2.40): numberPhases absent is 3 phases, even on a one-phase EVSE: 5000 W is 7.2 A",
    { profiles: [{ purpose: "Default", unit: "W", periods: [[0, 5000]] }], from: FROM, duration: 300, phases: 1 },
    [[0, 72, -1]],
  ],
  [
    "A to W on 1 phase: 16.5 A is 3795 W",
    { profiles: [{ purpose: "Default", periods: [[0, 16.5, 1]] }], from: FROM, duration: 300, unit: "W" },
    [[0, 3795, 1]],
  ],
  [
    "A to W on the EVSE's 3 phases when numberPhases is absent: 16 A is 11040 W",
    { profiles: [{ purpose: "Default", periods: [[0, 16]] }], from: FROM, duration: 300, unit: "W" },
    [[0, 11040, -1]],
  ],
  [
    "errata 2.36 numberPhases is the lowest the profiles give: a 3-phase ChargingStationMaxProfile over a 1-phase TxDefaultProfile, in W",
    {
      profiles: [
        { purpose: "Max", evse: 0, periods: [[0, 32, 3]] },
        { purpose: "Default", periods: [[0, 16, 1]] },
      ],
      from: FROM, duration: 300, unit: "W",
    },
    [[0, 3680, 1]],
  ],
  [
    "decimal limits: 16.5 A, 0.7 A and 8.1 A are 165, 7 and 81 dA",
    { profiles: [{ purpose: "Default", periods: [[0, 16.5], [60, 0.7], [120, 8.1]] }], from: FROM, duration: 180 },
    [[0, 165, -1], [60, 7, -1], [120, 81, -1]],
  ],
  [
    "Daily recurring wraps across midnight: 22:00-02:00 every day, from 23:30",
    { profiles: [{ purpose: "Default", kind: "Recurring", rec: "Daily", start: "2026-01-01T22:00:00Z", duration: 14400, periods: [[0, 10]] }], from: "2026-11-18T23:30:00Z", duration: 14400 },
    [[0, 100, -1], [9000, 320, -1]],
  ],
  [
    "Weekly recurring wraps across the week: Monday to Friday since 2020, from a Sunday 22:00",
    { profiles: [{ purpose: "Default", kind: "Recurring", rec: "Weekly", start: "2020-01-06T00:00:00Z", duration: 432000, periods: [[0, 10]] }], from: "2026-11-22T22:00:00Z", duration: 14400 },
    [[0, 320, -1], [7200, 100, -1]],
  ],
  [
    "Part 2 §3.6.1 stacked exceptions: the weekly Sunday profile overrules the daily 17:00-20:00 2 kW; Christmas 2020 is over",
    {
      profiles: [
        { purpose: "Default", stack: 1, kind: "Recurring", rec: "Daily", start: "2020-01-09T17:00:00", duration: 10800, unit: "W", periods: [[0, 2000]] },
        { purpose: "Default", stack: 2, kind: "Recurring", rec: "Weekly", start: "2020-01-05T00:00:00", duration: 86400, unit: "W", periods: [[0, 999999]] },
        { purpose: "Default", stack: 3, validFrom: "2020-01-01T00:00:00", validTo: "2021-01-01T00:00:00", start: "2020-12-25T00:00:00", duration: 86400, unit: "W", periods: [[0, 999999]] },
      ],
      from: "2026-11-21T16:00:00Z", duration: 115200, unit: "W",
    },
    [[0, 22080, -1], [3600, 2000, -1], [14400, 22080, -1]],
  ],
  [
    "epochs near 2^31: a window past 2038-01-19T03:14:07Z, where a period starts and validTo cuts",
    { profiles: [{ purpose: "Default", start: "2038-01-19T03:00:00Z", validTo: "2038-01-19T03:14:07Z", periods: [[0, 10], [800, 16]] }], from: "2038-01-19T03:12:27Z", duration: 300 },
    [[0, 100, -1], [53, 160, -1], [100, 320, -1]],
  ],
  [
    "Daily recurring since 1970 at 2038-01-19T03:14:00Z: 2^31 - 7 s after its start, a period at 03:14:07",
    { profiles: [{ purpose: "Default", kind: "Recurring", rec: "Daily", start: "1970-01-01T00:00:00Z", periods: [[0, 6], [11647, 10]] }], from: "2038-01-19T03:14:00Z", duration: 60 },
    [[0, 60, -1], [7, 100, -1]],
  ],
  [
    "the last minute of a day (2026-11-18T23:58:56Z, 1795046336 s after a 1970 start: as a single float the next midnight): daily 23:59 and midnight",
    { profiles: [{ purpose: "Default", kind: "Recurring", rec: "Daily", start: "1970-01-01T00:00:00Z", duration: 86400, periods: [[0, 6], [86340, 10]] }], from: "2026-11-18T23:58:56Z", duration: 120 },
    [[0, 60, -1], [4, 100, -1], [64, 60, -1]],
  ],
  [
    "K01.FR.30 a Recurring profile before its startSchedule: nothing until it starts",
    { profiles: [{ purpose: "Default", kind: "Recurring", rec: "Daily", start: at(600), periods: [[0, 10]] }], from: FROM, duration: 900 },
    [[0, 320, -1], [600, 100, -1]],
  ],
  [
    "K08.FR.06 a Relative TxDefaultProfile without a transaction starts with the window",
    { profiles: [{ purpose: "Default", kind: "Relative", periods: [[0, 6], [600, 16]] }], from: FROM, duration: 900 },
    [[0, 60, -1], [600, 160, -1]],
  ],
  [
    "K01.FR.41 a Relative TxDefaultProfile with a transaction starts with the transaction",
    { profiles: [{ purpose: "Default", kind: "Relative", periods: [[0, 6], [600, 16]] }], from: FROM, duration: 900, txId: "T1", txStart: at(-300) },
    [[0, 60, -1], [300, 160, -1]],
  ],
  [
    "equal adjacent periods merge: two equal periods of one schedule, then two that the ChargingStationMaxProfile makes equal",
    {
      profiles: [
        { purpose: "Default", periods: [[0, 10], [100, 10], [200, 14], [300, 12]] },
        { purpose: "Max", evse: 0, periods: [[0, 12]] },
      ],
      from: FROM, duration: 400,
    },
    [[0, 100, -1], [200, 120, -1]],
  ],
  [
    "the output bound: the last of 2 periods takes the lowest limit of the rest of the window",
    { profiles: [{ purpose: "Default", periods: [[0, 10], [60, 12], [120, 8], [180, 14], [240, 16]] }], from: FROM, duration: 300, max: 2 },
    [[0, 100, -1], [60, 80, -1]],
  ],
  [
    "the output bound of 1: one period at the lowest limit of the window",
    { profiles: [{ purpose: "Default", periods: [[0, 10], [60, 12], [120, 8], [180, 14], [240, 16]] }], from: FROM, duration: 300, max: 1 },
    [[0, 80, -1]],
  ],
];

describe.each(RUNTIMES)("K08 composite schedule on %s", (runtime) => {
  it.each(FIXTURES)("%s", (_name, c, expected) => {
    expect(JSON.parse(probes[runtime]!(line(c)))).toEqual(expected);
  });

  it("converts a ChargingProfileType: 16.5 A is 165 dA, 0.7 A 7 dA, W rounded down, negative 0, times as epochs", () => {
    const a = {
      id: 7, stackLevel: 2, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Recurring", recurrencyKind: "Daily",
      validFrom: "2026-11-18T10:00:00Z",
      chargingSchedule: [{ id: 1, startSchedule: "2026-11-18T00:00:00+01:00", duration: 86400, chargingRateUnit: "A", minChargingRate: 6.1, chargingSchedulePeriod: [{ startPeriod: 0, limit: 16.5, numberPhases: 3 }, { startPeriod: 3600, limit: 0.7 }] }],
    };
    expect(JSON.parse(probes[runtime]!(JSON.stringify({ evseId: 2, chargingProfile: a })))).toEqual({
      id: 7, stackLevel: 2, purpose: 2, evseId: 2, kind: "Recurring", recurrency: "Daily", validFrom: 1794996000, validTo: -1, transactionId: "",
      startSchedule: 1794956400, duration: 86400, rateUnit: "A", minChargingRate: 61, periods: [0, 165, 3, 3600, 7, -1], scheduleId: 1,
    });
    const w = {
      id: 8, stackLevel: 0, chargingProfilePurpose: "ChargingStationMaxProfile", chargingProfileKind: "Absolute", validTo: "2038-01-19T03:14:07Z", transactionId: "x",
      chargingSchedule: [{ id: 1, startSchedule: "2026-11-18T23:58:56Z", chargingRateUnit: "W", chargingSchedulePeriod: [{ startPeriod: 0, limit: 11000.7, numberPhases: 1 }, { startPeriod: 60, limit: -5, numberPhases: 4 }, { startPeriod: 120, limit: 1e12 }] }],
    };
    expect(JSON.parse(probes[runtime]!(JSON.stringify({ evseId: 0, chargingProfile: w })))).toEqual({
      id: 8, stackLevel: 0, purpose: 0, evseId: 0, kind: "Absolute", recurrency: "", validFrom: -1, validTo: 2147483647, transactionId: "x",
      startSchedule: 1795046336, duration: -1, rateUnit: "W", minChargingRate: -1, periods: [0, 11000, 1, 60, 0, -1, 120, 200000000, -1], scheduleId: 1,
    });
  });

  it("refuses a ChargingProfileType it cannot read, without crashing", () => {
    const good = { id: 1, stackLevel: 0, chargingProfilePurpose: "TxProfile", chargingProfileKind: "Relative", chargingSchedule: [{ id: 1, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] }] };
    const sched = good.chargingSchedule[0];
    const bad: unknown[] = [
      { ...good, chargingProfilePurpose: "TxDefault" },
      { ...good, chargingSchedule: [] },
      { ...good, chargingSchedule: undefined },
      { ...good, chargingSchedule: [{ ...sched, chargingRateUnit: "kW" }] },
      { ...good, chargingSchedule: [{ ...sched, chargingSchedulePeriod: [{ startPeriod: 0 }] }] },
      { ...good, chargingSchedule: [{ ...sched, chargingSchedulePeriod: [{ startPeriod: "0", limit: 6 }] }] },
      { ...good, chargingSchedule: [{ ...sched, chargingSchedulePeriod: [7] }] },
      { ...good, chargingSchedule: [{ ...sched, startSchedule: "2026-02-30T00:00:00Z" }] },
      { ...good, validFrom: "2038-01-19T03:14:08Z" },
      { ...good, validTo: "2038-13-19T03:14:08Z" },
      { ...good, stackLevel: "0" },
    ];
    expect(JSON.parse(probes[runtime]!(JSON.stringify({ evseId: 1, chargingProfile: good })))).not.toBeNull();
    for (const cp of bad) expect(probes[runtime]!(JSON.stringify({ evseId: 1, chargingProfile: cp }))).toBe("null");
    // A validTo past 2^31 - 1 (CSMSs send 2099 for "no end") is taken as the last second this station can hold.
    for (const v of ["2038-01-19T03:14:08Z", "2099-01-01T00:00:00Z"]) expect(JSON.parse(probes[runtime]!(JSON.stringify({ evseId: 1, chargingProfile: { ...good, validTo: v } }))).validTo).toBe(2147483647);
  });
});
