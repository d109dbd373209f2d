// Test image: the CBOR codec behind the line protocol, so codec tests run on every runtime.
// "E<JSON text>": the value encoded -> "OK\t<CBOR bytes>" / "ERR\t<reason>".
// "D<CBOR bytes>": decoded -> "OK\t<next position>\t<JSON text>" / "ERR\t<position>\t<reason>".
// "R<CBOR bytes>": decoded and encoded again -> "OK\t<CBOR bytes>" / "ERR\t<reason>".

import { cborDecode, cborEncode } from "../../firmware/cbor";
import { jsonDecode, jsonEncode, JsonObject, JSON_NULL, NULL_TEXT } from "../../firmware/json";

function encode(v: JsonObject): string {
  const out: string[] = [];
  const why = cborEncode(v, out);
  return why !== undefined ? "ERR\t" + why : "OK\t" + table.concat(out);
}

export function event(line: string): string {
  const cmd = string.sub(line, 1, 1);
  const arg = string.sub(line, 2);
  if (cmd === "E") {
    const [v, why] = jsonDecode(arg, 32, false);
    if (why === NULL_TEXT) return encode(JSON_NULL);
    if (v === undefined) return "ERR\tbad JSON: " + (why as string);
    return encode(v as JsonObject);
  }
  const [v, at, why] = cborDecode(arg, 1);
  if (v === undefined) return "ERR\t" + string.format("%d", at) + "\t" + (why !== undefined ? why : "no value and no reason");
  if (cmd === "R") return encode(v as JsonObject);
  return "OK\t" + string.format("%d", at) + "\t" + jsonEncode(v as JsonObject);
}
