// CBOR (RFC 8949) for what the firmware persists: the subset its own values need, exact on every VM.
//
// Values are those of json.ts: integers, strings, true/false, JSON_NULL (CBOR null), arrays (ARRAY_MT,
// so `[]` stays an array) and tables with text keys (CBOR maps). Numbers are 32-bit integers only,
// from -2^31 to 2^31 - 1, the range a 32-bit VM holds exactly: the journal stores counters, ids, epoch
// seconds and integer Wh, never fractions. Floats, tags, undefined and other simple values, integers
// outside that range and indefinite lengths are refused with a reason, never raised. Strings are bytes:
// one that is valid UTF-8 is written as a text string, any other as a byte string; both decode as
// strings. Heads are built and read with arithmetic (Lua 5.1 has no bitwise operators) and every
// partial value stays below 2^31, so nothing passes through a float. A length is checked against the
// bytes left before anything is built, so a bad length field cannot make the decoder allocate.

import { idiv } from "./arith";
import { isArray, jarr, Json, JsonObject, JSON_NULL, utf8Len } from "./json";

export type CborValue = Json;

/** Deepest nesting of arrays and maps cborDecode accepts when not told otherwise (cborEncode too). */
export const CBOR_MAX_DEPTH = 16;

const FALSE = string.char(0xf4);
const TRUE = string.char(0xf5);
const NULL = string.char(0xf6);

// ---- encoder ----

/** The head of a data item: major type (times 32) and its argument n in 0 .. 2^31 - 1, in the shortest form. */
function head(major: number, n: number, out: string[]): void {
  if (n < 24) out[out.length] = string.char(major + n);
  else if (n < 256) out[out.length] = string.char(major + 24, n);
  else if (n < 65536) {
    const hi = idiv(n, 256);
    out[out.length] = string.char(major + 25, hi, n - hi * 256);
  } else {
    const hi = idiv(n, 65536);
    const lo = n - hi * 65536;
    const a = idiv(hi, 256);
    const b = idiv(lo, 256);
    out[out.length] = string.char(major + 26, a, hi - a * 256, b, lo - b * 256);
  }
}

/** Is s valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF)? */
function utf8(s: string): boolean {
  const n = s.length;
  let i = 1;
  while (i <= n) {
    const c = string.byte(s, i) as number;
    const k = c < 0x80 ? 1 : utf8Len(s, c, i);
    if (k === 0) return false;
    i = i + k;
  }
  return true;
}

function encString(s: string, out: string[]): void {
  head(utf8(s) ? 0x60 : 0x40, s.length, out);
  if (s.length > 0) out[out.length] = s;
}

function enc(v: CborValue, out: string[], depth: number): string | undefined {
  const t = type(v);
  if (t === "string") {
    encString(v as string, out);
    return undefined;
  }
  if (t === "number") {
    // An integer on Lua 5.3 even when v is an integral float: -1 - n below stays integer arithmetic.
    const n = math.floor(v as number);
    // float: 2^31 is a float on 32-bit VMs; an integer compares with it exactly, and NaN fails the first test.
    if (n !== v || n < -2147483648 || n >= 2147483648) return "number is not a 32-bit integer";
    if (n >= 0) head(0x00, n, out);
    else head(0x20, -1 - n, out);
    return undefined;
  }
  if (t === "boolean") {
    out[out.length] = v === true ? TRUE : FALSE;
    return undefined;
  }
  if (t !== "table") return "cannot encode a " + t;
  if (v === JSON_NULL) {
    out[out.length] = NULL;
    return undefined;
  }
  if (depth >= CBOR_MAX_DEPTH) return "nested too deep";
  // A table whose first key is a number is an array without holes, ARRAY_MT or not: an owner may write [a, b].
  if (isArray(v) || type(next(v as object)) === "number") {
    const a = v as Json[];
    head(0x80, a.length, out);
    for (let i = 0; i < a.length; i++) {
      const why = enc(a[i], out, depth + 1);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  let n = 0;
  for (const [k] of pairs(v as JsonObject)) {
    if (type(k) !== "string") return "map key is not a string";
    n = n + 1;
  }
  head(0xa0, n, out);
  for (const [k, x] of pairs(v as JsonObject)) {
    encString(k as string, out);
    const why = enc(x as Json, out, depth + 1);
    if (why !== undefined) return why;
  }
  return undefined;
}

/**
 * Appends the CBOR of v to out, in pieces (join them with table.concat). Returns undefined, or why v
 * cannot be encoded (out then holds a partial item: drop it).
 */
export function cborEncode(v: CborValue, out: string[]): string | undefined {
  return enc(v, out, 0);
}

// ---- decoder: one pass, recursion bounded by the depth ----

let src = "";
let pos = 1;
let depthLeft = 0;
let fail: string | undefined;

function bad(why: string): undefined {
  if (fail === undefined) fail = why;
  return undefined;
}

/** The argument of a head whose additional information is ai, read from pos on: 0 .. 2^31 - 1, or undefined (fail set). */
function argument(ai: number): number | undefined {
  if (ai < 24) return ai;
  let n: number;
  if (ai === 24) n = 1;
  else if (ai === 25) n = 2;
  else if (ai === 26) n = 4;
  else if (ai === 27) n = 8;
  else return bad(ai === 31 ? "indefinite length not supported" : "reserved additional information");
  if (pos + n - 1 > src.length) return bad("truncated");
  let at = pos;
  if (n === 8) {
    // Eight bytes: only the low four may be set.
    for (let i = 0; i < 4; i++) if (string.byte(src, pos + i) !== 0) return bad("integer beyond 32 bits");
    at = pos + 4;
    n = 4;
  }
  const b0 = string.byte(src, at) as number;
  if (n === 4 && b0 >= 128) return bad("integer beyond 32 bits");
  let v = b0;
  for (let i = 1; i < n; i++) v = v * 256 + (string.byte(src, at + i) as number);
  pos = at + n;
  return v;
}

function item(): CborValue | undefined {
  const c = string.byte(src, pos);
  if (c === undefined) return bad("truncated");
  pos = pos + 1;
  const major = idiv(c, 32);
  const ai = c - major * 32;
  if (major === 7) {
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return JSON_NULL;
    if (ai >= 25 && ai <= 27) return bad("floats not supported");
    return bad(ai === 31 ? "unexpected break" : "simple value not supported");
  }
  if (major === 6) return bad("tags not supported");
  const n = argument(ai);
  if (n === undefined) return undefined;
  if (major === 0) return n;
  if (major === 1) return -1 - n;
  const left = src.length - pos + 1;
  if (major === 2 || major === 3) {
    if (n > left) return bad("truncated string");
    const s = string.sub(src, pos, pos + n - 1);
    pos = pos + n;
    return s;
  }
  // Each element takes a byte at least, each map entry two: a count beyond that cannot be right.
  if (n > left || (major === 5 && n + n > left)) return bad("truncated");
  if (depthLeft <= 0) return bad("nested too deep");
  depthLeft = depthLeft - 1;
  let v: CborValue | undefined;
  if (major === 4) {
    const a: Json[] = jarr([]);
    for (let i = 0; i < n && fail === undefined; i++) {
      const x = item();
      if (x !== undefined) a[a.length] = x;
    }
    v = a;
  } else {
    const o: JsonObject = {};
    for (let i = 0; i < n && fail === undefined; i++) {
      const k = string.byte(src, pos);
      if (k === undefined) return bad("truncated");
      if (k < 0x40 || k >= 0x80) return bad("map key is not a string");
      const key = item() as string | undefined;
      const x = item();
      // rawset: a key such as "__proto__" is an ordinary key in Node too, as it is in Lua.
      if (key !== undefined && x !== undefined) rawset(o, key, x);
    }
    v = o;
  }
  depthLeft = depthLeft + 1;
  return fail === undefined ? v : undefined;
}

/**
 * Decodes the data item that starts at byte pos of bytes (1-based, as in Lua). Returns the value, the
 * position after it, and undefined; or undefined, the position where it failed, and why (never raises).
 * Arrays and maps deeper than maxDepth (default CBOR_MAX_DEPTH) are refused.
 */
export function cborDecode(bytes: string, at: number, maxDepth?: number): LuaMultiReturn<[CborValue | undefined, number, string | undefined]> {
  src = bytes;
  pos = at;
  depthLeft = maxDepth !== undefined ? maxDepth : CBOR_MAX_DEPTH;
  fail = undefined;
  let v = item();
  const why = fail;
  if (why !== undefined) v = undefined;
  src = "";
  fail = undefined;
  return $multi(v, pos, why);
}
