// What a chunk's run leaves in RAM when its code is in flash (NodeMCU LFS): the closures, upvalues
// and tables its module bodies make. Prototypes and constants stay in flash on such a board, but every
// function value is a closure in RAM (about 20 bytes and 4 per upvalue), every captured module local
// an upvalue object (32 bytes here, 24 with NodeMCU's packed values) and every table its nodes: on the
// core image some 420 closures, 500 upvalues and 75 tables (after build/hoist-imports.ts and
// build/local-exports.ts), part of the RAM a board needs on
// top of the dynamic figures, which are measured above the loaded and run chunks.

import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";

/**
 * 16384 strings kept alive: the VM's string table (a power-of-two array of buckets, 4 bytes each,
 * doubled when it holds as many strings as buckets) gets 32768 buckets at once and keeps them, so a
 * doubling (+16 KB at 4096 strings, +32 KB at 8192) never falls into one figure and not another. On a
 * board the image's constant strings live in flash (NodeMCU LFS: a read-only string table of its own).
 */
export const PIN_STRINGS = String.raw`__bench_pin = {} for i = 1, 16384 do __bench_pin[i] = "\0pin" .. i end return ""`;

/** The heap after full collections until it shrinks no more. */
export function stableKb(heap: (full: boolean) => number): number {
  let kb = heap(true);
  for (let i = 0; i < 8; i++) {
    const next = heap(true);
    if (next >= kb) break;
    kb = next;
  }
  return kb;
}

/** A Lua long-string-free literal of bytes: every byte as \ddd. */
function literal(bytes: string): string {
  let s = '"';
  for (let i = 0; i < bytes.length; i++) s += "\\" + String(bytes.charCodeAt(i)).padStart(3, "0");
  return s + '"';
}

/**
 * KB a chunk's run leaves in RAM beyond its prototypes and constants: loaded (functions made, not
 * run) vs loaded and run, each in a fresh VM, both kept reachable.
 */
export function residentKb(target: "lua5.1" | "lua5.3", chunk: string): number {
  const measure = (run: boolean) => {
    const vm: LuaVm = createLuaVm(target);
    try {
      // The string table's size fixed first, so a resize never lands in one of the two figures.
      vm.eval(PIN_STRINGS);
      vm.eval(`__bench_src = ${literal(chunk)} return ""`);
      vm.eval(`local load = loadstring or load; __bench_f = load(__bench_src, "=chunk"); __bench_src = nil; ${run ? "__bench_m = __bench_f()" : ""} return ""`);
      return stableKb((full) => vm.heapKb(full));
    } finally {
      vm.close();
    }
  };
  return measure(true) - measure(false);
}
