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
 * What a board's firmware fixes (hal/FIRMWARES.md): the ESP8266 has one ADC channel (0), so it reads
 * one control pilot, and only its UART 0 receives (UART 1 transmits only).
 */
const BOARD_LIMITS: { [board: string]: { evses: number; adc: number; uart: number } } = {
  "nodemcu-esp8266": { evses: 1, adc: 0, uart: 0 },
};

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
function boardWiring(fail: Fail, v: unknown, at: string, evses: { connectors: unknown[] }[], board: string): BoardConfig {
  // LuatOS's pwm.open takes a PWM channel, not a GPIO (https://wiki.luatos.com/api/pwm.html); pilotAdc is an ADC channel everywhere.
  const channels = board === "luatos" ? ["pilotAdc", "pilotPwm"] : ["pilotAdc"];
  const w = object(fail, v, at, ["evses", "meter", "pilotLevels", "tickMs"]);
  if (!Array.isArray(w.evses)) fail(`${at}.evses`, "must be an array: one pin set per EVSE");
  if ((w.evses as unknown[]).length !== evses.length) fail(`${at}.evses`, `must have one pin set per EVSE: ${evses.length}, not ${(w.evses as unknown[]).length}`);
  const limits = BOARD_LIMITS[board];
  if (limits !== undefined && evses.length > limits.evses) fail(`${at}.evses`, `${board} reads ${limits.evses} control pilot (its one ADC channel): a config for it has ${limits.evses} EVSE, not ${evses.length}`);
  const used = new Map<number, string>();
  const gpio = (pin: number, field: string) => {
    if (pin < 0) return;
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
      int(fail, pins[k], `${f}.${k}`, min, MAX_PIN);
      if (!channels.includes(k)) gpio(pins[k] as number, `${f}.${k}`);
    }
    if (limits !== undefined && pins.pilotAdc !== limits.adc) fail(`${f}.pilotAdc`, `must be ${limits.adc}: the ADC channel of ${board}`);
    if (pins.lock === -1 && pins.lockFeedback !== -1) fail(`${f}.lockFeedback`, "must be -1 without a lock (lock -1)");
    // One RS-485 bus: each EVSE's meter at an address of its own.
    const addr = int(fail, pins.meterAddress, `${f}.meterAddress`, 1, 247);
    if (addresses.has(addr)) fail(`${f}.meterAddress`, `address ${addr} is already ${addresses.get(addr) as string}`);
    addresses.set(addr, `${f}.meterAddress`);
  });
  const m = object(fail, w.meter, `${at}.meter`, METER_FIELDS);
  int(fail, m.uart, `${at}.meter.uart`, 0, 15);
  if (limits !== undefined && m.uart !== limits.uart) fail(`${at}.meter.uart`, `must be ${limits.uart}: the only UART of ${board} that receives`);
  if (!BAUDS.includes(m.baud as number)) fail(`${at}.meter.baud`, `must be one of ${BAUDS.join(", ")}`);
  for (const k of ["dePin", "txPin", "rxPin"]) gpio(int(fail, m[k], `${at}.meter.${k}`, -1, MAX_PIN), `${at}.meter.${k}`);
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
    out[name] = boardWiring(fail, w, `board.${name}`, evses, name);
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
