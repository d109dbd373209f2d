/** @noSelfInFile */
// The subset of Lua's standard library the firmware may use: functions that behave the same on
// Lua 5.1, 5.3 and 5.3 with 32-bit integers, and that the Node runtime (sim/runtimes/lua-shim.ts)
// reproduces. Anything not declared here is a type error; build/check-lua.ts rejects any other
// global the emitted Lua touches. No patterns: string.find is used with plain = true only.

type LuaType = "nil" | "number" | "string" | "boolean" | "table" | "function" | "userdata" | "thread";

declare function type(v: unknown): LuaType;
declare function tostring(v: string | boolean): string;
/** Only on text already checked to be a decimal number (JSON grammar, storage written by us). */
declare function tonumber(s: string): number | undefined;
declare function pairs<K extends AnyNotNil, V>(t: { [key: string]: V } | LuaTable<K, V>): LuaIterable<LuaMultiReturn<[K, V]>>;
declare function next(t: object, k?: unknown): unknown;
declare function error(message: string, level?: number): never;
declare function pcall<A extends unknown[], R>(f: (...args: A) => R, ...args: A): LuaMultiReturn<[boolean, R | string]>;
declare function setmetatable<T extends object>(t: T, mt: object | undefined): T;
/** t[k] = v without metamethods; in Node also for keys such as "__proto__". */
declare function rawset<T extends object>(t: T, k: string, v: unknown): T;
/** t[k] without metamethods; in Node an own property only (never "toString" from a prototype). */
declare function rawget<V>(t: { [key: string]: V }, k: string): V | undefined;
declare function getmetatable(t: object): object | undefined;
declare function collectgarbage(opt: "count"): number;
declare function collectgarbage(opt: "collect"): number;

declare namespace string {
  /** One byte at i (1-based, as in Lua); undefined past the end. */
  function byte(s: string, i: number): number | undefined;
  function char(...bytes: number[]): string;
  function sub(s: string, i: number, j?: number): string;
  /** Plain search only: the fourth argument must be true. */
  function find(s: string, needle: string, init: number, plain: true): LuaMultiReturn<[number, number] | [undefined]>;
  /** Only the conversions %d %s %x %X %.0f %.Ng with optional zero-padded widths (%02d). */
  function format(fmt: string, ...args: (string | number)[]): string;
  function rep(s: string, n: number): string;
  function len(s: string): number;
  function upper(s: string): string;
  function lower(s: string): string;
}

declare namespace math {
  const huge: number;
  function floor(x: number): number;
  function ceil(x: number): number;
  function abs(x: number): number;
  function min(...x: number[]): number;
  function max(...x: number[]): number;
}

declare namespace table {
  function concat(t: string[], sep?: string, i?: number, j?: number): string;
  /** pos is a Lua (1-based) position; without it, appends. */
  function insert<T>(t: T[], pos: number, v: T): void;
  /** Removes and returns the element at Lua (1-based) position pos (default: the last). */
  function remove<T>(t: T[], pos?: number): T | undefined;
}
