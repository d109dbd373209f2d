// Test image: the JSON codec behind the line protocol, so codec fixtures run on every runtime.
// "<text>" in (strict), "L<text>" in (lenient: null in an object is absent);
// "OK\t<re-encoded>" / "NULL" / "ERR\t<reason>" out, "DEEP" where a value was past the bound.

import { isArray, isObject, JSON_DEEP, jsonDecode, jsonEncode, JsonObject, NULL_TEXT } from "../../firmware/json";

/** Replaces every JSON_DEEP by the string "DEEP", so the fixtures can say where the bound cut. */
function mark(v: unknown): unknown {
  if (v === JSON_DEEP) return "DEEP";
  if (isArray(v)) {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++) a[i] = mark(a[i]);
  } else if (isObject(v)) {
    for (const [k, x] of pairs(v as JsonObject)) rawset(v as JsonObject, k as string, mark(x));
  }
  return v;
}

export function event(text: string): string {
  const lenient = string.byte(text, 1) === 76;
  const [v, why] = jsonDecode(lenient ? string.sub(text, 2) : text, 16, lenient);
  if (why === NULL_TEXT && v === undefined) return "NULL";
  if (why !== undefined || v === undefined) return "ERR\t" + (why !== undefined ? why : "no value and no reason");
  return "OK\t" + jsonEncode(mark(v) as JsonObject);
}
