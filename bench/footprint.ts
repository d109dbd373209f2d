// Footprint bench: ROM (stripped bytecode of the board-neutral image, per block; the simulator's HAL
// apart), RAM (code, idle, report peak) and CPU (Lua VM instructions) of every build config on Lua 5.1
// and 5.3, checked against the budgets.
//
// Every number comes from the real 32-bit Lua VMs (lua-wasm-bindings) running the stripped bytecode a
// device would flash. fengari (lua5.3-int32, lua5.3-f32) is left out: it has no Lua heap of its own to count.
//
//   npm run bench:footprint        table on stdout, bench/out/footprint.json and bench/out/footprint.md;
//                                  exit code 1 when a budget is broken.
//   npm run bench:footprint -- --readme   also puts the table into README.md between its footprint markers.

import { measurePorts, PORT_HEAD, PORT_LEGEND, portCells, portFailures, PortRow } from "./ports";
import { REACH_OFF, REACH_ON } from "./reach";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildImage } from "../build/cli";
import { halFile, ROOT } from "../build/compile";
import { BuildConfig, loadConfig } from "../build/config";
import { Board } from "../sim/board";
import { createLuaVm, LuaVm, setVmPrelude } from "../sim/runtimes/lua-vm";
import { PIN_STRINGS, residentKb, stableKb as stableHeapKb } from "../build/resident";
import { bootAccepted, Frame, ScriptedCsms } from "../test/harness";

export type Target = "lua5.1" | "lua5.3";
export const TARGETS: Target[] = ["lua5.1", "lua5.3"];

/** Blocks the config validator requires in every build: they have no "without" variant. */
export const REQUIRED_BLOCKS = ["provisioning"];

/** Hard limits: a broken one fails the bench. ROM applies to `core` on Lua 5.1; RAM to every config and target. */
export const BUDGETS = { romConfig: "core", romTarget: "lua5.1" as Target, romBytes: 150 * 1024, peakDynamicKb: 32, idleDynamicKb: 16 };
/** The team's goals: reported (✓/✗), never failing. */
export const GOALS = { romBytes: 100 * 1024, peakDynamicKb: 20 };

/** Where the bench's builds go, relative to build/out (gitignored). */
export const DEFAULT_OUT = "bench";

/** 10 readable OCPP 2.0.1 variables (Appendix 3 names). */
export const GET_VARIABLES_10: [string, string, string?][] = [
  ["OCPPCommCtrlr", "HeartbeatInterval"],
  ["OCPPCommCtrlr", "MessageTimeout", "Default"],
  ["OCPPCommCtrlr", "OfflineThreshold"],
  ["OCPPCommCtrlr", "RetryBackOffWaitMinimum"],
  ["OCPPCommCtrlr", "RetryBackOffRandomRange"],
  ["OCPPCommCtrlr", "RetryBackOffRepeatTimes"],
  ["OCPPCommCtrlr", "WebSocketPingInterval"],
  ["SecurityCtrlr", "SecurityProfile"],
  ["SecurityCtrlr", "Identity"],
  ["DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"],
];

/** 10 ReadWrite variables with values inside their declared ranges (SecurityProfile and Identity are left alone). */
export const SET_VARIABLES_10: [string, string, string | undefined, string][] = [
  ["OCPPCommCtrlr", "HeartbeatInterval", undefined, "600"],
  ["OCPPCommCtrlr", "MessageAttempts", "TransactionEvent", "5"],
  ["OCPPCommCtrlr", "OfflineThreshold", undefined, "120"],
  ["OCPPCommCtrlr", "RetryBackOffWaitMinimum", undefined, "10"],
  ["OCPPCommCtrlr", "RetryBackOffRandomRange", undefined, "8"],
  ["OCPPCommCtrlr", "RetryBackOffRepeatTimes", undefined, "3"],
  ["OCPPCommCtrlr", "WebSocketPingInterval", undefined, "60"],
  ["OCPPCommCtrlr", "NetworkProfileConnectionAttempts", undefined, "3"],
  ["OCPPCommCtrlr", "ResetRetries", undefined, "2"],
  ["SecurityCtrlr", "OrganizationName", undefined, "LuaVolt Charging"],
];

// ---------------------------------------------------------------------------------------------------
// ROM

export interface BlockCost {
  block: string;
  /** Stripped bytecode bytes the block adds (with − without); undefined when the build without it fails. */
  romBytes?: number;
  /** Code RAM the block adds (image loaded, full GC), KB. */
  codeKb?: number;
  /** The bundle built without the block (for inspection). */
  withoutLuaFile?: string;
  error?: string;
}

export interface RomResult {
  config: string;
  target: Target;
  blocks: string[];
  /** The shipped build (its own name), as `npm run build` makes it. */
  luaFile: string;
  sourceBytes: number;
  /** The board-neutral image's stripped bytecode. */
  romBytes: number;
  bytecodeFile: string;
  /** The simulator's HAL (hal-sim.luac), built beside the image and not part of it. */
  halRomBytes: number;
  halBytecodeFile: string;
  /** The same config under the reference name the per-block variants are compared with. */
  refLuaFile: string;
  perBlock: BlockCost[];
}

export function configFiles(): string[] {
  const dir = path.join(ROOT, "build", "configs");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}

function outDir(out: string, name: string, target: Target): string {
  return path.join(ROOT, "build", "out", out, name, target);
}

/**
 * Names of the reference build and the without-<block> variants, padded with '-' to one length: the build
 * name is part of the bundle's module names ("build.gen.<name>.image"), so unequal names would leak a few
 * bytes into every block's cost. Names stay within the validator's 40 characters.
 */
export function variantNames(cfg: BuildConfig): { ref: string; without: Map<string, string> } {
  const removable = cfg.blocks.filter((b) => !REQUIRED_BLOCKS.includes(b));
  let ref = `${cfg.name}-with-all`;
  let without = removable.map((b) => `${cfg.name}-without-${b}`);
  let width = Math.max(ref.length, ...without.map((n) => n.length));
  if (width > 40) {
    const base = cfg.name.slice(0, 30);
    ref = `${base}-v00`;
    without = removable.map((_b, i) => `${base}-v${String(i + 1).padStart(2, "0")}`);
    width = ref.length;
  }
  return { ref: ref.padEnd(width, "-"), without: new Map(removable.map((b, i) => [b, without[i].padEnd(width, "-")])) };
}

/** Writes a copy of the config JSON under another name (and block list) to a temp file. */
function writeVariant(configFile: string, name: string, blocks: string[]): string {
  const raw = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>;
  raw.name = name;
  raw.blocks = blocks;
  delete raw.$schema;
  const dir = path.join(os.tmpdir(), "ocpp-bench");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

// Run first in every VM of the bench (setVmPrelude): build/resident.ts PIN_STRINGS, so the string
// table's power-of-two resizes never land in one figure or another ("code" in one build, "dynamic" in
// another); on a board the constant strings live in flash. In every figure's baseline, so subtracted.

/** A fresh VM with only the harness: what every RAM number is measured against. */
export function emptyVmKb(target: Target): number {
  setVmPrelude(PIN_STRINGS);
  const vm = createLuaVm(target);
  try {
    return vm.heapKb(true);
  } finally {
    vm.close();
  }
}

/**
 * Heap (KB) of a fresh VM that has loaded the image chunk, and the HAL's when given, collected until it
 * shrinks no more: one full GC leaves several KB of what loading needed (Lua 5.1 gives its buffers
 * and string table back only in a later cycle), which a running board has long given back, so a
 * single one would count them as code and hide as much dynamic RAM.
 */
function loadedKb(target: Target, image: string, hal?: string): number {
  const vm = createLuaVm(target);
  try {
    vm.loadImage(image, "=ocpp");
    if (hal !== undefined) vm.loadBoard(hal, "=hal-sim");
    return stableKb(vm);
  } finally {
    vm.close();
  }
}

/** The heap after full collections until it shrinks no more (the live state, nothing a later cycle would still give back). */
const stableKb = (vm: LuaVm): number => stableHeapKb((full) => vm.heapKb(full));

const read = (file: string) => fs.readFileSync(file, "latin1");

/**
 * (a) code + constants: the image and the simulator's HAL (stripped bytecode, or source) loaded, their
 * chunks run (modules, tables, the board's state), before "start"; and the HAL's share of it.
 */
export function codeKb(target: Target, image: string, hal: string, baselineKb: number): { totalKb: number; halKb: number } {
  const total = loadedKb(target, image, hal);
  return { totalKb: total - baselineKb, halKb: total - loadedKb(target, image) };
}

/** block and every block of the build that requires it, directly or not (block.json "requires"). */
function dependents(blocks: string[], block: string): string[] {
  const out = [block];
  for (let i = 0; i < out.length; i++) {
    for (const b of blocks) {
      if (out.includes(b) || b.startsWith("../")) continue;
      const req = (JSON.parse(fs.readFileSync(path.join(ROOT, "profiles", b, "block.json"), "utf8")) as { requires?: string[] }).requires ?? [];
      if (req.includes(out[i])) out.push(b);
    }
  }
  return out;
}

/**
 * Builds the config for the target, and once more without each removable block; a block's cost is the
 * difference. Builds go to build/out/<out>/; the generated build/gen/<variant>/ dirs are removed afterwards.
 */
export function measureRom(configFile: string, target: Target, out = DEFAULT_OUT): RomResult {
  const cfg = loadConfig(configFile, ROOT);
  const shipped = buildImage(configFile, target, outDir(out, cfg.name, target));
  const names = variantNames(cfg);
  const made: string[] = [];
  const build = (name: string, blocks: string[]) => {
    made.push(name);
    const file = writeVariant(configFile, name, blocks);
    try {
      return buildImage(file, target, outDir(out, name, target));
    } finally {
      fs.rmSync(file, { force: true });
    }
  };
  try {
    const ref = build(names.ref, cfg.blocks);
    // Image against image: the HAL is the same in every variant.
    const refCode = loadedKb(target, read(ref.bytecodeFile));
    const perBlock: BlockCost[] = [];
    for (const [block, name] of names.without) {
      try {
        // A block others require (block.json "requires") goes with them: its cost includes theirs.
        const gone = dependents(cfg.blocks, block);
        const w = build(name, cfg.blocks.filter((b) => !gone.includes(b)));
        perBlock.push({
          block: gone.join("+"),
          romBytes: ref.bytecodeBytes - w.bytecodeBytes,
          codeKb: refCode - loadedKb(target, read(w.bytecodeFile)),
          withoutLuaFile: w.luaFile,
        });
      } catch (e) {
        perBlock.push({ block, error: `cannot build without it: ${(e as Error).message.split("\n")[0]}` });
      }
    }
    return {
      config: cfg.name,
      target,
      blocks: cfg.blocks,
      luaFile: shipped.luaFile,
      sourceBytes: shipped.sourceBytes,
      romBytes: shipped.bytecodeBytes,
      bytecodeFile: shipped.bytecodeFile,
      halRomBytes: shipped.report.hal.bytecodeBytes,
      halBytecodeFile: shipped.halBytecodeFile,
      refLuaFile: ref.luaFile,
      perBlock,
    };
  } finally {
    for (const n of made) fs.rmSync(path.join(ROOT, "build", "gen", n), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// RAM and CPU of a running station

/** One GetBaseReport FullInventory exchange: the request, then every NotifyReport part answered {}. */
export interface ReportRun {
  /** False: the build answered GetBaseReport with NotSupported/NotImplemented (or status NotSupported). */
  implemented: boolean;
  /** GetBaseReport status, or why (c) is n/a. */
  note: string;
  parts: number;
  /** Heap above the empty VM after each step, GC stopped, KB (the first sample: before the request). */
  samplesKb: number[];
  /** Per-step mode: live heap above the empty VM (full GC) before each step, KB. */
  liveBeforeKb: number[];
  peakKb: number;
}

export interface RunResult {
  /** Heap above the empty VM, KB: idle after boot (full GC). */
  idleTotalKb: number;
  /** (c) as budgeted: the reachable heap at every instruction of the exchange. */
  report: ReportRun;
  /** (c) with a full GC before and the GC stopped during each step: live state plus one step's garbage (info). */
  reportStep: ReportRun;
  /** (c) with the GC stopped over the whole exchange, so every part's garbage adds up (info). */
  reportGcOff: ReportRun;
  /** (c) with the GC running, tuned for RAM, the heap sampled every instruction (info). */
  reportGcOn: ReportRun;
  getVariables: CpuResult;
  setVariables: CpuResult;
  /** (e) smart charging, when the build has it (info). */
  smartCharging?: ScRun;
  session: SessionRun;
}

/** (d): a charging session on every EVSE with periodic meter values. */
export interface SessionRun {
  implemented: boolean;
  note: string;
  /** Heap above the empty VM: the reachable heap at every instruction of the session's events, max. */
  peakKb: number;
  /** Info: in a second session, live before an event plus all it allocates (full GC before, GC stopped during it), max over the events. */
  perEventKb?: number;
  /** Info: heap above the empty VM in a second session with the GC running (pause 100, stepmul 1000), sampled every instruction. */
  gcOnPeakKb?: number;
  /** TransactionEvents the CSMS received. */
  events: number;
  /** VM instructions of the tick that built and sent one periodic TransactionEvent Updated (4 measurands, per phase). */
  updatedInstructions?: number;
  /** Bytes the session appended to the flash journal. */
  journalBytes: number;
}

export interface CpuResult {
  /** Lua VM instructions to handle the CALL frame(s); undefined when the build does not support the action. */
  instructions?: number;
  /** Requests the 10 items took: more than one when the station's ItemsPerMessage is below 10. */
  requests: number;
  /** What came back: "Accepted×8, UnknownVariable×2", or the CALLERROR code. */
  note: string;
  /** The request was refused for a reason other than "not in this build": the bench's request is wrong. */
  failed: boolean;
}

function text(f: Frame): string {
  return JSON.stringify(f).slice(0, 300);
}

/** Not in this build: the RPC layer's answer for an action without a handler. */
function notInBuild(answer: Frame): boolean {
  return answer[0] === 4 && (answer[2] === "NotSupported" || answer[2] === "NotImplemented");
}

/**
 * How (c) treats the GC. "reach" (budgeted): the reachable heap at every VM instruction of the board's
 * events (a full collection whenever the heap, garbage included, rises above the highest reachable heap
 * seen so far, so every sample above it is checked): the RAM a board needs, as every target collects
 * when an allocation fails (Lua 5.2+ emergency GC; NodeMCU's EGC on 5.1), and what it can never go
 * below. "per-step": a full collection before each step and the GC stopped during it,
 * so a sample is the live state plus everything that one step allocates (budgeted: a bound that does
 * not depend on GC tuning; a device's GC gets to run between two messages). "gc-off": the GC stopped
 * from the request to the last part, so the garbage of every part adds up. "gc-on": the GC running,
 * tuned for RAM (pause 100, stepmul 1000), the heap sampled before every Lua VM instruction: what such a
 * device would see, garbage of earlier steps not yet swept included (so it can exceed "per-step").
 */
export type ReportMode = "reach" | "per-step" | "gc-off" | "gc-on";


const HOOK_ON = String.raw`
local count = collectgarbage
__bench_gc = { count("setpause", 100), count("setstepmul", 1000) }
count("collect")
local flash = __sim_flash or function() return 0 end
__bench_heap = function() return count("count") - flash() / 1024 end
__bench_peak = __bench_heap()
debug.sethook(function() local c = __bench_heap(); if c > __bench_peak then __bench_peak = c end end, "", 1)
return ""`;
const HOOK_READ = String.raw`local p = __bench_peak; __bench_peak = __bench_heap(); return p`;
const HOOK_OFF = String.raw`
debug.sethook()
collectgarbage("setpause", __bench_gc[1]); collectgarbage("setstepmul", __bench_gc[2]); __bench_gc = nil; __bench_heap = nil
return __bench_peak`;

/**
 * (c): GetBaseReport FullInventory, each NotifyReport answered {} until tbc is false; the heap sampled
 * after every step (see ReportMode).
 */
export function reportExchange(csms: ScriptedCsms, vm: LuaVm, baselineKb: number, requestId: number, mode: ReportMode): ReportRun {
  const samples: number[] = [];
  const live: number[] = [];
  const sample = () => (mode === "gc-on" ? Number(vm.eval(HOOK_READ)) : mode === "reach" ? Number(vm.eval("return __bench_reach")) : vm.heapKb(false)) - baselineKb;
  const step = (fn: () => void) => {
    if (mode === "per-step") {
      vm.gc("restart");
      live.push(vm.heapKb(true) - baselineKb);
      vm.gc("stop");
    }
    fn();
    samples.push(sample());
  };
  let parts = 0;
  let implemented = true;
  let note = "";
  vm.gc("collect");
  if (mode === "gc-on") vm.eval(HOOK_ON);
  else if (mode === "reach") vm.eval(REACH_ON);
  else vm.gc("stop");
  try {
    samples.push(sample());
    let answer: Frame = [];
    step(() => (answer = csms.call("GetBaseReport", { requestId, reportBase: "FullInventory" })));
    if (notInBuild(answer)) {
      implemented = false;
      note = `n/a (GetBaseReport not in build: ${answer[2] as string})`;
    } else if (answer[0] === 4) {
      throw new Error(`GetBaseReport answered CALLERROR ${text(answer)}`);
    } else {
      const status = (answer[2] as { status: string }).status;
      implemented = status !== "NotSupported";
      note = implemented ? status : "n/a (FullInventory NotSupported)";
      for (;;) {
        const nr = csms.takeCalls().find((c) => c[2] === "NotifyReport");
        if (nr === undefined) {
          if (status === "Accepted" && parts === 0) throw new Error("GetBaseReport Accepted but no NotifyReport sent");
          break;
        }
        if (++parts > 10000) throw new Error("NotifyReport never ends (tbc stays true)");
        step(() => csms.reply(nr, {}));
        if ((nr[3] as { tbc?: boolean }).tbc !== true) break;
      }
    }
  } finally {
    if (mode === "gc-on") vm.eval(HOOK_OFF);
    if (mode === "reach") vm.eval(REACH_OFF);
    vm.gc("restart");
    vm.gc("collect");
  }
  return { implemented, note, parts, samplesKb: samples, liveBeforeKb: live, peakKb: Math.max(...samples) };
}

/**
 * Answers one CSMS CALL with the frame handled under the instruction counter (exact Lua VM instructions
 * of the whole frame: decode, validate, handler, encode). The board carries out the effects as always:
 * only its image's event entry is swapped for the counted one for this one frame.
 */
export function countedCall(board: Board, csms: ScriptedCsms, vm: LuaVm, action: string, payload: unknown): { instructions: number; answer: Frame } {
  const image = board.image;
  let instructions = -1;
  board.image = {
    ...image,
    event: (line) => {
      const r = vm.eventCounted(line);
      instructions = r.instructions;
      return r.result;
    },
  };
  try {
    const answer = csms.call(action, payload);
    if (instructions < 0) throw new Error(`${action}: the frame never reached the image`);
    return { instructions, answer };
  } finally {
    board.image = image;
  }
}

/** DeviceDataCtrlr/ItemsPerMessage[instance] as the station reports it; 10 when it cannot say. */
function itemsPerMessage(csms: ScriptedCsms, instance: string): number {
  const answer = csms.call("GetVariables", { getVariableData: [{ component: { name: "DeviceDataCtrlr" }, variable: { name: "ItemsPerMessage", instance } }] });
  const r = answer[0] === 3 ? (answer[2] as { getVariableResult?: { attributeStatus: string; attributeValue?: string }[] }).getVariableResult?.[0] : undefined;
  const n = r !== undefined && r.attributeStatus === "Accepted" ? Number(r.attributeValue) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 10;
}

/**
 * Instructions for 10 items of GetVariables/SetVariables, in as many requests as the station's
 * ItemsPerMessage allows (a station that takes 8 answers 10 with OccurrenceConstraintViolation).
 */
function cpu(board: Board, csms: ScriptedCsms, vm: LuaVm, action: "GetVariables" | "SetVariables", items: unknown[]): CpuResult {
  const [dataKey, listKey] = action === "GetVariables" ? ["getVariableData", "getVariableResult"] : ["setVariableData", "setVariableResult"];
  const per = itemsPerMessage(csms, action);
  let instructions = 0;
  let requests = 0;
  const results: { attributeStatus: string }[] = [];
  for (let i = 0; i < items.length; i += per) {
    const { instructions: n, answer } = countedCall(board, csms, vm, action, { [dataKey]: items.slice(i, i + per) });
    requests++;
    if (notInBuild(answer)) return { requests, note: `n/a (${action} not in build: ${answer[2] as string})`, failed: false };
    if (answer[0] === 4) return { instructions: n, requests, note: `CALLERROR ${answer[2] as string}: ${answer[3] as string}`, failed: true };
    instructions += n;
    results.push(...(((answer[2] as Record<string, unknown>)[listKey] ?? []) as { attributeStatus: string }[]));
  }
  const count = new Map<string, number>();
  for (const r of results) count.set(r.attributeStatus, (count.get(r.attributeStatus) ?? 0) + 1);
  const statuses = [...count].map(([st, n]) => `${st}×${n}`).join(", ");
  const split = requests > 1 ? ` in ${requests} requests (ItemsPerMessage ${per})` : "";
  const ok = results.length === items.length;
  return { instructions, requests, note: (ok ? statuses : `${results.length} results: ${statuses}`) + split, failed: !ok };
}

const SESSION_MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage";

/**
 * (d): both EVSEs of the build plugged, authorized and charging for two minutes with periodic meter
 * values (every 10 s, four measurands per phase), then stopped and unplugged, every CALL answered; the
 * heap measured per event (budgeted) and, in a second session, sampled every instruction with the GC
 * running (info). Also the instructions of one tick that sends a periodic Updated, and the bytes the
 * first session appended to the journal.
 */
export async function sessionExchange(board: Board, csms: ScriptedCsms, vm: LuaVm, baselineKb: number, settle: () => Promise<void>): Promise<SessionRun> {
  const set = csms.call("SetVariables", {
    setVariableData: [
      { component: { name: "SampledDataCtrlr" }, variable: { name: "TxUpdatedInterval" }, attributeValue: "10" },
      { component: { name: "SampledDataCtrlr" }, variable: { name: "TxUpdatedMeasurands" }, attributeValue: SESSION_MEASURANDS },
    ],
  });
  const results = set[0] === 3 ? ((set[2] as { setVariableResult: { attributeStatus: string }[] }).setVariableResult) : [];
  if (results.length !== 2 || results.some((r) => r.attributeStatus !== "Accepted")) {
    return { implemented: false, note: "n/a (no transactions in build)", peakKb: 0, events: 0, journalBytes: 0 };
  }
  csms.autoReply = {
    ...csms.autoReply,
    Authorize: { idTokenInfo: { status: "Accepted" } },
    MeterValues: {},
    TransactionEvent: (f: Frame) => ((f[3] as { idToken?: unknown }).idToken !== undefined ? { idTokenInfo: { status: "Accepted" } } : {}),
  };
  const evses = board.evses.length;
  const appended0 = board.appendedBytes;
  let events = 0;
  let updatedInstructions: number | undefined;
  const count = () => {
    for (const f of csms.take()) if (f[0] === 2 && f[2] === "TransactionEvent") events++;
  };
  // One session: both EVSEs plugged and authorized, 120 s of charging, unplugged, 10 s more.
  const session = async (tag: string) => {
    for (let e = 1; e <= evses; e++) {
      board.plug(e);
      board.presentToken(e, `BENCH-${tag}-${e}`);
      await settle();
    }
    for (let s = 0; s < 120; s++) {
      board.advance(1);
      await settle();
      count();
    }
    for (let e = 1; e <= evses; e++) board.unplug(e);
    for (let s = 0; s < 10; s++) {
      board.advance(1);
      await settle();
      count();
    }
  };
  // Budgeted, as (c): the reachable heap at every instruction of the board's events.
  vm.eval(REACH_ON);
  let peak = 0;
  try {
    await session("A");
  } finally {
    peak = Number(vm.eval(REACH_OFF));
    vm.gc("collect");
  }
  const journalBytes = board.appendedBytes - appended0;
  const eventsA = events;
  // Info: a second session as (c) per-step: a full GC before each event the board hands the image and
  // the GC stopped during it, so a sample is the live state plus all that one event allocates.
  const image = board.image;
  let perEvent = 0;
  board.image = {
    ...image,
    event: (line) => {
      vm.gc("collect");
      vm.gc("stop");
      try {
        const out = image.event(line);
        // As the board's event left the heap: the bridge's copies of the output are not the device's.
        perEvent = Math.max(perEvent, Number(vm.eval(String.raw`return __sim_after - (__sim_flash and __sim_flash() or 0) / 1024`)));
        return out;
      } finally {
        vm.gc("restart");
      }
    },
  };
  try {
    await session("B");
  } finally {
    board.image = image;
  }
  // Info: a third session with the GC running, tuned for RAM, the heap sampled every instruction.
  vm.gc("collect");
  vm.eval(HOOK_ON);
  let gcOnPeak = 0;
  try {
    await session("C");
  } finally {
    gcOnPeak = Number(vm.eval(HOOK_OFF));
    vm.gc("restart");
    vm.gc("collect");
  }
  // CPU apart (the instruction counter takes the VM's hook): one more session on EVSE 1, each tick
  // counted until the one that sends a periodic Updated.
  board.plug(1);
  board.presentToken(1, "BENCH-CPU");
  await settle();
  for (let s = 0; s < 30 && updatedInstructions === undefined; s++) {
    const image = board.image;
    let instructions = -1;
    board.image = { ...image, event: (line) => ((r) => ((instructions = r.instructions), r.result))(vm.eventCounted(line)) };
    const before = csms.sent.length;
    try {
      board.advance(1);
    } finally {
      board.image = image;
    }
    const fresh = csms.sent.slice(before).map((x) => JSON.parse(Buffer.from(x, "latin1").toString("utf8")) as Frame);
    if (fresh.some((f) => f[2] === "TransactionEvent" && (f[3] as { triggerReason: string }).triggerReason === "MeterValuePeriodic")) updatedInstructions = instructions;
    await settle();
  }
  board.unplug(1);
  await settle();
  csms.take();
  return { implemented: true, note: `${evses} EVSEs, 120 s`, peakKb: peak - baselineKb, perEventKb: perEvent - baselineKb, gcOnPeakKb: gcOnPeak - baselineKb, events: eventsA, updatedInstructions, journalBytes };
}

/**
 * (b), (c) and CPU on one station booted to Accepted by test/harness.ts (its StatusNotifications
 * answered), running the stripped bytecode: the device runs that, and source would add line info
 * and local names to every function.
 */
/** Smart charging with the most it takes installed: SC_PROFILES TxDefaultProfiles of SC_PERIODS periods each. */
export interface ScRun {
  note: string;
  profiles: number;
  /** Heap above the empty VM with them installed, full GC; and what they added to it. */
  liveKb: number;
  addedKb: number;
  /** GetCompositeSchedule of EVSE 1 over a day: the reachable heap at every instruction, max; its instructions and periods. */
  peakKb: number;
  instructions: number;
  periods: number;
}

const SC_PROFILES = 8;
const SC_PERIODS = 24;

/** (e) smart charging, when the build has it: SC_PROFILES profiles of SC_PERIODS periods, then one composite schedule of 24 periods. */
export function smartChargingRun(board: Board, csms: ScriptedCsms, vm: LuaVm, baselineKb: number, evses: number): ScRun | undefined {
  vm.gc("collect");
  const beforeKb = vm.heapKb(true) - baselineKb;
  for (let i = 0; i < SC_PROFILES; i++) {
    const periods = Array.from({ length: SC_PERIODS }, (_, k) => ({ startPeriod: k * 600, limit: 6 + k + (i % 2) / 2 }));
    const chargingProfile = { id: 100 + i, stackLevel: Math.floor(i / evses), chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Relative", chargingSchedule: [{ id: 1, chargingRateUnit: "A", chargingSchedulePeriod: periods }] };
    const answer = csms.call("SetChargingProfile", { evseId: 1 + (i % evses), chargingProfile });
    if (notInBuild(answer)) return undefined;
    const status = answer[0] === 3 ? (answer[2] as { status: string }).status : `CALLERROR ${text(answer)}`;
    if (status !== "Accepted") throw new Error(`SetChargingProfile ${i + 1} answered ${status}`);
  }
  vm.gc("collect");
  const liveKb = vm.heapKb(true) - baselineKb;
  const ask = { evseId: 1, duration: 86400, chargingRateUnit: "A" };
  const { instructions, answer } = countedCall(board, csms, vm, "GetCompositeSchedule", ask);
  const periods = answer[0] === 3 ? ((answer[2] as { schedule?: { chargingSchedulePeriod: unknown[] } }).schedule?.chargingSchedulePeriod.length ?? 0) : 0;
  vm.eval(REACH_ON);
  try {
    csms.call("GetCompositeSchedule", ask);
  } finally {
    vm.eval(REACH_OFF);
  }
  const peakKb = Number(vm.eval("return __bench_reach")) - baselineKb;
  return { note: `${SC_PROFILES} profiles × ${SC_PERIODS} periods`, profiles: SC_PROFILES, liveKb, addedKb: liveKb - beforeKb, peakKb, instructions, periods };
}

export async function measureRun(image: { configFile: string; imageFile: string }, target: Target, baselineKb: number): Promise<RunResult> {
  const { board, csms, settle } = await bootAccepted(target, image);
  try {
    const vm = board.image.vm;
    if (vm === undefined) throw new Error("no Lua VM");
    const idleTotalKb = stableKb(vm) - baselineKb;
    const reportGcOff = reportExchange(csms, vm, baselineKb, 1, "gc-off");
    const reportStep = reportExchange(csms, vm, baselineKb, 2, "per-step");
    const reportGcOn = reportExchange(csms, vm, baselineKb, 3, "gc-on");
    const report = reportExchange(csms, vm, baselineKb, 4, "reach");
    await settle();
    csms.take();
    const getVariables = cpu(board, csms, vm, "GetVariables",
      GET_VARIABLES_10.map(([c, v, i]) => ({ component: { name: c }, variable: i === undefined ? { name: v } : { name: v, instance: i } })));
    const setVariables = cpu(board, csms, vm, "SetVariables",
      SET_VARIABLES_10.map(([c, v, i, value]) => ({ attributeValue: value, component: { name: c }, variable: i === undefined ? { name: v } : { name: v, instance: i } })));
    const session = await sessionExchange(board, csms, vm, baselineKb, settle);
    const smartCharging = smartChargingRun(board, csms, vm, baselineKb, loadConfig(image.configFile, ROOT).evses.length);
    return { idleTotalKb, report, reportStep, reportGcOff, reportGcOn, getVariables, setVariables, session, smartCharging };
  } finally {
    board.image.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// One row: config × target

export interface Check {
  name: string;
  limit: number;
  value: number;
  ok: boolean;
}

export interface Row {
  config: string;
  target: Target;
  blocks: string[];
  /** The board-neutral image. */
  romBytes: number;
  sourceBytes: number;
  /** The simulator's HAL, apart from the image. */
  halRomBytes: number;
  /** The shipped build's bundle, and the same config under the reference name the variants compare with. */
  luaFile: string;
  refLuaFile: string;
  baselineKb: number;
  /** (a) code + constants loaded (stripped bytecode of the image and the sim HAL), KB above the empty VM. */
  codeKb: number;
  /** The sim HAL's share of codeKb. */
  halCodeKb: number;
  /** The image's share of codeKb a board with the code in flash still holds in RAM: closures, upvalues, tables (bench/resident.ts). */
  residentKb: number;
  /** The same image loaded from Lua source: what line info and local names would add (info). */
  codeFromSourceKb: number;
  idleTotalKb: number;
  idleDynamicKb: number;
  /** (c) budgeted: the reachable heap at every instruction of the report exchange, max. */
  reportPeakTotalKb: number;
  reportPeakDynamicKb: number;
  /** (c) max over the report's steps of (live before the step + all the step allocates) (info). */
  reportStepTotalKb: number;
  reportStepDynamicKb: number;
  /** (c) with the GC stopped over the whole exchange: every part's garbage adds up (info). */
  reportGcOffTotalKb: number;
  reportGcOffDynamicKb: number;
  /** (c) with the GC running, tuned for RAM (pause 100, stepmul 1000), heap sampled every instruction (info). */
  reportGcOnTotalKb: number;
  reportGcOnDynamicKb: number;
  /** Largest live heap (full GC) between two steps of the report, above the empty VM. */
  reportLiveMaxKb: number;
  reportImplemented: boolean;
  reportNote: string;
  reportParts: number;
  report: ReportRun;
  reportStep: ReportRun;
  reportGcOff: ReportRun;
  reportGcOn: ReportRun;
  /** (d) peak during a charging session on every EVSE: the reachable heap at every instruction. */
  sessionPeakTotalKb: number;
  sessionPeakDynamicKb: number;
  session: SessionRun;
  getVariables10: CpuResult;
  setVariables10: CpuResult;
  /** (e) smart charging with the most profiles and periods installed (info), when the build has it. */
  smartCharging?: ScRun;
  perBlock: BlockCost[];
  budgets: Check[];
  goals: Check[];
}

export async function measureConfig(configFile: string, target: Target, baselineKb: number, out = DEFAULT_OUT): Promise<Row> {
  setVmPrelude(PIN_STRINGS);
  const rom = measureRom(configFile, target, out);
  const cfg = loadConfig(configFile, ROOT);
  const { totalKb: code, halKb } = codeKb(target, read(rom.bytecodeFile), read(rom.halBytecodeFile), baselineKb);
  // The board loads the shipped build's ocpp.luac and hal-sim.luac beside it.
  const run = await measureRun({ configFile, imageFile: rom.bytecodeFile }, target, baselineKb);
  const row: Row = {
    config: cfg.name,
    target,
    blocks: cfg.blocks,
    romBytes: rom.romBytes,
    sourceBytes: rom.sourceBytes,
    halRomBytes: rom.halRomBytes,
    luaFile: rom.luaFile,
    refLuaFile: rom.refLuaFile,
    baselineKb,
    codeKb: code,
    halCodeKb: halKb,
    residentKb: residentKb(target, read(rom.bytecodeFile)),
    codeFromSourceKb: codeKb(target, read(rom.luaFile), read(halFile(path.dirname(rom.luaFile), "sim", false)), baselineKb).totalKb,
    idleTotalKb: run.idleTotalKb,
    idleDynamicKb: run.idleTotalKb - code,
    reportPeakTotalKb: run.report.peakKb,
    reportPeakDynamicKb: run.report.peakKb - code,
    reportStepTotalKb: run.reportStep.peakKb,
    reportStepDynamicKb: run.reportStep.peakKb - code,
    reportGcOffTotalKb: run.reportGcOff.peakKb,
    reportGcOffDynamicKb: run.reportGcOff.peakKb - code,
    reportGcOnTotalKb: run.reportGcOn.peakKb,
    reportGcOnDynamicKb: run.reportGcOn.peakKb - code,
    reportLiveMaxKb: Math.max(...run.reportStep.liveBeforeKb, run.idleTotalKb),
    reportImplemented: run.report.implemented,
    reportNote: run.report.note,
    reportParts: run.report.parts,
    report: run.report,
    reportStep: run.reportStep,
    reportGcOff: run.reportGcOff,
    reportGcOn: run.reportGcOn,
    sessionPeakTotalKb: run.session.peakKb,
    sessionPeakDynamicKb: run.session.peakKb - code,
    session: run.session,
    getVariables10: run.getVariables,
    setVariables10: run.setVariables,
    smartCharging: run.smartCharging,
    perBlock: rom.perBlock,
    budgets: [],
    goals: [],
  };
  row.budgets = checkBudgets(row);
  row.goals = [
    { name: "ROM ≤ 100 KB", limit: GOALS.romBytes, value: row.romBytes, ok: row.romBytes <= GOALS.romBytes },
    { name: "dynamic peak ≤ 20 KB", limit: GOALS.peakDynamicKb, value: Math.max(row.reportPeakDynamicKb, row.sessionPeakDynamicKb), ok: Math.max(row.reportPeakDynamicKb, row.sessionPeakDynamicKb) <= GOALS.peakDynamicKb },
  ];
  return row;
}

export function checkBudgets(row: Pick<Row, "config" | "target" | "romBytes" | "reportPeakDynamicKb" | "idleDynamicKb"> & { sessionPeakDynamicKb?: number }): Check[] {
  const out: Check[] = [];
  if (row.config === BUDGETS.romConfig && row.target === BUDGETS.romTarget) {
    out.push({ name: `ROM ≤ ${BUDGETS.romBytes / 1024} KB`, limit: BUDGETS.romBytes, value: row.romBytes, ok: row.romBytes <= BUDGETS.romBytes });
  }
  out.push({ name: `dynamic peak ≤ ${BUDGETS.peakDynamicKb} KB`, limit: BUDGETS.peakDynamicKb, value: row.reportPeakDynamicKb, ok: row.reportPeakDynamicKb <= BUDGETS.peakDynamicKb });
  if (row.sessionPeakDynamicKb !== undefined) {
    out.push({ name: `session peak ≤ ${BUDGETS.peakDynamicKb} KB`, limit: BUDGETS.peakDynamicKb, value: row.sessionPeakDynamicKb, ok: row.sessionPeakDynamicKb <= BUDGETS.peakDynamicKb });
  }
  out.push({ name: `idle dynamic ≤ ${BUDGETS.idleDynamicKb} KB`, limit: BUDGETS.idleDynamicKb, value: row.idleDynamicKb, ok: row.idleDynamicKb <= BUDGETS.idleDynamicKb });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Output

const kb = (n: number) => n.toFixed(1);
const romCell = (b: number) => `${b} (${(b / 1024).toFixed(1)} KB)`;
const mark = (ok: boolean) => (ok ? "✓" : "✗");
const cpuCell = (c: CpuResult) =>
  c.instructions === undefined ? "n/a" : `${c.instructions}${c.requests > 1 ? ` (${c.requests} req)` : ""}${c.failed ? " (!)" : ""}`;
const NA_REPORT = " n/a (GetBaseReport not in build)";
const peakCell = (r: Row) => `${kb(r.reportPeakTotalKb)} / ${kb(r.reportPeakDynamicKb)}${r.reportImplemented ? "" : NA_REPORT}`;
const stepCell = (r: Row) => `${kb(r.reportStepTotalKb)} / ${kb(r.reportStepDynamicKb)}${r.reportImplemented ? "" : NA_REPORT}`;
const gcOffCell = (r: Row) => `${kb(r.reportGcOffTotalKb)} / ${kb(r.reportGcOffDynamicKb)}${r.reportImplemented ? ` (${r.reportParts} parts)` : NA_REPORT}`;
const gcOnCell = (r: Row) => `${kb(r.reportGcOnTotalKb)} / ${kb(r.reportGcOnDynamicKb)}${r.reportImplemented ? "" : NA_REPORT}`;
const budgetCell = (r: Row) => {
  const broken = r.budgets.filter((b) => !b.ok);
  return (broken.length === 0 ? "✓" : "✗ " + broken.map((b) => b.name).join(", "));
};

const HEAD = ["config", "target", "ROM bytes", "sim HAL ROM bytes", "code KB (HAL; resident)", "idle KB tot / dyn", "report peak KB tot / dyn", "per step KB tot / dyn", "GC off KB tot / dyn", "GC running KB tot / dyn", "session peak KB tot / dyn", "TE Updated instr", "journal bytes / session", "GetVariables×10 instr", "SetVariables×10 instr", "budgets", "goal ROM ≤ 100 KB", "goal peak ≤ 20 KB"];

function cells(r: Row): string[] {
  return [
    r.config,
    r.target,
    romCell(r.romBytes),
    String(r.halRomBytes),
    `${kb(r.codeKb)} (HAL ${kb(r.halCodeKb)}; res ${kb(r.residentKb)})`,
    `${kb(r.idleTotalKb)} / ${kb(r.idleDynamicKb)}`,
    peakCell(r),
    stepCell(r),
    gcOffCell(r),
    gcOnCell(r),
    r.session.implemented ? `${kb(r.sessionPeakTotalKb)} / ${kb(r.sessionPeakDynamicKb)} (per event ${kb((r.session.perEventKb ?? 0) - r.codeKb)}; GC on ${kb((r.session.gcOnPeakKb ?? 0) - r.codeKb)}; ${r.session.events} TEs)` : r.session.note,
    r.session.updatedInstructions !== undefined ? String(r.session.updatedInstructions) : "n/a",
    r.session.implemented ? String(r.session.journalBytes) : "n/a",
    cpuCell(r.getVariables10),
    cpuCell(r.setVariables10),
    budgetCell(r),
    mark(r.goals[0].ok),
    mark(r.goals[1].ok),
  ];
}

const BLOCK_HEAD = ["config", "target", "block", "ROM bytes", "code KB"];

function blockCells(r: Row): string[][] {
  return r.perBlock.map((b) => [r.config, r.target, b.block, b.romBytes === undefined ? b.error ?? "n/a" : String(b.romBytes), b.codeKb === undefined ? "n/a" : kb(b.codeKb)]);
}

/** Plain text table, columns padded. */
export function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]].length)));
  const line = (r: string[]) => r.map((c, i) => c + " ".repeat(w[i] - [...c].length)).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

export function mdTable(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

function notes(rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    for (const [what, c] of [["GetVariables", r.getVariables10], ["SetVariables", r.setVariables10]] as const) {
      if (c.instructions === undefined || c.failed) out.push(`${r.config} ${r.target} ${what}: ${c.note}`);
    }
  }
  return out;
}

export function renderText(rows: Row[], ports: PortRow[] = []): string {
  const parts = [
    "Footprint per config and Lua target (RAM in KB above an empty VM; dyn = tot − code)",
    textTable(HEAD, rows.map(cells)),
    "",
    "Per-block cost (build with − build without the block)",
    textTable(BLOCK_HEAD, rows.flatMap(blockCells)),
  ];
  const cpuStatus = rows.map((r) => `${r.config} ${r.target}: GetVariables ${r.getVariables10.note}; SetVariables ${r.setVariables10.note}`);
  parts.push("", "Variable results", ...cpuStatus);
  const sc = rows.filter((r) => r.smartCharging !== undefined);
  if (sc.length > 0) parts.push("", "Smart charging (info)", textTable(SC_HEAD, sc.map(scCells)));
  if (ports.length > 0) parts.push("", PORT_LEGEND, textTable(PORT_HEAD, ports.map(portCells)));
  return parts.join("\n");
}

const SC_HEAD = ["config", "target", "installed", "live KB tot / dyn", "profiles KB", "composite peak KB tot / dyn", "composite instr", "periods"];
const scCells = (r: Row) => {
  const x = r.smartCharging as ScRun;
  return [r.config, r.target, x.note, `${kb(x.liveKb)} / ${kb(x.liveKb - r.codeKb)}`, kb(x.addedKb), `${kb(x.peakKb)} / ${kb(x.peakKb - r.codeKb)}`, String(x.instructions), String(x.periods)];
};

export function renderMarkdown(rows: Row[], ports: PortRow[] = []): string {
  const gv = rows[0]?.getVariables10.note ?? "";
  const sv = rows[0]?.setVariables10.note ?? "";
  return [
    "<!-- Generated by `npm run bench:footprint` (bench/footprint.ts): paste into README.md. -->",
    "",
    "| | |",
    "|---|---|",
    "| ROM | stripped bytecode of the board-neutral image `ocpp.luac` (`luac -s` equivalent): what is flashed, without any HAL |",
    "| sim HAL ROM | stripped bytecode of the simulator's HAL `hal-sim.luac`, built apart from the image (a board brings its own) |",
    "| code | (a) RAM after loading the stripped image and the sim HAL (a board's HAL is resident too), before `start`, above an empty VM (harness only), full GC; (HAL): the sim HAL's share; res: the image's share a board with the code in flash (NodeMCU LFS) still holds in RAM, the closures, upvalues and tables its module bodies made (bench/resident.ts): on such a board the RAM needed is res plus the dyn figures |",
    "| idle | (b) after BootNotification Accepted and the first StatusNotifications answered, full GC |",
    "| report peak | (c) GetBaseReport FullInventory, every NotifyReport part answered: the reachable heap before every VM instruction of the station's events (a full GC whenever the heap, garbage included, rises above the highest reachable heap so far), max; budgeted. Every target collects when an allocation fails (Lua 5.3's emergency GC, NodeMCU's EGC on 5.1), so this is the RAM a board needs and the least it can run in (C functions' transient buffers aside) |",
    "| per step | the same exchange, a full GC before each step and the GC stopped during it: the live state plus all one step allocates (info: the garbage a step makes) |",
    "| GC off | the same exchange with the GC stopped from the request to the last part: the garbage of every part adds up (info) |",
    "| GC running | the same exchange with the GC running, tuned for RAM (`setpause` 100, `setstepmul` 1000), heap sampled before every VM instruction: what a RAM-tuned device would see, garbage not yet swept included (info) |",
    "| session peak | (d) a charging session on every EVSE: plug, authorize, 120 s of charging with periodic meter values every 10 s (4 measurands per phase), unplug; every CALL answered; measured as (c) report peak, budgeted. In brackets (info, dyn): per event, a second session as (c) per step (a full GC before each event the board hands the image, the GC stopped during it); GC on, a third session with the GC running (pause 100, stepmul 1000), the heap sampled every instruction. The simulated flash the sim HAL holds in the heap (the journal's pages) is taken off every figure |",
    "| TE Updated instr | VM instructions of the tick that built and sent one periodic TransactionEvent Updated (Energy, Power, Current and Voltage per phase) |",
    "| journal bytes / session | bytes that session appended to the flash journal (both EVSEs) |",
    "| tot / dyn | KB above the empty VM / the same minus code |",
    "| instr | Lua VM instructions (count hook) to handle the CALL frame: decode, validate, handle, encode; (2 req): the station's ItemsPerMessage is below 10, so the 10 items took 2 requests |",
    "",
    `Budgets (fail the bench): \`${BUDGETS.romConfig}\` on ${BUDGETS.romTarget} ROM ≤ ${BUDGETS.romBytes / 1024} KB; every config and target: dynamic peak ≤ ${BUDGETS.peakDynamicKb} KB, idle dynamic ≤ ${BUDGETS.idleDynamicKb} KB. Goals (info): ROM ≤ ${GOALS.romBytes / 1024} KB, dynamic peak ≤ ${GOALS.peakDynamicKb} KB. Every VM starts with 16384 strings pinned (in the baseline), so the Lua string table's power-of-two resizes never land in one figure or another.`,
    "",
    mdTable(HEAD, rows.map(cells)),
    "",
    "Per functional block (image built with − image built without it, the HAL left out of both; `provisioning` is in every build):",
    "",
    mdTable(BLOCK_HEAD, rows.flatMap(blockCells)),
    "",
    ...(rows.some((r) => r.smartCharging !== undefined)
      ? [`Smart charging (info; configs with the block): ${SC_PROFILES} TxDefaultProfiles of ${SC_PERIODS} periods installed (Entries and PeriodsPerSchedule at their maximum), the heap then (full GC) and what the profiles added to it; one GetCompositeSchedule of EVSE 1 over a day: its reachable peak (as (c)) and its VM instructions (decode, validate, compute, encode).`, "", mdTable(SC_HEAD, rows.filter((r) => r.smartCharging !== undefined).map(scCells)), ""]
      : []),
    ...(ports.length > 0 ? [PORT_LEGEND, "", mdTable(PORT_HEAD, ports.map(portCells)), ""] : []),
    `GetVariables reads ${GET_VARIABLES_10.map(([c, v, i]) => `${c}/${v}${i ? `[${i}]` : ""}`).join(", ")}${gv ? ` (${gv} on ${rows[0].config})` : ""}.`,
    "",
    `SetVariables writes ${SET_VARIABLES_10.map(([c, v, i, x]) => `${c}/${v}${i ? `[${i}]` : ""}=${x}`).join(", ")}${sv ? ` (${sv} on ${rows[0].config})` : ""}.`,
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------

export interface BenchResult {
  rows: Row[];
  ports: PortRow[];
  failures: string[];
}

export async function runBench(out = DEFAULT_OUT, log: (s: string) => void = () => undefined): Promise<BenchResult> {
  const baseline: Record<Target, number> = { "lua5.1": emptyVmKb("lua5.1"), "lua5.3": emptyVmKb("lua5.3") };
  const rows: Row[] = [];
  for (const file of configFiles()) {
    for (const t of TARGETS) {
      const t0 = Date.now();
      rows.push(await measureConfig(file, t, baseline[t], out));
      log(`measured ${path.basename(file, ".json")} ${t} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const failures: string[] = [];
  for (const r of rows) {
    for (const b of r.budgets) if (!b.ok) failures.push(`${r.config} ${r.target}: budget ${b.name} broken (${b.name.startsWith("ROM") ? `${b.value} bytes` : `${kb(b.value)} KB`})`);
    for (const c of [r.getVariables10, r.setVariables10]) if (c.failed) failures.push(`${r.config} ${r.target}: the bench's request was refused: ${c.note}`);
    for (const b of r.perBlock) if (b.error !== undefined) failures.push(`${r.config} ${r.target}: block ${b.block} ${b.error}`);
  }
  const ports = await measurePorts(log);
  failures.push(...portFailures(ports));
  return { rows, ports, failures };
}

/** Replaces the README section between <!-- footprint:start --> and <!-- footprint:end --> with the table. */
function updateReadme(md: string): void {
  const file = path.join(ROOT, "README.md");
  const text = fs.readFileSync(file, "utf8");
  const start = "<!-- footprint:start -->";
  const end = "<!-- footprint:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error("README.md has no footprint markers");
  const body = md.replace(/^<!--.*-->\n+/, "");
  fs.writeFileSync(file, `${text.slice(0, a + start.length)}\n${body.trimEnd()}\n${text.slice(b)}`);
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const { rows, ports, failures } = await runBench(DEFAULT_OUT, (s) => console.error(s));
  const dir = path.join(ROOT, "bench", "out");
  fs.mkdirSync(dir, { recursive: true });
  const json = {
    generated: new Date().toISOString(),
    budgets: BUDGETS,
    goals: GOALS,
    getVariables: GET_VARIABLES_10,
    setVariables: SET_VARIABLES_10,
    rows,
    ports,
    failures,
  };
  fs.writeFileSync(path.join(dir, "footprint.json"), JSON.stringify(json, null, 2) + "\n");
  const md = renderMarkdown(rows, ports);
  fs.writeFileSync(path.join(dir, "footprint.md"), md);
  if (process.argv.includes("--readme")) updateReadme(md);
  console.log(renderText(rows, ports));
  console.log("");
  for (const n of notes(rows)) console.log(`note: ${n}`);
  console.log(`wrote ${path.relative(process.cwd(), path.join(dir, "footprint.json"))} and footprint.md (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (failures.length > 0) {
    for (const f of failures) console.log(`FAIL ${f}`);
    return 1;
  }
  console.log("all budgets met");
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}
