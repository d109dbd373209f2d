// B01–B04, G01, G02, F06 scenarios on every runtime: boot, heartbeat, status, reconnect.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, NOW_ISO, startStation } from "./harness";

describe.each(RUNTIMES)("boot and status on %s", (runtime) => {
  it("connects to URL/identity with ocpp2.0.1 and Basic auth, sends BootNotification first (B01.FR.01)", async () => {
    const t = await startStation(runtime);
    expect(t.csms.connects).toEqual([{ url: "ws://csms.test/ocpp/CP%201", subprotocol: "ocpp2.0.1", auth: "CP 1:secretpass1234567" }]);
    const frames = t.csms.take();
    expect(frames.length).toBe(1);
    const [type, id, action, payload] = frames[0] as [number, string, string, Record<string, unknown>];
    expect(type).toBe(2);
    expect(id.length).toBeLessThanOrEqual(36);
    expect(action).toBe("BootNotification");
    expect(payload).toEqual({
      reason: "PowerUp",
      chargingStation: { vendorName: "LuaVolt", model: "LV-Core-2", serialNumber: "LV2-000001", firmwareVersion: "0.1.0" },
    });
  });

  it("Accepted: sets clock and interval, reports every connector (B01.FR.04-06), then heartbeats", async () => {
    const t = await startStation(runtime);
    t.csms.autoReply = { StatusNotification: {} };
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 20, currentTime: NOW_ISO });
    await t.settle();
    const calls = t.csms.takeCalls();
    expect(calls.map((c) => c[2])).toEqual(["StatusNotification", "StatusNotification"]);
    expect(calls.map((c) => c[3])).toEqual([
      { timestamp: NOW_ISO, connectorStatus: "Available", evseId: 1, connectorId: 1 },
      { timestamp: NOW_ISO, connectorStatus: "Available", evseId: 2, connectorId: 1 },
    ]);
    // G02: Heartbeat after HeartbeatInterval (20 s from the boot response) without other CALLs.
    t.board.advance(19);
    expect(t.csms.takeCalls()).toEqual([]);
    t.board.advance(1);
    const hb = t.csms.takeCalls();
    expect(hb.map((c) => c[2])).toEqual(["Heartbeat"]);
    expect(hb[0][3]).toEqual({});
    // Message ids are unique.
    expect(new Set([boot[1], ...calls.map((c) => c[1]), hb[0][1]]).size).toBe(4);
  });

  it("Pending: nothing but BootNotification, repeated after the interval (B02.FR.02/04/08)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Pending", interval: 10, currentTime: NOW_ISO });
    t.board.plug(1);
    t.board.advance(9);
    expect(t.csms.take()).toEqual([]);
    t.board.advance(1);
    const again = t.csms.takeCalls();
    expect(again.map((c) => c[2])).toEqual(["BootNotification"]);
    expect(again[0][1]).not.toBe(boot[1]);
    // B02.FR.01: CSMS requests are answered while Pending.
    const trig = t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
    expect(trig[0]).toBe(3);
    t.csms.autoReply = { StatusNotification: {}, Heartbeat: { currentTime: NOW_ISO } };
    t.csms.reply(again[0], { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    const after = t.csms.takeCalls();
    // The triggered Heartbeat went out once the boot exchange was done; then both connectors, EVSE 1 Occupied.
    expect(after.filter((c) => c[2] === "StatusNotification").map((c) => (c[3] as { connectorStatus: string }).connectorStatus)).toEqual(["Occupied", "Available"]);
  });

  it("Pending: TriggerMessage(BootNotification) resends at once with reason Triggered (TC_B_02_CS)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Pending", interval: 300, currentTime: NOW_ISO });
    t.csms.deliver(JSON.stringify([2, "tb", "TriggerMessage", { requestedMessage: "BootNotification" }]));
    const frames = t.csms.take();
    expect(frames[0]).toEqual([3, "tb", { status: "Accepted" }]);
    expect(frames[1][2]).toBe("BootNotification");
    expect((frames[1][3] as { reason: string }).reason).toBe("Triggered");
  });

  it("Rejected: SecurityError to CSMS requests, silent until the interval (B03.FR.02/08, TC_B_30_CS)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Rejected", interval: 30, currentTime: NOW_ISO });
    const err = t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
    expect(err[0]).toBe(4);
    expect(err[2]).toBe("SecurityError");
    const unknown = t.csms.call("FooBar", {});
    expect(unknown[2]).toBe("SecurityError");
    t.board.plug(2);
    t.board.advance(29);
    expect(t.csms.take()).toEqual([]);
    t.board.advance(1);
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["BootNotification"]);
  });

  const START = { idToken: { idToken: "TAG1", type: "ISO14443" }, remoteStartId: 7 };

  it("Pending: RequestStart/StopTransaction answered Rejected until Accepted, whatever the build (B02.FR.05, TC_B_02_CS step 12)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Pending", interval: 300, currentTime: NOW_ISO });
    const rejected = { status: "Rejected", statusInfo: { reasonCode: "CSNotAccepted" } };
    expect(t.csms.call("RequestStartTransaction", START)[2]).toEqual(rejected);
    expect(t.csms.call("RequestStopTransaction", { transactionId: "tx-1" })[2]).toEqual(rejected);
    // The decoder's bound comes from the deepest schema of the build: a valid start request with a
    // sales tariff nests 13 levels (frame included) and decodes. Deeper values are skipped: inside
    // customData's open content that is still valid; where the schema wants a string it is not.
    const deep = (extra: boolean, typed = false) => ({
      ...START,
      chargingProfile: {
        id: 1, stackLevel: 0, chargingProfilePurpose: "TxProfile", chargingProfileKind: "Absolute",
        chargingSchedule: [{
          id: 1, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
          salesTariff: { id: 1, salesTariffEntry: [{ relativeTimeInterval: { start: 0 }, consumptionCost: [{ startValue: 0, cost: [{ costKind: "CarbonDioxideEmission", amount: 1, customData: typed ? { vendorId: [["v"]] } : extra ? { vendorId: "v", x: [[1]] } : { vendorId: "v" } }] }] }] },
        }],
      },
    });
    expect(t.csms.call("RequestStartTransaction", deep(false))[2]).toEqual(rejected);
    expect(t.csms.call("RequestStartTransaction", deep(true))[2]).toEqual(rejected);
    expect(t.csms.call("RequestStartTransaction", deep(false, true)).slice(0, 3)).toEqual([4, expect.any(String), "FormatViolation"]);
    // Still schema-checked: a bad request is a CALLERROR, not a Rejected.
    expect(t.csms.call("RequestStartTransaction", { remoteStartId: 7 }).slice(0, 3)).toEqual([4, expect.any(String), "OccurrenceConstraintViolation"]);
    // Once Accepted, the transactions block answers it.
    t.csms.deliver(JSON.stringify([2, "tb", "TriggerMessage", { requestedMessage: "BootNotification" }]));
    const [, again] = t.csms.take();
    t.csms.autoReply = { StatusNotification: {} };
    t.csms.reply(again, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    expect(t.csms.call("RequestStartTransaction", START)[2]).toEqual({ status: "Accepted" });
  });

  it("Rejected, interval over, BootNotification sent again: a remote start is Rejected, not a SecurityError (B02.FR.05, B03.FR.08)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Rejected", interval: 30, currentTime: NOW_ISO });
    expect(t.csms.call("RequestStartTransaction", START)[2]).toBe("SecurityError");
    t.board.advance(30);
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["BootNotification"]);
    expect(t.csms.call("RequestStartTransaction", START)[2]).toEqual({ status: "Rejected", statusInfo: { reasonCode: "CSNotAccepted" } });
  });

  it("Pending/Rejected intervals are not capped at a day, and 2^31 - 1 never wraps into a flood (B02.FR.04, B03.FR.02/06)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Pending", interval: 200000, currentTime: NOW_ISO });
    const answeredAt = t.board.uptime;
    t.board.advance(5);
    // Skip most of the interval in one step (the firmware compares uptimes), then tick up to it.
    t.board.uptime = answeredAt + 199995;
    t.board.advance(4);
    expect(t.csms.take()).toEqual([]);
    t.board.advance(1);
    const [again] = t.csms.takeCalls();
    expect(again[2]).toBe("BootNotification");
    t.csms.reply(again, { status: "Rejected", interval: 2147483647, currentTime: NOW_ISO });
    t.board.advance(100);
    expect(t.csms.take()).toEqual([]);
  });

  it("an Accepted interval above a day sets HeartbeatInterval to its maximum, 86400 (B01.FR.04)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.autoReply = { StatusNotification: {} };
    t.csms.reply(boot, { status: "Accepted", interval: 3000000000, currentTime: NOW_ISO });
    await t.settle();
    t.csms.take();
    const [, , get] = t.csms.call("GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] });
    expect((get as { getVariableResult: { attributeValue: string }[] }).getVariableResult[0].attributeValue).toBe("86400");
  });

  it("no answer: BootNotification times out after MessageTimeout and is retried", async () => {
    const t = await startStation(runtime);
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["BootNotification"]);
    t.board.advance(30);
    expect(t.csms.take()).toEqual([]);
    t.board.advance(60);
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["BootNotification"]);
  });

  it("TC_F_23_CS: TriggerMessage StatusNotification for an Available connector: Accepted, then its status (F06.FR.04/12)", async () => {
    const t = await bootAccepted(runtime);
    t.csms.deliver(JSON.stringify([2, "t23", "TriggerMessage", { requestedMessage: "StatusNotification", evse: { id: 1, connectorId: 1 } }]));
    const frames = t.csms.take();
    expect(frames[0]).toEqual([3, "t23", { status: "Accepted" }]);
    expect(frames.slice(1).map((f) => f[3])).toEqual([{ timestamp: expect.any(String), connectorStatus: "Available", evseId: 1, connectorId: 1 }]);
  });

  it("TC_F_24_CS / TC_F_26_CS / TC_F_27_CS: status change is reported at once; TriggerMessage answers before the triggered message (F06.FR.04), BootNotification Rejected, an unimplemented one NotImplemented", async () => {
    const t = await bootAccepted(runtime);
    t.board.plug(2);
    await t.settle();
    const sn = t.csms.takeCalls();
    expect(sn.map((c) => c[3])).toEqual([{ timestamp: expect.any(String), connectorStatus: "Occupied", evseId: 2, connectorId: 1 }]);
    t.csms.deliver(JSON.stringify([2, "t1", "TriggerMessage", { requestedMessage: "StatusNotification", evse: { id: 2, connectorId: 1 } }]));
    const frames = t.csms.take();
    expect(frames[0]).toEqual([3, "t1", { status: "Accepted" }]);
    expect(frames[1][2]).toBe("StatusNotification");
    expect(frames[1][3]).toMatchObject({ connectorStatus: "Occupied", evseId: 2, connectorId: 1 });
    expect(t.csms.call("TriggerMessage", { requestedMessage: "BootNotification" })[2]).toEqual({ status: "Rejected" }); // F06.FR.17
    expect(t.csms.call("TriggerMessage", { requestedMessage: "LogStatusNotification" })[2]).toEqual({ status: "NotImplemented" }); // F06.FR.08
  });

  it("reconnect: back-off, no second BootNotification, only changed connectors after a short outage (B04.FR.02)", async () => {
    const t = await bootAccepted(runtime);
    t.csms.reachable = false;
    t.csms.drop();
    await t.settle();
    t.board.plug(1);
    // RetryBackOffWaitMinimum 5 + random ≤ 5, doubling on each failure.
    t.board.advance(11);
    await t.settle();
    expect(t.csms.connects.length).toBe(2);
    t.csms.reachable = true;
    t.board.advance(25);
    await t.settle();
    expect(t.csms.connects.length).toBe(3);
    const calls = t.csms.takeCalls();
    expect(calls.map((c) => c[2])).toEqual(["StatusNotification"]);
    expect(calls[0][3]).toMatchObject({ connectorStatus: "Occupied", evseId: 1 });
  });

  it("a StatusNotification lost with the connection is reported again after reconnect (B04)", async () => {
    const t = await bootAccepted(runtime);
    delete t.csms.autoReply.StatusNotification;
    t.board.plug(2);
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["StatusNotification"]);
    t.csms.drop();
    await t.settle();
    t.csms.autoReply.StatusNotification = {};
    for (let i = 0; i < 3 && !t.csms.open; i++) {
      t.board.advance(10);
      await t.settle();
    }
    const again = t.csms.takeCalls();
    expect(again.map((c) => c[3])).toEqual([expect.objectContaining({ evseId: 2, connectorId: 1, connectorStatus: "Occupied" })]);
  });

  it("reconnect after a long outage reports every connector (B04.FR.01)", async () => {
    const t = await bootAccepted(runtime);
    t.csms.reachable = false;
    t.csms.drop();
    await t.settle();
    for (let i = 0; i < 20; i++) {
      t.board.advance(10);
      await t.settle();
    }
    t.csms.reachable = true;
    for (let i = 0; i < 10 && !t.csms.open; i++) {
      t.board.advance(10);
      await t.settle();
    }
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["StatusNotification", "StatusNotification"]);
  });

  it("power cycle: boots again with a new boot counter in message ids (B01.FR.03)", async () => {
    const t = await bootAccepted(runtime);
    const before = t.csms.connects.length;
    await t.board.powerCycle();
    await t.settle();
    expect(t.csms.connects.length).toBe(before + 1);
    const [boot] = t.csms.takeCalls();
    expect(boot[2]).toBe("BootNotification");
    expect(String(boot[1]).startsWith("2-")).toBe(true);
  });

  it("a cable plugged through a power cycle is reported Occupied after the new boot", async () => {
    const t = await bootAccepted(runtime);
    t.board.plug(1);
    await t.settle();
    t.csms.take();
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    const sn = t.csms.takeCalls().map((c) => c[3] as { evseId: number; connectorStatus: string });
    expect(sn.map((p) => [p.evseId, p.connectorStatus])).toEqual([[1, "Occupied"], [2, "Available"]]);
  });
});
