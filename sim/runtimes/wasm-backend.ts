// Backend for PUC Lua 5.1.5 / 5.3.6 compiled to wasm32 (lua-wasm-bindings): byte-safe calls over its UTF-8-only string API.
import * as lua51 from "lua-wasm-bindings/dist/lua.51.js";
import * as lua53 from "lua-wasm-bindings/dist/lua.53.js";
import type { LuaState } from "lua-wasm-bindings/dist/lua";
import { harnessSource } from "./lua-harness";
import { assertBytes, type LuaBackend } from "./backend";

// The emscripten glue installs process-wide uncaughtException/unhandledRejection handlers that turn
// any error of the host program into an abort and a 90 KB dump of minified glue: take them out again.
for (const ev of ["uncaughtException", "unhandledRejection"]) {
  const events = process as unknown as { listeners(e: string): ((...a: unknown[]) => void)[]; removeListener(e: string, l: (...a: unknown[]) => void): void };
  for (const l of events.listeners(ev)) {
    if (String(l).includes("ExitStatus") || l.name === "abort") events.removeListener(ev, l);
  }
}

// emscripten's ccall stack-allocates 4 * length + 1 bytes for every "string" argument on its 5 MiB C stack
// (measured: a 1.5M-char push overflows it). Payloads are pushed in pieces well below that.
const PIECE = 65536;

const NEEDS_WIRE = /[\x00\x80-\xff]/;

/** Byte string -> wire string: bytes 0x00 and 0x80..0xFF become U+0100+byte (UTF-8: C4..C7 80..BF). */
export function encodeWire(s: string): string {
  assertBytes(s);
  if (!NEEDS_WIRE.test(s)) return s;
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c === 0 || c >= 0x80 ? c + 0x100 : c;
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString("utf16le");
}

/** Wire string (as decoded from UTF-8 by emscripten) -> byte string. */
export function decodeWire(s: string): string {
  if (!/[^\x01-\x7f]/.test(s)) return s;
  const out = Buffer.allocUnsafe(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x100 && c <= 0x1ff) out[i] = c - 0x100;
    else if (c >= 0x01 && c <= 0x7f) out[i] = c;
    // Only reachable if Lua produced a string that bypassed enc(): a harness bug, never data.
    else throw new Error(`wire decode: unexpected char U+${c.toString(16)} at ${i}`);
  }
  return out.toString("latin1");
}

export function createWasmBackend(version: "5.1" | "5.3"): LuaBackend {
  const { lua, lauxlib, lualib } = version === "5.1" ? lua51 : lua53;
  const L: LuaState = lauxlib.luaL_newstate();
  if (!L) throw new Error(`lua${version}: luaL_newstate failed`);
  lualib.luaL_openlibs(L);
  if (lauxlib.luaL_dostring(L, harnessSource(true)) !== 0) {
    const msg = lua.lua_tostring(L, -1);
    lua.lua_close(L);
    throw new Error(`lua${version}: harness failed to load: ${msg}`);
  }
  let closed = false;

  // A failed pcall outside the harness' own pcall (e.g. out of memory): clear the stack and any
  // half-delivered payload pieces so the next call starts clean.
  const fail = (status: number): never => {
    const msg = lua.lua_tostring(L, -1);
    lua.lua_settop(L, 0);
    lua.lua_getglobal(L, "__sim_drop");
    lua.lua_pcall(L, 0, 0, 0);
    lua.lua_settop(L, 0);
    throw new Error(`lua${version}: harness call failed (status ${status}): ${decodeWire(msg)}`);
  };

  return {
    call(fn: string, payload: string, ...extras: string[]): string {
      if (closed) throw new Error(`lua${version}: VM is closed`);
      const wire = encodeWire(payload);
      const wireExtras = extras.map(encodeWire);
      let i = 0;
      for (; wire.length - i > PIECE; i += PIECE) {
        lua.lua_getglobal(L, "__sim_put");
        // Slicing never splits a byte: each wire char is one JS UTF-16 unit (U+0001..U+01FF, no surrogates).
        lua.lua_pushstring(L, wire.slice(i, i + PIECE));
        const st = lua.lua_pcall(L, 1, 0, 0);
        if (st !== 0) fail(st);
      }
      lua.lua_getglobal(L, fn);
      lua.lua_pushstring(L, wire.slice(i));
      for (const e of wireExtras) lua.lua_pushstring(L, e);
      const st = lua.lua_pcall(L, 1 + wireExtras.length, 1, 0);
      if (st !== 0) fail(st);
      const out = lua.lua_tostring(L, -1);
      lua.lua_settop(L, 0); // drop the reply so the GC can reclaim it
      return decodeWire(out);
    },
    close(): void {
      if (closed) return;
      closed = true;
      lua.lua_close(L);
    },
  };
}
