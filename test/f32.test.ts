// The lua5.3-f32 runtime (fengari with single floats, sim/runtimes/fengari-f32.ts) against facts from
// NodeMCU's own Lua 5.3 VM (32-bit integers, single floats), recorded in test/fixtures/f32-nodemcu.json
// by test/f32-record.ts. Every difference left is pinned there with its reason.

import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { patchSource } from "../sim/runtimes/fengari-f32";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { longString, nanless, readFixture, SHOW_LUA } from "./f32-fixture";

const fixture = readFixture();
const vm = createLuaVm("lua5.3-f32");
vm.loadImage("return { event = function(s) return s end }", "=f32");
vm.eval(SHOW_LUA);
afterAll(() => vm.close());

describe("lua5.3-f32 prints what NodeMCU's Lua 5.3 printed", () => {
  it.each(fixture.cases.map((c) => [`${c.group}: ${c.lua}`, c] as const))("%s", (_name, c) => {
    const out = nanless(vm.eval(`return __f32_show(${longString(c.lua)})`).replace(/\n/g, "\\n"));
    if (c.f32 === undefined) {
      expect(out).toBe(nanless(c.nodemcu));
    } else {
      // A known difference: pinned, and explained.
      expect(c.why ?? "").not.toBe("");
      expect(out).toBe(nanless(c.f32));
    }
  });

  it("covers the issue's facts", () => {
    const facts: [string, string][] = [
      ["return math.floor(1795046336/86400)", "integer 20776"],
      ["return 1795046336 - 20776*86400", "integer -64"],
      ["return 1764000000001 - 1764000000000", "float 0.0"],
      ["return 16777216.0 + 1 == 16777216.0", "boolean true"],
      ["return math.maxinteger, math.mininteger", "integer 2147483647, integer -2147483648"],
    ];
    for (const [lua, nodemcu] of facts) expect(fixture.cases.find((c) => c.lua === lua)?.nodemcu).toBe(nodemcu);
  });
});

describe("the single-float fengari copy", () => {
  it("leaves the stock fengari (lua5.3-int32) in double precision", () => {
    const int32 = createLuaVm("lua5.3-int32");
    try {
      int32.loadImage("return { event = function(s) return s end }", "=int32");
      expect(int32.eval("return 16777216.0 + 1 == 16777216.0")).toBe("false");
      expect(int32.eval("return 1/3")).toBe("0.33333333333333");
      expect(vm.eval("return 1/3")).toBe("0.3333333");
    } finally {
      int32.close();
    }
  });

  it("refuses to load when a patch no longer matches fengari's source", () => {
    const lvm = fs.readFileSync(require.resolve("fengari/src/lvm.js"), "utf8");
    expect(() => patchSource("lvm.js", lvm)).not.toThrow();
    expect(() => patchSource("lvm.js", lvm.replace("let idx = L.stack[ra].value + step;", "let idx = step + L.stack[ra].value;"))).toThrow(/lvm\.js matches 0 times/);
  });
});
