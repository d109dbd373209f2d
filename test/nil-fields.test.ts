// build/nil-fields.ts: `name = nil,` entries of table constructors leave the bundle; nothing else does.

import { describe, expect, it } from "vitest";
import { dropNilFields } from "../build/nil-fields";
import { createLuaVm } from "../sim/runtimes/lua-vm";

describe("dropNilFields", () => {
  it("drops constructor lines that set a field to nil, keeps every other line", () => {
    const src = ["local t = {", "    a = 1,", "    b = nil,", "  c=nil ,", "    d = nil", "}", "x = nil", "return t", ""].join("\n");
    expect(dropNilFields(src)).toBe(["local t = {", "    a = 1,", "    d = nil", "}", "x = nil", "return t", ""].join("\n"));
  });

  it("leaves strings and comments alone", () => {
    const src = ['local s = [[', "    b = nil,", "]]", "-- c = nil,", "--[==[", "  e = nil,", "]==]", 'local q = "f = nil,"', "return s", ""].join("\n");
    expect(dropNilFields(src)).toBe(src);
  });

  it("the rewritten chunk builds the same tables on Lua 5.1 and 5.3", () => {
    const src = ["local t = {", "    a = 1,", "    b = nil,", "    c = {", "        d = nil,", "        e = 2,", "    },", "}", "local n = 0", "for _ in pairs(t.c) do n = n + 1 end", 'return tostring(t.a) .. "," .. tostring(t.b) .. "," .. tostring(t.c.e) .. "," .. tostring(n)', ""].join("\n");
    const out = dropNilFields(src);
    expect(out).not.toMatch(/= nil,/);
    for (const rt of ["lua5.1", "lua5.3"] as const) {
      const vm = createLuaVm(rt);
      try {
        expect(vm.eval(`return (function() ${out} end)()`)).toBe("1,nil,2,1");
        expect(vm.eval(`return (function() ${src} end)()`)).toBe("1,nil,2,1");
      } finally {
        vm.close();
      }
    }
  });
});
