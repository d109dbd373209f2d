// Remote start and stop (F01–F04), and TriggerMessage for TransactionEvent and MeterValues (F06),
// on every runtime. Part 6 test cases by id.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { Frame, bootAccepted } from "./harness";
import { advance, call, evse, meter, plug, sent, tes, token, txStation, unplug, TE } from "./tx-harness";

const PPC = { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const trig = (l: TE[]) => l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.chargingState ?? "-"}`);
const asked = (logs: string[]) => logs.filter((x) => x.startsWith("auth-table:"));
const rst = (id: string, remoteStartId: number, evseId?: number) => ({ idToken: { idToken: id, type: "Central" }, remoteStartId, ...(evseId !== undefined ? { evseId } : {}) });

describe.each(RUNTIMES)("remote control of transactions on %s", (runtime) => {
  it("TC_F_02_CS: remote start first, AuthorizeRemoteStart true: answered, then authorized, then Started by the plug-in with RemoteStart and remoteStartId", async () => {
    const t = await txStation(runtime, PPC);
    expect(call(t, "RequestStartTransaction", rst("OK20", 7, 1))).toEqual({ status: "Accepted" });
    expect(asked(t.logs)).toEqual(["auth-table: OK20 Accepted"]);
    expect(await tes(t)).toEqual([]);
    plug(t);
    const l = await tes(t);
    // F02.FR.21: the first event after the request says RemoteStart, with its id and token.
    expect(trig(l)[0]).toBe("Started/RemoteStart/SuspendedEVSE");
    expect(l[0].transactionInfo.remoteStartId).toBe(7);
    expect(l[0].idToken).toEqual({ idToken: "OK20", type: "Central" });
    expect(l[1].transactionInfo.remoteStartId).toBeUndefined();
    expect(evse(t).relayClosed).toBe(true);
  });

  it("TC_F_03_CS: AuthorizeRemoteStart false: no authorization asked (F02.FR.10)", async () => {
    const t = await txStation(runtime, { ...PPC, "AuthCtrlr/AuthorizeRemoteStart": "false" });
    expect(call(t, "RequestStartTransaction", rst("ANY", 8))).toEqual({ status: "Accepted" });
    expect(asked(t.logs)).toEqual([]);
    plug(t);
    const l = await tes(t);
    expect(trig(l)[0]).toBe("Started/RemoteStart/SuspendedEVSE");
    expect(l[0].transactionInfo.remoteStartId).toBe(8);
  });

  it("a remote start whose token the authorization refuses starts nothing", async () => {
    const t = await txStation(runtime, PPC);
    expect(call(t, "RequestStartTransaction", rst("BAD", 9, 1)).status).toBe("Accepted");
    plug(t);
    expect(await tes(t)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
  });

  it("TC_F_01_CS: cable first with TxStartPoint EVConnected: the response names the running transaction (F01.FR.13); the next event is RemoteStart", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "EVConnected", "TxCtrlr/TxStopPoint": "EVConnected" });
    plug(t);
    const [started] = await tes(t);
    const r = call(t, "RequestStartTransaction", rst("OK21", 10, 1));
    expect(r).toEqual({ status: "Accepted", transactionId: started.transactionInfo.transactionId });
    const l = await tes(t);
    expect(trig(l)[0]).toBe("Updated/RemoteStart/-");
    expect(l[0].transactionInfo.remoteStartId).toBe(10);
    expect(l[0].idToken?.idToken).toBe("OK21");
  });

  it("K05 / F01.FR.09: the chargingProfile of a RequestStartTransaction goes with its transaction to smart charging (tx hook), and the end of the transaction is told", async () => {
    const t = await txStation(runtime, PPC);
    const profile = { id: 7, stackLevel: 0, chargingProfilePurpose: "TxProfile", chargingProfileKind: "Relative", chargingSchedule: [{ id: 1, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] }] };
    expect(call(t, "RequestStartTransaction", { ...rst("OK29", 21, 1), chargingProfile: profile }).status).toBe("Accepted");
    plug(t);
    const [s] = await tes(t);
    const told = t.logs.filter((l) => l.startsWith("tx "));
    expect(told).toHaveLength(1);
    expect(told[0].startsWith(`tx 1 [${s.transactionInfo.transactionId}] {`)).toBe(true);
    expect(JSON.parse(told[0].slice(told[0].indexOf("{")))).toEqual(profile);
    call(t, "RequestStopTransaction", { transactionId: s.transactionInfo.transactionId });
    await tes(t);
    expect(t.logs.filter((l) => l.startsWith("tx ")).at(-1)).toBe("tx 1 [] ");
  });

  it("TC_E_13_CS: TxStartPoint Authorized, remote: Started with RemoteStart, remoteStartId and idToken before any cable", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "Authorized", "TxCtrlr/TxStopPoint": "Authorized" });
    call(t, "RequestStartTransaction", rst("OK22", 11, 1));
    const l = await tes(t);
    expect(trig(l)).toEqual(["Started/RemoteStart/Idle"]);
    expect(l[0].transactionInfo.remoteStartId).toBe(11);
    expect(l[0].idToken?.idToken).toBe("OK22");
  });

  it("TC_F_04_CS: remote start, no cable within EVConnectionTimeOut: Ended, EVConnectTimeout, Timeout; then the EVSE takes a remote start again", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "Authorized", "TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/EVConnectionTimeOut": "15" });
    call(t, "RequestStartTransaction", rst("OK23", 12, 1));
    await tes(t);
    await advance(t, 15);
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/EVConnectTimeout/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Timeout");
    expect(call(t, "RequestStartTransaction", rst("OK23", 13, 1)).status).toBe("Accepted");
  });

  it("F01.FR.19: a remote start that timed out (no cable within EVConnectionTimeOut) leaves nothing behind: a later local session carries no remoteStartId and no TxProfile", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/EVConnectionTimeOut": "10" });
    const profile = { id: 8, stackLevel: 0, chargingProfilePurpose: "TxProfile", chargingProfileKind: "Relative", chargingSchedule: [{ id: 1, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 7 }] }] };
    call(t, "RequestStartTransaction", { ...rst("OK40", 30, 1), chargingProfile: profile });
    await advance(t, 12);
    expect(await tes(t)).toEqual([]);
    plug(t);
    token(t, "OK41");
    const [s] = await tes(t);
    expect(s.eventType).toBe("Started");
    expect(s.transactionInfo.remoteStartId).toBeUndefined();
    expect(t.logs.filter((l) => l.startsWith("tx ")).at(-1)).toBe(`tx 1 [${s.transactionInfo.transactionId}] `);
  });

  it("F01.FR.24 / F01.FR.06: an EVSE already authorized, or one that does not exist, is Rejected; without evseId a free EVSE is chosen", async () => {
    const t = await txStation(runtime, PPC);
    plug(t, 1);
    token(t, "OK24", 1);
    await tes(t);
    expect(call(t, "RequestStartTransaction", rst("OK25", 14, 1)).status).toBe("Rejected");
    expect(call(t, "RequestStartTransaction", rst("OK25", 15, 9)).status).toBe("Rejected");
    expect(call(t, "RequestStartTransaction", rst("OK25", 16)).status).toBe("Accepted");
    plug(t, 2);
    const l = await tes(t);
    expect(l[0].evse?.id).toBe(2);
    expect(l[0].transactionInfo.remoteStartId).toBe(16);
  });

  it("TC_F_08_CS / TC_E_21_CS / TC_E_35_CS: remote stop: Ended, RemoteStop, Remote, no idToken; TC_F_09_CS: another id is Rejected", async () => {
    const t = await txStation(runtime, PPC);
    plug(t);
    token(t, "OK26");
    const [s] = await tes(t);
    await advance(t, 2);
    await tes(t);
    expect(call(t, "RequestStopTransaction", { transactionId: "nope" })).toEqual({ status: "Rejected" });
    expect(await tes(t)).toEqual([]);
    expect(call(t, "RequestStopTransaction", { transactionId: s.transactionInfo.transactionId })).toEqual({ status: "Accepted" });
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/RemoteStop/EVConnected"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Remote");
    expect(l[0].idToken).toBeUndefined();
    expect(evse(t).relayClosed).toBe(false);
  });

  it("F03.FR.02 / TC_E_14_CS remote: TxStopPoint EVConnected: RemoteStop updates and stops energy; the unplug ends it, Remote", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "EVConnected", "TxCtrlr/TxStopPoint": "EVConnected" });
    plug(t);
    token(t, "OK27");
    const [s] = await tes(t);
    expect(evse(t).locked[0]).toBe(true);
    // TC_F_05_CS with the transactions block: authorized, so the lock stays.
    expect(call(t, "UnlockConnector", { evseId: 1, connectorId: 1 })).toEqual({ status: "OngoingAuthorizedTransaction" });
    expect(evse(t).locked[0]).toBe(true);
    call(t, "RequestStopTransaction", { transactionId: s.transactionInfo.transactionId });
    expect(trig(await tes(t))).toEqual(["Updated/RemoteStop/-"]);
    expect(evse(t).relayClosed).toBe(false);
    // F04.FR.02: energy off and the cable unlocked, so the driver can take it; the transaction runs
    // until the unplug, no longer authorized: UnlockConnector may open it too (F05.FR.02 not met).
    expect(evse(t).locked[0]).toBe(false);
    expect(call(t, "UnlockConnector", { evseId: 1, connectorId: 1 })).toEqual({ status: "Unlocked" });
    unplug(t);
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/EVCommunicationLost/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Remote");
  });

  it("TC_F_13_CS / TC_F_14_CS: TriggerMessage TransactionEvent: Updated, Trigger, chargingState, a Trigger sample, per EVSE in a transaction", async () => {
    const t = await txStation(runtime, PPC);
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, "OK28", e);
    }
    await advance(t, 2);
    await tes(t);
    expect(call(t, "TriggerMessage", { requestedMessage: "TransactionEvent", evse: { id: 1 } })).toEqual({ status: "Accepted" });
    let l = await tes(t);
    expect(trig(l)).toEqual(["Updated/Trigger/Charging"]);
    expect(l[0].meterValue![0].sampledValue[0]).toMatchObject({ context: "Trigger" });
    expect(call(t, "TriggerMessage", { requestedMessage: "TransactionEvent" })).toEqual({ status: "Accepted" });
    l = await tes(t);
    expect(l.map((e) => e.transactionInfo.transactionId)).toHaveLength(2);
    expect(new Set(l.map((e) => e.transactionInfo.transactionId)).size).toBe(2);
  });

  it("TriggerMessage TransactionEvent with no transaction is Rejected", async () => {
    const t = await txStation(runtime, PPC);
    expect(call(t, "TriggerMessage", { requestedMessage: "TransactionEvent", evse: { id: 1 } })).toEqual({ status: "Rejected" });
  });

  it("TC_F_11_CS / TC_F_12_CS: TriggerMessage MeterValues: one MeterValues per EVSE asked, context Trigger", async () => {
    const t = await txStation(runtime, PPC);
    t.csms.autoReply.MeterValues = {};
    meter(t, 777, 0);
    expect(call(t, "TriggerMessage", { requestedMessage: "MeterValues", evse: { id: 1 } })).toEqual({ status: "Accepted" });
    let mv = await sent(t, "MeterValues");
    expect(mv.map((f) => (f[3] as { evseId: number }).evseId)).toEqual([1]);
    expect((f0(mv).meterValue[0].sampledValue[0])).toMatchObject({ value: 777, context: "Trigger" });
    expect(call(t, "TriggerMessage", { requestedMessage: "MeterValues" })).toEqual({ status: "Accepted" });
    mv = await sent(t, "MeterValues");
    expect(mv.map((f) => (f[3] as { evseId: number }).evseId)).toEqual([1, 2]);
  });
});

function f0(frames: unknown[][]): { meterValue: { sampledValue: unknown[] }[] } {
  return frames[0][3] as { meterValue: { sampledValue: unknown[] }[] };
}

describe.each(RUNTIMES)("remote start with the authorization block on %s", (runtime) => {
  it("F01.FR.01: a card presented while the remote start's Authorize is pending does not take it over: the CSMS's token starts, with its remoteStartId", async () => {
    // The core build: the real authorization block, whose Authorize the CSMS answers by hand here.
    const t = await bootAccepted(runtime);
    t.csms.autoReply = { ...t.csms.autoReply, TransactionEvent: {}, MeterValues: {} };
    t.board.plug(1);
    await t.settle();
    t.csms.take();
    // An ISO14443 token: a Central one is not asked about (the CSMS made it).
    const r = t.csms.call("RequestStartTransaction", { idToken: { idToken: "REMOTE1", type: "ISO14443" }, remoteStartId: 7, evseId: 1 });
    expect(r[2]).toEqual({ status: "Accepted" });
    await t.settle();
    const auth = t.csms.takeCalls().filter((f) => f[2] === "Authorize");
    expect(auth.map((f) => (f[3] as { idToken: { idToken: string } }).idToken.idToken)).toEqual(["REMOTE1"]);
    t.board.presentToken(1, "LOCAL1");
    await t.settle();
    expect(t.csms.takeCalls().filter((f) => f[2] === "Authorize")).toEqual([]);
    t.csms.reply(auth[0], { idTokenInfo: { status: "Accepted" } });
    await t.settle();
    const te = t.csms.takeCalls().filter((f: Frame) => f[2] === "TransactionEvent").map((f) => f[3] as TE);
    expect(te[0].eventType).toBe("Started");
    expect(te[0].triggerReason).toBe("RemoteStart");
    expect(te[0].idToken?.idToken).toBe("REMOTE1");
    expect(te[0].transactionInfo.remoteStartId).toBe(7);
  });
});

describe.each(RUNTIMES)("group stop with the authorization block on %s", (runtime) => {
  it("TC_C_42_CS / TC_C_44_CS (C09.FR.11): another token of the group that the CSMS answers Invalid does not stop the transaction", async () => {
    const t = await bootAccepted(runtime);
    t.csms.autoReply = { ...t.csms.autoReply, TransactionEvent: {}, MeterValues: {} };
    t.board.plug(1);
    t.board.presentToken(1, "FLEET-A");
    await t.settle();
    const [a1] = t.csms.takeCalls().filter((f) => f[2] === "Authorize");
    t.csms.reply(a1, { idTokenInfo: { status: "Accepted", groupIdToken: { idToken: "FLEET", type: "Central" } } });
    await t.settle();
    expect(t.csms.takeCalls().filter((f) => f[2] === "TransactionEvent").map((f) => (f[3] as TE).eventType)).toContain("Started");
    t.board.presentToken(1, "FLEET-B");
    await t.settle();
    const [a2] = t.csms.takeCalls().filter((f) => f[2] === "Authorize");
    expect((a2[3] as { idToken: { idToken: string } }).idToken.idToken).toBe("FLEET-B");
    t.csms.reply(a2, { idTokenInfo: { status: "Invalid", groupIdToken: { idToken: "FLEET", type: "Central" } } });
    for (let i = 0; i < 5; i++) {
      t.board.advance(1);
      await t.settle();
    }
    const later = t.csms.takeCalls().filter((f) => f[2] === "TransactionEvent").map((f) => f[3] as TE);
    expect(later.filter((e) => e.eventType === "Ended" || e.triggerReason === "StopAuthorized")).toEqual([]);
    expect(t.board.evses[0].relayClosed).toBe(true);
    // The same card again (cached Invalid now) is asked about again and still stops nothing.
    t.board.presentToken(1, "FLEET-B");
    await t.settle();
    const [a3] = t.csms.takeCalls().filter((f) => f[2] === "Authorize");
    t.csms.reply(a3, { idTokenInfo: { status: "Invalid", groupIdToken: { idToken: "FLEET", type: "Central" } } });
    await t.settle();
    expect(t.csms.takeCalls().filter((f) => f[2] === "TransactionEvent" && (f[3] as TE).eventType === "Ended")).toEqual([]);
  });
});
