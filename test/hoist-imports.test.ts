// build/hoist-imports.ts: an import captured by several modules becomes one main-chunk local that its
// exporter sets; the importers' copies go, shadowing names and assigned imports are left alone.

import { describe, expect, it } from "vitest";
import { checkLuaLimits } from "../build/check-lua";
import { hoistImports } from "../build/hoist-imports";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { tstlBundle } from "./tstl-bundle";

/** A TSTL-shaped bundle: "0" exports twice and id, "1" and "2" import them; the entry returns both users. */
function bundle(user2: string[] = []): string {
  return tstlBundle(
    [
      ["0", ["local ____exports = {}", "function ____exports.twice(x) return x * 2 end", "function ____exports.id(x) return x end", "return ____exports"]],
      ["1", ["local ____exports = {}", 'local ____m0 = require("0")', "local twice = ____m0.twice", "local id = ____m0.id", "function ____exports.run(x) return twice(id(x)) end", "return ____exports"]],
      [
        "2",
        [
          "local ____exports = {}",
          'local ____m0 = require("0")',
          "local twice = ____m0.twice",
          "local id = ____m0.id",
          // A parameter of the same name: its uses are the parameter's.
          "function ____exports.run(x) local f = function(twice) return twice + 1 end return f(twice(x)) + id(0) end",
          ...user2,
          "return ____exports",
        ],
      ],
      // The last module closes a table at column 0, as the module table does.
      ["3", ["local ____exports = {}", "local T = {", "1", "}", 'local ____m1 = require("1")', 'local ____m2 = require("2")', "____exports.a = ____m1.run", "____exports.b = ____m2.run", "return ____exports"]],
    ],
    "3",
  );
}

function run(src: string, rt: "lua5.1" | "lua5.3"): string {
  const vm = createLuaVm(rt);
  try {
    return vm.eval(`local m = (loadstring or load)(${JSON.stringify(src)})() return m.a(5) .. "," .. m.b(5)`);
  } finally {
    vm.close();
  }
}

describe("hoistImports", () => {
  it("makes an import two modules capture one main-chunk local, set by its exporter before it returns", () => {
    const out = hoistImports(bundle());
    expect(out.split("\n")[0]).toBe("local ____i0, ____i1");
    // Both imported by the two modules: id ranks before twice on the tie (by name).
    expect(out).toContain("____i0 = ____exports.id\n____i1 = ____exports.twice\nreturn ____exports");
    expect(out).not.toContain("local twice = ____m0.twice");
    expect(out).toContain("function ____exports.run(x) return ____i1(____i0(x)) end");
    // The parameter named twice keeps its name and its uses.
    expect(out).toContain("local f = function(twice) return twice + 1 end return f(____i1(x)) + ____i0(0) end");
  });

  it("runs the same on Lua 5.1 and 5.3", () => {
    for (const rt of ["lua5.1", "lua5.3"] as const) {
      expect(run(bundle(), rt)).toBe("10,11");
      expect(run(hoistImports(bundle()), rt)).toBe("10,11");
    }
  });

  it("leaves an import its module assigns to, and hoists nothing captured by one module only", () => {
    const out = hoistImports(bundle(["function ____exports.swap() twice = id end"]));
    // twice is assigned in module 2: only id (still captured by both) is hoisted.
    expect(out.split("\n")[0]).toBe("local ____i0");
    expect(out).toContain("local twice = ____m0.twice");
    expect(out).toContain("____exports.swap() twice = ____i0 end");
    for (const rt of ["lua5.1", "lua5.3"] as const) expect(run(out, rt)).toBe("10,11");
  });

  it("takes no more main-chunk locals than NodeMCU's 50", () => {
    const withLocals = (n: number) => bundle().replace("local ____modules = {}", Array.from({ length: n }, (_, i) => `local l${i} = ${i}`).join("\n") + "\nlocal ____modules = {}");
    // n + ____modules, ____moduleCache, require and ____entry: 49 leaves one local, 50 none.
    const one = hoistImports(withLocals(45));
    expect(one.split("\n")[0]).toBe("local ____i0");
    expect(one).toContain("____i0 = ____exports.id\nreturn ____exports");
    for (const rt of ["lua5.1", "lua5.3"] as const) expect(run(one, rt)).toBe("10,11");
    expect(hoistImports(withLocals(46))).toBe(withLocals(46));
  });

  it("counts the main chunk's locals as Lua does: a block's locals while they live, not only its top-level names", () => {
    const withBlock = (n: number, block: number) =>
      bundle().replace("local ____modules = {}", Array.from({ length: n }, (_, i) => `local l${i} = ${i}`).join("\n") + `\ndo local ${Array.from({ length: block }, (_, i) => `q${i}`).join(", ")} = 1 end\nlocal ____modules = {}`);
    // 44 + 4 top-level names leave two cells, but the block has 49 locals live at once: one cell.
    const one = hoistImports(withBlock(44, 5));
    expect(one.split("\n")[0]).toBe("local ____i0");
    expect(checkLuaLimits(one)).toEqual([]);
    for (const rt of ["lua5.1", "lua5.3"] as const) expect(run(one, rt)).toBe("10,11");
    expect(hoistImports(withBlock(44, 6))).toBe(withBlock(44, 6));
    // A bundle over a limit already: nothing hoisted (and the build's check names the function).
    expect(hoistImports(withBlock(44, 7))).toBe(withBlock(44, 7));
    expect(checkLuaLimits(withBlock(44, 7))).toEqual(["main chunk has 51 local variables (NodeMCU's Lua 5.1 takes 50)"]);
  });
});
