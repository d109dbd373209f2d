// Scenario helpers for the smart-charging tests: core (with the test-only authorization stand-in,
// as the transactions tests) plus the smart-charging block; EVSE 1 a socket rated 32 A, EVSE 2 a
// fixed cable rated 16 A, both 3 phases.

import * as path from "node:path";
import { ROOT } from "../build/compile";
import { RuntimeName } from "../sim/runtimes/image";
import { bootAccepted, Frame } from "./harness";
import { ACCEPT, buildCoreVariant, TE, TxStation } from "./tx-harness";

export const SC_CONFIG = "test-sc";
export const SC_FILE = path.join(ROOT, "build", "out", `${SC_CONFIG}.json`);

/** Builds the image: from test/global-setup.ts, once per run. */
export function buildScImage(): void {
  buildCoreVariant(SC_FILE, SC_CONFIG, (b) => [...b.filter((x) => x !== "authorization"), "../test/blocks/auth-table", "smart-charging"]);
}

/** A station booted Accepted with these device-model values; TransactionEvents answered Accepted. */
export async function scStation(runtime: RuntimeName, provision: Record<string, string> = {}): Promise<TxStation> {
  const t = (await bootAccepted(runtime, { config: SC_CONFIG, configFile: SC_FILE, provision })) as TxStation;
  t.calls = [];
  t.teAnswer = ACCEPT;
  t.csms.autoReply.MeterValues = {};
  t.csms.autoReply.ReportChargingProfiles = {};
  t.csms.autoReply.TransactionEvent = (f: Frame) => {
    const a = t.teAnswer;
    return a === undefined ? undefined : a(f[3] as TE);
  };
  return t;
}

/** A ChargingProfileType with one schedule in A (limits in A) starting at period 0, Absolute unless given. */
export function profile(id: number, purpose: string, stackLevel: number, periods: [number, number][], extra: Record<string, unknown> = {}, schedule: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    stackLevel,
    chargingProfilePurpose: purpose,
    chargingProfileKind: "Relative",
    ...extra,
    chargingSchedule: [{ id: 1, chargingRateUnit: "A", chargingSchedulePeriod: periods.map(([startPeriod, limit]) => ({ startPeriod, limit })), ...schedule }],
  };
}
