// A second, separate copy of fengari 0.1.5 whose floats are single precision, like NodeMCU's Lua 5.3 on
// ESP32 (32-bit integers and 32-bit floats). See docs/runtimes.md for how faithful it is.
//
// fengari keeps floats as JS doubles. Its modules destructure each other's exports at load time, so
// patching exported functions afterwards would not reach them: this loader reads fengari's src/*.js,
// applies textual patches and runs them with a module cache of its own. The stock `fengari` instance
// (lua5.3-int32) stays untouched. Every patch must match exactly once, or loading throws,
// so an upgraded fengari cannot silently lose one.
//
// The patches (each what C Lua 5.3 does with float numbers): every float stored is rounded to float32
// (TValue construction, setfltvalue/chgfltvalue); every number converted to a float for arithmetic or a
// library call is rounded (lvm tonumber: cast_num in C); results that C computes in float before a
// further step are rounded at that step (floor division, the float for-loop index, the % sign test,
// math.log with a base); NodeMCU's own math.fmod; "%.7g" for tostring and C's e/f/g in string.format.
// Rounding a double +, -, *, / or sqrt of two float32 operands to float32 gives the correctly rounded
// float32 result (a double has more than 2 * 24 + 2 bits), so those need nothing more. Numerals need
// no patch: NodeMCU reads them with strtod and rounds the double to float, as parseFloat and the store do.

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";
import type * as Fengari from "fengari";
import { formatC, numberToString } from "./f32-numbers";

export type FengariApi = typeof Fengari;

/** `find` occurs exactly once in `file` of the pinned fengari. */
interface Patch {
  file: string;
  find: string;
  replace: string;
}

const PATCHES: Patch[] = [
  // Floats are stored as float32: lua_pushnumber, constants, folding, undump all construct TValues.
  {
    file: "lobject.js",
    find: "    constructor(type, value) {\n        this.type = type;\n        this.value = value;\n    }",
    replace: "    constructor(type, value) {\n        this.type = type;\n        this.value = type === LUA_TNUMFLT ? Math.fround(value) : value;\n    }",
  },
  {
    file: "lobject.js",
    find: "    setfltvalue(x) {\n        this.type = LUA_TNUMFLT;\n        this.value = x;\n    }",
    replace: "    setfltvalue(x) {\n        this.type = LUA_TNUMFLT;\n        this.value = Math.fround(x);\n    }",
  },
  {
    file: "lobject.js",
    find: "    chgfltvalue(x) {\n        lua_assert(this.type == LUA_TNUMFLT);\n        this.value = x;\n    }",
    replace: "    chgfltvalue(x) {\n        lua_assert(this.type == LUA_TNUMFLT);\n        this.value = Math.fround(x);\n    }",
  },
  // luai_numidiv is floor(a / b) with a / b already a float.
  { file: "lobject.js", find: "case LUA_OPIDIV: return Math.floor(v1 / v2);", replace: "case LUA_OPIDIV: return Math.floor(Math.fround(v1 / v2));" },
  {
    file: "lvm.js",
    find: "L.stack[ra].setfltvalue(Math.floor(numberop1 / numberop2));",
    replace: "L.stack[ra].setfltvalue(Math.floor(Math.fround(numberop1 / numberop2)));",
  },
  // The float for loop compares the index after it has been rounded.
  { file: "lvm.js", find: "let idx = L.stack[ra].value + step;", replace: "let idx = Math.fround(L.stack[ra].value + step);" },
  // Any number used as a float (arithmetic, lua_tonumber, luaL_checknumber): cast_num rounds integers.
  {
    file: "lvm.js",
    find: "const tonumber = function(o) {\n    if (o.ttnov() === LUA_TNUMBER)\n        return o.value;",
    replace: "const tonumber = function(o) {\n    if (o.ttnov() === LUA_TNUMBER)\n        return Math.fround(o.value);",
  },
  {
    file: "lvm.js",
    find: "        if (lobject.luaO_str2num(o.svalue(), v) === (o.vslen() + 1))\n            return v.value;",
    replace: "        if (lobject.luaO_str2num(o.svalue(), v) === (o.vslen() + 1))\n            return Math.fround(v.value);",
  },
  // The % operator's sign test is a float product.
  { file: "llimits.js", find: "    if ((m*b) < 0)", replace: "    if (Math.fround(m*b) < 0)" },
  // NodeMCU's math.fmod on floats is a - trunc(a / b) * b with the quotient a float and the rest done in
  // double, and raises on a zero divisor (unlike the % operator).
  {
    file: "lmathlib.js",
    find: "        let b = luaL_checknumber(L, 2);\n        lua_pushnumber(L, a%b);",
    replace: '        let b = luaL_checknumber(L, 2);\n        if (b === 0) luaL_error(L, to_luastring("modulo by zero"));\n        lua_pushnumber(L, a - Math.trunc(Math.fround(a / b)) * b);',
  },
  // math.deg/rad multiply by a float constant.
  { file: "lmathlib.js", find: "* (180 / Math.PI)", replace: "* Math.fround(180 / Math.fround(Math.PI))" },
  { file: "lmathlib.js", find: "* (Math.PI / 180)", replace: "* Math.fround(Math.fround(Math.PI) / 180)" },
  // math.log(x, base) divides two float logarithms.
  { file: "lmathlib.js", find: "res = Math.log(x)/Math.log(base);", replace: "res = Math.fround(Math.log(x))/Math.fround(Math.log(base));" },
  // tostring and `..` of a float; string.format's %a prefix uses the same format.
  { file: "luaconf.js", find: "    return String(Number(n.toPrecision(14))); /* should match behaviour of LUA_NUMBER_FMT */", replace: "    return __f32.numberToString(n);" },
  { file: "luaconf.js", find: 'const LUA_NUMBER_FMT  = "%.14g";', replace: 'const LUA_NUMBER_FMT  = "%.7g";' },
  // string.format %e %f %g as C prints them.
  {
    file: "lstrlib.js",
    find: "                    let n = luaL_checknumber(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(sprintf(String.fromCharCode(...form), n)));",
    replace: "                    let n = luaL_checknumber(L, arg);\n                    addlenmod(form, to_luastring(LUA_INTEGER_FRMLEN, true));\n                    luaL_addstring(b, to_luastring(__f32.formatC(String.fromCharCode(...form), n)));",
  },
];

const HELPERS = { formatC, numberToString };

/** Applies the patches of one fengari file; throws when one does not match exactly once. */
export function patchSource(file: string, text: string, applied = new Set<Patch>()): string {
  for (const p of PATCHES) {
    if (p.file !== file) continue;
    const n = text.split(p.find).length - 1;
    if (n !== 1) throw new Error(`lua5.3-f32: fengari patch for ${file} matches ${n} times, expected once: ${p.find.trim().slice(0, 80)}`);
    text = text.replace(p.find, () => p.replace);
    applied.add(p);
  }
  return text;
}

function loadPatched(): FengariApi {
  const entry = require.resolve("fengari");
  const version = (JSON.parse(fs.readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string }).version;
  if (version !== "0.1.5") throw new Error(`lua5.3-f32: patches are written for fengari 0.1.5, found ${version}`);
  const dir = path.dirname(entry);
  const outside = createRequire(entry);
  const cache = new Map<string, { exports: unknown }>();
  const applied = new Set<Patch>();
  const load = (file: string): unknown => {
    const hit = cache.get(file);
    if (hit) return hit.exports;
    const module = { exports: {} as unknown };
    cache.set(file, module); // before running: fengari's modules require each other in cycles
    const filename = path.join(dir, file);
    const source = patchSource(file, fs.readFileSync(filename, "utf8"), applied);
    const fn = vm.compileFunction(source, ["exports", "require", "module", "__filename", "__dirname", "__f32"], { filename });
    const localRequire = (id: string) => (id.startsWith("./") ? load(path.basename(id)) : outside(id));
    fn.call(module.exports, module.exports, localRequire, module, filename, dir, HELPERS);
    return module.exports;
  };
  const api = load(path.basename(entry)) as FengariApi;
  const missing = PATCHES.filter((p) => !applied.has(p));
  if (missing.length > 0) throw new Error(`lua5.3-f32: fengari patches not applied: ${missing.map((p) => p.file).join(", ")}`);
  return api;
}

let instance: FengariApi | undefined;

/** The single-float fengari (loaded once; each VM is its own lua_State). */
export function fengariF32(): FengariApi {
  if (instance === undefined) instance = loadPatched();
  return instance;
}
