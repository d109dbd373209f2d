// The outbox (firmware/outbox.ts) on the TypeScript itself: order, priorities, persisted calls and
// their retries (E13), a call lost with the connection (E04), registration gating (B02.FR.02).
// Scenario tests of the transaction block run the same code on every Lua runtime.

import { describe, expect, it } from "vitest";
import type { Hal } from "../hal/hal";
import { IDLE_EVSE } from "./idle-evse";
import { firmware, stationClosed, stationFrame, stationOpened, stationTick } from "../firmware/entry";
import { rpcCall } from "../firmware/rpc";
import type { Block, Ctx, Image, Station } from "../firmware/station";
import type { JsonObject } from "../firmware/json";

interface Rig {
  st: Station;
  now: { t: number };
  sent: unknown[][];
  logs: string[];
  results: [string, JsonObject | undefined, number][];
  tick(n: number): void;
  answer(payload?: object): void;
  fail(): void;
}

function rig(queue = 4, store: Record<string, string> = {}, journalBytes = 16384): Rig {
  const now = { t: 0 };
  const sent: unknown[][] = [];
  const logs: string[] = [];
  const results: [string, JsonObject | undefined, number][] = [];
  const hal = {
    connect: () => undefined,
    send: (parts: string[]) => sent.push(JSON.parse(parts.join(""))),
    disconnect: () => undefined,
    uptime: () => now.t,
    rtcEpoch: () => 1795000000,
    setRtcEpoch: () => undefined,
    random: () => 0,
    load: (k: string) => store[k],
    save: (k: string, v: string) => void (store[k] = v),
    erase: (k: string) => void delete store[k],
    append: (k: string, parts: string[]) => void (store[k] = (store[k] ?? "") + parts.join("")) === undefined,
    read: (k: string, off: number, len: number) => store[k]?.slice(off, off + len),
    size: (k: string) => store[k]?.length ?? 0,
    ...IDLE_EVSE,
    reboot: () => undefined,
    log: (_l: number, m: string) => void logs.push(m),
  } as Hal;
  const recorder: Block = {
    name: "recorder",
    results: {
      TransactionEvent: (_c: Ctx, p, ref) => void results.push(["TransactionEvent", p, ref]),
      Heartbeat: (_c: Ctx, p, ref) => void results.push(["Heartbeat", p, ref]),
    },
  };
  const img: Image = {
    identity: { vendorName: "V", model: "M" },
    evses: [1],
    bounds: { maxFrameBytes: 4096, maxJsonDepth: 8, callQueueLength: queue, journalBytes, authCacheEntries: 8, authCacheBytes: 512 },
    blocks: [recorder],
    schemas: {},
    model: { data: "\nOCPPCommCtrlr/MessageTimeout[Default]|RW|integer|s||||30" },
  };
  const st = firmware(img).start(hal) as Station;
  stationOpened(st);
  st.registration = "Accepted";
  const last = () => sent[sent.length - 1];
  return {
    st, now, sent, logs, results,
    tick: (n) => {
      for (let i = 0; i < n; i++) {
        now.t++;
        stationTick(st);
      }
    },
    answer: (payload = {}) => stationFrame(st, JSON.stringify([3, last()[1], payload])),
    fail: () => stationFrame(st, JSON.stringify([4, last()[1], "InternalError", "", {}])),
  };
}

const action = (f: unknown[]) => f[2];

/** Answers every call as it goes out; the n of each TransactionEvent delivered, in order. */
function deliver(r: Rig): number[] {
  const got: number[] = [];
  for (let seen = 0; r.sent.length > seen; seen++) {
    const f = r.sent[r.sent.length - 1];
    if (f[2] === "TransactionEvent") got.push((f[3] as { n: number }).n);
    r.answer();
  }
  return got;
}

describe("outbox", () => {
  it("persisted calls survive a power loss and go after the next boot, in order; answered ones do not (E04)", () => {
    const store: Record<string, string> = {};
    const r = rig(4, store);
    rpcCall(r.st, "TransactionEvent", { n: 1 }, { persist: true, ref: 1 });
    r.answer();
    stationClosed(r.st);
    rpcCall(r.st, "TransactionEvent", { n: 2 }, { persist: true, ref: 2 });
    rpcCall(r.st, "TransactionEvent", { n: 3 }, { persist: true, ref: 3 });
    const again = rig(4, store);
    again.tick(1);
    const got: unknown[] = [];
    for (let i = 0; i < 3 && again.sent.length > i; i++) {
      got.push((again.sent[i][3] as { n: number }).n);
      again.answer();
    }
    expect(got).toEqual([2, 3]);
    // The result handlers of the new boot learn the outcome, with the refs given before the reboot.
    expect(again.results.map((x) => x[2])).toEqual([2, 3]);
  });

  it("a full journal drops droppable calls, never the others, and counts them (E04.FR.07)", () => {
    const r = rig(4, {}, 1024);
    stationClosed(r.st);
    const pad = "x".repeat(100);
    expect(rpcCall(r.st, "TransactionEvent", { n: 0, pad }, { persist: true })).toBe(true);
    let n = 1;
    while (n < 40 && rpcCall(r.st, "TransactionEvent", { n, pad }, { persist: true, droppable: true })) n++;
    expect(n).toBe(40); // droppable ones always make room for the next
    expect(rpcCall(r.st, "TransactionEvent", { n: 99, pad }, { persist: true })).toBe(true);
    expect(r.st.out.dropped).toBeGreaterThan(0);
    stationOpened(r.st);
    const got = deliver(r);
    expect(got[0]).toBe(0);
    expect(got[got.length - 1]).toBe(99);
    expect(got.length + r.st.out.dropped).toBe(41);
    expect(r.logs.some((l) => l.includes("journal full: dropped queued TransactionEvent"))).toBe(true);
  });

  it("E04.FR.08: the dropped ones are every other one, the 1st, 3rd, 5th…, then again over what is left; the queue keeps its start and its end", () => {
    const r = rig(4, {}, 1024);
    stationClosed(r.st);
    const pad = "x".repeat(100);
    const dropped: number[] = [];
    for (let n = 1; n <= 30; n++) {
      const before = r.logs.length;
      expect(rpcCall(r.st, "TransactionEvent", { n, pad }, { persist: true, droppable: true })).toBe(true);
      for (const l of r.logs.slice(before)) {
        const m = /dropped queued TransactionEvent (\d+)/.exec(l);
        if (m) dropped.push(Number(m[1]));
      }
    }
    stationOpened(r.st);
    const got = deliver(r);
    expect(got.length + dropped.length).toBe(30);
    // The first drops (outbox seqs, one per call) skip one kept call each.
    expect(dropped.length).toBeGreaterThanOrEqual(3);
    expect([dropped[1] - dropped[0], dropped[2] - dropped[1]]).toEqual([2, 2]);
    // What is delivered spans the session: its start is thinned, not cut off, and the newest is there.
    expect(got[0]).toBeLessThanOrEqual(4);
    expect(got[got.length - 1]).toBe(30);
    for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]);
  });

  it("E11.FR.07 as a call option: a markOffline call still waiting when the connection drops goes with offline true; the one on the wire and others go as they were", () => {
    const r = rig();
    r.tick(1);
    while (r.sent.length > 0 && r.sent[r.sent.length - 1][2] === "StatusNotification") {
      r.answer();
      r.sent.length = 0;
    }
    rpcCall(r.st, "MeterValues", { n: 1 }, { persist: true, markOffline: true });
    rpcCall(r.st, "MeterValues", { n: 2 }, { persist: true, markOffline: true });
    rpcCall(r.st, "MeterValues", { n: 3 }, { persist: true });
    stationClosed(r.st);
    stationOpened(r.st);
    r.tick(1);
    const got: unknown[] = [];
    for (let i = 0; i < 10 && got.length < 4; i++) {
      const f = r.sent[r.sent.length - 1];
      if (f === undefined) break;
      if (f[2] === "MeterValues") got.push(f[3]);
      r.answer();
    }
    // n 1 was on the wire: resent as it was; n 2 waited through the outage; n 3 has no flag to set.
    expect(got).toEqual([{ n: 1 }, { offline: true, n: 2 }, { n: 3 }]);
  });

  it("calls leave one at a time in the order they were made, RAM and persisted alike", () => {
    const r = rig();
    rpcCall(r.st, "Heartbeat", {}, { ref: 1 });
    rpcCall(r.st, "TransactionEvent", { n: 1 }, { persist: true, ref: 2 });
    rpcCall(r.st, "Heartbeat", {}, { ref: 3 });
    rpcCall(r.st, "TransactionEvent", { n: 2 }, { persist: true, ref: 4 });
    const order: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      order.push([action(r.sent[i]), (r.sent[i][3] as { n?: number }).n]);
      r.answer();
    }
    expect(order).toEqual([["Heartbeat", undefined], ["TransactionEvent", 1], ["Heartbeat", undefined], ["TransactionEvent", 2]]);
    expect(r.results.map((x) => x[2])).toEqual([1, 2, 3, 4]);
  });

  it("BootNotification goes before everything queued (B01.FR.01); the newest RAM call gives way when full", () => {
    const r = rig(2);
    r.st.registration = "none";
    rpcCall(r.st, "Heartbeat", {}, { ref: 1 });
    rpcCall(r.st, "Heartbeat", {}, { ref: 2 });
    expect(r.sent).toEqual([]);
    rpcCall(r.st, "BootNotification", {}, { first: true });
    expect(action(r.sent[0])).toBe("BootNotification");
    // The evicted Heartbeat (ref 2) was told it failed: nothing is dropped silently.
    expect(r.results).toEqual([["Heartbeat", undefined, 2]]);
  });

  it("before Accepted only BootNotification and, while Pending, triggered calls go (B01.FR.08, B02.FR.02)", () => {
    const r = rig();
    r.st.registration = "Pending";
    rpcCall(r.st, "TransactionEvent", { n: 1 }, { persist: true });
    rpcCall(r.st, "Heartbeat", {});
    rpcCall(r.st, "Heartbeat", {}, { triggered: true, ref: 9 });
    expect(r.sent.map(action)).toEqual(["Heartbeat"]);
    r.answer();
    expect(r.sent.length).toBe(1);
    r.st.registration = "Accepted";
    r.tick(1);
    expect(r.sent.map(action)).toEqual(["Heartbeat", "TransactionEvent"]);
  });

  it("a failed persisted call is retried after MessageAttemptInterval × attempts made, then discarded (E13.FR.01-03)", () => {
    const r = rig();
    rpcCall(r.st, "TransactionEvent", { n: 1 }, { persist: true, attempts: 3, interval: 10, ref: 7 });
    rpcCall(r.st, "TransactionEvent", { n: 2 }, { persist: true, attempts: 3, interval: 10, ref: 8 });
    const at: number[] = [];
    const seen = () => {
      at.push(r.now.t);
      return (r.sent[r.sent.length - 1][3] as { n: number }).n;
    };
    expect(seen()).toBe(1);
    r.fail(); // attempt 1 failed: wait 10
    r.tick(9);
    expect(r.sent.length).toBe(1);
    r.tick(1);
    expect(seen()).toBe(1);
    r.tick(30); // attempt 2 timed out after MessageTimeout (30): wait 20
    r.tick(19);
    expect(r.sent.length).toBe(2);
    r.tick(1);
    expect(seen()).toBe(1);
    r.fail(); // attempt 3 failed: discarded, its block told, the next goes
    expect(seen()).toBe(2);
    expect(at).toEqual([0, 10, 60, 60]);
    expect(r.results).toEqual([["TransactionEvent", undefined, 7]]);
    expect(r.logs.some((l) => l.includes("discarded after 3 attempts"))).toBe(true);
  });

  it("RAM calls may pass a persisted call waiting for its retry", () => {
    const r = rig();
    rpcCall(r.st, "TransactionEvent", { n: 1 }, { persist: true, attempts: 2, interval: 60 });
    r.fail();
    rpcCall(r.st, "Heartbeat", {});
    expect(action(r.sent[1])).toBe("Heartbeat");
  });

  it("a persisted call lost with the connection goes again, the same, after reconnect (E04); a RAM one is told it failed", () => {
    const r = rig();
    rpcCall(r.st, "Heartbeat", {}, { ref: 1 });
    stationClosed(r.st);
    expect(r.results).toEqual([["Heartbeat", undefined, 1]]);
    rpcCall(r.st, "TransactionEvent", { n: 1, seqNo: 0 }, { persist: true, attempts: 1, ref: 2 });
    stationOpened(r.st);
    const first = r.sent[r.sent.length - 1];
    stationClosed(r.st);
    stationOpened(r.st);
    const again = r.sent[r.sent.length - 1];
    expect(again[1]).not.toBe(first[1]);
    expect(again.slice(2)).toEqual(first.slice(2));
    // Not counted as an attempt: with attempts 1 it is still sent and answered.
    r.answer({});
    expect(r.results[1]).toEqual(["TransactionEvent", {}, 2]);
  });
});
