// Checks the Node Lua standard-library shim (sim/runtimes/lua-shim.ts) against real Lua 5.1 and 5.3 (lua-wasm-bindings).
import { describe, it, expect } from "vitest";
import * as lua51 from "lua-wasm-bindings/dist/lua.51";
import * as lua53 from "lua-wasm-bindings/dist/lua.53";
import { LuaError, luaGlobals } from "../sim/runtimes/lua-shim";

type Version = "5.1" | "5.3";
type Outcome = { values: unknown[] } | { error: unknown };

// Lua side: run `return <expr>` under pcall and print every result in an ASCII-only encoding (the
// bindings pass strings through UTF-8): numbers as %.17g, strings with bytes outside ' '..'~' (and
// '\') as \ddd, and error messages without the "chunk:line: " position prefix.
const PRELUDE = `local function esc(s) return (s:gsub("[^ -%[%]-~]", function(c) return string.format("\\\\%03d", c:byte()) end)) end
local function ser(v)
  if type(v) == "number" then return "n" .. string.format("%.17g", v) end
  if type(v) == "string" then return "s" .. esc(v) end
  return "v" .. tostring(v)
end
local function out(ok, ...)
  if not ok then return "e" .. ser((...)) end
  local t = {}
  for i = 1, select("#", ...) do t[i] = ser((select(i, ...))) end
  return "r" .. table.concat(t, "\\t")
end
`;

const states = new Map<Version, { run: (src: string) => string }>();
for (const [version, b] of [["5.1", lua51], ["5.3", lua53]] as const) {
  const L = b.lauxlib.luaL_newstate();
  b.lualib.luaL_openlibs(L);
  states.set(version, {
    run(src) {
      b.lua.lua_settop(L, 0);
      if (b.lauxlib.luaL_dostring(L, PRELUDE + src) !== 0) throw new Error(`Lua ${version}: ${b.lua.lua_tostring(L, -1)}`);
      return b.lua.lua_tostring(L, -1);
    },
  });
}

function decode(item: string): unknown {
  const body = item.slice(1);
  if (item[0] === "s") return body.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d)));
  if (item[0] === "n") return /nan/.test(body) ? NaN : body === "inf" ? Infinity : body === "-inf" ? -Infinity : Number(body);
  return body === "true" ? true : body === "false" ? false : body === "nil" ? undefined : body;
}

function runLua(version: Version, expr: string): Outcome {
  // Fixtures use the syntax common to both languages, plus JS array and object literals for Lua tables.
  const luaExpr = expr.replace(/\[/g, "{").replace(/\]/g, "}").replace(/(\w+): /g, "$1 = ");
  const text = states.get(version)!.run(`return out(pcall(function() return ${luaExpr} end))`);
  if (text[0] === "e") {
    const err = decode(text.slice(1));
    return { error: typeof err === "string" ? err.replace(/^.*?:\d+: /, "") : err };
  }
  return { values: text.length === 1 ? [] : text.slice(1).split("\t").map(decode) };
}

const MULTI = /^(string\.find|pcall)\(/; // these return a LuaMultiReturn, i.e. a JS array

function runShim(expr: string): Outcome {
  try {
    const result: unknown = new Function("nil", `return ${expr}`)(undefined);
    return { values: MULTI.test(expr) ? (result as unknown[]) : [result] };
  } catch (e) {
    if (e instanceof LuaError) return { error: e.value };
    throw e;
  }
}

/** Single results: Lua's "no value" (string.byte past the end) is undefined in JS. */
function normalize(o: Outcome, expr: string): Outcome {
  return "values" in o && !MULTI.test(expr) ? { values: [o.values[0]] } : o;
}

// Expressions on which Lua 5.1 and 5.3 agree; the shim must agree with both.
const SAME: string[] = [
  // type / tostring / tonumber
  'type(nil)', 'type(1)', 'type("x")', 'type(true)', 'type({})', 'type(tostring)',
  'tostring(true)', 'tostring(false)', 'tostring(nil)', 'tostring("abc")', 'tostring(1e15)',
  'tostring(0.1)', 'tostring(1/3)', 'tostring(-2.5)', 'tostring(1e100)', 'tostring(1e-300)', 'tostring(1/0)', 'tostring(-1/0)',
  'tostring(0.1 + 0.2)', 'tostring(5e-324)',
  'tonumber("10")', 'tonumber("  -12.5e2  ")', 'tonumber("0x1F")', 'tonumber("-0x10")', 'tonumber(".5")', 'tonumber("5.")',
  'tonumber("1e")', 'tonumber("")', 'tonumber(" ")', 'tonumber("1 2")', 'tonumber("abc")', 'tonumber("1e400")',
  'tonumber("\\t\\n7\\r")', 'tonumber("0x1p4")', 'tonumber("0x.8")', 'tonumber(".")', 'tonumber("+3")', 'tonumber(12)', 'tonumber(true)',
  // string.byte / char / sub / len / rep / upper / lower
  'string.byte("abc", 1)', 'string.byte("abc", 3)', 'string.byte("abc", 4)', 'string.byte("abc", 0)', 'string.byte("abc", -1)',
  'string.byte("abc", -3)', 'string.byte("abc", -4)', 'string.byte("abc")', 'string.byte(string.char(0, 200, 255), 2)',
  'string.char()', 'string.char(72, 105)', 'string.char(0, 128, 255)', 'string.char("65")',
  'string.sub("hello", 2)', 'string.sub("hello", -3, -2)', 'string.sub("hello", 2, 100)', 'string.sub("hello", 0)',
  'string.sub("hello", -100, 2)', 'string.sub("hello", 4, 2)', 'string.sub("hello", 6)', 'string.sub("hello", 5, 5)',
  'string.sub("hello", 0, 0)', 'string.sub("hello", -1)', 'string.sub("", 1, -1)', 'string.sub(12345, 2, 3)', 'string.sub("hello", 2, -100)',
  'string.len("")', 'string.len("abc")', 'string.len(string.char(0, 0))', 'string.len(12.5)', 'string.len(nil)',
  'string.rep("ab", 3)', 'string.rep("x", 0)', 'string.rep("x", -1)', 'string.rep("", 5)', 'string.rep()',
  'string.upper("aBc-z{09")', 'string.lower("AbC@Z_")', 'string.upper(string.char(97, 233, 255, 181))', 'string.lower(string.char(65, 201, 222))',
  // string.find (plain)
  'string.find("hello", "l", 1, true)', 'string.find("hello", "lo", 1, true)', 'string.find("hello", "x", 1, true)',
  'string.find("hello", "l", 4, true)', 'string.find("hello", "l", -2, true)', 'string.find("hello", "h", -100, true)',
  'string.find("hello", "", 3, true)', 'string.find("hello", "", 6, true)', 'string.find("a.b", ".", 1, true)',
  'string.find("hello", "o", 6, true)', 'string.find("", "", 1, true)', 'string.find("a%b", "%", 1, true)',
  // string.format
  'string.format("%d", 42)', 'string.format("%d", -7)', 'string.format("%d", 3.0)', 'string.format("%02d", 5)', 'string.format("%5d|%-5d|", 42, 42)',
  'string.format("%05d", -42)', 'string.format("%+d % d", 5, 5)', 'string.format("%.3d", 7)', 'string.format("%d", "12")',
  'string.format("%d", 2147483647)', 'string.format("%d", -2147483648)', 'string.format("%i", 4)',
  'string.format("%x %X %x", 255, 255, 0)', 'string.format("%04x", 10)', 'string.format("%#x %#o", 255, 8)', 'string.format("%x", 4294967295)',
  'string.format("%s", "abc")', 'string.format("%5s|%-5s|", "ab", "ab")', 'string.format("%.2s", "abc")', 'string.format("%s", 1.5)',
  'string.format("%s %s", 1e15, 0.1)', 'string.format("%s", 10)', 'string.format("%%")', 'string.format("a%%b%s", "c")', 'string.format("%c", 65)',
  'string.format("%.0f", 0.5)', 'string.format("%.0f", 2.5)', 'string.format("%.0f", -0.4)', 'string.format("%.2f", 0.125)',
  'string.format("%.2f", 0.375)', 'string.format("%.1f", 0.05)', 'string.format("%f", 1/3)', 'string.format("%.3f", 1e21)', 'string.format("%8.3f|", -3.14159)',
  'string.format("%08.3f", 3.14159)', 'string.format("%.0f", 1e300)', 'string.format("%.14g", 0.1)', 'string.format("%.14g", 1e-5)',
  'string.format("%.14g", 123456789012345678)', 'string.format("%.7g", 0.0001234)', 'string.format("%g", 100000)',
  'string.format("%g", 1000000)', 'string.format("%.3g", 0.00001)', 'string.format("%.0g", 25)', 'string.format("%G", 1e-20)', 'string.format("%e", 0)',
  'string.format("%.2e", 9.999)', 'string.format("%10.3e|", 12345)', 'string.format("%#.3g", 1)', 'string.format("%.14g", 1/0)', 'string.format("%5.1f", -1/0)',
  'string.format("%d")', 'string.format("%d", "x")', 'string.format("%d", nil)', 'string.format("%y", 1)',
  'string.format("%123d", 1)', 'string.format("%.123f", 1)', 'string.format("%------d", 1)',
  // math
  'math.floor(3.7)', 'math.floor(-0.5)', 'math.floor(-3)', 'math.ceil(3.2)', 'math.ceil(-3.7)', 'math.floor("2.5")', 'math.floor("x")',
  'math.abs(-3)', 'math.abs(2.5)', 'math.min(3, 1, 2)', 'math.max(3, 1, 2)', 'math.min(-1/0, 0)', 'math.max(1, 0/0)', 'math.min(0, -0.0)',
  'math.max(5)', 'math.huge', '-math.huge', 'math.floor(1e300)', 'math.floor(1/0)',
  // table.concat
  'table.concat(["a", "b", "c"])', 'table.concat(["a", "b", "c"], ", ")', 'table.concat(["a", "b", "c"], ", ", 2)', 'table.concat(["a", "b", "c"], "-", 2, 3)',
  'table.concat(["a", "b", "c"], "-", 3, 2)', 'table.concat([])', 'table.concat([1, 2.5, "x"], " ")', 'table.concat(["a"], "-", 1, 1)', 'table.concat(["a", "b"], 0)',
  // next / pcall / error / setmetatable / getmetatable / collectgarbage
  'next([])', 'next(["a"])', 'next(["a", "b"], 1)', 'next(["a", "b"], 2)', 'next({}, "x")', 'next(nil)',
  'pcall(error, "boom")', 'pcall(error, "boom", 0)', 'pcall(error)', 'pcall(nil)', 'pcall(tostring, true)',
  'pcall(string.len, "abc")', 'setmetatable(setmetatable({}, { __metatable: 1 }), {})',
  'getmetatable(setmetatable({}, { __metatable: "locked" }))', 'getmetatable({})',
  'setmetatable(1, {})', 'setmetatable({}, 1)', 'collectgarbage("x")', 'collectgarbage("collect")',
];

// Where Lua 5.1 and 5.3 disagree: the version the shim follows (5.1 for number printing, 5.3 for integer checks).
const DIFFER: [string, Version][] = [
  ['tostring(3.0)', "5.1"], // 5.3: "3.0" (no float/integer subtypes in JS)
  ['tostring(-0.0)', "5.1"], // 5.3: "-0.0"
  ['string.format("%s", true)', "5.1"], // 5.3: "true"
  ['table.concat([1, {}])', "5.1"], // 5.3 (these bindings): "... at index 0 ..."
  ['math.min()', "5.1"], // 5.3: "bad argument #1 to 'min' (value expected)"
  ['tonumber("0x10000000000000000")', "5.1"], // 5.3: integer wrap-around to 0
  ['tostring(123456789012345)', "5.1"], // 5.3 prints integers in full
  ['tostring(100000000000000)', "5.1"],
  ['string.format("%s", nil)', "5.1"], // 5.3: "nil"
  ['string.format("%", 1)', "5.1"], // 5.3 shows the NUL after '%' as "<\\0>"
  ['string.format("%d", 1.5)', "5.3"], // 5.1: "1"
  ['string.format("%x", 1.5)', "5.3"], // 5.1: "1"
  ['string.format("%x", -1)', "5.3"], // 64-bit two's complement; 5.1 is undefined behaviour in C
  ['string.format("%d", 9007199254740992)', "5.3"], // 5.1 here is built with a 32-bit C long
  ['string.format("%d", 1e100)', "5.3"], // 5.1: garbage from an out-of-range C cast
  ['string.sub("hello", 1.5)', "5.3"], // 5.1 truncates
  ['string.char(256)', "5.3"], // 5.1: "(invalid value)"
  ['string.find("hello", "", 10, true)', "5.3"], // 5.1 clamps init to #s + 1 and returns 6, 5
  ['tonumber("inf")', "5.3"], // 5.1 relies on C strtod, which also accepts "nan", "infinity"
  ['tonumber("0x")', "5.3"], // 5.1 + musl strtod: 0 (5.1 + glibc: nil)
  ['string.char(-1)', "5.3"], // 5.1: "(invalid value)"
  ['pcall(error, 42)', "5.3"], // 5.1 turns a number error value into a string
  ['math.ceil(-0.5)', "5.3"], // 5.1: -0 (5.3 returns an integer)
];

// The printf in lua-wasm-bindings rounds an exact .5 tie at the units digit down (1.5 -> "1"); C (glibc,
// checked with native Lua 5.1.5) rounds exact ties to even, and so does the shim.
const C_TIES: [string, string][] = [
  ['string.format("%.0f", 0.5)', "0"], ['string.format("%.0f", 1.5)', "2"], ['string.format("%.0f", 2.5)', "2"],
  ['string.format("%.0f", -3.5)', "-4"], ['string.format("%.0f", 9.5)', "10"], ['string.format("%.7g", 1234567.5)', "1234568"],
  ['string.format("%.2f", 0.125)', "0.12"], ['string.format("%.1f", 0.25)', "0.2"], ['string.format("%.0e", 35)', "4e+01"],
];

describe("lua-shim vs real Lua", () => {
  it.each(SAME)("%s", (expr) => {
    const l51 = normalize(runLua("5.1", expr), expr);
    expect(normalize(runLua("5.3", expr), expr)).toEqual(l51);
    expect(normalize(runShim(expr), expr)).toEqual(l51);
  });

  it.each(DIFFER)("%s (follows Lua %s)", (expr, version) => {
    const other = version === "5.1" ? "5.3" : "5.1";
    expect(normalize(runLua(other, expr), expr)).not.toEqual(normalize(runLua(version, expr), expr));
    expect(normalize(runShim(expr), expr)).toEqual(normalize(runLua(version, expr), expr));
  });

  it.each(C_TIES)("%s is %s (C rounding of exact ties)", (expr, expected) => {
    expect(runShim(expr)).toEqual({ values: [expected] });
  });

  it("formats pseudo-random numbers like Lua 5.1 for every float conversion", () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const all: number[] = [0, 0.25, -0.375, 0.125, 1e15, 1e16, 2 ** 53, 2 ** 63, 1e21, 1e22, 5e-324, 1.7976931348623157e308];
    for (let k = 0; k < 150; k++) all.push((rand() - 0.3) * 10 ** Math.floor(rand() * 50 - 25));
    for (let k = 0; k < 50; k++) all.push(Math.floor((rand() - 0.5) * 2 ** 14) / 2 ** Math.floor(rand() * 8 + 2)); // exact ties
    const xs = all.filter((x) => Math.abs(x % 1) !== 0.5); // half-integers: see C_TIES
    const formats = ["%.14g", "%.17g", "%.0f", "%.3f", "%.1f", "%.7g", "%g", "%e", "%.1e", "%10.4f", "%-12.3g|", "%.0e", "%+.2g", "%.20g"];
    const lines = xs.flatMap((x) => formats.map((f) => `t[#t + 1] = string.format("${f}", ${String(x)})`));
    const expected = states.get("5.1")!.run(`local t = {}\n${lines.join("\n")}\nreturn table.concat(t, "\\n")`).split("\n");
    const actual = xs.flatMap((x) => formats.map((f) => luaGlobals.string.format(f, x)));
    expect(actual).toEqual(expected);
  });
});

describe("lua-shim (Node-only behaviour)", () => {
  const g = luaGlobals;

  it("installs exactly the declared globals", () => {
    const names = ["type", "tostring", "tonumber", "pairs", "next", "error", "pcall", "setmetatable", "getmetatable", "rawset", "rawget", "collectgarbage", "string", "math", "table"];
    expect(Object.keys(g).sort()).toEqual([...names].sort());
    for (const n of names) expect((globalThis as Record<string, unknown>)[n]).toBe(g[n as keyof typeof g]);
    expect(Object.keys(g.string).sort()).toEqual(["byte", "char", "find", "format", "len", "lower", "rep", "sub", "upper"]);
    expect(Object.keys(g.math).sort()).toEqual(["abs", "ceil", "floor", "huge", "max", "min"]);
  });

  it("rawget finds own keys only, as a Lua table would", () => {
    const t: Record<string, unknown> = { a: 1 };
    expect(g.rawget(t, "a")).toBe(1);
    for (const k of ["toString", "constructor", "hasOwnProperty", "__proto__", "valueOf"]) expect(g.rawget(t, k)).toBeUndefined();
    g.rawset(t, "__proto__", 5);
    expect(g.rawget(t, "__proto__")).toBe(5);
  });

  it("rawset makes any key an own key, __proto__ included, as in Lua", () => {
    const t: Record<string, unknown> = {};
    g.rawset(t, "__proto__", { a: 1 });
    g.rawset(t, "x", 2);
    expect([...g.pairs(t)].map(([k]) => k)).toEqual(["__proto__", "x"]);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    g.rawset(t, "x", undefined);
    expect(Object.keys(t)).toEqual(["__proto__"]);
  });

  it("pairs yields 1-based array keys and own string keys, skipping nil values and the metatable", () => {
    expect([...g.pairs(["a", undefined, "c", null])]).toEqual([[1, "a"], [3, "c"]]);
    const t = g.setmetatable({ b: 2, a: 1, gone: undefined } as Record<string, number | undefined>, { __index: {} });
    expect([...g.pairs(t)]).toEqual([["b", 2], ["a", 1]]);
    expect(JSON.stringify(t)).toBe('{"b":2,"a":1}');
    const seen: unknown[] = [];
    for (const [k, v] of g.pairs(t)) {
      seen.push(k, v);
      t.a = undefined; // clearing a field during traversal is allowed in Lua
    }
    expect(seen).toEqual(["b", 2]);
    expect(() => g.pairs(undefined)).toThrow("bad argument #1 to 'pairs' (table expected, got nil)");
  });

  it("next walks objects in pairs order and returns only the key", () => {
    const t = { x: 1, y: undefined, z: 3 };
    expect(g.next(t)).toBe("x");
    expect(g.next(t, "x")).toBe("z");
    expect(g.next(t, "z")).toBeUndefined();
    expect(g.next({ y: undefined })).toBeUndefined();
    expect(g.next([undefined, 5])).toBe(2);
  });

  it("error and pcall carry Lua values; JS exceptions become their message", () => {
    expect(() => g.error("boom")).toThrow(LuaError);
    const table = { code: 7 };
    expect(g.pcall(() => g.error(table as unknown as string))).toEqual([false, table]);
    expect(g.pcall((a: number, b: number) => a + b, 2, 3)).toEqual([true, 5]);
    expect(g.pcall(() => (undefined as unknown as { x: number }).x)).toEqual([false, expect.stringContaining("Cannot read properties of undefined")]);
    const deep = (n: number): number => deep(n + 1) + 1;
    expect(g.pcall(deep, 0)).toEqual([false, "stack overflow"]);
    expect(g.pcall(() => { throw "raw"; })).toEqual([false, "raw"]);
  });

  it("setmetatable stores the metatable under a hidden symbol", () => {
    const mt = { __tostring: () => "custom" };
    const t = {};
    expect(g.setmetatable(t, mt)).toBe(t);
    expect(g.getmetatable(t)).toBe(mt);
    expect(Object.keys(t)).toEqual([]);
    expect(g.tostring(t as unknown as string)).toBe("custom");
    g.setmetatable(t, undefined);
    expect(g.getmetatable(t)).toBeUndefined();
    expect(g.tostring({} as unknown as string)).toMatch(/^table: 0x[0-9a-f]{8}$/);
  });

  it("collectgarbage reports the heap in KB", () => {
    const kb = g.collectgarbage("count");
    expect(kb).toBeGreaterThan(100);
    expect(Math.abs(kb - process.memoryUsage().heapUsed / 1024)).toBeLessThan(64 * 1024);
    expect(g.collectgarbage("collect")).toBe(0);
  });

  it("keeps byte strings byte-exact and refuses patterns", () => {
    const all = g.string.char(...Array.from({ length: 256 }, (_, i) => i));
    expect(all).toBe(Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1"));
    expect(g.string.upper(all)).toBe(all.replace(/[a-z]/g, (c) => c.toUpperCase()));
    expect(g.string.format("%s|%5s", all, "\xff")).toBe(`${all}|    \xff`);
    expect(g.string.char(...new Array<number>(100000).fill(65)).length).toBe(100000);
    expect(() => g.string.find("a.b", ".", 1, undefined as unknown as true)).toThrow(/patterns are not supported/);
    expect(g.string.find("abc", "b", 1, undefined as unknown as true)).toEqual([2, 2]);
  });
});
