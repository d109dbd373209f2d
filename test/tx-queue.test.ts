// The TransactionEvent queue: E13 retries, E14 GetTransactionStatus, offline events (E04/E08/E11),
// and a reboot in the middle of a transaction, on every runtime. Part 6 test cases by id.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../build/compile";
import { RUNTIMES } from "../sim/runtimes/image";
import { Frame, NOW_ISO, ScriptedCsms, startStation } from "./harness";
import { ACCEPT, advance, call, evse, flush, pilot, plug, sent, setVars, tes, token, txStation, TxStation, TE, TX_CONFIG, TX_FILE } from "./tx-harness";

const PPC = { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const OFFLINE = { ...PPC, "OCPPCommCtrlr/RetryBackOffWaitMinimum": "20", "OCPPCommCtrlr/RetryBackOffRandomRange": "0", "SampledDataCtrlr/TxUpdatedInterval": "30" };

/** A charging transaction on EVSE 1, all its events answered; returns its Started event. */
async function charging(t: TxStation): Promise<TE> {
  plug(t);
  token(t, "OK30");
  const l = await tes(t);
  await advance(t, 1);
  await tes(t);
  return l[0];
}

/** A charging transaction, its events answered, then a power cut and the station back, Accepted: its Started and the last seqNo before the cut. */
async function cutMidTransaction(t: TxStation): Promise<{ started: TE; lastSeq: number }> {
  const started = await charging(t);
  await advance(t, 3);
  const before = await tes(t);
  const lastSeq = before.length > 0 ? before.at(-1)!.seqNo : 1;
  await t.board.powerCycle();
  await t.settle();
  const [boot] = t.csms.takeCalls();
  expect(boot[2]).toBe("BootNotification");
  t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
  return { started, lastSeq };
}

/** The network goes for `seconds`, then comes back when the station retries. */
async function outage(t: TxStation, seconds: number): Promise<void> {
  t.csms.reachable = false;
  t.csms.drop();
  await advance(t, seconds);
  t.csms.reachable = true;
}

async function untilOnline(t: TxStation): Promise<void> {
  for (let i = 0; i < 300 && !t.csms.open; i++) await advance(t, 1);
  expect(t.csms.open).toBe(true);
}

/** [uptime, seqNo] of the TransactionEvents sent over the next seconds; each is handed to answer. */
async function transmissions(t: TxStation, seconds: number, answer: (f: Frame) => void): Promise<[number, number][]> {
  const at: [number, number][] = [];
  for (let i = 0; i < seconds; i++) {
    t.board.advance(1);
    for (let k = 0; k < 4; k++) {
      await t.settle();
      for (const f of t.csms.takeCalls()) {
        if (f[2] !== "TransactionEvent") continue;
        at.push([t.board.uptime, (f[3] as TE).seqNo]);
        answer(f);
      }
    }
  }
  return at;
}

const trig = (l: TE[]) => l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.chargingState ?? "-"}`);

const journalIsPlaceholder = fs.readFileSync(path.join(ROOT, "firmware", "journal.ts"), "utf8").includes("PLACEHOLDER");

describe.each(RUNTIMES)("the TransactionEvent queue on %s", (runtime) => {
  it("TC_E_41_CS: never answered: sent MessageAttempts times, waiting interval × attempts + MessageTimeout between them (E13.FR.02..04)", async () => {
    const t = await txStation(runtime, PPC);
    setVars(t, { "OCPPCommCtrlr/MessageAttempts[TransactionEvent]": "3", "OCPPCommCtrlr/MessageAttemptInterval[TransactionEvent]": "10" });
    plug(t);
    await sent(t);
    t.teAnswer = undefined;
    token(t, "OK31");
    await t.settle();
    const first = t.csms.takeCalls().filter((f) => f[2] === "TransactionEvent");
    expect(first).toHaveLength(1);
    expect(first[0][3]).toMatchObject({ eventType: "Started", seqNo: 0 });
    const t0 = t.board.uptime;
    const at = await transmissions(t, 200, () => undefined);
    // MessageTimeout 30: retry 1 at 30 + 10, retry 2 at 40 + 30 + 20; then the event is discarded and the next one goes.
    const retries = at.filter(([, seq]) => seq === 0);
    expect(retries.map(([u]) => u - t0)).toEqual([40, 90]);
    expect(at.length).toBeGreaterThan(2);
    expect(at[2][0] - t0).toBe(120);
    expect(at[2][1]).toBe(1);
  });

  it("TC_E_50_CS / TC_E_51_CS: CALLERROR counts as a failure without the timeout; success on the second attempt ends the retries", async () => {
    const t = await txStation(runtime, PPC);
    setVars(t, { "OCPPCommCtrlr/MessageAttempts[TransactionEvent]": "3", "OCPPCommCtrlr/MessageAttemptInterval[TransactionEvent]": "10" });
    plug(t);
    await sent(t);
    t.teAnswer = undefined;
    token(t, "OK32");
    await t.settle();
    const [first] = t.csms.takeCalls().filter((f) => f[2] === "TransactionEvent");
    const t0 = t.board.uptime;
    t.csms.deliver(JSON.stringify([4, first[1], "InternalError", "", {}]));
    let n = 0;
    const at = await transmissions(t, 60, (f) => {
      n++;
      if (n === 1) t.csms.reply(f, ACCEPT(f[3] as TE));
      else t.csms.reply(f, {});
    });
    // Retry after interval × 1 (no timeout to wait for), answered: no further retry; the next event follows at once.
    expect(at[0]).toEqual([t0 + 10, 0]);
    expect(at.filter(([, seq]) => seq === 0)).toHaveLength(1);
    expect(at[1]).toEqual([t0 + 10, 1]);
  });

  it("TC_E_42_CS: the first transmission unanswered, the second answered: exactly two", async () => {
    const t = await txStation(runtime, PPC);
    setVars(t, { "OCPPCommCtrlr/MessageAttempts[TransactionEvent]": "4", "OCPPCommCtrlr/MessageAttemptInterval[TransactionEvent]": "5" });
    plug(t);
    await sent(t);
    t.teAnswer = undefined;
    token(t, "OK33");
    await t.settle();
    const [first] = t.csms.takeCalls().filter((f) => f[2] === "TransactionEvent");
    const t0 = t.board.uptime;
    const at = await transmissions(t, 120, (f) => t.csms.reply(f, ACCEPT(f[3] as TE)));
    // The retry is the same event after timeout + interval × 1, then only new events.
    expect((first[3] as TE).seqNo).toBe(0);
    expect(at[0]).toEqual([t0 + 35, 0]);
    expect(at.filter(([, seq]) => seq === 0)).toHaveLength(1);
    const seqs = at.map(([, seq]) => seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("TC_E_28_CS / TC_E_34_CS / TC_E_30_CS / TC_E_32_CS: GetTransactionStatus, nothing queued", async () => {
    const t = await txStation(runtime, PPC);
    expect(call(t, "GetTransactionStatus", { transactionId: "unknown-1" })).toEqual({ ongoingIndicator: false, messagesInQueue: false });
    expect(call(t, "GetTransactionStatus", {})).toEqual({ messagesInQueue: false });
    const s = await charging(t);
    const id = s.transactionInfo.transactionId;
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: true, messagesInQueue: false });
    token(t, "OK30");
    await tes(t);
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: false, messagesInQueue: false });
  });

  it("TC_E_40_CS / TC_E_29_CS / TC_E_33_CS: events of an outage are queued with offline true, counted (in flight too) and sent after reconnect", async () => {
    const t = await txStation(runtime, OFFLINE);
    const s = await charging(t);
    const id = s.transactionInfo.transactionId;
    await outage(t, 65);
    t.teAnswer = undefined;
    await untilOnline(t);
    const inflight = await sent(t, "TransactionEvent");
    // The first queued event is in flight, unanswered: still queued for E14.
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: true, messagesInQueue: true });
    expect(call(t, "GetTransactionStatus", {})).toEqual({ messagesInQueue: true });
    t.teAnswer = ACCEPT;
    expect(inflight).toHaveLength(1);
    t.csms.reply(inflight[0], {});
    const l = [inflight[0][3] as TE, ...(await tes(t))];
    expect(l.length).toBeGreaterThanOrEqual(2);
    for (const e of l) {
      expect(e).toMatchObject({ eventType: "Updated", triggerReason: "MeterValuePeriodic", offline: true });
      expect(e.meterValue).toBeDefined();
    }
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: true, messagesInQueue: false });
  });

  it("E11.FR.07: an event still waiting when the connection drops goes with offline true; the one on the wire is resent unchanged", async () => {
    const t = await txStation(runtime, OFFLINE);
    plug(t);
    await sent(t);
    t.teAnswer = undefined;
    token(t, "OK34");
    // The EV answers the offer: its Charging event waits behind the unanswered Started.
    await advance(t, 1);
    const [first] = await sent(t, "TransactionEvent");
    expect((first[3] as TE).offline).toBeUndefined();
    await outage(t, 5);
    t.teAnswer = ACCEPT;
    await untilOnline(t);
    const l = await tes(t);
    expect(JSON.stringify(l[0])).toBe(JSON.stringify(first[3]));
    expect(l[1]).toMatchObject({ eventType: "Updated", seqNo: 1, offline: true, transactionInfo: { chargingState: "Charging" } });
  });

  it("TC_E_44_CS: stopped with the same token while offline: Ended generated offline, sent after reconnect with offline true", async () => {
    const t = await txStation(runtime, OFFLINE);
    const s = await charging(t);
    await outage(t, 3);
    token(t, "OK30");
    await advance(t, 20);
    await untilOnline(t);
    const l = await tes(t);
    const ended = l.filter((e) => e.eventType === "Ended");
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ triggerReason: "StopAuthorized", offline: true, transactionInfo: { transactionId: s.transactionInfo.transactionId, stoppedReason: "Local" } });
    for (const e of l) expect(e.offline).toBe(true);
  });

  it.skipIf(journalIsPlaceholder)("E04: periodic Updated events, all answered, then the power goes: the Ended event takes the seqNo after the last one (only the seqNo was journalled for them)", async () => {
    const t = await txStation(runtime, PPC);
    const set = t.csms.call("SetVariables", { setVariableData: [{ component: { name: "SampledDataCtrlr" }, variable: { name: "TxUpdatedInterval" }, attributeValue: "5" }] });
    expect((set[2] as { setVariableResult: { attributeStatus: string }[] }).setVariableResult[0].attributeStatus).toBe("Accepted");
    const s = await charging(t);
    await advance(t, 17);
    const before = await tes(t);
    expect(before.filter((e) => e.triggerReason === "MeterValuePeriodic").length).toBeGreaterThanOrEqual(3);
    const lastSeq = before.at(-1)!.seqNo;
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 2);
    const l = await tes(t);
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ eventType: "Ended", seqNo: lastSeq + 1, transactionInfo: { transactionId: s.transactionInfo.transactionId, stoppedReason: "PowerLoss" } });
  });

  it.skipIf(journalIsPlaceholder)("E04: power lost mid-transaction: after the reboot it is ended, PowerLoss, with its id and the next seqNo; the cable starts nothing new", async () => {
    const t = await txStation(runtime, PPC);
    const { started: s, lastSeq } = await cutMidTransaction(t);
    await advance(t, 2);
    const l = await tes(t);
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ eventType: "Ended", triggerReason: "AbnormalCondition", seqNo: lastSeq + 1, transactionInfo: { transactionId: s.transactionInfo.transactionId, stoppedReason: "PowerLoss" } });
    // The event happened before the station was back online.
    expect(l[0].offline).toBe(true);
    expect(l[0].meterValue!.at(-1)!.sampledValue[0].context).toBe("Transaction.End");
  });

  it.skipIf(journalIsPlaceholder)("E04: the socket's lock, still closed when the power came back, opens once the lost transaction has ended (PowerLoss)", async () => {
    const t = await txStation(runtime, PPC);
    await charging(t);
    expect(evse(t).locked[0]).toBe(true);
    // The lock holds its place without power; the board's clock knows the time, so the transaction
    // ends as the station starts.
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 2);
    expect((await tes(t)).map((e) => e.transactionInfo.stoppedReason)).toEqual(["PowerLoss"]);
    expect(evse(t).locked[0]).toBe(false);
    expect(evse(t).relayClosed).toBe(false);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxCtrlr.TxResumptionTimeout > 0: power lost mid-transaction, the EV still there: the same transaction goes on (Updated, AbnormalCondition, next seqNo), charging again, locked, stopped by its card", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "60" });
    const { started: s, lastSeq } = await cutMidTransaction(t);
    await advance(t, 3);
    const l = await tes(t);
    expect(l.filter((e) => e.eventType !== "Updated")).toEqual([]);
    expect(l[0]).toMatchObject({ triggerReason: "AbnormalCondition", seqNo: lastSeq + 1, transactionInfo: { transactionId: s.transactionInfo.transactionId } });
    expect(l.map((e) => e.seqNo)).toEqual(l.map((_, i) => lastSeq + 1 + i));
    expect(l.at(-1)!.transactionInfo.chargingState).toBe("Charging");
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).locked[0]).toBe(true);
    // Busy again: an OnIdle reset waits for it (B12.FR.01).
    expect(call(t, "Reset", { type: "OnIdle" })).toMatchObject({ status: "Scheduled" });
    expect(call(t, "GetTransactionStatus", { transactionId: s.transactionInfo.transactionId })).toMatchObject({ ongoingIndicator: true });
    token(t, "OK30");
    expect((await tes(t)).map((e) => `${e.eventType}/${e.transactionInfo.transactionId === s.transactionInfo.transactionId}/${e.transactionInfo.stoppedReason}`)).toEqual(["Ended/true/Local"]);
    expect(evse(t).relayClosed).toBe(false);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout: the cable pulled during the outage: nothing until the timeout, then Ended with PowerLoss and the lock open", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "20" });
    plug(t);
    token(t, "OK30");
    const evs = await tes(t);
    await advance(t, 3);
    evs.push(...(await tes(t)));
    const s = evs[0];
    const lastSeq = evs.at(-1)!.seqNo;
    // The power goes; meanwhile the cable is pulled (the board hears nothing while it is off).
    t.board.powerLost = true;
    t.board.unplug(1);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 10);
    expect(await tes(t)).toEqual([]);
    expect(evse(t).locked[0]).toBe(true);
    await advance(t, 12);
    const l = await tes(t);
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ eventType: "Ended", triggerReason: "AbnormalCondition", seqNo: lastSeq + 1, transactionInfo: { transactionId: s.transactionInfo.transactionId, stoppedReason: "PowerLoss" } });
    expect(evse(t).locked[0]).toBe(false);
    expect(evse(t).relayClosed).toBe(false);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout: a cable without its EV (pilot A) does not resume it: Ended with PowerLoss after the timeout, no energy", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "5" });
    const s = await charging(t);
    await advance(t, 2);
    await tes(t);
    // The EV end of the cable is gone: the pilot reads A with the cable still in the socket.
    evse(t).ev.pilot = () => "A" as "B";
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 8);
    const l = await tes(t);
    expect(l.map((e) => `${e.eventType}/${e.transactionInfo.stoppedReason}`)).toEqual(["Ended/PowerLoss"]);
    expect(l[0].transactionInfo.transactionId).toBe(s.transactionInfo.transactionId);
    expect(evse(t).relayClosed).toBe(false);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout, E05.FR.02: a transaction whose token the CSMS refused (StopTxOnInvalidId false) is not resumed: no energy after the reboot, Ended with PowerLoss", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "5", "TxCtrlr/StopTxOnInvalidId": "false" });
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
    plug(t);
    token(t, "OK30");
    await advance(t, 3);
    await tes(t);
    expect(evse(t).relayClosed).toBe(false);
    t.teAnswer = ACCEPT;
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    for (let i = 0; i < 8; i++) {
      await advance(t, 1);
      expect(evse(t).relayCommand).toBe(false);
    }
    expect((await tes(t)).map((e) => `${e.eventType}/${e.transactionInfo.stoppedReason}`)).toEqual(["Ended/PowerLoss"]);
  });

  /** A charging transaction cut by a power loss; the EV end of the cable unplugged meanwhile (pilot A, the cable still in): the station waits within TxResumptionTimeout. */
  async function waitingResumption(t: TxStation): Promise<{ started: TE; restore: () => void }> {
    const started = await charging(t);
    await advance(t, 2);
    await tes(t);
    const ev = evse(t).ev;
    const pilotOf = ev.pilot.bind(ev);
    ev.pilot = () => "A" as "B";
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 2);
    expect(await tes(t)).toEqual([]);
    return { started, restore: () => (ev.pilot = pilotOf) };
  }

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout, F05.FR.02: while a transaction waits for its EV after the reboot, UnlockConnector is OngoingAuthorizedTransaction; the EV back, it charges locked", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "60" });
    const { restore } = await waitingResumption(t);
    expect(evse(t).locked[0]).toBe(true);
    expect(call(t, "UnlockConnector", { evseId: 1, connectorId: 1 })).toEqual({ status: "OngoingAuthorizedTransaction" });
    expect(evse(t).locked[0]).toBe(true);
    restore();
    pilot(t, "B");
    await advance(t, 3);
    expect(trig(await tes(t))).toEqual(["Updated/AbnormalCondition/EVConnected", "Updated/ChargingStateChanged/Charging"]);
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).locked[0]).toBe(true);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout: stopped while it waits for its EV: the owner's card ends it StopAuthorized with that token (E07.FR.02), RequestStopTransaction RemoteStop (F03), not PowerLoss", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "60" });
    const { started } = await waitingResumption(t);
    token(t, "OK30");
    let l = await tes(t);
    expect(l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.stoppedReason}/${e.idToken?.idToken}`)).toEqual(["Ended/StopAuthorized/Local/OK30"]);
    expect(l[0].transactionInfo.transactionId).toBe(started.transactionInfo.transactionId);
    expect(evse(t).locked[0]).toBe(false);
    const u = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "60" });
    const w = await waitingResumption(u);
    expect(call(u, "RequestStopTransaction", { transactionId: w.started.transactionInfo.transactionId })).toEqual({ status: "Accepted" });
    l = await tes(u);
    expect(l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.stoppedReason}`)).toEqual(["Ended/RemoteStop/Remote"]);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout, E05.FR.02: a refusal that changed no charging state (TxStartPoint Authorized, no cable yet) is journaled: after a reboot the cable brings no energy, the transaction ends PowerLoss", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "Authorized", "TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/StopTxOnInvalidId": "false", "TxCtrlr/TxResumptionTimeout": "60" });
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
    token(t, "OK30");
    expect(trig(await tes(t))).toEqual(["Started/Authorized/Idle"]);
    t.teAnswer = ACCEPT;
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    plug(t);
    for (let i = 0; i < 4; i++) {
      await advance(t, 1);
      expect(evse(t).relayCommand).toBe(false);
    }
    expect((await tes(t)).map((e) => `${e.eventType}/${e.transactionInfo.stoppedReason}`)).toEqual(["Ended/PowerLoss"]);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout: the power gone between queuing a stop and journaling it: the stop is delivered and the transaction is not resumed", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected", "TxCtrlr/TxResumptionTimeout": "60" });
    await charging(t);
    await advance(t, 2);
    await tes(t);
    // The card stops the authorization: its event reaches the outbox, the journal's record of it does not.
    t.board.powerLossAt = { writes: 2, bytes: 0 };
    token(t, "OK30");
    expect(t.board.powerLost).toBe(true);
    // It had not gone out: a CALL leaves when the entry point that queued it returns (rpc.ts rpcEntry).
    expect(t.csms.takeCalls()).toEqual([]);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    expect(boot[2]).toBe("BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    for (let i = 0; i < 4; i++) {
      await advance(t, 1);
      expect(evse(t).relayCommand).toBe(false);
    }
    const l = await tes(t);
    expect(l.map((e) => `${e.eventType}/${e.triggerReason}`)).toEqual(["Updated/StopAuthorized", "Ended/AbnormalCondition"]);
    expect(l[1].transactionInfo.stoppedReason).toBe("PowerLoss");
    expect(l[1].seqNo).toBe(l[0].seqNo + 1);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout with TxStopPoint EnergyTransfer: the resumed transaction is not ended StoppedByEV for the state it reported before the power went", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EnergyTransfer,EVConnected", "TxCtrlr/TxResumptionTimeout": "60" });
    const { started: s } = await cutMidTransaction(t);
    await advance(t, 4);
    const l = await tes(t);
    expect(l.filter((e) => e.eventType === "Ended")).toEqual([]);
    expect(l.every((e) => e.transactionInfo.transactionId === s.transactionInfo.transactionId)).toBe(true);
    expect(evse(t).relayClosed).toBe(true);
  });

  it.skipIf(journalIsPlaceholder)("§6 TxResumptionTimeout: a contactor that stays closed through the reboot (welded) is commanded open while the transaction waits, and the EVSE reports Faulted", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/TxResumptionTimeout": "60" });
    await charging(t);
    t.board.setFaults(1, { relayWelded: true });
    const ev = evse(t).ev;
    ev.pilot = () => "A" as "B";
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    expect(evse(t).relayCommand).toBe(false);
    await advance(t, 4);
    const st = (await sent(t, "StatusNotification")).map((f) => f[3] as { evseId: number; connectorStatus: string });
    expect(st.filter((x) => x.evseId === 1).map((x) => x.connectorStatus)).toContain("Faulted");
  });

  it.skipIf(journalIsPlaceholder)("E04 / B12.FR.05: events queued when the power went are delivered after the reboot, in order", async () => {
    const t = await txStation(runtime, PPC);
    const s = await charging(t);
    t.teAnswer = undefined;
    token(t, "OK30");
    await flush(t);
    t.calls = [];
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    expect(boot[2]).toBe("BootNotification");
    t.teAnswer = ACCEPT;
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    const l = await tes(t);
    const mine = l.filter((e) => e.transactionInfo.transactionId === s.transactionInfo.transactionId);
    expect(mine.map((e) => e.eventType)).toContain("Ended");
    const seqs = mine.map((e) => e.seqNo);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it.skipIf(journalIsPlaceholder)("E14 after a reboot: the events still queued from before it count for GetTransactionStatus until answered", async () => {
    const t = await txStation(runtime, PPC);
    const s = await charging(t);
    const id = s.transactionInfo.transactionId;
    t.teAnswer = undefined;
    token(t, "OK30");
    await flush(t);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    expect(boot[2]).toBe("BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await t.settle();
    // Ended already (local stop before the power went), its events waiting in the journal.
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: false, messagesInQueue: true });
    t.teAnswer = ACCEPT;
    for (let i = 0; i < 10; i++) {
      for (const f of t.csms.takeCalls()) if (f[2] === "TransactionEvent") t.csms.reply(f, {});
      await advance(t, 1);
    }
    expect(call(t, "GetTransactionStatus", { transactionId: id })).toEqual({ ongoingIndicator: false, messagesInQueue: false });
  });

  it("a transaction started offline before the station knew the time (no RTC): its events carry the CSMS's time once it is known, not 1970", async () => {
    const csms = new ScriptedCsms();
    csms.reachable = false;
    const t = await startStation(runtime, { config: TX_CONFIG, configFile: TX_FILE, rtc: null, csms, provision: { ...OFFLINE, "SampledDataCtrlr/TxUpdatedInterval": "10" } });
    await t.settle();
    await t.settle();
    const startUp = t.board.uptime;
    t.board.plug(1);
    t.board.presentToken(1, "OK-NOCLOCK");
    for (let i = 0; i < 25; i++) {
      t.board.advance(1);
      await t.settle();
    }
    let bootAt = -1;
    csms.autoReply = {
      BootNotification: () => ((bootAt = t.board.uptime), { status: "Accepted", interval: 300, currentTime: NOW_ISO }),
      StatusNotification: {},
      MeterValues: {},
      TransactionEvent: (f: Frame) => ACCEPT(f[3] as TE),
    };
    csms.reachable = true;
    const events: TE[] = [];
    for (let i = 0; i < 40; i++) {
      t.board.advance(1);
      await t.settle();
      events.push(...csms.takeCalls().filter((f) => f[2] === "TransactionEvent").map((f) => f[3] as TE));
    }
    expect(bootAt).toBeGreaterThan(startUp);
    const wall = (up: number) => new Date(Date.parse(NOW_ISO) + (up - bootAt) * 1000).toISOString().replace(".000Z", "Z");
    const started = events.find((e) => e.eventType === "Started")!;
    expect(started.timestamp).toBe(wall(startUp));
    expect(started.meterValue![0].timestamp).toBe(wall(startUp));
    // The periodic ones queued offline (every 10 s) too; none is left in 1970.
    const offline = events.filter((e) => e.offline === true);
    expect(offline.length).toBeGreaterThanOrEqual(3);
    for (const e of events) {
      expect(e.timestamp.startsWith("1970")).toBe(false);
      for (const mv of e.meterValue ?? []) expect(mv.timestamp.startsWith("1970")).toBe(false);
    }
    // The periodic events keep their spacing across the moment the clock became known.
    const periodic = events.filter((e) => e.triggerReason === "MeterValuePeriodic");
    expect(periodic.length).toBeGreaterThanOrEqual(5);
    expect(periodic.map((e) => Date.parse(e.timestamp) - Date.parse(started.timestamp))).toEqual(periodic.map((_, i) => (i + 1) * 10000));
  });

  it("uptime stamps moved onto the wall clock are journaled so: a power loss before the answer resends the same frame", async () => {
    const csms = new ScriptedCsms();
    csms.reachable = false;
    const t = await startStation(runtime, { config: TX_CONFIG, configFile: TX_FILE, rtc: null, csms, provision: { ...OFFLINE } });
    await t.settle();
    t.board.plug(1);
    t.board.presentToken(1, "OK-REBASE");
    for (let i = 0; i < 10; i++) {
      t.board.advance(1);
      await t.settle();
    }
    // Back online: the Started event goes with the CSMS's time, and is never answered.
    csms.autoReply = { BootNotification: { status: "Accepted", interval: 300, currentTime: NOW_ISO }, StatusNotification: {}, MeterValues: {} };
    csms.reachable = true;
    let first: Frame | undefined;
    for (let i = 0; i < 40 && first === undefined; i++) {
      t.board.advance(1);
      await t.settle();
      first = csms.takeCalls().find((f) => f[2] === "TransactionEvent");
    }
    expect(first).toBeDefined();
    expect((first![3] as TE).timestamp.startsWith("197")).toBe(false);
    await t.board.powerCycle();
    await t.settle();
    let again: Frame | undefined;
    for (let i = 0; i < 10 && again === undefined; i++) {
      t.board.advance(1);
      await t.settle();
      again = csms.takeCalls().find((f) => f[2] === "TransactionEvent");
    }
    expect(JSON.stringify(again![3])).toBe(JSON.stringify(first![3]));
  });
});
