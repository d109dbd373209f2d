// JSON text <-> plain tables: RFC 8259 with bounded nesting, UTF-8 checked, byte strings throughout.
//
// Arrays carry ARRAY_MT as metatable, so `[]` and `{}` stay distinct after decoding and the
// encoder never has to guess. JSON null is JSON_NULL, a value no OCPP schema admits (Part 4 §4.1.5:
// an empty field is left out, never null), so the validator refuses it as a type violation; in
// lenient mode (a CSMS's responses) null in an object means the field is absent. A value nested
// deeper than the bound is skipped without building anything and stands as JSON_DEEP, which no
// schema admits either: the frame around it keeps its shape and its id.

export type Json = string | number | boolean | JsonObject | Json[];
export interface JsonObject { [key: string]: Json | undefined }

const ARRAY_MT = {};
const RAW_MT = {};
const NULL_MT = {};
const DEEP_MT = {};

/** JSON null. Encoded as null. */
export const JSON_NULL: JsonObject = setmetatable({}, NULL_MT);

/** A value nested deeper than the decoder's bound, skipped unread (strings and brackets checked). */
export const JSON_DEEP: JsonObject = setmetatable({}, DEEP_MT);

/** Reason jsonDecode gives for a text that is JSON null itself: valid JSON, but no value. */
export const NULL_TEXT = "null";

/** Marks a table as a JSON array for the encoder; returns the same table. */
export function jarr<T>(t: T[]): T[] {
  return setmetatable(t, ARRAY_MT);
}

/** JSON text the encoder writes as it is: a value encoded once, kept or built as text (meter values). */
export function jraw(text: string): Json {
  return setmetatable({ text }, RAW_MT) as unknown as Json;
}

export function isArray(v: unknown): boolean {
  return type(v) === "table" && getmetatable(v as object) === ARRAY_MT;
}

export function isObject(v: unknown): boolean {
  return type(v) === "table" && getmetatable(v as object) === undefined;
}

// ---- decoder: one pass over the bytes, recursion bounded by maxDepth ----

let src = "";
let pos = 1;
let depthLeft = 0;
let fail: string | undefined;
/** Null in an object means absent (the lenient mode of jsonDecode). */
let nullIsAbsent = false;

function bad(why: string): undefined {
  if (fail === undefined) fail = why + " at byte " + string.format("%d", pos);
  return undefined;
}

function skipWs(): number | undefined {
  let c = string.byte(src, pos);
  while (c === 32 || c === 9 || c === 10 || c === 13) {
    pos = pos + 1;
    c = string.byte(src, pos);
  }
  return c;
}

function hex4(at: number): number | undefined {
  let v = 0;
  for (let i = at; i < at + 4; i++) {
    const c = string.byte(src, i);
    if (c === undefined) return undefined;
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return undefined;
    v = v * 16 + d;
  }
  return v;
}

function utf8Char(cp: number): string {
  // float: cp < 2^21, so each float quotient below is exact enough for math.floor on every VM.
  if (cp < 0x80) return string.char(cp);
  if (cp < 0x800) return string.char(0xc0 + math.floor(cp / 64), 0x80 + (cp - math.floor(cp / 64) * 64));
  if (cp < 0x10000) {
    const a = math.floor(cp / 4096);
    const b = math.floor((cp - a * 4096) / 64);
    return string.char(0xe0 + a, 0x80 + b, 0x80 + (cp - a * 4096 - b * 64));
  }
  const a = math.floor(cp / 262144);
  const r = cp - a * 262144;
  const b = math.floor(r / 4096);
  const c = math.floor((r - b * 4096) / 64);
  return string.char(0xf0 + a, 0x80 + b, 0x80 + c, 0x80 + (r - b * 4096 - c * 64));
}

/** At most maxBytes of a UTF-8 string, cut at a character boundary (never half a sequence). */
export function utf8Prefix(s: string, maxBytes: number): string {
  if (s.length <= maxBytes) return s;
  let n = maxBytes;
  let b = string.byte(s, n + 1) as number;
  while (n > 0 && b >= 0x80 && b <= 0xbf) {
    n = n - 1;
    b = string.byte(s, n + 1) as number;
  }
  return string.sub(s, 1, n);
}

/** Length of the valid UTF-8 sequence of s starting with lead byte c (>= 0x80) at i, or 0 when invalid (also for CBOR). */
function utf8Len(s: string, c: number, i: number): number {
  let n: number;
  let min: number;
  let cp: number;
  if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; cp = c - 0xc0; }
  else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; cp = c - 0xe0; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; cp = c - 0xf0; }
  else return 0;
  for (let k = 1; k <= n; k++) {
    const d = string.byte(s, i + k);
    if (d === undefined || d < 0x80 || d > 0xbf) return 0;
    cp = cp * 64 + (d - 0x80);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 (RFC 3629).
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return n + 1;
}

function readString(): string | undefined {
  // pos is at the opening quote
  let i = pos + 1;
  const start = i;
  let parts: string[] | undefined;
  let runStart = start;
  for (;;) {
    const c = string.byte(src, i);
    if (c === undefined) { pos = i; return bad("unterminated string"); }
    if (c === 34) break;
    if (c < 32) { pos = i; return bad("control character in string"); }
    if (c === 92) {
      if (parts === undefined) parts = [];
      parts[parts.length] = string.sub(src, runStart, i - 1);
      const e = string.byte(src, i + 1);
      let piece: string | undefined;
      let used = 2;
      if (e === 34) piece = "\"";
      else if (e === 92) piece = "\\";
      else if (e === 47) piece = "/";
      else if (e === 98) piece = "\b";
      else if (e === 102) piece = "\f";
      else if (e === 110) piece = "\n";
      else if (e === 114) piece = "\r";
      else if (e === 116) piece = "\t";
      else if (e === 117) {
        let cp = hex4(i + 2);
        used = 6;
        if (cp !== undefined && cp >= 0xd800 && cp <= 0xdbff) {
          // A high surrogate must be followed by an escaped low surrogate.
          const lo = string.byte(src, i + 6) === 92 && string.byte(src, i + 7) === 117 ? hex4(i + 8) : undefined;
          if (lo === undefined || lo < 0xdc00 || lo > 0xdfff) cp = undefined;
          else { cp = 0x10000 + (cp - 0xd800) * 1024 + (lo - 0xdc00); used = 12; }
        } else if (cp !== undefined && cp >= 0xdc00 && cp <= 0xdfff) {
          cp = undefined;
        }
        if (cp !== undefined) piece = utf8Char(cp);
      }
      if (piece === undefined) { pos = i; return bad("bad escape"); }
      parts[parts.length] = piece;
      i = i + used;
      runStart = i;
    } else if (c >= 128) {
      const n = utf8Len(src, c, i);
      if (n === 0) { pos = i; return bad("invalid UTF-8"); }
      i = i + n;
    } else {
      i = i + 1;
    }
  }
  pos = i + 1;
  if (parts === undefined) return string.sub(src, start, i - 1);
  parts[parts.length] = string.sub(src, runStart, i - 1);
  return table.concat(parts);
}

/** An ASCII digit byte? */
function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function readNumber(): number | undefined {
  const start = pos;
  let c = string.byte(src, pos);
  if (c === 45) { pos = pos + 1; c = string.byte(src, pos); }
  if (c === 48) { pos = pos + 1; c = string.byte(src, pos); }
  else if (isDigit(c)) { while (isDigit(c)) { pos = pos + 1; c = string.byte(src, pos); } }
  else return bad("bad number");
  if (c === 46) {
    pos = pos + 1; c = string.byte(src, pos);
    if (!isDigit(c)) return bad("bad number");
    while (isDigit(c)) { pos = pos + 1; c = string.byte(src, pos); }
  }
  if (c === 101 || c === 69) {
    pos = pos + 1; c = string.byte(src, pos);
    if (c === 43 || c === 45) { pos = pos + 1; c = string.byte(src, pos); }
    if (!isDigit(c)) return bad("bad number");
    while (isDigit(c)) { pos = pos + 1; c = string.byte(src, pos); }
  }
  return tonumber(string.sub(src, start, pos - 1));
}

function literal(word: string, value: Json | undefined): Json | undefined {
  if (string.sub(src, pos, pos + word.length - 1) !== word) return bad("bad literal");
  pos = pos + word.length;
  return value;
}

/**
 * Skips the object or array at pos, past the nesting bound: strings are checked for UTF-8 and
 * control characters (escapes are stepped over, not read), brackets only for balance; nothing is
 * allocated, however deep it goes.
 */
function skipDeep(): Json | undefined {
  let open = 0;
  for (;;) {
    const c = string.byte(src, pos);
    if (c === undefined) return bad("unexpected end");
    if (c === 34) {
      let i = pos + 1;
      for (;;) {
        const d = string.byte(src, i);
        if (d === undefined || d < 32) { pos = i; return bad(d === undefined ? "unterminated string" : "control character in string"); }
        if (d === 34) break;
        if (d === 92) i = i + 2;
        else if (d >= 128) {
          const n = utf8Len(src, d, i);
          if (n === 0) { pos = i; return bad("invalid UTF-8"); }
          i = i + n;
        } else i = i + 1;
      }
      pos = i + 1;
    } else {
      if (c === 91 || c === 123) open = open + 1;
      else if (c === 93 || c === 125) open = open - 1;
      pos = pos + 1;
      if (open === 0) return JSON_DEEP;
    }
  }
}

// `undefined` with fail unset means JSON null.
function readValue(): Json | undefined {
  const c = skipWs();
  if (c === 34) return readString();
  if (c === 123 || c === 91) {
    if (depthLeft <= 0) return skipDeep();
    depthLeft = depthLeft - 1;
    pos = pos + 1;
    const v = c === 123 ? readObject() : readArray();
    depthLeft = depthLeft + 1;
    return v;
  }
  if (c === 116) return literal("true", true);
  if (c === 102) return literal("false", false);
  if (c === 110) return literal("null", undefined);
  if (c === 45 || isDigit(c)) return readNumber();
  return bad(c === undefined ? "unexpected end" : "unexpected character");
}

function readObject(): JsonObject | undefined {
  const obj: JsonObject = {};
  let c = skipWs();
  if (c === 125) { pos = pos + 1; return obj; }
  for (;;) {
    if (c !== 34) return bad("expected key");
    const key = readString();
    if (key === undefined) return undefined;
    if (skipWs() !== 58) return bad("expected ':'");
    pos = pos + 1;
    const v = readValue();
    if (fail !== undefined) return undefined;
    // rawset: a key such as "__proto__" is an ordinary key in Node too, as it is in Lua.
    rawset(obj, key, v !== undefined ? v : nullIsAbsent ? undefined : JSON_NULL);
    c = skipWs();
    pos = pos + 1;
    if (c === 125) return obj;
    if (c !== 44) { pos = pos - 1; return bad("expected ',' or '}'"); }
    c = skipWs();
  }
}

function readArray(): Json[] | undefined {
  const arr: Json[] = jarr([]);
  let c = skipWs();
  if (c === 93) { pos = pos + 1; return arr; }
  for (;;) {
    const v = readValue();
    if (fail !== undefined) return undefined;
    arr[arr.length] = v !== undefined ? v : JSON_NULL;
    c = skipWs();
    pos = pos + 1;
    if (c === 93) return arr;
    if (c !== 44) { pos = pos - 1; return bad("expected ',' or ']'"); }
  }
}

/**
 * Decodes one JSON text with at most maxDepth nested objects and arrays (deeper ones are JSON_DEEP).
 * Returns the value, or undefined and always a reason: the syntax error, or NULL_TEXT for a text that
 * is just null. lenient: null in an object means the field is absent.
 */
export function jsonDecode(text: string, maxDepth: number, lenient: boolean): LuaMultiReturn<[Json | undefined, string | undefined]> {
  src = text;
  pos = 1;
  depthLeft = maxDepth;
  fail = undefined;
  nullIsAbsent = lenient;
  let v = readValue();
  if (fail === undefined && skipWs() !== undefined) bad("trailing characters");
  if (fail === undefined && v === undefined) fail = NULL_TEXT;
  const why = fail;
  if (why !== undefined) v = undefined;
  src = "";
  fail = undefined;
  return $multi(v, why);
}

// ---- encoder ----

// Is this a single-float VM (NodeMCU ESP32 builds)? The half makes the sums float arithmetic even on
// VMs where 16777216 is an integer; 2^24 + 0.5 rounds back to 2^24 in single precision only. A
// variable, not a literal, so that no compiler folds the sum on the (double) build host.
const HALF = 0.5;
const SINGLE = 16777216 + HALF + HALF === 16777216;
// Doubles print 14 significant digits, not 17 of noise; single floats 7 (NodeMCU's own tostring).
const FLOAT_FMT = SINGLE ? "%.7g" : "%.14g";

/** Numbers as JSON: integers without a decimal point on every VM (Lua 5.3 prints 3.0 for floats). */
function fmtNum(n: number): string {
  if (n !== n || n === math.huge || n === -math.huge) return "0";
  if (math.floor(n) === n) {
    // float: 2^31 is a float on 32-bit VMs; an integer compares with it exactly.
    if (n > -2147483648 && n < 2147483648) return string.format("%d", n);
    return string.format("%.0f", n);
  }
  const s = string.format(FLOAT_FMT, n);
  if (!SINGLE || tonumber(s) === n) return s;
  // A single float needs up to 9 digits to read back as itself (12345.678 is not 12345.68).
  const s8 = string.format("%.8g", n);
  return tonumber(s8) === n ? s8 : string.format("%.9g", n);
}

const ESC: { [b: number]: string } = { [34]: "\\\"", [92]: "\\\\", [8]: "\\b", [12]: "\\f", [10]: "\\n", [13]: "\\r", [9]: "\\t" };

/** Appends s as a JSON string to out, in pieces: an unescaped string is pushed as it is, not copied. */
function jsonWriteString(s: string, out: string[]): void {
  const n = s.length;
  let runStart = 1;
  out[out.length] = "\"";
  for (let i = 1; i <= n; i++) {
    const c = string.byte(s, i) as number;
    if (c === 34 || c === 92 || c < 32) {
      if (i > runStart) out[out.length] = string.sub(s, runStart, i - 1);
      const e = ESC[c];
      out[out.length] = e !== undefined ? e : string.format("\\u%04x", c);
      runStart = i + 1;
    }
  }
  if (runStart === 1) out[out.length] = s;
  else if (runStart <= n) out[out.length] = string.sub(s, runStart, n);
  out[out.length] = "\"";
}

/** Pieces squash joins into one: bounds the piece table of a large payload. */
const SQUASH = 96;

/**
 * Joins the pieces from `mark` on into one once there are SQUASH of them; the index the next ones
 * start at. A payload of n pieces (about 5 bytes each) would otherwise grow a table of n slots of
 * 16 bytes, doubled as it grows; so every byte is copied once more and the table stays small.
 */
function squash(out: string[], mark: number): number {
  const n = out.length;
  if (n - mark < SQUASH) return mark;
  out[mark] = table.concat(out, "", mark + 1, n);
  for (let i = n - 1; i > mark; i--) table.remove(out);
  return mark + 1;
}

/** Appends the JSON text of v to out, in pieces (join them with table.concat). */
function jsonWrite(v: Json, out: string[]): void {
  write(v, out, out.length);
}

/** jsonWrite: the pieces from `mark` on are this call's own; the mark it leaves. */
function write(v: Json, out: string[], mark: number): number {
  const t = type(v);
  if (t === "string") jsonWriteString(v as string, out);
  else if (t === "number") out[out.length] = fmtNum(v as number);
  else if (t === "boolean") out[out.length] = v === true ? "true" : "false";
  else {
    const mt = getmetatable(v as object);
    if (mt === NULL_MT) out[out.length] = "null";
    else if (mt === RAW_MT) out[out.length] = (v as unknown as { text: string }).text;
    else if (mt === ARRAY_MT) {
      const a = v as Json[];
      out[out.length] = "[";
      for (let i = 0; i < a.length; i++) {
        if (i > 0) out[out.length] = ",";
        mark = squash(out, write(a[i], out, mark));
      }
      out[out.length] = "]";
    } else {
      let first = true;
      out[out.length] = "{";
      for (const [k, x] of pairs(v as JsonObject)) {
        if (!first) out[out.length] = ",";
        first = false;
        jsonWriteString(k as string, out);
        out[out.length] = ":";
        mark = squash(out, write(x as Json, out, mark));
      }
      out[out.length] = "}";
    }
  }
  return mark;
}

/** Encodes a value; tables without ARRAY_MT are objects. */
export function jsonEncode(v: Json): string {
  const out: string[] = [];
  jsonWrite(v, out);
  return table.concat(out);
}

export { utf8Len, isDigit, fmtNum, jsonWriteString, jsonWrite };
