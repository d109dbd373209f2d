// Edge cases from review, on every runtime: full call queues, reports across disconnects, hostile
// names and numbers from the CSMS, times past 2038, values that break the 32-bit VMs.

import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Firmware } from "../firmware/entry";
import type { Hal } from "../hal/hal";
import { IDLE_EVSE } from "./idle-evse";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, EPOCH, NOW_ISO, startStation, TestStation } from "./harness";

type Obj = Record<string, unknown>;
const get = (t: TestStation, items: Obj[]) => ((t.csms.call("GetVariables", { getVariableData: items })[2] as Obj).getVariableResult as Obj[]);
const set = (t: TestStation, items: Obj[]) => ((t.csms.call("SetVariables", { setVariableData: items })[2] as Obj).setVariableResult as Obj[]);

/** Fills the call queue: StatusNotification left unanswered (1 outstanding) plus 8 queued. */
async function jam(t: TestStation): Promise<void> {
  delete t.csms.autoReply.StatusNotification;
  for (let i = 0; i < 5; i++) t.csms.call("TriggerMessage", { requestedMessage: "StatusNotification" });
}

describe.each(RUNTIMES)("robustness on %s", (runtime) => {
  it("after the Rejected interval the station is not yet accepted, whether or not the socket was up (B03.FR.02, B02.FR.05)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Rejected", interval: 100, currentTime: NOW_ISO });
    await t.settle();
    t.csms.drop();
    await t.settle();
    t.board.advance(101);
    await t.settle();
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["BootNotification"]);
    const r = t.csms.call("GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] });
    expect(r[0]).toBe(3);
  });

  it("integers outside 32 bits are refused, never echoed changed (Part 2 §2.1.1; B08.FR.04 requestId)", async () => {
    const t = await bootAccepted(runtime);
    for (const requestId of [2147483648, 2147483649, -2147483649, 1e39]) {
      const r = t.csms.call("GetBaseReport", { requestId, reportBase: "SummaryInventory" });
      expect(r.slice(0, 3)).toEqual([4, expect.any(String), "PropertyConstraintViolation"]);
    }
    t.csms.autoReply.NotifyReport = {};
    expect(t.csms.call("GetBaseReport", { requestId: 2147483647, reportBase: "SummaryInventory" })[2]).toEqual({ status: "Accepted" });
    await t.settle();
    const notify = t.csms.takeCalls().find((c) => c[2] === "NotifyReport")!;
    expect((notify[3] as { requestId: number }).requestId).toBe(2147483647);
    // JSON's 1e999 is no integer either.
    t.csms.deliver('[2,"inf","TriggerMessage",{"requestedMessage":"StatusNotification","evse":{"id":1e999}}]');
    expect(t.csms.take()[0].slice(0, 3)).toEqual([4, "inf", "PropertyConstraintViolation"]);
  });

  it("a CSMS's boot answer with a zone-less currentTime and null fields is still taken (read as UTC)", async () => {
    const t = await startStation(runtime, { rtc: null });
    t.csms.autoReply = { StatusNotification: {} };
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:00:00.123456", statusInfo: null });
    await t.settle();
    const sn = t.csms.takeCalls().filter((c) => c[2] === "StatusNotification");
    expect(sn.map((c) => (c[3] as { timestamp: string }).timestamp)).toEqual(["2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z"]);
  });

  it("GetCertificateStatus, which only a station sends, is NotImplemented (Part 2 M06)", async () => {
    const t = await bootAccepted(runtime);
    expect(t.csms.call("GetCertificateStatus", {}).slice(0, 3)).toEqual([4, expect.any(String), "NotImplemented"]);
  });

  it("a connection attempt the board never reports back is abandoned and retried with back-off", async () => {
    const t = await bootAccepted(runtime);
    t.csms.hanging = true;
    t.csms.drop();
    await t.settle();
    // RetryBackOffWaitMinimum 5 + random ≤ 5: the attempt starts within 11 s, then hangs.
    t.board.advance(11);
    await t.settle();
    expect(t.csms.connects.length).toBe(2);
    t.board.advance(59);
    await t.settle();
    expect(t.csms.connects.length).toBe(2);
    t.csms.hanging = false;
    // Abandoned at 60 s, then the doubled back-off (10 + ≤ 5) and a new attempt that succeeds.
    t.board.advance(17);
    await t.settle();
    expect(t.csms.connects.length).toBe(3);
    expect(t.logs.some((l) => l.includes("connection attempt timed out"))).toBe(true);
    expect(t.csms.open).toBe(true);
  });

  it("a full call queue: triggers and reports are Rejected, not Accepted and forgotten (F06.FR.10, B08.FR.16)", async () => {
    const t = await bootAccepted(runtime);
    await jam(t);
    expect(t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" })[2]).toEqual({ status: "Rejected" });
    expect(t.csms.call("GetBaseReport", { requestId: 1, reportBase: "FullInventory" })[2]).toEqual({ status: "Rejected" });
    // Once the queue drains, the same requests work and are carried out.
    t.csms.autoReply.StatusNotification = {};
    t.csms.autoReply.NotifyReport = {};
    for (const c of t.csms.takeCalls()) t.csms.reply(c, {});
    await t.settle();
    t.csms.take();
    expect(t.csms.call("GetBaseReport", { requestId: 2, reportBase: "SummaryInventory" })[2]).toEqual({ status: "Accepted" });
    await t.settle();
    const parts = t.csms.takeCalls().filter((c) => c[2] === "NotifyReport");
    expect((parts.at(-1)![3] as Obj).tbc).toBe(false);
  });

  it("a report part queued at a disconnect is dropped, and the next report runs to the end (B08)", async () => {
    const t = await bootAccepted(runtime);
    delete t.csms.autoReply.StatusNotification;
    t.board.plug(1); // outstanding StatusNotification: the first part queues behind it
    expect(t.csms.call("GetBaseReport", { requestId: 7, reportBase: "FullInventory" })[2]).toEqual({ status: "Accepted" });
    t.csms.drop();
    await t.settle();
    t.csms.autoReply = { StatusNotification: {}, NotifyReport: {} };
    for (let i = 0; i < 3 && !t.csms.open; i++) {
      t.board.advance(10);
      await t.settle();
    }
    expect(t.csms.takeCalls().filter((c) => c[2] === "NotifyReport")).toEqual([]);
    expect(t.csms.call("GetBaseReport", { requestId: 8, reportBase: "FullInventory" })[2]).toEqual({ status: "Accepted" });
    await t.settle();
    const parts = t.csms.takeCalls().filter((c) => c[2] === "NotifyReport").map((c) => c[3] as Obj);
    expect(parts.every((p) => p.requestId === 8)).toBe(true);
    expect(parts.at(-1)!.tbc).toBe(false);
  });

  it("a report part evicted by a BootNotification ends the report instead of blocking reports", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Pending", interval: 1000, currentTime: NOW_ISO });
    t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" }); // outstanding, unanswered
    for (let i = 0; i < 3; i++) t.csms.call("TriggerMessage", { requestedMessage: "StatusNotification" });
    t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
    expect(t.csms.call("GetBaseReport", { requestId: 1, reportBase: "FullInventory" })[2]).toEqual({ status: "Accepted" });
    expect(t.csms.call("TriggerMessage", { requestedMessage: "BootNotification" })[2]).toEqual({ status: "Accepted" });
    t.csms.autoReply = { StatusNotification: {}, Heartbeat: { currentTime: NOW_ISO }, NotifyReport: {}, BootNotification: { status: "Accepted", interval: 300, currentTime: NOW_ISO } };
    for (const c of t.csms.takeCalls()) t.csms.reply(c, c[2] === "Heartbeat" ? { currentTime: NOW_ISO } : {});
    await t.settle();
    t.csms.take();
    expect(t.csms.call("GetBaseReport", { requestId: 2, reportBase: "SummaryInventory" })[2]).toEqual({ status: "Accepted" });
  });

  it("a huge BootNotification interval neither floods nor breaks heartbeats (B01.FR.04, B02.FR.07)", async () => {
    const t = await startStation(runtime);
    t.csms.autoReply = { StatusNotification: {}, Heartbeat: { currentTime: NOW_ISO } };
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 3000000000, currentTime: NOW_ISO });
    await t.settle();
    t.csms.take();
    const [hb] = get(t, [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }]);
    expect(hb.attributeValue).toBe("86400");
    const p = await startStation(runtime);
    const [boot2] = p.csms.takeCalls();
    p.csms.reply(boot2, { status: "Pending", interval: 3000000000, currentTime: NOW_ISO });
    p.board.advance(600);
    expect(p.csms.takeCalls()).toEqual([]);
  });

  it("times past 2038 are not taken: the clock keeps its 32-bit-safe value", async () => {
    const t = await startStation(runtime);
    t.csms.autoReply = { StatusNotification: {} };
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2040-01-01T00:00:00Z" });
    await t.settle();
    const sn = t.csms.takeCalls().map((c) => (c[3] as Obj).timestamp as string);
    expect(sn.length).toBe(2);
    // Still the board's RTC (EPOCH = 2026-11-18...), not 1903 or 2040.
    for (const ts of sn) expect(ts.startsWith(new Date(EPOCH * 1000).toISOString().slice(0, 10))).toBe(true);
  });

  it("the CSMS's currentTime sets the clock only when TimeSource lists Heartbeat (B01.FR.06)", async () => {
    const t = await bootAccepted(runtime);
    const clock = () => get(t, [{ component: { name: "ClockCtrlr" }, variable: { name: "DateTime" } }])[0].attributeValue as string;
    expect(clock().startsWith("2026-11-24T10:00")).toBe(true);
    expect(set(t, [{ component: { name: "ClockCtrlr" }, variable: { name: "TimeSource" }, attributeValue: "RealTimeClock" }])[0].attributeStatus).toBe("Accepted");
    t.csms.autoReply.Heartbeat = { currentTime: "2030-01-01T00:00:00Z" };
    t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
    await t.settle();
    expect(clock().startsWith("2026-11-24T10:00")).toBe(true);
    set(t, [{ component: { name: "ClockCtrlr" }, variable: { name: "TimeSource" }, attributeValue: "Heartbeat,RealTimeClock" }]);
    t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
    await t.settle();
    expect(clock().startsWith("2030-01-01T00:00")).toBe(true);
  });

  it("names with key syntax, out-of-range EVSE ids and bad identities are refused (B05.FR.04/07, B06.FR.06)", async () => {
    const t = await bootAccepted(runtime);
    const rs = get(t, [
      { component: { name: "EVSE#1" }, variable: { name: "Available" } },
      { component: { name: "OCPPCommCtrlr" }, variable: { name: "MessageTimeout[Default]" } },
      { component: { name: "EVSE", evse: { id: 2147483647 } }, variable: { name: "Available" } },
      { component: { name: "Connector", evse: { id: 1, connectorId: 9 } }, variable: { name: "Available" } },
    ]);
    expect(rs.map((r) => r.attributeStatus)).toEqual(["UnknownComponent", "UnknownVariable", "UnknownComponent", "UnknownComponent"]);
    // Ids past 32 bits are no OCPP integers at all (Part 2 §2.1.1): the request is refused.
    for (const id of [2147483649, 1e20]) {
      const bad = t.csms.call("GetVariables", { getVariableData: [{ component: { name: "EVSE", evse: { id } }, variable: { name: "Available" } }] });
      expect(bad.slice(0, 3)).toEqual([4, expect.any(String), "PropertyConstraintViolation"]);
    }
    const sets = set(t, [
      { component: { name: "AuthCtrlr/Enabled|RWP|boolean|||||true\nAuthCtrlr" }, variable: { name: "LocalAuthorizeOffline" }, attributeValue: "false" },
      { component: { name: "SecurityCtrlr" }, variable: { name: "Identity" }, attributeValue: "" },
      { component: { name: "SecurityCtrlr" }, variable: { name: "Identity" }, attributeValue: "CP:7" },
      { component: { name: "SecurityCtrlr" }, variable: { name: "Identity" }, attributeValue: "CP-7.b" },
    ]);
    expect(sets.map((r) => r.attributeStatus)).toEqual(["UnknownComponent", "Rejected", "Rejected", "RebootRequired"]);
  });

  it("a decimal meter power from a board is reported, not an InternalError", async () => {
    const t = await bootAccepted(runtime);
    // The HAL contract says integer W; a board computing V×I may still hand over a fraction.
    t.board.feed("meter", "1\t100\t7360.5\t32\t230");
    const [p] = get(t, [{ component: { name: "EVSE", evse: { id: 1 } }, variable: { name: "Power" } }]);
    expect(p).toMatchObject({ attributeStatus: "Accepted", attributeValue: "7360.5" });
    t.csms.autoReply.NotifyReport = {};
    expect(t.csms.call("GetReport", { requestId: 3, componentVariable: [{ component: { name: "EVSE" }, variable: { name: "Power" } }] })[2]).toEqual({ status: "Accepted" });
  });
});

/** The core image on node, driven directly through its Firmware table with a HAL the test controls. */
async function nodeStation(opts: { sendRaises?: () => boolean; onConnect?: (now: number) => void; onDisconnect?: () => void } = {}) {
  const fw = (await import(path.join(__dirname, "..", "build", "gen", "core", "image.ts"))) as Firmware;
  const s = { now: 0, sent: [] as string[], store: {} as Record<string, string> };
  const hal: Hal = {
    connect: () => opts.onConnect?.(s.now),
    send: (parts) => {
      if (opts.sendRaises?.() === true) throw new Error("ws send failed");
      s.sent.push(parts.join(""));
    },
    disconnect: () => opts.onDisconnect?.(),
    uptime: () => s.now,
    rtcEpoch: () => EPOCH,
    setRtcEpoch: () => undefined,
    random: () => 0,
    load: (k) => s.store[k],
    save: (k, v) => void (s.store[k] = v),
    erase: (k) => void delete s.store[k],
    ...IDLE_EVSE,
    append: () => false,
    read: () => undefined,
    size: () => 0,
    reboot: () => undefined,
    log: () => undefined,
  };
  const st = fw.start(hal);
  fw.provision(st, "Internal/CsmsUrl", "ws://x/ocpp");
  fw.provision(st, "SecurityCtrlr/Identity", "CP1");
  return { fw, st, s };
}

describe("robustness against a board's failures (node)", () => {
  it("a CALL whose answer could not be sent is not later answered with another frame's CALLERROR (errata to Part 4 §4.1.4)", async () => {
    let raising = false;
    const { fw, st, s } = await nodeStation({ sendRaises: () => raising });
    s.now = 1;
    fw.tick(st);
    fw.opened(st);
    const boot = JSON.parse(s.sent.shift()!) as unknown[];
    fw.frame(st, JSON.stringify([3, boot[1], { status: "Accepted", interval: 300, currentTime: NOW_ISO }]));
    s.sent.length = 0;
    const call = '[2,"x1","TriggerMessage",{"requestedMessage":"Heartbeat"}]';
    raising = true;
    fw.frame(st, call); // the socket is going down: send raises, the entry guard logs it
    raising = false;
    fw.frame(st, "garbage");
    s.sent.length = 0;
    fw.frame(st, call); // the CSMS retries x1
    expect((JSON.parse(s.sent[0]) as unknown[]).slice(0, 2)).toEqual([3, "x1"]);
  });

  it("a board that reports closed after the firmware abandoned an attempt: the back-off doubles once (Part 4 §5.3)", async () => {
    const connects: number[] = [];
    let pendingClose = false;
    const { fw, st, s } = await nodeStation({ onConnect: (n) => connects.push(n), onDisconnect: () => (pendingClose = true) });
    for (s.now = 1; s.now < 400; s.now++) {
      fw.tick(st);
      if (pendingClose) {
        pendingClose = false;
        fw.closed(st);
      }
    }
    // 60 s attempt timeout, then RetryBackOffWaitMinimum 5 doubling (random 0): 5, 10, 20, 40.
    expect(connects).toEqual([1, 66, 136, 216, 316]);
  });
});
