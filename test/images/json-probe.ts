// Test image: the JSON codec behind the line protocol, so codec fixtures run on every runtime.
// "<text>" in, "OK\t<re-encoded>" / "NULL" / "ERR\t<reason>" out.

import { jsonDecode, jsonEncode } from "../../firmware/json";

export function event(text: string): string {
  const [v, why] = jsonDecode(text, 16);
  if (why !== undefined) return "ERR\t" + why;
  if (v === undefined) return "NULL";
  return "OK\t" + jsonEncode(v);
}
