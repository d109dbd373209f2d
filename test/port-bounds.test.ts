// The ports' bounds and storage, beside the per-port tests (test/port-*.test.ts):
// (1) The image's Firmware values (firmware/entry.ts): maxFrameBytes and the EVSE count of the build,
//     literals in the generated image module, on node and in the stripped bytecode of Lua 5.1 and 5.3:
//     what a port reads instead of the station's internals.
// (2) The NodeMCU ESP32 port's WebSocket client bounded by the image's maxFrameBytes (not 64 KiB): a CSMS
//     message over the build's bound closes the connection with 1009 (RFC 6455 §7.4.1) before any of it is
//     buffered, the port then connects again; one within the bound is answered.
// (3) hal/lib/spiffs-store.ts (the NodeMCU ports' storage) over a file table in Lua, on 5.1 and 5.3 with
//     single floats: names, the record's length header, a power loss between the remove and the rename
//     (load takes the temporary file and finishes the rename), a torn temporary file ignored.
// (4) LuatOS storage (hal/luatos/storage.ts) on the emulated fskv and files: a record of 4095 bytes in
//     fskv, 4096 and more in a file (no 4 KB read buffer anywhere: a 20000-byte record and journal window
//     come back whole), a key fskv refuses (over 63 bytes) and a full fskv in a file too, and a record
//     that neither takes refused cleanly (logged, the old one kept, nothing left aside); the file a power
//     loss left aside taken at load and removed once the record is back in fskv.

import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readBoardManifest, ROOT, transpileEntry } from "../build/compile";
import { loadConfig } from "../build/config";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import { buildDir, emulationFile, loadImage } from "../sim/runtimes/image";
import { buildPort, portConfigFile } from "../sim/boards/build";
import { PortRunner } from "../sim/boards/port-runner";
import { PORT_BOARDS } from "../sim/boards/port-sim";
import { EmbeddedCsms } from "../sim/csms";
import { PROVISION_KEYS } from "../sim/simulator";
import { WebSocket, WebSocketServer } from "ws";
import { cleanups, portTestCleanup, sleep, startPort, until as harnessUntil } from "./port-harness";

// The harness's cleanups run after the file; no CSMS here may have seen a schema violation.
portTestCleanup();

describe("the image's Firmware values", () => {
  const core = loadConfig(path.join(ROOT, "build/configs/core.json"), ROOT);

  it("node: the generated image module has the build's maxFrameBytes and EVSE count", async () => {
    const fw = (await import(path.join(ROOT, "build", "gen", "core", "image.ts"))) as { maxFrameBytes: number; evses: number };
    expect([fw.maxFrameBytes, fw.evses]).toEqual([core.bounds.maxFrameBytes, core.evses.length]);
  });

  it.each(["lua5.1", "lua5.3"] as const)("%s: the stripped image's table has them as numbers", async (runtime) => {
    const image = await loadImage(ROOT, "core", runtime);
    try {
      const got = image.vm!.eval(`local fw = __sim_image return math.type and (math.type(fw.maxFrameBytes) .. " " .. math.type(fw.evses) .. " " .. fw.maxFrameBytes .. " " .. fw.evses) or (type(fw.maxFrameBytes) .. " " .. type(fw.evses) .. " " .. fw.maxFrameBytes .. " " .. fw.evses)`);
      const kind = runtime === "lua5.1" ? "number" : "integer";
      expect(got).toBe(`${kind} ${kind} ${core.bounds.maxFrameBytes} ${core.evses.length}`);
    } finally {
      image.close();
    }
  });
});

// ---- (2) the ESP32 port's receive bound ----

describe("NodeMCU ESP32: received messages bounded by the image's maxFrameBytes", () => {
  const BOARD = "nodemcu-esp32";
  let configName = "";
  let maxFrameBytes = 0;
  beforeAll(() => {
    const file = portConfigFile(path.join(ROOT, "build", "configs", "core.json"), BOARD, 2);
    const cfg = buildPort(file, BOARD, "lua5.3");
    configName = cfg.name;
    maxFrameBytes = cfg.bounds.maxFrameBytes;
  }, 240000);

  it("a CSMS message over the bound: Close 1009 from the station, nothing of it buffered, then it connects again; one within the bound is answered", async () => {
    const csms = new EmbeddedCsms({ callTimeoutMs: 5000 });
    await csms.start(0);
    cleanups.push(() => csms.stop());
    const id = "ESP32-BOUND";
    const runner: PortRunner = new PortRunner({
      root: ROOT,
      config: configName,
      runtime: "lua5.3-f32",
      board: BOARD,
      provision: { [PROVISION_KEYS.url]: csms.url, [PROVISION_KEYS.identity]: id },
      provisionFile: PORT_BOARDS[BOARD].provisionFile,
      log: () => undefined,
    });
    runner.attach(PORT_BOARDS[BOARD].driver(runner, () => undefined));
    cleanups.push(() => runner.close());
    runner.powerOn();
    const until = async (what: string, fn: () => boolean, maxS = 120) => {
      for (let i = 0; i <= maxS; i++) {
        if (fn()) return;
        runner.advance(1000);
        await sleep(3);
      }
      throw new Error(`${what}: not within ${maxS} s\n${runner.prints.slice(-10).join("\n")}`);
    };
    await until("boot Accepted", () => csms.received.some((r) => r.action === "StatusNotification"));
    // Within the bound (its JSON about 2 KB): answered as usual.
    const small = csms.call(id, "DataTransfer", { vendorId: "bounds", data: "x".repeat(2000) });
    let smallAnswer: unknown;
    small.then((r) => (smallAnswer = r), (e: unknown) => (smallAnswer = e));
    await until("the small DataTransfer answered", () => smallAnswer !== undefined, 30);
    expect(smallAnswer).not.toBeInstanceOf(Error);
    expect(runner.prints.some((l) => / 1009 /.test(l))).toBe(false);
    // Over it: the connection is failed with 1009 (before, the port took up to 64 KiB and the core refused it).
    const connections = csms.connections.length;
    const big = csms.call(id, "DataTransfer", { vendorId: "bounds", data: "y".repeat(maxFrameBytes + 100) });
    let bigOutcome: unknown;
    big.then((r) => (bigOutcome = r), (e: unknown) => (bigOutcome = e ?? "rejected"));
    await until("the close with 1009", () => runner.prints.some((l) => /WebSocket closed: 1009 message too big/.test(l)), 30);
    await until("connected again", () => csms.connections.length > connections, 300);
    await until("the big CALL given up", () => bigOutcome !== undefined, 60);
    expect(bigOutcome).toBeInstanceOf(Error);
  }, 120000);

  it("a peer that pings and acknowledges nothing: the pongs queue up to maxFrameBytes + 16 KB, then the link is given up, and the heap with it", async () => {
    const wss = new WebSocketServer({ port: 0, handleProtocols: (p) => (p.has("ocpp2.0.1") ? "ocpp2.0.1" : false) });
    cleanups.push(() => new Promise((r) => wss.close(() => r(undefined))));
    await new Promise((r) => wss.once("listening", r));
    const peers: WebSocket[] = [];
    wss.on("connection", (ws) => peers.push(ws));
    // The station dials the raw ws server above (startPort's own CSMS stays unused).
    const p = await startPort({ board: BOARD, config: configName, runtime: "lua5.3", driver: (r) => PORT_BOARDS[BOARD].driver(r, () => undefined), id: "ESP32-FLOOD", url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ocpp` });
    const driver = p.driver as unknown as { holdAcks: boolean };
    const runner = p.runner;
    const until = (what: string, fn: () => boolean, maxS = 60) => harnessUntil(p, what, fn, maxS);
    await until("connected", () => peers.length === 1);
    const before = runner.heapKb(true);
    driver.holdAcks = true;
    // 400 pongs of 131 bytes: 52 KB, over 8192 + 16384.
    for (let i = 0; i < 400; i++) peers[0].ping(Buffer.alloc(125, i & 255));
    const bound = maxFrameBytes + 16384;
    await until("the link given up", () => runner.prints.some((l) => l.includes(`connection lost: send queue over ${bound} bytes`)), 60);
    // Nothing of the queue is left (52 KB of pongs would be without the bound).
    expect(runner.heapKb(true)).toBeLessThan(before + 8);
    expect(runner.prints.filter((l) => l.includes("send queue over")).length).toBe(1);
  }, 120000);
});

// ---- (3) the SPIFFS store of the NodeMCU ports ----

describe.each(["lua5.1", "lua5.3-f32"] as const)("hal/lib/spiffs-store.ts on %s", (runtime) => {
  let vm: LuaVm;
  beforeAll(() => {
    vm = createLuaVm(runtime);
    cleanups.push(() => vm.close());
    vm.loadImage(transpileEntry(path.join(ROOT, "hal/lib/spiffs-store.ts"), runtime === "lua5.1" ? "lua5.1" : "lua5.3"), "=spiffs-store");
    // A SPIFFS in a table: rename onto an existing name refused, as SPIFFS does; every call logged.
    vm.eval(`F = {} OPS = {} CUT = nil
      local function op(s) OPS[#OPS + 1] = s if CUT == s then CUT = nil error("power lost") end end
      META = {
        exists = function(n) return F[n] ~= nil end,
        remove = function(n) op("remove " .. n) F[n] = nil end,
        rename = function(a, b) op("rename " .. a) if F[b] ~= nil or F[a] == nil then return false end F[b] = F[a] F[a] = nil return true end,
      }
      FILES = {
        file = META,
        contents = function(n) return F[n] end,
        write = function(n, head, value) op("write " .. n) F[n] = head .. value return true end,
        append = function(n, parts) F[n] = (F[n] or "") .. table.concat(parts) return true end,
        read = function(n, off, len) if F[n] == nil then return nil end return string.sub(F[n], off + 1, off + len) end,
        size = function(n) return F[n] and #F[n] or 0 end,
      }
      S = __sim_image.spiffsStore(FILES)
      return ""`);
  }, 120000);
  const lua = (src: string) => vm.eval(src);

  it("records framed with their length, written aside and renamed; names escaped and bounded", () => {
    expect(lua(`return __sim_image.fileName("a/b~c d") .. " " .. tostring(__sim_image.fileName(string.rep("x", 31)))`)).toBe("a%2Fb%7Ec%20d nil");
    expect(lua(`OPS = {} local ok = S.save("dm", "v1") return tostring(ok) .. " " .. F["dm"] .. " " .. table.concat(OPS, ",")`)).toBe("true 2\nv1 write dm~,rename dm~");
    expect(lua(`OPS = {} S.save("dm", "value2") return F["dm"] .. "|" .. tostring(F["dm~"]) .. "|" .. table.concat(OPS, ",")`)).toBe("6\nvalue2|nil|write dm~,remove dm,rename dm~");
    expect(lua(`return S.load("dm") .. " " .. tostring(S.load("none")) .. " " .. tostring(S.save(string.rep("k", 31), "v"))`)).toBe("value2 nil false");
    expect(lua(`S.append("j", {"ab", "cd"}) S.append("j", {"e"}) return S.read("j", 1, 3) .. " " .. S.size("j") .. " " .. S.size("none") .. " " .. tostring(S.read("none", 0, 1))`)).toBe("bcd 5 0 nil");
  });

  it("a power loss between the remove and the rename: load takes the temporary file and finishes the rename", () => {
    lua(`S.save("rec", "old") CUT = "rename rec~" pcall(S.save, "rec", "newer") return ""`);
    expect(lua(`return tostring(F["rec"]) .. "|" .. F["rec~"]`)).toBe("nil|5\nnewer");
    expect(lua(`return S.load("rec") .. "|" .. F["rec"] .. "|" .. tostring(F["rec~"])`)).toBe("newer|5\nnewer|nil");
  });

  it("a torn record (its length header does not match) reads as none, and a torn temporary file is ignored", () => {
    expect(lua(`F["t"] = "10\\nshort" return tostring(S.load("t"))`)).toBe("nil");
    expect(lua(`F["u~"] = "9\\nhalf" return tostring(S.load("u")) .. " " .. tostring(F["u"])`)).toBe("nil nil");
    expect(lua(`S.erase("t") S.erase("u") return tostring(F["t"]) .. tostring(F["u~"])`)).toBe("nilnil");
  });
});

// ---- (4) LuatOS storage ----

describe("LuatOS storage: fskv's 4095-byte values, files for the rest", () => {
  const BOARD = "luatos";
  let vm: LuaVm;
  beforeAll(() => {
    const cfg = buildPort(portConfigFile(path.join(ROOT, "build", "configs", "core.json"), BOARD, 2), BOARD, "lua5.3");
    vm = createLuaVm("lua5.3");
    cleanups.push(() => vm.close());
    vm.loadImage(transpileEntry(path.join(ROOT, "hal/luatos/storage.ts"), "lua5.3", undefined, readBoardManifest(ROOT, BOARD).globals), "=storage");
    vm.loadBoard(fs.readFileSync(emulationFile(buildDir(ROOT, cfg.name, "lua5.3"), BOARD), "latin1"), "=emu");
    vm.loadBoard("return { boardRun = function() end }", "=port");
    vm.eval(`LOGS = {} local function rec(l) return function(tag, msg) LOGS[#LOGS + 1] = l .. " " .. msg end end
      log = { error = rec("E"), warn = rec("W"), info = rec("I"), debug = rec("D") }
      M = __sim_image M.storageStart() return ""`);
  }, 240000);
  const lua = (src: string) => vm.eval(src);
  const where = (key: string) => lua(`return (type(fskv.get("${key}")) == "string" and "fskv" or "-") .. " " .. (io.exists("/ocpp_${key}") and "file" or "-") .. " " .. (io.exists("/ocpp_${key}.tmp") and "tmp" or "-")`);

  it("4095 bytes in fskv, 4096 in a file (the fskv copy removed), and back", () => {
    lua(`M.save("b", string.rep("a", 4095)) return ""`);
    expect(where("b")).toBe("fskv - -");
    expect(lua(`return #M.load("b")`)).toBe("4095");
    lua(`M.save("b", string.rep("b", 4096)) return ""`);
    expect(where("b")).toBe("- file -");
    expect(lua(`local v = M.load("b") return #v .. string.sub(v, 1, 1)`)).toBe("4096b");
    lua(`M.save("b", "small") return ""`);
    expect(where("b")).toBe("fskv - -");
    expect(lua(`return M.load("b")`)).toBe("small");
  });

  it("no 4 KB read buffer: a 20000-byte record and a 10000-byte journal window come back whole", () => {
    lua(`M.save("big", string.rep("0123456789", 2000)) M.append("j", {string.rep("x", 6000), string.rep("y", 6000)}) return ""`);
    expect(lua(`local v = M.load("big") return #v .. " " .. string.sub(v, 19991)`)).toBe("20000 0123456789");
    expect(lua(`local w = M.read("j", 1000, 10000) return #w .. " " .. string.sub(w, 4999, 5002) .. " " .. M.size("j")`)).toBe("10000 xxyy 12000");
  });

  it("a key fskv refuses (over 63 bytes) and a full fskv: the record goes to a file", () => {
    const long = "k".repeat(64);
    lua(`M.save("${long}", "v") return ""`);
    expect(where(long)).toBe("- file -");
    expect(lua(`return M.load("${long}")`)).toBe("v");
    lua(`local set = fskv.set fskv.set = function() return false end M.save("full", "w") fskv.set = set return ""`);
    expect(where("full")).toBe("- file -");
    expect(lua(`return M.load("full")`)).toBe("w");
  });

  it("a power loss left the file aside (a file system that will not rename onto a file): load takes it, a small save then leaves fskv alone", () => {
    lua(`M.save("p", string.rep("p", 5000))
      local rename, remove = os.rename, os.remove
      os.rename = function(from, to) if io.exists(to) then return nil, to .. ": File exists" end return rename(from, to) end
      os.remove = function(f) local r = remove(f) if f == "/ocpp_p" then error("power lost") end return r end
      pcall(M.save, "p", string.rep("q", 5000))
      os.rename, os.remove = rename, remove return ""`);
    expect(where("p")).toBe("- - tmp");
    expect(lua(`local v = M.load("p") return #v .. string.sub(v, 1, 1)`)).toBe("5000q");
    lua(`M.save("p", "tiny") return ""`);
    expect(where("p")).toBe("fskv - -");
    expect(lua(`return M.load("p")`)).toBe("tiny");
  });

  it("a record neither fskv nor the file system takes is refused cleanly: logged, the old one kept, nothing left aside", () => {
    lua(`M.save("dm", "old") LOGS = {}
      local w = io.writeFile io.writeFile = function() return false end
      M.save("dm", string.rep("z", 5000))
      io.writeFile = w return ""`);
    expect(lua(`return table.concat(LOGS, "|")`)).toBe("E save dm failed");
    expect(lua(`return M.load("dm")`)).toBe("old");
    expect(where("dm")).toBe("fskv - -");
  });
});
