// Test image: the JSON codec behind the line protocol, so codec fixtures run on every runtime.
// "<text>" in, "OK\t<re-encoded>" / "NULL" / "ERR\t<reason>" out.

import { jsonDecode, jsonEncode, NULL_TEXT } from "../../firmware/json";

export function event(text: string): string {
  const [v, why] = jsonDecode(text, 16);
  if (why === NULL_TEXT && v === undefined) return "NULL";
  if (why !== undefined || v === undefined) return "ERR\t" + (why !== undefined ? why : "no value and no reason");
  return "OK\t" + jsonEncode(v);
}
