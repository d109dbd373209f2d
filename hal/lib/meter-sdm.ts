// An energy meter polled over Modbus RTU (hal/lib/modbus.ts): a register table read in cycles, one
// request at a time, giving the integers of the HAL's MeterReading (Wh, W, 0.1 A, 0.1 V). The default
// table is the Eastron SDM630's (input registers, 32-bit IEEE-754 floats, high word first); an OEM
// whose meter differs passes its own table from the OEM config (SdmRegister below).
//
// Sans-IO: it owns no UART. The port writes the request bytes the `write` hook gives it (RS-485
// direction switching is the port's), hands over what the UART received with sdmFeed (any chunking:
// a frame split over callbacks or joined with noise), and calls sdmTick with the MILLISECONDS elapsed
// since its previous call (a delta, not a clock: a tmr.now() or uptime that wraps never reaches here;
// a port measures the delta across the wrap; at most a day counts). Requests go out from sdmTick only.
//
// A cycle reads the table's blocks (consecutive registers of one function merged into one request, at
// most maxRegs registers each) in order. Each request: the response must be all there within timeoutMs;
// bytes before it that cannot start it (another address or function) are skipped one by one; a
// response with a wrong CRC, an exception response, a value that does not decode (NaN, infinity, past
// 2^31 after scaling) or the timeout fails the attempt. After a failed attempt the line must be quiet
// for gapMs (bytes still arriving restart it, at most timeoutMs in all) before the request is sent again,
// up to `retries` more times; then the cycle fails. After a good response the next request waits gapMs
// too. Modbus RTU wants at least 3.5 characters of silence between frames (Modbus over Serial Line
// V1.02 §2.5.1.1: a character is 11 bits, 1 start, 8 data, parity or a second stop, 1 stop; above
// 19200 baud a fixed 1.75 ms): the default gapMs is that time at the bus's baud rate (sdmGapMs, rounded
// up to whole milliseconds: 33 ms at 1200, 5 ms at 9600, 2 ms above 19200), and without a baud rate the
// time at 1200 baud, the slowest rate a board's wiring takes (build/wiring.ts), so it is never short.
// Values of a cycle are kept only when the whole cycle succeeded, all at once; after staleAfter failed
// cycles in a row the reading is stale (the last good values stay readable) until a cycle succeeds.
// Cycles start periodMs apart (or gapMs after the end of one that took longer).
//
// Bounds: the receive buffer holds at most the length of the response awaited (5 + 2 * registers,
// 255 at most); bytes arriving while no response is awaited are dropped.

import type { MeterReading } from "../hal";
import { idiv } from "../../firmware/arith";
import { MB_BAD_CRC, MB_EXCEPTION, MB_MAX_REGS, MB_MORE, MB_OK, mbParse, mbRegs, mbRequest, mbResponseSize, mbValue } from "./modbus";

/** One value read from the meter. */
export interface SdmRegister {
  /**
   * The value's name. sdmReading reads "energyWh", "powerW", "currentDa1".."currentDa3" and
   * "voltageDv1".."voltageDv3"; any other name is read and kept too (sdmValue).
   */
  name: string;
  /** 4 (input registers) or 3 (holding registers). */
  fn: number;
  /** The first register's address on the wire (0-based: Eastron's 30001 is 0). */
  addr: number;
  /** "f32" (IEEE-754 single, 2 registers), "u32" / "s32" (2 registers), "u16" / "s16" (1 register). */
  kind: string;
  /** The integer kept is round(value * 10^dec), -4..3: kWh -> Wh 3, V -> 0.1 V 1, A -> 0.1 A 1, W -> W 0. */
  dec: number;
  /** 32-bit kinds: the low word comes first (default false: high word first, as Eastron). */
  swap?: boolean;
}

/**
 * Eastron SDM630 (Modbus protocol V1.x): input registers, floats, high word first. Voltage L1..L3 to
 * neutral (30001.., V), current L1..L3 (30007.., A), total system power (30053, W), frequency
 * (30071, Hz, kept in 0.01 Hz), total import active energy (30073, kWh).
 */
export const SDM630_REGISTERS: SdmRegister[] = [
  { name: "voltageDv1", fn: 4, addr: 0x0000, kind: "f32", dec: 1 },
  { name: "voltageDv2", fn: 4, addr: 0x0002, kind: "f32", dec: 1 },
  { name: "voltageDv3", fn: 4, addr: 0x0004, kind: "f32", dec: 1 },
  { name: "currentDa1", fn: 4, addr: 0x0006, kind: "f32", dec: 1 },
  { name: "currentDa2", fn: 4, addr: 0x0008, kind: "f32", dec: 1 },
  { name: "currentDa3", fn: 4, addr: 0x000a, kind: "f32", dec: 1 },
  { name: "powerW", fn: 4, addr: 0x0034, kind: "f32", dec: 0 },
  { name: "frequencyCHz", fn: 4, addr: 0x0046, kind: "f32", dec: 2 },
  { name: "energyWh", fn: 4, addr: 0x0048, kind: "f32", dec: 3 },
];

// lastError: the codec's refusal (MB_BAD_CRC), an exception code (positive), or one of these.
/** No whole response within timeoutMs. */
export const SDM_TIMEOUT = -5;
/** A value that does not decode. */
export const SDM_BAD_VALUE = -6;

/** Settings; all but the slave address have defaults. */
export interface SdmOptions {
  /** The meter's address, 1..247. */
  slave: number;
  /** Default SDM630_REGISTERS. */
  registers?: SdmRegister[];
  /** Milliseconds a response may take, from the request (default 500). */
  timeoutMs?: number;
  /** The bus's baud rate, which sets the default gapMs (sdmGapMs); default 1200, the slowest a wiring takes. */
  baud?: number;
  /** Milliseconds of silence before a request after a response or a failure (default sdmGapMs(baud)). */
  gapMs?: number;
  /** Attempts after the first for each request (default 2). */
  retries?: number;
  /** Milliseconds from the start of a cycle to the start of the next (default 1000). */
  periodMs?: number;
  /** Failed cycles in a row that make the reading stale (default 1). */
  staleAfter?: number;
  /** Most registers one request reads (default 40, at most 125). */
  maxRegs?: number;
}

/** What the poller needs from its owner. ctx is the owner's. Must not raise. */
export type SdmWrite<C> = (this: void, ctx: C, bytes: string) => void;

export interface SdmPoller<C> {
  ctx: C;
  write: SdmWrite<C>;
  slave: number;
  registers: SdmRegister[];
  timeoutMs: number;
  gapMs: number;
  retries: number;
  periodMs: number;
  staleAfter: number;
  /** Per block: its request bytes, function, register count, response size, first and last register (0-based, inclusive). */
  reqs: string[];
  fns: number[];
  counts: number[];
  sizes: number[];
  firsts: number[];
  lasts: number[];
  // ---- state ----
  /** 0 idle until the next cycle, 1 awaiting a response, 2 quiet before the next request, 3 quiet after a failed attempt. */
  state: number;
  /** Milliseconds left in the state; in state 3 also the milliseconds spent in it. */
  wait: number;
  held: number;
  /** The block being read (0-based) and its attempts so far. */
  block: number;
  tries: number;
  /** Milliseconds since the cycle started (capped at periodMs). */
  cycleMs: number;
  /** The bytes of the response so far. */
  buf: string;
  /** The cycle's values so far, and those of the last good cycle. */
  next: { [name: string]: number };
  values: { [name: string]: number };
  /** No good cycle yet, or staleAfter failed ones since the last. */
  stale: boolean;
  failedCycles: number;
  /** Failed attempts in all, good cycles in all, and why the last attempt failed (0: none yet). */
  errors: number;
  cycles: number;
  lastError: number;
}

function opt(v: number | undefined, d: number): number {
  return v !== undefined ? v : d;
}

/** The baud rate the default gap assumes when the poller is not told the bus's: the slowest a wiring takes. */
const SLOWEST_BAUD = 1200;

/**
 * Modbus RTU's inter-frame silence at a baud rate, in whole milliseconds rounded up: 3.5 characters of
 * 11 bits (38.5 bit times, 38500 / baud ms), and above 19200 baud the fixed 1.75 ms (2 ms). Integers
 * only: 38500 + baud stays far below 2^24. undefined for a rate below 1.
 */
function sdmGapMs(baud: number): number | undefined {
  if (baud < 1) return undefined;
  if (baud > 19200) return 2;
  return idiv(38500 + baud - 1, baud);
}

/** A register's entry checked: known function and kind, dec in range, within the address space. */
function validRegister(r: SdmRegister): boolean {
  const n = mbRegs(r.kind);
  return r.name !== "" && (r.fn === 3 || r.fn === 4) && n > 0 && r.dec >= -4 && r.dec <= 3 && r.addr >= 0 && r.addr + n <= 65536;
}

/** A poller, idle: its first request goes out at the first sdmTick. undefined for settings out of range. */
function sdmPoller<C>(options: SdmOptions, ctx: C, write: SdmWrite<C>): SdmPoller<C> | undefined {
  const regs = options.registers !== undefined ? options.registers : SDM630_REGISTERS;
  const maxRegs = opt(options.maxRegs, 40);
  const gap = sdmGapMs(opt(options.baud, SLOWEST_BAUD));
  if (gap === undefined) return undefined;
  const p: SdmPoller<C> = {
    ctx, write, slave: options.slave, registers: regs,
    timeoutMs: opt(options.timeoutMs, 500), gapMs: opt(options.gapMs, gap), retries: opt(options.retries, 2),
    periodMs: opt(options.periodMs, 1000), staleAfter: opt(options.staleAfter, 1),
    reqs: [], fns: [], counts: [], sizes: [], firsts: [], lasts: [],
    state: 0, wait: 0, held: 0, block: 0, tries: 0, cycleMs: 0, buf: "", next: {}, values: {},
    stale: true, failedCycles: 0, errors: 0, cycles: 0, lastError: 0,
  };
  if (p.slave < 1 || p.slave > 247 || regs.length === 0 || maxRegs < 2 || maxRegs > MB_MAX_REGS) return undefined;
  if (p.timeoutMs < 1 || p.timeoutMs > 60000 || p.gapMs < 0 || p.gapMs > 60000 || p.retries < 0 || p.retries > 10) return undefined;
  if (p.periodMs < 1 || p.periodMs > 86400000 || p.staleAfter < 1 || p.staleAfter > 1000) return undefined;
  let start = -1;
  let end = 0;
  for (let i = 0; i < regs.length; i++) {
    const r = regs[i];
    if (!validRegister(r)) return undefined;
    const n = mbRegs(r.kind);
    const k = p.reqs.length - 1;
    if (k >= 0 && r.fn === p.fns[k] && r.addr === end && end + n - start <= maxRegs) {
      end = end + n;
      p.lasts[k] = i;
    } else {
      if (k >= 0) p.reqs[k] = mbRequest(p.slave, p.fns[k], start, end - start) as string;
      start = r.addr;
      end = r.addr + n;
      p.reqs[k + 1] = "";
      p.fns[k + 1] = r.fn;
      p.firsts[k + 1] = i;
      p.lasts[k + 1] = i;
    }
    p.counts[p.reqs.length - 1] = end - start;
  }
  const k = p.reqs.length - 1;
  p.reqs[k] = mbRequest(p.slave, p.fns[k], start, end - start) as string;
  for (let i = 0; i <= k; i++) p.sizes[i] = mbResponseSize(p.counts[i]);
  return p;
}

/** The current block's request out; its response awaited. */
function send<C>(p: SdmPoller<C>): void {
  p.state = 1;
  p.wait = p.timeoutMs;
  p.buf = "";
  p.write(p.ctx, p.reqs[p.block]);
}

/** The cycle over: its values kept when ok; idle until the next. */
function endCycle<C>(p: SdmPoller<C>, ok: boolean): void {
  p.buf = "";
  if (ok) {
    p.values = p.next;
    p.stale = false;
    p.failedCycles = 0;
    p.cycles = p.cycles + 1;
  } else {
    p.failedCycles = p.failedCycles + 1;
    if (p.failedCycles >= p.staleAfter) p.stale = true;
    // Capped: it only compares with staleAfter.
    if (p.failedCycles > p.staleAfter) p.failedCycles = p.staleAfter;
  }
  p.next = {};
  p.state = 0;
  p.wait = p.periodMs - p.cycleMs > p.gapMs ? p.periodMs - p.cycleMs : p.gapMs;
}

/** The attempt failed (why: lastError); a quiet wait before the retry, or the cycle failed. */
function fail<C>(p: SdmPoller<C>, why: number): void {
  p.buf = "";
  p.errors = p.errors + 1;
  if (p.errors > 1000000000) p.errors = 0;
  p.lastError = why;
  p.tries = p.tries + 1;
  if (p.tries > p.retries) endCycle(p, false);
  else {
    p.state = 3;
    p.wait = p.gapMs;
    p.held = 0;
  }
}

/** The good response in p.buf: its values into the cycle's, then the next block or the cycle's end. */
function accept<C>(p: SdmPoller<C>): void {
  const b = p.block;
  const base = p.registers[p.firsts[b]].addr;
  for (let i = p.firsts[b]; i <= p.lasts[b]; i++) {
    const r = p.registers[i];
    const v = mbValue(p.buf, 4 + 2 * (r.addr - base), r.kind, r.dec, r.swap === true);
    if (v === undefined) {
      fail(p, SDM_BAD_VALUE);
      return;
    }
    rawset(p.next, r.name, v);
  }
  p.buf = "";
  p.block = b + 1;
  p.tries = 0;
  if (p.block >= p.reqs.length) endCycle(p, true);
  else {
    p.state = 2;
    p.wait = p.gapMs;
  }
}

/** Bytes the UART received. */
function sdmFeed<C>(p: SdmPoller<C>, bytes: string): void {
  if (p.state === 3) {
    if (bytes !== "") p.wait = p.gapMs;
    return;
  }
  let i = 1;
  const n = bytes.length;
  while (i <= n && p.state === 1) {
    const b = p.block;
    const take = p.sizes[b] - p.buf.length;
    p.buf = p.buf + string.sub(bytes, i, i + take - 1);
    i = i + take;
    let at = 1;
    let res = MB_MORE;
    let code = 0;
    for (;;) {
      const [r, , c] = mbParse(p.buf, at, p.slave, p.fns[b], p.counts[b]);
      res = r;
      code = c;
      // Refused by its first bytes: a stray byte before the response; look from the next one.
      if (r >= 0 || r === MB_BAD_CRC) break;
      at = at + 1;
    }
    if (at > 1) p.buf = string.sub(p.buf, at);
    if (res === MB_OK) accept(p);
    else if (res === MB_EXCEPTION) fail(p, code);
    else if (res === MB_BAD_CRC) fail(p, MB_BAD_CRC);
  }
}

/** ms milliseconds passed since the previous call (0 .. 86400000; more counts as that). */
function sdmTick<C>(p: SdmPoller<C>, ms: number): void {
  const dt = ms < 0 ? 0 : ms > 86400000 ? 86400000 : ms;
  p.wait = p.wait - dt;
  if (p.state !== 0) p.cycleMs = p.cycleMs + dt > p.periodMs ? p.periodMs : p.cycleMs + dt;
  if (p.state === 3) p.held = p.held + dt > p.timeoutMs ? p.timeoutMs : p.held + dt;
  if (p.wait > 0 && !(p.state === 3 && p.held >= p.timeoutMs)) return;
  if (p.state === 0) {
    p.block = 0;
    p.tries = 0;
    p.cycleMs = 0;
    p.next = {};
    send(p);
  } else if (p.state === 1) fail(p, SDM_TIMEOUT);
  else send(p);
}

/** The last good cycle's value of that name (undefined before one, or for a name not in the table). */
function sdmValue<C>(p: SdmPoller<C>, name: string): number | undefined {
  return rawget(p.values, name);
}

/** The last good values as a MeterReading with phases (1..3) entries per phase; 0 for what was not read. */
function sdmReading<C>(p: SdmPoller<C>, phases: number): MeterReading {
  const cur: number[] = [];
  const volt: number[] = [];
  for (let i = 1; i <= phases && i <= 3; i++) {
    const c = rawget(p.values, "currentDa" + string.format("%d", i));
    const v = rawget(p.values, "voltageDv" + string.format("%d", i));
    cur[cur.length] = c !== undefined ? c : 0;
    volt[volt.length] = v !== undefined ? v : 0;
  }
  const e = rawget(p.values, "energyWh");
  const w = rawget(p.values, "powerW");
  return { energyWh: e !== undefined ? e : 0, powerW: w !== undefined ? w : 0, currentDa: cur, voltageDv: volt, socPercent: -1 };
}

/** Bytes held in the receive buffer. */
function sdmHeld<C>(p: SdmPoller<C>): number {
  return p.buf.length;
}

export { sdmPoller, sdmFeed, sdmTick, sdmValue, sdmReading, sdmHeld, sdmGapMs };
