// Fault injection on a whole charging session (issue #7 §7): the connection cut at every message
// boundary, the board power-cycled at every step and at any byte of any flash write. Whatever
// happens, what reaches the CSMS must hold together (checkDelivery): every TransactionEvent at least
// once, a resend identical to the first copy, no gap in seqNo, never two events with one
// (transactionId, seqNo), Started first and Ended last, energy never decreasing, and the station
// still takes a new session afterwards (a probe session once every fault is spent). A session may
// vanish whole: power lost before its first event was durable leaves nothing to deliver (the card
// swipe is gone with the power; its driver would swipe again).

import { Frame, NOW_ISO, ScriptedCsms, startStation, TestStation } from "./harness";
import type { RuntimeName } from "../sim/runtimes/image";

/** Where to strike in one run. */
export interface Fault {
  /** Drop the connection right after the station's n-th CALL arrives, before it is answered. */
  cutAfterCall?: number;
  /** Power-cycle the board after step n of SESSION (0-based). */
  cycleAfterStep?: number;
  /** Cut the power during the n-th flash write of the run, after `bytes` bytes of an append. */
  powerLoss?: { writes: number; bytes: number };
}

export interface RunOutcome {
  /** Every TransactionEvent CALL the CSMS received, in arrival order (resends included). */
  events: Frame[];
  calls: number;
  flashWrites: number;
  cuts: number;
  powerLosses: number;
  problems: string[];
  /** Transactions the CSMS heard of (the probe's included). */
  transactions: number;
  /** The station's log lines (for a failure's story). */
  logs: string[];
}

/** A CSMS that answers everything a session needs and drops the line when told to. */
class FaultCsms extends ScriptedCsms {
  calls = 0;
  cutAt = -1;
  cuts = 0;
  events: Frame[] = [];
  transactions = new Set<string>();
  override send(frame: string): void {
    super.send(frame);
    const f = JSON.parse(Buffer.from(frame, "latin1").toString("utf8")) as Frame;
    if (f[0] !== 2) return;
    this.calls++;
    if (f[2] === "TransactionEvent") {
      this.events.push(f);
      this.transactions.add(((f[3] as { transactionInfo: { transactionId: string } }).transactionInfo).transactionId);
    }
    if (this.calls === this.cutAt) {
      this.cuts++;
      // The reply the base class queued finds the line closed and is never delivered.
      queueMicrotask(() => this.drop());
    }
  }
}

const TOKEN = "FAULT-TOKEN-1";
const PROBE = "FAULT-PROBE";

function answers(csms: FaultCsms): void {
  csms.autoReply = {
    BootNotification: { status: "Accepted", interval: 300, currentTime: NOW_ISO },
    StatusNotification: {},
    Heartbeat: () => ({ currentTime: NOW_ISO }),
    Authorize: { idTokenInfo: { status: "Accepted" } },
    MeterValues: {},
    TransactionEvent: (f: Frame) => ((f[3] as { idToken?: unknown }).idToken !== undefined ? { idTokenInfo: { status: "Accepted" } } : {}),
  };
}

type Step = (t: TestStation, csms: FaultCsms) => Promise<void> | void;

/** Virtual seconds, one at a time, letting socket events through after each. */
function wait(seconds: number): Step {
  return async (t) => {
    for (let i = 0; i < seconds && !t.board.powerLost; i++) {
      t.board.advance(1);
      await t.settle();
    }
  };
}

/** The session: plug → authorize → charge with periodic meter values → remote stop → unplug, then a second session. */
export const SESSION: { name: string; run: Step }[] = [
  { name: "plug", run: (t) => t.board.plug(1) },
  { name: "token", run: (t) => t.board.presentToken(1, TOKEN) },
  { name: "charge", run: wait(70) },
  {
    name: "remote stop",
    run: (t, csms) => {
      // The CSMS stops the last transaction it heard of, if the line is up.
      const id = [...csms.transactions].pop();
      if (id === undefined || !csms.open) return;
      try {
        csms.call("RequestStopTransaction", { transactionId: id });
      } catch (e) {
        // The power went while the station handled it (a flash write of the stop): no answer is right.
        if (!t.board.powerLost) throw e;
      }
    },
  },
  { name: "after stop", run: wait(15) },
  { name: "unplug", run: (t) => t.board.unplug(1) },
  { name: "idle", run: wait(20) },
  { name: "plug again", run: (t) => t.board.plug(1) },
  { name: "token again", run: (t) => t.board.presentToken(1, TOKEN) },
  { name: "charge again", run: wait(40) },
  { name: "unplug again", run: (t) => t.board.unplug(1) },
  { name: "drain", run: wait(120) },
];

/** Periodic meter values every 20 s, and a short back-off so a cut line comes back within the session. */
const PROVISION = {
  // A card presented while the line is down still starts the session (C15): the events queue (E04).
  "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
  "SampledDataCtrlr/TxUpdatedInterval": "20",
  "OCPPCommCtrlr/RetryBackOffWaitMinimum": "2",
  "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
  "OCPPCommCtrlr/RetryBackOffRepeatTimes": "0",
};

/** station: another build (config, configFile) to run the session on. */
export async function runSession(runtime: RuntimeName, fault: Fault, station: { config?: string; configFile?: string } = {}): Promise<RunOutcome> {
  const csms = new FaultCsms();
  const t = await startStation(runtime, { ...station, provision: PROVISION, csms });
  answers(csms);
  csms.cutAt = fault.cutAfterCall ?? -1;
  let powerLosses = 0;
  let flashWrites = 0;
  let calls = 0;
  if (fault.powerLoss !== undefined) t.board.powerLossAt = { ...fault.powerLoss };
  const boot = csms.takeCalls().find((c) => c[2] === "BootNotification");
  if (boot !== undefined) csms.reply(boot, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
  await t.settle();
  try {
    for (let i = 0; i < SESSION.length; i++) {
      await SESSION[i].run(t, csms);
      await t.settle();
      const cycle = fault.cycleAfterStep === i;
      if (t.board.powerLost || cycle) {
        if (t.board.powerLost) powerLosses++;
        flashWrites += t.board.flashWrites;
        await t.board.powerCycle();
        powerLosses += cycle ? 1 : 0;
        await t.settle();
      }
    }
    flashWrites += t.board.flashWrites;
    calls = csms.calls;
    // The station takes a new session afterwards: a probe with every fault spent or disarmed (its
    // CALLs and flash writes are not counted, so no sweep aims at it).
    t.board.powerLossAt = undefined;
    csms.cutAt = -1;
    t.board.plug(1);
    t.board.presentToken(1, PROBE);
    await wait(10)(t, csms);
    t.board.unplug(1);
    await wait(60)(t, csms);
  } finally {
    t.board.image.close();
  }
  const problems = checkDelivery(csms.events);
  const probe = csms.events.some((f) => (f[3] as { eventType: string; idToken?: { idToken: string } }).idToken?.idToken === PROBE);
  if (!probe) problems.push("the probe session after the faults reached no CSMS: the station takes no new session");
  return { events: csms.events, calls, flashWrites, cuts: csms.cuts, powerLosses, problems, transactions: csms.transactions.size, logs: t.logs };
}

interface Te {
  eventType: string;
  seqNo: number;
  transactionInfo: { transactionId: string };
  meterValue?: { timestamp: string; sampledValue: { value: number; measurand?: string; phase?: string }[] }[];
}

/** The energy register readings of an event with their sample times (an Ended event carries older samples). */
const energyOf = (e: Te): [string, number][] =>
  (e.meterValue ?? []).flatMap((mv) =>
    mv.sampledValue.filter((s) => (s.measurand ?? "Energy.Active.Import.Register") === "Energy.Active.Import.Register" && s.phase === undefined).map((s): [string, number] => [mv.timestamp, s.value]));

/** What the CSMS received must hold together; one line per problem. */
export function checkDelivery(frames: Frame[]): string[] {
  const problems: string[] = [];
  const byTx = new Map<string, Map<number, string>>();
  const order = new Map<string, Te[]>();
  for (const f of frames) {
    const e = f[3] as Te;
    const id = e.transactionInfo.transactionId;
    const seen = byTx.get(id) ?? new Map<number, string>();
    byTx.set(id, seen);
    const text = JSON.stringify(e);
    const first = seen.get(e.seqNo);
    if (first === undefined) {
      seen.set(e.seqNo, text);
      order.set(id, [...(order.get(id) ?? []), e]);
    } else if (first !== text) problems.push(`${id} seqNo ${e.seqNo} sent twice with different content:\n  ${first}\n  ${text}`);
  }
  for (const [id, events] of order) {
    const seqs = [...byTx.get(id)!.keys()].sort((a, b) => a - b);
    for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i) {
      problems.push(`${id}: seqNo gap, got ${seqs.join(",")}`);
      break;
    }
    if (events[0].eventType !== "Started") problems.push(`${id}: first event is ${events[0].eventType}`);
    const ends = events.filter((e) => e.eventType === "Ended");
    if (ends.length !== 1) problems.push(`${id}: ${ends.length} Ended events`);
    else if (events[events.length - 1].eventType !== "Ended") problems.push(`${id}: Ended arrived before ${events[events.length - 1].eventType}`);
    // In the order the samples were taken (ISO times of one clock sort as text; stable for equal ones).
    const samples = [...events].sort((a, b) => a.seqNo - b.seqNo).flatMap((e) => energyOf(e).map(([at, wh]) => ({ at, wh, seq: e.seqNo })));
    samples.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let last = -1;
    for (const x of samples) {
      if (x.wh < last) problems.push(`${id}: energy went down at ${x.at} (seqNo ${x.seq}: ${last} → ${x.wh})`);
      last = Math.max(last, x.wh);
    }
  }
  return problems;
}

/** A small seeded generator (mulberry32): the same sample on every run of `npm test`. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
