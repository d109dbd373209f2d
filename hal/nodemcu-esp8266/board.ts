// The NodeMCU ESP8266 port: the HAL (hal/hal.ts) on the firmware's documented modules (./nodemcu.d.ts)
// and the board loop. Built as hal-nodemcu-esp8266.lua(c) beside the image; a start file calls
// `boardRun(fw, cfg)` with the image's entry points and the OEM's wiring (hal/board-config.ts).
//
// - Transport: the `websocket` module, one client per connect. Its default `Sec-WebSocket-Protocol:
//   chat` is replaced by the OCPP subprotocol (headers given by name replace the defaults), Basic auth
//   goes in `Authorization`. The module sends a message as one frame from one Lua string, so send()
//   joins the parts there (a frame is at most the build's maxFrameBytes; one of 65535 bytes or more is
//   dropped and logged: the module casts the length to an unsigned short and would send a corrupt
//   frame). It pings every 30 s by itself and closes after two pings without a pong: the core's
//   pingIntervalS is not honoured beyond that. Each connect gets exactly one fw.opened and one
//   fw.closed, or one fw.closed when it fails; events of an older client are dropped. The module calls
//   its close handler synchronously from ws:connect() (a bad URL) and ws:close() (during DNS), so every
//   close is reported from a task of its own (node.task.post), never from inside a HAL call.
// - wss:// is refused (logged, reported closed): the module would not check the CSMS's certificate
//   (tls.cert.verify is off at boot), which security profiles 2/3 need (issue #10).
// - Time: uptime from tmr.now() (µs, wrapping at 2^31 every 35.8 min) read at least once per tick,
//   counted across the wrap; the wall clock is rtctime (lost at power-off: the CSMS sets it again).
// - Storage: ./flash.ts (SPIFFS). Provisioning is the start file's (build/start-file.ts: init.lua
//   wraps fw.start and applies provision.txt), not the port's.
// - Hardware: ONE EVSE, because the ESP8266 has one ADC channel (TOUT, 0..1 V) and the pilot must be
//   read on it; a config or an image (Firmware.evses) with another count is refused at start (logged,
//   nothing runs). Relay, lock,
//   feedback and plug on gpio; the feedback inputs, the plug and the pilot ADC polled every POLL_MS by
//   a timer of their own, a change reported (fw.input) once two reads in a row agree: IEC 61851-1
//   Annex A wants the supply off within 100 ms of C->B or an unplug. The pilot PWM at 1 kHz with the
//   duty of ./pilot.ts; the meter (hal/lib/meter-sdm.ts) on UART 0, the only one that receives, with
//   the RS-485 driver enable on dePin while sending: raised before uart.write, dropped after a
//   tmr.delay busy-wait of the request's time on the line (8.3 ms for 8 bytes at 9600 baud: the
//   whole chip blocks that long), in the same callback, so no queued callback can hold it on into
//   the meter's reply.
//   A transceiver with automatic direction control (dePin -1) avoids that busy-wait and is what the
//   generated FLASHING.md recommends; its price: UART 0 is also the console, so print() output then
//   goes out on the bus too (with dePin the driver is off while print writes) unless logging is off.
// - random: node.random; reboot: node.restart; log: print. No second transport (netOpen): the ems
//   block stays idle on this port.

import type { Firmware } from "../../firmware/entry";
import type { Station } from "../../firmware/station";
import type { Hal, MeterReading } from "../hal";
import type { BoardConfig, EvsePins } from "../board-config";
import type { NodeMcuEsp8266, TmrTimer, WebsocketClient } from "./nodemcu";
import { idiv } from "../../firmware/arith";
import { SdmPoller, sdmFeed, sdmPoller, sdmReading, sdmTick } from "../lib/meter-sdm";
import { DUTY_FULL, pilotDuty, pilotOfAdc } from "./pilot";
import { FLASH } from "./flash";

declare const websocket: NodeMcuEsp8266["websocket"];
declare const tmr: NodeMcuEsp8266["tmr"];
declare const node: NodeMcuEsp8266["node"];
declare const encoder: NodeMcuEsp8266["encoder"];
declare const gpio: NodeMcuEsp8266["gpio"];
declare const pwm: NodeMcuEsp8266["pwm"];
declare const adc: NodeMcuEsp8266["adc"];
declare const uart: NodeMcuEsp8266["uart"];
declare const rtctime: NodeMcuEsp8266["rtctime"];
declare const print: NodeMcuEsp8266["print"];

/** The longest interval a NodeMCU timer takes, ms. */
const MAX_TIMER_MS = 6870947;
const LEVELS = ["error", "warn", "info", "debug"];
/** Inputs poll period, ms: two agreeing reads report a change within 100 ms (IEC 61851-1 Annex A). */
const POLL_MS = 50;
/** The module's frame length is an unsigned short: a message this long or longer is never sent. */
const MAX_MESSAGE = 65535;

interface Port {
  fw: Firmware;
  cfg: BoardConfig;
  pins: EvsePins;
  st: Station | undefined;
  ws: WebsocketClient | undefined;
  /** Bumped by every connect: an older client's events are dropped. */
  gen: number;
  /** The current client: 0 none (its close was reported), 1 connecting, 2 open. */
  link: number;
  /** tmr.now() at the last reading, µs below a ms not yet counted, ms below a second, seconds. */
  lastUs: number;
  subUs: number;
  msInSec: number;
  secs: number;
  /** Milliseconds not yet handed to the meter poller. */
  meterMs: number;
  relayCmd: boolean;
  lockCmd: boolean;
  /** The inputs as last reported to the firmware. */
  relayFb: boolean;
  lockFb: boolean;
  plugged: boolean;
  pilot: string;
  /** The inputs as the previous poll read them: a change is reported when the next read agrees. */
  readRelay: boolean;
  readLock: boolean;
  readPlugged: boolean;
  readPilot: string;
  meter: SdmPoller<Port> | undefined;
  meterTimer: TmrTimer;
  /** The meter timer's callback: made once. */
  meterRun: (this: void) => void;
}

function log(level: number, msg: string): void {
  const name = level >= 1 && level <= 4 ? LEVELS[level - 1] : "log";
  print("ocpp " + name + ": " + msg);
}

/** Counts the µs since the last reading into ms and seconds (tmr.now() wraps at 2^31 µs). */
function readClock(p: Port): void {
  const now = tmr.now();
  let d = now - p.lastUs;
  // Wrapped: d + 2^31, at most 2^31 - 1, computed without a literal above the 32-bit range.
  if (d < 0) d = d + 2147483647 + 1;
  p.lastUs = now;
  let ms = idiv(d, 1000);
  p.subUs = p.subUs + d - ms * 1000;
  if (p.subUs >= 1000) {
    p.subUs = p.subUs - 1000;
    ms = ms + 1;
  }
  p.meterMs = p.meterMs + ms > 86400000 ? 86400000 : p.meterMs + ms;
  p.msInSec = p.msInSec + ms;
  if (p.msInSec >= 1000) {
    const s = idiv(p.msInSec, 1000);
    p.secs = p.secs + s;
    p.msInSec = p.msInSec - s * 1000;
  }
}

// ---- transport ----

/** Ends the current client's link and reports it from a task of its own, unless a connect came first. */
function closed(p: Port, gen: number): void {
  p.link = 0;
  p.ws = undefined;
  node.task.post(() => {
    if (gen === p.gen) p.fw.closed(p.st);
  });
}

function connect(p: Port, url: string, subprotocol: string, auth: string | undefined): void {
  // The generation first: a close the old client reports from inside close() is an old one.
  p.gen = p.gen + 1;
  const gen = p.gen;
  const old = p.ws;
  p.ws = undefined;
  p.link = 1;
  if (old !== undefined) old.close();
  if (string.lower(string.sub(url, 1, 6)) === "wss://") {
    log(1, "wss:// refused: the websocket module would not check the CSMS's certificate (security profiles 2/3: issue #10)");
    closed(p, gen);
    return;
  }
  const ws = websocket.createClient();
  const headers: { [name: string]: string } = { "Sec-WebSocket-Protocol": subprotocol };
  if (auth !== undefined) headers["Authorization"] = "Basic " + encoder.toBase64(auth);
  ws.config({ headers });
  ws.on("connection", () => {
    if (gen !== p.gen || p.link !== 1) return;
    p.link = 2;
    p.fw.opened(p.st);
  });
  ws.on("receive", (_ws, msg, opcode) => {
    if (gen !== p.gen || p.link !== 2) return;
    if (opcode === 1) p.fw.frame(p.st, msg);
    else log(2, "binary message dropped");
  });
  ws.on("close", (_ws, status) => {
    if (gen !== p.gen || p.link === 0) return;
    if (status !== 0) log(3, "websocket closed, status " + string.format("%d", status));
    closed(p, gen);
  });
  p.ws = ws;
  ws.connect(url);
}

function wsSend(ws: WebsocketClient, msg: string): void {
  ws.send(msg, 1);
}

function send(p: Port, parts: string[]): void {
  const ws = p.ws;
  if (ws === undefined || p.link !== 2) return;
  // One Lua string per message is all the module takes (see the head comment).
  const msg = parts.length === 1 ? parts[0] : table.concat(parts);
  if (msg.length >= MAX_MESSAGE) {
    log(1, "message of " + string.format("%d", msg.length) + " bytes dropped: the websocket module sends at most 65534");
    return;
  }
  const [ok, err] = pcall(wsSend, ws, msg);
  if (!ok) log(1, "websocket send failed: " + tostring(err as string));
}

// ---- hardware ----

function level(on: boolean): number {
  return on ? gpio.HIGH : gpio.LOW;
}

/**
 * Reads the inputs. A value read twice in a row (one poll apart) becomes the reported one, and the
 * firmware hears of the change when report is set; at boot (report unset) the first read is taken.
 */
function poll(p: Port, report: boolean): void {
  const e = p.pins;
  const relayFb = e.relayFeedback >= 0 ? gpio.read(e.relayFeedback) === gpio.HIGH : p.relayCmd;
  const lockFb = e.lockFeedback >= 0 ? gpio.read(e.lockFeedback) === gpio.HIGH : p.lockCmd;
  const pilot = pilotOfAdc(adc.read(0), p.cfg.pilotLevels);
  const plugged = e.plug >= 0 ? gpio.read(e.plug) === gpio.HIGH : pilot === "B" || pilot === "C" || pilot === "D";
  const wasRelay = p.relayFb;
  const wasLock = p.lockFb;
  const wasPlugged = p.plugged;
  const wasPilot = p.pilot;
  if (relayFb === p.readRelay || !report) p.relayFb = relayFb;
  if (lockFb === p.readLock || !report) p.lockFb = lockFb;
  if (plugged === p.readPlugged || !report) p.plugged = plugged;
  if (pilot === p.readPilot || !report) p.pilot = pilot;
  p.readRelay = relayFb;
  p.readLock = lockFb;
  p.readPlugged = plugged;
  p.readPilot = pilot;
  if (!report) return;
  const fw = p.fw;
  if (p.plugged && !wasPlugged) fw.input(p.st, "plug", 1, 1);
  if (p.pilot !== wasPilot) fw.input(p.st, "pilot", 1, 0);
  if (!p.plugged && wasPlugged) fw.input(p.st, "unplug", 1, 1);
  if (p.relayFb !== wasRelay) fw.input(p.st, "relay", 1, 0);
  if (p.lockFb !== wasLock) fw.input(p.st, "lock", 1, 1);
}

function meterWrite(p: Port, bytes: string): void {
  const de = p.cfg.meter.dePin;
  if (de >= 0) gpio.write(de, gpio.HIGH);
  uart.write(0, bytes);
  if (de < 0) return;
  // write returns with the bytes still in the FIFO: the driver stays on for their time on the line
  // (10 bits a byte, 8N1), busy-waited here, and goes off before any other callback can run (a
  // timer would wait behind queued ones, past the start of the meter's reply).
  tmr.delay(idiv(bytes.length * 10000000 + p.cfg.meter.baud - 1, p.cfg.meter.baud));
  gpio.write(de, gpio.LOW);
}

/** Hands the poller the time that passed, then waits for its next step. */
function meterStep(p: Port, data: string | undefined): void {
  const m = p.meter as SdmPoller<Port>;
  readClock(p);
  const ms = p.meterMs;
  p.meterMs = 0;
  sdmTick(m, ms);
  if (data !== undefined) sdmFeed(m, data);
  const wait = m.wait < 1 ? 1 : m.wait > MAX_TIMER_MS ? MAX_TIMER_MS : m.wait;
  p.meterTimer.stop();
  p.meterTimer.alarm(wait, tmr.ALARM_SINGLE, p.meterRun);
}

/** The pins' modes and safe levels: contactor open, lock open, pilot constant +12 V (no offer). */
function setupHardware(p: Port): void {
  const e = p.pins;
  gpio.mode(e.relay, gpio.OUTPUT);
  gpio.write(e.relay, gpio.LOW);
  if (e.relayFeedback >= 0) gpio.mode(e.relayFeedback, gpio.INPUT);
  if (e.lock >= 0) {
    gpio.mode(e.lock, gpio.OUTPUT);
    gpio.write(e.lock, gpio.LOW);
  }
  if (e.lockFeedback >= 0) gpio.mode(e.lockFeedback, gpio.INPUT);
  if (e.plug >= 0) gpio.mode(e.plug, gpio.INPUT);
  pwm.setup(e.pilotPwm, 1000, DUTY_FULL);
  pwm.start(e.pilotPwm);
}

function setupMeter(p: Port): void {
  const bus = p.cfg.meter;
  p.meter = sdmPoller({ slave: p.pins.meterAddress, registers: bus.registers, periodMs: bus.periodMs, baud: bus.baud }, p, meterWrite);
  if (p.meter === undefined) {
    log(1, "meter settings out of range: no meter");
    return;
  }
  if (bus.dePin >= 0) {
    gpio.mode(bus.dePin, gpio.OUTPUT);
    gpio.write(bus.dePin, gpio.LOW);
  }
  uart.setup(0, bus.baud, 8, uart.PARITY_NONE, uart.STOPBITS_1, 0);
  // D7/D8 (GPIO13/15): UART 0's alternate pins, off the USB console.
  uart.alt(bus.rxPin === 7 && bus.txPin === 8 ? 1 : 0);
  uart.on("data", 0, (data) => meterStep(p, data), 0);
  meterStep(p, undefined);
}

// ---- the HAL ----

function makeHal(p: Port): Hal {
  const zero: MeterReading = { energyWh: 0, powerW: 0, currentDa: [0, 0, 0], voltageDv: [0, 0, 0], socPercent: -1 };
  return {
    connect: (url, subprotocol, auth) => connect(p, url, subprotocol, auth),
    send: (parts) => send(p, parts),
    disconnect: () => {
      // The close event reports it (fw.closed, from a task of its own), as for any other end.
      if (p.ws !== undefined) p.ws.close();
    },
    uptime: () => {
      readClock(p);
      return p.secs;
    },
    rtcEpoch: () => {
      const [sec] = rtctime.get();
      return sec > 0 ? sec : undefined;
    },
    setRtcEpoch: (epoch) => rtctime.set(epoch, 0),
    random: (n) => node.random(0, n - 1),
    load: (key) => FLASH.load(key),
    save: (key, value) => {
      if (!FLASH.save(key, value)) log(1, "save " + key + " failed");
    },
    erase: (key) => FLASH.erase(key),
    append: (key, parts) => FLASH.append(key, parts),
    read: (key, offset, length) => FLASH.read(key, offset, length),
    size: (key) => FLASH.size(key),
    setRelay: (_evseId, closed) => {
      p.relayCmd = closed;
      gpio.write(p.pins.relay, level(closed));
    },
    relayClosed: () => p.relayFb,
    readMeter: () => (p.meter !== undefined ? sdmReading(p.meter, 3) : zero),
    pilotState: () => p.pilot,
    setPilotOffer: (_evseId, deciAmps) => pwm.setduty(p.pins.pilotPwm, pilotDuty(deciAmps)),
    setLock: (_evseId, _connectorId, locked) => {
      p.lockCmd = locked;
      if (p.pins.lock >= 0) gpio.write(p.pins.lock, level(locked));
    },
    lockState: () => p.lockFb,
    plugged: () => p.plugged,
    reboot: () => node.restart(),
    log: (level, msg) => log(level, msg),
  };
}

/** Starts the station on this board: hardware set up, flash restored, the tick running. */
export function boardRun(fw: Firmware, cfg: BoardConfig): void {
  // The image's EVSE count (Firmware.evses); a stand-in image without it (a test's stub) is taken at the config's word.
  const imageEvses = fw.evses !== undefined ? fw.evses : 1;
  if (cfg.evses.length !== 1 || imageEvses !== 1) {
    log(1, "this board reads one control pilot (one ADC): the config and the image (" + string.format("%d", imageEvses) + " EVSEs) must have exactly 1 EVSE");
    return;
  }
  if (cfg.meter.uart !== 0) {
    log(1, "the meter needs UART 0 (UART 1 of the ESP8266 only transmits)");
    return;
  }
  // TOUT must be in ADC mode (stored in flash): a change takes effect after a restart.
  if (adc.force_init_mode(adc.INIT_ADC)) {
    node.restart();
    return;
  }
  const p: Port = {
    fw, cfg, pins: cfg.evses[0], st: undefined, ws: undefined, gen: 0, link: 0,
    lastUs: tmr.now(), subUs: 0, msInSec: 0, secs: 0, meterMs: 0,
    relayCmd: false, lockCmd: false, relayFb: false, lockFb: false, plugged: false, pilot: "A",
    readRelay: false, readLock: false, readPlugged: false, readPilot: "A",
    meter: undefined, meterTimer: tmr.create(), meterRun: () => undefined,
  };
  p.meterRun = () => meterStep(p, undefined);
  setupHardware(p);
  poll(p, false);
  p.st = fw.start(makeHal(p));
  setupMeter(p);
  tmr.create().alarm(POLL_MS, tmr.ALARM_AUTO, () => poll(p, true));
  tmr.create().alarm(cfg.tickMs, tmr.ALARM_AUTO, () => {
    readClock(p);
    fw.tick(p.st);
  });
}
