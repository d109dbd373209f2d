// build/hoist-libs.ts: library fields become main-chunk locals in code, never in strings or comments.

import { describe, expect, it } from "vitest";
import { hoistLibs } from "../build/hoist-libs";
import { createLuaVm } from "../sim/runtimes/lua-vm";

describe("hoistLibs", () => {
  it("rewrites string/table/math fields in code and declares each once at the top, sorted", () => {
    const out = hoistLibs("local a = string.sub(s, 1, 2)\nlocal b = table.concat(t) .. string.sub(s, 3)\nreturn math.floor(x)\n");
    expect(out.split("\n")[0]).toBe("local __math_floor, __string_sub, __table_concat = math.floor, string.sub, table.concat");
    expect(out).toContain("local a = __string_sub(s, 1, 2)");
    expect(out).toContain("local b = __table_concat(t) .. __string_sub(s, 3)");
    expect(out).not.toMatch(/[^_]string\.sub\(s/);
  });

  it("leaves strings, long strings, comments, fields of other tables, methods and assignments alone", () => {
    const src = [
      `local q = "string.sub(" .. 'table.concat' .. [[math.floor]] .. [==[string.byte]==]`,
      `-- string.find in a comment`,
      `--[[ string.format in a long comment ]]`,
      `local f = x.string.sub(y) .. s:sub(1)`,
      `string.helper = 1`,
      `return q`,
    ].join("\n");
    expect(hoistLibs(src)).toBe(src);
  });

  it("hoists called base globals unless the bundle declares a local, parameter or loop variable of that name", () => {
    const out = hoistLibs("local n = tonumber(s)\nlocal f = function(type) return type end\nreturn pcall(f, type(n)), x.tostring(1), tostring\n");
    expect(out.split("\n")[0]).toBe("local __pcall, __tonumber = pcall, tonumber");
    expect(out).toContain("local n = __tonumber(s)");
    // type is a parameter somewhere: every type() stays the global's; tostring is not called, x.tostring is a field.
    expect(out).toContain("return __pcall(f, type(n)), x.tostring(1), tostring");
    expect(hoistLibs("for _, pairs in ipairs(t) do end\nreturn pairs(t)\n").split("\n")[0]).toBe("local __ipairs = ipairs");
  });

  it("the rewritten chunk runs the same on Lua 5.1 and 5.3", () => {
    const src = `return string.format("%d-%s", math.floor(7.9), table.concat({ string.sub("abcdef", 2, 3), "\\"string.sub\\"" }, ","))`;
    for (const rt of ["lua5.1", "lua5.3"] as const) {
      const vm = createLuaVm(rt);
      try {
        expect(vm.eval(`return (function() ${hoistLibs(src)} end)()`)).toBe(`7-bc,"string.sub"`);
      } finally {
        vm.close();
      }
    }
  });
});
