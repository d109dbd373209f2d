// Backend for fengari (Lua 5.3 in JS with 32-bit integers): raw byte strings, plus a collectgarbage it lacks.
// The same backend runs the stock fengari (lua5.3-int32) and its single-float copy (lua5.3-f32, fengari-f32.ts).
import * as stock from "fengari";
import type { FengariState, LuaString } from "fengari";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
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
 * allocates meanwhile; "stop"/"restart" are no-ops since V8's GC cannot be paused. (The heap's used size
 * as process.memoryUsage().heapUsed gives it, without the resident set size that call also reads: the
 * harness asks after every event, and that read cost more than a short event itself.)
 */
const collectgarbageOf = ({ lua, lauxlib }: typeof stock) => (L: FengariState): number => {
  const opt = to_jsstring(lauxlib.luaL_optstring(L, 1, to_luastring("collect")));
  switch (opt) {
    case "count":
      lua.lua_pushnumber(L, getHeapStatistics().used_heap_size / 1024);
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

/** The parts of fengari's lua_State that StackKeeper touches (src/lstate.js), and a stack slot (a TValue). */
interface StackOf {
  stack: (object | undefined)[];
  top: number;
  stack_last: number;
}

/**
 * Keeps a thread's stack a fast JS array. fengari `delete`s every stack slot a returning call frees, and
 * once such a large, mostly empty array has reached V8's old space, a delete makes V8 turn it into a
 * dictionary: every register access of every later call is then a hash lookup (the image ran about a
 * third slower, a call with little to do several times slower). V8 keeps an array fast while enough of
 * its slots are in use, so the stack starts with `size` slots whose upper part holds nil values that no
 * call reaches: they keep it dense whatever the calls delete below them. Between two calls (nothing
 * above the top is live) `keep` checks that no call went into that part and fengari did not resize the
 * stack, and otherwise makes it again, with room for twice the largest stack seen. Lua sees nothing of
 * it: fengari puts a fresh nil into a slot when the top passes it and reads no slot above the top, and
 * its stack limit (LUAI_MAXSTACK, "stack overflow") stays its own.
 */
class StackKeeper {
  private size = 1024;
  constructor(
    private readonly s: StackOf,
    /** fengari's EXTRA_STACK: the slots kept above stack_last. */
    private readonly extra: number,
    /** A nil TValue of this fengari copy. */
    private readonly nil: () => object,
  ) {
    this.rebuild();
  }

  /** Between two calls: a fresh array if a call went into the top eighth or fengari resized the stack. */
  keep(): void {
    const s = this.s;
    if (s.stack.length === this.size && this.size - (this.size >> 3) in s.stack) return;
    while (this.size < 2 * s.stack.length) this.size *= 2;
    this.rebuild();
  }

  private rebuild(): void {
    const s = this.s;
    const old = s.stack;
    const fresh = new Array<object | undefined>(this.size);
    for (let i = 0; i < s.top; i++) if (i in old) fresh[i] = old[i];
    for (let i = s.top; i < this.size; i++) fresh[i] = this.nil();
    s.stack = fresh;
    s.stack_last = this.size - this.extra;
  }
}

/** A VM of the given fengari copy (default: the stock one); `label` names the runtime in errors. */
export function createFengariBackend(api: typeof stock = stock, label = "lua5.3-int32"): LuaBackend {
  const { lua, lauxlib, lualib } = api;
  const L = lauxlib.luaL_newstate();
  // The stack as a new thread has it: the slack above stack_last is EXTRA_STACK, slot 0 a nil TValue.
  const state = L as unknown as StackOf;
  const slot0 = state.stack[0] as { constructor: new (type: number, value: null) => object; type: number };
  const nilType = slot0.type;
  const stack = new StackKeeper(state, state.stack.length - state.stack_last, () => new slot0.constructor(nilType, null));
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
      stack.keep();
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
