// The NodeMCU ESP32 port (hal/nodemcu-esp32/), on the VM of its firmware: lua5.3-f32 (Lua 5.3 with
// 32-bit integers and single floats), plus PUC lua5.3 for the pure parts, where a difference would show.
// (1) Its pure parts, each module bundled alone and called in the VM: the pilot's duty (every offer
//     6..80 A read back by the simulated EV's IEC 61851 table) and its ADC states; the wall clock's split
//     for time.set, exact through single floats where the plain epoch is not; the uptime count; the
//     meter bus taking turns between two SDM630s answered by sim/boards/modbus-slave.ts. The emulated
//     modules' quirks (SHA-1 against node:crypto, net.send's refusals, SPIFFS rename, time.set through
//     floats) and the port's random pool on them (uniform, seeded).
// (2) The port unchanged on its emulated firmware (sim/boards/nodemcu-esp32/), its own RFC 6455 client
//     over the emulated net module's real TCP socket, against the embedded schema-strict CSMS (the `ws`
//     package's server; every frame checked against the OCPP 2.0.1 schemas): boot Accepted with the
//     OCPP subprotocol and Basic auth, both EVSEs' StatusNotification, heartbeats on the counted uptime,
//     the RTC set to the second from the CSMS's time despite single floats; a NotifyReport larger than a
//     socket slice, streamed in slices one send at a time; a charging session (plug, remote start, the
//     contactor and the pilot's 32 A duty, SDM630 energy over Modbus in TransactionEvent, remote stop);
//     a power cycle in a session (the journal on the emulated SPIFFS ends it as PowerLoss); a power loss
//     between the remove and the rename of a save (load takes the temporary file); wss:// refused (no
//     TLS on this firmware): no connection is even tried; RFC 6455 §8.1 on the port's transport (its
//     client checks UTF-8): a text frame of invalid UTF-8 closes with 1007, a valid message whose
//     multi-byte characters are split across fragments and TCP chunks is taken; §7.1.1: a close the
//     server began ends with the server's TCP close, not the station's.

import * as crypto from "node:crypto";
import type * as net from "node:net";
import * as path from "node:path";
import { WebSocket, WebSocketServer } from "ws";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, readBoardManifest, transpileEntry } from "../build/compile";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import { offerOfDuty } from "../sim/boards/hardware";
import { Sdm630Slave } from "../sim/boards/modbus-slave";
import { NodeMcuEsp32Driver } from "../sim/boards/nodemcu-esp32/driver";
import { EmbeddedCsms } from "../sim/csms";
import { PORT_BOARDS, startPortSimulator } from "../sim/boards/port-sim";
import { parseArgs } from "../sim/cli";
import * as h from "./port-harness";
import { allCsms, bootAccepted, calls, cleanups, emulationVm, energyOf, payload, Port, run, sleep, until } from "./port-harness";

const GLOBALS = readBoardManifest(ROOT, "nodemcu-esp32").globals;
const VMS = ["lua5.3-f32", "lua5.3"] as const;

/** A VM holding one module of the port as its image (__sim_image), called through eval. */
function moduleVm(runtime: (typeof VMS)[number], file: string): LuaVm {
  const vm = createLuaVm(runtime);
  vm.loadImage(transpileEntry(path.join(ROOT, "hal/nodemcu-esp32", file), "lua5.3", undefined, GLOBALS), `=${file}`);
  return vm;
}

h.portTestCleanup();
function open(runtime: (typeof VMS)[number], file: string): LuaVm {
  const vm = moduleVm(runtime, file);
  cleanups.push(() => vm.close());
  return vm;
}

describe.each(VMS)("pure parts on %s", (runtime) => {
  let pilot: LuaVm;
  let clock: LuaVm;
  let meters: LuaVm;
  beforeAll(() => {
    pilot = open(runtime, "pilot.ts");
    clock = open(runtime, "clock.ts");
    meters = open(runtime, "meters.ts");
  }, 120000);

  it("pilot duty: no PWM below 6 A, IEC 61851-1 Table A.7 above, as the EV reads it back", () => {
    const duties = pilot.eval("local d = {} for a = 0, 820 do d[#d + 1] = __sim_image.pilotDuty(a) end return table.concat(d, ',')").split(",").map(Number);
    for (let da = 0; da <= 820; da++) {
      const duty = duties[da];
      expect(Number.isInteger(duty)).toBe(true);
      if (da < 60) expect(duty, `${da} dA`).toBe(8192);
      else {
        const want = Math.min(da, 800);
        // The exact value rounded down, so the EV never reads more than offered.
        expect(duty, `${da} dA`).toBe(want <= 510 ? Math.floor((want * 8192) / 600) : Math.floor(((want + 1600) * 8192) / 2500));
        // Exact to 0.1 A but where Table A.7 itself jumps: 51..52.5 A gives a duty below 85 %, which an
        // EV reads with the first formula (50.6 A at 51.1 A).
        const back = offerOfDuty((duty / 8192) * 100);
        expect(back, `${da} dA read back`).toBeLessThanOrEqual(want);
        if (want <= 510 || want > 525) expect(want - back, `${da} dA read back`).toBeLessThanOrEqual(1);
        else expect(back, `${da} dA read back`).toBeGreaterThanOrEqual(500);
      }
    }
  });

  it("pilot states from the ADC by the OEM's thresholds, highest first", () => {
    const states = pilot.eval("local l = {3500, 2800, 2000, 1200} local s = '' for _, r in ipairs({4095, 3500, 3499, 2800, 2000, 1999, 1200, 1199, 0}) do s = s .. __sim_image.pilotOfAdc(r, l) end return s");
    expect(states).toBe("AABBCDDEE");
  });

  it("time.set's arguments: a multiple of 128 s and the rest in µs, both exact through a single float", () => {
    const epochs = [1577836800, 1764723599, 1764723600 + 127, 1893456000 + 64, 2147483647, 1700000001];
    for (const e of epochs) {
      // What luaL_checknumber makes of each argument on this VM: the integer converted to a float and back.
      const [sec, usec, secF, usecF, plainF] = clock
        .eval(`local s, u = __sim_image.rtcSplit(${e}) return s .. ',' .. u .. ',' .. math.tointeger(s + 0.0) .. ',' .. math.tointeger(u + 0.0) .. ',' .. string.format('%.0f', ${e} + 0.0)`)
        .split(",")
        .map(Number);
      expect(sec % 128).toBe(0);
      expect(sec + usec / 1e6).toBe(e);
      expect(usec).toBeLessThan(128e6);
      expect(secF).toBe(sec);
      expect(usecF).toBe(usec);
      // The plain epoch would be rounded to 128 s on a single-float VM (not on a double one).
      if (runtime === "lua5.3-f32" && e % 128 !== 0) expect(plainF).not.toBe(e);
    }
  });

  it("uptime: integer seconds counted from the loop's interval, exact over a long run", () => {
    const out = clock.eval(
      "local c = __sim_image.clockNew() for i = 1, 400000 do __sim_image.clockAdvance(c, 250) end " +
        "local c2 = __sim_image.clockNew() for i = 1, 70 do __sim_image.clockAdvance(c2, 30) end " +
        "return c.secs .. ',' .. math.type(c.secs) .. ',' .. c.ms .. ',' .. c2.secs .. ',' .. c2.ms",
    );
    // 4e5 ticks of 250 ms: 1e5 s (27.8 hours), an integer; 70 ticks of 30 ms: 2 s and 100 ms.
    expect(out).toBe("100000,integer,0,2,100");
  });

  it("the meter bus: two SDM630s read in turn, one request on the line at a time, quiet between meters", () => {
    const slaves = [1, 2].map(
      (a) => new Sdm630Slave(a, () => ({ voltageV: [230 + a, 231, 232], currentA: [16 * a, 0, 0.5], powerW: 3680 * a, energyKwh: 12.345 * a, frequencyHz: 50 })),
    );
    meters.eval(
      "sent = {} bus = __sim_image.metersNew({periodMs = 1000}, {1, 2}, 'bus', function(_, bytes) sent[#sent + 1] = bytes end) return ''",
    );
    let ms = 0;
    let inFlight = false;
    let lastEnd = -1e9;
    let lastSlave = 0;
    const requests: number[] = [];
    for (let step = 0; step < 100; step++) {
      ms += 50;
      // The bus timer, then what it sent goes to the line; each slave answers its own address.
      const sent = meters.eval("__sim_image.metersTick(bus, 50) local s = table.concat(sent, '|') sent = {} return s");
      for (const hex of sent === "" ? [] : sent.split("|")) {
        const req = Buffer.from(hex, "latin1");
        expect(inFlight, `a request while one is unanswered at ${ms} ms`).toBe(false);
        if (req[0] !== lastSlave) expect(ms - lastEnd, "quiet between two meters").toBeGreaterThanOrEqual(50);
        lastSlave = req[0];
        requests.push(req[0]);
        for (const s of slaves) {
          const res = s.receive(req);
          if (res !== undefined) {
            inFlight = true;
            // The answer arrives split in two UART callbacks.
            const lua = (b: Buffer) => b.toString("latin1").replace(/[\\']/g, (c) => "\\" + c).replace(/[\x00-\x1f\x7f-\xff]/g, (c) => "\\" + c.charCodeAt(0));
            meters.eval(`__sim_image.metersFeed(bus, '${lua(res.subarray(0, 5))}') __sim_image.metersFeed(bus, '${lua(res.subarray(5))}') return ''`);
            inFlight = false;
            lastEnd = ms;
          }
        }
      }
    }
    // 5 s: five rounds, each meter's three blocks (V..A, W, Hz..kWh) per round, meter 1 first.
    expect(requests.length).toBeGreaterThanOrEqual(24);
    expect(requests.slice(0, 12)).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    const reading = (e: number) => meters.eval(`local r = __sim_image.metersReading(bus, ${e}) return r.energyWh .. ' ' .. r.powerW .. ' ' .. table.concat(r.currentDa, ',') .. ' ' .. table.concat(r.voltageDv, ',')`);
    expect(reading(1)).toBe("12345 3680 160,0,5 2310,2310,2320");
    expect(reading(2)).toBe("24690 7360 320,0,5 2320,2310,2320");
    expect(reading(3)).toBe("0 0 0,0,0 0,0,0");
  });
});

// ---- the port on its emulated board ----

const BOARD = "nodemcu-esp32";
const PROVISION_FILE = PORT_BOARDS[BOARD].provisionFile;
const CONFIG = h.portConfig(BOARD);
let configName = "";

type Esp32Port = Port<NodeMcuEsp32Driver>;

function startPort(id: string, opts: { password?: string; url?: (csms: EmbeddedCsms) => string } = {}): Promise<Esp32Port> {
  return h.startPort({ board: BOARD, config: configName, runtime: "lua5.3-f32", driver: (r) => new NodeMcuEsp32Driver(r), id, ...opts });
}

const noErrors = (p: Port) => expect(p.prints.filter((l) => /PANIC|ocpp 1 /.test(l))).toEqual([]);

describe("the port on lua5.3-f32, its emulated NodeMCU ESP32", () => {
  beforeAll(() => {
    configName = h.buildBoard(CONFIG, BOARD, "lua5.3");
  }, 240000);

  it("the emulated modules keep the firmware's quirks: SHA-1 exact, net.send's refusals, no rename onto a file, time.set through floats", () => {
    const vm = emulationVm(BOARD, configName, "lua5.3-f32");
    for (const msg of ["", "abc", "x".repeat(55), "y".repeat(56), "z".repeat(1000)]) {
      const got = vm.eval(`local h = crypto.new_hash("sha1") h:update(${JSON.stringify(msg.slice(0, 7))}) h:update(${JSON.stringify(msg.slice(7))}) return encoder.toHex(h:finalize())`);
      expect(got, `${msg.length} bytes`).toBe(crypto.createHash("sha1").update(msg).digest("hex"));
    }
    expect(vm.eval(String.raw`return encoder.toBase64("\1\2\3\255") .. " " .. tostring(encoder.fromBase64("AQID/w==") == "\1\2\3\255")`)).toBe("AQID/w== true");
    const net = vm.eval(`local s = net.createConnection(net.TCP)
      local r = {}
      r[1] = select(2, pcall(s.send, s, "x"))
      r[2] = select(2, pcall(s.close, s))
      s:connect(80, "example")
      r[3] = select(2, pcall(s.connect, s, 80, "example"))
      return table.concat(r, "|")`);
    expect(net).toMatch(/not connected\|.*not connected\|.*already connected/);
    expect(vm.eval(`io.open("a", "wb"):write("1") io.open("b", "wb"):write("2") return tostring(file.rename("a", "b")) .. tostring(file.exists("a"))`)).toBe("falsetrue");
    // time.set reads floats: an epoch rounds to a multiple of 128 s, its split does not.
    expect(vm.eval(`time.set(1764723599) local a = time.get() time.set(1764723584, 15000000) local b = time.get() return a .. " " .. b`)).toBe("1764723584 1764723599");
  });

  it("boots Accepted over its own WebSocket client (subprotocol, Basic auth), reports both EVSEs, heartbeats, sets the RTC to the second", async () => {
    const p = await startPort("ESP32-BOOT", { password: "s3cret-Pass" });
    await bootAccepted(p);
    const conn = p.csms.connections[0];
    expect(conn.protocol).toBe("ocpp2.0.1");
    expect(conn.password).toBe("s3cret-Pass");
    expect(p.csms.received.find((r) => r.action === "BootNotification")?.payload).toMatchObject({ reason: "PowerUp" });
    // The embedded CSMS answers interval 30: heartbeats 30 s apart on the counted uptime.
    await until(p, "three heartbeats", () => calls(p, "Heartbeat").length >= 3, 200);
    const at = calls(p, "Heartbeat").map((s) => s.at);
    for (const d of [at[1] - at[0], at[2] - at[1]]) {
      expect(d).toBeGreaterThanOrEqual(29000);
      expect(d).toBeLessThanOrEqual(31000);
    }
    // The board's RTC is set from each BootNotification / Heartbeat response's currentTime through
    // time.set's split, to the second: the emulated time.set reads its arguments as this VM's single
    // floats, as the firmware does, so time.set(epoch) alone would leave it up to 64 s off. The runner
    // keeps what the emulated clock was last set to (its "rtc" effect) for a soft restart.
    const rtc = (p.runner as unknown as { rtcAt: { epoch: number; now: number } | undefined }).rtcAt as { epoch: number; now: number };
    expect(rtc).toBeDefined();
    const times = p.received.filter((r) => r.frame[0] === 3 && r.at <= rtc.now && typeof (r.frame[2] as { currentTime?: string }).currentTime === "string");
    const currentTime = Math.floor(Date.parse((times[times.length - 1].frame[2] as { currentTime: string }).currentTime) / 1000);
    expect(rtc.epoch).toBe(currentTime);
    expect(p.runner.store.data.has(PROVISION_FILE)).toBe(false);
    noErrors(p);
  });

  it("streams a NotifyReport larger than a socket slice: one net.send at a time, none over 2048 bytes, the frame intact", async () => {
    const p = await startPort("ESP32-REPORT");
    await bootAccepted(p);
    let answer: unknown;
    void p.csms.callChecked(p.id, "GetBaseReport", { requestId: 7, reportBase: "FullInventory" }).then((r) => (answer = r));
    await until(p, "GetBaseReport answered", () => answer !== undefined);
    expect(answer).toMatchObject({ status: "Accepted" });
    const reports = await until(p, "the last NotifyReport", () => {
      const r = calls(p, "NotifyReport");
      return r.length > 0 && r.some((s) => payload(s).tbc !== true) ? r : undefined;
    });
    // The CSMS got every part, schema-valid (checked as it came in), and at least one frame is bigger
    // than a slice: it went out as several net.send calls, each after the one before was acknowledged.
    await until(p, "the CSMS has every NotifyReport", () => p.csms.received.filter((r) => r.action === "NotifyReport").length === reports.length, 10);
    const sizes = reports.map((s) => Buffer.byteLength(JSON.stringify(s.frame)));
    expect(Math.max(...sizes)).toBeGreaterThan(2048);
    expect(p.driver.netLargestSend).toBeLessThanOrEqual(2048);
    noErrors(p);
  });

  it("runs a charging session: plug, remote start, the contactor and the 32 A duty, SDM630 energy in TransactionEvent, remote stop", async () => {
    const p = await startPort("ESP32-TX");
    await bootAccepted(p);
    p.driver.setPlugged(true, 1);
    await until(p, "Occupied", () => calls(p, "StatusNotification").some((s) => payload(s).evseId === 1 && payload(s).connectorStatus === "Occupied"));
    let started: unknown;
    void p.csms.remoteStart(p.id, 1, "04A1B2C3").then((r) => (started = r.response));
    await until(p, "RequestStartTransaction answered", () => started !== undefined);
    expect(started).toMatchObject({ status: "Accepted" });
    await until(p, "TransactionEvent Started", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Started"));
    await run(p, 2);
    const hw = p.driver.hw[0];
    expect(hw.relayClosed).toBe(true);
    expect(p.driver.outputs.get(p.driver.config.evses[0].relay)).toBe(1);
    // 32 A: duty 53.33 % of 8192 at 1 kHz (4369.07 rounded down), which the EV reads as 32 A; EVSE 2
    // stays at no offer (100 %).
    expect(p.driver.pilots[0]).toMatchObject({ duty: 4369, full: 8192, hz: 1000, running: true });
    expect(hw.offerDa).toBe(320);
    expect(p.driver.pilots[1].duty).toBe(8192);
    expect(hw.ev.powerW()).toBeGreaterThan(10000);
    const { last, e } = await h.meteredUpdates(p, () => hw.energyWh);
    const power = (payload(last).meterValue as { sampledValue: { measurand?: string; value: number }[] }[])[0].sampledValue.find((v) => v.measurand === "Power.Active.Import");
    expect(power?.value).toBeGreaterThan(10000);
    // Both meters polled in turn on the one bus, nothing lost.
    expect(p.driver.meters[0].answered).toBeGreaterThan(100);
    expect(p.driver.meters[1].answered).toBeGreaterThan(100);
    expect(p.driver.busLost).toBe(0);
    let stopped: unknown;
    void p.csms.remoteStop(p.id, { evseId: 1 }).then((r) => (stopped = r.response));
    await until(p, "RequestStopTransaction answered", () => stopped !== undefined);
    expect(stopped).toMatchObject({ status: "Accepted" });
    const ended = await until(p, "TransactionEvent Ended", () => calls(p, "TransactionEvent").find((s) => payload(s).eventType === "Ended"));
    expect(payload(ended).transactionInfo).toMatchObject({ stoppedReason: "Remote" });
    expect(energyOf(ended), JSON.stringify(ended.frame)).toBeGreaterThanOrEqual(e);
    await run(p, 2);
    expect(hw.relayClosed).toBe(false);
    expect(hw.offerDa).toBe(0);
    expect(p.driver.pilots[0].duty).toBe(8192);
    noErrors(p);
  });

  it("a power cycle in a session: the journal appended through io ends the transaction as PowerLoss after the reboot", async () => {
    const p = await startPort("ESP32-PC");
    const { ended, before } = await h.powerCycleInSession(p, 2, /^j[01]$/, () => p.driver.hw[1], () => p.driver.setPlugged(true, 2));
    expect(energyOf(ended)).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    noErrors(p);
  });

  it("a power loss between the remove and the rename of a save: load takes the temporary file", async () => {
    await h.powerLossInSave(await startPort("ESP32-PL"));
  });

  it("provision.txt: uploaded with init.lua, applied once at the first power-on and removed; a second power-on starts without it", async () => {
    await h.provisionedOnce((id, password) => startPort(id, { password }));
  });

  it("the random pool on the emulated crypto: uniform over small and large ranges, a new seed a new sequence", () => {
    const vm = emulationVm(BOARD, configName, "lua5.3-f32");
    const src = transpileEntry(path.join(ROOT, "hal/nodemcu-esp32/entropy.ts"), "lua5.3", undefined, GLOBALS);
    vm.eval(`ENT = (function(...) ${src} end)() return ""`);
    const draw = (seed: string, n: number, count: number) =>
      vm.eval(`local e = ENT.entropyNew("${seed}") local o = {} for i = 1, ${count} do o[i] = ENT.entropyInt(e, ${n}) end return table.concat(o, ",")`).split(",").map(Number);
    const six = draw("a", 6, 3000);
    expect(six.every((v) => Number.isInteger(v) && v >= 0 && v < 6)).toBe(true);
    const counts = [0, 1, 2, 3, 4, 5].map((k) => six.filter((v) => v === k).length);
    // 500 expected each; chi-square with 5 degrees of freedom below 20.5 (p = 0.001).
    expect(counts.reduce((a, c) => a + (c - 500) ** 2 / 500, 0)).toBeLessThan(20.5);
    const big = draw("a", 100000, 400);
    expect(big.every((v) => v >= 0 && v < 100000)).toBe(true);
    expect(Math.max(...big)).toBeGreaterThan(65536);
    expect(draw("b", 6, 50)).not.toEqual(six.slice(0, 50));
  });

  it("refuses wss:// (no TLS on this firmware): logged, no connection tried, no frame sent", async () => {
    const p = await startPort("ESP32-TLS", { url: (csms) => csms.url.replace(/^ws:/, "wss:") });
    await run(p, 20);
    expect(p.prints.some((l) => /wss:\/\/ refused/.test(l))).toBe(true);
    expect(p.driver.netBytes).toBe(0);
    expect(p.sent).toEqual([]);
    expect(p.csms.connections.length).toBe(0);
  });

  it("RFC 6455 through the port: multi-byte characters split across fragments and TCP chunks taken; the server's close ends with its TCP close; invalid UTF-8 -> Close 1007", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (p) => (p.has("ocpp2.0.1") ? "ocpp2.0.1" : false) });
    cleanups.push(() => new Promise((r) => wss.close(() => r(undefined))));
    await new Promise((r) => wss.once("listening", r));
    const peers: WebSocket[] = [];
    const got: Buffer[] = [];
    const closes: number[] = [];
    wss.on("connection", (ws) => {
      peers.push(ws);
      ws.on("message", (d: Buffer) => got.push(Buffer.from(d)));
      ws.on("close", (code: number) => closes.push(code));
    });
    const p = await startPort("ESP32-UTF8", { url: () => `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ocpp` });
    await until(p, "the BootNotification at the raw server", () => got.length > 0);
    const boot = JSON.parse(got[0].toString("utf8")) as unknown[];
    expect(boot[2]).toBe("BootNotification");
    // Its answer with 2- to 4-byte characters, as two unmasked frames (text, continuation) cut inside
    // a character, their bytes written to TCP in pieces cut inside characters too.
    const text = JSON.stringify([3, boot[1], { currentTime: new Date().toISOString(), interval: 300, status: "Accepted", statusInfo: { reasonCode: "Grüße", additionalInfo: "€ 𝄞 ü" } }]);
    const bytes = Buffer.from(text, "utf8");
    const at = (c: string, k: number) => bytes.indexOf(Buffer.from(c, "utf8")) + k;
    const raw = (fin: boolean, op: number, b: Buffer) =>
      Buffer.concat([Buffer.from(b.length < 126 ? [(fin ? 0x80 : 0) | op, b.length] : [(fin ? 0x80 : 0) | op, 126, b.length >> 8, b.length & 255]), b]);
    const cut = at("€", 1);
    const wire = Buffer.concat([raw(false, 1, bytes.subarray(0, cut)), raw(true, 0, bytes.subarray(cut))]);
    const sock = (peers[0] as unknown as { _socket: net.Socket })._socket;
    let from = 0;
    // Inside ü (2 bytes) and inside 𝄞 (4 bytes), wherever they are on the wire.
    for (const to of [wire.indexOf(Buffer.from("ü", "utf8")) + 1, wire.indexOf(Buffer.from("𝄞", "utf8")) + 2, wire.length]) {
      sock.write(wire.subarray(from, to));
      from = to;
      await sleep(20);
      p.runner.advance(100);
    }
    await until(p, "StatusNotification (the boot answer taken)", () => calls(p, "StatusNotification").length > 0, 30);
    expect(p.prints.some((l) => /WebSocket closed/.test(l))).toBe(false);
    // §7.1.1: the server closes; the station echoes and leaves the TCP close to the server (ws ends it
    // at once): the socket's end comes first, then the close with the server's code.
    peers[0].close(4000, "bye");
    await until(p, "the close", () => p.prints.some((l) => /WebSocket closed: 4000 bye/.test(l)), 30);
    const lostAt = p.prints.findIndex((l) => /connection lost: disconnected/.test(l));
    expect(lostAt).toBeGreaterThanOrEqual(0);
    expect(lostAt).toBeLessThan(p.prints.findIndex((l) => /WebSocket closed: 4000 bye/.test(l)));
    expect(closes).toEqual([4000]);
    await until(p, "connected again", () => peers.length === 2, 120);
    await run(p, 2);
    // A CALL with invalid UTF-8 in a string (C3 28): the station fails the connection with 1007.
    const bad = Buffer.concat([Buffer.from('[2,"u1","DataTransfer",{"vendorId":"x","data":"', "latin1"), Buffer.from([0xc3, 0x28]), Buffer.from('"}]', "latin1")]);
    peers[1].send(bad, { binary: false });
    await until(p, "the Close 1007 at the server", () => closes.length > 1, 30);
    expect(closes).toEqual([4000, 1007]);
    expect(p.prints.some((l) => /WebSocket closed: 1007 text message not UTF-8/.test(l))).toBe(true);
    // Nothing of the bad CALL was answered.
    expect(p.sent.some((s) => s.frame[1] === "u1")).toBe(false);
  }, 120000);

  it("ocpp-sim --board nodemcu-esp32: boots Accepted against its embedded CSMS in wall-clock time on lua5.3-f32, the cable in from power-up", async () => {
    expect(parseArgs(["--board", "nodemcu-esp32", "--speed", "5"])).toEqual({ board: "nodemcu-esp32", speed: 5 });
    const lines: string[] = [];
    const sim = await startPortSimulator("nodemcu-esp32", { id: "ESP32-CLI", speed: 5, plugged: true, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    cleanups.push(() => sim.stop());
    const csms = sim.csms as EmbeddedCsms;
    allCsms.push(csms);
    const end = Date.now() + 30000;
    while (!csms.received.some((r) => r.action === "StatusNotification" && (r.payload as { evseId: number }).evseId === 1) && Date.now() < end) await sleep(50);
    expect(lines.some((l) => l.includes("nodemcu-esp32, lua5.3-f32"))).toBe(true);
    expect(csms.received.find((r) => r.action === "StatusNotification" && (r.payload as { evseId: number }).evseId === 1)?.payload).toMatchObject({ connectorStatus: "Occupied" });
    expect(sim.errors).toEqual([]);
    await sim.stop();
  });
});
