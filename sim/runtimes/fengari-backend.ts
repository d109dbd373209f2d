// Backend for fengari (Lua 5.3 in JS with 32-bit integers): raw byte strings, plus a collectgarbage it lacks.
// The same backend runs the stock fengari (lua5.3-int32) and its single-float copy (lua5.3-f32, fengari-f32.ts).
import * as stock from "fengari";
import type { FengariState, LuaString } from "fengari";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { harnessSource } from "./lua-harness";
import { assertBytes, type LuaBackend } from "./backend";

const { to_luastring, to_jsstring } = stock; // plain byte conversions, the same in both copies

function toLua(s: string): LuaString {
  assertBytes(s);
  return Buffer.from(s, "latin1"); // a Uint8Array; fengari copies it into its own string
}

function fromLua(s: LuaString | null): string {
  return s ? Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString("latin1") : "";
}

// fengari objects live on the JS heap and its collectgarbage() raises "lua_gc not implemented". A full
// collection needs V8's gc(); without --expose-gc it can still be obtained at run time this way.
let jsGc: (() => void) | undefined;
function forceJsGc(): void {
  if (!jsGc) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === "function") jsGc = g;
    else {
      setFlagsFromString("--expose-gc");
      jsGc = runInNewContext("gc") as () => void;
    }
  }
  jsGc();
}

/**
 * Replacement collectgarbage so firmware and the harness behave as on a real 5.3 VM. "count" is the whole
 * process' JS heap in KB (the only measure there is), so it shows trends of this VM only when nothing else
 * allocates meanwhile; "stop"/"restart" are no-ops since V8's GC cannot be paused.
 */
const collectgarbageOf = ({ lua, lauxlib }: typeof stock) => (L: FengariState): number => {
  const opt = to_jsstring(lauxlib.luaL_optstring(L, 1, to_luastring("collect")));
  switch (opt) {
    case "count":
      lua.lua_pushnumber(L, process.memoryUsage().heapUsed / 1024);
      return 1;
    case "collect":
      forceJsGc();
      lua.lua_pushinteger(L, 0);
      return 1;
    case "step":
      forceJsGc();
      lua.lua_pushboolean(L, true);
      return 1;
    case "isrunning":
      lua.lua_pushboolean(L, true);
      return 1;
    case "stop":
    case "restart":
    case "setpause":
    case "setstepmul":
      lua.lua_pushinteger(L, 0);
      return 1;
    default:
      return lauxlib.luaL_error(L, to_luastring(`bad argument #1 to 'collectgarbage' (invalid option '${opt}')`));
  }
};

/** A VM of the given fengari copy (default: the stock one); `label` names the runtime in errors. */
export function createFengariBackend(api: typeof stock = stock, label = "lua5.3-int32"): LuaBackend {
  const { lua, lauxlib, lualib } = api;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  lua.lua_pushjsfunction(L, collectgarbageOf(api));
  lua.lua_setglobal(L, to_luastring("collectgarbage"));
  if (lauxlib.luaL_dostring(L, to_luastring(harnessSource(false))) !== lua.LUA_OK) {
    const msg = fromLua(lua.lua_tolstring(L, -1));
    lua.lua_close(L);
    throw new Error(`${label}: harness failed to load: ${msg}`);
  }
  let closed = false;
  const names = new Map<string, LuaString>();
  const name = (fn: string): LuaString => {
    let s = names.get(fn);
    if (!s) names.set(fn, (s = to_luastring(fn)));
    return s;
  };

  return {
    // No size limit on pushes here, so the payload goes in one piece and __sim_put is never used.
    call(fn: string, payload: string, ...extras: string[]): string {
      if (closed) throw new Error(`${label}: VM is closed`);
      lua.lua_getglobal(L, name(fn));
      lua.lua_pushstring(L, toLua(payload));
      for (const e of extras) lua.lua_pushstring(L, toLua(e));
      const st = lua.lua_pcall(L, 1 + extras.length, 1, 0);
      const out = fromLua(lua.lua_tolstring(L, -1));
      lua.lua_settop(L, 0);
      if (st !== lua.LUA_OK) throw new Error(`${label}: harness call failed (status ${st}): ${out}`);
      return out;
    },
    close(): void {
      if (closed) return;
      closed = true;
      lua.lua_close(L);
    },
  };
}
