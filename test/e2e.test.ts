// End-to-end: the simulator boots the built image over a real WebSocket on 127.0.0.1 against strict-mode ocpp-rpc CSMSs, in wall-clock time.
//
// Every CSMS here is an EmbeddedCsms: each raw frame a station sends (CALL, CALLRESULT, CALLERROR) is
// judged by the official 2.0.1 schemas (sim/wire-check.ts) besides strict mode; a violation fails the
// test (clean()) and, should it come after the test's own check, the file (afterAll).
//
// Tests run concurrently (each has its own CSMS, ports and station id) because the scenarios are
// mostly waiting for the firmware's intervals; lower bounds on timing use the board's uptime
// recorded with every frame, since the board's clock has whole-second resolution.

import { spawn } from "node:child_process";
import WebSocket from "ws";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedCsms, EmbeddedCsmsOptions } from "../sim/csms";
import { SimHandle, SimOptions, startSimulator } from "../sim/simulator";
import { FrameInfo } from "../sim/api";
import { main, parseArgs } from "../sim/cli";
import { ROOT } from "../build/compile";
import { RUNTIMES } from "../sim/runtimes/image";

const cleanups: (() => Promise<void> | void)[] = [];
/** Every CSMS the tests started: none may have seen an invalid frame, until the very end. */
const allCsms: EmbeddedCsms[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  expect(allCsms.flatMap((c) => c.violations)).toEqual([]);
});

interface Run {
  sim: SimHandle;
  csms: EmbeddedCsms;
  id: string;
  lines: string[];
}

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, lines: string[] | (() => string[]) = [], timeoutMs = 20000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) {
      const log = typeof lines === "function" ? lines() : lines;
      throw new Error(`timed out waiting for ${what}\n--- log ---\n${log.slice(-40).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startCsms(opts: EmbeddedCsmsOptions): Promise<EmbeddedCsms> {
  const csms = new EmbeddedCsms(opts);
  await csms.start(0);
  allCsms.push(csms);
  cleanups.push(() => csms.stop());
  return csms;
}

async function run(id: string, csmsOpts: EmbeddedCsmsOptions, simOpts: SimOptions = {}, csms?: EmbeddedCsms): Promise<Run> {
  const c = csms ?? (await startCsms(csmsOpts));
  const lines: string[] = [];
  const sim = await startSimulator({ csms: c.url, id, runtime: "lua5.1", out: (s) => lines.push(s), err: (s) => lines.push(s), ...simOpts });
  cleanups.push(() => sim.stop());
  return { sim, csms: c, id, lines };
}

/** CALLs the station sent, in order. */
function stationCalls(r: Run): FrameInfo[] {
  return r.sim.tracker.frames.filter((f) => f.dir === "out" && f.type === 2);
}

function payload(f: FrameInfo): Record<string, unknown> {
  return (f.frame as unknown[])[3] as Record<string, unknown>;
}

/** Nothing the station sent failed the official schemas or strict mode, and the firmware raised nothing. */
function clean(r: Run): void {
  expect(r.csms.violations).toEqual([]);
  expect(r.sim.errors).toEqual([]);
}

async function api(port: number, method: "GET" | "POST", p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: body === undefined ? undefined : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "ocpp-sim-e2e-"));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

describe.concurrent("ocpp-sim end to end", () => {
  it("Accepted: BootNotification, StatusNotification per connector, Heartbeat after the interval (lua5.1)", async ({ expect }) => {
    const r = await run("E2E-ACC", { bootInterval: 2 }, { password: "e2e-password-0001" });
    await waitFor("a Heartbeat", () => r.csms.actions(r.id).includes("Heartbeat"), r.lines);
    const calls = stationCalls(r);
    // A04.FR.01: the power-up's security event is the first CALL after the Accepted boot (it was raised before).
    expect(calls.map((c) => c.action).slice(0, 5)).toEqual(["BootNotification", "SecurityEventNotification", "StatusNotification", "StatusNotification", "Heartbeat"]);
    expect(payload(calls[0])).toMatchObject({ reason: "PowerUp", chargingStation: { vendorName: "LuaVolt", model: "LV-Core-2" } });
    expect(payload(calls[1])).toMatchObject({ type: "StartupOfTheDevice" });
    calls.splice(1, 1);
    expect(calls.slice(1, 3).map((c) => [payload(c).evseId, payload(c).connectorId, payload(c).connectorStatus])).toEqual([
      [1, 1, "Available"],
      [2, 1, "Available"],
    ]);
    // The boot answer on the wire, between the boot CALL and the first StatusNotification.
    const bootResult = r.sim.tracker.frames.find((f) => f.dir === "in" && f.type === 3 && f.action === "BootNotification");
    expect((bootResult!.frame as unknown[])[2]).toMatchObject({ status: "Accepted", interval: 2 });
    // G02: no CALL for HeartbeatInterval (2 s from the boot answer) before the Heartbeat.
    expect(calls[3].uptime - calls[2].uptime).toBeGreaterThanOrEqual(2);
    // In wall-clock time at least a second less the drive's 250 ms polling (a frame may be handled late in
    // a second the board has not ticked past yet) and some event-loop lag under a concurrent suite.
    expect(calls[3].time.getTime() - calls[2].time.getTime()).toBeGreaterThan(600);
    // URL /ocpp/<id>, subprotocol, Basic auth "id:password" (security profile 1).
    expect(r.csms.connections).toEqual([expect.objectContaining({ identity: "E2E-ACC", password: "e2e-password-0001", protocol: "ocpp2.0.1", endpoint: "/ocpp" })]);
    // Message ids unique.
    expect(new Set(calls.map((c) => c.id)).size).toBe(calls.length);
    clean(r);
  });

  it("Pending: only BootNotification until Accepted, repeated after the interval", async ({ expect }) => {
    const csms = await startCsms({ bootInterval: 2 });
    csms.bootPlan = ["Pending"];
    const r = await run("E2E-PEND", {}, {}, csms);
    // Both ends: the CSMS may not have read the last frame the station's tracker already saw.
    await waitFor("StatusNotifications after the second boot", () => stationCalls(r).filter((c) => c.action === "StatusNotification").length >= 2 && r.csms.actions(r.id).filter((a) => a === "StatusNotification").length >= 2, r.lines);
    const frames = r.sim.tracker.frames;
    const boots = stationCalls(r).filter((c) => c.action === "BootNotification");
    expect(boots.length).toBe(2);
    const pending = frames.find((f) => f.dir === "in" && f.type === 3 && f.id === boots[0].id)!;
    expect((pending.frame as unknown[])[2]).toMatchObject({ status: "Pending", interval: 2 });
    // Between the Pending answer and the second boot the station sent nothing at all (B02.FR.02).
    const between = frames.slice(frames.indexOf(pending) + 1, frames.indexOf(boots[1]));
    expect(between.filter((f) => f.dir === "out")).toEqual([]);
    // Not again before the interval (B02.FR.04), on the board's clock.
    expect(boots[1].uptime - pending.uptime).toBeGreaterThanOrEqual(2);
    expect(boots[1].id).not.toBe(boots[0].id);
    expect(r.csms.actions(r.id).slice(0, 5)).toEqual(["BootNotification", "BootNotification", "SecurityEventNotification", "StatusNotification", "StatusNotification"]);
    clean(r);
  });

  it("Rejected: CSMS requests get CALLERROR SecurityError, the station is silent until the interval", async ({ expect }) => {
    const csms = await startCsms({ bootInterval: 3, bootStatus: "Rejected" });
    const r = await run("E2E-REJ", {}, {}, csms);
    await waitFor("Rejected", () => r.sim.tracker.bootStatus === "Rejected", r.lines);
    const rejectedAt = r.sim.tracker.frames.find((f) => f.dir === "in" && f.action === "BootNotification")!;
    await expect(csms.call(r.id, "TriggerMessage", { requestedMessage: "Heartbeat" })).rejects.toMatchObject({ rpcErrorCode: "SecurityError" });
    await expect(
      csms.call(r.id, "GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }),
    ).rejects.toMatchObject({ rpcErrorCode: "SecurityError" });
    csms.bootStatus = "Accepted";
    await waitFor("the next BootNotification", () => stationCalls(r).filter((c) => c.action === "BootNotification").length >= 2, r.lines);
    const frames = r.sim.tracker.frames;
    const second = stationCalls(r).filter((c) => c.action === "BootNotification")[1];
    const sentBetween = frames.slice(frames.indexOf(rejectedAt) + 1, frames.indexOf(second)).filter((f) => f.dir === "out");
    // Only the two CALLERRORs, nothing of its own (B03.FR.02/08).
    expect(sentBetween.map((f) => [f.type, (f.frame as unknown[])[2]])).toEqual([
      [4, "SecurityError"],
      [4, "SecurityError"],
    ]);
    expect(second.uptime - rejectedAt.uptime).toBeGreaterThanOrEqual(3);
    await waitFor("Accepted", () => r.sim.tracker.bootStatus === "Accepted", r.lines);
    clean(r);
  });

  it("network drop: reconnects with back-off, no second BootNotification, reports the changed connector; control API routes", async ({ expect }) => {
    const r = await run("E2E-NET", { bootInterval: 300 }, { apiPort: 0 });
    const port = r.sim.apiPort!;
    await waitFor("both connectors reported", () => stationCalls(r).filter((c) => c.action === "StatusNotification").length >= 2, r.lines);

    const s0 = await api(port, "GET", "/api/state");
    expect(s0.status).toBe(200);
    expect(s0.json).toMatchObject({ connection: "connected", bootStatus: "Accepted", runtime: "lua5.1" });
    // Per EVSE: contactor, meter (L1) and connectors; pilot, offer, the meter per phase, the EV (sim/board.ts evseView) and the transaction.
    const atRest = {
      relay: "open",
      meter: { energyWh: 0, powerW: 0, currentA: 0, voltageV: 230 },
      connectors: [{ id: 1, status: "Available", plugged: false, locked: false }],
      pilot: "A",
      offeredA: 0,
      relayClosed: false,
      powerW: 0,
      energyWh: 0,
      socPercent: -1,
      currentA: [0, 0, 0],
      voltageV: [230, 229.8, 231],
      ev: { capacityWh: 60000, socPercent: 40, maxPowerW: 11000, phases: 3, connectorId: null },
      transactionId: null,
      chargingState: null,
    };
    expect(s0.json.evses).toEqual([
      { id: 1, ...atRest },
      { id: 2, ...atRest },
    ]);
    // lua5.1 has a Lua heap of its own: live, after a full GC, at load (code) and the difference.
    const heap = s0.json.heap;
    expect(Object.keys(heap).sort()).toEqual(["afterGcKb", "codeKb", "dynamicKb", "liveKb"]);
    expect(heap.codeKb).toBeGreaterThan(0);
    expect(heap.afterGcKb).toBeGreaterThan(heap.codeKb);
    expect(heap.liveKb).toBeGreaterThanOrEqual(heap.afterGcKb - 0.1);
    expect(Math.abs(heap.dynamicKb - (heap.afterGcKb - heap.codeKb))).toBeLessThanOrEqual(0.11);
    // The CSMS is the test's own, not the simulator's: no count to give.
    expect(s0.json.wireViolations).toBe(null);
    expect(s0.json.uptime).toBeGreaterThanOrEqual(0);

    // Bad requests.
    expect((await api(port, "GET", "/api/nope")).status).toBe(404);
    expect((await api(port, "GET", "/api/evse/1/plug")).status).toBe(404);
    expect((await api(port, "POST", "/api/evse/9/plug")).status).toBe(400);
    expect((await api(port, "POST", "/api/evse/abc/plug")).status).toBe(400);
    expect((await api(port, "POST", "/api/evse/0/unplug")).status).toBe(400);
    const badConn = await api(port, "POST", "/api/evse/1/plug", { connectorId: 2 });
    expect(badConn.status).toBe(400);
    expect(badConn.json.error).toMatch(/connectorId/);

    const connectsBefore = r.csms.connections.length;
    const downAt = Date.now();
    const downUptime = r.sim.board.uptime;
    expect((await api(port, "POST", "/api/network/down")).json).toEqual({ ok: true, network: "down" });
    await waitFor("disconnected", async () => (await api(port, "GET", "/api/state")).json.connection === "disconnected", r.lines);
    // Plugged while offline: reported after the reconnect (B04.FR.02, short outage: changed ones only).
    expect((await api(port, "POST", "/api/evse/1/plug", { connectorId: 1 })).status).toBe(200);
    const s1 = await api(port, "GET", "/api/state");
    expect(s1.json.evses[0].connectors[0]).toEqual({ id: 1, status: "Available", plugged: true, locked: false });
    expect((await api(port, "POST", "/api/network/up")).json).toEqual({ ok: true, network: "up" });

    await waitFor("the Occupied report", () => stationCalls(r).some((c) => c.action === "StatusNotification" && payload(c).connectorStatus === "Occupied"), r.lines);
    expect(r.csms.connections.length).toBe(connectsBefore + 1);
    // Part 4 §5.3: first retry after RetryBackOffWaitMinimum (5 s) at least.
    const reconnect = r.sim.tracker.frames.find((f) => f.dir === "out" && f.action === "StatusNotification" && payload(f).connectorStatus === "Occupied")!;
    expect(reconnect.uptime - downUptime).toBeGreaterThanOrEqual(5);
    expect(reconnect.time.getTime() - downAt).toBeGreaterThan(4000);
    const after = stationCalls(r).slice(stationCalls(r).findIndex((c) => c.uptime > downUptime));
    expect(after.map((c) => c.action)).toEqual(["StatusNotification"]);
    expect(payload(after[0])).toMatchObject({ evseId: 1, connectorId: 1, connectorStatus: "Occupied" });
    const s2 = await api(port, "GET", "/api/state");
    expect(s2.json).toMatchObject({ connection: "connected", bootStatus: "Accepted" });
    expect(s2.json.evses[0].connectors[0].status).toBe("Occupied");

    // Unplug (no body: connector 1), then power-cycle: storage kept, BootNotification again, fresh ids.
    expect((await api(port, "POST", "/api/evse/1/unplug")).json).toEqual({ ok: true, evseId: 1, connectorId: 1 });
    await waitFor("Available again", async () => (await api(port, "GET", "/api/state")).json.evses[0].connectors[0].status === "Available", r.lines);
    const nBefore = stationCalls(r).length;
    expect((await api(port, "POST", "/api/power-cycle")).json).toEqual({ ok: true });
    await waitFor("the boot after the power cycle", () => stationCalls(r).slice(nBefore).some((c) => c.action === "BootNotification"), r.lines);
    const reboot = stationCalls(r).slice(nBefore);
    expect(reboot[0].action).toBe("BootNotification");
    expect(reboot[0].id).toMatch(/^2-/);
    expect(r.sim.board.store.data.get("boots")).toBe("2");
    clean(r);
  });

  it("--state-dir: flash survives a restart, message ids differ across restarts", async ({ expect }) => {
    const dir = tmpDir();
    const csms = await startCsms({ bootInterval: 60 });
    const first = await run("E2E-STATE", {}, { stateDir: dir }, csms);
    await waitFor("first run reports", () => stationCalls(first).filter((c) => c.action === "StatusNotification").length >= 2, first.lines);
    await first.sim.stop();
    const file = path.join(dir, "E2E-STATE-flash.json");
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
    expect(saved.boots).toBe("1");
    // The interval from the boot answer was written to the device model (B01.FR.04) and persisted.
    expect(saved.dm).toMatch(/OCPPCommCtrlr[./]HeartbeatInterval\t60/);

    const second = await run("E2E-STATE", {}, { stateDir: dir }, csms);
    await waitFor("second run reports", () => stationCalls(second).filter((c) => c.action === "StatusNotification").length >= 2, second.lines);
    const ids1 = stationCalls(first).map((c) => c.id);
    const ids2 = stationCalls(second).map((c) => c.id);
    expect(ids1[0]).toMatch(/^1-/);
    expect(ids2[0]).toMatch(/^2-/);
    expect(ids2.filter((i) => ids1.includes(i))).toEqual([]);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).boots).toBe("2");
    clean(first);
    clean(second);
  });

  it("node runtime with --evses/--connectors: a derived 2x2 build, every connector reported", async ({ expect }) => {
    const r = await run("E2E-NODE", { bootInterval: 300 }, { runtime: "node", evses: 2, connectors: 2, logFormat: "json", apiPort: 0 });
    await waitFor("four StatusNotifications", () => stationCalls(r).filter((c) => c.action === "StatusNotification").length >= 4, r.lines);
    expect(r.sim.config.name).toBe("core-sim-2x2");
    const sn = stationCalls(r).filter((c) => c.action === "StatusNotification").map((c) => `${payload(c).evseId}/${payload(c).connectorId}`);
    expect(sn).toEqual(["1/1", "1/2", "2/1", "2/2"]);
    // JSON log: one parsable line per frame.
    const json = r.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(json[0]).toMatchObject({ dir: "out", frame: [2, expect.any(String), "BootNotification", expect.any(Object)] });
    expect(json[1]).toMatchObject({ dir: "in", frame: [3, json[0].frame[1], expect.objectContaining({ status: "Accepted" })] });
    expect(typeof json[0].time).toBe("string");
    // No Lua heap of its own on node: the heap figures are null, not the JS heap.
    const state = await api(r.sim.apiPort!, "GET", "/api/state");
    expect(state.json.heap).toEqual({ liveKb: null, afterGcKb: null, codeKb: null, dynamicKb: null });
    clean(r);
  });

  it("CLI: unknown options exit 2 with usage; bad values are refused", async ({ expect }) => {
    expect(() => parseArgs(["--evses", "0"])).toThrow(/--evses/);
    expect(() => parseArgs(["--runtime", "lua9"])).toThrow(/--runtime/);
    expect(parseArgs(["--id=CP9", "--evses", "3", "--log-format", "json"])).toEqual({ id: "CP9", evses: 3, logFormat: "json" });
    const write = process.stderr.write;
    let text = "";
    process.stderr.write = ((s: string) => ((text += s), true)) as typeof process.stderr.write;
    try {
      expect(await main(["--bogus", "1"])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(text).toMatch(/unknown option --bogus/);
    expect(text).toMatch(/usage: ocpp-sim/);
  });

  it("the ocpp-sim bin as a child process boots against a strict ocpp-rpc CSMS", async ({ expect }) => {
    const csms = await startCsms({ bootInterval: 300 });
    const url = csms.url;
    const seen = csms.received;

    const child = spawn(process.execPath, [path.join(ROOT, "sim", "bin", "ocpp-sim.js"), "--csms", url, "--id", "E2E-CLI", "--password", "cli-password-0001"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });

    await waitFor("the boot in the child's log", () => /→ BootNotification \[2,"1-1"\]/.test(stdout) && /← \[3,"1-1"\] BootNotification: Accepted/.test(stdout) && seen.filter((s) => s.action === "StatusNotification").length >= 2, () => [stdout, stderr], 30000);
    expect(seen.map((s) => s.action).slice(0, 4)).toEqual(["BootNotification", "SecurityEventNotification", "StatusNotification", "StatusNotification"]);
    expect(csms.connections.map((c) => c.password)).toEqual(["cli-password-0001"]);
    expect(csms.violations).toEqual([]);
    expect(stdout).toMatch(/→ SecurityEventNotification \[2,"1-2"\] \{"timestamp":"[^"]+","type":"StartupOfTheDevice"\}/);
    expect(stdout).toMatch(/→ StatusNotification \[2,"1-3"\]/);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGINT, stopping/);
  });

  it.for(RUNTIMES)("every frame judged on %s: boot, CSMS calls answered with CALLRESULTs and a CALLERROR; /api/state heap", async (runtime, { expect }) => {
    const r = await run(`E2E-RT-${runtime}`, { bootInterval: 300 }, { runtime, apiPort: 0 });
    await waitFor("both connectors reported", () => stationCalls(r).filter((c) => c.action === "StatusNotification").length >= 2, r.lines);
    const id = r.id;
    // B06: a known and an unknown component; B05: a write; B07: a report; F06: a trigger.
    expect(
      await r.csms.call(id, "GetVariables", {
        getVariableData: [
          { component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } },
          { component: { name: "NoSuchComponent" }, variable: { name: "X" } },
        ],
      }),
    ).toMatchObject({ getVariableResult: [{ attributeStatus: "Accepted", attributeValue: "300" }, { attributeStatus: "UnknownComponent" }] });
    expect(await r.csms.call(id, "SetVariables", { setVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" }, attributeValue: "600" }] })).toMatchObject({
      setVariableResult: [{ attributeStatus: "Accepted" }],
    });
    expect(await r.csms.call(id, "GetBaseReport", { requestId: 7, reportBase: "ConfigurationInventory" })).toEqual({ status: "Accepted" });
    await waitFor("the last NotifyReport", () => stationCalls(r).some((c) => c.action === "NotifyReport" && payload(c).tbc !== true), r.lines);
    expect(await r.csms.call(id, "TriggerMessage", { requestedMessage: "Heartbeat" })).toEqual({ status: "Accepted" });
    await waitFor("the triggered Heartbeat", () => r.csms.actions(id).includes("Heartbeat"), r.lines);
    // P01.FR.05 (TC_P_01): no vendor extension here, every vendorId is unknown.
    expect(await r.csms.call(id, "DataTransfer", { vendorId: "org.example", messageId: "x" })).toEqual({ status: "UnknownVendorId" });
    // Part 4 §4.3: an action outside this build is a CALLERROR, judged like any other frame.
    await expect(r.csms.call(id, "CancelReservation", { reservationId: 1 })).rejects.toMatchObject({ rpcErrorCode: "NotSupported" });
    const kinds = new Set(r.csms.wire.filter((w) => w.identity === id && w.dir === "out").map((w) => (w.frame as unknown[])[0]));
    expect([...kinds].sort()).toEqual([2, 3, 4]);

    const state = await api(r.sim.apiPort!, "GET", "/api/state");
    expect(state.json.runtime).toBe(runtime);
    const heap = state.json.heap as Record<string, number | null>;
    if (r.sim.board.image.ownHeap) {
      for (const k of ["liveKb", "afterGcKb", "codeKb", "dynamicKb"]) expect(heap[k], k).toBeGreaterThan(0);
      expect(heap.codeKb!).toBeLessThan(heap.afterGcKb!);
    } else {
      // node and fengari keep the image's objects in the JS heap: no figure of its own to show.
      expect(heap).toEqual({ liveKb: null, afterGcKb: null, codeKb: null, dynamicKb: null });
    }
    clean(r);
  });

  it("connection failures show their reason in the log: HTTP 401 for a wrong password (A00.FR.207), refused port", async ({ expect }) => {
    const r = await run("E2E-401", { password: "right-password-0001" }, { password: "wrong-password-0001" });
    await waitFor("the 401 in the log", () => r.lines.some((l) => l.includes("connection failed: HTTP 401 Unauthorized on the WebSocket upgrade: identity or password refused")), r.lines);
    expect(r.csms.connections.map((c) => c.password)).toEqual(["wrong-password-0001"]);
    expect(r.csms.connected).toEqual([]);

    const closed = net.createServer();
    await new Promise<void>((res) => closed.listen(0, "127.0.0.1", () => res()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((res) => closed.close(() => res()));
    const lines: string[] = [];
    const sim = await startSimulator({ csms: `ws://127.0.0.1:${port}/ocpp`, id: "E2E-REFUSED", out: (l) => lines.push(l), err: (l) => lines.push(l) });
    cleanups.push(() => sim.stop());
    await waitFor("the refusal in the log", () => lines.some((l) => l.includes(`connection failed: connection refused by 127.0.0.1:${port}`)), lines);
    expect(sim.errors).toEqual([]);
    clean(r);
  });

  it.for([
    ["the ocpp-sim bin", [process.execPath, path.join(ROOT, "sim", "bin", "ocpp-sim.js")]],
    ["npm start --silent --", ["npm", "start", "--silent", "--"]],
  ] as const)("--log-format json through %s: every stdout line is one JSON object", async ([_name, cmd], { expect }) => {
    const csms = await startCsms({ bootInterval: 300 });
    const id = `E2E-JSON-${cmd.length}`;
    // Its own process group, so the SIGINT reaches the simulator under npm too.
    const child = spawn(cmd[0], [...cmd.slice(1), "--log-format", "json", "--csms", csms.url, "--id", id, "--api-port", "0"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(code !== null ? String(code) : String(signal))));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    });
    await waitFor("both connectors reported", () => csms.received.filter((c) => c.identity === id && c.action === "StatusNotification").length >= 2, () => [stdout, stderr], 30000);
    await waitFor("the last answer on stdout", () => stdout.split("\n").filter((l) => l !== "").length >= 6, () => [stdout, stderr], 10000);
    process.kill(-child.pid!, "SIGINT");
    // npm itself may end by the signal it forwarded; the simulator exits 0.
    expect(["0", "SIGINT"]).toContain(await exited);
    expect(stderr).toMatch(/SIGINT, stopping/);
    const lines = stdout.split("\n");
    expect(lines.pop()).toBe("");
    const frames = lines.map((l) => JSON.parse(l) as { dir: string; time: string; frame: unknown[] });
    for (const f of frames) expect(Object.keys(f)).toEqual(["dir", "time", "frame"]);
    expect(frames.slice(0, 2).map((f) => [f.dir, f.frame[0]])).toEqual([
      ["out", 2],
      ["in", 3],
    ]);
    // The human lines went to stderr.
    expect(stderr).toContain(`ocpp-sim: ${id} (core,`);
    expect(stderr).toMatch(/control API http:\/\/127\.0\.0\.1:\d+\/api\/state/);
    expect(csms.violations).toEqual([]);
  });

  it("npm start's embedded CSMS: an invalid frame is logged loudly and counted in /api/state", async ({ expect }) => {
    const lines: string[] = [];
    const sim = await startSimulator({ id: "E2E-EMB", apiPort: 0, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    cleanups.push(() => sim.stop());
    await waitFor("the station booted", () => sim.tracker.bootStatus === "Accepted", lines);
    expect((await api(sim.apiPort!, "GET", "/api/state")).json.wireViolations).toBe(0);
    // A fake station on the same embedded CSMS sends a BootNotification the schema forbids.
    const ws = new WebSocket(`${sim.csmsUrl}/FAKE-1`, ["ocpp2.0.1"]);
    cleanups.push(() => ws.terminate());
    await new Promise<void>((res, rej) => {
      ws.once("open", () => res());
      ws.once("error", rej);
    });
    ws.send(JSON.stringify([2, "f1", "BootNotification", { reason: "PowerUp", chargingStation: { model: "M", vendorName: "V" }, colour: "red" }]));
    await waitFor("the violation in the log", () => lines.find((l) => l.includes("!!! OCPP VIOLATION (schema): FAKE-1 sent")), lines);
    expect(lines.find((l) => l.includes("!!! OCPP VIOLATION (schema)"))).toMatch(/BootNotificationRequest: must NOT have additional properties/);
    const state = await api(sim.apiPort!, "GET", "/api/state");
    // Strict mode refused it too: two findings, both about the fake station's frame.
    expect(state.json.wireViolations).toBe(2);
    expect(sim.csms!.violations.map((v) => [v.check, v.identity])).toEqual([
      ["schema", "FAKE-1"],
      ["strict", "FAKE-1"],
    ]);
    // The simulated station itself stays clean.
    expect(sim.csms!.violations.filter((v) => v.identity === "E2E-EMB")).toEqual([]);
  });
});
