// The local EMS over MQTT on every runtime (profiles/ems, profiles/smart-charging/external.ts): the
// station's own MQTT client over the board's TCP stream to a real broker (aedes), the EMS an MQTT
// client beside it, the CSMS schema-strict. K11–K13: the external limit caps the station's total at
// once, is merged into the composite schedule, reported as ChargingStationExternalConstraints with
// source EMS, told with NotifyChargingLimit / ClearedChargingLimit; the station publishes its meter.

import { afterEach, describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { startEmsBroker } from "../sim/ems-broker";
import { advance, call, evse, plug, sent, token } from "./tx-harness";
import { EmsStation, emsStation, settleNet, STATION_ID, until } from "./ems-harness";
import type { Frame } from "./harness";

interface Meter {
  powerW: number;
  evses: { evseId: number; powerW: number; energyWh: number; limitA?: number }[];
}

function getVar(t: EmsStation, comp: string, name: string, instance?: string): string | undefined {
  const r = call(t, "GetVariables", { getVariableData: [{ component: { name: comp }, variable: instance === undefined ? { name } : { name, instance } }] });
  const v = (r.getVariableResult as { attributeValue?: string; attributeStatus: string }[])[0];
  return v.attributeStatus === "Accepted" ? v.attributeValue : undefined;
}

/** How many TransactionEvents Updated with triggerReason ChargingRateChanged are among these CALLs. */
const rateChanged = (calls: Frame[]) => calls.filter((f) => f[2] === "TransactionEvent" && (f[3] as { eventType: string; triggerReason: string }).eventType === "Updated" && (f[3] as { triggerReason: string }).triggerReason === "ChargingRateChanged").length;
const meterOf = (t: EmsStation) => t.ems.lastMeter(STATION_ID) as Meter | undefined;

/** Both EVSEs in a transaction (EVSE 1 rated 32 A, EVSE 2 16 A; three phases each). */
async function charging(t: EmsStation): Promise<void> {
  for (const e of [1, 2]) {
    plug(t, e);
    token(t, `OK-EMS${e}`, e);
  }
  await advance(t, 3);
  expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([320, 160]);
}

const stations: EmsStation[] = [];
afterEach(async () => {
  for (const t of stations.splice(0)) await t.close();
});

async function station(runtime: (typeof RUNTIMES)[number], provision: Record<string, string> = {}): Promise<EmsStation> {
  const t = await emsStation(runtime, provision);
  stations.push(t);
  // Connected: its first meter message is there.
  await until(t, () => meterOf(t) !== undefined, 20, "the first meter message");
  expect(getVar(t, "EmsCtrlr", "Connected")).toBe("true");
  return t;
}

describe.each(RUNTIMES)("local EMS over MQTT on %s", (runtime) => {
  it("K12: a limit in W caps the station's total within a second, shared by the EVSEs charging; NotifyChargingLimit (source EMS); the composite schedule, the report (ChargingStationExternalConstraints, EMS) and the meter message show it; {} lifts it: ClearedChargingLimit (K13)", async () => {
    const t = await station(runtime);
    await charging(t);
    await sent(t);
    // 13 800 W over 3 x 230 V: 20 A for the station, 10 A each.
    await t.ems.publishLimit(STATION_ID, { limitW: 13800 });
    await settleNet(t, () => evse(t, 1).offerDa === 100, "the EMS limit on the offer");
    expect(evse(t, 2).offerDa).toBe(100);
    const calls = await sent(t);
    expect(calls.filter((f) => f[2] === "NotifyChargingLimit").map((f) => f[3])).toEqual([{ chargingLimit: { chargingLimitSource: "EMS" } }]);
    // K11.FR.04: each transaction's rate moved (32 and 16 A to 10 A): Updated, ChargingRateChanged.
    expect(rateChanged(calls)).toBe(2);
    // K08: the station's composite schedule has the limit; in A too.
    const w = call(t, "GetCompositeSchedule", { evseId: 0, duration: 300, chargingRateUnit: "W" });
    expect((w.schedule as { chargingSchedulePeriod: { limit: number }[] }).chargingSchedulePeriod[0].limit).toBe(13800);
    const a = call(t, "GetCompositeSchedule", { evseId: 1, duration: 300, chargingRateUnit: "A" });
    expect(a.status).toBe("Accepted");
    // K11.FR.06 / K12.FR.05: reported with purpose ChargingStationExternalConstraints, source EMS; a negative id.
    expect(call(t, "GetChargingProfiles", { requestId: 4, chargingProfile: { chargingLimitSource: ["EMS"] } })).toEqual({ status: "Accepted" });
    const [rep] = await sent(t, "ReportChargingProfiles");
    expect(rep[3]).toMatchObject({ requestId: 4, chargingLimitSource: "EMS", evseId: 0, tbc: false, chargingProfile: [{ id: -1, chargingProfilePurpose: "ChargingStationExternalConstraints", chargingSchedule: [{ chargingRateUnit: "W", chargingSchedulePeriod: [{ startPeriod: 0, limit: 13800 }] }] }] });
    expect(call(t, "GetChargingProfiles", { requestId: 5, chargingProfile: { chargingLimitSource: ["CSO"] } })).toEqual({ status: "NoProfiles" });
    // Not the CSMS's: no entry taken, and ClearChargingProfile does not touch it (K10).
    expect(getVar(t, "SmartChargingCtrlr", "Entries", "ChargingProfiles")).toBe("0");
    expect(call(t, "ClearChargingProfile", { chargingProfileCriteria: { chargingProfilePurpose: "ChargingStationExternalConstraints" } })).toEqual({ status: "Unknown" });
    expect(evse(t, 1).offerDa).toBe(100);
    // The meter message carries each EVSE's limit; the EVs follow it.
    await until(t, () => meterOf(t)?.evses[0].limitA === 10, 15, "the limit in the meter message");
    await advance(t, 5);
    // The limit becomes a current at the nominal 230 V; the simulated mains run at 229.8 to 231 V.
    await advance(t, 12);
    const m = meterOf(t) as Meter;
    expect(m.powerW).toBeGreaterThan(13000);
    expect(m.powerW).toBeLessThanOrEqual(13800 * 1.005);
    expect(meterOf(t)?.evses.map((e) => e.evseId)).toEqual([1, 2]);
    // Lifted.
    await t.ems.clearLimit(STATION_ID);
    await settleNet(t, () => evse(t, 1).offerDa === 320, "the limit lifted");
    expect(evse(t, 2).offerDa).toBe(160);
    const after = await sent(t);
    expect(after.filter((f) => f[2] === "ClearedChargingLimit").map((f) => f[3])).toEqual([{ chargingLimitSource: "EMS" }]);
    expect(after.filter((f) => f[2] === "NotifyChargingLimit")).toEqual([]);
    // K13.FR.03.
    expect(rateChanged(after)).toBe(2);
  });

  it("validS: the limit holds that long, then the profiles' limit again and ClearedChargingLimit; a change within LimitChangeSignificance is not told, a larger one is, with its schedule when NotifyChargingLimitWithSchedules (K12.FR.02/03)", async () => {
    const t = await station(runtime);
    // The standard variable (dm_components_vars.csv), set by the CSMS.
    expect(call(t, "SetVariables", { setVariableData: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "NotifyChargingLimitWithSchedules" }, attributeValue: "true" }] })).toMatchObject({ setVariableResult: [{ attributeStatus: "Accepted" }] });
    // A CSMS profile underneath: 12 A on EVSE 1.
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: { id: 9, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Relative", chargingSchedule: [{ id: 1, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 12 }] }] } })).toEqual({ status: "Accepted" });
    plug(t, 1);
    token(t, "OK-EMS1", 1);
    await advance(t, 3);
    expect(evse(t, 1).offerDa).toBe(120);
    await sent(t);
    // 8 A for the station (limitA), for 30 s.
    await t.ems.publishLimit(STATION_ID, { limitA: 8, validS: 30 });
    await settleNet(t, () => evse(t, 1).offerDa === 80, "the EMS limit");
    const [n1] = await sent(t, "NotifyChargingLimit");
    // From now: with no startSchedule a schedule would count from the start of charging.
    expect(n1[3]).toEqual({ chargingLimit: { chargingLimitSource: "EMS" }, chargingSchedule: [{ id: 0, chargingRateUnit: "A", startSchedule: expect.stringMatching(/^2026-11-24T10:00:\d\dZ$/), duration: 30, chargingSchedulePeriod: [{ startPeriod: 0, limit: 8 }] }] });
    // 8.5 A: 6 % more, under the default 10 %: applied, not told. 6 A: 25 % less: told.
    await t.ems.publishLimit(STATION_ID, { limitA: 8.5, validS: 30 });
    await settleNet(t, () => evse(t, 1).offerDa === 85, "8.5 A");
    const small = await sent(t);
    expect(small.filter((f) => f[2] === "NotifyChargingLimit")).toEqual([]);
    expect(rateChanged(small)).toBe(0);
    await t.ems.publishLimit(STATION_ID, { limitA: 6, validS: 30 });
    await settleNet(t, () => evse(t, 1).offerDa === 60, "6 A");
    const large = await sent(t);
    expect(large.filter((f) => f[2] === "NotifyChargingLimit").length).toBe(1);
    expect(rateChanged(large)).toBe(1);
    // 30 s after the last one: gone, back to the TxDefaultProfile's 12 A.
    const s = await until(t, () => evse(t, 1).offerDa === 120, 40, "the limit running out");
    expect(s).toBeGreaterThanOrEqual(28);
    expect(s).toBeLessThanOrEqual(31);
    expect((await sent(t, "ClearedChargingLimit")).length).toBe(1);
  });

  it("K11.FR.04 / K13.FR.03: small steps of the EMS add up: ChargingRateChanged once the rate moved by more than LimitChangeSignificance from the one the CSMS last heard of, not from the step before", async () => {
    const t = await station(runtime);
    plug(t, 1);
    token(t, "OK-EMS1", 1);
    await advance(t, 3);
    await sent(t);
    // 10 A: from the rated 32 A, told.
    await t.ems.publishLimit(STATION_ID, { limitA: 10 });
    await settleNet(t, () => evse(t, 1).offerDa === 100, "10 A");
    expect(rateChanged(await sent(t))).toBe(1);
    // 9.5 A, then 9.1 A: 5 % and 9 % below the 10 A the CSMS knows, each step under 10 %: nothing.
    for (const [a, da] of [[9.5, 95], [9.1, 91]]) {
      await t.ems.publishLimit(STATION_ID, { limitA: a });
      await settleNet(t, () => evse(t, 1).offerDa === da, `${a} A`);
      const c = await sent(t);
      expect(rateChanged(c)).toBe(0);
      expect(c.filter((f) => f[2] === "NotifyChargingLimit")).toEqual([]);
    }
    // 8.9 A: only 2 % below the step before, but 11 % below 10 A: told, both ways (K11.FR.04, K12.FR.02).
    await t.ems.publishLimit(STATION_ID, { limitA: 8.9 });
    await settleNet(t, () => evse(t, 1).offerDa === 89, "8.9 A");
    const c = await sent(t);
    expect(rateChanged(c)).toBe(1);
    expect(c.filter((f) => f[2] === "NotifyChargingLimit").length).toBe(1);
  });

  it("messages it cannot take are ignored (the limit stays); while the broker is gone the limit holds, and the station connects again when it is back", async () => {
    const t = await station(runtime);
    plug(t, 1);
    token(t, "OK-EMS1", 1);
    await advance(t, 3);
    await t.ems.publishLimit(STATION_ID, { limitW: 6900 });
    await settleNet(t, () => evse(t, 1).offerDa === 100, "6900 W");
    for (const bad of [{ limitW: -5 }, { limitW: 1, limitA: 1 }, { limitA: 10, validS: 0 }, { limitW: "7000" }]) {
      await t.ems.publishLimit(STATION_ID, bad as never);
    }
    await advance(t, 2);
    expect(evse(t, 1).offerDa).toBe(100);
    // The broker goes: the connection is lost, the limit stays in force.
    const port = t.broker.port;
    await t.broker.close();
    await until(t, () => getVar(t, "EmsCtrlr", "Connected") === "false", 90, "the connection lost");
    await advance(t, 10);
    expect(evse(t, 1).offerDa).toBe(100);
    // Back on the same port: the station reconnects (back-off at most 64 s) and subscribes again.
    t.broker = await startEmsBroker(port);
    await t.ems.close();
    t.ems = new (await import("../sim/ems-client")).EmsClient(t.broker.url);
    await t.ems.ready();
    await until(t, () => getVar(t, "EmsCtrlr", "Connected") === "true", 90, "the connection back");
    await until(t, () => meterOf(t) !== undefined, 15, "a meter message");
    await t.ems.publishLimit(STATION_ID, { limitW: 13800 });
    await settleNet(t, () => evse(t, 1).offerDa === 200, "a new limit after the reconnect");
  });

  it("K12.FR.01: the EMS limit holds with SmartChargingCtrlr.Enabled false; a flood of changes keeps one NotifyChargingLimit waiting at most; {\"validS\"} alone is not understood; an empty payload lifts the limit", async () => {
    const t = await station(runtime);
    await charging(t);
    call(t, "SetVariables", { setVariableData: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "Enabled" }, attributeValue: "false" }] });
    await t.ems.publishLimit(STATION_ID, { limitW: 13800 });
    await settleNet(t, () => evse(t, 1).offerDa === 100, "the EMS limit while disabled");
    expect(evse(t, 2).offerDa).toBe(100);
    // The CSMS stops answering: 12 significant changes leave one NotifyChargingLimit outstanding and one queued.
    delete t.csms.autoReply.NotifyChargingLimit;
    await sent(t);
    for (let i = 0; i < 12; i++) {
      await t.ems.publishLimit(STATION_ID, { limitW: i % 2 === 0 ? 9660 : 13800 });
      await settleNet(t, () => evse(t, 1).offerDa === (i % 2 === 0 ? 70 : 100), `change ${i}`);
    }
    const [first] = await sent(t, "NotifyChargingLimit");
    expect(first).toBeDefined();
    expect(await sent(t, "NotifyChargingLimit")).toEqual([]);
    // Answered: only the latest state follows, not the eleven changes behind it.
    t.csms.autoReply.NotifyChargingLimit = {};
    t.csms.reply(first, {});
    await advance(t, 2);
    expect((await sent(t, "NotifyChargingLimit")).length).toBe(1);
    await t.ems.publishLimit(STATION_ID, { validS: 5 } as never);
    await advance(t, 2);
    expect(evse(t, 1).offerDa).toBe(100);
    await t.ems.publish(STATION_ID, "");
    await settleNet(t, () => evse(t, 1).offerDa === 320, "the limit lifted by an empty payload");
  });

  it("a limit's validity runs on through a reboot on a board with an RTC: what was left of it, not all of it again", async () => {
    const t = await station(runtime);
    await t.ems.publishLimit(STATION_ID, { limitA: 10, validS: 60 });
    await settleNet(t, () => t.board.store.data.has("ems"), "the limit in flash");
    await advance(t, 30);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: new Date(((t.board.rtcBase as number) + t.board.uptime) * 1000).toISOString().replace(".000", "") });
    plug(t, 1);
    token(t, "OK-EMS1", 1);
    await advance(t, 3);
    expect(evse(t, 1).offerDa).toBe(100);
    await sent(t);
    // About 30 s were left (the reboot took a few): gone well before 60 s.
    const s = await until(t, () => evse(t, 1).offerDa === 320, 60, "the rest of the validity");
    expect(s).toBeLessThanOrEqual(32);
    expect((await sent(t, "ClearedChargingLimit")).length).toBe(1);
  });

  it("a reboot keeps the limit told to the CSMS (in flash), without telling it again; clearing EmsCtrlr.Url lifts it: ClearedChargingLimit", async () => {
    const t = await station(runtime);
    await t.ems.publishLimit(STATION_ID, { limitW: 6900 });
    await settleNet(t, () => getVar(t, "EmsCtrlr", "Connected") === "true" && t.board.store.data.has("ems"), "the limit in flash");
    expect((await sent(t, "NotifyChargingLimit")).length).toBe(1);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 1);
    plug(t, 1);
    token(t, "OK-EMS1", 1);
    await advance(t, 3);
    // 6900 W over 3 x 230 V: 10 A, before the EMS said anything since.
    expect(evse(t, 1).offerDa).toBe(100);
    expect(await sent(t, "NotifyChargingLimit")).toEqual([]);
    call(t, "SetVariables", { setVariableData: [{ component: { name: "EmsCtrlr" }, variable: { name: "Url" }, attributeValue: "" }] });
    await advance(t, 2);
    expect(evse(t, 1).offerDa).toBe(320);
    expect((await sent(t, "ClearedChargingLimit")).length).toBe(1);
    expect(t.board.store.data.has("ems")).toBe(false);
  });
});
