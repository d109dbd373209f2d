// The outbox: every CALL the station sends waits here, in the order it was made, until the RPC layer
// (rpc.ts) has room for it on the wire (Part 4 §4.1.1: one CALL at a time).
//
// Two kinds of calls share one order:
// - RAM calls (StatusNotification, Heartbeat, reports ...): bounded by bounds.callQueueLength; when
//   full, a new one is refused with a log line, and its block decides what that means.
// - Persisted calls (TransactionEvent; MeterValues under QueueAllMessages): written to the flash
//   journal first, so a power loss loses none (E04). Only their journal positions stay in RAM; the
//   oldest is read back when it is its turn. They leave strictly in order and only to an Accepted
//   station; one that fails is retried after a growing wait (E13.FR.01..03) and discarded after its
//   last attempt (logged, and its block is told). When the journal is full, the oldest call marked
//   droppable gives way (E04.FR.07/08: intermediate Updated events, never Started or Ended), counted.
//
// BootNotification goes before everything (B01.FR.01); otherwise the oldest call that may go out
// goes first, whichever kind it is, except a persisted call still waiting for its retry time.

import type { JsonObject } from "./json";
import { journalGet, journalOwner, journalPut, JValue } from "./journal";
import { epochNow, rebaseStamps } from "./clock";
import type { Ctx, Station } from "./station";

export interface QueuedCall {
  action: string;
  /** The JSON payload: one string, or pieces sent in order (large report parts). */
  payload: string | string[];
  /** Handed back to the block's result handler. */
  ref: number;
  /** Sent on the CSMS's request (TriggerMessage, Get*Report): allowed while Pending (B02.FR.02). */
  triggered: boolean;
  /** Order of creation. */
  seq: number;
  /** Persisted calls: attempts allowed, the base wait between them, attempts made, and when the next may go. */
  persisted: boolean;
  attempts: number;
  interval: number;
  tries: number;
  notBefore: number;
  /** Has gone out on the wire (this boot): a resend is then the same frame again. */
  sent: boolean;
  /** Persisted calls: the record's flags: DROPPABLE, MARK_OFFLINE (the payload says "offline": true when it first goes after an outage it was queued in, CallOpts.markOffline). */
  flags: number;
  /** Persisted calls stamped from the uptime (the wall clock unknown, clock.ts stampNow): the boot they were built in, else 0. */
  boot: number;
}

/** Record flags of a persisted call. */
const DROPPABLE = 1;
const MARK_OFFLINE = 2;

/** What a block may say about a CALL it queues (rpcCall). */
export interface CallOpts {
  /** Handed back to the result handler (a number, so it survives in the journal). */
  ref?: number;
  /** Sent because the CSMS asked for it (B02.FR.02: may go while Pending). */
  triggered?: boolean;
  /** Through the flash journal: survives power loss, retried, in order (E04, E13). */
  persist?: boolean;
  /** Persisted calls: how many attempts in all (MessageAttempts) and the base wait (MessageAttemptInterval). */
  attempts?: number;
  interval?: number;
  /** Persisted calls: may be dropped, every other one, when the journal is full (E04.FR.07/08). */
  droppable?: boolean;
  /** Ahead of everything (BootNotification); when the RAM queue is full, the newest RAM call gives way. */
  first?: boolean;
  /**
   * Persisted calls whose payload (an object) has an "offline" flag: queued before an outage and
   * first sent after it, the payload goes with "offline": true (E11.FR.07 for TransactionEvent).
   */
  markOffline?: boolean;
}

export interface Outbox {
  /** RAM calls in order. */
  ram: QueuedCall[];
  /** Persisted calls, oldest first: their seq and journal position. */
  diskSeq: number[];
  diskAt: number[];
  /** The oldest persisted call read back from flash (or in flight), undefined until needed. */
  head: QueuedCall | undefined;
  seq: number;
  /** Persisted calls dropped for a full journal, and discarded after their last attempt, since boot. */
  dropped: number;
  /** Seq of the call dropped last (-1: none since the last pass over the queue): E04.FR.08 thins from there. */
  droppedSeq: number;
  discarded: number;
  /** Seq of the newest call when the connection last dropped: persisted calls up to it not yet sent were queued during an outage. */
  cut: number;
}

const KIND = "out";

/** Hands a CALL's outcome (payload, or undefined for failure) to the block that sent it. */
function notifyResult(st: Station, call: QueuedCall, payload: JsonObject | undefined): void {
  const h = st.results[call.action];
  if (h !== undefined) {
    const [ok, err] = pcall(h, st, payload, call.ref);
    if (!ok) st.hal.log(1, "result " + call.action + " failed: " + (err as string));
  }
}

function newCall(o: Outbox, action: string, payload: string | string[], opts: CallOpts | undefined, triggered: boolean): QueuedCall {
  o.seq = o.seq + 1;
  const c: QueuedCall = { action, payload, ref: 0, triggered, seq: o.seq, persisted: false, attempts: 1, interval: 0, tries: 0, notBefore: 0, sent: false, flags: 0, boot: 0 };
  if (opts !== undefined) {
    if (opts.ref !== undefined) c.ref = opts.ref;
    if (opts.triggered === true) c.triggered = true;
    if (opts.attempts !== undefined && opts.attempts > 1) c.attempts = opts.attempts;
    if (opts.interval !== undefined && opts.interval > 0) c.interval = opts.interval;
    if (opts.markOffline === true) c.flags = MARK_OFFLINE;
  }
  return c;
}

/** The journal record of a persisted call: [action, payload, ref, attempts, interval, flags, boot]. */
function record(c: QueuedCall): JValue {
  return [c.action, c.payload as string, c.ref, c.attempts, c.interval, c.flags, c.boot];
}

function fromRecord(seq: number, v: JValue): QueuedCall | undefined {
  const r = v as JValue[];
  if (type(r) !== "table" || type(r[0]) !== "string" || type(r[1]) !== "string") return undefined;
  return {
    action: r[0] as string, payload: r[1] as string, ref: r[2] as number, triggered: false, seq,
    persisted: true, attempts: r[3] as number, interval: r[4] as number, tries: 0, notBefore: 0, sent: false,
    flags: r[5] as number, boot: r[6] !== undefined ? (r[6] as number) : 0,
  };
}

/**
 * Drops a droppable persisted call that is not in flight (E04.FR.07); false when none is. E04.FR.08:
 * intermediate ones first, every other one: the 1st, the 3rd, the 5th…, then again over what is left,
 * so what stays thins out evenly instead of losing its start or its end. Its record stays in the
 * journal until the next compaction, which leaves it out.
 */
function dropOne(st: Station): boolean {
  const o = st.out;
  // One kept after the last dropped, then the next goes; past the end, again from the start.
  for (let pass = 0; pass < 2; pass++) {
    let keep = o.droppedSeq >= 0 ? 1 : 0;
    for (let i = 0; i < o.diskAt.length; i++) {
      if ((i === 0 && o.head !== undefined) || o.diskSeq[i] <= o.droppedSeq) continue;
      const v = journalGet(st, o.diskAt[i]) as JValue[] | undefined;
      if (v === undefined || (v[5] !== DROPPABLE && v[5] !== DROPPABLE + MARK_OFFLINE)) continue;
      if (keep > 0) {
        keep = keep - 1;
        continue;
      }
      const seq = o.diskSeq[i];
      st.hal.log(2, "journal full: dropped queued " + (v[0] as string) + " " + string.format("%d", seq));
      // Out of the live set first, so the compaction the tombstone may cause leaves it behind.
      table.remove(o.diskSeq, i + 1);
      table.remove(o.diskAt, i + 1);
      journalPut(st, KIND, seq, undefined);
      o.dropped = o.dropped + 1;
      o.droppedSeq = seq;
      return true;
    }
    o.droppedSeq = -1;
  }
  return false;
}

/** Queues a CALL; false when it cannot be kept (RAM queue full, or journal full of undroppable calls). */
export function outboxAdd(st: Station, action: string, payload: string | string[], opts: CallOpts | undefined): boolean {
  const o = st.out;
  const c = newCall(o, action, payload, opts, st.triggering);
  if (opts !== undefined && opts.persist === true) {
    c.persisted = true;
    if (opts.droppable === true) c.flags = c.flags + DROPPABLE;
    const [stamped] = string.find(payload as string, "\"197", 1, true);
    if (stamped !== undefined) c.boot = st.bootSeq;
    const rec = record(c);
    let at = journalPut(st, KIND, c.seq, rec);
    while (at === undefined && dropOne(st)) at = journalPut(st, KIND, c.seq, rec);
    if (at === undefined) {
      st.hal.log(1, "journal full: could not queue " + action);
      return false;
    }
    o.diskSeq[o.diskSeq.length] = c.seq;
    o.diskAt[o.diskAt.length] = at;
    // The first in line is the head as it is: not read back from the flash just written.
    if (o.diskAt.length === 1 && o.head === undefined) o.head = c;
    return true;
  }
  const first = opts !== undefined && opts.first === true;
  if (o.ram.length >= st.img.bounds.callQueueLength) {
    if (!first) {
      st.hal.log(2, "call queue full, dropped " + action);
      return false;
    }
    const evicted = table.remove(o.ram) as QueuedCall;
    st.hal.log(2, "call queue full, " + evicted.action + " gave way to " + action);
    table.insert(o.ram, 1, c);
    notifyResult(st, evicted, undefined);
    return true;
  }
  if (first) table.insert(o.ram, 1, c);
  else o.ram[o.ram.length] = c;
  return true;
}

/** The oldest persisted call, read back from flash when needed; a record that cannot be read is skipped. */
function diskHead(st: Station): QueuedCall | undefined {
  const o = st.out;
  while (o.head === undefined && o.diskAt.length > 0) {
    const v = journalGet(st, o.diskAt[0]);
    const c = v !== undefined ? fromRecord(o.diskSeq[0], v) : undefined;
    if (c !== undefined) o.head = c;
    else {
      st.hal.log(1, "unreadable queued call " + string.format("%d", o.diskSeq[0]) + " skipped");
      table.remove(o.diskSeq, 1);
      table.remove(o.diskAt, 1);
    }
  }
  return o.head;
}

/**
 * The next CALL to send now, or undefined. A RAM call leaves the queue; the persisted head stays
 * until outboxDone, so a power loss or a lost connection sends it again.
 */
export function outboxNext(st: Station, now: number): QueuedCall | undefined {
  const o = st.out;
  let ramAt = -1;
  // B01.FR.08, B02.FR.02, B03.FR.02: before Accepted only BootNotification goes out; while Pending
  // also what the CSMS asked for.
  const r = st.registration;
  for (let i = 0; i < o.ram.length && ramAt < 0; i++) {
    const c = o.ram[i];
    if (r === "Accepted" || c.action === "BootNotification" || (r === "Pending" && c.triggered)) ramAt = i;
  }
  const h = st.registration === "Accepted" ? diskHead(st) : undefined;
  const disk = h !== undefined && now >= h.notBefore ? h : undefined;
  if (ramAt >= 0) {
    const c = o.ram[ramAt];
    if (disk === undefined || c.action === "BootNotification" || c.seq < disk.seq) {
      table.remove(o.ram, ramAt + 1);
      return c;
    }
  }
  return disk;
}

function forgetHead(st: Station): void {
  const o = st.out;
  const seq = o.diskSeq[0];
  // Out of the live set first, so the compaction the tombstone may cause leaves it behind.
  table.remove(o.diskSeq, 1);
  table.remove(o.diskAt, 1);
  o.head = undefined;
  journalPut(st, KIND, seq, undefined);
}

/**
 * The CALL sent by outboxNext is over: answered (payload), failed (undefined: CALLERROR, invalid or
 * no answer in time), or lost with the connection (lost). Tells its block, except for a persisted
 * call that will be tried again.
 */
export function outboxDone(st: Station, call: QueuedCall, payload: JsonObject | undefined, lost: boolean): void {
  if (!call.persisted) {
    // Done with: the frame is let go before the result handler, which may build the next one (B07: a
    // NotifyReport part follows its answer), so two frames are never held at once.
    call.payload = "";
    notifyResult(st, call, payload);
    return;
  }
  // E04: a call lost with the connection goes again after reconnect, the same call.
  if (payload === undefined && lost) return;
  if (payload === undefined) {
    call.tries = call.tries + 1;
    if (call.tries < call.attempts) {
      // E13.FR.02: each retry waits MessageAttemptInterval times the attempts made so far.
      call.notBefore = st.hal.uptime() + call.interval * call.tries;
      st.hal.log(2, call.action + " attempt " + string.format("%d", call.tries) + " failed, retry later");
      return;
    }
    // E13.FR.03: after the last attempt the message is discarded.
    st.hal.log(1, call.action + " discarded after " + string.format("%d", call.tries) + " attempts");
    st.out.discarded = st.out.discarded + 1;
  }
  forgetHead(st);
  call.payload = "";
  notifyResult(st, call, payload);
}

/**
 * The payload to send, and the call marked as sent. E11.FR.07: a markOffline call still waiting
 * (never sent) when the connection dropped goes out with offline true; a call already on the wire
 * is resent as it was (the CSMS may have it: the same frame again, errata §4.1.4).
 */
export function outboxPayload(st: Station, call: QueuedCall): string | string[] {
  const first = !call.sent;
  call.sent = true;
  if (!first || !call.persisted || type(call.payload) !== "string") return call.payload;
  // Stamped from the uptime while the wall clock was unknown (this boot): moved onto it now, known
  // once the CSMS accepted the station, and journaled so, so that a resend after a power loss is the
  // same frame. Stamps of an earlier boot cannot be placed: they go as they are.
  const now = epochNow(st);
  if (call.boot === st.bootSeq && now !== undefined) {
    call.boot = 0;
    call.payload = rebaseStamps(call.payload as string, now - st.hal.uptime());
    const at = journalPut(st, KIND, call.seq, record(call));
    if (at !== undefined && st.out.diskSeq[0] === call.seq) st.out.diskAt[0] = at;
  }
  const text = call.payload as string;
  if (call.seq > st.out.cut || call.flags < MARK_OFFLINE) return text;
  const [marked] = string.find(text, "\"offline\":true", 1, true);
  if (marked !== undefined || string.sub(text, 1, 1) !== "{" || string.sub(text, 2, 2) === "}") return text;
  call.payload = "{\"offline\":true," + string.sub(text, 2);
  return call.payload;
}

/**
 * Hands the JSON payload and the ref of every queued persisted call of an action to fn, oldest first
 * (read back from flash): after a power loss, a block learns what it had queued but may not have recorded.
 */
export function outboxQueued(ctx: Ctx, action: string, fn: (this: void, payload: string, ref: number) => void): void {
  const st = ctx as Station;
  const o = st.out;
  for (let i = 0; i < o.diskAt.length; i++) {
    const r = journalGet(st, o.diskAt[i]) as JValue[] | undefined;
    if (r !== undefined && r[0] === action && type(r[1]) === "string") fn(r[1] as string, r[2] as number);
  }
}

/** Removes the queued (not sent, not persisted) calls of an action; their block asked, so none is told. */
export function outboxDrop(st: Station, action: string): void {
  const q = st.out.ram;
  for (let i = q.length; i > 0; i--) if (q[i - 1].action === action) table.remove(q, i);
}

/** Is a RAM call of this action queued? */
export function outboxHas(st: Station, action: string): boolean {
  const q = st.out.ram;
  for (let i = 0; i < q.length; i++) if (q[i].action === action) return true;
  return false;
}

/** How many more RAM calls fit. */
export function outboxRoom(st: Station): number {
  return st.img.bounds.callQueueLength - st.out.ram.length;
}

/** Calls waiting: RAM and persisted. */
export function outboxCount(st: Station): number {
  return st.out.ram.length + st.out.diskAt.length;
}

/** Persisted calls of an action waiting, the one in flight included (E14 messagesInQueue: TransactionEvents only). */
export function outboxPersisted(ctx: Ctx, action: string): number {
  let n = 0;
  outboxQueued(ctx, action, () => {
    n = n + 1;
  });
  return n;
}

/** Registers the outbox with the journal: replay rebuilds the persisted queue, dump rewrites it. */
export function outboxRestore(st: Station): void {
  journalOwner(st, KIND, {
    replay: (c: Ctx, key: string | number, value: JValue | undefined, at: number) => {
      const o = (c as Station).out;
      const seq = key as number;
      if (seq > o.seq) o.seq = seq;
      if (value !== undefined) {
        // A second replay (after a compaction that failed) repeats records: the last position wins.
        for (let i = o.diskSeq.length; i > 0; i--) {
          if (o.diskSeq[i - 1] === seq) {
            o.diskAt[i - 1] = at;
            return;
          }
        }
        o.diskSeq[o.diskSeq.length] = seq;
        o.diskAt[o.diskAt.length] = at;
        return;
      }
      for (let i = o.diskSeq.length; i > 0; i--) {
        if (o.diskSeq[i - 1] === seq) {
          table.remove(o.diskSeq, i);
          table.remove(o.diskAt, i);
        }
      }
    },
    dump: (c: Ctx) => {
      const s = c as Station;
      const o = s.out;
      for (let i = 0; i < o.diskAt.length; i++) {
        const v = journalGet(s, o.diskAt[i]);
        const at = v !== undefined ? journalPut(s, KIND, o.diskSeq[i], v) : undefined;
        // Compaction copies what it had room for before: the copy cannot be larger than the live set.
        if (at !== undefined) o.diskAt[i] = at;
      }
    },
  });
}

export { notifyResult };
