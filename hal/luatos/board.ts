// The LuatOS port: the HAL over LuatOS's documented Lua modules (hal/luatos/luatos.d.ts,
// hal/FIRMWARES.md), and the board loop that drives the image. main.lua loads the image and this
// chunk and calls boardRun(fw, cfg) before sys.run(): nothing here blocks or waits, every event comes
// from a sys timer or a module callback.
//
// The transport is link.ts (the websocket module), the storage storage.ts (fskv and files). Here:
// time (sys timers, uptime from mcu.ticks(), which wraps; the wall clock from os.time() once it is
// set), random numbers (crypto.trng), and the hardware of hal/board-config.ts: relay, lock and their
// feedback contacts on gpio, the control pilot's PWM (pwm, 1 kHz, duty in 0.1 %) and ADC (adc.get in
// mV of the peak-held positive level against cfg.pilotLevels), and the energy meters over Modbus RTU on one RS-485 UART
// (hal/lib/meter-sdm.ts), polled one at a time.

import type { LuatOS } from "./luatos";
import type { Firmware } from "../../firmware/entry";
import type { Hal } from "../hal";
import type { BoardConfig, EvsePins } from "../board-config";
import { SdmPoller, sdmFeed, sdmPoller, sdmReading, sdmTick } from "../lib/meter-sdm";
import { idiv } from "../../firmware/arith";
import { pilotDutyOf, pilotStateOf as pilotOf } from "../lib/pilot";
import { connect, disconnect, Link, rxNew, send } from "./link";
import { append, erase, load, read, save, size, storageStart } from "./storage";
import { say } from "./say";

declare const sys: LuatOS["sys"];
declare const os: LuatOS["os"];
declare const crypto: LuatOS["crypto"];
declare const rtos: LuatOS["rtos"];
declare const mcu: LuatOS["mcu"];
declare const gpio: LuatOS["gpio"];
declare const pwm: LuatOS["pwm"];
declare const adc: LuatOS["adc"];
declare const uart: LuatOS["uart"];

/** Milliseconds between reads of the inputs (pilot, plug, feedback contacts) and meter steps. */
const POLL_MS = 50;
/** os.time() below this (2020-01-01) is a clock never set. */
const RTC_MIN = 1577836800;

// ---- pure parts (exported for the tests, as is ticksDelta) ----

/** The pilot's PWM duty in 0.1 % for an offer in 0.1 A (hal/lib/pilot.ts): 1000, a steady +12 V, for no offer. */
function pilotDuty(deciAmps: number): number {
  return pilotDutyOf(deciAmps, 1000);
}

// ---- the board ----

interface Board extends Link {
  cfg: BoardConfig;
  // clock
  hz: number;
  lastTicks: number;
  /** Ticks not yet counted in secs, and in the milliseconds for the meters. */
  subTicks: number;
  msTicks: number;
  secs: number;
  pendingMs: number;
  /** Epoch seconds minus uptime as the firmware last set it (the RTC unset). */
  rtcOffset: number | undefined;
  seed: number;
  // hardware, per EVSE (index evseId - 1)
  relayCmd: boolean[];
  lockCmd: boolean[];
  /** What the firmware was last told. */
  pilot: string[];
  /** A new pilot state seen once: reported when the next poll sees it again. */
  pilotNext: string[];
  plug: boolean[];
  relayFb: boolean[];
  lockFb: boolean[];
  // meters: one poller per EVSE on the shared bus; only the turn's poller talks
  meters: (SdmPoller<Board> | undefined)[];
  turn: number;
  /** Per poller: milliseconds passed while it waited for its turn. */
  idleMs: number[];
  phases: number;
}

function int(n: number): string {
  return string.format("%d", n);
}

// ---- clock ----

/**
 * Ticks from last to now of mcu.ticks(), a 32-bit counter that wraps (shown signed or unsigned): on a
 * 32-bit VM the difference wraps right by itself, on a 64-bit one 2^32 is added. Past 2^31 ticks
 * between two reads (weeks) a 32-bit VM cannot tell: 0.
 */
function ticksDelta(now: number, last: number): number {
  let d = now - last;
  if (d < 0) d = d + 65536 * 65536;
  return d < 0 ? 0 : d;
}

/** Counts the ticks since the last call into seconds and meter milliseconds. */
function clock(b: Board): void {
  const now = mcu.ticks();
  const d = ticksDelta(now, b.lastTicks);
  b.lastTicks = now;
  b.subTicks = b.subTicks + d;
  if (b.subTicks >= b.hz) {
    const s = idiv(b.subTicks, b.hz);
    b.secs = b.secs + s;
    b.subTicks = b.subTicks - s * b.hz;
  }
  // The meters count at most 10^6 ticks at once (1000 s at 1 kHz; they only need the time since their last step): the product stays below 2^31.
  b.msTicks = b.msTicks + (d > 1000000 ? 1000000 : d) * 1000;
  if (b.msTicks >= b.hz) {
    const ms = idiv(b.msTicks, b.hz);
    b.pendingMs = math.min(b.pendingMs + ms, 86400000);
    b.msTicks = b.msTicks - ms * b.hz;
  }
}

// ---- hardware ----

/**
 * The pilot state from its ADC input, which must hold the PWM's positive level (a peak-hold circuit,
 * docs/porting.md): read bare, at 10 % duty the positive level lasts 100 µs of each 1 ms and a poll,
 * on the same clock as the PWM, may land in the low phase every time (E: the session aborts).
 */
function pilotRead(b: Board, pins: EvsePins): string {
  return pilotOf(adc.get(pins.pilotAdc), b.cfg.pilotLevels);
}

function setOffer(pins: EvsePins, deciAmps: number): void {
  if (!pwm.open(pins.pilotPwm, 1000, pilotDuty(deciAmps), 0, 1000)) say(1, "pwm.open failed on channel " + int(pins.pilotPwm));
}

/** Feedback contacts: the input when wired, else the command (the feedback follows it). */
function relayNow(b: Board, i: number): boolean {
  const pin = b.cfg.evses[i].relayFeedback;
  return pin >= 0 ? gpio.get(pin) === 1 : b.relayCmd[i];
}

function lockNow(b: Board, i: number): boolean {
  const pin = b.cfg.evses[i].lockFeedback;
  return pin >= 0 ? gpio.get(pin) === 1 : b.lockCmd[i];
}

/** Plug detection: its input when wired, else from the pilot (B..D: plugged, A: not, E: as it was). */
function plugNow(b: Board, i: number, pilot: string): boolean {
  const pin = b.cfg.evses[i].plug;
  if (pin >= 0) return gpio.get(pin) === 1;
  return pilot === "E" ? b.plug[i] : pilot !== "A";
}

/**
 * One EVSE's inputs against what the firmware was told; changes become input events. A pilot state
 * counts once two polls in a row saw it. A plug is told before its pilot state, an unplug after, as
 * a cable's contacts make and break.
 */
function pollEvse(b: Board, i: number): void {
  const e = i + 1;
  const seen = pilotRead(b, b.cfg.evses[i]);
  let pilot = b.pilot[i];
  if (seen !== pilot && seen === b.pilotNext[i]) pilot = seen;
  b.pilotNext[i] = seen;
  const plugged = plugNow(b, i, pilot);
  if (plugged && !b.plug[i]) {
    b.plug[i] = true;
    b.fw.input(b.st, "plug", e, 1);
  }
  if (pilot !== b.pilot[i]) {
    b.pilot[i] = pilot;
    b.fw.input(b.st, "pilot", e, 0);
  }
  if (!plugged && b.plug[i]) {
    b.plug[i] = false;
    b.fw.input(b.st, "unplug", e, 1);
  }
  const relay = relayNow(b, i);
  if (relay !== b.relayFb[i]) {
    b.relayFb[i] = relay;
    b.fw.input(b.st, "relay", e, 0);
  }
  const locked = lockNow(b, i);
  if (locked !== b.lockFb[i]) {
    b.lockFb[i] = locked;
    b.fw.input(b.st, "lock", e, 1);
  }
}

// ---- meters ----

function busWrite(b: Board, bytes: string): void {
  uart.write(b.cfg.meter.uart, bytes);
}

/**
 * The meters share one bus: only the poller whose turn it is gets time (and the bytes received).
 * Between its cycles the turn passes on, and the next poller first gets the time it waited.
 */
function meterStep(b: Board, ms: number): void {
  const n = b.meters.length;
  for (let k = 0; k < n; k++) if (k !== b.turn) b.idleMs[k] = math.min(b.idleMs[k] + ms, 86400000);
  const p = b.meters[b.turn];
  if (p !== undefined) sdmTick(p, ms);
  if (p === undefined || p.state === 0) {
    b.turn = b.turn + 1 < n ? b.turn + 1 : 0;
    const q = b.meters[b.turn];
    if (q !== undefined) sdmTick(q, b.idleMs[b.turn]);
    b.idleMs[b.turn] = 0;
  }
}

function busReceive(b: Board, id: number): void {
  // Bounded: what a burst left in the driver's buffer, a few reads at most.
  for (let k = 0; k < 8; k++) {
    const s = uart.read(id, 256);
    if (s === "") return;
    const p = b.meters[b.turn];
    if (p !== undefined) sdmFeed(p, s);
  }
}

/** Phases the register table reads (currentDa1..3): as many entries as each reading gets. */
function tablePhases(b: Board): number {
  const p = b.meters[0];
  if (p === undefined) return 1;
  let n = 0;
  for (let i = 0; i < p.registers.length; i++) {
    const name = p.registers[i].name;
    if (name === "currentDa1" || name === "currentDa2" || name === "currentDa3") n = n + 1;
  }
  return n > 0 ? n : 1;
}

function startMeters(b: Board): void {
  const bus = b.cfg.meter;
  // uart.setup(id, baud, databits, stopbits, parity, bit order, buffer, RS-485 direction pin, its level while receiving).
  if (uart.setup(bus.uart, bus.baud, 8, 1, uart.NONE, uart.LSB, 1024, bus.dePin >= 0 ? bus.dePin : undefined, 0) !== 0) say(1, "uart.setup failed on " + int(bus.uart));
  uart.on(bus.uart, "receive", (id) => busReceive(b, id));
  for (let i = 0; i < b.cfg.evses.length; i++) {
    const p = sdmPoller<Board>({ slave: b.cfg.evses[i].meterAddress, registers: bus.registers, periodMs: bus.periodMs, baud: bus.baud }, b, busWrite);
    if (p === undefined) say(1, "meter of EVSE " + int(i + 1) + ": settings out of range");
    b.meters[i] = p;
    b.idleMs[i] = 0;
  }
  b.phases = tablePhases(b);
}

// ---- the loop ----

function poll(b: Board): void {
  clock(b);
  const ms = b.pendingMs;
  b.pendingMs = 0;
  if (b.meters.length > 0) meterStep(b, ms);
  for (let i = 0; i < b.cfg.evses.length; i++) pollEvse(b, i);
}

function setupEvse(b: Board, i: number): void {
  const pins = b.cfg.evses[i];
  gpio.setup(pins.relay, 0);
  if (pins.lock >= 0) gpio.setup(pins.lock, 0);
  if (pins.relayFeedback >= 0) gpio.setup(pins.relayFeedback, undefined);
  if (pins.lockFeedback >= 0) gpio.setup(pins.lockFeedback, undefined);
  if (pins.plug >= 0) gpio.setup(pins.plug, undefined);
  if (!adc.open(pins.pilotAdc)) say(1, "adc.open failed on channel " + int(pins.pilotAdc));
  b.relayCmd[i] = false;
  b.lockCmd[i] = false;
  // A steady +12 V (no offer) before the first read: state A or B shows on it.
  setOffer(pins, 0);
  b.pilot[i] = pilotRead(b, pins);
  b.pilotNext[i] = b.pilot[i];
  b.plug[i] = plugNow(b, i, b.pilot[i]);
  b.relayFb[i] = relayNow(b, i);
  b.lockFb[i] = lockNow(b, i);
}

function makeHal(b: Board): Hal {
  const evse = (evseId: number) => b.cfg.evses[evseId - 1];
  return {
    connect: (url, subprotocol, auth, pingS) => connect(b, url, subprotocol, auth, pingS),
    send: (parts) => send(b, parts),
    disconnect: () => disconnect(b),
    uptime: () => {
      clock(b);
      return b.secs;
    },
    rtcEpoch: () => {
      const t = os.time();
      if (t >= RTC_MIN) return t;
      return b.rtcOffset !== undefined ? b.rtcOffset + b.secs : undefined;
    },
    // No RTC the port may set (the module list has none): kept in RAM until os.time() knows better.
    setRtcEpoch: (epoch) => {
      clock(b);
      b.rtcOffset = epoch - b.secs;
    },
    random: (n) => {
      const r = crypto.trng(3);
      let v: number;
      if (r.length === 3) v = (string.byte(r, 1) as number) * 65536 + (string.byte(r, 2) as number) * 256 + (string.byte(r, 3) as number);
      else {
        // nonneg: seed in [0, 65537). A board without a TRNG: the ZX81 generator (back-off jitter only).
        b.seed = (b.seed * 75 + 74) % 65537;
        v = b.seed;
      }
      // nonneg: v >= 0, n > 0.
      return n > 1 ? v % n : 0;
    },
    load: (key) => load(key),
    save: (key, value) => save(key, value),
    erase: (key) => erase(key),
    append: (key, parts) => append(key, parts),
    read: (key, offset, length) => read(key, offset, length),
    size: (key) => size(key),
    setRelay: (evseId, closed) => {
      b.relayCmd[evseId - 1] = closed;
      gpio.set(evse(evseId).relay, closed ? 1 : 0);
    },
    relayClosed: (evseId) => b.relayFb[evseId - 1] === true,
    readMeter: (evseId) => {
      const p = b.meters[evseId - 1];
      // A meter whose settings were refused reads nothing (logged at start).
      return p !== undefined ? sdmReading(p, b.phases) : { energyWh: 0, powerW: 0, currentDa: [0], voltageDv: [0], socPercent: -1 };
    },
    pilotState: (evseId) => {
      const p = b.pilot[evseId - 1];
      return p !== undefined ? p : "E";
    },
    setPilotOffer: (evseId, deciAmps) => setOffer(evse(evseId), deciAmps),
    setLock: (evseId, _connectorId, locked) => {
      b.lockCmd[evseId - 1] = locked;
      const pin = evse(evseId).lock;
      if (pin >= 0) gpio.set(pin, locked ? 1 : 0);
    },
    lockState: (evseId) => b.lockFb[evseId - 1] === true,
    plugged: (evseId) => b.plug[evseId - 1] === true,
    reboot: () => rtos.reboot(),
    log: (level, msg) => say(level, msg),
  };
}

/**
 * Starts the board: hardware from cfg, the station (fw.start), the firmware's tick every cfg.tickMs
 * and the inputs every POLL_MS. Returns at once; sys.run() in main.lua runs the timers and callbacks.
 */
function boardRun(fw: Firmware, cfg: BoardConfig): void {
  const hz = mcu.hz();
  const b: Board = {
    fw, cfg, st: undefined,
    // The build's bound on a received message (Firmware.maxFrameBytes), where the joiner cuts (link.ts rxFrame).
    ws: undefined, gen: 0, maxMsg: fw.maxFrameBytes, rx: rxNew(), tlsWarned: false,
    hz: hz > 1 ? hz : 1000, lastTicks: mcu.ticks(), subTicks: 0, msTicks: 0, secs: 0, pendingMs: 0, rtcOffset: undefined, seed: 1,
    relayCmd: [], lockCmd: [], pilot: [], pilotNext: [], plug: [], relayFb: [], lockFb: [],
    meters: [], turn: 0, idleMs: [], phases: 1,
  };
  const hal = makeHal(b);
  storageStart();
  for (let i = 0; i < cfg.evses.length; i++) setupEvse(b, i);
  if (cfg.evses.length > 0) startMeters(b);
  // Firmware.evses: a stand-in image without it (a test's stub) is not checked.
  if (fw.evses !== undefined && fw.evses !== cfg.evses.length) say(1, "the board config wires " + int(cfg.evses.length) + " EVSEs, the image has " + int(fw.evses));
  b.st = fw.start(hal);
  const tickMs = cfg.tickMs > 0 && cfg.tickMs <= 1000 ? cfg.tickMs : 1000;
  sys.timerLoopStart(() => b.fw.tick(b.st), tickMs);
  sys.timerLoopStart(() => poll(b), POLL_MS);
}

export { boardRun, pilotDuty, pilotOf, ticksDelta };
// The transport's pure parts, for the tests.
export { wsHeaders, keepaliveS, rxNew, rxFrame } from "./link";
