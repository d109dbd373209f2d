// The transactions block with availability and reset, the real blocks together (G03, B11/B12, F01):
// a transaction is busy for them before any cable names its connector, and an Inoperative EVSE
// starts none.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { NOW_ISO } from "./harness";
import { advance, call, plug, sent, tes, token, txStation } from "./tx-harness";

describe.each(RUNTIMES)("transactions with availability and reset on %s", (runtime) => {
  it("TxStartPoint Authorized, no cable yet: Reset OnIdle and ChangeAvailability are Scheduled (B12.FR.01, G03.FR.05)", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "Authorized" });
    token(t, "OK1");
    const l = await tes(t);
    expect(l.map((e) => e.eventType)).toEqual(["Started"]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } })).toEqual({ status: "Scheduled" });
    expect(call(t, "Reset", { type: "OnIdle" })).toEqual({ status: "Scheduled" });
    await sent(t);
    expect(t.board.rebootRequested).toBe(false);
  });

  it("TC_B_41_CS: OnIdle with transactions on two EVSEs: Scheduled, the reboot only once both ended, ScheduledReset; the cables still in are Occupied after it (B12.FR.01/03)", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" });
    plug(t, 1);
    plug(t, 2);
    token(t, "OK41a", 1);
    token(t, "OK41b", 2);
    await advance(t, 2);
    await sent(t);
    expect(call(t, "Reset", { type: "OnIdle" })).toEqual({ status: "Scheduled" });
    token(t, "OK41a", 1);
    await advance(t, 3);
    expect((await tes(t)).map((e) => `${e.eventType}/${e.evse?.id ?? "-"}`)).toEqual(["Ended/-"]);
    expect(t.board.rebootRequested).toBe(false);
    token(t, "OK41b", 2);
    await advance(t, 3);
    expect((await tes(t)).map((e) => e.eventType)).toEqual(["Ended"]);
    expect(t.board.rebootRequested).toBe(true);
    await t.board.powerCycle();
    await t.settle();
    const [bn] = t.csms.takeCalls();
    expect(bn[2]).toBe("BootNotification");
    expect((bn[3] as { reason: string }).reason).toBe("ScheduledReset");
    t.csms.reply(bn, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    const after = await sent(t, "StatusNotification");
    expect(after.map((f) => (f[3] as { connectorStatus: string }).connectorStatus)).toEqual(["Occupied", "Occupied"]);
  });

  it("an Inoperative EVSE starts no transaction when a cable is plugged (TxStartPoint EVConnected, G03.FR.06)", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "EVConnected" });
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } })).toEqual({ status: "Accepted" });
    await sent(t);
    plug(t);
    token(t, "OK1");
    const frames = await sent(t);
    expect(frames.filter((f) => f[2] === "TransactionEvent")).toEqual([]);
    // Still Unavailable with the cable in (G01.FR.05); the other EVSE is untouched.
    const sn = frames.filter((f) => f[2] === "StatusNotification").map((f) => (f[3] as { connectorStatus: string }).connectorStatus);
    expect(sn.every((s) => s === "Unavailable")).toBe(true);
  });
});
