// The footprint of each board port (issue #9): ROM of the port, RAM idle and at the peak of a
// charging session with the port running on its emulated firmware (sim/boards/), and for NodeMCU
// ESP8266 the LFS it needs and the RAM left under its ~44 KB heap. Part of `npm run bench:footprint`.
//
// Measured on PUC Lua in wasm32 (the bytecode the board gets, 4-byte pointers as on the chips): Lua 5.1
// for ESP8266, 5.3 for ESP32 and LuatOS (ESP32's single floats run on fengari, whose heap is not its own). The emulated modules live in the
// same VM: their code is in the loaded baseline, their state (timers, the socket's buffers; the
// file mirror is flash and taken off) counts in dyn, a little more than a board holds.

import * as fs from "node:fs";
import * as path from "node:path";
import { halFile, ROOT } from "../build/compile";
import { ESP8266_LFS_MAX } from "../build/lfs-size";
import { boardLimits } from "../build/wiring";
import { buildPort, portConfigFile } from "../sim/boards/build";
import { PortRunner } from "../sim/boards/port-runner";
import { PORT_BOARDS } from "../sim/boards/port-sim";
import { EmbeddedCsms } from "../sim/csms";
import { buildDir, loadPort } from "../sim/runtimes/image";
import { LuaVm } from "../sim/runtimes/lua-vm";
import { PROVISION_KEYS } from "../sim/simulator";
import { REACH_OFF, REACH_ON } from "./reach";
import { stableKb } from "../build/resident";

/** NodeMCU ESP8266's free heap for Lua with the firmware's modules (hal/nodemcu-esp8266/board.json heapKb). */
export const ESP8266_HEAP_KB = boardLimits(ROOT, "nodemcu-esp8266").heapKb ?? 44;

export interface PortRow {
  board: string;
  target: "lua5.1" | "lua5.3";
  evses: number;
  /** Stripped bytecode of hal-<board>.luac and of the image it runs (core). */
  portRomBytes: number;
  imageRomBytes: number;
  /** ESP8266: the LFS the image and the port need (build/lfs-size.ts) and the largest the firmware offers. */
  lfsBytes?: number;
  lfsMaxBytes?: number;
  /**
   * What stays in RAM when the code is in LFS: the tables, closures and upvalues the image's and the
   * port's chunks make when they run (their prototypes and constants are in flash).
   */
  residentKb: number;
  /** After boot Accepted and the StatusNotifications, full GC, above the loaded VM. */
  idleDynKb: number;
  /** A charging session on every EVSE: the reachable heap before every VM instruction, max, above the loaded VM. */
  sessionPeakDynKb: number;
  /** ESP8266: 44 KB less resident and session peak. */
  ramLeftKb?: number;
  note: string;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measurePort(board: string, log: (s: string) => void = () => undefined): Promise<PortRow> {
  const spec = PORT_BOARDS[board];
  const target = spec.runtimes.includes("lua5.1") ? "lua5.1" : "lua5.3";
  const configFile = portConfigFile(path.join(ROOT, "build", "configs", "core.json"), board, spec.maxEvses);
  const cfg = buildPort(configFile, board, target, log);
  const dir = buildDir(ROOT, cfg.name, target);
  const image = fs.readFileSync(path.join(dir, "ocpp.luac"), "latin1");
  const port = fs.readFileSync(halFile(dir, board, true), "latin1");

  // The package's size report has both (build/package.ts): the LFS estimate (NodeMCU on 5.1) and the resident RAM.
  const size = JSON.parse(fs.readFileSync(path.join(dir, "size.json"), "utf8")) as { lfs?: { estimateBytes: number }; ram: { residentKb: number } };
  const lfs = size.lfs?.estimateBytes;
  const resident = size.ram.residentKb;

  // The loaded VM (image, emulation, port; nothing run): what dyn is measured above.
  const loaded = loadPort(ROOT, cfg.name, target, board);
  const loadedKb = stableKb((full) => loaded.heapKb(full));
  loaded.close();

  const csms = new EmbeddedCsms({});
  await csms.start(0);
  const id = `BENCH-${board}`;
  const runner: PortRunner = new PortRunner({
    root: ROOT,
    config: cfg.name,
    runtime: target,
    board,
    provision: { [PROVISION_KEYS.url]: csms.url, [PROVISION_KEYS.identity]: id },
    provisionFile: spec.provisionFile,
  });
  const driver = spec.driver(runner, () => undefined);
  runner.attach(driver);
  const sent = (action: string) => csms.received.filter((r) => r.action === action);
  const until = async (what: string, fn: () => boolean, maxS = 120) => {
    for (let i = 0; i <= maxS; i++) {
      if (fn()) return;
      runner.advance(1000);
      await sleep(2);
    }
    throw new Error(`${board}: ${what} not within ${maxS} s`);
  };
  try {
    runner.powerOn();
    await until("BootNotification and StatusNotification", () => sent("BootNotification").length > 0 && sent("StatusNotification").length >= cfg.evses.length);
    for (let i = 0; i < 5; i++) {
      runner.advance(1000);
      await sleep(2);
    }
    const idle = stableKb((full) => runner.heapKb(full)) - loadedKb;
    // As the core bench's session: meter values every 10 s with 4 measurands per phase.
    const set = (await csms.call(id, "SetVariables", {
      setVariableData: [
        { component: { name: "SampledDataCtrlr" }, variable: { name: "TxUpdatedInterval" }, attributeValue: "10" },
        { component: { name: "SampledDataCtrlr" }, variable: { name: "TxUpdatedMeasurands" }, attributeValue: "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage" },
      ],
    })) as { setVariableResult: { attributeStatus: string }[] };
    if (set.setVariableResult.some((r) => r.attributeStatus !== "Accepted")) throw new Error(`${board}: SetVariables refused`);
    const vm = runner.image.vm as LuaVm;
    vm.eval(REACH_ON);
    driver.setPlugged(true);
    for (let e = 1; e <= cfg.evses.length; e++) void csms.remoteStart(id, e, `BENCH${e}`);
    await until("TransactionEvent Started on every EVSE", () => sent("TransactionEvent").filter((r) => (r.payload as { eventType: string }).eventType === "Started").length >= cfg.evses.length);
    for (let i = 0; i < 120; i++) {
      runner.advance(1000);
      await sleep(1);
    }
    for (let e = 1; e <= cfg.evses.length; e++) void csms.remoteStop(id, { evseId: e });
    await until("TransactionEvent Ended on every EVSE", () => sent("TransactionEvent").filter((r) => (r.payload as { eventType: string }).eventType === "Ended").length >= cfg.evses.length);
    driver.setPlugged(false);
    for (let i = 0; i < 10; i++) {
      runner.advance(1000);
      await sleep(1);
    }
    const peak = Number(vm.eval(REACH_OFF)) - loadedKb;
    if (csms.violations.length > 0) throw new Error(`${board}: the CSMS saw schema violations: ${JSON.stringify(csms.violations[0])}`);
    const updates = sent("TransactionEvent").filter((r) => (r.payload as { eventType: string }).eventType === "Updated").length;
    return {
      board,
      target,
      evses: cfg.evses.length,
      portRomBytes: port.length,
      imageRomBytes: image.length,
      lfsBytes: lfs,
      lfsMaxBytes: lfs !== undefined ? ESP8266_LFS_MAX : undefined,
      residentKb: resident,
      idleDynKb: idle,
      sessionPeakDynKb: peak,
      ramLeftKb: board === "nodemcu-esp8266" ? ESP8266_HEAP_KB - resident - peak : undefined,
      note: `${cfg.evses.length} EVSE(s), ${updates} TE Updated`,
    };
  } finally {
    runner.close();
    await csms.stop();
  }
}

/** Every port the simulator can run (sim/boards/port-sim.ts PORT_BOARDS). */
export async function measurePorts(log: (s: string) => void = () => undefined): Promise<PortRow[]> {
  const rows: PortRow[] = [];
  for (const board of Object.keys(PORT_BOARDS).sort()) {
    const t0 = Date.now();
    rows.push(await measurePort(board, log));
    log(`measured port ${board} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return rows;
}

/**
 * Budget failures: ESP8266's LFS within the firmware's. The ports' RAM figures are info for now: they
 * hold the emulated modules' own state (sockets' buffers, the line protocol's copies of each event), up
 * to ~20 KB at a session's peak that is not yet told apart from the port's; and the resident closures
 * of the core image alone nearly fill the ESP8266's heap, which the image's layout has to answer.
 */
export function portFailures(rows: PortRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.lfsBytes !== undefined && r.lfsMaxBytes !== undefined && r.lfsBytes > r.lfsMaxBytes) out.push(`port ${r.board}: LFS ${r.lfsBytes} bytes over the firmware's ${r.lfsMaxBytes}`);
  }
  return out;
}

export const PORT_HEAD = ["board", "target", "port ROM bytes", "image ROM bytes", "LFS bytes (max)", "resident KB", "idle dyn KB", "session peak dyn KB", `RAM left of ${ESP8266_HEAP_KB} KB`, "session"];

const kb = (n: number) => n.toFixed(1);

export function portCells(r: PortRow): string[] {
  return [
    r.board,
    r.target,
    String(r.portRomBytes),
    String(r.imageRomBytes),
    r.lfsBytes !== undefined ? `${r.lfsBytes} (${r.lfsMaxBytes})` : "–",
    kb(r.residentKb),
    kb(r.idleDynKb),
    kb(r.sessionPeakDynKb),
    r.ramLeftKb !== undefined ? kb(r.ramLeftKb) : "–",
    r.note,
  ];
}

export const PORT_LEGEND =
  "Ports (the core image on each board's emulated firmware, sim/boards/, in the same 32-bit PUC VMs as above; the emulated modules' state counts in dyn, a little more than a board holds). " +
  "resident: what the image's and the port's chunks leave in RAM when they run (tables, closures, upvalues), the code itself in flash (LFS); " +
  "idle: after boot Accepted, full GC; session peak: a charging session on every EVSE (remote start, 120 s with meter values every 10 s, remote stop), the reachable heap before every VM instruction, max; both above the loaded VM; " +
  `LFS: build/lfs-size.ts's estimate for image + port; RAM left: ${ESP8266_HEAP_KB} KB (ESP8266's free heap with the firmware's modules) less resident and session peak. RAM figures are info (they include the emulated modules' state); budget: the LFS within the firmware's.`;
