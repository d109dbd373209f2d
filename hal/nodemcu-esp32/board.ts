// The NodeMCU ESP32 port (dev-esp32 firmware: Lua 5.3, 32-bit integers, single floats): the HAL over
// the firmware's documented modules (nodemcu-esp32.d.ts) and the board loop that feeds the image.
//
// boardRun(fw, cfg) is called once by the start file (init.lua) with the image's entry points and the
// OEM's wiring (hal/board-config.ts). It sets the hardware up (outputs low, the pilots' ledc channels
// held high: no offer, the pilot ADCs, the meters' RS-485 UART), starts the image and two auto-reload
// timers: the board loop every cfg.tickMs (the uptime count, the WebSocket's timeouts and pings, then
// fw.tick) and the I/O loop every POLL_MS (the meter bus, then the inputs). A hardware setup the
// firmware refuses (a bad pin) raises out of boardRun: the station does not start on a board it cannot
// drive.
//
// Inputs are polled: a pilot state counts once two polls in a row agree (a PWM edge or ADC noise is
// not a state change); plug detection comes from its pin, or without one from the pilot (B..D:
// plugged); a contactor or lock without a feedback pin follows its command. Each change is reported
// once through fw.input from the I/O timer, never from inside a HAL call: a plug before the pilot it
// brings, an unplug after the pilot it leaves.
//
// The transport is ws-transport.ts (the port's own RFC 6455 client over net: ws:// only, no TLS on this
// firmware), time clock.ts, storage flash.ts (SPIFFS), randomness entropy.ts, the meters meters.ts,
// the pilot's duty and states pilot.ts. No second transport (hal.netOpen) yet.

import type { Hal } from "../hal";
import type { BoardConfig, EvsePins } from "../board-config";
import type { Firmware } from "../../firmware/entry";
import type { Station } from "../../firmware/station";
import type { LedcChannel, NodeMcuEsp32 } from "./nodemcu-esp32";
import { Clock, clockAdvance, clockNew, rtcGet, rtcSet } from "./clock";
import { Entropy, entropyInt, entropyNew, entropyStir } from "./entropy";
// One local for the storage functions: the module function stays within Lua 5.1's 50 locals.
import { FLASH } from "./flash";
import { Meters, metersFeed, metersNew, metersReading, metersTick } from "./meters";
import { DUTY_FULL, PILOT_BITS, pilotDuty, pilotOfAdc } from "./pilot";
import { Transport, transportClose, transportConnect, transportNew, transportSend, transportTick } from "./ws-transport";

declare const tmr: NodeMcuEsp32["tmr"];
declare const gpio: NodeMcuEsp32["gpio"];
declare const ledc: NodeMcuEsp32["ledc"];
declare const adc: NodeMcuEsp32["adc"];
declare const uart: NodeMcuEsp32["uart"];
declare const node: NodeMcuEsp32["node"];
declare const time: NodeMcuEsp32["time"];
declare const print: NodeMcuEsp32["print"];

/** Interval of the I/O loop (meter bus, inputs) in ms: 5 FreeRTOS ticks. */
const POLL_MS = 50;
/** Messages up to this level go to the console (1 error .. 4 debug). */
const LOG_LEVEL = 3;

interface Board {
  fw: Firmware;
  cfg: BoardConfig;
  st: Station | undefined;
  clock: Clock;
  entropy: Entropy;
  t: Transport;
  meters: Meters<number>;
  /** Per EVSE (index evseId - 1): its pilot's ledc channel, and the last relay / lock commands. */
  pilots: LedcChannel[];
  relayCmd: boolean[];
  lockCmd: boolean[];
  /** Per EVSE: the last pilot reading, and what the firmware was last told (pilot, plug, relay, lock). */
  pilotRaw: string[];
  pilot: string[];
  plugged: boolean[];
  relay: boolean[];
  locked: boolean[];
}

function log(level: number, msg: string): void {
  if (level <= LOG_LEVEL) print("ocpp " + string.format("%d", level) + " " + msg);
}

/** The wall clock's µs now: when an event is handled varies by microseconds. */
function stir(b: Board): void {
  const [, us] = time.get();
  entropyStir(b.entropy, string.format("%d", us));
}

function output(pin: number): void {
  if (pin < 0) return;
  gpio.config({ gpio: pin, dir: gpio.OUT });
  gpio.write(pin, 0);
}

function input(pin: number): void {
  if (pin >= 0) gpio.config({ gpio: pin, dir: gpio.IN });
}

function readAdc(channel: number): number {
  return adc.read(adc.ADC1, channel);
}

/** The pilot state on the ADC now, or the last one when the read failed. */
function pilotNow(b: Board, e: number): string {
  const [ok, raw] = pcall(readAdc, b.cfg.evses[e - 1].pilotAdc);
  return ok ? pilotOfAdc(raw as number, b.cfg.pilotLevels) : b.pilotRaw[e - 1];
}

function relayClosed(b: Board, e: number): boolean {
  const pin = b.cfg.evses[e - 1].relayFeedback;
  return pin >= 0 ? gpio.read(pin) === 1 : b.relayCmd[e - 1];
}

function lockState(b: Board, e: number): boolean {
  const pin = b.cfg.evses[e - 1].lockFeedback;
  return pin >= 0 ? gpio.read(pin) === 1 : b.lockCmd[e - 1];
}

/** Plugged: the plug pin, or without one the pilot (an EV shows B, C or D). */
function plugNow(b: Board, e: number, pilot: string): boolean {
  const pin = b.cfg.evses[e - 1].plug;
  if (pin >= 0) return gpio.read(pin) === 1;
  return pilot === "B" || pilot === "C" || pilot === "D";
}

/** One EVSE's pins: outputs low, inputs, the pilot's channel held high (no offer), the pilot's ADC. */
function setupEvse(b: Board, e: number, p: EvsePins): void {
  const channels = [ledc.CHANNEL_0, ledc.CHANNEL_1, ledc.CHANNEL_2, ledc.CHANNEL_3, ledc.CHANNEL_4, ledc.CHANNEL_5];
  if (e > channels.length) error("more EVSEs than ledc channels");
  output(p.relay);
  output(p.lock);
  input(p.relayFeedback);
  input(p.lockFeedback);
  input(p.plug);
  b.pilots[e - 1] = ledc.newChannel({ gpio: p.pilotPwm, bits: PILOT_BITS, mode: ledc.LOW_SPEED, timer: ledc.TIMER_0, channel: channels[e - 1], frequency: 1000, duty: DUTY_FULL });
  adc.setup(adc.ADC1, p.pilotAdc, adc.ATTEN_11db);
  b.relayCmd[e - 1] = false;
  b.lockCmd[e - 1] = false;
  b.pilotRaw[e - 1] = "A";
  b.pilotRaw[e - 1] = pilotNow(b, e);
  b.pilot[e - 1] = b.pilotRaw[e - 1];
  b.plugged[e - 1] = plugNow(b, e, b.pilot[e - 1]);
  b.relay[e - 1] = relayClosed(b, e);
  b.locked[e - 1] = lockState(b, e);
}

function meterWrite(id: number, bytes: string): void {
  uart.write(id, bytes);
}

/** The meters' UART: 8N1 at the bus's rate, its pins, RS-485 half duplex driving dePin as RTS. */
function setupMeterBus(b: Board): void {
  const m = b.cfg.meter;
  const pins = { tx: m.txPin, rx: m.rxPin, rts: m.dePin };
  if (m.txPin >= 0 && m.rxPin >= 0) uart.setup(m.uart, m.baud, 8, uart.PARITY_NONE, uart.STOPBITS_1, m.dePin >= 0 ? pins : { tx: m.txPin, rx: m.rxPin });
  else uart.setup(m.uart, m.baud, 8, uart.PARITY_NONE, uart.STOPBITS_1);
  uart.on(m.uart, "data", 0, (data) => {
    stir(b);
    metersFeed(b.meters, data);
  });
  uart.start(m.uart);
  // After uart.start: it installs the driver, and ESP-IDF's uart_set_mode fails before that (an
  // error dev-esp32's uart.setmode ignores: the transceiver would never be driven).
  if (m.dePin >= 0) uart.setmode(m.uart, uart.MODE_RS485_HALF_DUPLEX);
}

/** Reports one EVSE's input changes, in the order the core expects them. */
function pollEvse(b: Board, e: number): void {
  const i = e - 1;
  const raw = pilotNow(b, e);
  const pilot = raw === b.pilotRaw[i] ? raw : b.pilot[i];
  b.pilotRaw[i] = raw;
  const plug = plugNow(b, e, pilot);
  if (plug && !b.plugged[i]) {
    b.plugged[i] = true;
    b.fw.input(b.st, "plug", e, 1);
  }
  if (pilot !== b.pilot[i]) {
    b.pilot[i] = pilot;
    b.fw.input(b.st, "pilot", e, 0);
  }
  if (!plug && b.plugged[i]) {
    b.plugged[i] = false;
    b.fw.input(b.st, "unplug", e, 1);
  }
  const relay = relayClosed(b, e);
  if (relay !== b.relay[i]) {
    b.relay[i] = relay;
    b.fw.input(b.st, "relay", e, 0);
  }
  const locked = lockState(b, e);
  if (locked !== b.locked[i]) {
    b.locked[i] = locked;
    b.fw.input(b.st, "lock", e, 1);
  }
}

function makeHal(b: Board): Hal {
  return {
    connect: (url, subprotocol, auth, pingS) => transportConnect(b.t, url, subprotocol, auth, pingS),
    send: (parts) => {
      if (!transportSend(b.t, parts)) log(2, "send without an open WebSocket: dropped");
    },
    disconnect: () => transportClose(b.t),
    uptime: () => b.clock.secs,
    rtcEpoch: () => rtcGet(),
    setRtcEpoch: (epoch) => rtcSet(epoch),
    random: (n) => (n > 1 ? entropyInt(b.entropy, n) : 0),
    load: (key) => FLASH.load(key),
    save: (key, value) => {
      if (!FLASH.save(key, value)) log(1, "save failed: " + key);
    },
    erase: (key) => FLASH.erase(key),
    append: (key, parts) => FLASH.append(key, parts),
    read: (key, offset, length) => FLASH.read(key, offset, length),
    size: (key) => FLASH.size(key),
    setRelay: (evseId, closed) => {
      b.relayCmd[evseId - 1] = closed;
      gpio.write(b.cfg.evses[evseId - 1].relay, closed ? 1 : 0);
    },
    relayClosed: (evseId) => relayClosed(b, evseId),
    readMeter: (evseId) => metersReading(b.meters, evseId),
    pilotState: (evseId) => b.pilot[evseId - 1],
    setPilotOffer: (evseId, deciAmps) => b.pilots[evseId - 1].setduty(pilotDuty(deciAmps)),
    setLock: (evseId, _connectorId, locked) => {
      const pin = b.cfg.evses[evseId - 1].lock;
      b.lockCmd[evseId - 1] = locked;
      if (pin >= 0) gpio.write(pin, locked ? 1 : 0);
    },
    lockState: (evseId) => lockState(b, evseId),
    plugged: (evseId) => b.plugged[evseId - 1] === true,
    reboot: () => node.restart(),
    log: (level, msg) => log(level, msg),
  };
}

/** What differs between boards and boots, for the random pool's seed. */
function seed(cfg: BoardConfig): string {
  const [sec, us] = time.get();
  const [up] = node.uptime();
  const out = [node.chipid(), string.format("%d", node.heap()), string.format("%d", sec), string.format("%d", us), string.format("%.0f", up)];
  for (let i = 0; i < cfg.evses.length; i++) {
    const [ok, raw] = pcall(readAdc, cfg.evses[i].pilotAdc);
    if (ok) out[out.length] = string.format("%d", raw as number);
  }
  return table.concat(out, ",");
}

export function boardRun(fw: Firmware, cfg: BoardConfig): void {
  // Firmware.evses: a stand-in image without it (a test's stub) is not checked.
  if (fw.evses !== undefined && fw.evses !== cfg.evses.length) log(1, "the board config wires " + string.format("%d", cfg.evses.length) + " EVSEs, the image has " + string.format("%d", fw.evses));
  adc.setwidth(adc.ADC1, 12);
  const addresses: number[] = [];
  for (let i = 0; i < cfg.evses.length; i++) addresses[addresses.length] = cfg.evses[i].meterAddress;
  const b: Board = {
    fw, cfg, st: undefined, clock: clockNew(), entropy: entropyNew(seed(cfg)),
    t: transportNew({
      maxMessage: fw.maxFrameBytes,
      uptime: () => b.clock.secs,
      random: (n) => entropyInt(b.entropy, n),
      stir: () => stir(b),
      log: (level, msg) => log(level, msg),
      opened: () => fw.opened(b.st),
      frame: (text) => fw.frame(b.st, text),
      closed: () => fw.closed(b.st),
    }),
    meters: metersNew(cfg.meter, addresses, cfg.meter.uart, meterWrite),
    pilots: [], relayCmd: [], lockCmd: [], pilotRaw: [], pilot: [], plugged: [], relay: [], locked: [],
  };
  for (let e = 1; e <= cfg.evses.length; e++) setupEvse(b, e, cfg.evses[e - 1]);
  setupMeterBus(b);
  b.st = fw.start(makeHal(b));
  const tick = cfg.tickMs;
  tmr.create().alarm(tick, tmr.ALARM_AUTO, () => {
    clockAdvance(b.clock, tick);
    stir(b);
    transportTick(b.t);
    fw.tick(b.st);
  });
  tmr.create().alarm(POLL_MS, tmr.ALARM_AUTO, () => {
    metersTick(b.meters, POLL_MS);
    for (let e = 1; e <= cfg.evses.length; e++) pollEvse(b, e);
  });
}
