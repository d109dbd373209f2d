// Test image: the integer-exact helpers and what uses them, behind the line protocol, so the same
// cases run on every runtime. "<cmd> <arg>,<arg>,..." in, one result per argument joined by "," out:
// iso <epoch> (isoTime), parse <RFC 3339> (parseIsoTime, "nil" when refused),
// idiv <a>:<b>, imod <a>:<b>, num <JSON number> (decoded, then fmtNum).

import { idiv, imod } from "../../firmware/arith";
import { fmtNum, jsonDecode } from "../../firmware/json";
import { isoTime, parseIsoTime } from "../../firmware/time";

function one(cmd: string, arg: string): string {
  if (cmd === "iso") return isoTime(tonumber(arg) as number);
  if (cmd === "parse") {
    const t = parseIsoTime(arg);
    return t === undefined ? "nil" : fmtNum(t);
  }
  if (cmd === "num") {
    const [v] = jsonDecode(arg, 1, false);
    return fmtNum(v as number);
  }
  const [colon] = string.find(arg, ":", 1, true);
  const a = tonumber(string.sub(arg, 1, (colon as number) - 1)) as number;
  const b = tonumber(string.sub(arg, (colon as number) + 1)) as number;
  return fmtNum(cmd === "idiv" ? idiv(a, b) : imod(a, b));
}

export function event(line: string): string {
  const [sp] = string.find(line, " ", 1, true);
  const cmd = string.sub(line, 1, (sp as number) - 1);
  const out: string[] = [];
  let at = (sp as number) + 1;
  for (;;) {
    const [comma] = string.find(line, ",", at, true);
    out[out.length] = one(cmd, string.sub(line, at, comma === undefined ? line.length : comma - 1));
    if (comma === undefined) break;
    at = comma + 1;
  }
  return table.concat(out, ",");
}
