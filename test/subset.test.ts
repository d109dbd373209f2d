// The restricted subset is enforced: the lint, the Lua checker and the noLib declarations each
// reject what they own (docs/subset.md).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { checkLua, checkLuaLimits } from "../build/check-lua";
import { ROOT } from "../build/compile";
import { lintSubset } from "../build/lint-subset";

/** A program over these files with the firmware's declarations and no ES lib, as the build makes it. */
function firmwareProgram(files: string[]): ts.Program {
  return ts.createProgram([path.join(ROOT, "firmware/types/lib.d.ts"), path.join(ROOT, "firmware/types/lua.d.ts"), ...files], {
    noLib: true,
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ESNext,
    types: ["@typescript-to-lua/language-extensions"],
    typeRoots: [path.join(ROOT, "node_modules")],
  });
}

function program(src: string): { program: ts.Program; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "subset-"));
  const file = path.join(dir, "snippet.ts");
  fs.writeFileSync(file, src);
  return { program: firmwareProgram([file]), file };
}

function lint(src: string): string[] {
  const { program: p, file } = program(src);
  return lintSubset(p, (sf) => sf.fileName === file).map((v) => v.message);
}

function typeErrors(src: string): string[] {
  const { program: p } = program(src);
  return ts.getPreEmitDiagnostics(p).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

const LINT_CASES: [string, string, RegExp | null][] = [
  ["number truthiness in if", "export function f(n: number) { if (n) return 1; return 0; }", /truthiness test on number/],
  ["string truthiness with !", "export function f(s: string | undefined) { return !s; }", /truthiness test on string/],
  ["optional number in ternary", "export function f(n?: number) { return n ? 1 : 2; }", /truthiness test on number/],
  ["|| default on a number", "export function f(n: number | undefined) { return n || 5; }", /'\|\|' default on number/],
  ["?? default on a string", "export function f(s: string | undefined) { return s ?? 'x'; }", /'\?\?' default on string/],
  ["bitwise and", "export function f(a: number) { return a & 1; }", /bitwise/],
  ["shift", "export function f(a: number) { return a << 2; }", /bitwise/],
  ["% without a reason", "export function f(a: number) { return a % 3; }", /'%' needs/],
  ["labeled statement", "export function f() { outer: for (;;) { break outer; } }", /labeled/],
  ["class", "export class A {}", /class/],
  ["spread", "export function f(a: number[]) { return [...a]; }", /spread/],
  ["hole", "export const a = [1, , 2];", /holes/],
  ["export let", "export let x = 1;", /export let/],
  ["delete", "export function f(o: { a?: number }) { delete o.a; }", /delete/],
  ["'/' without a reason (float division: 24 bits on a single-float VM)", "export function f(a: number) { return math.floor(a / 60); }", /'\/' is float division/],
  ["'/=' without a reason", "export function f(a: number) { a /= 2; return a; }", /'\/' is float division/],
  ["'**' without a reason", "export function f(a: number) { return a ** 2; }", /'\*\*' gives a float/],
  ["integer literal beyond 2^31 - 1", "export const MS = 1795046336000;", /no 32-bit integer/],
  ["a `// float:` reason in another function does not count", "export function g() {\n  // float: unrelated.\n  return 1;\n}\nexport function f(a: number) { return math.floor(a / 60); }", /'\/' is float division/],
  ["'/' with a `// float:` reason in its function passes", "export function f(cp: number) {\n  // float: cp < 2^21, exact.\n  const a = math.floor(cp / 64);\n  return math.floor((cp - a * 64) / 8) + 2147483648;\n}", null],
  ["explicit comparisons pass", "export function f(n: number | undefined, s: string) { if (n !== undefined && n > 0 && s !== '') return n; return 0; }", null],
  ["% with a reason passes", "export function f(a: number) {\n  // nonneg: a is a count.\n  return a % 3;\n}", null],
  ["boolean and table truthiness pass", "export function f(b: boolean, t: { x: number } | undefined) { if (b && t) return t.x; return 0; }", null],
];

describe("subset lint", () => {
  it.each(LINT_CASES)("%s", (_name, src, expected) => {
    const messages = lint(src);
    if (expected === null) expect(messages).toEqual([]);
    else expect(messages.some((m) => expected.test(m))).toBe(true);
  });
});

describe("float arithmetic in the firmware", () => {
  it("is allowed without a reason only in firmware/arith.ts, and the firmware has none elsewhere", () => {
    const files = ["firmware/arith.ts", "firmware/time.ts", "firmware/json.ts"].map((f) => path.join(ROOT, f));
    const p = firmwareProgram(files);
    expect(lintSubset(p, (sf) => files.includes(sf.fileName))).toEqual([]);
    expect(fs.readFileSync(files[0], "utf8")).toMatch(/ \/ b\)/);
  });
});

describe("noLib declarations make banned APIs type errors", () => {
  it.each([
    ["Map", "export const m = new Map<string, number>();"],
    ["array method", "export function f(a: number[]) { return a.map((x) => x + 1); }"],
    ["string method", "export function f(s: string) { return s.toUpperCase(); }"],
    ["JSON", "export const s = JSON.stringify({});"],
    ["Promise", "export async function f() { return 1; }"],
    ["new Error", "export function f() { throw new Error('x'); }"],
    ["Math", "export const x = Math.floor(1.5);"],
    ["Lua pattern functions", "export const x = string.gsub('a', 'a', 'b');"],
  ])("%s", (_name, src) => {
    expect(typeErrors(src).length).toBeGreaterThan(0);
  });
  it("the declared Lua subset type-checks", () => {
    expect(typeErrors("export function f(s: string): number { const [a] = string.find(s, 'x', 1, true); return a === undefined ? math.floor(1.5) : string.len(s); }")).toEqual([]);
  });
});

describe("Lua output checker", () => {
  it("flags lualib references and undeclared globals, allows the declared subset", () => {
    expect(checkLua("local x = __TS__ArrayMap({}, f)").lualib).toEqual(["__TS__ArrayMap"]);
    expect(checkLua("foo = 1\nlocal y = bar").globals).toEqual(["bar", "foo"]);
    expect(checkLua("local t = {}\nlocal n = string.len('a') + math.floor(1)\nfor k, v in pairs(t) do end\nlocal s = table.concat(t)").globals).toEqual([]);
    expect(checkLua("local s = unpack({})\nos.exit()\nlocal f = io.open('x')").globals).toEqual(["io", "os", "unpack"]);
  });
});

// NodeMCU's Lua 5.1 (ESP8266) compiles with 50 active locals and 60 upvalues per function: its
// luac.cross refuses a 51st local ("has more than 50 local variables") and a 61st upvalue.
describe("Lua limits of the boards", () => {
  const locals = (n: number, pre = "") => Array.from({ length: n }, (_, i) => `local ${pre}${i} = ${i}`).join("\n");
  it("takes 50 locals in a chunk or function and refuses 51", () => {
    expect(checkLuaLimits(locals(50, "v"))).toEqual([]);
    expect(checkLuaLimits(locals(51, "v"))).toEqual(["main chunk has 51 local variables (NodeMCU's Lua 5.1 takes 50)"]);
    expect(checkLuaLimits(`return function(a, b)\n${locals(49, "v")}\nend`)).toHaveLength(1);
  });
  it("counts Lua 5.1's hidden `arg` of a vararg function (luac.cross: 49 locals after `...` pass, 50 do not)", () => {
    expect(checkLuaLimits(`return function(...)\n${locals(49, "v")}\nend`)).toEqual([]);
    expect(checkLuaLimits(`return function(...)\n${locals(50, "v")}\nend`)).toEqual(["function at line 1 has 51 local variables (NodeMCU's Lua 5.1 takes 50)"]);
  });
  it("counts what is active at once: a block's locals end with it, a for loop holds three hidden ones", () => {
    expect(checkLuaLimits(`${locals(40, "a")}\ndo\n${locals(10, "b")}\nend\ndo\n${locals(10, "c")}\nend`)).toEqual([]);
    expect(checkLuaLimits(`${locals(46, "a")}\nfor i = 1, 2 do end`)).toEqual([]);
    expect(checkLuaLimits(`${locals(47, "a")}\nfor i = 1, 2 do end`)).toHaveLength(1);
    expect(checkLuaLimits(`${locals(45, "a")}\nfor k, v in pairs({}) do end`)).toEqual([]);
    expect(checkLuaLimits(`${locals(46, "a")}\nfor k, v in pairs({}) do end`)).toHaveLength(1);
  });
  it("takes 60 upvalues and refuses 61, counted through nested functions", () => {
    const up = (n: number) => `${locals(40, "a")}\nreturn function()\n${locals(n - 40, "b")}\nreturn function() return ${[...Array.from({ length: 40 }, (_, i) => `a${i}`), ...Array.from({ length: n - 40 }, (_, i) => `b${i}`)].join("+")} end\nend`;
    expect(checkLuaLimits(up(60))).toEqual([]);
    expect(checkLuaLimits(up(61))).toEqual(["function at line 63 has 61 upvalues (NodeMCU's Lua 5.1 takes 60)"]);
  });
  it("a field name is no variable", () => {
    expect(checkLuaLimits(`local a = 1\nreturn function(t) return t.a, { a = 2 } end`)).toEqual([]);
  });
});
