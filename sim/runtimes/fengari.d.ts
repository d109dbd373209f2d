// Minimal typings for the parts of fengari (Lua 5.3 in JS, 32-bit integers) that the VM harness uses.
declare module "fengari" {
  export type FengariState = { readonly __fengariState: unique symbol };
  /** Lua strings are byte arrays in fengari. */
  export type LuaString = Uint8Array;
  export const lua: {
    LUA_OK: number;
    lua_getglobal(L: FengariState, name: LuaString): number;
    lua_setglobal(L: FengariState, name: LuaString): void;
    lua_pushstring(L: FengariState, s: LuaString): LuaString;
    lua_pushnumber(L: FengariState, n: number): void;
    lua_pushinteger(L: FengariState, n: number): void;
    lua_pushboolean(L: FengariState, b: boolean): void;
    lua_pushjsfunction(L: FengariState, fn: (L: FengariState) => number): void;
    lua_pcall(L: FengariState, nargs: number, nresults: number, msgh: number): number;
    lua_tolstring(L: FengariState, index: number): LuaString | null;
    lua_settop(L: FengariState, index: number): void;
    lua_close(L: FengariState): void;
  };
  export const lauxlib: {
    luaL_newstate(): FengariState;
    luaL_dostring(L: FengariState, s: LuaString): number;
    luaL_optstring(L: FengariState, arg: number, def: LuaString): LuaString;
    luaL_error(L: FengariState, msg: LuaString): never;
  };
  export const lualib: {
    luaL_openlibs(L: FengariState): void;
  };
  export function to_luastring(s: string): LuaString;
  export function to_jsstring(s: LuaString): string;
}
