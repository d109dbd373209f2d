// Rejects emitted Lua that leans on TSTL's lualib or touches any global outside the allowed
// standard-library subset (firmware/types/lua.d.ts plus what the bundle loader itself uses).

import { parseLua } from "./lua-parse";
import { LuaFunction, LuaLocal, LuaNode, walkScopes } from "./lua-scopes";

/** Globals the image may read: the declared subset, plus ipairs/select/require/error from TSTL's own for-of and bundle loader. */
export const ALLOWED_GLOBALS = new Set([
  "type", "tostring", "tonumber", "pairs", "ipairs", "next", "error", "pcall", "select",
  "setmetatable", "getmetatable", "rawset", "rawget", "collectgarbage", "string", "math", "table", "require",
]);

export interface LuaCheck {
  lualib: string[];
  globals: string[];
}

/** extra: globals allowed on top (a port's firmware modules). */
export function checkLua(src: string, extra: string[] = []): LuaCheck {
  const lualib = [...new Set(src.match(/__TS__\w+|____lualib\w*|lualib_bundle/g) ?? [])];
  const globals = new Set<string>();
  const ast = parseLua(src, { scope: true }) as unknown as { globals: { name: string }[] };
  for (const g of ast.globals) if (!ALLOWED_GLOBALS.has(g.name) && !extra.includes(g.name)) globals.add(g.name);
  return { lualib, globals: [...globals].sort() };
}

/**
 * Per-function limits of the smallest Lua the image must load: NodeMCU's Lua 5.1 (ESP8266) compiles
 * with LUAI_MAXVARS 50 and LUAI_MAXUPVALUES 60 (checked against its luac.cross: a 51st active local
 * or a 61st upvalue is a compile error), where PUC 5.1 allows 200 and 60, and 5.3 200 and 255.
 */
export const LUA_LIMITS = { locals: 50, upvalues: 60 };

/** A function of a chunk and its figures against LUA_LIMITS. */
export interface LuaFunctionStats {
  /** The function (node undefined: the main chunk) and how deep it lies (0: the main chunk). */
  fn: LuaFunction;
  /** Its first line (0 unless parsed with locations). */
  line: number;
  /** The most locals active at once, hidden ones included. */
  locals: number;
  /** The locals of enclosing functions it uses, itself or through a function inside it. */
  upvalues: Set<LuaLocal>;
}

/** Every function of a parsed chunk (build/lua-parse.ts) with its figures, in the order their bodies end (the main chunk last). */
export function luaFunctionStats(ast: LuaNode): LuaFunctionStats[] {
  const out: LuaFunctionStats[] = [];
  const state = new Map<LuaFunction, LuaFunctionStats & { active: number }>();
  const of = (fn: LuaFunction) => state.get(fn) as LuaFunctionStats & { active: number };
  walkScopes(ast, {
    enterFunction(fn) {
      const loc = fn.node?.loc as { start: { line: number } } | undefined;
      state.set(fn, { fn, line: loc?.start.line ?? 0, active: 0, locals: 0, upvalues: new Set() });
    },
    // Hidden locals count too: a vararg function's `arg` (a TSTL module function with 50 locals is
    // one too many for luac.cross), a for loop's control slots.
    declare(local) {
      const f = of(local.fn);
      f.active++;
      if (f.active > f.locals) f.locals = f.active;
    },
    exitBlock(fn, locals) {
      of(fn).active -= locals;
    },
    // An upvalue of every function between its use and its declaration.
    use(_id, _write, decl, fns) {
      if (decl === undefined) return;
      for (let k = fns.length - 1; k >= 0 && fns[k] !== decl.fn; k--) of(fns[k]).upvalues.add(decl);
    },
    exitFunction(fn) {
      const { active: _active, ...f } = of(fn);
      out.push(f);
    },
  });
  return out;
}

/** Functions over LUA_LIMITS: "function at line N has M local variables" (or upvalues). */
export function checkLuaLimits(src: string, limits = LUA_LIMITS): string[] {
  const out: string[] = [];
  for (const f of luaFunctionStats(parseLua(src, { locations: true }))) {
    if (f.fn.node === undefined) {
      if (f.locals > limits.locals) out.push(`main chunk has ${f.locals} local variables (NodeMCU's Lua 5.1 takes ${limits.locals})`);
      continue;
    }
    if (f.locals > limits.locals) out.push(`function at line ${f.line} has ${f.locals} local variables (NodeMCU's Lua 5.1 takes ${limits.locals})`);
    if (f.upvalues.size > limits.upvalues) out.push(`function at line ${f.line} has ${f.upvalues.size} upvalues (NodeMCU's Lua 5.1 takes ${limits.upvalues})`);
  }
  return out;
}
