// Installs on globalThis JavaScript versions of the Lua standard-library subset declared in firmware/types/lua.d.ts, for the Node runtime.
//
// Conventions: Lua strings are JS "binary strings" (one char code 0..255 per byte); a Lua sequence is a
// JS array (Lua index k = JS index k - 1); nil is undefined (null is treated as nil too); a multiple
// return is a JS array. Numbers print like Lua 5.1 (%.14g); argument checks follow Lua 5.3 (a float
// without an integer value is rejected where Lua 5.3 wants an integer).

type Table = Record<string | symbol, unknown>;

const METATABLE = Symbol.for("lua-shim.metatable");

/** What `error` throws; `value` is the Lua error value (usually the message string). */
export class LuaError extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super(typeof value === "string" ? value : typeof value === "number" ? numberToString(value) : `(error object is a ${luaType(value)} value)`);
    this.name = "LuaError";
    this.value = value;
  }
}

function luaType(v: unknown): string {
  switch (typeof v) {
    case "undefined": return "nil";
    case "number": return "number";
    case "string": return "string";
    case "boolean": return "boolean";
    case "function": return "function";
    case "object": return v === null ? "nil" : "table";
    default: return "userdata"; // bigint, symbol: no Lua counterpart
  }
}

const isNil = (v: unknown): v is undefined | null => v === undefined || v === null;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null;

function argError(n: number, fname: string, msg: string): never {
  throw new LuaError(`bad argument #${n} to '${fname}' (${msg})`);
}

function typeError(n: number, fname: string, expected: string, v: unknown, present: boolean): never {
  return argError(n, fname, `${expected} expected, got ${present ? luaType(v) : "no value"}`);
}

function checkNumber(v: unknown, n: number, fname: string, present = true): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const x = tonumber(v);
    if (x !== undefined) return x;
  }
  return typeError(n, fname, "number", v, present);
}

function checkInteger(v: unknown, n: number, fname: string, present = true): number {
  const x = checkNumber(v, n, fname, present);
  if (!Number.isInteger(x) || x < -(2 ** 63) || x >= 2 ** 63) argError(n, fname, "number has no integer representation");
  return x;
}

function optInteger(v: unknown, n: number, fname: string, def: number): number {
  return isNil(v) ? def : checkInteger(v, n, fname);
}

function checkString(v: unknown, n: number, fname: string, present = true): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return numberToString(v);
  return typeError(n, fname, "string", v, present);
}

// ---------------------------------------------------------------------------------------------
// Number formatting, exact like C printf: digits come from the exact binary value, ties to even.

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const POW10: bigint[] = [];
const pow10 = (n: number): bigint => (POW10[n] ??= 10n ** BigInt(n));

/** round(x * 10^f) with ties to even, for finite x >= 0 and any integer f. */
function scaledRound(x: number, f: number): bigint {
  if (f >= 0 && f <= 22 && Number.isInteger(x) && x < 2 ** 53) return BigInt(x) * pow10(f);
  f64[0] = x;
  const bits = u64[0];
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const m = e === 0 ? frac : frac | (1n << 52n);
  const shift = e === 0 ? -1074 : e - 1075;
  let num = m;
  let den = 1n;
  if (shift >= 0) num <<= BigInt(shift);
  else den <<= BigInt(-shift);
  if (f >= 0) num *= pow10(f);
  else den *= pow10(-f);
  const q = num / den;
  const r2 = (num % den) * 2n;
  return r2 > den || (r2 === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** |x| rounded to `sig` significant digits: the digit string (exactly `sig` long) and the decimal exponent. */
function significant(x: number, sig: number): { digits: string; exp: number } {
  if (x === 0) return { digits: "0".repeat(sig), exp: 0 };
  let exp = Math.floor(Math.log10(x));
  const hi = pow10(sig);
  const lo = pow10(sig - 1);
  for (;;) {
    const q = scaledRound(x, sig - 1 - exp);
    if (q >= hi) exp++;
    else if (q < lo) exp--;
    else return { digits: q.toString(), exp };
  }
}

/** Digits with a decimal point inserted `frac` places from the right (the digit string is an integer). */
function placePoint(digits: string, frac: number, alt: boolean): string {
  if (frac <= 0) return alt ? digits + "." : digits;
  const d = digits.padStart(frac + 1, "0");
  return d.slice(0, d.length - frac) + "." + d.slice(d.length - frac);
}

const expSuffix = (exp: number): string => (exp < 0 ? "e-" : "e+") + String(Math.abs(exp)).padStart(2, "0");

function stripZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** C's %f / %e / %g of |x| (finite), without sign. */
function formatAbs(x: number, conv: "f" | "e" | "g", prec: number, alt: boolean): string {
  if (conv === "f") return placePoint(scaledRound(x, prec).toString(), prec, alt);
  if (conv === "e") {
    const { digits, exp } = significant(x, prec + 1);
    return placePoint(digits, prec, alt) + expSuffix(exp);
  }
  const p = prec === 0 ? 1 : prec;
  const { digits, exp } = significant(x, p);
  if (exp < -4 || exp >= p) {
    const mant = placePoint(digits, p - 1, alt);
    return (alt ? mant : stripZeros(mant)) + expSuffix(exp);
  }
  const fixed = placePoint(digits, p - 1 - exp, alt);
  return alt ? fixed : stripZeros(fixed);
}

function signBit(x: number): boolean {
  f64[0] = x;
  return u64[0] >> 63n === 1n;
}

/** Lua 5.1 tostring of a number: "%.14g". */
function numberToString(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e14) return x === 0 && Object.is(x, -0) ? "-0" : String(x);
  if (!Number.isFinite(x)) return Number.isNaN(x) ? (signBit(x) ? "-nan" : "nan") : x > 0 ? "inf" : "-inf";
  return (x < 0 ? "-" : "") + formatAbs(Math.abs(x), "g", 14, false);
}

// ---------------------------------------------------------------------------------------------
// Base functions

function tostring(v: unknown): string {
  switch (typeof v) {
    case "string": return v;
    case "number": return numberToString(v);
    case "boolean": return v ? "true" : "false";
    case "undefined": return "nil";
  }
  if (v === null) return "nil";
  const mt = rawMetatable(v);
  if (mt !== undefined && !isNil(mt.__tostring)) {
    const s = (mt.__tostring as (t: unknown) => unknown)(v);
    if (typeof s !== "string") throw new LuaError("'__tostring' must return a string");
    return s;
  }
  return `${luaType(v)}: 0x${objectId(v).toString(16).padStart(8, "0")}`;
}

const ids = new WeakMap<object, number>();
let nextId = 0x1000;
function objectId(v: unknown): number {
  if (typeof v !== "object" && typeof v !== "function") return 0;
  const o = v as object;
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = (nextId += 16)));
  return id;
}

const WS = "[ \\t\\n\\v\\f\\r]*";
const DECIMAL = new RegExp(`^${WS}[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?${WS}$`);
const HEX = new RegExp(`^${WS}([+-]?)0[xX]([0-9a-fA-F]*)(?:\\.([0-9a-fA-F]*))?(?:[pP]([+-]?\\d+))?${WS}$`);

function tonumber(v: unknown): number | undefined {
  if (arguments.length === 0) argError(1, "tonumber", "value expected");
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  if (DECIMAL.test(v)) return Number(v);
  const h = HEX.exec(v);
  if (h === null) return undefined;
  const [, sign, int = "", frac = "", pexp = "0"] = h;
  if (int === "" && frac === "") return undefined;
  const mant = Number(BigInt("0x" + int + frac + "0")) / 16; // the extra "0" makes "0x" + "" impossible
  const x = mant * 2 ** (Number(pexp) - 4 * frac.length);
  return sign === "-" ? -x : x;
}

function pairsIterator(t: unknown[] | Table): IterableIterator<[number | string, unknown]> {
  if (Array.isArray(t)) {
    return (function* () {
      for (let i = 0; i < t.length; i++) {
        const v = t[i];
        if (!isNil(v)) yield [i + 1, v] as [number, unknown];
      }
    })();
  }
  return (function* () {
    for (const k of Object.keys(t)) {
      const v = t[k];
      if (!isNil(v)) yield [k, v] as [string, unknown];
    }
  })();
}

function pairs(t: unknown): IterableIterator<[number | string, unknown]> {
  if (!isTable(t)) typeError(1, "pairs", "table", t, arguments.length > 0);
  return pairsIterator(t as unknown[] | Table);
}

function next(t: unknown, k?: unknown): unknown {
  if (!isTable(t)) typeError(1, "next", "table", t, arguments.length > 0);
  if (Array.isArray(t)) {
    let i = 0;
    if (!isNil(k)) {
      if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > t.length) throw new LuaError("invalid key to 'next'");
      i = k;
    }
    for (; i < t.length; i++) if (!isNil(t[i])) return i + 1;
    return undefined;
  }
  const keys = Object.keys(t);
  let i = 0;
  if (!isNil(k)) {
    i = typeof k === "string" ? keys.indexOf(k) + 1 : 0;
    if (i === 0) throw new LuaError("invalid key to 'next'");
  }
  for (; i < keys.length; i++) if (!isNil((t as Table)[keys[i]])) return keys[i];
  return undefined;
}

function error(message?: unknown, _level?: number): never {
  throw new LuaError(message);
}

function pcall(f: unknown, ...args: unknown[]): [boolean, unknown] {
  if (typeof f !== "function") return [false, `attempt to call a ${luaType(f)} value`];
  try {
    return [true, f(...args)];
  } catch (e) {
    if (e instanceof LuaError) return [false, e.value];
    if (e instanceof RangeError && e.message.includes("Maximum call stack size exceeded")) return [false, "stack overflow"];
    if (e instanceof Error) return [false, e.message];
    return [false, e];
  }
}

function rawMetatable(t: unknown): Table | undefined {
  return typeof t === "object" || typeof t === "function" ? ((t as Table | null)?.[METATABLE] as Table | undefined) : undefined;
}

function setmetatable<T>(t: T, mt?: unknown): T {
  if (!isTable(t)) typeError(1, "setmetatable", "table", t, arguments.length > 0);
  if (!isNil(mt) && !isTable(mt)) argError(2, "setmetatable", "nil or table expected");
  const old = rawMetatable(t);
  if (old !== undefined && !isNil(old.__metatable)) throw new LuaError("cannot change a protected metatable");
  const o = t as Table;
  const value = isNil(mt) ? undefined : mt;
  if (Object.prototype.hasOwnProperty.call(o, METATABLE)) o[METATABLE] = value;
  else Object.defineProperty(o, METATABLE, { value, writable: true, configurable: true, enumerable: false });
  return t;
}

function getmetatable(t: unknown): unknown {
  const mt = rawMetatable(t);
  if (mt === undefined) return undefined;
  return isNil(mt.__metatable) ? mt : mt.__metatable;
}

function collectgarbage(opt: unknown = "collect"): number {
  if (opt === "count") return process.memoryUsage().heapUsed / 1024;
  if (opt === "collect") {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc === "function") gc();
    return 0;
  }
  return argError(1, "collectgarbage", `invalid option '${tostring(opt)}'`);
}

// ---------------------------------------------------------------------------------------------
// string

/** Lua 5.1 posrelat: a negative position counts from the end; before the start becomes 0. */
function posrelat(pos: number, len: number): number {
  if (pos >= 0) return pos;
  return -pos > len ? 0 : len + pos + 1;
}

function byte(s: unknown, i?: unknown): number | undefined {
  const str = checkString(s, 1, "byte", arguments.length > 0);
  const p = posrelat(optInteger(i, 2, "byte", 1), str.length);
  return p >= 1 && p <= str.length ? str.charCodeAt(p - 1) : undefined;
}

function char(...bytes: unknown[]): string {
  const codes = bytes.map((b, k) => {
    const c = checkInteger(b, k + 1, "char");
    if (c < 0 || c > 255) argError(k + 1, "char", "value out of range");
    return c;
  });
  let out = "";
  for (let k = 0; k < codes.length; k += 8192) out += String.fromCharCode(...codes.slice(k, k + 8192));
  return out;
}

function sub(s: unknown, i?: unknown, j?: unknown): string {
  const str = checkString(s, 1, "sub", arguments.length > 0);
  const len = str.length;
  let start = posrelat(checkInteger(i, 2, "sub", arguments.length > 1), len);
  let end = posrelat(optInteger(j, 3, "sub", -1), len);
  if (start < 1) start = 1;
  if (end > len) end = len;
  return start <= end ? str.slice(start - 1, end) : "";
}

const PATTERN_SPECIALS = /[\^$*+?.(\[%-]/;

function find(s: unknown, needle: unknown, init?: unknown, plain?: unknown): [number, number] | [undefined] {
  const str = checkString(s, 1, "find", arguments.length > 0);
  const pat = checkString(needle, 2, "find", arguments.length > 1);
  const len = str.length;
  let i = posrelat(optInteger(init, 3, "find", 1), len);
  if (i < 1) i = 1;
  if (i > len + 1) return [undefined]; // Lua 5.2+; Lua 5.1 clamps init to len + 1
  if ((isNil(plain) || plain === false) && PATTERN_SPECIALS.test(pat)) {
    throw new LuaError("string.find: Lua patterns are not supported by the Node runtime (pass plain = true)");
  }
  const p = str.indexOf(pat, i - 1);
  return p < 0 ? [undefined] : [p + 1, p + pat.length];
}

function rep(s: unknown, n?: unknown): string {
  const str = checkString(s, 1, "rep", arguments.length > 0);
  const count = checkInteger(n, 2, "rep", arguments.length > 1);
  return count <= 0 ? "" : str.repeat(count);
}

function len(s: unknown): number {
  return checkString(s, 1, "len", arguments.length > 0).length;
}

function upper(s: unknown): string {
  return checkString(s, 1, "upper", arguments.length > 0).replace(/[a-z]+/g, (m) => m.toUpperCase());
}

function lower(s: unknown): string {
  return checkString(s, 1, "lower", arguments.length > 0).replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

const SPEC = /%([-+ #0]*)(\d*)(?:\.(\d*))?(.?)/y;

function pad(sign: string, body: string, flags: string, width: number, zeroOk: boolean): string {
  const n = width - sign.length - body.length;
  if (n <= 0) return sign + body;
  if (flags.includes("-")) return sign + body + " ".repeat(n);
  if (zeroOk && flags.includes("0")) return sign + "0".repeat(n) + body;
  return " ".repeat(n) + sign + body;
}

function format(fmt: unknown, ...args: unknown[]): string {
  const f = checkString(fmt, 1, "format", arguments.length > 0);
  let out = "";
  let argi = 0;
  let pos = 0;
  while (pos < f.length) {
    const pct = f.indexOf("%", pos);
    if (pct < 0) {
      out += f.slice(pos);
      break;
    }
    out += f.slice(pos, pct);
    if (f.charCodeAt(pct + 1) === 37) {
      out += "%";
      pos = pct + 2;
      continue;
    }
    const n = ++argi + 1; // Lua argument number (the format string is #1)
    if (argi > args.length) argError(n, "format", "no value");
    const arg = args[argi - 1];
    SPEC.lastIndex = pct;
    const [, flags, w, precText, conv] = SPEC.exec(f)!;
    pos = SPEC.lastIndex;
    if (flags.length >= 6) throw new LuaError("invalid format (repeated flags)");
    if (w.length > 2 || (precText !== undefined && precText.length > 2)) throw new LuaError("invalid format (width or precision too long)");
    if (!/^[cdiouxXeEfgGs]$/.test(conv)) throw new LuaError(`invalid option '%${conv}' to 'format'`);
    const width = w === "" ? 0 : Number(w);
    const prec = precText === undefined ? -1 : Number(precText === "" ? "0" : precText);
    switch (conv) {
      case "s": {
        let s = checkString(arg, n, "format");
        if (prec >= 0) s = s.slice(0, prec);
        out += pad("", s, flags, width, false);
        break;
      }
      case "c":
        out += pad("", String.fromCharCode(((checkInteger(arg, n, "format") % 256) + 256) % 256), flags, width, false);
        break;
      case "d":
      case "i": {
        const x = checkInteger(arg, n, "format");
        let digits = Math.abs(x) < 2 ** 53 ? String(Math.abs(x)) : (BigInt(x) < 0n ? -BigInt(x) : BigInt(x)).toString();
        if (prec >= 0) digits = prec === 0 && x === 0 ? "" : digits.padStart(prec, "0");
        const sign = x < 0 ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
        out += pad(sign, digits, flags, width, prec < 0);
        break;
      }
      case "o":
      case "u":
      case "x":
      case "X": {
        const x = checkInteger(arg, n, "format");
        const u = x >= 0 && x < 2 ** 53 ? x : BigInt.asUintN(64, BigInt(x));
        let digits = u.toString(conv === "o" ? 8 : conv === "u" ? 10 : 16);
        if (conv === "X") digits = digits.toUpperCase();
        if (prec >= 0) digits = prec === 0 && x === 0 ? "" : digits.padStart(prec, "0");
        let prefix = "";
        if (flags.includes("#")) {
          if (conv === "o" && !digits.startsWith("0")) digits = "0" + digits;
          if (conv === "x" && x !== 0) prefix = "0x";
          if (conv === "X" && x !== 0) prefix = "0X";
        }
        out += pad(prefix, digits, flags, width, prec < 0);
        break;
      }
      default: {
        // e E f g G
        const x = checkNumber(arg, n, "format");
        const lowerConv = conv.toLowerCase() as "e" | "f" | "g";
        const neg = Number.isNaN(x) ? signBit(x) : x < 0 || Object.is(x, -0);
        const sign = neg ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
        let body: string;
        if (Number.isFinite(x)) body = formatAbs(Math.abs(x), lowerConv, prec < 0 ? 6 : prec, flags.includes("#"));
        else body = Number.isNaN(x) ? "nan" : "inf";
        if (conv !== lowerConv) body = body.toUpperCase();
        out += pad(sign, body, flags, width, Number.isFinite(x));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// math, table

function minmax(name: "min" | "max", xs: unknown[]): number {
  let best = checkNumber(xs[0], 1, name, xs.length > 0);
  for (let k = 1; k < xs.length; k++) {
    const x = checkNumber(xs[k], k + 1, name);
    if (name === "min" ? x < best : x > best) best = x;
  }
  return best;
}

function concat(t: unknown, sep?: unknown, i?: unknown, j?: unknown): string {
  if (!isTable(t)) typeError(1, "concat", "table", t, arguments.length > 0);
  const arr = t as unknown as unknown[];
  const separator = isNil(sep) ? "" : checkString(sep, 2, "concat");
  const first = optInteger(i, 3, "concat", 1);
  const last = optInteger(j, 4, "concat", Array.isArray(arr) ? arr.length : 0);
  let out = "";
  for (let k = first; k <= last; k++) {
    const v = arr[k - 1];
    if (typeof v === "string") out += v;
    else if (typeof v === "number") out += numberToString(v);
    else throw new LuaError(`invalid value (${luaType(v)}) at index ${k} in table for 'concat'`);
    if (k < last) out += separator;
  }
  return out;
}

// Lua arrays are JS arrays here (TS index 0 = Lua position 1), so insert/remove splice them;
// positions follow Lua 5.3's bounds checks.
function insert(t: unknown, pos: unknown, v?: unknown): void {
  if (!Array.isArray(t)) typeError(1, "insert", "table", t, true);
  const arr = t as unknown[];
  if (arguments.length === 2) {
    arr.push(pos);
    return;
  }
  const p = checkNumber(pos, 2, "insert");
  if (p < 1 || p > arr.length + 1 || Math.floor(p) !== p) throw new LuaError("bad argument #2 to 'insert' (position out of bounds)");
  arr.splice(p - 1, 0, v);
}

function remove(t: unknown, pos?: unknown): unknown {
  if (!Array.isArray(t)) typeError(1, "remove", "table", t, true);
  const arr = t as unknown[];
  if (arr.length === 0) return undefined;
  const p = pos === undefined ? arr.length : checkNumber(pos, 2, "remove");
  if (p < 1 || p > arr.length + 1 || Math.floor(p) !== p) throw new LuaError("bad argument #2 to 'remove' (position out of bounds)");
  if (p === arr.length + 1) return undefined;
  return arr.splice(p - 1, 1)[0];
}

// Lua has no special keys: define the property, so "__proto__" becomes an own key as in Lua.
function rawset(t: unknown, k: unknown, v: unknown): unknown {
  if (!isTable(t)) typeError(1, "rawset", "table", t, true);
  if (v === undefined || v === null) delete (t as Record<string, unknown>)[k as string];
  else Object.defineProperty(t, k as string, { value: v, enumerable: true, writable: true, configurable: true });
  return t;
}

// Own properties only: a key such as "toString" finds nothing, as in a fresh Lua table.
function rawget(t: unknown, k: unknown): unknown {
  if (!isTable(t)) typeError(1, "rawget", "table", t, true);
  return Object.prototype.hasOwnProperty.call(t, k as string) ? (t as Record<string, unknown>)[k as string] : undefined;
}

/** The globals, as installed; exported so tests can reach them with types. */
export const luaGlobals = {
  type: luaType,
  tostring,
  tonumber,
  pairs,
  next,
  error,
  pcall,
  setmetatable,
  getmetatable,
  rawset,
  rawget,
  collectgarbage,
  string: { byte, char, sub, find, format, rep, len, upper, lower },
  math: {
    huge: Infinity,
    floor: (x?: unknown): number => Math.floor(checkNumber(x, 1, "floor", x !== undefined)) + 0, // + 0: Lua 5.3 returns an integer, never -0
    ceil: (x?: unknown): number => Math.ceil(checkNumber(x, 1, "ceil", x !== undefined)) + 0,
    abs: (x?: unknown): number => Math.abs(checkNumber(x, 1, "abs", x !== undefined)),
    min: (...xs: unknown[]): number => minmax("min", xs),
    max: (...xs: unknown[]): number => minmax("max", xs),
  },
  table: { concat, insert, remove },
};

Object.assign(globalThis, luaGlobals);
