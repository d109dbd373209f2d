// Packaging an OEM flashes (issue #9 §2): ocpp-fw build --board <port> writes the start file, the
// provisioning template, FLASHING.md and the size report beside the image and the port; the start
// file runs in the board's Lua VM against minimal module tables (boardRun gets the config's wiring,
// the provisioning goes in once through fw.provision and its file goes); the config's "board"
// section is checked with errors naming the field; NodeMCU's bytecode layout matches its own tool.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../build/cli";
import { boardsAvailable, BuildError, readBoardManifest, ROOT } from "../build/compile";
import { BuildConfig, ConfigError, loadConfig, validateConfig } from "../build/config";
import { flashingMd } from "../build/flashing";
import { nodemcu51, nodemcu53 } from "../build/nodemcu-bytecode";
import { portModule, PROVISION_FILE, startFile } from "../build/start-file";
import { boardLimits, checkBoardFit, flashableBoards, luaString } from "../build/wiring";
import { compileStripped, createLuaVm, LuaRuntimeName } from "../sim/runtimes/lua-vm";

const CORE = path.join(ROOT, "build/configs/core.json");
const MINIMAL = path.join(ROOT, "build/configs/minimal.json");
const core = () => JSON.parse(fs.readFileSync(CORE, "utf8"));
/** The shipped config with a sample wiring for the board: core (two EVSEs), minimal for the ESP8266 (one pilot). */
const configOf = (board: string) => (board === "nodemcu-esp8266" ? MINIMAL : CORE);
const PASSWORD = "pa=ss w0rd#7";
/** What an OEM writes per unit: comments, an empty value, a value with '=' and spaces, CRLF line ends. */
const PROVISION = `# unit 7\r\nInternal/CsmsUrl=ws://csms.example:9000/ocpp\r\nSecurityCtrlr/Identity=CP7\r\nEmsCtrlr/Url=\r\nSecurityCtrlr/BasicAuthPassword=${PASSWORD}\r\n`;
const APPLIED = ["Internal/CsmsUrl=ws://csms.example:9000/ocpp", "SecurityCtrlr/Identity=CP7", `SecurityCtrlr/BasicAuthPassword=${PASSWORD}`];

/** The VM of each board's firmware (ESP32: single floats). */
const VM: { [board: string]: LuaRuntimeName } = { "nodemcu-esp8266": "lua5.1", "nodemcu-esp32": "lua5.3-f32", luatos: "lua5.3" };

/** Deterministic text of a Lua value, the same in JS for the config's wiring (keys sorted as strings, arrays 1-based). */
const SER_LUA = `local function ser(v)
  if type(v) ~= "table" then return tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. "=" .. ser(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end`;
function ser(v: unknown): string {
  if (typeof v !== "object" || v === null) return String(v);
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i + 1), x]) : Object.entries(v);
  return "{" + entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${k}=${ser(x)}`).join(",") + "}";
}

/**
 * Runs a start file in the board's VM, in an environment of minimal module tables: the image is a
 * stand-in Firmware logging start/provision, the port a stand-in whose boardRun logs the wiring and
 * calls fw.start as a port does. Files live in a table (files: name -> contents). Returns the log and
 * the files left, after `boots` boots on the same files. lfs: how NodeMCU's chunks are found.
 */
function runStart(board: string, src: string, opts: { files: { [name: string]: string }; boots?: number; lfs?: "get" | "flashindex" | "flashindex-other" | "none"; startFails?: boolean; image?: string; network?: "up" | "raises" }): { log: string[]; files: string[] } {
  const vm = createLuaVm(VM[board]);
  try {
    const files = Object.entries(opts.files).map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`).join(", ");
    const out = vm.eval(`
${SER_LUA}
local log = {}
local function say(s) log[#log + 1] = s end
local files = { ${files} }
local image = {}
image.start = function(hal) say("start") ${opts.startFails === true ? "return nil" : "return { station = true }"} end
image.provision = function(st, k, v) say("provision " .. k .. "=" .. v .. (st.station and "" or " (no station)")) end
image.tick = function() end
local port = { boardRun = function(fw, cfg)
  say("boardRun " .. ser(cfg))
  if fw.tick ~= image.tick or fw.provision ~= image.provision then say("entry points changed") end
  fw.start({})
end }
${opts.image === undefined ? "" : realImage(opts.image)}
local chunks = { ocpp = function() return image end, [${luaString(portModule(board))}] = function() return port end }
${opts.network === undefined ? "" : opts.network === "up" ? 'chunks.network = function() say("network up") return true end' : 'chunks.network = function() error("no SSID") end'}
local timers = {}
local function handle(name, mode)
  if string.find(mode, "r") then
    if files[name] == nil then return nil end
    return { read = function(self, fmt) return files[name] end, close = function() end }
  end
  files[name] = ""
  return { write = function(self, s) files[name] = files[name] .. s end, close = function() end }
end
local env = {
  string = string, table = table, pairs = pairs, ipairs = ipairs, assert = assert, type = type, tostring = tostring,
  node = {},
  tmr = { ALARM_SINGLE = 0, create = function() return { alarm = function(self, ms, mode, fn) say("alarm " .. ms) timers[#timers + 1] = fn return true end } end },
  file = {
    exists = function(n) return files[n] ~= nil end,
    getcontents = function(n) return files[n] end,
    remove = function(n) say("remove " .. n) files[n] = nil end,
  },
  io = { open = handle },
  loadfile = function(n) say("loadfile " .. n) local c = chunks[(string.gsub(n, "%.lc$", ""))] return c end,
  wifi = { start = function() say("wifi.start") end, sta = { on = function(ev) say("wifi.sta.on " .. ev) end, connect = function() say("wifi.sta.connect") end } },
  require = function(n)
    if n == "sys" then return { run = function() say("sys.run") end } end
    if chunks[n] == nil then error("module '" .. n .. "' not found: no file '/luadb/" .. n .. ".luac'") end
    say("require " .. n)
    return chunks[n]()
  end,
  pcall = pcall, error = error,
  log = { error = function(tag, m) say("log.error " .. tag .. " " .. m) end },
}
local lfs = ${luaString(opts.lfs ?? "get")}
if lfs == "get" then env.node.LFS = { get = function(n) say("LFS.get " .. n) return chunks[n] end }
elseif lfs == "flashindex" then env.node.flashindex = function(n) say("flashindex " .. n) return chunks[n] end
elseif lfs == "flashindex-other" then
  -- An LFS without these modules: flashindex answers with the LFS's build time, addresses, size and names.
  env.node.flashindex = function(n) say("flashindex " .. n) return 1700000000, 0x40200000, 0x100000, 4096, { "other" } end
else env.node.LFS = { get = function(n) say("LFS.get " .. n) return nil end } end
local src = ${luaString(src)}
for boot = 1, ${opts.boots ?? 1} do
  say("boot " .. boot)
  local f, err
  if setfenv ~= nil then
    f, err = loadstring(src, "=start")
    if f ~= nil then setfenv(f, env) end
  else
    f, err = load(src, "=start", "t", env)
  end
  if f == nil then return "load failed: " .. err end
  f()
  while #timers > 0 do table.remove(timers, 1)() end
end
local left = {}
for k in pairs(files) do left[#left + 1] = k end
table.sort(left)
return table.concat(log, "\\n") .. "\\n--\\n" .. table.concat(left, "\\n")`);
    const [log, left] = out.split("\n--\n");
    return { log: log.split("\n"), files: left === "" ? [] : left.split("\n") };
  } finally {
    vm.close();
  }
}

function input(board: string, cfg: BuildConfig) {
  return { config: cfg.name, board, target: readBoardManifest(ROOT, board).targets.includes(cfg.target) ? cfg.target : readBoardManifest(ROOT, board).targets[0], firmwareVersion: cfg.identity.firmwareVersion, wiring: cfg.board![board] };
}

/**
 * Lua replacing the stand-ins of runStart by the real image (its source) and a port whose HAL keeps
 * the flash records across boots and logs connect: boardRun starts the station, then ticks it once.
 */
function realImage(source: string): string {
  return `
local real = assert((loadstring or load)(${luaString(source)}, "=ocpp"))()
image = real
local flash, clock = {}, 0
port = { boardRun = function(fw, cfg)
  if fw.tick ~= real.tick then say("entry points changed") end
  local hal = {}
  function hal.connect(self, url, sub, auth, ping) say("connect " .. url .. " " .. sub .. " " .. tostring(auth)) end
  function hal.send(self, parts) end
  function hal.disconnect(self) end
  function hal.uptime(self) return clock end
  function hal.rtcEpoch(self) return nil end
  function hal.setRtcEpoch(self, e) end
  function hal.random(self, n) return 0 end
  function hal.load(self, k) return flash[k] end
  function hal.save(self, k, v) flash[k] = v end
  function hal.erase(self, k) flash[k] = nil end
  function hal.append(self, k, parts) flash[k] = (flash[k] or "") .. table.concat(parts) return true end
  function hal.read(self, k, offset, length) local v = flash[k] if v == nil then return nil end return string.sub(v, offset + 1, offset + length) end
  function hal.size(self, k) return #(flash[k] or "") end
  function hal.setRelay(self, e, c) end
  function hal.relayClosed(self, e) return false end
  function hal.readMeter(self, e) return { energyWh = 0, powerW = 0, currentDa = {}, voltageDv = {}, socPercent = -1 } end
  function hal.pilotState(self, e) return "A" end
  function hal.setPilotOffer(self, e, d) end
  function hal.setLock(self, e, c, l) end
  function hal.lockState(self, e, c) return false end
  function hal.plugged(self, e, c) return false end
  function hal.reboot(self) end
  function hal.log(self, level, msg) if level <= 1 then say("log " .. msg) end end
  local st = fw.start(hal)
  say(st ~= nil and "started" or "not started")
  clock = clock + 1
  fw.tick(st)
end }`;
}

const FLASHABLE = flashableBoards(ROOT);

describe("the start file, in the board's Lua VM against minimal module tables", () => {
  it("the flashable boards are the three ports: the sim board has no start file", () => {
    expect(FLASHABLE).toEqual(["luatos", "nodemcu-esp32", "nodemcu-esp8266"]);
  });

  it.each(FLASHABLE)("%s: boardRun gets the config's wiring; the provisioning goes in after fw.start, once, and its file goes", (board) => {
    const cfg = loadConfig(configOf(board), ROOT);
    const kind = readBoardManifest(ROOT, board).start!;
    const src = startFile(kind, input(board, cfg));
    const wiring = `boardRun ${ser(cfg.board![board])}`;
    if (kind === "init.lua") {
      const r = runStart(board, src, { files: { [PROVISION_FILE]: PROVISION, "init.lua": src }, boots: 2 });
      const wifi = board === "nodemcu-esp32" ? ["wifi.start"] : [];
      const boot = (n: number, provision: string[]) => [`boot ${n}`, ...wifi, "alarm 3000", "LFS.get ocpp", `LFS.get ${portModule(board)}`, wiring, "start", ...provision];
      expect(r.log).toEqual([...boot(1, [...APPLIED.map((a) => `provision ${a}`), `remove ${PROVISION_FILE}`]), ...boot(2, [])]);
      expect(r.files).toEqual(["init.lua"]);
    } else {
      // LuatOS: the uploaded file is read-only (/luadb/): applied once, remembered in /provisioned.
      const r = runStart(board, src, { files: { [`/luadb/${PROVISION_FILE}`]: PROVISION }, boots: 2 });
      const boot = (n: number, provision: string[]) => [`boot ${n}`, "require ocpp", `require ${portModule(board)}`, wiring, "start", ...provision, "sys.run"];
      expect(r.log).toEqual([...boot(1, APPLIED.map((a) => `provision ${a}`)), ...boot(2, [])]);
      expect(r.files).toEqual(["/luadb/provision.txt", "/provisioned"]);
      expect(src).toMatch(/^PROJECT = "core"$/m);
      expect(src).toMatch(/^VERSION = "0\.1\.0"$/m);
      expect(src.trimEnd().endsWith("sys.run()")).toBe(true);
    }
  });

  it.each(FLASHABLE.filter((b) => readBoardManifest(ROOT, b).start === "init.lua"))("%s: without LFS the chunks come from the .lc files; node.flashindex on older firmware", (board) => {
    const src = startFile("init.lua", input(board, loadConfig(configOf(board), ROOT)));
    const none = runStart(board, src, { files: {}, lfs: "none" });
    expect(none.log.filter((l) => /^(LFS|loadfile|flashindex)/.test(l))).toEqual(["LFS.get ocpp", "loadfile ocpp.lc", `LFS.get ${portModule(board)}`, `loadfile ${portModule(board)}.lc`]);
    const old = runStart(board, src, { files: {}, lfs: "flashindex" });
    expect(old.log.filter((l) => /^(LFS|loadfile|flashindex)/.test(l))).toEqual(["flashindex ocpp", `flashindex ${portModule(board)}`]);
    expect(old.log).toContain("start");
    // Older firmware whose LFS holds other modules: flashindex answers with a number, not a module; the .lc files then.
    const other = runStart(board, src, { files: {}, lfs: "flashindex-other" });
    expect(other.log.filter((l) => /^(LFS|loadfile|flashindex)/.test(l))).toEqual(["flashindex ocpp", "loadfile ocpp.lc", `flashindex ${portModule(board)}`, `loadfile ${portModule(board)}.lc`]);
    expect(other.log).toContain("start");
    // The generated text: node.LFS.get first, node.flashindex when that gave no function, the .lc file last.
    const get = src.indexOf("lfs.get(name)");
    const index = src.indexOf("node.flashindex(name)");
    const lc = src.indexOf('loadfile(name .. ".lc")');
    expect(get).toBeGreaterThan(0);
    expect(index).toBeGreaterThan(get);
    expect(lc).toBeGreaterThan(index);
    expect(src).toContain('if type(f) ~= "function" and node.flashindex ~= nil then f = node.flashindex(name) end');
  });

  it("luatos: the OEM's network.lua, when uploaded, runs before the port starts; a missing one is no error, a failing one is logged", () => {
    const src = startFile("main.lua", input("luatos", loadConfig(CORE, ROOT)));
    const up = runStart("luatos", src, { files: {}, network: "up" });
    expect(up.log.slice(0, 4)).toEqual(["boot 1", "require network", "network up", "require ocpp"]);
    expect(up.log).toContain("start");
    const none = runStart("luatos", src, { files: {} });
    expect(none.log.filter((l) => l.startsWith("log") || l.includes("network"))).toEqual([]);
    expect(none.log).toContain("start");
    const bad = runStart("luatos", src, { files: {}, network: "raises" });
    expect(bad.log.filter((l) => l.startsWith("log.error"))).toEqual([expect.stringMatching(/^log\.error main network\.lua failed: .*no SSID/)]);
    expect(bad.log).toContain("start");
  });

  it.each(FLASHABLE)("%s: a station that did not start gets no provisioning, and the file stays for the next start", (board) => {
    const kind = readBoardManifest(ROOT, board).start!;
    const src = startFile(kind, input(board, loadConfig(configOf(board), ROOT)));
    const name = kind === "init.lua" ? PROVISION_FILE : `/luadb/${PROVISION_FILE}`;
    const r = runStart(board, src, { files: { [name]: PROVISION }, startFails: true });
    expect(r.log.filter((l) => l.startsWith("provision") || l.startsWith("remove"))).toEqual([]);
    expect(r.files).toEqual([name]);
  });

  it("a register table in the wiring reaches boardRun as written", () => {
    const c = core();
    c.board.luatos.meter.registers = [
      { name: "energyWh", fn: 3, addr: 256, kind: "u32", dec: 0, swap: true },
      { name: "powerW", fn: 3, addr: 258, kind: "s16", dec: -1 },
    ];
    c.board.luatos.meter.periodMs = 500;
    const cfg = validateConfig(c, "core.json", ROOT);
    const r = runStart("luatos", startFile("main.lua", input("luatos", cfg)), { files: {} });
    expect(r.log).toContain(`boardRun ${ser(cfg.board!.luatos)}`);
    expect(r.log.find((l) => l.startsWith("boardRun"))).toContain("kind=u32,name=energyWh,swap=true}");
  });
});

describe("the config's board section: errors name the field", () => {
  const bad: [string, (c: any) => void][] = [
    ["board.sim", (c) => (c.board.sim = c.board.luatos)],
    ["board.luatos.evses", (c) => c.board.luatos.evses.pop()],
    ["board.luatos.evses[0].colour", (c) => (c.board.luatos.evses[0].colour = "red")],
    ["board.luatos.evses[1].relay", (c) => (c.board.luatos.evses[1].relay = c.board.luatos.evses[0].relay)],
    ["board.nodemcu-esp32.meter.dePin", (c) => (c.board["nodemcu-esp32"].meter.dePin = c.board["nodemcu-esp32"].evses[0].lock)],
    ["board.nodemcu-esp32.evses[1].meterAddress", (c) => (c.board["nodemcu-esp32"].evses[1].meterAddress = 1)],
    ["board.nodemcu-esp32.evses[0].pilotPwm", (c) => (c.board["nodemcu-esp32"].evses[0].pilotPwm = -1)],
    ["board.nodemcu-esp32.evses[0].lockFeedback", (c) => (c.board["nodemcu-esp32"].evses[0].lock = -1)],
    ["board.nodemcu-esp32.meter.baud", (c) => (c.board["nodemcu-esp32"].meter.baud = 9601)],
    ["board.nodemcu-esp32.pilotLevels[2]", (c) => (c.board["nodemcu-esp32"].pilotLevels[2] = 3000)],
    ["board.nodemcu-esp32.pilotLevels", (c) => c.board["nodemcu-esp32"].pilotLevels.pop()],
    ["board.nodemcu-esp32.tickMs", (c) => (c.board["nodemcu-esp32"].tickMs = 2000)],
    ["board.luatos.meter.registers", (c) => (c.board.luatos.meter.registers = [{ name: "powerW", fn: 4, addr: 52, kind: "f32", dec: 0 }])],
    ["board.luatos.meter.registers[0].kind", (c) => (c.board.luatos.meter.registers = [{ name: "energyWh", fn: 4, addr: 72, kind: "f64", dec: 3 }])],
    ["board.nodemcu-esp32.evses[0]", (c) => c.evses[0].connectors.push(c.evses[0].connectors[0])],
    ["deviceModel.SecurityCtrlr/BasicAuthPassword", (c) => (c.deviceModel["SecurityCtrlr/BasicAuthPassword"] = { default: PASSWORD })],
  ];
  it.each(bad)("%s", (field, change) => {
    const c = core();
    change(c);
    expect(() => validateConfig(c, "core.json", ROOT)).toThrow(new RegExp(`^core\\.json: ${field.replace(/[[\].]/g, "\\$&")}: `));
  });

  const esp8266: [string, (c: any) => void][] = [
    ["board.nodemcu-esp8266.evses", (c) => {
      c.evses.push(c.evses[0]);
      c.board["nodemcu-esp8266"].evses.push({ ...c.board["nodemcu-esp8266"].evses[0], relay: 6, pilotPwm: 7, meterAddress: 2 });
    }],
    ["board.nodemcu-esp8266.evses[0].pilotAdc", (c) => (c.board["nodemcu-esp8266"].evses[0].pilotAdc = 1)],
    ["board.nodemcu-esp8266.meter.uart", (c) => (c.board["nodemcu-esp8266"].meter.uart = 1)],
  ];
  it.each(esp8266)("%s (the ESP8266: one ADC channel, one UART that receives)", (field, change) => {
    const c = JSON.parse(fs.readFileSync(MINIMAL, "utf8"));
    change(c);
    expect(() => validateConfig(c, "minimal.json", ROOT)).toThrow(new RegExp(`^minimal\\.json: ${field.replace(/[[\].]/g, "\\$&")}: `));
  });

  // The ESP32's pins (ESP-IDF GPIO summary): GPIO 0-19, 21-23, 25-27, 32-39; 6-11 are the SPI flash's;
  // 34-39 input only; the pilot ADC an ADC1 channel (ADC2 is unusable with WiFi), its GPIO taken.
  const esp32: [string, RegExp, (w: any) => void][] = [
    ["board.nodemcu-esp32.evses[0].relay", /input only/, (w) => (w.evses[0].relay = 35)],
    ["board.nodemcu-esp32.evses[1].pilotPwm", /input only/, (w) => (w.evses[1].pilotPwm = 36)],
    ["board.nodemcu-esp32.evses[0].lock", /input only/, (w) => (w.evses[0].lock = 39)],
    ["board.nodemcu-esp32.meter.dePin", /input only/, (w) => (w.meter.dePin = 34)],
    ["board.nodemcu-esp32.meter.txPin", /input only/, (w) => (w.meter.txPin = 38)],
    ["board.nodemcu-esp32.evses[0].lock", /SPI flash/, (w) => (w.evses[0].lock = 8)],
    ["board.nodemcu-esp32.evses[0].relayFeedback", /does not exist/, (w) => (w.evses[0].relayFeedback = 20)],
    ["board.nodemcu-esp32.evses[1].plug", /does not exist/, (w) => (w.evses[1].plug = 40)],
    ["board.nodemcu-esp32.evses[0].pilotAdc", /ADC1 channel 0\.\.7/, (w) => (w.evses[0].pilotAdc = 8)],
    ["board.nodemcu-esp32.evses[0].pilotAdc", /GPIO 32, which is already board\.nodemcu-esp32\.evses\[0\]\.pilotPwm/, (w) => (w.evses[0].pilotAdc = 4)],
    ["board.nodemcu-esp32.evses[1].relayFeedback", /GPIO|already/, (w) => (w.evses[1].relayFeedback = 34)],
    ["board.nodemcu-esp32.meter.uart", /0, 1 or 2/, (w) => (w.meter.uart = 3)],
  ];
  it.each(esp32)("%s: %s (the ESP32's pins)", (field, why, change) => {
    const c = core();
    change(c.board["nodemcu-esp32"]);
    expect(() => validateConfig(c, "core.json", ROOT)).toThrow(new RegExp(`^core\\.json: ${field.replace(/[[\].]/g, "\\$&")}: .*${why.source}`));
  });
  it("the ESP32 takes input-only pins as inputs, and the ADC1 channels' own pins are theirs", () => {
    const c = core();
    c.board["nodemcu-esp32"].evses[0].relayFeedback = 36;
    c.board["nodemcu-esp32"].evses[1].plug = 39;
    expect(validateConfig(c, "core.json", ROOT).board!["nodemcu-esp32"].evses[1].plug).toBe(39);
  });

  // NodeMCU ESP8266 pin indexes (nodemcu gpio docs): 0..12, D0 without PWM; UART 0 on D7/D8 (uart.alt(1)) or the console's D9/D10.
  const esp8266pins: [string, RegExp, (w: any) => void][] = [
    ["board.nodemcu-esp8266.evses[0].relay", /pin index 0\.\.12/, (w) => (w.evses[0].relay = 13)],
    ["board.nodemcu-esp8266.meter.dePin", /pin index 0\.\.12/, (w) => (w.meter.dePin = 16)],
    ["board.nodemcu-esp8266.evses[0].pilotPwm", /D0 \(GPIO16\) has no PWM/, (w) => (w.evses[0].pilotPwm = 0)],
    ["board.nodemcu-esp8266.meter.rxPin", /rxPin 7 and txPin 8/, (w) => (w.meter.rxPin = 6)],
    ["board.nodemcu-esp8266.meter.rxPin", /rxPin 7 and txPin 8/, (w) => (w.meter.txPin = -1)],
    ["board.nodemcu-esp8266.meter.rxPin", /pin 7 is already board\.nodemcu-esp8266\.evses\[0\]\.relay/, (w) => (w.evses[0].relay = 7)],
    ["board.nodemcu-esp8266.meter.txPin", /pin 10 is already board\.nodemcu-esp8266\.evses\[0\]\.plug/, (w) => {
      w.meter.rxPin = -1;
      w.meter.txPin = -1;
      w.evses[0].plug = 10;
    }],
  ];
  it.each(esp8266pins)("%s: %s (the ESP8266's pin indexes)", (field, why, change) => {
    const c = JSON.parse(fs.readFileSync(MINIMAL, "utf8"));
    change(c.board["nodemcu-esp8266"]);
    expect(() => validateConfig(c, "minimal.json", ROOT)).toThrow(new RegExp(`^minimal\\.json: ${field.replace(/[[\].]/g, "\\$&")}: .*${why.source}`));
  });
  it("the ESP8266 takes D0 as a polled input or a plain output, and UART 0 on the console's pins", () => {
    const c = JSON.parse(fs.readFileSync(MINIMAL, "utf8"));
    const w = c.board["nodemcu-esp8266"];
    w.evses[0].plug = 0;
    w.meter.rxPin = -1;
    w.meter.txPin = -1;
    expect(validateConfig(c, "minimal.json", ROOT).board!["nodemcu-esp8266"].evses[0].plug).toBe(0);
    w.evses[0].plug = -1;
    w.evses[0].relay = 0;
    expect(validateConfig(c, "minimal.json", ROOT).board!["nodemcu-esp8266"].evses[0].relay).toBe(0);
  });

  it("LuatOS's pilot PWM is a channel: it may share its number with a GPIO", () => {
    const c = core();
    c.board.luatos.evses[0].pilotPwm = c.board.luatos.evses[0].relay;
    expect(validateConfig(c, "core.json", ROOT).board!.luatos.evses[0].pilotPwm).toBe(c.board.luatos.evses[0].relay);
  });
});

describe("what a board takes: the frame bound and the EVSEs of hal/<board>/board.json, checked before the wiring", () => {
  const CONFIGS = fs.readdirSync(path.join(ROOT, "build/configs")).filter((f) => f.endsWith(".json")).sort();
  const fit = (c: any, board: string) => checkBoardFit((field, why) => {
    throw new ConfigError(`${field}: ${why}`);
  }, c, board, ROOT);

  it("each flashable board states its largest frame: LuatOS 8192 (its receive buffer), the ESP8266 8192 (its heap), the ESP32 65536 (the port's client)", () => {
    expect(Object.fromEntries(FLASHABLE.map((b) => [b, boardLimits(ROOT, b).maxFrameBytes]))).toEqual({ luatos: 8192, "nodemcu-esp32": 65536, "nodemcu-esp8266": 8192 });
    for (const b of FLASHABLE) expect(boardLimits(ROOT, b).maxFrameWhy, b).toBeTruthy();
  });

  it("every shipped config fits every board it has a wiring for", () => {
    const pairs: string[] = [];
    for (const f of CONFIGS) {
      const c = loadConfig(path.join(ROOT, "build/configs", f), ROOT);
      for (const b of Object.keys(c.board ?? {})) {
        expect(() => fit(c, b), `${f} on ${b}`).not.toThrow();
        pairs.push(`${f} ${b}`);
      }
    }
    expect(pairs.sort()).toEqual(["core.json luatos", "core.json nodemcu-esp32", "minimal.json nodemcu-esp8266"]);
  });

  it("a frame bound over the board's is refused naming the field and the board (full.json's 16384 on LuatOS)", () => {
    const full = loadConfig(path.join(ROOT, "build/configs/full.json"), ROOT);
    expect(() => fit(full, "luatos")).toThrow(/^bounds\.maxFrameBytes: 16384 is more than board luatos takes: at most 8192 \(its websocket module/);
    const c = core();
    c.bounds.maxFrameBytes = 8193;
    expect(() => fit(c, "luatos")).toThrow(/^bounds\.maxFrameBytes: 8193 is more than board luatos takes: at most 8192/);
    c.bounds.maxFrameBytes = 65537;
    expect(() => fit(c, "nodemcu-esp32")).toThrow(/^bounds\.maxFrameBytes: 65537 is more than board nodemcu-esp32 takes: at most 65536/);
    c.bounds.maxFrameBytes = 65536;
    expect(() => fit(c, "nodemcu-esp32")).not.toThrow();
  });

  it("ocpp-fw build --board refuses it before the compile, naming the field and the board", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pkg-"));
    const file = path.join(dir, "big.json");
    const c = core();
    c.name = "big";
    c.bounds.maxFrameBytes = 16384;
    fs.writeFileSync(file, JSON.stringify(c));
    expect(() => buildImage(file, undefined, dir, "luatos")).toThrow(ConfigError);
    expect(() => buildImage(file, undefined, dir, "luatos")).toThrow(`${file}: bounds.maxFrameBytes: 16384 is more than board luatos takes: at most 8192`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the issue's example, core.json (two EVSEs) on the ESP8266: refused saying why and what to build instead", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pkg-"));
    expect(() => buildImage(CORE, undefined, dir, "nodemcu-esp8266")).toThrow(
      `${CORE}: evses: 2 EVSEs, but board nodemcu-esp8266 drives one EVSE (one ADC channel, so one control pilot); use build/configs/minimal.json, or a config with one EVSE and a board.nodemcu-esp8266 section`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an EVSE with two connectors (full.json) is refused for every board, naming the connectors", () => {
    const full = loadConfig(path.join(ROOT, "build/configs/full.json"), ROOT);
    expect(() => fit({ ...full, bounds: { ...full.bounds, maxFrameBytes: 8192 } }, "luatos")).toThrow(/^evses\[0\]\.connectors: EVSE 1 has 2 connectors, but a board's wiring \(board luatos\) has one connector per EVSE; use build\/configs\/core\.json/);
    expect(() => fit(full, "nodemcu-esp32")).toThrow(/^evses\[0\]\.connectors: /);
  });

  it("the ESP32 drives at most six EVSEs (ledc channels)", () => {
    const c = core();
    c.evses = Array.from({ length: 7 }, () => c.evses[0]);
    expect(() => fit(c, "nodemcu-esp32")).toThrow(/^evses: 7 EVSEs, but board nodemcu-esp32 drives at most 6 EVSEs/);
    expect(() => fit(c, "luatos")).not.toThrow();
  });
});

describe("FLASHING.md, per board (build/flashing.ts)", () => {
  const md = (board: string, change?: (w: any) => void, lfsBytes = 245760) => {
    const cfg = loadConfig(configOf(board), ROOT);
    const m = readBoardManifest(ROOT, board);
    const wiring = JSON.parse(JSON.stringify(cfg.board![board]));
    change?.(wiring);
    return flashingMd({ config: cfg.name, configFile: "c.json", board, target: m.targets[0], startFile: m.start!, files: [], lfs: board === "nodemcu-esp8266" ? { bytes: lfsBytes, max: 262144 } : undefined, provisionKeys: ["Internal/CsmsUrl"], modules: m.globals, wiring });
  };

  it("ESP8266: the LFS partition at least the image and port's LFS size, set at firmware build (LUA_FLASH_STORE or the cloud builder's LFS size, 256 KB at most)", () => {
    const t = md("nodemcu-esp8266");
    expect(t).toContain("The LFS partition must hold the image and the port: at least 240.0 KB (245760 bytes, 0x3C000");
    expect(t).toContain("`#define LUA_FLASH_STORE 0x3C000`");
    expect(t).toContain("at most 0x40000 = 256 KB");
    expect(t).toMatch(/cloud builder's\s+options \(its largest is 256 KB\)/);
    expect(md("nodemcu-esp8266", undefined, 266240)).toContain("does not fit the ESP8266's largest LFS");
  });

  it("ESP32: the stock 64 KB lfs partition enlarged to 1.5 times the .lc files in 64 KB steps, the file system kept; NodeMCU: lfs.img loaded before init.lua is uploaded", () => {
    const cfg = loadConfig(configOf("nodemcu-esp32"), ROOT);
    const m = readBoardManifest(ROOT, "nodemcu-esp32");
    const files = [{ file: "ocpp.lc", bytes: 116369, what: "" }, { file: "hal-nodemcu-esp32.lc", bytes: 37072, what: "" }];
    const t = flashingMd({ config: cfg.name, configFile: "c.json", board: "nodemcu-esp32", target: "lua5.3", startFile: "init.lua", files, provisionKeys: ["Internal/CsmsUrl"], modules: m.globals, wiring: cfg.board!["nodemcu-esp32"] });
    // 153441 x 1.5 = 230162 -> 4 x 64 KB.
    expect(t).toContain("gives the `lfs` partition\n(type 0xC2, subtype 0x01) 0x10000 bytes, 64 KB, by default");
    expect(t).toContain("Set the `lfs` line's size to at least **0x40000** (256.0 KB");
    expect(t).toContain("keep a SPIFFS partition");
    for (const board of ["nodemcu-esp32", "nodemcu-esp8266"]) {
      const u = board === "nodemcu-esp32" ? t : md(board);
      expect(u.indexOf('node.LFS.reload("lfs.img")'), board).toBeGreaterThan(u.indexOf("upload lfs.img"));
      expect(u.indexOf("upload init.lua"), board).toBeGreaterThan(u.indexOf('node.LFS.reload("lfs.img")'));
    }
  });

  it("ESP8266: the meter's UART and the console: D7/D8 through uart.alt(1), or the conflict on the console's pins spelled out", () => {
    const alt = md("nodemcu-esp8266");
    expect(alt).toContain("**D7 (RX, GPIO13) and D8 (TX, GPIO15)**");
    expect(alt).toContain("`uart.alt(1)`");
    expect(alt).not.toContain("disconnect the meter");
    const shared = md("nodemcu-esp8266", (w) => {
      w.meter.rxPin = -1;
      w.meter.txPin = -1;
    });
    expect(shared).toContain("D9 (RX, GPIO3) and D10 (TX, GPIO1)");
    expect(shared).toMatch(/\*\*disconnect the meter \(or its transceiver's RO line\) while flashing the firmware and while uploading\s+files\*\*/);
    expect(shared).toContain('"rxPin": 7, "txPin": 8');
  });

  it("ESP8266: a transceiver with automatic direction control (dePin -1) recommended, because of tmr.delay's busy-wait per request; the ESP32 and LuatOS switch the direction in the UART, no such note", () => {
    const RECOMMEND = "### The meter's RS-485 transceiver: automatic direction control recommended";
    const de = md("nodemcu-esp8266");
    expect(de).toContain(RECOMMEND);
    expect(de).toContain('**Use a transceiver with automatic direction control and set `"dePin": -1`** in the config\'s meter section (this wiring switches the transceiver\'s direction from D5)');
    // The why: the busy-wait, how long at the wiring's baud, what it stops.
    expect(de).toMatch(/`tmr\.delay`, a busy-wait during which nothing else runs: not WiFi and the network stack/);
    expect(de).toContain("That is 8.3 ms per request at 9600 baud");
    expect(de).toContain("modules/tmr/#tmrdelay");
    expect(de).toMatch(/With `"dePin": -1` the port\s+writes the request and returns at once/);
    // The price: print goes out on the bus too.
    expect(de).toMatch(/the port's log lines \(`print`\) go out on the bus as well/);
    expect(de).toContain("whose driver stays off unless the port is sending (`dePin`)");
    expect(md("nodemcu-esp8266", (w) => (w.meter.baud = 2400))).toContain("That is 33.3 ms per request at 2400 baud");
    const auto = md("nodemcu-esp8266", (w) => (w.meter.dePin = -1));
    expect(auto).toContain(RECOMMEND);
    expect(auto).toContain('This wiring sets `"dePin": -1`: **a transceiver with automatic direction control, the recommended one on the ESP8266.**');
    expect(auto).not.toContain("**Use a transceiver with automatic direction control");
    expect(auto).toContain("which puts it on the bus (automatic direction control, below)");
    expect(auto).not.toContain("whose driver stays off");
    for (const board of ["nodemcu-esp32", "luatos"]) {
      const t = md(board);
      expect(t, board).not.toContain("automatic direction control");
      expect(t, board).not.toContain("tmr.delay");
    }
  });

  it("LuatOS: provision.txt stays in the read-only /luadb after the first start (main.lua leaves /provisioned instead), readable until the scripts are downloaded again without it; NodeMCU deletes it", () => {
    const t = md("luatos");
    expect(t).toMatch(/records\s+that in a marker, `\/provisioned` on the writable file system, instead of deleting the file: the script area is\s+read-only/);
    expect(t).toMatch(/\*\*So `\/luadb\/provision\.txt` stays on the board after the first start, until you download the\s+scripts again without it: until then the CSMS URL, the identity and the password lie on the flash in plain text,\s+readable by any script and from the board\./);
    expect(t).toMatch(/After the first start, download the scripts again without\s+`provision\.txt`\*\*/);
    expect(t).toContain('(`os.remove("/provisioned")` from a script) with a `provision.txt` among the scripts');
    for (const board of ["nodemcu-esp32", "nodemcu-esp8266"]) {
      const u = md(board);
      expect(u, board).toContain("`init.lua` applies the file once, right after the station starts and before it first connects, then deletes it.");
      expect(u, board).not.toContain("/provisioned");
      expect(u, board).not.toContain("/luadb");
    }
  });

  it("ESP32: the C modules from board.json's globals, and the crypto module with SHA-1 (CONFIG_CRYPTO_HASH_SHA1)", () => {
    const t = md("nodemcu-esp32");
    const modules = readBoardManifest(ROOT, "nodemcu-esp32").globals.filter((g) => !["print", "io"].includes(g));
    expect(t).toContain(`: ${[...modules, "wifi"].map((g) => `\`${g}\``).join(", ")}\n`);
    expect(t).toContain("`CONFIG_CRYPTO_HASH_SHA1`");
    expect(t).toContain("Sec-WebSocket-Accept");
    expect(t).toContain("`CONFIG_NODEMCU_CMODULE_NET`");
  });

  it("LuatOS: the network step (wlan.connect in network.lua, or mobile attaching by itself), why the scripts are sources", () => {
    const t = md("luatos");
    expect(t).toContain("## 2. The network");
    expect(t).toContain('wlan.connect("your-ssid", "your-password", 1)');
    expect(t).toContain("`mobile` library");
    expect(t).toContain("`network.lua`");
    expect(t).toContain("**Why Lua sources, not bytecode:**");
    expect(t).toContain("`LUAT_CONF_VM_64bit`");
  });

  it.each(FLASHABLE)("%s: the pilot ADC needs a peak hold", (board) => {
    expect(md(board)).toContain("**the board must present the\npilot's positive level to the ADC through a peak-hold circuit**");
  });
});

describe("NodeMCU's bytecode", () => {
  it("is the build's stripped bytecode laid out as NodeMCU's luac.cross -s writes it (fixture made by that tool)", () => {
    const dir = path.join(ROOT, "test/fixtures/nodemcu51");
    const ours = nodemcu51(compileStripped("lua5.1", fs.readFileSync(path.join(dir, "sample.lua"), "latin1"), "=sample"));
    expect(Buffer.from(ours, "latin1").equals(fs.readFileSync(path.join(dir, "sample.lc")))).toBe(true);
    // PUC's own layout is not it: NodeMCU's loader reads the padding as code.
    expect(compileStripped("lua5.1", fs.readFileSync(path.join(dir, "sample.lua"), "latin1"), "=sample")).not.toBe(ours);
  });

  it("names its main function after the source when asked (the LFS module name), and refuses other bytecode", () => {
    const dump = compileStripped("lua5.1", "return 1", "=x");
    const named = nodemcu51(dump, "@ocpp.lua");
    expect(named.slice(12, 16 + 9)).toBe("\x0a\x00\x00\x00@ocpp.lua");
    expect(() => nodemcu51(compileStripped("lua5.3", "return 1", "=x"))).toThrow(BuildError);
  });

  it("Lua 5.3: the build's stripped bytecode in NodeMCU's format 10 (fixture checked by hand in NodeMCU's own VM)", () => {
    const dir = path.join(ROOT, "test/fixtures/nodemcu53");
    const ours = nodemcu53(compileStripped("lua5.3", fs.readFileSync(path.join(dir, "sample.lua"), "latin1"), "=sample"), "@sample.lua");
    expect(Buffer.from(ours, "latin1").equals(fs.readFileSync(path.join(dir, "sample.lc")))).toBe(true);
    // Header: format 10, 4-byte int, Instruction, lua_Integer, lua_Number; 370.5 as a single float.
    expect(ours.slice(0, 21)).toBe("\x1bLuaS\x0a\x19\x93\r\n\x1a\n\x04\x04\x04\x04\x20\x00\x40\xb9\x43");
    expect(() => nodemcu53(compileStripped("lua5.1", "return 1", "=x"))).toThrow(BuildError);
  });

  it("Lua 5.3: integers in NodeMCU's typed multi-byte form; past 32 bits a float, as NodeMCU reads the numeral", () => {
    const k = (src: string) => {
      const b = nodemcu53(compileStripped("lua5.3", `return ${src}`, "=x"));
      // The main function (after its upvalue count): no source (0x50), lines 0 0, no parameters, vararg,
      // stack 2, no prototypes, 3 instructions (LOADK, RETURN, RETURN); then the constants; upvalues
      // (names stripped: 0, one: _ENV, instack 1, index 0) and no debug information are the last 6 bytes.
      expect(b.slice(22, 30)).toBe("\x50\x00\x00\x00\x01\x02\x00\x03");
      expect(b.slice(b.length - 6)).toBe("\x00\x01\x01\x00\x00\x00");
      return [...b.slice(42, b.length - 6)].map((c) => c.charCodeAt(0));
    };
    expect(k("5")).toEqual([1, 0x35]);
    expect(k("16")).toEqual([1, 0x80 | 0x30, 16]);
    expect(k("200")).toEqual([1, 0x80 | 0x30 | 1, 200 - 128]);
    expect(k("-1")).toEqual([1, 0x40]);
    expect(k("-17")).toEqual([1, 0x80 | 0x40, 16]);
    expect(k("2147483647")).toEqual([1, 0x80 | 0x30 | 7, 0xff, 0xff, 0xff, 0x7f]);
    expect(k("2147483648")).toEqual([1, 0x20, 0x00, 0x00, 0x00, 0x4f]);
  });
});

// Each port's packaging, as soon as its board.ts is there.
const PORTS = FLASHABLE.filter((b) => boardsAvailable(ROOT).includes(b));

describe.skipIf(PORTS.length === 0)("ocpp-fw build --board <port>", () => {
  // Each port's package, built once for the tests below.
  const built = new Map<string, { out: string; r: ReturnType<typeof buildImage> }>();
  // The builds are synchronous: a turn of the event loop first, so the worker answers vitest's RPC.
  const pkg = async (board: string) => {
    await new Promise((r) => setImmediate(r));
    let b = built.get(board);
    if (b === undefined) {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `pkg-${board}-`));
      b = { out, r: buildImage(configOf(board), undefined, out, board) };
      built.set(board, b);
    }
    return b;
  };
  afterAll(() => {
    for (const b of built.values()) fs.rmSync(b.out, { recursive: true, force: true });
  });

  it.each(PORTS)("%s: the package, its start file parses in the board's VM, the sizes; the password is in no file", { timeout: 300_000 }, async (board) => {
    const { out, r } = await pkg(board);
    const manifest = readBoardManifest(ROOT, board);
    const kind = manifest.start!;
    const nodemcu = kind === "init.lua";
    const lfs = nodemcu && r.target === "lua5.1";
    const port = portModule(board);
    const expected = [kind, "FLASHING.md", "ocpp.lua", "ocpp.luac", `${port}.lua`, `${port}.luac`, PROVISION_FILE, "size.json", "size.txt", ...(nodemcu ? ["ocpp.lc", `${port}.lc`] : [])].sort();
    expect(fs.readdirSync(out).sort()).toEqual(expected);
    expect(manifest.targets).toContain(r.target);
    // The start file loads (parses) in the board's VM.
    const vm = createLuaVm(VM[board]);
    try {
      const src = fs.readFileSync(path.join(out, kind), "utf8");
      expect(vm.eval(`local f, e = (loadstring or load)(${luaString(src)}, "=start") return f ~= nil and "parsed" or e`)).toBe("parsed");
    } finally {
      vm.close();
    }
    // The provisioning template names the keys, without values.
    expect(fs.readFileSync(path.join(out, PROVISION_FILE), "utf8")).toMatch(/^SecurityCtrlr\/BasicAuthPassword=$/m);
    const size = JSON.parse(fs.readFileSync(path.join(out, "size.json"), "utf8"));
    expect(size.board).toBe(board);
    expect(size.image.bytecodeBytes).toBe(fs.statSync(path.join(out, "ocpp.luac")).size);
    expect(size.hal.bytecodeBytes).toBe(fs.statSync(path.join(out, `${port}.luac`)).size);
    if (nodemcu) expect(fs.readFileSync(path.join(out, "ocpp.lc")).subarray(r.target === "lua5.1" ? 12 : 22, r.target === "lua5.1" ? 25 : 32).toString("latin1")).toBe(r.target === "lua5.1" ? "\x0a\x00\x00\x00@ocpp.lua" : "\x5a@ocpp.lua");
    if (lfs) {
      expect(size.lfs.estimateBytes % 4096).toBe(0);
      // LFS holds more than the bytecode (records, TValues, string headers): the estimate is above it.
      expect(size.lfs.estimateBytes).toBeGreaterThan(size.image.bytecodeBytes + size.hal.bytecodeBytes);
      expect(fs.readFileSync(path.join(out, "size.txt"), "utf8")).toContain(`LFS (NodeMCU): image + HAL need about ${size.lfs.estimateBytes} bytes`);
    } else expect(size.lfs).toBeUndefined();
    // What image and port leave in RAM with their code in flash (several hundred closures and upvalues).
    expect(size.ram.residentKb).toBeGreaterThan(10);
    expect(size.ram.residentKb).toBeLessThan(200);
    const heap = boardLimits(ROOT, board).heapKb;
    if (heap !== undefined) {
      // The ESP8266: its ~44 KB heap less the resident RAM is short of a Core session's dynamic RAM.
      expect(size.ram).toMatchObject({ heapKb: heap, sessionMinKb: 20, fits: heap - size.ram.residentKb >= 20 });
      expect(fs.readFileSync(path.join(out, "size.txt"), "utf8")).toMatch(new RegExp(`RAM: image \\+ HAL leave about ${size.ram.residentKb} KB resident.*${size.ram.fits ? "at least 20 KB\\n" : "DOES NOT FIT"}`));
    } else expect(size.ram.heapKb).toBeUndefined();
    const md = fs.readFileSync(path.join(out, "FLASHING.md"), "utf8");
    expect(md).toContain(`leave about **${size.ram.residentKb} KB** in RAM`);
    if (size.ram.fits === false) expect(md).toContain("this\nimage does not fit this board's RAM");
    for (const f of expected.filter((f) => f !== "FLASHING.md" && f !== "size.json")) expect(md, f).toContain(`| \`${f}\` | ${fs.statSync(path.join(out, f)).size} |`);
    expect(md).toContain(nodemcu ? "luac.cross -f" : "LuaTools");
    // The unit's password reaches the device model through the start file only.
    for (const f of fs.readdirSync(out)) expect(fs.readFileSync(path.join(out, f)).includes(PASSWORD), f).toBe(false);
  });

  it.each(PORTS)("%s: the start file with the built image: the provisioned URL, identity and password reach the first connect, and the next boot without the file", { timeout: 300_000 }, async (board) => {
    const { out, r } = await pkg(board);
    const kind = readBoardManifest(ROOT, board).start!;
    const name = kind === "init.lua" ? PROVISION_FILE : `/luadb/${PROVISION_FILE}`;
    const run = runStart(board, fs.readFileSync(path.join(out, kind), "utf8"), { files: { [name]: PROVISION }, boots: 2, image: fs.readFileSync(r.luaFile, "latin1") });
    const connect = `connect ws://csms.example:9000/ocpp/CP7 ocpp2.0.1 CP7:${PASSWORD}`;
    expect(run.log.filter((l) => /^(boot|started|not started|connect|log|entry)/.test(l))).toEqual(["boot 1", "started", connect, "boot 2", "started", connect]);
    expect(run.files).toEqual(kind === "init.lua" ? [] : [name, "/provisioned"]);
  });

  it.each(PORTS.filter((b) => !readBoardManifest(ROOT, b).targets.includes("lua5.1")))("%s: a target the board does not run is refused", (board) => {
    expect(() => buildImage(CORE, "lua5.1", fs.mkdtempSync(path.join(os.tmpdir(), "pkg-")), board)).toThrow(/does not run lua5\.1/);
  });

  it.each(PORTS)("%s: a config without the board's wiring is refused before the compile, naming the field", (board) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pkg-")), "bare.json");
    // The board's own shipped config (the ESP8266 takes one EVSE: core's two are refused before the wiring).
    const c = JSON.parse(fs.readFileSync(configOf(board), "utf8"));
    delete c.board;
    c.name = "bare";
    fs.writeFileSync(file, JSON.stringify(c));
    expect(() => buildImage(file, undefined, path.dirname(file), board)).toThrow(ConfigError);
    expect(() => buildImage(file, undefined, path.dirname(file), board)).toThrow(`${file}: board.${board}: missing`);
  });
});
