// The lua5.3-f32 fixture table (test/fixtures/f32-nodemcu.json): Lua snippets with the output NodeMCU's own
// Lua 5.3 VM gave for each. Shared by the test (test/f32.test.ts) and the recorder (test/f32-record.ts).

import * as fs from "node:fs";
import * as path from "node:path";

export interface F32Case {
  /** A heading for a group of cases. */
  group: string;
  /** A Lua chunk; its results are shown as "<math.type or type> <tostring>" joined by ", ". */
  lua: string;
  /** What NodeMCU's luac.cross -e printed for it. */
  nodemcu: string;
  /** Only where lua5.3-f32 differs: what it prints instead (pinned, so a change is noticed either way). */
  f32?: string;
  /** Why the difference cannot be removed. */
  why?: string;
}

export interface F32Fixture {
  about: string;
  cases: F32Case[];
}

export const FIXTURE_FILE = path.join(__dirname, "fixtures", "f32-nodemcu.json");

export function readFixture(): F32Fixture {
  return JSON.parse(fs.readFileSync(FIXTURE_FILE, "utf8")) as F32Fixture;
}

/**
 * Defines the global __f32_show(code) in a Lua 5.3 VM: runs code and describes its results, or its error
 * without the "chunk:line:" prefix. The same text runs in NodeMCU's VM and in lua5.3-f32.
 */
export const SHOW_LUA = `
function __f32_show(code)
  local f, err = load(code, "=case")
  if not f then return "compile error: " .. (tostring(err):gsub("^case:%d+: ", "")) end
  local r = table.pack(pcall(f))
  if not r[1] then return "error: " .. (tostring(r[2]):gsub("^case:%d+: ", "")) end
  local out = {}
  for i = 2, r.n do
    local v = r[i]
    out[#out + 1] = (math.type(v) or type(v)) .. " " .. tostring(v)
  end
  return table.concat(out, ", ")
end
`;

/**
 * Output with the sign of NaN dropped: printf shows it ("-nan"), but it is whatever the host CPU makes
 * (x86's default NaN has it, ARM's not) in NodeMCU's host tool and in V8 alike; not part of the model.
 */
export function nanless(out: string): string {
  return out.replace(/-nan/g, "nan");
}

/** A Lua long string holding s. */
export function longString(s: string): string {
  let eq = "";
  while ((s + "]").includes(`]${eq}]`)) eq += "="; // s may end in "]"
  return `[${eq}[${s}]${eq}]`;
}
