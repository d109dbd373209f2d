// Runs the compiled firmware image in the target Lua VMs (wasm Lua 5.1/5.3, fengari 5.3 with 32-bit integers, and
// fengari 5.3 with 32-bit integers and single floats) behind one byte-string API.
//
// Byte strings: on the JS side every payload is a "binary string" (char codes 0..255, one char per byte,
// like Buffer 'latin1'); NULs and invalid UTF-8 are carried unchanged. How each engine moves them is the
// backend's business (wasm-backend.ts, fengari-backend.ts); the Lua half is lua-harness.ts.
import type { LuaBackend } from "./backend";
import { createFengariBackend } from "./fengari-backend";
import { fengariF32 } from "./fengari-f32";
import { stripLua51 } from "./lua51-strip";
import { createWasmBackend } from "./wasm-backend";

export type LuaRuntimeName = "lua5.1" | "lua5.3" | "lua5.3-int32" | "lua5.3-f32";

export interface LuaVm {
  readonly name: LuaRuntimeName;
  /**
   * Runs Lua source (or binary bytecode given as a binary string) as a chunk; the chunk's first return
   * value is kept as the image. With strip, source is first turned into stripped bytecode by this VM
   * (not on Lua 5.1). Throws with the Lua error message on failure.
   */
  loadImage(chunk: string, chunkName: string, strip?: boolean): void;
  /** Runs the board's chunk (hal/sim/board.ts bundle) and attaches simBoard(image): event() then goes to the board. */
  loadBoard(chunk: string, chunkName: string, strip?: boolean): void;
  /** Calls the board's event(line) (image.event without a board) with a byte string and returns the byte string it returns ("" if it returns nil). Throws on a Lua error (message included). */
  event(line: string): string;
  /** collectgarbage("count") in KB, less the simulated flash the sim HAL holds in the heap (hal/sim/board.ts simFlashBytes), after a full collection when full=true. On the fengari runtimes (lua5.3-int32, lua5.3-f32) this is the process' JS heap (fengari has no GC of its own). */
  heapKb(full: boolean): number;
  /** Runs a Lua snippet in the harness (not the image) and returns its first result via tostring; for diagnostics/benchmarks. */
  eval(src: string): string;
  /** Handles one event under a count hook (count = 1, harness overhead subtracted: exact Lua VM instructions). */
  eventCounted(line: string): { result: string; instructions: number };
  /** collectgarbage(cmd), e.g. stop/restart around a section to sample its peak. No-op for stop/restart on the fengari runtimes. */
  gc(cmd: "stop" | "restart" | "collect"): void;
  close(): void;
}

/** A Lua error raised by the image or a snippet; `message` is the Lua error message (a byte string). */
export class LuaError extends Error {
  constructor(
    readonly runtime: LuaRuntimeName,
    message: string,
  ) {
    super(message);
    this.name = "LuaError";
  }
}

function createBackend(name: LuaRuntimeName): LuaBackend {
  switch (name) {
    case "lua5.1":
      return createWasmBackend("5.1");
    case "lua5.3":
      return createWasmBackend("5.3");
    case "lua5.3-int32":
      return createFengariBackend();
    case "lua5.3-f32":
      return createFengariBackend(fengariF32(), name);
  }
}

/**
 * Unpacks a harness reply: "1" + result, "0" + Lua error message, or "2" + count[":" + rest] when the
 * event returned a table of pieces, which are then fetched one by one and joined here in JS.
 */
function call(name: LuaRuntimeName, backend: LuaBackend, fn: string, payload: string, ...extras: string[]): string {
  const reply = backend.call(fn, payload, ...extras);
  if (reply[0] === "1") return reply.slice(1);
  if (reply[0] === "0") throw new LuaError(name, reply.slice(1));
  if (reply[0] === "2") {
    const colon = reply.indexOf(":");
    const n = Number(colon < 0 ? reply.slice(1) : reply.slice(1, colon));
    let out = "";
    for (let i = 1; i <= n; i++) out += backend.call("__sim_piece", String(i));
    return colon < 0 ? out : `${reply.slice(colon + 1)}:${out}`;
  }
  throw new Error(`${name}: malformed harness reply`);
}

/** Lua source every new VM runs first (the footprint bench's string-table pinning), or undefined. */
const prelude: { src: string | undefined } = { src: undefined };

/** Sets what every VM created from now on runs before anything else (undefined: nothing). */
export function setVmPrelude(src: string | undefined): void {
  prelude.src = src;
}

export function createLuaVm(name: LuaRuntimeName): LuaVm {
  const backend = createBackend(name);
  const run = (fn: string, payload: string, ...extras: string[]) => call(name, backend, fn, payload, ...extras);
  if (prelude.src !== undefined) run("__sim_eval", prelude.src);
  return {
    name,
    loadImage(chunk, chunkName, strip = false) {
      run("__sim_load", chunk, chunkName, strip ? "1" : "0");
    },
    loadBoard(chunk, chunkName, strip = false) {
      run("__sim_board", chunk, chunkName, strip ? "1" : "0");
    },
    event(line) {
      return run("__sim_event", line);
    },
    heapKb(full) {
      return Number(run("__sim_heap", full ? "1" : "0"));
    },
    eval(src) {
      return run("__sim_eval", src);
    },
    eventCounted(line) {
      const r = run("__sim_counted", line);
      const colon = r.indexOf(":");
      return { result: r.slice(colon + 1), instructions: Number(r.slice(0, colon)) };
    },
    gc(cmd) {
      run("__sim_gc", cmd);
    },
    close() {
      backend.close();
    },
  };
}

/**
 * Bytecode of `source` produced by the target's own VM, as a binary string. With strip: Lua 5.3 uses
 * string.dump(f, true); Lua 5.1 has no strip flag, so its dump is stripped in JS exactly like `luac -s`.
 */
export function compileBytecode(name: "lua5.1" | "lua5.3", source: string, chunkName: string, strip: boolean): string {
  const backend = createBackend(name);
  try {
    const bin = call(name, backend, "__sim_dump", source, chunkName, strip ? "1" : "0");
    return strip && name === "lua5.1" ? stripLua51(bin) : bin;
  } finally {
    backend.close();
  }
}

/** Stripped bytecode for the target produced by that target's own VM (see compileBytecode). */
export function compileStripped(name: "lua5.1" | "lua5.3", source: string, chunkName: string): string {
  return compileBytecode(name, source, chunkName, true);
}
