// Rejects emitted Lua that leans on TSTL's lualib or touches any global outside the allowed
// standard-library subset (firmware/types/lua.d.ts plus what the bundle loader itself uses).

import * as luaparse from "luaparse";

/** Globals the image may read: the declared subset, plus ipairs/select/require/error from TSTL's own for-of and bundle loader. */
export const ALLOWED_GLOBALS = new Set([
  "type", "tostring", "tonumber", "pairs", "ipairs", "next", "error", "pcall", "select",
  "setmetatable", "getmetatable", "rawset", "rawget", "collectgarbage", "string", "math", "table", "require",
]);

export interface LuaCheck {
  lualib: string[];
  globals: string[];
}

export function checkLua(src: string): LuaCheck {
  const lualib = [...new Set(src.match(/__TS__\w+|____lualib\w*|lualib_bundle/g) ?? [])];
  const globals = new Set<string>();
  const ast = luaparse.parse(src, { scope: true, luaVersion: "5.3", locations: false, comments: false }) as unknown as { globals: { name: string }[] };
  for (const g of ast.globals) if (!ALLOWED_GLOBALS.has(g.name)) globals.add(g.name);
  return { lualib, globals: [...globals].sort() };
}
