// What the three port test files share (test/port-nodemcu-esp8266.test.ts, port-nodemcu-esp32.test.ts,
// port-luatos.test.ts): building a board's config (the generated package: image, port, start file),
// a CSMS and the port on its emulated board through the generated start file, virtual time run a
// second at a time with the sockets let through, the frames the station sent, the emulation alone in a
// VM, and the provisioning-once check every board must pass.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, expect } from "vitest";
import { readBoardManifest, ROOT } from "../build/compile";
import { escField } from "../sim/board";
import { buildPort, portConfigFile } from "../sim/boards/build";
import type { PortDriver } from "../sim/boards/port-runner";
import { PortRunner } from "../sim/boards/port-runner";
import { PORT_BOARDS } from "../sim/boards/port-sim";
import { EmbeddedCsms } from "../sim/csms";
import { buildDir, emulationFile } from "../sim/runtimes/image";
import { createLuaVm, LuaRuntimeName, LuaVm } from "../sim/runtimes/lua-vm";
import { PROVISION_KEYS } from "../sim/simulator";

export interface Sent {
  at: number;
  frame: unknown[];
}

export interface Port<D extends PortDriver = PortDriver> {
  runner: PortRunner;
  driver: D;
  csms: EmbeddedCsms;
  id: string;
  /** Frames the station sent, and the JSON frames it received, as the wire carried them. */
  sent: Sent[];
  received: Sent[];
  prints: string[];
}

/** Run at the file's end, newest first: runners, CSMSs, servers, VMs. */
export const cleanups: (() => unknown)[] = [];
/** Every CSMS a test started: none may have seen a schema violation. */
export const allCsms: EmbeddedCsms[] = [];

/** The file's afterAll: every cleanup, then no OCPP violation on any CSMS. */
export function portTestCleanup(): void {
  afterAll(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    expect(allCsms.flatMap((c) => c.violations)).toEqual([]);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The config a board runs in the tests: core.json, as `ocpp-sim --board` derives it (sim/boards/build.ts). */
export function portConfig(board: string): string {
  return portConfigFile(path.join(ROOT, "build", "configs", "core.json"), board, PORT_BOARDS[board].maxEvses);
}

/** Builds the board's package for a Lua version (sim/boards/build.ts buildPort); the config's name. */
export function buildBoard(configFile: string, board: string, target: "lua5.1" | "lua5.3"): string {
  return buildPort(configFile, board, target).name;
}

/** The generated start file of a built board (init.lua / main.lua), as its package holds it. */
export function startFileText(board: string, configName: string, runtime: LuaRuntimeName): { name: string; text: string } {
  const name = readBoardManifest(ROOT, board).start as string;
  return { name, text: fs.readFileSync(path.join(buildDir(ROOT, configName, runtime), name), "latin1") };
}

/** A VM with the board's emulated modules as globals and `image` as its image (__sim_image); closed at the end. */
export function emulationVm(board: string, configName: string, runtime: LuaRuntimeName, image = "return {}"): LuaVm {
  const vm = createLuaVm(runtime);
  cleanups.push(() => vm.close());
  vm.loadImage(image, "=image");
  vm.loadBoard(fs.readFileSync(emulationFile(buildDir(ROOT, configName, runtime), board), "latin1"), "=emu");
  return vm;
}

/** One input line for a VM's event function at virtual ms `at` (fields escaped as the runner does). */
export function line(at: number, kind: string, fields: string[] = []): string {
  return [String(at), kind, ...fields.map(escField)].join("\t");
}

export interface PortStart<D extends PortDriver> {
  board: string;
  config: string;
  runtime: LuaRuntimeName;
  driver: (runner: PortRunner) => D;
  id: string;
  /** µs (ms on LuatOS's mcu.ticks) of the board's counter at boot. */
  usBase?: number;
  /** The station's password (provisioned), and the CSMS's (default the same). */
  password?: string;
  csmsPassword?: string;
  /** The CSMS URL provisioned (default the CSMS's own). */
  url?: string | ((csms: EmbeddedCsms) => string);
}

/** A CSMS, and the port on its emulated board provisioned for it, powered on (the start file runs). */
export async function startPort<D extends PortDriver>(o: PortStart<D>): Promise<Port<D>> {
  const csms = new EmbeddedCsms({ password: o.csmsPassword ?? o.password });
  await csms.start(0);
  allCsms.push(csms);
  cleanups.push(() => csms.stop());
  const sent: Sent[] = [];
  const received: Sent[] = [];
  const url = o.url === undefined ? csms.url : typeof o.url === "string" ? o.url : o.url(csms);
  const provision: Record<string, string> = { [PROVISION_KEYS.url]: url, [PROVISION_KEYS.identity]: o.id };
  if (o.password !== undefined) provision[PROVISION_KEYS.password] = o.password;
  const runner: PortRunner = new PortRunner({
    root: ROOT,
    config: o.config,
    runtime: o.runtime,
    board: o.board,
    provision,
    provisionFile: PORT_BOARDS[o.board].provisionFile,
    usBase: o.usBase,
    log: (kind, text) => {
      const frame = () => JSON.parse(Buffer.from(text, "latin1").toString("utf8")) as unknown[];
      if (kind === "frame-out") sent.push({ at: runner.now, frame: frame() });
      else if (kind === "frame-in") {
        // What the CSMS sent, when it is JSON (a test may send the station anything).
        try {
          received.push({ at: runner.now, frame: frame() });
        } catch {
          // not a JSON frame
        }
      }
    },
  });
  const driver = o.driver(runner);
  runner.attach(driver);
  cleanups.push(() => runner.close());
  runner.powerOn();
  return { runner, driver, csms, id: o.id, sent, received, prints: runner.prints };
}

/** Advances virtual time a second at a time, letting the sockets run, until fn holds (within maxS virtual seconds). */
export async function until<T>(p: Port, what: string, fn: () => T | undefined | false, maxS = 120): Promise<T> {
  for (let i = 0; i <= maxS; i++) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    p.runner.advance(1000);
    await sleep(3);
  }
  throw new Error(`${what}: not within ${maxS} s\n${p.prints.slice(-10).join("\n")}\n${p.sent.slice(-5).map((s) => JSON.stringify(s.frame)).join("\n")}`);
}

/** Runs s virtual seconds. */
export async function run(p: Port, s: number): Promise<void> {
  for (let i = 0; i < s; i++) {
    p.runner.advance(1000);
    await sleep(2);
  }
}

/** Runs virtual time in ms steps until the power goes (runner.cutAfter), at most maxMs: the start file's boot delay, then its saves. */
export function untilPowerLost(p: Port, maxMs = 10000): void {
  for (let ms = 0; ms < maxMs && !p.runner.powerLost; ms += 100) p.runner.advance(100);
}

export const calls = (p: Port, action: string) => p.sent.filter((s) => s.frame[0] === 2 && s.frame[2] === action);
export const payload = (s: Sent) => s.frame[3] as Record<string, unknown>;

/** The last Energy.Active.Import.Register of a TransactionEvent (an Ended one also carries Transaction.Begin's), Wh. */
export function energyOf(s: Sent): number | undefined {
  const mv = payload(s).meterValue as { sampledValue: { measurand?: string; value: number }[] }[] | undefined;
  const v = mv?.flatMap((m) => m.sampledValue).filter((x) => (x.measurand ?? "Energy.Active.Import.Register") === "Energy.Active.Import.Register");
  return v === undefined || v.length === 0 ? undefined : v[v.length - 1].value;
}

/** BootNotification, then StatusNotification Available for every EVSE of the board's wiring. */
export async function bootAccepted(p: Port): Promise<void> {
  await until(p, "BootNotification", () => calls(p, "BootNotification").length > 0);
  const evses = p.driver.config.evses.map((_e, i) => i + 1);
  await until(p, "StatusNotification Available of every EVSE", () => evses.every((e) => calls(p, "StatusNotification").some((s) => payload(s).evseId === e && payload(s).connectorStatus === "Available")));
}

/** The BootNotifications the CSMS got from one identity. */
const bootsOf = (p: Port, identity: string) => p.csms.received.filter((r) => r.action === "BootNotification" && r.identity === identity);

/**
 * The generated start file applies the unit's provisioning file once: uploaded with it, applied at the
 * first power-on (the station connects as provisioned), then gone from the writable flash (NodeMCU:
 * removed; LuatOS: it stays in the read-only script area and /provisioned records it). A second
 * power-on starts without it: an Identity changed since (SetVariables, reboot required) is kept, where
 * applying the file again would put the provisioned one back.
 */
export async function provisionedOnce<D extends PortDriver>(start: (id: string, password: string) => Promise<Port<D>>): Promise<void> {
  const p = await start("PROV-A", "prov-password-0123");
  const file = PORT_BOARDS[p.runner.board].provisionFile;
  const readOnly = p.driver.upload.readOnly;
  // Uploaded with the start file, before it ran.
  expect(readOnly ? p.runner.scripts.has(file) : p.runner.store.data.has(file)).toBe(true);
  await bootAccepted(p);
  expect(bootsOf(p, "PROV-A")).toHaveLength(1);
  expect(p.csms.connections[0].password).toBe("prov-password-0123");
  expect(p.runner.store.data.has(file)).toBe(false);
  if (readOnly) {
    expect(p.runner.scripts.has(file)).toBe(true);
    expect(p.runner.store.data.get("/provisioned")).toBe("1");
  }
  const set = (await p.csms.call("PROV-A", "SetVariables", {
    setVariableData: [{ component: { name: "SecurityCtrlr" }, variable: { name: "Identity" }, attributeValue: "PROV-B" }],
  })) as { setVariableResult: { attributeStatus: string }[] };
  expect(["Accepted", "RebootRequired"]).toContain(set.setVariableResult[0].attributeStatus);
  p.runner.powerCycle();
  await until(p, "BootNotification as PROV-B", () => bootsOf(p, "PROV-B").length > 0);
  expect(bootsOf(p, "PROV-A")).toHaveLength(1);
  expect(p.runner.store.data.has(file)).toBe(false);
  expect(p.prints.filter((l) => /PANIC|cannot open/.test(l))).toEqual([]);
}

/**
 * NodeMCU's records (hal/<board>/flash.ts, SPIFFS: no rename onto a file): the power goes right after
 * the old boot counter was removed in the next start's save; the next start loads the temporary file,
 * and the counter and the message ids go on from it (Part 4 §4.1.4: unique across reboots).
 */
export async function powerLossInSave(p: Port): Promise<void> {
  await bootAccepted(p);
  expect(p.runner.store.data.get("boots")).toBe("1\n1");
  // The power goes right after the old boot counter was removed, in the next start's save.
  p.runner.cutAfter = (kind, f) => kind === "fdel" && f[0] === "boots";
  p.runner.powerCycle();
  untilPowerLost(p);
  expect(p.runner.powerLost).toBe(true);
  expect(p.runner.store.data.has("boots")).toBe(false);
  expect(p.runner.store.data.get("boots~")).toBe("1\n2");
  p.runner.powerCycle();
  await until(p, "BootNotification after the power loss", () => calls(p, "BootNotification").length >= 2);
  // The counter went on from the temporary file: 3, and the message ids with it.
  expect(p.runner.store.data.get("boots")).toBe("1\n3");
  expect(p.runner.store.data.has("boots~")).toBe(false);
  const ids = calls(p, "BootNotification").map((s) => s.frame[1] as string);
  expect(ids[0].startsWith("1-")).toBe(true);
  expect(ids[ids.length - 1].startsWith("3-")).toBe(true);
}

/**
 * A power cycle in a session on one EVSE: the journal (files matching `journal`) ends the transaction
 * as PowerLoss after the reboot, its seqNo unbroken; the contactor opened with the power. Returns the
 * Ended event and the energy register before the cycle.
 */
export async function powerCycleInSession(p: Port, evseId: number, journal: RegExp, hw: () => { energyWh: number; relayClosed: boolean }, plug: () => void): Promise<{ ended: Sent; before: number }> {
  await bootAccepted(p);
  plug();
  void p.csms.remoteStart(p.id, evseId, "04A1B2C3").catch(() => undefined);
  const start = await until(p, "TransactionEvent Started", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Started"));
  const txId = (payload(start).transactionInfo as { transactionId: string }).transactionId;
  await run(p, 70);
  const before = hw().energyWh;
  expect([...p.runner.store.data.keys()].some((k) => journal.test(k))).toBe(true);
  p.runner.powerCycle();
  expect(hw().relayClosed).toBe(false);
  const boots = calls(p, "BootNotification").length;
  await until(p, "second BootNotification", () => calls(p, "BootNotification").length > boots);
  const ended = await until(p, "TransactionEvent Ended", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Ended"));
  expect(payload(ended).transactionInfo).toMatchObject({ transactionId: txId, stoppedReason: "PowerLoss" });
  const seq = calls(p, "TransactionEvent").filter((s) => (payload(s).transactionInfo as { transactionId: string }).transactionId === txId).map((s) => payload(s).seqNo as number);
  expect(seq).toEqual(seq.map((_s, i) => i));
  return { ended, before };
}

/**
 * 130 s of a charging session: at least two TransactionEvent Updated with the energy register read
 * over Modbus (whole Wh of the SDM630's float32 kWh register, a meter period behind at most: above
 * 300 Wh, not above the simulated register `energyWh()` + 1). Returns the last one and its energy.
 */
export async function meteredUpdates(p: Port, energyWh: () => number): Promise<{ last: Sent; e: number }> {
  await run(p, 130);
  const updates = calls(p, "TransactionEvent").filter((s) => payload(s).eventType === "Updated" && energyOf(s) !== undefined);
  expect(updates.length).toBeGreaterThanOrEqual(2);
  const last = updates[updates.length - 1];
  const e = energyOf(last) as number;
  expect(e).toBeGreaterThan(300);
  expect(e).toBeLessThanOrEqual(energyWh() + 1);
  return { last, e };
}
