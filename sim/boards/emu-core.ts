// Lua side of every board emulation (sim/boards/README.md): the virtual clock and its timers, the
// emulated flash files, the effect lines to Node, the board config, the event loop. In the subset:
// it is compiled with build/compile.ts transpileEntry like a port and runs in the port's own VM, so
// the port calls its firmware's modules as Lua globals, unchanged.
//
// Each Node line is "<virtual ms>\t<kind>\t<fields>". Before handling it the timers due by then fire
// in order, each at its own due time (the clock reads that time inside the callback). The reply is
// the effect lines the line produced, each ending in "\n", the last one "due\t<ms>" (the earliest
// timer still armed) or "due\t-". A callback that raises is what NodeMCU does by default with an
// uncaught error: printed, then the chip restarts ("print" and "restart" effects).
//
// Common inputs: time (timers only), clock <µs at boot> (before boot: where the µs counter starts),
// file <name>\t<bytes> (before boot: the flash as Node kept it), boot (the firmware runs its start
// file, the generated init.lua / main.lua, which runs the port),
// rtc <epoch> (before boot: a clock kept over a soft restart). A board's own kinds go to its handler.
// Common effects: print <text>, restart, fput <name>\t<bytes> (the whole file), fapp <name>\t<bytes>,
// fdel <name>, fren <old>\t<new>, due.
// Files: whole Lua strings in `files`, or, for a board made with newEmu(true), pages (filePut,
// fileAppend, fileRead) so the emulation's own copies do not show in the port's heap figures.

import type { Firmware } from "../../firmware/entry";
import type { BoardConfig } from "../../hal/board-config";
import { escapeField, unescapeField } from "../../firmware/fields";
import { idiv } from "../../firmware/arith";

export type BoardRun = (this: void, fw: Firmware, cfg: BoardConfig) => void;

/** What a board's emulation chunk's emulate(image) returns (sim/boards/README.md). */
export interface Emulation {
  /** The firmware's globals, by Lua name: the harness installs them before the port loads. */
  globals: { [name: string]: unknown };
  /** Takes the port's boardRun (the chunk the harness loaded after) and returns the event function of the emulated board. */
  attach: (this: void, boardRun: BoardRun) => (this: void, line: string) => string[];
  flashBytes: (this: void) => number;
}

/** A chunk compiler of the VM: Lua 5.1's loadstring, 5.3's load (the emulation is built with both allowed, sim/boards/build.ts). */
type Compile = (this: void, text: string, name: string) => LuaMultiReturn<[((this: void) => void) | undefined, string | undefined]>;
declare const loadstring: Compile | undefined;
declare const load: Compile;

export interface EmuTimer {
  /** Virtual ms it fires at; a repeating timer is then due again an interval later. */
  due: number;
  interval: number;
  repeat: boolean;
  running: boolean;
  fn: ((this: void) => void) | undefined;
  /** Arming order: timers due at the same ms fire in it. */
  seq: number;
}

export interface Emu {
  now: number;
  /** µs of the board's counter at boot (tests start it near a wrap). */
  usBase: number;
  out: string[];
  timers: EmuTimer[];
  seq: number;
  files: { [name: string]: string };
  /**
   * A board that keeps its files as pages (newEmu(true)): each a list of pages of PAGE bytes, all
   * full but the last, so an append copies at most a page and a read joins only the pages it covers
   * (a whole-string file has its old and new copy both alive during every append). `files` is then
   * unused; pagedBytes counts the pages' bytes.
   */
  paged: { [name: string]: string[] } | undefined;
  pagedBytes: number;
  /**
   * Pages of paged files removed or rewritten, until the GC takes them (weak values, the last few
   * kept): still counted as flash, so the heap less the flash never shows them as the port's.
   */
  erased: { [k: number]: { pages: string[]; bytes: number } | undefined };
  erasedCount: number;
  /** A restart was asked for: nothing more runs in this VM. */
  dead: boolean;
  /** Epoch seconds at ms `rtcAt`, or -1: never set. */
  rtc: number;
  rtcAt: number;
  /** The board's handler of its own input kinds. */
  handle: (this: void, kind: string, f: string[]) => void;
}

export function emit(e: Emu, kind: string, fields: string[]): void {
  const o = e.out;
  o[o.length] = kind;
  for (let i = 0; i < fields.length; i++) {
    o[o.length] = "\t";
    escapeField(fields[i], o);
  }
  o[o.length] = "\n";
}

/** Splits at tabs (at most max fields; the last keeps any further tabs), unescaped. */
export function splitFields(line: string, max: number): string[] {
  const out: string[] = [];
  let start = 1;
  while (out.length < max - 1) {
    const [t] = string.find(line, "\t", start, true);
    if (t === undefined) break;
    out[out.length] = unescapeField(string.sub(line, start, t - 1));
    start = t + 1;
  }
  out[out.length] = unescapeField(string.sub(line, start));
  return out;
}

export function int(s: string | undefined): number {
  const n = s !== undefined ? tonumber(s) : undefined;
  return n !== undefined ? n : 0;
}

export function newEmu(paged?: boolean): Emu {
  return {
    now: 0, usBase: 0, out: [], timers: [], seq: 0, files: {}, paged: paged === true ? {} : undefined, pagedBytes: 0,
    erased: setmetatable({}, { __mode: "v" }), erasedCount: 0,
    dead: false, rtc: -1, rtcAt: 0,
    handle: () => undefined,
  };
}

/** Page size of a paged board's files (as hal/sim/board.ts's flash): the most one append copies. */
export const PAGE = 512;

function pagesOf(e: Emu): { [name: string]: string[] } {
  const p = e.paged;
  if (p === undefined) return error("this board's files are not paged");
  return p;
}

/** A paged file's pages, or undefined. */
export function filePages(e: Emu, name: string): string[] | undefined {
  return pagesOf(e)[name];
}

export function fileSize(pages: string[]): number {
  return pages.length === 0 ? 0 : (pages.length - 1) * PAGE + pages[pages.length - 1].length;
}

/** Replaces (or removes, text undefined) a paged file. */
export function filePut(e: Emu, name: string, text: string | undefined): void {
  const all = pagesOf(e);
  const old = all[name];
  if (old !== undefined) {
    const n = fileSize(old);
    // Counted as erased before it stops counting as a file (as hal/sim/board.ts's put).
    e.erasedCount = e.erasedCount + 1;
    e.erased[e.erasedCount] = { pages: old, bytes: n };
    e.erased[e.erasedCount - 4] = undefined;
    e.pagedBytes = e.pagedBytes - n;
  }
  if (text === undefined) {
    rawset(all, name, undefined);
    return;
  }
  const pages: string[] = [];
  for (let at = 1; at <= text.length; at = at + PAGE) pages[pages.length] = string.sub(text, at, at + PAGE - 1);
  all[name] = pages;
  e.pagedBytes = e.pagedBytes + text.length;
}

/** Appends s to a paged file (made when missing): the last page filled up, then new ones. */
export function fileAppend(e: Emu, name: string, s: string): void {
  const all = pagesOf(e);
  let f = all[name];
  if (f === undefined) {
    f = [];
    all[name] = f;
  }
  let at = 1;
  const n = f.length;
  if (n > 0 && f[n - 1].length < PAGE) {
    const take = PAGE - f[n - 1].length;
    f[n - 1] = f[n - 1] + string.sub(s, 1, take);
    at = take + 1;
  }
  for (; at <= s.length; at = at + PAGE) f[f.length] = string.sub(s, at, at + PAGE - 1);
  e.pagedBytes = e.pagedBytes + s.length;
}

/** Bytes first..last (1-based, inclusive, clipped to the file) of a paged file, joining only the pages they cover. */
export function fileRead(f: string[], first: number, last: number): string {
  const size = fileSize(f);
  const to = last > size ? size : last;
  if (first > to) return "";
  const p0 = idiv(first - 1, PAGE);
  const p1 = idiv(to - 1, PAGE);
  if (p0 === p1) return string.sub(f[p0], first - p0 * PAGE, to - p0 * PAGE);
  const out: string[] = [string.sub(f[p0], first - p0 * PAGE)];
  for (let i = p0 + 1; i < p1; i++) out[out.length] = f[i];
  out[out.length] = string.sub(f[p1], 1, to - p1 * PAGE);
  return table.concat(out);
}

/** A file's whole text (paged or not), or undefined. */
export function fileText(e: Emu, name: string): string | undefined {
  if (e.paged === undefined) return e.files[name];
  const f = e.paged[name];
  return f === undefined ? undefined : table.concat(f);
}

/** Arms t to fire `ms` from now. */
export function armTimer(e: Emu, t: EmuTimer, ms: number): void {
  e.seq = e.seq + 1;
  t.seq = e.seq;
  t.due = e.now + ms;
  t.running = true;
  let found = false;
  for (let i = 0; i < e.timers.length; i++) if (e.timers[i] === t) found = true;
  if (!found) e.timers[e.timers.length] = t;
}

export function disarmTimer(e: Emu, t: EmuTimer): void {
  t.running = false;
  for (let i = 0; i < e.timers.length; i++) {
    if (e.timers[i] === t) {
      table.remove(e.timers, i + 1);
      return;
    }
  }
}

/** The armed timer that fires first (by due time, then arming order), or undefined. */
function nextTimer(e: Emu): EmuTimer | undefined {
  let best: EmuTimer | undefined;
  for (let i = 0; i < e.timers.length; i++) {
    const t = e.timers[i];
    if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
  }
  return best;
}

/** What the firmware does with an error no one caught: print it and restart. */
function crash(e: Emu, err: unknown): void {
  emit(e, "print", ["PANIC: " + tostring(err as string)]);
  emit(e, "restart", []);
  e.dead = true;
}

/** Runs a firmware callback as the firmware's task loop would. */
export function callback(e: Emu, fn: (this: void) => void): void {
  if (e.dead) return;
  const [ok, err] = pcall(fn);
  if (!ok) crash(e, err);
}

function runTimers(e: Emu, until: number): void {
  for (;;) {
    const t = nextTimer(e);
    if (t === undefined || t.due > until || e.dead) return;
    e.now = t.due;
    if (t.repeat) armTimer(e, t, t.interval);
    else disarmTimer(e, t);
    if (t.fn !== undefined) callback(e, t.fn);
  }
}

/** Compiles Lua text as the firmware's loaders do (5.1 loadstring, 5.3 load): the chunk, or undefined and the error. */
export function compileText(text: string, name: string): LuaMultiReturn<[((this: void) => void) | undefined, string | undefined]> {
  const compile = loadstring !== undefined ? loadstring : load;
  return compile(text, name);
}

/**
 * Runs the start file the firmware runs at boot (NodeMCU: init.lua from SPIFFS; LuatOS: main.lua from
 * its script area), the build's generated one (build/start-file.ts) as the package holds it: compiled
 * from the emulated flash and run as a firmware callback. Without it the firmware prints that it cannot
 * open it, as NodeMCU's lua.c does, and nothing more runs.
 */
export function runStartFile(e: Emu, name: string): void {
  const text = fileText(e, name);
  if (text === undefined) {
    emit(e, "print", ["lua: cannot open " + name]);
    return;
  }
  const [chunk, err] = compileText(text, "@" + name);
  if (chunk === undefined) {
    crash(e, err);
    return;
  }
  callback(e, chunk);
}

/**
 * The port's event function: files and boot first, then the board's own inputs. At boot the firmware
 * runs its start file (`boot`: the board's, usually runStartFile), which finds the image and the port,
 * applies the provisioning and calls the port's boardRun with the OEM's wiring.
 */
export function emuEvent(e: Emu, boot: (this: void) => void): (this: void, line: string) => string[] {
  return (line: string) => {
    const f = splitFields(line, 64);
    const at = int(f[0]);
    const kind = f[1];
    const rest: string[] = [];
    for (let i = 2; i < f.length; i++) rest[rest.length] = f[i];
    if (!e.dead) runTimers(e, at);
    e.now = at;
    if (e.dead) {
      // Nothing runs in a chip that restarts.
    } else if (kind === "file") {
      const text = rest[1] !== undefined ? rest[1] : "";
      if (e.paged !== undefined) filePut(e, rest[0], text);
      else e.files[rest[0]] = text;
    } else if (kind === "clock") {
      e.usBase = int(rest[0]);
    } else if (kind === "rtc") {
      e.rtc = int(rest[0]);
      e.rtcAt = at;
    } else if (kind === "boot") {
      callback(e, boot);
    } else if (kind !== "time") {
      callback(e, () => e.handle(kind, rest));
    }
    const t = e.dead ? undefined : nextTimer(e);
    emit(e, "due", [t !== undefined ? string.format("%d", t.due) : "-"]);
    const out = e.out;
    e.out = [];
    return out;
  };
}

/** Bytes of all files (with paged files' erased pages not yet collected): flash, not RAM (the harness takes them off the heap figures). */
export function emuFlashBytes(e: Emu): number {
  let n = e.pagedBytes;
  for (const [, r] of pairs(e.erased)) n = n + (r as { bytes: number }).bytes;
  for (const [, v] of pairs(e.files)) n = n + (v as string).length;
  return n;
}
