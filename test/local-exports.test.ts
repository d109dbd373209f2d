// build/local-exports.ts: exports read by a module's own functions become locals, the exports table
// is filled before the module returns it, and the table is garbage once the bundle has loaded.

import { describe, expect, it } from "vitest";
import { localExports } from "../build/local-exports";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { tstlBundle } from "./tstl-bundle";

/** A two-module TSTL bundle: "0" exports state its functions read, "1" imports it at load. */
function bundle(body0: string): string {
  const b1 = ["local ____exports = {}", 'local ____a = require("0")', "local bump = ____a.bump", "local count = ____a.count", "____exports.run = function() return bump() + bump() end", "____exports.count = count", "return ____exports"];
  return tstlBundle([["0", body0.split("\n")], ["1", b1]], "1");
}

const A = [
  "local ____exports = {}",
  "____exports.n = 0",
  "function ____exports.count() return ____exports.n end",
  "function ____exports.bump()",
  "    local v = ____exports.n + 1",
  "    ____exports.n = v",
  "    return ____exports.count()",
  "end",
  "function ____exports.unused() return 1 end",
  "return ____exports",
].join("\n");

/** Runs a bundle in a VM: run() twice and count(), and whether module 0's exports table outlives the load. */
function run(src: string, rt: "lua5.1" | "lua5.3"): string {
  const vm = createLuaVm(rt);
  try {
    const probe = src.replace("____moduleCache[file] = { value = value }", '____moduleCache[file] = { value = value }; if file == "0" then __probe[value] = true end');
    const lit = JSON.stringify(probe).replace(/\\u([0-9a-f]{4})/g, (_, h: string) => "\\" + String(parseInt(h, 16)));
    return vm.eval(`
      __probe = setmetatable({}, { __mode = "k" })
      local m = (loadstring or load)(${lit})()
      local a, b = m.run(), m.run()
      collectgarbage("collect")
      local alive = 0
      for _ in pairs(__probe) do alive = alive + 1 end
      return a .. "," .. b .. "," .. m.count() .. "," .. alive`);
  } finally {
    vm.close();
  }
}

describe("localExports", () => {
  it("makes the exports a module's functions read locals, declared at the top, and fills the table before the return", () => {
    const out = localExports(bundle(A));
    expect(out).toContain("local ____exports = {}\nlocal count, n\nn = 0\n");
    expect(out).toContain("function count() return n end");
    expect(out).toContain("    local v = n + 1\n    n = v\n");
    expect(out).toContain("\n____exports.count = count\n____exports.n = n\nreturn ____exports");
    // Never read by the module's functions (the importer reads them at load): they stay fields.
    expect(out).toContain("function ____exports.bump()");
    expect(out).toContain("function ____exports.unused()");
  });

  it("renames a local whose name the module already uses, so nothing is shadowed", () => {
    const out = localExports(bundle(A.replace("local v = ____exports.n + 1\n    ____exports.n = v", "local n = ____exports.n + 1\n    ____exports.n = n")));
    // `n` is a local of bump: the export becomes ____x_n.
    expect(out).toContain("local count, ____x_n\n");
    expect(out).toContain("local n = ____x_n + 1\n    ____x_n = n");
  });

  it("runs the same on Lua 5.1 and 5.3, and the exports table is garbage once loaded", () => {
    const src = bundle(A);
    for (const rt of ["lua5.1", "lua5.3"] as const) {
      // Before: module 0's functions capture ____exports, so the table lives on.
      expect(run(src, rt)).toBe("3,7,4,1");
      expect(run(localExports(src), rt)).toBe("3,7,4,0");
    }
  });

  it("leaves a module alone when ____exports is used as a value, or when a new local would pass NodeMCU's 50", () => {
    const asValue = A.replace("function ____exports.unused() return 1 end", "function ____exports.unused() return ____exports end");
    expect(localExports(bundle(asValue))).toBe(bundle(asValue));
    const locals = Array.from({ length: 48 }, (_, i) => `local l${i} = ${i}`).join("\n");
    const full = A.replace("____exports.n = 0", `____exports.n = 0\n${locals}`);
    // 48 locals + ____exports + the vararg's hidden `arg` = 50: three more would be 53.
    expect(localExports(bundle(full))).toBe(bundle(full));
  });
});
