// SmartChargingCtrlr.Entries (Part 2 §2.9.10, ChargingProfiles instance): its maxLimit is "the maximum
// number of Charging profiles installed at any time". block.json declares 8; an OEM config may set
// another through its deviceModel ("SmartChargingCtrlr/Entries[ChargingProfiles]": { "max": n }), and
// the firmware takes the bound from the build's model (profiles/smart-charging/charging-profiles.ts
// maxProfiles, MAX_PROFILES only when the model gives none). Here two OEM images, one below the
// default (3) and one above it (12), on every runtime, with the ems block: the station reports that
// maxLimit, accepts exactly that many CSMS profiles, rejects the next new one (status Rejected,
// reasonCode OutOfStorage: Appendix 5 "Operation not possible, because system does not have enough
// storage"; 2.0.1 names no code of its own for this), still takes a replacement of an installed id
// (K01.FR.05) and a new one once a slot is free again (K10); the EMS's external constraints profile
// (K12.FR.05) is installed meanwhile and takes no slot of the CSMS's.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../build/cli";
import { ROOT } from "../build/compile";
import { RUNTIMES } from "../sim/runtimes/image";
import { advance, call, sent } from "./tx-harness";
import { profile } from "./sc-harness";
import { EmsStation, settleNet, STATION_ID, until } from "./ems-harness";
import { emsStationWith } from "./ems-station";

const LIMITS = [3, 12];
const configName = (max: number) => `test-sc-entries-${max}`;
const configFile = (max: number) => path.join(ROOT, "build", "out", `${configName(max)}.json`);

/** The EMS tests' image (core, the authorization stand-in, smart-charging, ems; EVSE 1 32 A, EVSE 2 16 A) with the OEM's Entries maxLimit. */
function buildEntriesImage(max: number): void {
  const core = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "configs", "core.json"), "utf8"));
  const cfg = {
    ...core,
    $schema: undefined,
    name: configName(max),
    evses: [
      { maxPowerW: 22000, connectors: [{ type: "sType2", phases: 3, maxCurrentA: 32 }] },
      { maxPowerW: 11000, connectors: [{ type: "cType2", phases: 3, maxCurrentA: 16 }] },
    ],
    blocks: [...(core.blocks as string[]).filter((x) => x !== "authorization"), "../test/blocks/auth-table", "smart-charging", "ems"],
    deviceModel: { "SmartChargingCtrlr/Entries[ChargingProfiles]": { max } },
  };
  fs.mkdirSync(path.dirname(configFile(max)), { recursive: true });
  fs.writeFileSync(configFile(max), JSON.stringify(cfg));
  for (const t of ["lua5.1", "lua5.3"] as const) buildImage(configFile(max), t, undefined);
}

beforeAll(() => {
  for (const max of LIMITS) buildEntriesImage(max);
}, 300000);

const stations: EmsStation[] = [];
afterEach(async () => {
  for (const t of stations.splice(0)) await t.close();
});

const entries = (t: EmsStation) => {
  const r = call(t, "GetVariables", { getVariableData: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "Entries", instance: "ChargingProfiles" } }] });
  return (r.getVariableResult as { attributeValue?: string }[])[0].attributeValue;
};

/** The purposes of the profiles GetChargingProfiles reports with source EMS (none: NoProfiles). */
async function external(t: EmsStation, requestId: number): Promise<string[]> {
  await sent(t);
  const r = call(t, "GetChargingProfiles", { requestId, chargingProfile: { chargingLimitSource: ["EMS"] } });
  const reports = (await sent(t, "ReportChargingProfiles")).flatMap((f) => (f[3] as { chargingProfile: { chargingProfilePurpose: string }[] }).chargingProfile);
  expect(r.status).toBe(reports.length > 0 ? "Accepted" : "NoProfiles");
  return reports.map((p) => p.chargingProfilePurpose);
}

/** A TxDefaultProfile of its own (EVSE, stackLevel) pair: the n-th (0-based) of at most 2 x 9. */
const nth = (id: number, n: number) => ({ evseId: 1 + (n % 2), chargingProfile: profile(id, "TxDefaultProfile", Math.floor(n / 2), [[0, 16 - (n % 5)]]) });
const setCp = (t: EmsStation, req: Record<string, unknown>) => call(t, "SetChargingProfile", req);

describe.each(LIMITS.flatMap((max) => RUNTIMES.map((runtime) => [max, runtime] as const)))("SmartChargingCtrlr.Entries maxLimit %i from the OEM config on %s", (max, runtime) => {
  it(`the station reports maxLimit ${max}, takes exactly ${max} CSMS profiles beside the EMS's external constraints, rejects the next new one (OutOfStorage), takes a replacement (K01.FR.05) and a new one after ClearChargingProfile`, async () => {
    const t = await emsStationWith(runtime, { config: configName(max), configFile: configFile(max) });
    stations.push(t);
    await until(t, () => t.ems.lastMeter(STATION_ID) !== undefined, 30, "the EMS connection");
    // The device model as the OEM built it (B08 GetReport): Entries' maxLimit is the config's.
    await sent(t);
    expect(call(t, "GetReport", { requestId: 1, componentVariable: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "Entries", instance: "ChargingProfiles" } }] })).toEqual({ status: "Accepted" });
    const [rep] = (await sent(t, "NotifyReport")).map((f) => f[3] as { reportData: { variableCharacteristics: { maxLimit?: number } }[] });
    expect(rep.reportData[0].variableCharacteristics.maxLimit).toBe(max);
    // The EMS's limit first: a ChargingStationExternalConstraints profile on the station (K12.FR.05).
    await t.ems.publishLimit(STATION_ID, { limitA: 40 });
    const limit0 = () => (call(t, "GetCompositeSchedule", { evseId: 0, duration: 60, chargingRateUnit: "A" }).schedule as { chargingSchedulePeriod: { limit: number }[] }).chargingSchedulePeriod[0].limit;
    await settleNet(t, () => limit0() === 40, "the external limit in force");
    expect(entries(t)).toBe("0");
    // max profiles of the CSMS's: every one Accepted.
    const answers = [];
    for (let n = 0; n < max; n++) answers.push(setCp(t, nth(100 + n, n)));
    expect(answers).toEqual(answers.map(() => ({ status: "Accepted" })));
    expect(entries(t)).toBe(String(max));
    // One more new id: no room (Entries at its maxLimit).
    expect(setCp(t, nth(100 + max, max))).toEqual({ status: "Rejected", statusInfo: { reasonCode: "OutOfStorage" } });
    expect(entries(t)).toBe(String(max));
    expect(call(t, "GetChargingProfiles", { requestId: 2, chargingProfile: { chargingProfileId: [100 + max] } })).toEqual({ status: "NoProfiles" });
    // The external constraints are still there (reported with source EMS), next to the max of the CSMS.
    expect(await external(t, 3)).toEqual(["ChargingStationExternalConstraints"]);
    expect(call(t, "GetChargingProfiles", { requestId: 4, chargingProfile: { chargingLimitSource: ["CSO"] } })).toEqual({ status: "Accepted" });
    const cso = (await sent(t, "ReportChargingProfiles")).flatMap((f) => (f[3] as { chargingProfile: { id: number }[] }).chargingProfile.map((p) => p.id));
    expect(cso.sort((a, b) => a - b)).toEqual(Array.from({ length: max }, (_, n) => 100 + n));
    // K01.FR.05: a known id replaces its profile, in its slot.
    expect(setCp(t, { ...nth(101, 1), chargingProfile: profile(101, "TxDefaultProfile", 0, [[0, 6]]) })).toEqual({ status: "Accepted" });
    expect(entries(t)).toBe(String(max));
    // A slot freed: the new one fits now, and the one after it does not.
    expect(call(t, "ClearChargingProfile", { chargingProfileId: 100 })).toEqual({ status: "Accepted" });
    expect(entries(t)).toBe(String(max - 1));
    expect(setCp(t, nth(100 + max, 0))).toEqual({ status: "Accepted" });
    expect(setCp(t, nth(200 + max, max))).toEqual({ status: "Rejected", statusInfo: { reasonCode: "OutOfStorage" } });
    expect(entries(t)).toBe(String(max));
    // After a reboot (K01.FR.27: the profiles come back; the EMS's limit from flash): the same count, the same bound.
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 2);
    await sent(t);
    expect(await external(t, 5)).toEqual(["ChargingStationExternalConstraints"]);
    expect(entries(t)).toBe(String(max));
    expect(setCp(t, nth(400 + max, max))).toEqual({ status: "Rejected", statusInfo: { reasonCode: "OutOfStorage" } });
    expect(setCp(t, { ...nth(101, 1), chargingProfile: profile(101, "TxDefaultProfile", 0, [[0, 7]]) })).toEqual({ status: "Accepted" });
    expect(entries(t)).toBe(String(max));
    // The EMS lifts its limit: that frees no slot of the CSMS's either.
    await until(t, () => t.net.isOpen, 30, "the EMS connection after the reboot");
    await t.ems.clearLimit(STATION_ID);
    await settleNet(t, () => call(t, "GetChargingProfiles", { requestId: 6, chargingProfile: { chargingLimitSource: ["EMS"] } }).status === "NoProfiles", "the external limit lifted");
    expect(setCp(t, nth(300 + max, max))).toEqual({ status: "Rejected", statusInfo: { reasonCode: "OutOfStorage" } });
    expect(entries(t)).toBe(String(max));
  });
});
