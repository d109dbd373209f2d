// Tests the Lua VM harness (sim/runtimes/lua-vm.ts) on every target VM: byte safety, int32, GC, counting, bytecode.
import { describe, it, expect } from "vitest";
import { compileBytecode, compileStripped, createLuaVm, LuaError, type LuaRuntimeName } from "../sim/runtimes/lua-vm";
import { stripLua51 } from "../sim/runtimes/lua51-strip";

const RUNTIMES: LuaRuntimeName[] = ["lua5.1", "lua5.3", "lua5.3-int32", "lua5.3-f32"];
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
// NUL, invalid UTF-8 (lone continuation, overlong NUL, surrogate, truncated), and the wasm wire form of
// U+0100 (C4 80) as raw bytes, which must not be mistaken for an encoded NUL.
const NASTY = "a\0b\xff\xfe\x80\xc0\x80\xed\xa0\x80\xe2\x82\xc4\x80\0";

// Adler-32 style sums stay below 2^17, so they are the same on 64-bit, double and int32 Lua.
function sums(s: string): string {
  let a = 1, b = 0;
  for (let i = 0; i < s.length; i++) {
    a = (a + s.charCodeAt(i)) % 65521;
    b = (b + a) % 65521;
  }
  return `${a},${b}`;
}
const CHECKSUM_IMAGE = `
local function sums(s)
  local a, b = 1, 0
  for i = 1, #s do a = (a + s:byte(i)) % 65521; b = (b + a) % 65521 end
  return a .. "," .. b
end
local all = {}
for i = 0, 255 do all[#all + 1] = string.char(i) end
all = table.concat(all)
return { event = function(s)
  if s == "gen" then return all end -- bytes made in Lua: checks the Lua -> JS direction alone
  return #s .. ":" .. sums(s) .. ":" .. s
end }`;

function withVm<T>(name: LuaRuntimeName, image: string, f: (vm: ReturnType<typeof createLuaVm>) => T): T {
  const vm = createLuaVm(name);
  try {
    vm.loadImage(image, "=test");
    return f(vm);
  } finally {
    vm.close();
  }
}

describe.each(RUNTIMES)("%s", (name) => {
  it("loads an image and calls event", () => {
    withVm(name, `return { event = function(s) return s:upper() .. "|" .. #s end }`, (vm) => {
      expect(vm.name).toBe(name);
      expect(vm.event("hello")).toBe("HELLO|5");
      expect(vm.event("")).toBe("|0");
    });
  });

  it("returns '' for nil and rejects non-string results", () => {
    withVm(name, `return { event = function(s) if s == "n" then return 42 end end }`, (vm) => {
      expect(vm.event("x")).toBe("");
      expect(() => vm.event("n")).toThrow(/event returned number/);
    });
  });

  it("joins a table of pieces in JS, byte-safe, and counts instructions for it too", () => {
    withVm(name, `return { event = function(s) if s == "bad" then return { "a", 1 } end return { "x", "\\0\\255", s, "" } end }`, (vm) => {
      expect(vm.event("\u00e9")).toBe("x\u0000\u00ff\u00e9");
      expect(vm.eventCounted("abc").result).toBe("x\u0000\u00ffabc");
      expect(() => vm.event("bad")).toThrow(/piece 2 is number/);
      expect(vm.event("ok")).toBe("x\u0000\u00ffok");
    });
  });

  it("carries every byte value unchanged in both directions", () => {
    withVm(name, CHECKSUM_IMAGE, (vm) => {
      for (const s of [ALL_BYTES, NASTY, ALL_BYTES.split("").reverse().join(""), "\0", "\xc4\x80"]) {
        expect(vm.event(s)).toBe(`${s.length}:${sums(s)}:${s}`);
      }
      expect(vm.event("gen")).toBe(ALL_BYTES);
    });
  });

  it("round-trips a 1 MiB event string", () => {
    const big = ALL_BYTES.repeat(4096);
    withVm(name, `return { event = function(s) return s end }`, (vm) => {
      vm.event("warm-up");
      const t0 = performance.now();
      const out = vm.event(big);
      const ms = performance.now() - t0;
      expect(out.length).toBe(big.length);
      expect(out === big).toBe(true);
      console.log(`[${name}] 1 MiB echo round trip: ${ms.toFixed(1)} ms`);
    });
    // Lua itself sees the exact bytes (length and checksum computed in Lua).
    withVm(name, CHECKSUM_IMAGE, (vm) => {
      const prefix = `${big.length}:${sums(big)}:`;
      expect(vm.event(big) === prefix + big).toBe(true);
    });
  });

  it("rejects JS text that is not a byte string", () => {
    withVm(name, `return { event = function(s) return s end }`, (vm) => {
      expect(() => vm.event("ok \u2026")).toThrow(/not a byte string: U\+2026 at index 3/);
      expect(vm.event(Buffer.from("ok \u2026", "utf8").toString("latin1"))).toBe("ok \xe2\x80\xa6");
    });
  });

  it("loads a binary-safe image source (NUL and high bytes in string literals)", () => {
    withVm(name, `return { event = function(s) return "\0\xff" .. s .. "\xc4\x80" end }`, (vm) => {
      expect(vm.event("\x80")).toBe("\0\xff\x80\xc4\x80");
    });
  });

  it("reports Lua errors as thrown LuaError and keeps working", () => {
    const image = `return { event = function(s)
      if s == "boom" then error("kaboom " .. s) end
      if s == "arith" then return nil + 1 end
      if s == "table" then error({}) end
      return "ok:" .. s
    end }`;
    withVm(name, image, (vm) => {
      expect(() => vm.event("boom")).toThrow(/test:2: kaboom boom/);
      expect(() => vm.event("arith")).toThrow(/attempt to perform arithmetic/);
      expect(() => vm.event("table")).toThrow(/^table: /);
      try {
        vm.event("boom");
      } catch (e) {
        expect(e).toBeInstanceOf(LuaError);
        expect((e as LuaError).runtime).toBe(name);
      }
      expect(vm.event("x")).toBe("ok:x");
      // Same for the counted path: the hook must be removed after an error.
      expect(() => vm.eventCounted("boom")).toThrow(/kaboom/);
      expect(vm.eventCounted("y").result).toBe("ok:y");
      expect(vm.event("z")).toBe("ok:z");
    });
  });

  it("rejects bad images with the Lua message", () => {
    const vm = createLuaVm(name);
    try {
      expect(() => vm.loadImage("return {", "=bad")).toThrow(/bad:1:/);
      expect(() => vm.loadImage("error('init failed')", "=bad")).toThrow(/init failed/);
      expect(() => vm.loadImage("return 1", "=bad")).toThrow(/returned number/);
      expect(() => vm.event("x")).toThrow(/no image loaded/);
      vm.loadImage(`return { event = function() return "fine" end }`, "=good");
      expect(vm.event("x")).toBe("fine");
    } finally {
      vm.close();
    }
    expect(() => vm.event("x")).toThrow(/closed/);
  });

  it("attaches a board chunk: event goes to the board's simBoard(image), built against the image's table", () => {
    const board = `return { simBoard = function(fw) local n = 0 return function(line) n = n + 1 return fw.greet(line) .. "#" .. n end end }`;
    withVm(name, `return { greet = function(s) return "hi " .. s end, event = function() return "image's own" end }`, (vm) => {
      expect(vm.event("x")).toBe("image's own");
      vm.loadBoard(board, "=board");
      expect(vm.event("a")).toBe("hi a#1");
      expect(vm.event("b")).toBe("hi b#2");
      expect(vm.eventCounted("c").result).toBe("hi c#3");
      // A new image drops the board: it was built against the old one.
      vm.loadImage(`return { greet = function(s) return "hey " .. s end }`, "=image2");
      expect(() => vm.event("x")).toThrow(/no board loaded/);
      vm.loadBoard(board, "=board");
      expect(vm.event("d")).toBe("hey d#1");
    });
  });

  it("rejects bad boards with a message", () => {
    const vm = createLuaVm(name);
    try {
      expect(() => vm.loadBoard(`return { simBoard = function() end }`, "=b")).toThrow(/no image loaded/);
      vm.loadImage("return {}", "=img");
      expect(() => vm.loadBoard("return {", "=b")).toThrow(/b:1:/);
      expect(() => vm.loadBoard("return {}", "=b")).toThrow(/no simBoard function/);
      expect(() => vm.loadBoard("return { simBoard = function() return 1 end }", "=b")).toThrow(/simBoard returned number/);
      expect(() => vm.loadBoard("return { simBoard = function() error('no hardware') end }", "=b")).toThrow(/no hardware/);
    } finally {
      vm.close();
    }
  });

  it(name === "lua5.1" ? "cannot strip source itself (5.1 has no strip flag: the build's luac is loaded)" : "strips source itself on request: the functions it runs carry no debug info", () => {
    const src = `return { event = function(s) local x = nil; return s .. x end }`;
    const vm = createLuaVm(name);
    try {
      if (name === "lua5.1") {
        expect(() => vm.loadImage(src, "=img", true)).toThrow(/cannot strip/);
        return;
      }
      vm.loadImage(src, "=img", false);
      expect(vm.eval(`return debug.getinfo(__sim_image.event, "S").source`)).toBe("=img");
      expect(() => vm.event("a")).toThrow(/img:1: attempt to concatenate a nil value \(local 'x'\)/);
      vm.loadImage(src, "=img", true);
      expect(vm.eval(`return debug.getinfo(__sim_image.event, "S").source`)).toBe("=?");
      // No line, no local names: what a board running luac -s output reports.
      expect(() => vm.event("a")).toThrow(/^\?:-1: attempt to concatenate a nil value$/);
    } finally {
      vm.close();
    }
  });

  it("shows its integer model (why lua5.3-int32 exists)", () => {
    const image = `return { event = function()
      local toint = math.tointeger
      return tostring(math.maxinteger) .. "," .. tostring(2147483647 + 1) .. "," .. tostring(toint and toint(2^31))
    end }`;
    const expected: Record<LuaRuntimeName, string> = {
      "lua5.1": "nil,2147483648,nil", // doubles only
      "lua5.3": "9223372036854775807,2147483648,2147483648", // 64-bit integers
      "lua5.3-int32": "2147483647,-2147483648,nil", // 32-bit integers wrap; 2^31 has no integer form
      "lua5.3-f32": "2147483647,-2147483648,nil", // the same integers (its floats: test/f32.test.ts)
    };
    withVm(name, image, (vm) => expect(vm.event("")).toBe(expected[name]));
  });

  it("measures heap growth and release", () => {
    const image = `local keep
    return { event = function(cmd)
      if cmd == "alloc" then keep = {} for i = 1, 100000 do keep[i] = "item" .. i end
      elseif cmd == "free" then keep = nil
      elseif cmd == "garbage" then for j = 1, 10 do local t = {} for i = 1, 10000 do t[i] = "g" .. j .. ":" .. i end end
      end
      return ""
    end }`;
    withVm(name, image, (vm) => {
      const base = vm.heapKb(true);
      vm.event("alloc");
      const grown = vm.heapKb(true);
      vm.event("free");
      const after = vm.heapKb(true);
      console.log(`[${name}] heap KB: base ${base.toFixed(0)}, 100k strings ${grown.toFixed(0)}, released ${after.toFixed(0)}`);
      expect(grown - base).toBeGreaterThan(2000);
      expect(Math.abs(after - base)).toBeLessThan((grown - base) * 0.1);

      // gc("stop") lets a handler's garbage pile up so its peak can be read; not possible on fengari.
      vm.gc("collect");
      const before = vm.heapKb(false);
      vm.gc("stop");
      vm.event("garbage");
      const peak = vm.heapKb(false);
      vm.gc("restart");
      const collected = vm.heapKb(true);
      if (name !== "lua5.3-int32" && name !== "lua5.3-f32") {
        expect(peak - before).toBeGreaterThan(2000);
        expect(collected).toBeLessThan(peak - 1500);
      }
    });
  });

  it("counts VM instructions exactly", () => {
    const image = `return { event = function(s)
      if s == "" then return s end
      local x = 0
      for i = 1, tonumber(s) do x = x + i end
      return tostring(x)
    end }`;
    withVm(name, image, (vm) => {
      const c1 = vm.eventCounted("1000");
      const c2 = vm.eventCounted("2000");
      expect(c1.result).toBe("500500");
      expect(c2.result).toBe("2001000");
      expect(c1.instructions).toBeGreaterThan(2000);
      expect(c2.instructions / c1.instructions).toBeGreaterThan(1.9);
      expect(c2.instructions / c1.instructions).toBeLessThan(2.1);
      // Exact: each extra iteration is one ADD plus one FORLOOP.
      expect(c2.instructions - c1.instructions).toBe(2000);
      expect(vm.eventCounted("1000").instructions).toBe(c1.instructions);
      // EQ and RETURN: a taken EQ performs its following JMP itself, so the JMP is never dispatched.
      expect(vm.eventCounted("").instructions).toBe(2);
    });
  });

  it("evaluates harness snippets", () => {
    withVm(name, `return { event = function(s) return s end }`, (vm) => {
      expect(vm.eval("return 1 + 2")).toBe("3");
      expect(vm.eval("return _VERSION")).toBe(name === "lua5.1" ? "Lua 5.1" : "Lua 5.3");
      expect(vm.eval("return nil")).toBe("nil");
      expect(vm.eval("return type(__sim_image.event)")).toBe("function");
      expect(() => vm.eval("error('nope')")).toThrow(/nope/);
    });
  });
});

describe("compileStripped", () => {
  const source = `
local M = {}
local weights = { 3, 1.5, "x\\0y", true }
local function make(n)
  local scale = n * 2
  return function(s)
    local acc = 0
    for i = 1, #s do acc = acc + s:byte(i) * scale end
    return acc
  end
end
function M.event(s)
  if s == "err" then error("bad input") end
  return tostring(make(#s)(s)) .. "|" .. #weights .. "|" .. weights[3]
end
return M`;
  const inputs = ["", "abc", "\0\xff", "hello world"];

  for (const name of ["lua5.1", "lua5.3"] as const) {
    it(`${name}: stripped bytecode is smaller, loads and behaves like the source`, () => {
      const full = compileBytecode(name, source, "@fw.lua", false);
      const stripped = compileStripped(name, source, "@fw.lua");
      console.log(`[${name}] bytecode: ${full.length} B with debug info, ${stripped.length} B stripped (source ${source.length} B)`);
      expect(stripped.startsWith("\x1bLua")).toBe(true);
      expect(stripped.length).toBeLessThan(full.length);
      expect(full.includes("fw.lua")).toBe(true);
      expect(stripped.includes("fw.lua")).toBe(false);

      const results = (chunk: string) =>
        withVm(name, "return {}", (vm) => {
          vm.loadImage(chunk, "=fw");
          return inputs.map((s) => vm.event(s));
        });
      const fromSource = results(source);
      expect(results(full)).toEqual(fromSource);
      expect(results(stripped)).toEqual(fromSource);

      // With line info error() names the source line; stripped, luaL_where has no line and adds nothing.
      withVm(name, "return {}", (vm) => {
        vm.loadImage(full, "=fw");
        expect(() => vm.event("err")).toThrow(/fw\.lua:13: bad input/);
        vm.loadImage(stripped, "=fw");
        expect(() => vm.event("err")).toThrow(/^bad input$/);
      });
    });
  }

  it("lua5.1 strip matches luac5.1 -s byte for byte (native 64-bit size_t dump)", () => {
    // Fixture: luac5.1 (5.1.5, x86-64) of a file with every constant type, nested protos, upvalues,
    // locals and varargs; `full` is plain `luac`, `ref` is `luac -s` of the same file.
    const full = Buffer.from(
      "G0x1YVEAAQQIBAgACAAAAAAAAABAZngubHVhAAAAAAAAAAAAAAACBhAAAAAKAIACQgCAAIIAAADDAIABAQEAAEFBAAAiQIACZAAAAAAAAACAAIAAwYAAAJyAAAHBwAAAnQAAAZ4AAAAeAIAABAAAAAMAAAAAAAAEQAQEAAAAAAAAAGEAYgADAAAAAAAA8D8DAAAAAAAAAEABAAAAAAAAAAAAAAACAAAABQAAAAEBBwQGAAAAjgBAAOQAAAAAAAABBAAAAN4AAAEeAIAAAQAAAAMAAAAAAAAAQAEAAAAAAAAAAAAAAAQAAAAEAAAAAgEABAYAAABEAAAATEAAAIAAgADEAIAAngCAAR4AgAAAAAAAAAAAAAYAAAAEAAAABAAAAAQAAAAEAAAABAAAAAQAAAACAAAAAgAAAAAAAAB4AAAAAAAFAAAAAgAAAAAAAAB5AAIAAAAFAAAAAgAAAAMAAAAAAAAAdXAAAgAAAAAAAABrAAYAAAADAAAABAAAAAQAAAAEAAAABAAAAAUAAAADAAAAAgAAAAAAAABuAAAAAAAFAAAABAAAAAAAAABhcmcAAAAAAAUAAAADAAAAAAAAAHVwAAEAAAAFAAAAAQAAAAIAAAAAAAAAawAQAAAAAQAAAAEAAAABAAAAAQAAAAEAAAABAAAAAQAAAAUAAAAFAAAABgAAAAYAAAAGAAAABgAAAAYAAAAGAAAABgAAAAIAAAACAAAAAAAAAGsABwAAAA8AAAADAAAAAAAAAG1rAAkAAAAPAAAAAAAAAA==",
      "base64",
    ).toString("latin1");
    const ref = Buffer.from(
      "G0x1YVEAAQQIBAgAAAAAAAAAAAAAAAAAAAAAAAAAAgYQAAAACgCAAkIAgACCAAAAwwCAAQEBAABBQQAAIkCAAmQAAAAAAAAAgACAAMGAAACcgAABwcAAAJ0AAAGeAAAAHgCAAAQAAAADAAAAAAAABEAEBAAAAAAAAABhAGIAAwAAAAAAAPA/AwAAAAAAAABAAQAAAAAAAAAAAAAAAgAAAAUAAAABAQcEBgAAAI4AQADkAAAAAAAAAQQAAADeAAABHgCAAAEAAAADAAAAAAAAAEABAAAAAAAAAAAAAAAEAAAABAAAAAIBAAQGAAAARAAAAExAAACAAIAAxACAAJ4AgAEeAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
      "base64",
    ).toString("latin1");
    expect(stripLua51(full)).toBe(ref);
    expect(stripLua51(ref)).toBe(ref); // idempotent
    expect(() => stripLua51(full.slice(0, -3))).toThrow(/truncated/);
  });
});
