// Records test/fixtures/f32-nodemcu.json: runs every case in NodeMCU's own Lua 5.3 VM (its host
// cross-compiler luac.cross, built from nodemcu-firmware app/lua53/host: 32-bit integers, single floats)
// and in lua5.3-f32, writes NodeMCU's outputs and pins each difference. Not part of `npm test` (the tool
// is not a dependency): run it by hand after adding a case, then explain each new difference in "why".
//
//   npx tsx test/f32-record.ts /path/to/luac.cross

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { FIXTURE_FILE, longString, nanless, readFixture, SHOW_LUA } from "./f32-fixture";

const luac = process.argv[2];
if (luac === undefined) {
  process.stderr.write("usage: npx tsx test/f32-record.ts /path/to/luac.cross\n");
  process.exit(2);
}
const fixture = readFixture();
const script = [SHOW_LUA, ...fixture.cases.map((c, i) => `print(${i + 1} .. "\\t" .. (__f32_show(${longString(c.lua)}):gsub("\\n", "\\\\n")))`)].join("\n");
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "f32-record-")), "cases.lua");
fs.writeFileSync(file, script);
const lines = execFileSync(luac, ["-e", file], { encoding: "latin1" }).split("\n").filter((l) => l !== "");
const vm = createLuaVm("lua5.3-f32");
vm.loadImage("return { event = function(s) return s end }", "=record");
vm.eval(SHOW_LUA);
let differences = 0;
fixture.cases.forEach((c, i) => {
  const line = lines.find((l) => l.startsWith(`${i + 1}\t`));
  if (line === undefined) throw new Error(`no output for case ${i + 1}: ${c.lua}`);
  c.nodemcu = line.slice(line.indexOf("\t") + 1);
  const ours = vm.eval(`return __f32_show(${longString(c.lua)})`).replace(/\n/g, "\\n");
  if (nanless(ours) === nanless(c.nodemcu)) {
    delete c.f32;
    delete c.why;
  } else {
    differences++;
    c.f32 = ours;
    process.stdout.write(`differs: ${c.lua}\n  nodemcu: ${c.nodemcu}\n  f32:     ${ours}\n${c.why ? "" : "  (no why yet)\n"}`);
  }
});
vm.close();
fs.writeFileSync(FIXTURE_FILE, JSON.stringify(fixture, null, 2) + "\n");
process.stdout.write(`${fixture.cases.length} cases, ${differences} differences\n`);
