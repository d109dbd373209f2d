// What the NodeMCU emulations (ESP8266 `dev`, ESP32 `dev-esp32`) share, in Lua like the rest of the
// emulation: the Lua Flash Store the generated init.lua loads the image and the port from, the boot
// (the firmware runs init.lua from SPIFFS), and the tmr module, which differs between the two only in
// its mode numbers and in how start() treats a running timer.
//
// LFS (https://nodemcu.readthedocs.io/en/dev/modules/node/#nodelfs): node.LFS.get(name) returns the
// module's main function "in the same way the load() and the other Lua load functions do", nil for a
// name LFS does not hold; node.LFS.list() the sorted module names (nil without an image); node.flashindex
// is its deprecated synonym. Here LFS holds the image (module "ocpp") and the port ("hal-<board>"), as
// the LFS image FLASHING.md has the OEM build from ocpp.lc and hal-<board>.lc; their chunks were run
// once by the harness when it loaded them, so each function hands back what that run returned (a board
// running the chunk again would build the same table anew). node.LFS.reload is not emulated.
// Also shared: the encoder module (base64, hex) and node.task.post.

import type { Firmware } from "../../firmware/entry";
import type { EncoderModule, NodeLfs, TmrTimer } from "../../hal/nodemcu-esp8266/nodemcu";
import { base64Decode, base64Encode, hexDecode, hexEncode } from "./emu-codec";
import { armTimer, BoardRun, disarmTimer, emit, Emu, emuEvent, EmuTimer, filePages, filePut, fileSize, runStartFile } from "./emu-core";

/** The modules in the emulated LFS, by name: each its main function. */
export interface Lfs {
  modules: { [name: string]: ((this: void) => unknown) | undefined };
  /** Unix time of the image's build (node.LFS.time). */
  time: number;
}

/** An LFS holding the image as the module "ocpp". */
export function newLfs(fw: Firmware): Lfs {
  return { modules: { ocpp: () => fw }, time: 1700000000 };
}

/** The port's chunk goes into LFS as "hal-<board>" (build/start-file.ts portModule), its module as the chunk returned it. */
export function lfsAddPort(lfs: Lfs, board: string, boardRun: BoardRun): void {
  const port = { boardRun };
  lfs.modules["hal-" + board] = () => port;
}

function lfsGet(lfs: Lfs, name: string): ((this: void, ...args: unknown[]) => unknown) | undefined {
  return type(name) === "string" ? lfs.modules[name] : undefined;
}

/** node.LFS: get, list (sorted), time, config; reload refuses (no image files here). */
export function lfsModule(lfs: Lfs): NodeLfs {
  return {
    get: (name) => lfsGet(lfs, name),
    reload: () => "node.LFS.reload is not emulated",
    list: () => {
      const names: string[] = [];
      for (const [k] of pairs(lfs.modules)) {
        const name = k as string;
        let at = names.length;
        while (at > 0 && name < names[at - 1]) at = at - 1;
        table.insert(names, at + 1, name);
      }
      return names;
    },
    time: lfs.time,
    config: { lfs_mapped: 1075838976, lfs_base: 1048576, lfs_size: 262144, lfs_used: 131072 },
  };
}

/** node.flashindex(name): the deprecated synonym of node.LFS.get (not in the ports' .d.ts: the port never calls it). */
export type FlashIndex = (this: void, name: string) => ((this: void, ...args: unknown[]) => unknown) | undefined;

export function flashindex(lfs: Lfs): FlashIndex {
  return (name) => lfsGet(lfs, name);
}

/** The start file NodeMCU runs at boot from SPIFFS (node.startupcommand's default "@init.lua"). */
export const INIT_FILE = "init.lua";

/** The emulation's attach: the port goes into LFS as "hal-<board>"; at boot the firmware runs init.lua. */
export function attachPort(e: Emu, lfs: Lfs, board: string): (this: void, boardRun: BoardRun) => (this: void, line: string) => string[] {
  return (boardRun) => {
    lfsAddPort(lfs, board, boardRun);
    return emuEvent(e, () => runStartFile(e, INIT_FILE));
  };
}

/** NodeMCU's print: its arguments tostring'ed, tab-separated, one line on the console ("print" effect). */
export function printFn(e: Emu): (this: void, ...args: (string | number | boolean | undefined)[]) => void {
  return (...args) => {
    const parts: string[] = [];
    for (let i = 0; i < args.length; i++) parts[parts.length] = tostring(args[i] as string);
    emit(e, "print", [table.concat(parts, "\t")]);
  };
}

// ---- file (SPIFFS) ----

/** SPIFFS's longest name (SPIFFS_OBJ_NAME_LEN 32, less the NUL). */
export const MAX_NAME = 31;

/** The file module's functions both firmwares have, over emu-core's paged files (newEmu(true)). */
export interface SpiffsFiles {
  exists(this: void, name: string): boolean;
  remove(this: void, name: string): void;
  /** false onto an existing name (SPIFFS_ERR_CONFLICTING_NAME), from a missing file or to a bad name. */
  rename(this: void, from: string, to: string): boolean;
  fsinfo(this: void): LuaMultiReturn<[number, number, number]>;
  list(this: void): LuaTable<string, number>;
  format(this: void): void;
}

function pagedFiles(e: Emu): { [name: string]: string[] } {
  return e.paged as { [name: string]: string[] };
}

/** SPIFFS of `total` bytes: the files' metadata functions; fsinfo counts the live files' bytes. */
export function spiffsFiles(e: Emu, total: number): SpiffsFiles {
  const remove = (name: string) => {
    if (filePages(e, name) === undefined) return;
    filePut(e, name, undefined);
    emit(e, "fdel", [name]);
  };
  return {
    exists: (name) => filePages(e, name) !== undefined,
    remove,
    rename: (from, to) => {
      const all = pagedFiles(e);
      const v = all[from];
      if (v === undefined || all[to] !== undefined || to.length === 0 || to.length > MAX_NAME) return false;
      rawset(all, from, undefined);
      all[to] = v;
      emit(e, "fren", [from, to]);
      return true;
    },
    fsinfo: () => {
      const used = e.pagedBytes;
      return $multi(total - used, used, total);
    },
    list: () => {
      const t = new LuaTable<string, number>();
      for (const [k, v] of pairs(pagedFiles(e))) t.set(k as string, fileSize(v as string[]));
      return t;
    },
    format: () => {
      const names: string[] = [];
      for (const [k] of pairs(pagedFiles(e))) names[names.length] = k as string;
      for (let i = 0; i < names.length; i++) remove(names[i]);
    },
  };
}

// ---- encoder ----

/** The encoder module: base64 and hex, raising on a bad character as encoder.c does. */
export function encoderModule(): EncoderModule {
  return {
    toBase64: (s) => base64Encode(s),
    fromBase64: (s) => {
      const r = base64Decode(s);
      return r !== undefined ? r : error("invalid base64 character");
    },
    toHex: (s) => hexEncode(s),
    fromHex: (s) => {
      const r = hexDecode(s);
      return r !== undefined ? r : error("invalid hex");
    },
  };
}

// ---- tmr ----

/** The tmr module's numbers and manners on one firmware. */
export interface TmrKind {
  single: number;
  semi: number;
  auto: number;
  /** dev-esp32 refuses an unknown mode and answers false to start() on a running timer (dev re-arms it). */
  strict: boolean;
  rangeError: string;
}

/** A timer of tmr.create(): register/start/alarm/stop/unregister/interval/state over emu-core's timers. */
export function tmrTimer(e: Emu, k: TmrKind): TmrTimer {
  const t: EmuTimer = { due: 0, interval: 0, repeat: false, running: false, fn: undefined, seq: 0 };
  let cb: ((this: void, t: TmrTimer) => void) | undefined;
  let mode = k.single;
  const obj: TmrTimer = {
    register: (ms, m, fn) => {
      if (ms < 1 || ms > 6870947) error(k.rangeError);
      if (k.strict && m !== k.single && m !== k.auto && m !== k.semi) error("Invalid mode");
      disarmTimer(e, t);
      t.interval = ms;
      t.repeat = m === k.auto;
      mode = m;
      cb = fn;
    },
    start: () => {
      if (cb === undefined) error("timer not registered");
      if (k.strict && t.running) return false;
      armTimer(e, t, t.interval);
      return true;
    },
    alarm: (ms, m, fn) => {
      obj.register(ms, m, fn);
      return obj.start();
    },
    stop: () => {
      const was = t.running;
      disarmTimer(e, t);
      return was;
    },
    unregister: () => {
      disarmTimer(e, t);
      cb = undefined;
    },
    interval: (ms) => {
      t.interval = ms;
      if (t.running) armTimer(e, t, ms);
    },
    state: () => {
      if (cb === undefined) return $multi(undefined);
      return $multi(t.running, mode);
    },
  };
  t.fn = () => {
    const fn = cb;
    // A single alarm unregisters itself before its callback runs.
    if (mode === k.single) cb = undefined;
    if (fn !== undefined) fn(obj);
  };
  return obj;
}

/** node.task.post(fn) / post(priority, fn): fn(priority) from the loop, after the current callback. */
export function taskPost(e: Emu): (this: void, a: unknown, b?: unknown) => void {
  return (a, b) => {
    const fn = (b !== undefined ? b : a) as (this: void, priority: number) => void;
    const t: EmuTimer = { due: 0, interval: 0, repeat: false, running: false, fn: () => fn(1), seq: 0 };
    armTimer(e, t, 0);
  };
}
