// The OEM config's "board" section: per flashable board, the wiring a port gets at start
// (hal/board-config.ts BoardConfig), checked with errors that name the field, and written as the Lua
// table the start file hands to the port's boardRun.

import * as fs from "node:fs";
import * as path from "node:path";
import type { BoardConfig } from "../hal/board-config";
import { readBoardManifest } from "./compile";

type Fail = (field: string, why: string) => never;

/** The fields of one EVSE's pin set (hal/board-config.ts EvsePins), each with its lowest value (-1: not wired). */
const EVSE_PINS: [string, number][] = [
  ["relay", 0],
  ["relayFeedback", -1],
  ["pilotPwm", 0],
  ["pilotAdc", 0],
  ["lock", -1],
  ["lockFeedback", -1],
  ["plug", -1],
];
const METER_FIELDS = ["uart", "baud", "dePin", "txPin", "rxPin", "registers", "periodMs"];
const REGISTER_FIELDS = ["name", "fn", "addr", "kind", "dec", "swap"];
/** hal/lib/meter-sdm.ts SdmRegister kinds. */
const REGISTER_KINDS = ["f32", "u32", "s32", "u16", "s16"];
/** The usual RS-485 meter rates (Eastron SDM630: 2400..38400). */
const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
/** GPIO and ADC numbers stay below this on the three firmwares (ESP32: GPIO 0..39). */
const MAX_PIN = 255;

/**
 * What a board's firmware fixes of its pins (hal/FIRMWARES.md), checked per pin with errors naming the
 * field. Pin numbers are the firmware's own: NodeMCU ESP8266's D-pin index, GPIO numbers on the ESP32
 * and LuatOS (whose pilotPwm is a PWM channel).
 */
interface PinRules {
  /** Why a pin used as a GPIO (in or out) is refused, or undefined. */
  gpio(pin: number): string | undefined;
  /** Why a pin driven as an output (relay, lock, pilot PWM, RS-485 driver enable, UART TX) is refused. */
  output(pin: number): string | undefined;
  /** Why a pilot PWM pin is refused. */
  pwm(pin: number): string | undefined;
  /** Why a pilot ADC channel is refused; and the GPIO it sits on, which no other pin may take. */
  adc(channel: number): string | undefined;
  adcPin(channel: number): number | undefined;
  /** Why a meter UART is refused. */
  uart(id: number): string | undefined;
  /** The meter's RX and TX pins as the port sets them up (default pins resolved), or why refused. */
  uartPins(rx: number, tx: number): { rx: number; tx: number } | string;
}

const GENERIC: PinRules = {
  gpio: () => undefined,
  output: () => undefined,
  pwm: () => undefined,
  adc: () => undefined,
  adcPin: () => undefined,
  uart: () => undefined,
  uartPins: (rx, tx) => ({ rx, tx }),
};

/**
 * NodeMCU ESP8266 (https://nodemcu.readthedocs.io/en/dev/modules/gpio/): pins are IO indexes 0..12
 * (D0..D12; D0 is GPIO16, which has no PWM, interrupt or open drain: fine for the port's polled inputs
 * and plain outputs, not for the pilot's PWM). One ADC channel, 0 (adc.read(0), TOUT). Only UART 0
 * receives (UART 1 is TX only); it sits on the USB console's pins D9/D10 (GPIO3/1) unless uart.alt(1)
 * moves it to D7 (RX, GPIO13) / D8 (TX, GPIO15), which the port does for rxPin 7 and txPin 8
 * (https://nodemcu.readthedocs.io/en/dev/modules/uart/#uartalt).
 */
const ESP8266: PinRules = {
  gpio: (pin) => (pin > 12 ? "must be a NodeMCU pin index 0..12 (D0..D12)" : undefined),
  output: () => undefined,
  pwm: (pin) => (pin === 0 ? "D0 (GPIO16) has no PWM on the ESP8266: use D1..D12" : undefined),
  adc: (ch) => (ch !== 0 ? "must be 0: the ESP8266's only ADC channel" : undefined),
  adcPin: () => undefined,
  uart: (id) => (id !== 0 ? "must be 0: the only UART of nodemcu-esp8266 that receives (UART 1 transmits only)" : undefined),
  uartPins: (rx, tx) => {
    if (rx === -1 && tx === -1) return { rx: 9, tx: 10 };
    if (rx === 7 && tx === 8) return { rx: 7, tx: 8 };
    return "must be rxPin 7 and txPin 8 (D7/D8, GPIO13/15: uart.alt(1), off the USB console's pins), or both -1 (D9/D10, GPIO3/1: the USB console's pins)";
  },
};

/** ESP32 ADC1 channels 0..7 and their GPIOs (ESP-IDF GPIO summary: ADC1_CH0 = GPIO36 … ADC1_CH7 = GPIO35). */
const ESP32_ADC1 = [36, 37, 38, 39, 32, 33, 34, 35];

/**
 * NodeMCU ESP32 (ESP-IDF "GPIO & RTC GPIO": GPIO 0-19, 21-23, 25-27, 32-39; 6-11 wired to the SPI
 * flash; 34-39 input only, without pull-ups): outputs never on 34..39. The pilot ADC is an ADC1 channel
 * 0..7 (the port reads adc.read(adc.ADC1, ch)): ADC2 is unusable while WiFi runs. UARTs 0..2.
 */
const ESP32: PinRules = {
  gpio: (pin) =>
    pin >= 6 && pin <= 11
      ? `GPIO ${pin} is wired to the module's SPI flash (GPIO 6-11)`
      : pin === 20 || pin === 24 || (pin >= 28 && pin <= 31) || pin > 39
        ? `GPIO ${pin} does not exist on the ESP32 (GPIO 0-19, 21-23, 25-27, 32-39)`
        : undefined,
  output: (pin) => (pin >= 34 && pin <= 39 ? `GPIO ${pin} is input only (GPIO 34-39): it cannot drive an output` : undefined),
  pwm: () => undefined,
  adc: (ch) => (ch > 7 ? "must be an ADC1 channel 0..7 (GPIO 36, 37, 38, 39, 32, 33, 34, 35): ADC2 cannot be read while WiFi runs" : undefined),
  adcPin: (ch) => ESP32_ADC1[ch],
  uart: (id) => (id > 2 ? "must be 0, 1 or 2: the ESP32's UARTs (0 is the console)" : undefined),
  uartPins: (rx, tx) => ({ rx, tx }),
};

const PIN_RULES: { [board: string]: PinRules } = { "nodemcu-esp8266": ESP8266, "nodemcu-esp32": ESP32 };

/** Outputs of an EVSE's pin set (the others are inputs or channels). */
const OUTPUTS = ["relay", "pilotPwm", "lock"];

/** What hal/<board>/board.json says a board takes beyond its pins: the largest frame, the most EVSEs, each with why. */
export interface BoardLimits {
  maxFrameBytes?: number;
  maxFrameWhy?: string;
  maxEvses?: number;
  maxEvsesWhy?: string;
  /** The heap the firmware leaves to Lua, KB, where it is what limits the board (the ESP8266's). */
  heapKb?: number;
  heapWhy?: string;
}

export function boardLimits(root: string, board: string): BoardLimits {
  const m = readBoardManifest(root, board) as BoardLimits;
  return { maxFrameBytes: m.maxFrameBytes, maxFrameWhy: m.maxFrameWhy, maxEvses: m.maxEvses, maxEvsesWhy: m.maxEvsesWhy, heapKb: m.heapKb, heapWhy: m.heapWhy };
}

/** The shipped configs (build/configs/) with a wiring for the board: what an error can point to. */
function shippedConfigsFor(root: string, board: string): string[] {
  const dir = path.join(root, "build", "configs");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .filter((f) => {
      try {
        const c = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { board?: object };
        return c.board !== undefined && board in c.board;
      } catch {
        return false;
      }
    })
    .map((f) => `build/configs/${f}`);
}

/**
 * Whether a config can go on a board at all, before its wiring: the frame bound within what the
 * board's firmware takes, no more EVSEs than it drives, one connector per EVSE. Throws through fail
 * naming the config's field and the board.
 */
export function checkBoardFit(fail: Fail, cfg: { bounds: { maxFrameBytes: number }; evses: { connectors: unknown[] }[] }, board: string, root: string): void {
  const lim = boardLimits(root, board);
  const n = cfg.bounds.maxFrameBytes;
  if (lim.maxFrameBytes !== undefined && n > lim.maxFrameBytes)
    fail("bounds.maxFrameBytes", `${n} is more than board ${board} takes: at most ${lim.maxFrameBytes} (${lim.maxFrameWhy ?? "hal/" + board + "/board.json"})`);
  const shipped = shippedConfigsFor(root, board);
  const use = shipped.length > 0 ? `; use ${shipped.join(" or ")}, or a config` : "; use a config";
  if (lim.maxEvses !== undefined && cfg.evses.length > lim.maxEvses) {
    const most = lim.maxEvses === 1 ? "one EVSE" : `at most ${lim.maxEvses} EVSEs`;
    fail("evses", `${cfg.evses.length} EVSEs, but board ${board} drives ${most} (${lim.maxEvsesWhy ?? "hal/" + board + "/board.json"})${use} with ${most} and a board.${board} section`);
  }
  cfg.evses.forEach((e, i) => {
    if (e.connectors.length !== 1) fail(`evses[${i}].connectors`, `EVSE ${i + 1} has ${e.connectors.length} connectors, but a board's wiring (board ${board}) has one connector per EVSE${use} with one connector per EVSE and a board.${board} section`);
  });
}

/** Boards an OEM flashes: hal/<board>/board.json with a "start" file (the sim board has none). */
export function flashableBoards(root: string): string[] {
  const dir = path.join(root, "hal");
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, "board.json")) && readBoardManifest(root, d).start !== undefined)
    .sort();
}

function int(fail: Fail, v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) fail(field, "must be an integer");
  if ((v as number) < min || (v as number) > max) fail(field, `must be between ${min} and ${max}`);
  return v as number;
}

function object(fail: Fail, v: unknown, field: string, known: string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(field, "must be an object");
  for (const k of Object.keys(v as object)) if (!known.includes(k)) fail(`${field}.${k}`, "unknown field");
  return v as Record<string, unknown>;
}

function registers(fail: Fail, v: unknown, at: string): void {
  if (!Array.isArray(v) || v.length === 0) fail(at, "must be a non-empty array of registers");
  const names = new Set<string>();
  (v as unknown[]).forEach((r, i) => {
    const f = `${at}[${i}]`;
    const reg = object(fail, r, f, REGISTER_FIELDS);
    if (typeof reg.name !== "string" || !/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(reg.name)) fail(`${f}.name`, "must be a name of letters and digits (at most 32)");
    if (names.has(reg.name as string)) fail(`${f}.name`, `'${reg.name as string}' is listed twice`);
    names.add(reg.name as string);
    if (reg.fn !== 3 && reg.fn !== 4) fail(`${f}.fn`, "must be 3 (holding registers) or 4 (input registers)");
    int(fail, reg.addr, `${f}.addr`, 0, 65535);
    if (!REGISTER_KINDS.includes(reg.kind as string)) fail(`${f}.kind`, `must be one of ${REGISTER_KINDS.join(", ")}`);
    int(fail, reg.dec, `${f}.dec`, -4, 3);
    if (reg.swap !== undefined && typeof reg.swap !== "boolean") fail(`${f}.swap`, "must be true or false");
  });
  // The meter value every transaction reports (Energy.Active.Import.Register) comes from this one.
  if (!names.has("energyWh")) fail(at, "must include the register named energyWh");
}

/**
 * Checks one board's wiring against the config's EVSEs (one connector each: one set of pins per
 * EVSE); throws through fail naming the field. Pins driven or read as GPIO must differ.
 */
function boardWiring(fail: Fail, v: unknown, at: string, evses: { connectors: unknown[] }[], board: string, root: string): BoardConfig {
  // LuatOS's pwm.open takes a PWM channel, not a GPIO (https://wiki.luatos.com/api/pwm.html); pilotAdc is an ADC channel everywhere.
  const channels = board === "luatos" ? ["pilotAdc", "pilotPwm"] : ["pilotAdc"];
  const w = object(fail, v, at, ["evses", "meter", "pilotLevels", "tickMs"]);
  if (!Array.isArray(w.evses)) fail(`${at}.evses`, "must be an array: one pin set per EVSE");
  if ((w.evses as unknown[]).length !== evses.length) fail(`${at}.evses`, `must have one pin set per EVSE: ${evses.length}, not ${(w.evses as unknown[]).length}`);
  const maxEvses = boardLimits(root, board).maxEvses;
  if (maxEvses !== undefined && evses.length > maxEvses) fail(`${at}.evses`, `${board} drives at most ${maxEvses} EVSE${maxEvses === 1 ? "" : "s"}, not ${evses.length}`);
  const rules = PIN_RULES[board] ?? GENERIC;
  const used = new Map<number, string>();
  const gpio = (pin: number, field: string) => {
    if (pin < 0) return;
    const why = rules.gpio(pin);
    if (why !== undefined) fail(field, why);
    const other = used.get(pin);
    if (other !== undefined) fail(field, `pin ${pin} is already ${other}`);
    used.set(pin, field);
  };
  const addresses = new Map<number, string>();
  (w.evses as unknown[]).forEach((e, i) => {
    const f = `${at}.evses[${i}]`;
    const pins = object(fail, e, f, [...EVSE_PINS.map(([k]) => k), "meterAddress"]);
    if (evses[i].connectors.length !== 1) fail(f, `EVSE ${i + 1} has ${evses[i].connectors.length} connectors; a board's wiring has one connector per EVSE`);
    for (const [k, min] of EVSE_PINS) {
      const pin = int(fail, pins[k], `${f}.${k}`, min, MAX_PIN);
      if (channels.includes(k)) continue;
      if (pin >= 0 && OUTPUTS.includes(k)) {
        const why = rules.output(pin);
        if (why !== undefined) fail(`${f}.${k}`, why);
      }
      if (k === "pilotPwm") {
        const why = rules.pwm(pin);
        if (why !== undefined) fail(`${f}.${k}`, why);
      }
      gpio(pin, `${f}.${k}`);
    }
    const adcWhy = rules.adc(pins.pilotAdc as number);
    if (adcWhy !== undefined) fail(`${f}.pilotAdc`, adcWhy);
    // An ADC channel sits on a GPIO of its own (ESP32): no other pin may take it.
    const adcPin = rules.adcPin(pins.pilotAdc as number);
    if (adcPin !== undefined) {
      const other = used.get(adcPin);
      if (other !== undefined) fail(`${f}.pilotAdc`, `channel ${pins.pilotAdc as number} is on GPIO ${adcPin}, which is already ${other}`);
      used.set(adcPin, `${f}.pilotAdc (its ADC channel's pin)`);
    }
    if (pins.lock === -1 && pins.lockFeedback !== -1) fail(`${f}.lockFeedback`, "must be -1 without a lock (lock -1)");
    // One RS-485 bus: each EVSE's meter at an address of its own.
    const addr = int(fail, pins.meterAddress, `${f}.meterAddress`, 1, 247);
    if (addresses.has(addr)) fail(`${f}.meterAddress`, `address ${addr} is already ${addresses.get(addr) as string}`);
    addresses.set(addr, `${f}.meterAddress`);
  });
  const m = object(fail, w.meter, `${at}.meter`, METER_FIELDS);
  int(fail, m.uart, `${at}.meter.uart`, 0, 15);
  const uartWhy = rules.uart(m.uart as number);
  if (uartWhy !== undefined) fail(`${at}.meter.uart`, uartWhy);
  if (!BAUDS.includes(m.baud as number)) fail(`${at}.meter.baud`, `must be one of ${BAUDS.join(", ")}`);
  const de = int(fail, m.dePin, `${at}.meter.dePin`, -1, MAX_PIN);
  const rx = int(fail, m.rxPin, `${at}.meter.rxPin`, -1, MAX_PIN);
  const tx = int(fail, m.txPin, `${at}.meter.txPin`, -1, MAX_PIN);
  for (const [pin, k] of [[de, "dePin"], [tx, "txPin"]] as [number, string][]) {
    const why = pin >= 0 ? rules.output(pin) : undefined;
    if (why !== undefined) fail(`${at}.meter.${k}`, why);
  }
  gpio(de, `${at}.meter.dePin`);
  // The UART's pins as the port sets them up (ESP8266: -1 means the console's pins, which are then taken).
  const uartPins = rules.uartPins(rx, tx);
  if (typeof uartPins === "string") fail(`${at}.meter.rxPin`, uartPins);
  const up = uartPins as { rx: number; tx: number };
  gpio(up.tx, `${at}.meter.txPin`);
  gpio(up.rx, `${at}.meter.rxPin`);
  if (m.registers !== undefined) registers(fail, m.registers, `${at}.meter.registers`);
  if (m.periodMs !== undefined) int(fail, m.periodMs, `${at}.meter.periodMs`, 100, 60000);
  // hal/board-config.ts: the thresholds of states A, B, C, D, highest first.
  const levels = w.pilotLevels;
  if (!Array.isArray(levels) || levels.length !== 4) fail(`${at}.pilotLevels`, "must be 4 ADC readings: the lowest of states A, B, C and D, highest first");
  (levels as unknown[]).forEach((l, i) => {
    int(fail, l, `${at}.pilotLevels[${i}]`, 0, 65535);
    if (i > 0 && (l as number) >= (levels as number[])[i - 1]) fail(`${at}.pilotLevels[${i}]`, "must be below the one before (highest first)");
  });
  // The firmware's tick at least once a second (docs/porting.md).
  int(fail, w.tickMs, `${at}.tickMs`, 10, 1000);
  return w as unknown as BoardConfig;
}

/** The "board" section: an object keyed by flashable board. */
export function validateBoardSection(fail: Fail, v: unknown, evses: { connectors: unknown[] }[], root: string): { [board: string]: BoardConfig } {
  const boards = flashableBoards(root);
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail("board", "must be an object keyed by board");
  const out: { [board: string]: BoardConfig } = {};
  for (const [name, w] of Object.entries(v as object)) {
    if (!boards.includes(name)) fail(`board.${name}`, `unknown board (boards with a wiring: ${boards.join(", ")})`);
    out[name] = boardWiring(fail, w, `board.${name}`, evses, name, root);
  }
  return out;
}

/** A Lua identifier that is no keyword: written as `name = v`. */
function luaName(k: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"].includes(k);
}

/** A Lua string literal of a text, UTF-8 (three-digit decimal escapes, the same in Lua 5.1 and 5.3: a digit after one stays a digit). */
export function luaString(s: string): string {
  let out = '"';
  for (const ch of Buffer.from(s, "utf8")) out += ch >= 0x20 && ch < 0x7f && ch !== 0x22 && ch !== 0x5c ? String.fromCharCode(ch) : `\\${String(ch).padStart(3, "0")}`;
  return out + '"';
}

/** JSON-like data (integers, strings, booleans, arrays, objects) as a Lua table constructor. */
export function luaValue(v: unknown, indent = ""): string {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  }
  if (typeof v === "string") return luaString(v);
  if (typeof v === "boolean") return String(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== "object")) return `{ ${v.map((x) => luaValue(x)).join(", ")} }`;
    return `{\n${v.map((x) => inner + luaValue(x, inner)).join(",\n")},\n${indent}}`;
  }
  if (typeof v === "object" && v !== null) {
    const fields = Object.entries(v).filter(([, x]) => x !== undefined);
    if (fields.every(([, x]) => typeof x !== "object")) return `{ ${fields.map(([k, x]) => `${luaName(k) ? k : `[${luaString(k)}]`} = ${luaValue(x)}`).join(", ")} }`;
    return `{\n${fields.map(([k, x]) => `${inner}${luaName(k) ? k : `[${luaString(k)}]`} = ${luaValue(x, inner)}`).join(",\n")},\n${indent}}`;
  }
  throw new Error(`no Lua form for ${typeof v}`);
}
