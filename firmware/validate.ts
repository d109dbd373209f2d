// Checks a decoded OCPP-J payload against the compact schema strings that build/gen-schemas.ts emits.
//
// A schema is one string; definitions shared by several messages live in one more string, stored in
// the same table under DEFS_KEY. Strings rather than nested tables because a string constant costs
// one object (and can stay in flash with LFS) where a table tree costs RAM for as long as it lives.
//
// Grammar of one type spec (numeric parameters come before the code, so that every property name
// inside an object follows a punctuation byte and one plain string.find locates it):
//   spec := [A] ["," [B]] code
//   "$"  string, A = maxLength in characters         "&"  RFC 3339 date-time string
//   "#"  integer, A = minimum, B = maximum           "%"  number, A = minimum, B = maximum
//   "!"  boolean                                     "<" v1 "|" v2 ... ">"  one of these strings
//   "?"  any value (DataTransfer's data)
//   "[" spec   array of spec, A = minItems, B = maxItems
//   "@"  the spec at byte A of the shared definitions string
//   "{" ["*"] ["+"] { name ("=" | ":") spec } "}"
//        object; "=" marks a required property, ":" an optional one; "*" admits properties not
//        listed (additionalProperties true); "+" admits an optional customData property checked
//        against the object at byte 1 of the definitions (CustomDataType, present on nearly every
//        object, so it costs one byte instead of fourteen).
// Objects never nest inline (a child object is always an "@" reference), so the text between an
// object's braces holds only its own property names: a lookup cannot land in a child.
//
// Validation walks the payload, not the schema: each key present is searched in the object's text,
// required ones are counted, and only when the count falls short is the missing name looked up.
// Nothing is allocated unless a violation is found; recursion follows the payload's nesting.

import { isArray, isDigit, isObject, Json, JSON_DEEP, JsonObject, utf8Prefix } from "./json";
import { isoScan } from "./time";

/** One compact type spec (see the grammar above); a message's schema is an object spec. */
export type Schema = string;

/** Key of the shared definitions string in the schemas table handed to validate(). */
export const DEFS_KEY = "$defs";

const OCCURRENCE = "OccurrenceConstraintViolation";
const TYPE = "TypeConstraintViolation";
const PROPERTY = "PropertyConstraintViolation";
const FORMAT = "FormatViolation";

// Set by whichever check fails; read only when a description was returned.
let errCode = FORMAT;
// The shared definitions of the validate() call in progress.
let defs = "";
// Reading a CSMS's answer: date-times without a zone pass (read as UTC), integers beyond 32 bits too.
let lenient = false;

function isAlnum(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122));
}

/** The optionally negative decimal integer at byte p of s, or undefined when there is none. */
function intAt(s: string, p: number): number | undefined {
  let c = string.byte(s, p);
  let sign = 1;
  if (c === 45) {
    sign = -1;
    p = p + 1;
    c = string.byte(s, p);
  }
  if (!isDigit(c)) return undefined;
  let n = 0;
  while (isDigit(c)) {
    n = n * 10 + (c as number) - 48;
    p = p + 1;
    c = string.byte(s, p);
  }
  return sign * n;
}

/** Prefixes a description ("name: why", "[2].x: why", ": why") with one more path step. */
function join(step: string, why: string): string {
  const c = string.byte(why, 1);
  if (c === 58 || c === 91) return step + why;
  return step + "." + why;
}

function fail(code: string, why: string): string {
  errCode = code;
  return why;
}

/** Characters of a UTF-8 byte string: every byte that is not a continuation byte starts one. */
function utf8Chars(s: string): number {
  let n = 0;
  for (let i = 1; i <= s.length; i++) {
    const b = string.byte(s, i) as number;
    if (b < 0x80 || b > 0xbf) n = n + 1;
  }
  return n;
}

/** RFC 3339 date-time (time.ts isoScan); without a zone only where zoneOptional. */
function isDateTime(s: string, zoneOptional?: boolean): boolean {
  const [days] = isoScan(s, zoneOptional === true);
  return days !== undefined;
}

/** Whether v is one of the "|"-separated values between the "<" at byte open and the next ">". */
function inEnum(v: string, s: string, open: number): boolean {
  const [close] = string.find(s, ">", open, true);
  // Schema values never hold "|", so a value that does could only match across two of them.
  if (v.length === 0 || string.find(v, "|", 1, true)[0] !== undefined) return false;
  let init = open + 1;
  for (;;) {
    const [a, b] = string.find(s, v, init, true);
    if (a === undefined || (b as number) >= (close as number)) return false;
    const before = string.byte(s, a - 1);
    const after = string.byte(s, (b as number) + 1);
    if ((before === 60 || before === 124) && (after === 124 || after === 62)) return true;
    init = a + 1;
  }
}

/** Byte after the name k in the object text s[from..to] (its "=" or ":"), or undefined. */
function findProp(s: string, k: string, from: number, to: number): number | undefined {
  const n = k.length;
  if (n === 0) return undefined;
  // Schema names are alphanumeric; any other key could match across punctuation.
  for (let i = 1; i <= n; i++) if (!isAlnum(string.byte(k, i))) return undefined;
  let init = from;
  for (;;) {
    const [a, b] = string.find(s, k, init, true);
    if (a === undefined || (b as number) >= to) return undefined;
    const after = string.byte(s, (b as number) + 1);
    if ((after === 61 || after === 58) && !isAlnum(string.byte(s, a - 1))) return (b as number) + 1;
    init = a + 1;
  }
}

/** Byte after the spec that starts at byte p of s (parameters, code, enum list, array item spec). */
function skipSpec(s: string, p: number): number {
  let c = string.byte(s, p) as number;
  while ((c >= 48 && c <= 57) || c === 45 || c === 44) {
    p = p + 1;
    c = string.byte(s, p) as number;
  }
  if (c === 60) {
    const [gt] = string.find(s, ">", p, true);
    return (gt as number) + 1;
  }
  if (c === 91) return skipSpec(s, p + 1);
  return p + 1;
}

/**
 * Walks the object's properties in schema order, so the violation reported for a payload with
 * several is the same on every runtime (payload key order is the hash order of the VM): values and
 * missing required properties in schema order first, then properties the schema does not have.
 */
function checkObject(v: unknown, s: string, open: number): string | undefined {
  if (!isObject(v)) return fail(TYPE, ": expected object");
  const o = v as JsonObject;
  const [close] = string.find(s, "}", open, true);
  const to = close as number;
  let from = open + 1;
  const extra = string.byte(s, from) === 42;
  if (extra) from = from + 1;
  const custom = string.byte(s, from) === 43;
  if (custom) from = from + 1;
  let known = 0;
  let p = from;
  while (p < to) {
    // A name runs to its "=" (required) or ":" (optional); names are alphanumeric, so the nearer wins.
    const [eq] = string.find(s, "=", p, true);
    const [colon] = string.find(s, ":", p, true);
    const e = eq === undefined || (colon !== undefined && colon < eq) ? (colon as number) : eq;
    const name = string.sub(s, p, e - 1);
    const x = o[name];
    if (x !== undefined) {
      known = known + 1;
      const why = checkValue(x, s, e + 1);
      if (why !== undefined) return join(name, why);
    } else if (string.byte(s, e) === 61) {
      return fail(OCCURRENCE, name + ": required property missing");
    }
    p = skipSpec(s, e + 1);
  }
  if (custom && o.customData !== undefined) {
    known = known + 1;
    const why = checkObject(o.customData, defs, 1);
    if (why !== undefined) return join("customData", why);
  }
  if (extra) return undefined;
  let total = 0;
  for (const [_k] of pairs<string, Json | undefined>(o)) total = total + 1;
  if (total === known) return undefined;
  // Name the smallest unknown key: the same one on every runtime.
  let unknown: string | undefined;
  for (const [k] of pairs<string, Json | undefined>(o)) {
    const isCustom = custom && k === "customData";
    if (!isCustom && findProp(s, k, from, to) === undefined && (unknown === undefined || k < unknown)) unknown = k;
  }
  return join(unknown as string, fail(PROPERTY, ": property not in schema"));
}

/** Checks v against the spec at byte p of s; undefined when valid, else the description. */
function checkValue(v: unknown, s: string, p: number): string | undefined {
  // Past the decoder's bound (the deepest schema of the build): no schema admits it, "any" neither.
  if (v === JSON_DEEP) return fail(FORMAT, ": nested deeper than any message of this build");
  // Skip the parameters to reach the code; remember where B starts.
  let q = p;
  let comma = 0;
  let c = string.byte(s, q) as number;
  while ((c >= 48 && c <= 57) || c === 45 || c === 44) {
    if (c === 44) comma = q;
    q = q + 1;
    c = string.byte(s, q) as number;
  }
  if (c === 64) return checkValue(v, defs, intAt(s, p) as number);
  if (c === 123) return checkObject(v, s, q);
  if (c === 63) return undefined;
  const t = type(v);
  if (c === 36) {
    if (t !== "string") return fail(TYPE, ": expected string");
    const max = intAt(s, p);
    // Bytes bound characters from above, so only an over-long byte count needs the slow count.
    if (max !== undefined && (v as string).length > max && utf8Chars(v as string) > max) {
      return fail(FORMAT, string.format(": too long (max %d characters)", max));
    }
    return undefined;
  }
  if (c === 60) {
    if (t !== "string") return fail(TYPE, ": expected string");
    if (!inEnum(v as string, s, q)) return fail(PROPERTY, ": value not allowed");
    return undefined;
  }
  if (c === 38) {
    if (t !== "string") return fail(TYPE, ": expected string");
    if (!isDateTime(v as string, lenient)) return fail(PROPERTY, ": not an RFC 3339 date-time");
    return undefined;
  }
  if (c === 35 || c === 37) {
    if (t !== "number") return fail(TYPE, c === 35 ? ": expected integer" : ": expected number");
    const n = v as number;
    // 5.0 is an integer (JSON Schema counts values, not spellings); 5.5 is not.
    if (c === 35 && math.floor(n) !== n) return fail(TYPE, ": expected integer");
    // Part 2 §2.1.1: an OCPP integer is 32 bits; a 32-bit VM could not even echo a larger one. -2^31
    // is refused too: a single float cannot tell it from -2^31 - 1. A CSMS's answers are read leniently
    // (the handler clamps what it takes).
    if (c === 35 && !lenient && (n > 2147483647 || n < -2147483647)) return fail(PROPERTY, ": outside the 32-bit integer range");
    const min = intAt(s, p);
    if (min !== undefined && n < min) return fail(PROPERTY, string.format(": below minimum %d", min));
    const max = comma > 0 ? intAt(s, comma + 1) : undefined;
    if (max !== undefined && n > max) return fail(PROPERTY, string.format(": above maximum %d", max));
    return undefined;
  }
  if (c === 33) {
    if (t !== "boolean") return fail(TYPE, ": expected boolean");
    return undefined;
  }
  if (c === 91) {
    if (!isArray(v)) return fail(TYPE, ": expected array");
    const a = v as unknown[];
    const n = a.length;
    const min = intAt(s, p);
    if (min !== undefined && n < min) return fail(OCCURRENCE, string.format(": fewer than %d items", min));
    const max = comma > 0 ? intAt(s, comma + 1) : undefined;
    if (max !== undefined && n > max) return fail(OCCURRENCE, string.format(": more than %d items", max));
    for (let i = 0; i < n; i++) {
      const why = checkValue(a[i], s, q + 1);
      if (why !== undefined) return join(string.format("[%d]", i), why);
    }
    return undefined;
  }
  return error("bad schema code at byte " + string.format("%d", q));
}

/**
 * Validates a decoded payload against a message's schema; `schemas` is the generated SCHEMAS table
 * (its DEFS_KEY entry holds the shared definitions). Returns the OCPP-J error code and a description
 * of at most 255 bytes naming the JSON path of the first violation found, or nothing when valid.
 * forResponse (a CSMS's answers): read leniently, see `lenient` above.
 */
function validate(
  payload: unknown,
  schema: Schema,
  schemas: { [name: string]: Schema },
  forResponse?: boolean,
): LuaMultiReturn<[string | undefined, string | undefined]> {
  if (!isObject(payload)) return $multi(FORMAT, "payload: not a JSON object");
  lenient = forResponse === true;
  const d = schemas[DEFS_KEY];
  defs = d !== undefined ? d : "";
  const why = checkObject(payload, schema, 1);
  if (why === undefined) return $multi(undefined, undefined);
  // Never half a UTF-8 sequence from a long key.
  return $multi(errCode, utf8Prefix(why, 255));
}

export { utf8Chars, isDateTime, validate };
