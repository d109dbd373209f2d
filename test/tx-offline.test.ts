// Transactions while the CSMS is out of reach (E12 offline transactions, E08 stopped offline, E14
// status of one that ended offline, C15/E05 a token found invalid once back online), on every
// runtime. Part 6 test cases by id. The stand-in authorization (test/blocks/auth-table) answers at
// once, as a cache or an offline decision would.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { ACCEPT, advance, call, evse, plug, tes, token, txStation, TxStation, TE, unplug } from "./tx-harness";

const OFFLINE = {
  "TxCtrlr/TxStartPoint": "PowerPathClosed",
  "TxCtrlr/TxStopPoint": "EVConnected,Authorized",
  "OCPPCommCtrlr/RetryBackOffWaitMinimum": "20",
  "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
  "SampledDataCtrlr/TxUpdatedInterval": "0",
};
const trig = (l: TE[]) => l.map((e) => `${e.eventType}/${e.triggerReason}`);

/** The line goes down and stays down until back(). */
async function down(t: TxStation): Promise<void> {
  t.csms.reachable = false;
  t.csms.drop();
  await advance(t, 1);
}

/** The CSMS is reachable again; the station reconnects at its next attempt; the events it sends meanwhile. */
async function back(t: TxStation): Promise<TE[]> {
  t.csms.reachable = true;
  const l: TE[] = [];
  for (let i = 0; i < 120 && !t.csms.open; i++) {
    await advance(t, 1);
    l.push(...(await tes(t)));
  }
  expect(t.csms.open).toBe(true);
  await advance(t, 2);
  l.push(...(await tes(t)));
  return l;
}

describe.each(RUNTIMES)("transactions offline on %s", (runtime) => {
  it("TC_E_43_CS: a whole transaction while offline (E12): every event goes after the reconnect, offline true, one Started, one Ended, in order", async () => {
    const t = await txStation(runtime, OFFLINE);
    await down(t);
    plug(t);
    token(t, "OK43");
    await advance(t, 10);
    token(t, "OK43");
    await advance(t, 1);
    unplug(t);
    await advance(t, 1);
    expect(await tes(t)).toEqual([]);
    const l = await back(t);
    expect(l.filter((e) => e.eventType === "Started")).toHaveLength(1);
    expect(l.filter((e) => e.eventType === "Ended")).toHaveLength(1);
    expect(l[0].eventType).toBe("Started");
    expect(l.at(-1)!.eventType).toBe("Ended");
    expect(l.map((e) => e.seqNo)).toEqual(l.map((_, i) => i));
    for (const e of l) expect(e.offline).toBe(true);
  });

  it("TC_E_45_CS: stopped offline by another token of the same group (E08): Ended, StopAuthorized, that token, offline", async () => {
    const t = await txStation(runtime, OFFLINE);
    plug(t);
    token(t, "GRP1");
    await advance(t, 2);
    expect(trig(await tes(t))[0]).toBe("Started/ChargingStateChanged");
    await down(t);
    token(t, "GRP2");
    await advance(t, 1);
    unplug(t);
    await advance(t, 1);
    const l = await back(t);
    const ended = l.filter((e) => e.eventType === "Ended");
    expect(trig(ended)).toEqual(["Ended/StopAuthorized"]);
    expect(ended[0].idToken?.idToken).toBe("GRP2");
    expect(ended[0].offline).toBe(true);
  });

  it("TC_E_31_CS: GetTransactionStatus for a transaction that ended offline, its events still queued (E14): not ongoing, messages in queue; then none", async () => {
    const t = await txStation(runtime, OFFLINE);
    plug(t);
    token(t, "OK31");
    await advance(t, 2);
    const [started] = await tes(t);
    const id = started.transactionInfo.transactionId;
    await down(t);
    token(t, "OK31");
    await advance(t, 1);
    unplug(t);
    // Back online, the events wait for their answers.
    t.teAnswer = undefined;
    await back(t);
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: false, messagesInQueue: true });
    t.teAnswer = ACCEPT;
    await advance(t, 200);
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: false, messagesInQueue: false });
  });

  // C15 (offline start) then E05 (the token found invalid): TC_C_16 and TC_E_16 (StopTxOnInvalidId),
  // TC_C_18 (MaxEnergyOnInvalidId does not matter then), TC_C_17 (energy stops at once), TC_C_15
  // (energy goes on up to MaxEnergyOnInvalidId, far off here).
  const cases: [string, string, string, string][] = [
    ["TC_C_16_CS / TC_E_16_CS", "true", "0", "Deauthorized"],
    ["TC_C_18_CS", "true", "500", "Deauthorized"],
    ["TC_C_17_CS", "false", "0", "SuspendedEVSE"],
    ["TC_C_15_CS", "false", "10000", "charging"],
  ];
  for (const [id, stop, max, outcome] of cases) {
    it(`${id}: started offline, the token Invalid once online (StopTxOnInvalidId ${stop}, MaxEnergyOnInvalidId ${max}): ${outcome}`, async () => {
      const t = await txStation(runtime, { ...OFFLINE, "TxCtrlr/StopTxOnInvalidId": stop, "TxCtrlr/MaxEnergyOnInvalidId": max });
      await down(t);
      plug(t);
      token(t, "OK16c");
      await advance(t, 5);
      expect(evse(t).relayClosed).toBe(true);
      t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
      const l = await back(t);
      // Queued while offline: offline true; what the answer causes is sent online.
      expect(l[0]).toMatchObject({ eventType: "Started", offline: true });
      const after = l.filter((e) => e.offline !== true);
      if (outcome === "Deauthorized") {
        expect(after.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.stoppedReason}`)).toEqual(["Ended/Deauthorized/DeAuthorized"]);
        expect(evse(t).relayClosed).toBe(false);
      } else if (outcome === "SuspendedEVSE") {
        expect(after.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.chargingState}`)).toEqual(["Updated/ChargingStateChanged/SuspendedEVSE"]);
        expect(evse(t).relayClosed).toBe(false);
      } else {
        expect(after).toEqual([]);
        await advance(t, 5);
        expect(evse(t).relayClosed).toBe(true);
        expect((await tes(t)).filter((e) => e.eventType === "Ended" || e.transactionInfo.chargingState === "SuspendedEVSE")).toEqual([]);
      }
    });
  }
});
