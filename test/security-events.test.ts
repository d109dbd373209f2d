// A04 security events (profiles/security-events), on every runtime, on the core image: what goes to
// the CSMS (the critical events, A04.FR.01), that it is never lost offline or through power cycles
// (A04.FR.02), and the rolling security log in flash every event goes into (A04.FR.04, A01.FR.11/12).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, EPOCH, Frame, NOW_ISO, ScriptedCsms, startStation, TestStation } from "./harness";

type SecurityEvent = { type: string; timestamp: string; techInfo?: string };

const iso = (epoch: number) => new Date(epoch * 1000).toISOString().replace(".000Z", "Z");

/** The SecurityEventNotification payloads the CSMS got since the last call (answered on arrival). */
function events(t: TestStation): SecurityEvent[] {
  const l = t.csms.security.map((f) => f[3] as SecurityEvent);
  t.csms.security = [];
  return l;
}

/** The security log's two files as they are in the board's flash. */
function securityLog(t: TestStation): { sl0: string; sl1: string } {
  return { sl0: t.board.store.data.get("sl0") ?? "", sl1: t.board.store.data.get("sl1") ?? "" };
}

/** Runs the board a second at a time until the connection is open (at most limit seconds). */
async function untilOpen(t: TestStation, limit = 120): Promise<void> {
  for (let i = 0; i < limit && !t.csms.open; i++) {
    t.board.advance(1);
    await t.settle();
  }
  expect(t.csms.open).toBe(true);
}

/** The CSMS reachable again: the station connects, its boot is Accepted, and it runs 5 s more. */
async function backOnline(t: TestStation): Promise<void> {
  t.csms.reachable = true;
  t.csms.autoReply = { StatusNotification: {} };
  await untilOpen(t, 120);
  await answerBoot(t);
  await run(t, 5);
}

/** The connection drops and comes back; then n seconds more. */
async function reconnect(t: TestStation, n: number): Promise<void> {
  t.csms.drop();
  await untilOpen(t, 60);
  await run(t, n);
}

/** Runs the board n seconds, a second at a time. */
async function run(t: TestStation, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    t.board.advance(1);
    await t.settle();
  }
}

async function answerBoot(t: TestStation): Promise<Frame> {
  const boot = t.csms.takeCalls().find((c) => c[2] === "BootNotification");
  if (boot === undefined) throw new Error("no BootNotification");
  t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
  await t.settle();
  return boot;
}

async function setVariable(t: TestStation, component: string, variable: string, value: string): Promise<string> {
  const [kind, , p] = t.csms.call("SetVariables", { setVariableData: [{ component: { name: component }, variable: { name: variable }, attributeValue: value }] });
  expect(kind).toBe(3);
  await t.settle();
  return (p as { setVariableResult: { attributeStatus: string }[] }).setVariableResult[0].attributeStatus;
}

describe.each(RUNTIMES)("security events on %s", (runtime) => {
  it("A04.FR.01: a power-up sends StartupOfTheDevice once the BootNotification is Accepted, stamped when it happened", async () => {
    const t = await startStation(runtime);
    t.csms.autoReply = { StatusNotification: {} };
    // B01.FR.08: nothing but the BootNotification before Accepted, the event included.
    t.board.advance(5);
    await t.settle();
    expect(events(t)).toEqual([]);
    await answerBoot(t);
    expect(events(t)).toEqual([{ type: "StartupOfTheDevice", timestamp: iso(EPOCH) }]);
    // Once, not at every connect.
    await reconnect(t, 2);
    expect(events(t)).toEqual([]);
  });

  it("A04.FR.01: the boot after a Reset is ResetOrReboot, its reason as techInfo, and no StartupOfTheDevice", async () => {
    const t = await bootAccepted(runtime);
    events(t);
    expect(t.csms.call("Reset", { type: "Immediate" })[2]).toEqual({ status: "Accepted" });
    for (let i = 0; i < 30 && !t.board.rebootRequested; i++) {
      t.board.advance(1);
      await t.settle();
    }
    expect(t.board.rebootRequested).toBe(true);
    await t.board.powerCycle();
    await t.settle();
    t.csms.autoReply = { StatusNotification: {} };
    const boot = await answerBoot(t);
    expect((boot[3] as { reason: string }).reason).toBe("RemoteReset");
    expect(events(t)).toEqual([{ type: "ResetOrReboot", timestamp: expect.stringMatching(/^2026-11-24T10:00:\d\dZ$/), techInfo: "RemoteReset" }]);
    // The next power-up is a power-up again.
    await t.board.powerCycle();
    await t.settle();
    await answerBoot(t);
    expect(events(t).map((e) => e.type)).toEqual(["StartupOfTheDevice"]);
  });

  it("A04.FR.02: events raised offline are kept through power cycles and all delivered, in order, after the reconnect", async () => {
    const csms = new ScriptedCsms();
    csms.reachable = false;
    const t = await startStation(runtime, { csms });
    t.board.advance(100);
    await t.board.powerCycle();
    t.board.advance(100);
    await t.board.powerCycle();
    t.board.advance(10);
    await t.settle();
    expect(csms.connects.length).toBeGreaterThan(0);
    expect(events(t)).toEqual([]);
    await backOnline(t);
    const l = events(t);
    expect(l.map((e) => e.type)).toEqual(["StartupOfTheDevice", "StartupOfTheDevice", "StartupOfTheDevice"]);
    // Stamped at each power-up on the board's RTC, oldest first.
    expect(l.map((e) => e.timestamp)).toEqual([iso(EPOCH), iso(EPOCH + 100), iso(EPOCH + 200)]);
    // Delivered: not again after another reconnect.
    await reconnect(t, 3);
    expect(events(t)).toEqual([]);
  });

  it("A04.FR.02: an event not answered is sent again (the same frame), not dropped", async () => {
    const t = await startStation(runtime);
    t.csms.autoReply = { StatusNotification: {} };
    t.csms.securityAside = false;
    await answerBoot(t);
    const first = t.csms.takeCalls().filter((c) => c[2] === "SecurityEventNotification");
    expect(first).toHaveLength(1);
    // No answer: the connection drops; after the reconnect the same call goes again.
    await reconnect(t, 2);
    const again = t.csms.takeCalls().filter((c) => c[2] === "SecurityEventNotification");
    expect(again).toHaveLength(1);
    expect(again[0][3]).toEqual(first[0][3]);
  });

  it("at most 8 events wait for the CSMS (A00.FR.316's note): a station rebooting offline logs the rest, and its journal stays free for transactions", async () => {
    const csms = new ScriptedCsms();
    csms.reachable = false;
    const t = await startStation(runtime, { csms });
    for (let i = 0; i < 10; i++) {
      t.board.advance(10);
      await t.board.powerCycle();
    }
    await t.settle();
    await backOnline(t);
    const sent = events(t);
    expect(sent.map((e) => e.timestamp)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => iso(EPOCH + 10 * i)));
    // All 11 boots are in the security log.
    const log = securityLog(t);
    expect((log.sl0 + log.sl1).match(/ StartupOfTheDevice\n/g)).toHaveLength(11);
    expect(t.logs.filter((l) => l.includes("security event StartupOfTheDevice only logged"))).toHaveLength(3);
  });

  it("E14.FR.08: a security event waiting is no transaction message: GetTransactionStatus without an id says none queued", async () => {
    const t = await startStation(runtime);
    t.csms.autoReply = { StatusNotification: {} };
    t.csms.securityAside = false;
    await answerBoot(t);
    expect(t.csms.takeCalls().filter((c) => c[2] === "SecurityEventNotification")).toHaveLength(1);
    // Unanswered, so still queued (in flight).
    expect(t.csms.call("GetTransactionStatus", {})[2]).toEqual({ messagesInQueue: false });
  });

  it("without a clock the event is stamped from the uptime and moved onto the CSMS's time when it is sent", async () => {
    const t = await startStation(runtime, { rtc: null });
    t.csms.autoReply = { StatusNotification: {} };
    t.board.advance(5);
    await t.settle();
    await answerBoot(t);
    const [e] = events(t);
    // Raised at uptime 0, the CSMS's time (NOW_ISO) known at uptime 5.
    expect(e).toEqual({ type: "StartupOfTheDevice", timestamp: iso(Date.parse(NOW_ISO) / 1000 - 5) });
  });

  it("A01.FR.11/12: a password change goes into the security log without the password, and not to the CSMS (not critical)", async () => {
    const t = await bootAccepted(runtime);
    events(t);
    const password = "n3w-Secret-pass-0123";
    expect(await setVariable(t, "SecurityCtrlr", "BasicAuthPassword", password)).toBe("Accepted");
    expect(events(t)).toEqual([]);
    const log = securityLog(t);
    const text = log.sl0 + log.sl1;
    expect(text).toMatch(/^2026-11-18T\S+ StartupOfTheDevice\n/);
    expect(text).toMatch(/\n\S+ ReconfigurationOfSecurityParameters SecurityCtrlr\.BasicAuthPassword\n$/);
    expect(text).not.toContain(password);
    // Another component's change is no security event.
    expect(await setVariable(t, "OCPPCommCtrlr", "HeartbeatInterval", "600")).toBe("Accepted");
    expect(securityLog(t)).toEqual(log);
  });

  it("A04.FR.04: the security log rolls over two files of at most 4096 bytes, keeping the newest events", async () => {
    const t = await bootAccepted(runtime);
    for (let i = 0; i < 120; i++) expect(await setVariable(t, "SecurityCtrlr", "OrganizationName", `Org ${i}`)).toBe("Accepted");
    const log = securityLog(t);
    expect(log.sl0.length).toBeLessThanOrEqual(4096);
    expect(log.sl1.length).toBeLessThanOrEqual(4096);
    const lines = (log.sl0 + log.sl1).split("\n").filter((l) => l !== "");
    // 120 lines of ~70 bytes do not fit twice 4096: the oldest are gone, and the newest is there.
    expect(lines.some((l) => l.includes("StartupOfTheDevice"))).toBe(false);
    expect(lines.length).toBeGreaterThan(4096 / 80);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (ReconfigurationOfSecurityParameters SecurityCtrlr\.OrganizationName)$/);
    // A restart goes on in the file it was writing (slc names it), its lines kept.
    const cur = t.board.store.data.get("slc") ?? "0";
    const file = cur === "1" ? "sl1" : "sl0";
    expect(log[file].length).toBeLessThan(4096 - 100);
    await t.board.powerCycle();
    await t.settle();
    const after = securityLog(t)[file];
    expect(after.startsWith(log[file])).toBe(true);
    expect(after.slice(log[file].length)).toMatch(/^\S+ StartupOfTheDevice\n$/);
  });
});
