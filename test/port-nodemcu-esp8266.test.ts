// The NodeMCU ESP8266 port (hal/nodemcu-esp8266/) run unchanged on its emulated firmware modules
// (sim/boards/), on Lua 5.1 (the ESP8266's VM) and Lua 5.3 (board.json allows it).
// (1) Pure parts in the VM: the pilot's duty for every offer (read back by the simulated EV's
//     IEC 61851-1 table), the ADC thresholds, the SPIFFS file names; the emulated SPIFFS refusing a
//     rename onto an existing name, as the real one does.
// (2) Through the port over a real WebSocket against the embedded schema-strict CSMS (every frame
//     checked against the OCPP 2.0.1 schemas): boot Accepted with the OCPP subprotocol and Basic
//     auth, StatusNotification, heartbeats every interval across a wrap of tmr.now(); a charging
//     session (plug, RequestStartTransaction, the contactor and the pilot's offer, energy from the
//     simulated SDM630 over Modbus in TransactionEvent, RequestStopTransaction); a power cycle in a
//     session (the journal on the emulated SPIFFS ends it as PowerLoss); a power loss between the
//     remove and the rename of a save (load takes the temporary file); the cable pulled in a session
//     opens the contactor within 150 ms (the inputs' own 50 ms poll, two agreeing reads: a 20 ms
//     glitch is not reported); the RS-485 driver dropped in the callback that wrote the request.
// (3) The websocket module's synchronous closes (a URL it cannot parse, ws:close() while connecting)
//     never reach the firmware inside a HAL call (the emulation prints REENTRANT when one does);
//     wss:// refused; a message of 65535 bytes or more dropped, the module's length modulo 65536.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readBoardManifest, ROOT, transpileEntry } from "../build/compile";
import { PortRunner } from "../sim/boards/port-runner";
import { NodeMcuEsp8266Driver } from "../sim/boards/nodemcu-esp8266/driver";
import { offerOfDuty } from "../sim/boards/hardware";
import { EmbeddedCsms } from "../sim/csms";
import { FlashStore } from "../sim/board";
import { PROVISION_KEYS } from "../sim/simulator";
import { buildDir } from "../sim/runtimes/image";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import { PORT_BOARDS, startPortSimulator } from "../sim/boards/port-sim";
import { parseArgs } from "../sim/cli";
import { WebSocketServer } from "ws";
import type { IncomingMessage } from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as h from "./port-harness";
import { allCsms, bootAccepted, calls, cleanups, emulationVm, energyOf, line, payload, Port, run, sleep, startFileText, until } from "./port-harness";

const BOARD = "nodemcu-esp8266";
const RUNTIMES = ["lua5.1", "lua5.3"] as const;
type Runtime = (typeof RUNTIMES)[number];
const PROVISION_FILE = PORT_BOARDS[BOARD].provisionFile;
const CONFIG = h.portConfig(BOARD);
let configName = "";

h.portTestCleanup();

beforeAll(() => {
  for (const rt of RUNTIMES) configName = h.buildBoard(CONFIG, BOARD, rt);
}, 240000);

/** A VM holding one module of the port, bundled alone, as its image (__sim_image), called through eval. */
function moduleVm(runtime: Runtime, file: string): LuaVm {
  const vm = createLuaVm(runtime);
  cleanups.push(() => vm.close());
  vm.loadImage(transpileEntry(path.join(ROOT, "hal", BOARD, file), runtime, undefined, readBoardManifest(ROOT, BOARD).globals), `=${file}`);
  return vm;
}

describe.each(RUNTIMES)("pure parts on %s", (runtime) => {
  let pilot: LuaVm;
  let flash: LuaVm;
  beforeAll(() => {
    pilot = moduleVm(runtime, "pilot.ts");
    flash = moduleVm(runtime, "flash.ts");
  }, 120000);
  const req = (vm: LuaVm, expr: string) => vm.eval(`local m = __sim_image return ${expr}`);

  it("pilot duty: no PWM (held high) below 6 A, IEC 61851-1 Table A.7 above, never read back above the offer", () => {
    const duties = req(pilot, "(function() local d = {} for a = 0, 820 do d[#d + 1] = m.pilotDuty(a) end return table.concat(d, ',') end)()").split(",").map(Number);
    for (let da = 0; da <= 820; da++) {
      const duty = duties[da];
      if (da < 60) expect(duty, `${da} dA`).toBe(1023);
      else {
        const want = Math.min(da, 800);
        expect(duty, `${da} dA`).toBe(want <= 510 ? Math.floor((want * 1023) / 600) : Math.floor(((want + 1600) * 1023) / 2500));
        // Rounded down: the EV reads at most the offer, and 1/1023 of duty (0.06 A, 0.25 A above 51 A) less;
        // from 51 to 52.6 A the norm's upper formula gives a duty under 85 %, read back by the lower one as 51 A at most.
        const back = offerOfDuty((duty / 1023) * 100);
        expect(back, `${da} dA read back`).toBeLessThanOrEqual(want);
        expect(want - back, `${da} dA read back`).toBeLessThanOrEqual(want <= 510 ? 1 : want <= 526 ? Math.ceil(0.76 * want - 384) + 1 : 3);
      }
    }
    expect(offerOfDuty((1023 / 1023) * 100)).toBe(0);
  });

  it("pilot states from the ADC by the OEM's thresholds, highest first", () => {
    const s = req(pilot, "(function() local l = {900, 700, 500, 300} local s = '' for _, r in ipairs({1023, 900, 899, 700, 500, 499, 300, 299, 0}) do s = s .. m.pilotOfAdc(r, l) end return s end)()");
    expect(s).toBe("AABBCDDEE");
  });

  it("SPIFFS names: safe bytes kept, others %XX, the temporary '~' never a key's, too long refused", () => {
    const name = (k: string) => req(flash, `tostring(m.fileName(${JSON.stringify(k)}))`);
    expect(name("dm.reboot")).toBe("dm.reboot");
    expect(name("a/b~c d")).toBe("a%2Fb%7Ec%20d");
    expect(name("x".repeat(30))).toBe("x".repeat(30));
    expect(name("x".repeat(31))).toBe("nil");
    expect(name("")).toBe("nil");
  });

  it("the emulated SPIFFS refuses a rename onto an existing name, as SPIFFS does", () => {
    const vm = emulationVm(BOARD, configName, runtime);
    const r = vm.eval(`file.putcontents("a", "1") file.putcontents("b", "2")
      local onto = file.rename("a", "b")
      file.remove("b")
      local after = file.rename("a", "b")
      return tostring(onto) .. " " .. tostring(after) .. " " .. tostring(file.getcontents("b")) .. " " .. tostring(file.exists("a"))`);
    expect(r).toBe("false true 1 false");
  });

  it("a message of 65535 bytes or more is dropped by the port; the emulated module sends the length modulo 65536, as websocket.c's unsigned short does", () => {
    // A stub image: it connects at start and, once open, sends one message too long and one just short enough.
    const vm = emulationVm(BOARD, configName, runtime, `local hal
      return {
        start = function(h) hal = h h:connect("ws://127.0.0.1:1/ocpp", "ocpp2.0.1", nil) return {} end,
        opened = function() hal:send({ string.rep("a", 65535) }) hal:send({ string.rep("b", 65000), string.rep("b", 534) }) end,
        tick = function() end, closed = function() end, frame = function() end, input = function() end, provision = function() end,
      }`);
    const dir = buildDir(ROOT, configName, runtime);
    vm.loadBoard(fs.readFileSync(path.join(dir, `hal-${BOARD}.luac`), "latin1"), "=hal");
    // The package's init.lua on SPIFFS: at boot it waits its delay, then takes the stub and the port from LFS.
    const init = startFileText(BOARD, configName, runtime);
    vm.event(line(0, "file", [init.name, init.text]));
    expect(vm.event(line(0, "boot"))).not.toContain("PANIC");
    const boot = vm.event(line(3000, "time"));
    expect(boot).toContain("ws\t1\tconnect\tws://127.0.0.1:1/ocpp");
    const sent = vm.event("3010\tws\t1\topen").split("\n");
    expect(sent.filter((l) => l.startsWith("ws\t1\tsend\t"))).toEqual(["ws\t1\tsend\t1\t" + "b".repeat(65534)]);
    expect(sent.some((l) => l.startsWith("print\t") && l.includes("65535 bytes dropped"))).toBe(true);
    // The module itself, as the firmware has it: a 65546-byte message goes out as its first 10 bytes.
    vm.eval(`__c = websocket.createClient() __c:connect("ws://127.0.0.1:1/") return 1`);
    expect(vm.event("3020\tws\t2\topen")).toContain("ws\t2\tconnect");
    vm.eval(`__c:send(string.rep("c", 65546), 1) return 1`);
    expect(vm.event("3030\ttime").split("\n").filter((l) => l.startsWith("ws\t2\tsend"))).toEqual(["ws\t2\tsend\t1\t" + "c".repeat(10)]);
  });
});

// ---- through the port ----

type EspPort = Port<NodeMcuEsp8266Driver>;

function startPort(runtime: Runtime, id: string, opts: { usBase?: number; password?: string; csmsPassword?: string; url?: string } = {}): Promise<EspPort> {
  return h.startPort({ board: BOARD, config: configName, runtime, driver: (r) => new NodeMcuEsp8266Driver(r), id, ...opts });
}

describe.each(RUNTIMES)("the port on %s", (runtime) => {
  it("boots Accepted with the OCPP subprotocol and Basic auth, reports its connector, heartbeats across a tmr.now() wrap", async () => {
    // The µs counter wraps 20 s after power-up.
    const p = await startPort(runtime, `ESP-BOOT-${runtime}`, { usBase: 2147483648 - 20000000, password: "s3cret-Pass" });
    await bootAccepted(p);
    const conn = p.csms.connections[0];
    expect(conn.protocol).toBe("ocpp2.0.1");
    expect(conn.password).toBe("s3cret-Pass");
    expect(p.csms.received.find((r) => r.action === "BootNotification")?.payload).toMatchObject({ reason: "PowerUp" });
    // The embedded CSMS answers interval 30: heartbeats 30 s apart on the board's uptime, the wrap at 20 s included.
    await until(p, "three heartbeats", () => calls(p, "Heartbeat").length >= 3, 200);
    const at = calls(p, "Heartbeat").map((s) => s.at);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(29000);
    expect(at[1] - at[0]).toBeLessThanOrEqual(31000);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(29000);
    expect(at[2] - at[1]).toBeLessThanOrEqual(31000);
    // The provisioning file is gone once applied; the device model holds the values.
    expect(p.runner.store.data.has(PROVISION_FILE)).toBe(false);
    expect(p.prints.filter((l) => /error|PANIC/.test(l))).toEqual([]);
  });

  it("runs a charging session: plug, remote start, the contactor and the offer, SDM630 energy in TransactionEvent, remote stop", async () => {
    const p = await startPort(runtime, `ESP-TX-${runtime}`);
    await bootAccepted(p);
    p.driver.setPlugged(true);
    await until(p, "Occupied", () => calls(p, "StatusNotification").some((s) => payload(s).connectorStatus === "Occupied"));
    let started: unknown;
    void p.csms.remoteStart(p.id, 1, "04A1B2C3").then((r) => (started = r.response));
    await until(p, "RequestStartTransaction answered", () => started !== undefined);
    expect(started).toMatchObject({ status: "Accepted" });
    await until(p, "TransactionEvent Started", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Started"));
    // 32 A connector, an 11 kW EV on three phases: the pilot offers 32 A (duty 53.3 %); the EV asks (state C),
    // the contactor closes (IEC 61851-1 Annex A), the EV draws 15.9 A.
    await until(p, "the contactor closed at the EV's request", () => p.driver.hw.relayClosed);
    expect(p.driver.outputs.get(p.driver.config.evses[0].relay)).toBe(1);
    expect(p.driver.pilotRunning && p.driver.pilotHz).toBe(1000);
    expect(p.driver.hw.offerDa).toBe(320);
    expect(p.driver.hw.ev.powerW()).toBeGreaterThan(10000);
    // The energy register read over Modbus (whole Wh of the float32 kWh register), a meter period behind at most.
    const { last, e } = await h.meteredUpdates(p, () => p.driver.hw.energyWh);
    const power = (payload(last).meterValue as { sampledValue: { measurand?: string; value: number }[] }[])[0].sampledValue.find((v) => v.measurand === "Power.Active.Import");
    expect(power?.value).toBeGreaterThan(10000);
    expect(p.driver.meter.answered).toBeGreaterThan(100);
    expect(p.driver.busLost).toBe(0);
    // The RS-485 driver goes off in the callback that wrote the request (tmr.delay, no virtual time),
    // never left to a timer that queued callbacks could hold back into the meter's answer.
    expect(p.driver.deHeldMs).toBe(0);
    let stopped: unknown;
    void p.csms.remoteStop(p.id, { evseId: 1 }).then((r) => (stopped = r.response));
    await until(p, "RequestStopTransaction answered", () => stopped !== undefined);
    expect(stopped).toMatchObject({ status: "Accepted" });
    const ended = await until(p, "TransactionEvent Ended", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Ended"));
    expect(payload(ended).transactionInfo).toMatchObject({ stoppedReason: "Remote" });
    expect(energyOf(ended)).toBeGreaterThanOrEqual(e);
    await run(p, 2);
    expect(p.driver.hw.relayClosed).toBe(false);
    expect(p.driver.hw.offerDa).toBe(0);
    expect(p.driver.pilotDuty).toBe(1023);
    expect(p.prints.filter((l) => /error|PANIC/.test(l))).toEqual([]);
  });

  it("unplugged in a session: the inputs' own 50 ms poll opens the contactor within 150 ms (IEC 61851-1 Annex A), a 20 ms pilot glitch is not reported", async () => {
    const p = await startPort(runtime, `ESP-CB-${runtime}`);
    await bootAccepted(p);
    p.driver.setPlugged(true);
    void p.csms.remoteStart(p.id, 1, "04A1B2C3");
    await until(p, "TransactionEvent Started", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Started"));
    await run(p, 3);
    const relay = p.driver.config.evses[0].relay;
    expect(p.driver.outputs.get(relay)).toBe(1);
    // A glitch to state A (no plug pin: the pilot says unplugged) seen by one poll only: nothing happens.
    const runner = p.runner;
    runner.advance(40);
    runner.feed("adc", ["0"]);
    runner.advance(20);
    runner.feed("adc", [String(Math.round((6 * 950) / 12))]);
    runner.advance(1000 - 60);
    expect(p.driver.outputs.get(relay)).toBe(1);
    expect(calls(p, "TransactionEvent").filter((s) => payload(s).eventType === "Ended")).toEqual([]);
    // Right after a tick (ticks every 1000 ms of virtual time from boot, a tick's poll saw it at 1 s at
    // worst): the cable is pulled, the pilot goes from C to A (no plug pin: the pilot tells the plug).
    const t0 = runner.now;
    p.driver.setPlugged(false);
    let opened = -1;
    for (let ms = 0; ms <= 1000 && opened < 0; ms += 5) {
      runner.advance(5);
      if (p.driver.outputs.get(relay) === 0) opened = runner.now - t0;
    }
    expect(opened).toBeGreaterThanOrEqual(50);
    expect(opened).toBeLessThanOrEqual(150);
    expect(p.prints.filter((l) => /error|PANIC|REENTRANT/.test(l))).toEqual([]);
  });

  it("a power cycle in a session: the journal on the emulated SPIFFS ends the transaction as PowerLoss after the reboot", async () => {
    const p = await startPort(runtime, `ESP-PC-${runtime}`);
    const { ended, before } = await h.powerCycleInSession(p, 1, /^j[01]$/, () => p.driver.hw, () => p.driver.setPlugged(true));
    expect(energyOf(ended)).toBeGreaterThanOrEqual(Math.floor(before) - 1);
  });

  it("a power loss between the remove and the rename of a save: load takes the temporary file", async () => {
    await h.powerLossInSave(await startPort(runtime, `ESP-PL-${runtime}`));
  });
});

describe("the generated start file (init.lua) on the emulated firmware", () => {
  it("provision.txt: uploaded with init.lua, applied once at the first power-on and removed; a second power-on starts without it", async () => {
    await h.provisionedOnce((id, password) => startPort("lua5.1", id, { password }));
  });
});

describe("restarts and the flash kept on Node's side", () => {
  it("Reset Immediate: node.restart, the port comes back (RemoteReset) with the boot counter it left in flash", async () => {
    const p = await startPort("lua5.1", "ESP-RESET");
    await bootAccepted(p);
    let answer: unknown;
    void p.csms.callChecked(p.id, "Reset", { type: "Immediate" }).then((r) => (answer = r));
    await until(p, "Reset answered", () => answer !== undefined);
    expect(answer).toMatchObject({ status: "Accepted" });
    const boot2 = await until(p, "BootNotification after the reset", () => calls(p, "BootNotification")[1]);
    expect(payload(boot2).reason).toBe("RemoteReset");
    expect(p.runner.bootCount).toBe(2);
    // The second boot's message ids carry the boot counter the first one left in flash.
    expect((boot2.frame[1] as string).startsWith("2-")).toBe(true);
  });

  it("--state-dir: the files outlive the runner; a board holding files is not provisioned again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "esp8266-state-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "flash.json");
    const csms = new EmbeddedCsms();
    await csms.start(0);
    allCsms.push(csms);
    cleanups.push(() => csms.stop());
    const once = async (n: number) => {
      const runner = new PortRunner({ root: ROOT, config: configName, runtime: "lua5.1", board: BOARD, store: new FlashStore(file), provisionFile: PROVISION_FILE, provision: n === 1 ? { [PROVISION_KEYS.url]: csms.url, [PROVISION_KEYS.identity]: "ESP-STATE" } : undefined });
      runner.attach(new NodeMcuEsp8266Driver(runner));
      runner.powerOn();
      for (let i = 0; i < 60 && csms.received.filter((r) => r.action === "BootNotification").length < n; i++) {
        runner.advance(1000);
        await sleep(3);
      }
      runner.close();
    };
    await once(1);
    await once(2);
    expect(csms.received.filter((r) => r.action === "BootNotification" && r.identity === "ESP-STATE")).toHaveLength(2);
    const kept = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
    expect(kept.boots).toBe("1\n2");
    expect(kept[PROVISION_FILE]).toBeUndefined();
  });
});

describe("the websocket module's handshake, as the port configures it", () => {
  it("sends the OCPP subprotocol instead of the module's 'chat', Basic auth and the module's User-Agent; one close per connect, failed ones too", async () => {
    const requests: IncomingMessage["headers"][] = [];
    // A server that takes the upgrade and closes at once; a second attempt is refused with 401.
    const wss = new WebSocketServer({ port: 0, handleProtocols: (protocols) => (protocols.has("ocpp2.0.1") ? "ocpp2.0.1" : false), verifyClient: (_info, cb) => cb(requests.length < 1, 401) });
    wss.on("headers", (_h, req) => requests.push(req.headers));
    wss.on("connection", (ws) => ws.close(1000));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const p = await startPort("lua5.1", "ESP-HS", { url, password: "pw:1" });
    await until(p, "two attempts", () => requests.length >= 1 && p.driver.connects >= 2, 200);
    const h = requests[0];
    expect(h["sec-websocket-protocol"]).toBe("ocpp2.0.1");
    expect(h["user-agent"]).toBe("ESP8266");
    expect(h.authorization).toBe("Basic " + Buffer.from("ESP-HS:pw:1").toString("base64"));
    // Every attempt ended in exactly one close reported to the port (the refused one too), and no error.
    await run(p, 5);
    expect(p.driver.closes).toBeGreaterThanOrEqual(2);
    expect(p.driver.connects - p.driver.closes).toBeLessThanOrEqual(1);
    expect(p.prints.filter((l) => /PANIC|failed/.test(l))).toEqual([]);
  });
});

describe("the websocket module's synchronous closes and the port's refusals", () => {
  it("a URL the module refuses inside ws:connect(): the close reaches the firmware from a task of its own, and it retries", async () => {
    const p = await startPort("lua5.1", "ESP-BADURL", { url: "http://127.0.0.1:1/ocpp" });
    await run(p, 120);
    expect(p.prints.filter((l) => /REENTRANT|PANIC/.test(l))).toEqual([]);
    expect(p.prints.filter((l) => /websocket closed, status -1/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(p.driver.connects).toBe(0);
  });

  it("a handshake that never completes: hal.disconnect during the connect closes inside ws:close(), reported later", async () => {
    // A TCP server that takes the connection and never answers the upgrade.
    const held: net.Socket[] = [];
    const server = net.createServer((c) => held.push(c));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => {
      for (const c of held) c.destroy();
      return new Promise((r) => server.close(r));
    });
    const port = (server.address() as AddressInfo).port;
    const p = await startPort("lua5.1", "ESP-HANG", { url: `ws://127.0.0.1:${port}/ocpp` });
    await until(p, "a second attempt", () => p.driver.connects >= 2, 300);
    expect(p.prints.filter((l) => /REENTRANT|PANIC/.test(l))).toEqual([]);
  });

  it("wss:// refused (no certificate check in the module): logged, reported closed, no connection made, retried", async () => {
    const p = await startPort("lua5.1", "ESP-WSS", { url: "wss://127.0.0.1:1/ocpp" });
    await run(p, 120);
    expect(p.prints.filter((l) => /wss:\/\/ refused/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(p.driver.connects).toBe(0);
    expect(p.prints.filter((l) => /REENTRANT|PANIC/.test(l))).toEqual([]);
  });
});

describe("ocpp-sim --board nodemcu-esp8266", () => {
  it("parses --board: a port, or sim; the simulator's own options refused with a port", () => {
    expect(parseArgs(["--board", "nodemcu-esp8266", "--speed", "10"])).toEqual({ board: "nodemcu-esp8266", speed: 10 });
    expect(parseArgs(["--board", "sim"])).toEqual({});
    expect(() => parseArgs(["--board", "esp9000"])).toThrow(/--board must be sim or one of nodemcu-esp8266/);
    expect(() => parseArgs(["--board", "nodemcu-esp8266", "--evses", "2"])).toThrow(/--evses is for --board sim/);
    expect(parseArgs(["--board", "nodemcu-esp8266", "--plugged"])).toEqual({ board: "nodemcu-esp8266", plugged: true });
    expect(() => parseArgs(["--plugged"])).toThrow(/--plugged is for a port's board/);
  });

  it("boots Accepted against its embedded CSMS in wall-clock time, the cable in from power-up (--plugged)", async () => {
    const lines: string[] = [];
    const sim = await startPortSimulator("nodemcu-esp8266", { id: "ESP-CLI", speed: 20, plugged: true, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    cleanups.push(() => sim.stop());
    const csms = sim.csms as EmbeddedCsms;
    allCsms.push(csms);
    const end = Date.now() + 20000;
    while (!csms.received.some((r) => r.action === "StatusNotification") && Date.now() < end) await sleep(50);
    expect(csms.received.map((r) => r.action)).toEqual(expect.arrayContaining(["BootNotification", "StatusNotification"]));
    expect(csms.received.find((r) => r.action === "StatusNotification")?.payload).toMatchObject({ connectorStatus: "Occupied" });
    expect(lines.some((l) => l.includes("→") && l.includes("BootNotification"))).toBe(true);
    expect(sim.errors).toEqual([]);
    await sim.stop();
  });
});
