// The LuatOS port (hal/luatos/board.ts, link.ts, storage.ts) on its emulated firmware modules
// (sim/boards/luatos/).
// (1) Its pure parts in the built HAL chunk, on Lua 5.3 and on the 32-bit VMs LuatOS builds by default
//     (lua5.3-int32, lua5.3-f32): the IEC 61851-1 pilot duty, the pilot state from the ADC, the raw
//     handshake header string, the keepalive, mcu.ticks() deltas across the wrap, and the joining of
//     fragments within the build's bound.
// (2) The emulation's quirks as the port meets them: wsc:headers' table form percent-encoded and the
//     string form sent as it is; records in fskv, a record over 4095 B in a file, the journal appended.
// (3) Through the port over real sockets against the embedded schema-strict CSMS (every frame checked
//     against the OCPP 2.0.1 schemas): boot Accepted with the subprotocol and Basic auth in the raw
//     header string, StatusNotification, heartbeats across a wrap of mcu.ticks(); a charging session
//     (plug, remote start, contactor, PWM duty, SDM630 energy over Modbus, remote stop); every CSMS
//     message fragmented on the way (a proxy re-frames them): joined; a message over the build's bound
//     in fragments: a FormatViolation, the heap not grown by it; a frame over the module's 8 KB: the
//     connection dropped and made again; a power cycle in a session (the journal in files).

import { beforeAll, describe, expect, it } from "vitest";
import * as net from "node:net";
import * as path from "node:path";
import { readBoardManifest, ROOT, transpileEntry } from "../build/compile";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import { LuatosDriver } from "../sim/boards/luatos/driver";
import { PORT_BOARDS } from "../sim/boards/port-sim";
import { EmbeddedCsms } from "../sim/csms";
import * as h from "./port-harness";
import { bootAccepted, calls, cleanups, emulationVm, energyOf, line, payload, Port, run, until } from "./port-harness";

const BOARD = "luatos";
const PROVISION_FILE = PORT_BOARDS[BOARD].provisionFile;
const GLOBALS = readBoardManifest(ROOT, BOARD).globals;
const PURE_VMS = ["lua5.3", "lua5.3-int32", "lua5.3-f32"] as const;
const CONFIG = h.portConfig(BOARD);
let configName = "";

h.portTestCleanup();

beforeAll(() => {
  configName = h.buildBoard(CONFIG, BOARD, "lua5.3");
}, 240000);

/** The port's chunk, transpiled once (the three VMs load the same source). */
let halChunk: string | undefined;
function halSource(): string {
  if (halChunk === undefined) halChunk = transpileEntry(path.join(ROOT, "hal/luatos/board.ts"), "lua5.3", undefined, GLOBALS);
  return halChunk;
}

describe.each(PURE_VMS)("LuatOS port: pure parts on %s", (runtime) => {
  let vm: LuaVm;
  beforeAll(() => {
    vm = createLuaVm(runtime);
    cleanups.push(() => vm.close());
    // The chunk returns the port's module; its pure functions need no firmware module but log and
    // crypto, stood in here by a recorder and a marker.
    vm.loadImage(halSource(), "=hal-luatos", runtime !== "lua5.3");
    vm.eval(`logs = {}
      local function rec(level) return function(tag, msg) logs[#logs + 1] = level .. " " .. tag .. " " .. msg end end
      log = { error = rec("E"), warn = rec("W"), info = rec("I"), debug = rec("D") }
      crypto = { base64_encode = function(s) return "<b64:" .. s .. ">" end }
      return true`);
  }, 120000);

  const lua = (expr: string) => vm.eval(`local m = __sim_image; return ${expr}`);

  it("pilot duty in 0.1 % per IEC 61851-1 Annex A, never above the offer", () => {
    // [0.1 A, duty in 0.1 %]: 6..51 A: A / 0.6 %; 51..80 A: A / 2.5 + 64 %; below 6 A a steady +12 V.
    const table: [number, number][] = [
      [0, 1000], [59, 1000], [60, 100], [100, 166], [160, 266], [320, 533], [510, 850],
      [511, 844], [630, 892], [800, 960], [801, 960], [2000, 960],
    ];
    for (const [da, duty] of table) expect(Number(lua(`m.pilotDuty(${da})`)), `${da} dA`).toBe(duty);
    // Read back as an EV does (up to 85 %: duty * 0.6 A, above: (duty - 64) * 2.5 A): never more than
    // offered, and within a step of it (just above 51 A the standard's own seam reads about 50.6 A).
    const duties = lua(`(function() local d = {} for a = 60, 800 do d[#d + 1] = m.pilotDuty(a) end return table.concat(d, ",") end)()`).split(",").map(Number);
    for (let da = 60; da <= 800; da++) {
      const d = duties[da - 60];
      const amps = d <= 850 ? (d / 10) * 0.6 : (d / 10 - 64) * 2.5;
      expect(amps, `${da} dA`).toBeLessThanOrEqual(da / 10 + 1e-9);
      expect(amps, `${da} dA`).toBeGreaterThan(Math.min(da / 10 - 0.3, 50.6));
    }
  });

  it("mcu.ticks() deltas across the 32-bit wrap, shown signed (32-bit VM) or unsigned", () => {
    // [now, last, ticks between, the unsigned form of a 64-bit VM]
    const cases: [string, string, number, boolean][] = [
      ["1500", "1000", 500, false],
      // Signed: 2^31 - 1 to -2^31 is one tick (-2^31 written so that it stays an integer on a 32-bit VM).
      ["(-2147483647 - 1)", "2147483647", 1, false],
      ["-2147483148", "2147483147", 1001, false],
      // Unsigned: 2^32 - 1 to 0.
      ["0", "4294967295", 1, true],
      ["999", "4294966296", 1999, true],
    ];
    for (const [now, last, d, unsigned] of cases) {
      // A 32-bit VM never shows the unsigned forms.
      if (unsigned && runtime !== "lua5.3") continue;
      expect(Number(lua(`m.ticksDelta(${now}, ${last})`)), `${last} -> ${now}`).toBe(d);
    }
  });

  it("pilot state from the positive level against the OEM's thresholds", () => {
    const levels = "{11000, 8000, 5000, 2000}";
    const cases: [number, string][] = [[12000, "A"], [11000, "A"], [10999, "B"], [8000, "B"], [7999, "C"], [5000, "C"], [4000, "D"], [2000, "D"], [1999, "E"], [0, "E"]];
    for (const [mv, s] of cases) expect(lua(`m.pilotOf(${mv}, ${levels})`), `${mv} mV`).toBe(s);
  });

  it("handshake headers as one raw string, the password base64-encoded, nothing percent-encoded", () => {
    expect(lua(`m.wsHeaders("ocpp2.0.1", nil)`)).toBe("Sec-WebSocket-Protocol: ocpp2.0.1\r\n");
    expect(lua(`m.wsHeaders("ocpp2.0.1", "CS-1:pa ss.word")`)).toBe("Sec-WebSocket-Protocol: ocpp2.0.1\r\nAuthorization: Basic <b64:CS-1:pa ss.word>\r\n");
  });

  it("keepalive passed to create: a build that pings after 0.75 of it pings about every ping interval (the stored sources ping no open link); 0 (off) is a day", () => {
    for (const s of [1, 10, 30, 60, 61, 300, 3600]) {
      const k = Number(lua(`m.keepaliveS(${s})`));
      expect(Math.abs(k * 0.75 - s), `${s} s`).toBeLessThanOrEqual(0.75);
    }
    expect(lua(`m.keepaliveS(0)`)).toBe("86400");
  });

  /** A Lua string literal of these bytes. */
  const luaStr = (b: string) => '"' + [...b].map((c) => (/[ -~]/.test(c) && c !== '"' && c !== "\\" ? c : "\\" + String(c.charCodeAt(0)).padStart(3, "0"))).join("") + '"';

  /** Feeds frames [data, fin, opcode] to a fresh Rx with bound max; returns each delivery (or "-") and the logs. */
  const feed = (max: number, frames: [string, number, number][]) => {
    const calls = frames.map(([d, fin, op]) => `out[#out + 1] = m.rxFrame(rx, ${luaStr(d)}, ${fin}, ${op}, ${max}) or "-"`).join("\n");
    const r = vm.eval(`local m = __sim_image; logs = {}; local rx = m.rxNew(); local out = {}
      ${calls}
      return table.concat(out, "|") .. "#" .. table.concat(logs, "|") .. "#" .. #rx.parts .. "," .. rx.kept`);
    const [out, logs, held] = r.split("#");
    return { out: out.split("|"), logs: logs === "" ? [] : logs.split("|"), held };
  };

  it("fragments joined in order; a whole frame passes as it is", () => {
    expect(feed(100, [["[2,\"1\",", 0, 1], ["\"Heartbeat\"", 0, 0], [",{}]", 1, 0]]).out).toEqual(["-", "-", '[2,"1","Heartbeat",{}]']);
    expect(feed(100, [["[3,\"9\",{}]", 1, 1]]).out).toEqual(['[3,"9",{}]']);
    // Empty fragments are fine; nothing is held once the message is out.
    const r = feed(100, [["ab", 0, 1], ["", 0, 0], ["cd", 1, 0]]);
    expect(r.out).toEqual(["-", "-", "abcd"]);
    expect(r.held).toBe("0,0");
  });

  it("a message over the bound is cut at bound + 1 bytes as it arrives, and logged", () => {
    const part = "x".repeat(40);
    const r = feed(100, [[part, 0, 1], [part, 0, 0], [part, 0, 0], [part, 1, 0]]);
    expect(r.out.slice(0, 3)).toEqual(["-", "-", "-"]);
    // What the core gets is longer than its bound (so it refuses it), and no longer.
    expect(r.out[3]).toBe("x".repeat(101));
    expect(r.logs).toEqual(["W ocpp a message of 160 bytes cut to 101: over the build's 100"]);
    // Exactly at the bound: whole, no log.
    const at = feed(100, [["y".repeat(60), 0, 1], ["y".repeat(40), 1, 0]]);
    expect(at.out[1]).toBe("y".repeat(100));
    expect(at.logs).toEqual([]);
  });

  it("while cut, the later fragments are not kept", () => {
    const r = vm.eval(`local m = __sim_image; logs = {}; local rx = m.rxNew()
      m.rxFrame(rx, string.rep("a", 50), 0, 1, 20)
      local k1, n1 = rx.kept, #rx.parts
      for i = 1, 100 do m.rxFrame(rx, string.rep("b", 50), 0, 0, 20) end
      return k1 .. "," .. n1 .. "," .. rx.kept .. "," .. #rx.parts .. "," .. rx.total`);
    expect(r).toBe("21,1,21,1,5050");
  });

  it("binary messages, stray continuations and an unfinished message are dropped with a log", () => {
    expect(feed(100, [["\x01\x02", 0, 2], ["\x03", 1, 0]])).toMatchObject({ out: ["-", "-"], logs: ["W ocpp a binary message dropped (OCPP-J is text)"] });
    expect(feed(100, [["zz", 1, 0]])).toMatchObject({ out: ["-"], logs: ["W ocpp a continuation frame without a message: dropped"] });
    const r = feed(100, [["[2,", 0, 1], ["[3,\"1\",{}]", 1, 1]]);
    expect(r.out).toEqual(["-", '[3,"1",{}]']);
    expect(r.logs).toEqual(["W ocpp a message began before the last one ended: the unfinished one dropped"]);
    // Control opcodes never reach the joiner's output (the module answers pings itself).
    expect(feed(100, [["p", 1, 9], ["q", 1, 10]]).out).toEqual(["-", "-"]);
  });
});

// ---- the emulation as the port meets it ----

/** Effect lines as fields, unescaped (firmware/fields.ts), without the closing "due". */
function effectsOf(out: string): string[][] {
  const unesc = (f: string) => f.replace(/\\(\\|t|n)/g, (_m, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : "\\"));
  return out.split("\n").filter((l) => l !== "" && !l.startsWith("due\t")).map((l) => l.split("\t").map(unesc));
}

describe("LuatOS emulation: quirks the port copes with", () => {
  /** A VM with the emulated modules as globals, the given chunk as its image (__sim_image) and a port that does nothing. */
  function emuVm(image: string): { vm: LuaVm; ev: (kind: string, fields?: string[]) => string[][]; run: (lua: string) => string[][] } {
    const vm = emulationVm(BOARD, configName, "lua5.3", image);
    vm.loadBoard("return { boardRun = function() end }", "=port");
    const ev = (kind: string, fields: string[] = []) => effectsOf(vm.event(line(0, kind, fields)));
    // A snippet's effects come out with the next event.
    const run = (lua: string) => {
      vm.eval(`local m = __sim_image; ${lua}; return ''`);
      return ev("time");
    };
    return { vm, ev, run };
  }

  it("wsc:headers: a table's values percent-encoded, the raw string sent as it is; send always FIN, refused unless open", () => {
    const { vm, ev, run } = emuVm("return {}");
    const out = run(`c1 = websocket.create(nil, "ws://h/p", 40)
      c1:headers({["Sec-WebSocket-Protocol"] = "ocpp2.0.1"})
      c1:connect()
      c2 = websocket.create(nil, "ws://h/p")
      c2:headers("Sec-WebSocket-Protocol: ocpp2.0.1\\r\\nAuthorization: Basic a b\\r\\n")
      c2:connect()
      sendBefore = c2:send("x")`);
    expect(out).toEqual([
      ["ws", "1", "connect", "ws://h/p", "Sec-WebSocket-Protocol:ocpp2%2E0%2E1\r\n", "40"],
      ["ws", "2", "connect", "ws://h/p", "Sec-WebSocket-Protocol: ocpp2.0.1\r\nAuthorization: Basic a b\r\n", "60"],
    ]);
    expect(vm.eval("return tostring(sendBefore)")).toBe("false");
    ev("ws", ["2", "conack"]);
    expect(run(`r = tostring(c2:send("hello", 0)) .. tostring(c2:send(string.rep("y", 65535)))`)).toEqual([["ws", "2", "send", "1", "hello"]]);
    // As the stored sources answer: false after a frame went out, false for one refused.
    expect(vm.eval("return r")).toBe("falsefalse");
    expect(vm.eval(`return tostring(websocket.create(nil, "http://h/"))`)).toBe("nil");
    expect(vm.eval(`return tostring(c1:headers(string.rep("h", 1024)))`)).toBe("nil");
    // close() releases the client: no event for it any more.
    expect(run(`c2:close()`)).toEqual([["ws", "2", "close"]]);
    expect(ev("ws", ["2", "disconnect"])).toEqual([]);
  });

  it("sys tasks as sys.lua runs them: taskInit resumes at once, wait and waitUntil (a publish or the timeout) resume from the loop", () => {
    const { vm, run } = emuVm("return {}");
    const logged = (at: number) => effectsOf(vm.event(line(at, "time"))).filter((f) => f[0] === "print").map((f) => f[1]);
    expect(run(`sys.taskInit(function(a)
        log.info("t", "start", a)
        sys.wait(100)
        log.info("t", "waited")
        local ok, d = sys.waitUntil("X", 500)
        log.info("t", tostring(ok), tostring(d))
        ok = sys.waitUntil("Y", 200)
        log.info("t", tostring(ok))
      end, "arg")
      sys.timerStart(function() sys.publish("X", 42) end, 300)
      outside = select(2, pcall(sys.wait, 10))`).filter((f) => f[0] === "print").map((f) => f[1])).toEqual(["I/t start arg"]);
    expect(vm.eval("return outside")).toMatch(/sys.wait outside a task/);
    expect(logged(99)).toEqual([]);
    expect(logged(100)).toEqual(["I/t waited"]);
    expect(logged(300)).toEqual(["I/t true 42"]);
    expect(logged(499)).toEqual([]);
    expect(logged(500)).toEqual(["I/t false"]);
  });

  it("require as main.lua meets it: sys, the scripts uploaded into /luadb/ (compiled from the file, loaded once), an unknown name 'not found'", () => {
    const { vm, ev } = emuVm("return { image = true }");
    ev("file", ["/luadb/network.lua", "n = (n or 0) + 1 return { loads = n }"]);
    expect(vm.eval(`return tostring(require("sys") == sys) .. tostring(require("ocpp").image)`)).toBe("truetrue");
    expect(vm.eval(`require("network") return tostring(require("network").loads)`)).toBe("1");
    expect(vm.eval(`return select(2, pcall(require, "nope"))`)).toContain("module 'nope' not found");
  });

  it("storage: records in fskv, one over 4095 B in a file written aside and renamed, the journal appended in parts", () => {
    const { vm, run } = emuVm(transpileEntry(path.join(ROOT, "hal/luatos/storage.ts"), "lua5.3", undefined, GLOBALS));
    const brief = (e: string[][]) => e.map((f) => f.slice(0, 2).join(" "));
    expect(run(`m.storageStart(); m.save("dm", "a\\tb\\n")`)).toEqual([["fput", "fskv:dm", "sa\tb\n"]]);
    // Written aside, renamed over the old name, then the fskv copy removed.
    expect(brief(run(`m.save("dm", string.rep("x", 4096))`))).toEqual(["fput /ocpp_dm.tmp", "fren /ocpp_dm.tmp", "fdel fskv:dm"]);
    expect(vm.eval(`return #__sim_image.load("dm")`)).toBe("4096");
    expect(run(`m.save("dm", "short")`)).toEqual([["fput", "fskv:dm", "sshort"], ["fdel", "/ocpp_dm"]]);
    expect(vm.eval(`return __sim_image.load("dm")`)).toBe("short");
    // The journal: every part its own write, nothing joined; windows and sizes read back.
    expect(run(`m.append("j0", {"ab", "", "cde"}); m.append("j0", {"f"})`)).toEqual([
      ["fput", "/ocpp_j0", ""], ["fapp", "/ocpp_j0", "ab"], ["fapp", "/ocpp_j0", ""], ["fapp", "/ocpp_j0", "cde"], ["fapp", "/ocpp_j0", "f"],
    ]);
    expect(vm.eval(`local m = __sim_image; return m.read("j0", 1, 3) .. "|" .. m.read("j0", 4, 10) .. "|" .. m.read("j0", 9, 2) .. "|" .. m.size("j0") .. "|" .. tostring(m.read("jx", 0, 1)) .. "|" .. m.size("jx")`)).toBe("bcd|ef||6|nil|0");
    run(`m.erase("j0"); m.erase("dm")`);
    expect(vm.eval(`local m = __sim_image; return tostring(m.load("dm")) .. m.size("j0")`)).toBe("nil0");
  });

  it("a file record on a file system that will not rename onto a file: a power loss between the remove and the rename leaves the file aside, which load takes", () => {
    const { vm, run } = emuVm(transpileEntry(path.join(ROOT, "hal/luatos/storage.ts"), "lua5.3", undefined, GLOBALS));
    const brief = (e: string[][]) => e.map((f) => f.slice(0, 2).join(" "));
    run(`m.storageStart(); m.save("dm", string.rep("a", 5000))`);
    // SPIFFS-like: a rename onto an existing file is refused; the power goes right after the old record was removed.
    const out = run(`local rename, remove = os.rename, os.remove
      os.rename = function(from, to) if io.exists(to) then return nil, to .. ": File exists" end return rename(from, to) end
      os.remove = function(p) local r = remove(p) if p == "/ocpp_dm" then error("power lost") end return r end
      cut = select(2, pcall(m.save, "dm", string.rep("b", 5000)))
      os.remove = remove`);
    expect(brief(out)).toEqual(["fput /ocpp_dm.tmp", "fdel /ocpp_dm"]);
    expect(vm.eval(`return tostring(cut):match("power lost") ~= nil and io.exists("/ocpp_dm") == false and io.exists("/ocpp_dm.tmp") == true`)).toBe("true");
    // The next boot: the newer record, from the file aside.
    expect(vm.eval(`local v = __sim_image.load("dm"); return v and (#v .. string.sub(v, 1, 1)) or "lost"`)).toBe("5000b");
    // The next save puts it in place (the name is free, so the rename goes through); an erase leaves neither.
    expect(brief(run(`m.save("dm", string.rep("c", 5000))`))).toEqual(["fput /ocpp_dm.tmp", "fren /ocpp_dm.tmp"]);
    expect(vm.eval(`local v = __sim_image.load("dm"); return #v .. string.sub(v, 1, 1)`)).toBe("5000c");
    run(`m.save("dm", string.rep("d", 5000))`);
    vm.eval(`local m = __sim_image; io.writeFile("/ocpp_dm.tmp", "stale"); m.erase("dm"); return ''`);
    expect(vm.eval(`return tostring(__sim_image.load("dm")) .. tostring(io.exists("/ocpp_dm.tmp"))`)).toBe("nilfalse");
  });

  it("the pilot ADC without a peak hold sees the PWM itself: back-to-back reads at 10 % duty all fall in the low phase, at 53 % in the high one", () => {
    const { vm, ev } = emuVm("return {}");
    vm.eval(`adc.open(0); return ''`);
    const reads = () => vm.eval(`local r = {} for i = 1, 3 do r[i] = adc.get(0) end return table.concat(r, ",")`);
    // Peak-held (the input the port requires): the positive level, whatever the duty.
    ev("adc", ["0", "1800"]);
    expect(reads()).toBe("1800,1800,1800");
    // Bare, 6 A (10 %: 100 µs of each 1 ms): the poll's reads land 250, 270, 290 µs into the period.
    ev("adc", ["0", "1800", "0", "100"]);
    expect(reads()).toBe("0,0,0");
    // Bare, 32 A (53.3 %).
    ev("adc", ["0", "1800", "0", "533"]);
    expect(reads()).toBe("1800,1800,1800");
  });
});

// ---- through the port ----

type LtPort = Port<LuatosDriver>;

/** A CSMS and the port on its emulated board, connecting to url(csms) (default the CSMS itself). */
function startPort(id: string, opts: { usBase?: number; password?: string; csmsPassword?: string; url?: (csms: EmbeddedCsms) => string } = {}): Promise<LtPort> {
  return h.startPort({ board: BOARD, config: configName, runtime: "lua5.3", driver: (r) => new LuatosDriver(r), id, ...opts });
}

/** Waits (letting virtual time run) for a promise. */
async function settle<T>(p: Port, what: string, promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let r: { value?: T; error?: unknown } | undefined;
  promise.then((value) => (r = { value }), (error: unknown) => (r = { error }));
  return until(p, what, () => r);
}

const problems = (p: Port) => p.prints.filter((l) => /^E\/|PANIC/.test(l));

/**
 * A TCP proxy in front of the CSMS that passes the handshake and the station's frames as they are and
 * sends every data frame of the CSMS on in fragments of `piece` bytes (first the frame's opcode, then
 * continuations, FIN on the last): what a server may do (RFC 6455 §5.4), and what LuatOS hands its
 * callback one by one.
 */
async function fragmentingProxy(target: () => number, piece: number): Promise<{ port: number; fragments: number; messages: number }> {
  const stats = { port: 0, fragments: 0, messages: 0 };
  const server = net.createServer((client) => {
    const up = net.connect(target(), "127.0.0.1");
    client.on("data", (d) => up.write(d));
    let head = true;
    let buf = Buffer.alloc(0);
    up.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        client.write(buf.subarray(0, end + 4));
        buf = buf.subarray(end + 4);
        head = false;
      }
      for (;;) {
        if (buf.length < 2) return;
        const len7 = buf[1] & 0x7f;
        const hl = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        if (buf.length < hl) return;
        const len = len7 === 126 ? buf.readUInt16BE(2) : len7 === 127 ? Number(buf.readBigUInt64BE(2)) : len7;
        if (buf.length < hl + len) return;
        const opcode = buf[0] & 0x0f;
        const data = buf.subarray(hl, hl + len);
        if ((opcode === 1 || opcode === 2) && buf[0] & 0x80 && len > piece) {
          stats.messages++;
          for (let at = 0; at < len; at += piece) {
            const part = data.subarray(at, Math.min(at + piece, len));
            const last = at + piece >= len;
            const h = part.length < 126 ? Buffer.from([(last ? 0x80 : 0) | (at === 0 ? opcode : 0), part.length]) : Buffer.from([(last ? 0x80 : 0) | (at === 0 ? opcode : 0), 126, part.length >> 8, part.length & 0xff]);
            client.write(Buffer.concat([h, part]));
            stats.fragments++;
          }
        } else client.write(buf.subarray(0, hl + len));
        buf = buf.subarray(hl + len);
      }
    });
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on("close", end);
    up.on("close", end);
    client.on("error", end);
    up.on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  stats.port = (server.address() as net.AddressInfo).port;
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return stats;
}

const portOf = (csms: EmbeddedCsms) => Number(new URL(csms.url).port);

describe("the LuatOS port on its emulated board (lua5.3)", () => {
  it("boots Accepted with the subprotocol and Basic auth in the raw header string, reports its connectors, heartbeats across an mcu.ticks() wrap", async () => {
    // The signed 32-bit ms counter wraps 20 s after power-up.
    const p = await startPort("LT-BOOT", { usBase: (2147483648 - 20000) * 1000, password: "s3cret_Pass.word" });
    await bootAccepted(p);
    expect(p.csms.connections[0]).toMatchObject({ protocol: "ocpp2.0.1", password: "s3cret_Pass.word" });
    expect(p.driver.handshakes[0]).toBe(`Sec-WebSocket-Protocol: ocpp2.0.1\r\nAuthorization: Basic ${Buffer.from("LT-BOOT:s3cret_Pass.word").toString("base64")}\r\n`);
    expect(p.csms.received.find((r) => r.action === "BootNotification")?.payload).toMatchObject({ reason: "PowerUp" });
    const status = calls(p, "StatusNotification").map((s) => `${payload(s).evseId}:${payload(s).connectorStatus}`);
    expect(status).toEqual(expect.arrayContaining(["1:Available", "2:Available"]));
    // The embedded CSMS answers interval 30: heartbeats 30 s apart on the port's uptime, the wrap at 20 s included.
    await until(p, "three heartbeats", () => calls(p, "Heartbeat").length >= 3, 200);
    const at = calls(p, "Heartbeat").map((s) => s.at);
    for (const d of [at[1] - at[0], at[2] - at[1]]) {
      expect(d).toBeGreaterThanOrEqual(29000);
      expect(d).toBeLessThanOrEqual(31000);
    }
    // Provisioned once, as main.lua does; the records in fskv.
    expect(p.runner.store.data.has(PROVISION_FILE)).toBe(false);
    expect(p.runner.store.data.has("fskv:dm")).toBe(true);
    expect(p.runner.store.data.get("fskv:boots")).toBe("s1");
    // wsc:send answers false after a frame went out (the stored sources): no frame taken for lost.
    expect(p.prints.filter((l) => l.includes("not sent"))).toEqual([]);
    expect(problems(p)).toEqual([]);
  });

  it("runs a charging session: plug, remote start, contactor and PWM offer, SDM630 energy over Modbus, remote stop", async () => {
    const p = await startPort("LT-TX");
    await bootAccepted(p);
    p.driver.setPlugged(true, 1);
    await until(p, "Occupied", () => calls(p, "StatusNotification").some((s) => payload(s).evseId === 1 && payload(s).connectorStatus === "Occupied"));
    const started = await settle(p, "RequestStartTransaction answered", p.csms.remoteStart(p.id, 1, "04A1B2C3"));
    expect(started.value?.response).toMatchObject({ status: "Accepted" });
    await until(p, "TransactionEvent Started", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Started"));
    await until(p, "charging", () => p.driver.hw[0].ev.powerW() > 10000);
    // 32 A: duty 53.3 % of a 1 kHz PWM at precision 1000; the contactor closed and its feedback read back.
    expect(p.driver.pwm.get(0)).toEqual({ hz: 1000, duty: 533, precision: 1000 });
    expect(p.driver.hw[0].offerDa).toBe(320);
    expect(p.driver.outputs.get(p.driver.config.evses[0].relay)).toBe(1);
    expect(p.driver.hw[0].relayClosed).toBe(true);
    const { e } = await h.meteredUpdates(p, () => p.driver.hw[0].energyWh);
    // Both meters on the bus were read, in turn.
    expect(p.driver.meters[0].answered).toBeGreaterThan(50);
    expect(p.driver.meters[1].answered).toBeGreaterThan(50);
    const stopped = await settle(p, "RequestStopTransaction answered", p.csms.remoteStop(p.id, { evseId: 1 }));
    expect(stopped.value?.response).toMatchObject({ status: "Accepted" });
    const ended = await until(p, "TransactionEvent Ended", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Ended"));
    expect(payload(ended).transactionInfo).toMatchObject({ stoppedReason: "Remote" });
    expect(energyOf(ended)).toBeGreaterThanOrEqual(e);
    await run(p, 2);
    expect(p.driver.hw[0].relayClosed).toBe(false);
    expect(p.driver.pwm.get(0)).toEqual({ hz: 1000, duty: 1000, precision: 1000 });
    expect(p.driver.hw[0].offerDa).toBe(0);
    // EVSE 2 reads its plug from its own input.
    p.driver.setPlugged(true, 2);
    await until(p, "EVSE 2 Occupied", () => calls(p, "StatusNotification").some((s) => payload(s).evseId === 2 && payload(s).connectorStatus === "Occupied"));
    expect(problems(p)).toEqual([]);
  });

  it("every CSMS message arriving in fragments: joined before the core sees it", async () => {
    let target = 0;
    const proxy = await fragmentingProxy(() => target, 8);
    const p = await startPort("LT-FRAG", { url: () => `ws://127.0.0.1:${proxy.port}/ocpp` });
    target = portOf(p.csms);
    await bootAccepted(p);
    // A CALL from the CSMS, in pieces of 8 bytes, answered whole.
    const r = await settle(p, "GetVariables answered", p.csms.callChecked(p.id, "GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }));
    expect(r.value).toMatchObject({ getVariableResult: [{ attributeStatus: "Accepted", attributeValue: "30" }] });
    await until(p, "a heartbeat answered", () => calls(p, "Heartbeat").length >= 2, 100);
    expect(proxy.messages).toBeGreaterThanOrEqual(5);
    expect(proxy.fragments).toBeGreaterThan(proxy.messages * 3);
    expect(p.csms.connections.length).toBe(1);
    expect(problems(p)).toEqual([]);
  });

  it("a message over the build's bound in fragments: cut as it arrives (the heap does not grow with it), refused with a FormatViolation", async () => {
    let target = 0;
    const proxy = await fragmentingProxy(() => target, 4000);
    const p = await startPort("LT-BIG", { url: () => `ws://127.0.0.1:${proxy.port}/ocpp` });
    target = portOf(p.csms);
    await bootAccepted(p);
    // The heap after a full collection once each fragment went in: what the port holds of the message.
    const heap: number[] = [];
    const feed = p.runner.feed.bind(p.runner);
    p.runner.feed = (kind, fields) => {
      feed(kind, fields);
      if (kind === "ws" && fields[1] === "recv") heap.push(p.runner.heapKb(true));
    };
    p.runner.advance(0);
    const base = p.runner.heapKb(true);
    const r = await settle(p, "the oversized CALL answered", p.csms.call(p.id, "DataTransfer", { vendorId: "x", data: "y".repeat(60000) }));
    p.runner.feed = feed;
    expect((r.error as { rpcErrorCode?: string })?.rpcErrorCode).toBe("FormatViolation");
    // 15 fragments of 4000 bytes; the port keeps at most maxFrameBytes + 1 (8193) of them.
    expect(heap.length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...heap) - base).toBeLessThan(8193 / 1024 + 6);
    expect(heap[heap.length - 2] - heap[2]).toBeLessThan(2);
    expect(p.prints.some((l) => l.includes("a message of 60") && l.includes("cut to 8193"))).toBe(true);
    // The connection stays up: the next CALL goes through.
    const ok = await settle(p, "GetVariables answered", p.csms.callChecked(p.id, "GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }));
    expect(ok.value).toMatchObject({ getVariableResult: [{ attributeStatus: "Accepted" }] });
    expect(p.csms.connections.length).toBe(1);
  });

  it("a single frame over the module's 8 KB drops the connection; the station connects again", async () => {
    const p = await startPort("LT-8K");
    await bootAccepted(p);
    const r = await settle(p, "the big CALL ends", p.csms.call(p.id, "DataTransfer", { vendorId: "x", data: "z".repeat(8200) }, { callTimeoutMs: 3000 }));
    expect(r.error).toBeDefined();
    expect(p.driver.ends.some((e) => /over the 8192-byte receive buffer/.test(e))).toBe(true);
    await until(p, "a second connection", () => p.csms.connections.length >= 2, 200);
    await until(p, "connected again", () => p.csms.connected.includes(p.id), 30);
  });

  it("a refused handshake (HTTP 401) is the client's error event: closed once, tried again after the back-off", async () => {
    // The CSMS wants another password: every upgrade is answered 401.
    const p = await startPort("LT-401", { password: "wrong-password-1", csmsPassword: "right-password-1" });
    await until(p, "two refused attempts", () => p.driver.ends.filter((e) => /^error: handshake refused: HTTP\/1.1 401/.test(e)).length >= 2, 300);
    expect(calls(p, "BootNotification")).toEqual([]);
    expect(problems(p)).toEqual([]);
  });

  it("a handshake that never completes: abandoned by the core after 60 s (hal.disconnect closes the client), then tried again", async () => {
    // A server that takes the TCP connection and never answers.
    const held: net.Socket[] = [];
    let closed = 0;
    const silent = net.createServer((s) => {
      held.push(s);
      s.resume();
      s.on("close", () => closed++);
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => { held.forEach((s) => s.destroy()); silent.close(() => r()); }));
    const port = (silent.address() as net.AddressInfo).port;
    const p = await startPort("LT-SILENT", { url: () => `ws://127.0.0.1:${port}/ocpp` });
    await until(p, "the attempt given up", () => p.prints.some((l) => l.includes("connection attempt timed out")), 90);
    await until(p, "a second attempt", () => p.driver.handshakes.length >= 2, 200);
    // The first socket was closed by the port (wsc:close()), the second is the new attempt.
    await until(p, "the first socket closed", () => closed >= 1, 5);
    expect(problems(p)).toEqual([]);
  });

  it("provision.txt: uploaded with main.lua into the read-only script area, applied once (marked by /provisioned); a second power-on does not apply it again", async () => {
    await h.provisionedOnce((id, password) => startPort(id, { password }));
  });

  it("a power cycle in a session: the journal in files ends the transaction as PowerLoss after the reboot", async () => {
    const p = await startPort("LT-PC");
    await h.powerCycleInSession(p, 1, /^\/ocpp_j[01]$/, () => p.driver.hw[0], () => p.driver.setPlugged(true, 1));
  });
});
