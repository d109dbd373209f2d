// hal/lib/modbus.ts (Modbus RTU master codec) and hal/lib/meter-sdm.ts (the meter poller) on every
// runtime (test/images/modbus-probe.ts):
// (1) CRC-16/MODBUS against published examples and a bitwise reference written here, on random buffers;
// (2) request bytes, and responses read: good, bad CRC, exceptions, wrong address / function / byte
//     count, partial and joined;
// (3) register values: IEEE-754 floats made with Buffer.writeFloatBE and judged by an exact BigInt
//     reference (round half away from zero of the float's exact value times 10^dec), typical meter
//     readings, zeros, negatives, denormals, NaN/Inf, overflow; the integer kinds and word order;
// (4) the poller against a simulated SDM630 built here: cycles, chunks split and joined, stray bytes,
//     timeouts, retries, exceptions, bad CRC and the quiet time after it, stale readings, periods;
// (5) seeded random byte streams and ticks: never an error, the buffer within the awaited response's
//     length, and every Lua runtime's transcript the same as node's.

import { beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { loadProbes, Probe } from "./probe";

let probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  probes = await loadProbes("modbus-probe", () => import("./images/modbus-probe"), {});
}, 120000);

// ---- references ----

function crc16(b: Buffer): number {
  let crc = 0xffff;
  for (const x of b) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** The bytes with their CRC appended, low byte first. */
function withCrc(b: Buffer | number[]): Buffer {
  const buf = Buffer.from(b);
  const c = crc16(buf);
  return Buffer.concat([buf, Buffer.from([c & 0xff, c >> 8])]);
}

const hex = (b: Buffer | number[]) => Buffer.from(b).toString("hex");

/** round(x * 10^dec), half away from zero, of the exact value of the float32 in these 4 bytes (big-endian); undefined if NaN/Inf or |r| >= 2^31. */
function refFloat(bytes: Buffer, dec: number): number | undefined {
  const bits = bytes.readUInt32BE(0);
  const neg = bits >>> 31 === 1;
  const e = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (e === 255) return undefined;
  if (e === 0) return 0;
  return refScale(neg, BigInt(frac | 0x800000), e - 150, dec);
}

function refScale(neg: boolean, m: bigint, s: number, dec: number): number | undefined {
  let num = m;
  let den = 1n;
  if (s >= 0) num <<= BigInt(s);
  else den <<= BigInt(-s);
  if (dec >= 0) num *= 10n ** BigInt(dec);
  else den *= 10n ** BigInt(-dec);
  const q = (2n * num + den) / (2n * den);
  if (q >= 2n ** 31n) return undefined;
  return q === 0n ? 0 : neg ? -Number(q) : Number(q);
}

function f32(x: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatBE(x);
  return b;
}

/** A deterministic pseudo-random source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- a simulated SDM630: input registers as floats ----

const SDM = new Map<number, number>([
  [0x00, 230.1], [0x02, 229.4], [0x04, 231.7], [0x06, 31.95], [0x08, 31.5], [0x0a, 0.04],
  [0x34, 22000], [0x46, 49.98], [0x48, 12345.678],
]);

/** The SDM's answer to a read request (its registers, 0 where unmapped). */
function answer(req: Buffer, regs = SDM, slave = 1): Buffer {
  expect(req.length).toBe(8);
  expect(hex(withCrc(req.subarray(0, 6)))).toBe(hex(req));
  const addr = req.readUInt16BE(2);
  const count = req.readUInt16BE(4);
  const data = Buffer.alloc(2 * count);
  for (let a = addr; a < addr + count; a += 2) {
    const v = regs.get(a);
    if (v !== undefined) data.writeFloatBE(v, 2 * (a - addr));
  }
  return withCrc(Buffer.concat([Buffer.from([slave, req[1], 2 * count]), data]));
}

const exception = (fn: number, code: number, slave = 1) => withCrc([slave, fn | 0x80, code]);

/** The request the poller must send for a block. */
const request = (fn: number, addr: number, count: number, slave = 1) => withCrc([slave, fn, addr >> 8, addr & 0xff, count >> 8, count & 0xff]);

const BLOCKS = [request(4, 0, 12), request(4, 0x34, 2), request(4, 0x46, 4)];
const NAMES = ["voltageDv1", "voltageDv2", "voltageDv3", "currentDa1", "currentDa2", "currentDa3", "powerW", "frequencyCHz", "energyWh"];
const GOOD = { voltageDv1: 2301, voltageDv2: 2294, voltageDv3: 2317, currentDa1: 320, currentDa2: 315, currentDa3: 0, powerW: 22000, frequencyCHz: 4998, energyWh: 12345678 };

// ---- what the probe answers for the poller ----

interface Step {
  head: string;
  sends: Buffer[];
  state: number;
  held: number;
  stale: boolean;
  failed: number;
  errors: number;
  cycles: number;
  lastError: number;
  vals: Record<string, number | undefined>;
}

function parse(out: string): Step {
  const s: Step = { head: "", sends: [], state: -1, held: -1, stale: false, failed: 0, errors: 0, cycles: 0, lastError: 0, vals: {} };
  const lines = out.split("\n");
  if (/^(OK|ERR|reading .*)$/.test(lines[0])) s.head = lines.shift() as string;
  for (const l of lines) {
    const [k, ...rest] = l.split(" ");
    if (k === "send") s.sends.push(Buffer.from(rest[0], "hex"));
    else if (k === "state") {
      const n = rest.map(Number);
      [s.state, s.held, s.failed, s.errors, s.cycles, s.lastError] = [n[0], n[1], n[3], n[4], n[5], n[6]];
      s.stale = rest[2] === "1";
    }
    else if (k === "vals") {
      for (const kv of rest[0].split(",")) {
        const [n, v] = kv.split("=");
        s.vals[n] = v === "-" ? undefined : Number(v);
      }
    } else if (l !== "") throw new Error(`unexpected probe line: ${l}`);
  }
  return s;
}

describe.each(RUNTIMES)("Modbus RTU on %s", (runtime) => {
  const raw = (line: string) => (probes[runtime] as Probe)(line);
  const run = (line: string) => parse(raw(line));
  const crcOf = (b: Buffer | string) => raw("C" + (typeof b === "string" ? Buffer.from(b, "latin1").toString("hex") : hex(b)));
  const value = (kind: string, dec: number, bytes: Buffer, swap = false) => {
    const r = raw(`V${kind}\t${dec}\t${swap ? 1 : 0}\t${hex(bytes)}`);
    return r === "val none" ? undefined : Number(r.slice(4));
  };
  /** A poller; the fixtures below run at a gap of 20 ms unless they give gapMs, a baud rate or defaultGap (the poller's own default). */
  const newPoller = (o: { slave?: number; timeoutMs?: number; gapMs?: number; retries?: number; periodMs?: number; staleAfter?: number; maxRegs?: number; table?: string; baud?: number; defaultGap?: boolean } = {}) => {
    const gap = o.gapMs ?? (o.baud !== undefined || o.defaultGap === true ? "" : 20);
    return run("N" + [o.slave ?? 1, o.timeoutMs ?? "", gap, o.retries ?? "", o.periodMs ?? "", o.staleAfter ?? "", o.maxRegs ?? "", o.table ?? "", o.baud ?? ""].join("\t"));
  };
  const feed = (b: Buffer) => run("D" + hex(b));
  const tick = (ms: number) => run(`T${ms}`);

  /** One whole good cycle from idle: each request answered by the simulated meter, gapMs (20) between. Returns the last step. */
  function goodCycle(first: Step, regs = SDM): Step {
    let s = first;
    for (let b = 0; b < BLOCKS.length; b++) {
      expect(s.sends.map(hex)).toEqual([hex(BLOCKS[b])]);
      s = feed(answer(BLOCKS[b], regs));
      if (b < BLOCKS.length - 1) {
        expect(s.state).toBe(2);
        expect(tick(19).sends).toEqual([]);
        s = tick(1);
      }
    }
    expect(s.state).toBe(0);
    return s;
  }

  it("CRC-16/MODBUS: published examples and the bitwise reference", () => {
    expect(crcOf("")).toBe("crc ffff");
    expect(crcOf(Buffer.from("010400000002", "hex"))).toBe("crc 71cb"); // Eastron SDM: read V1
    expect(crcOf(Buffer.from("01030000000a", "hex"))).toBe("crc c5cd");
    expect(crcOf(Buffer.from("1103006b0003", "hex"))).toBe("crc 7687"); // Modbus over Serial Line V1.02 §6.2.2
    expect(crcOf("123456789")).toBe("crc 374b"); // the catalogued check value 0x4B37
    const r = rng(9);
    for (let n = 1; n < 300; n += 7) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
      expect(crcOf(b)).toBe("crc " + hex(withCrc(b).subarray(n)));
    }
    // A frame with its CRC appended has a CRC of 0.
    expect(crcOf(withCrc(Buffer.from("0104180000", "hex")))).toBe("crc 0000");
  });

  it("requests: functions 3 and 4, the address and count big-endian, CRC low byte first; out of range refused", () => {
    expect(raw("Q1\t4\t0\t2")).toBe("req 01040000000271cb");
    for (const [slave, fn, addr, count] of [[1, 4, 0x48, 2], [247, 3, 0xfffe, 2], [17, 3, 0x6b, 3], [2, 4, 0x1234, 125], [1, 4, 65535, 1]])
      expect(raw(`Q${slave}\t${fn}\t${addr}\t${count}`)).toBe("req " + hex(request(fn, addr, count, slave)));
    for (const q of ["0\t4\t0\t2", "248\t4\t0\t2", "1\t6\t0\t2", "1\t1\t0\t2", "1\t4\t0\t0", "1\t4\t0\t126", "1\t4\t65535\t2", "1\t4\t-1\t2"])
      expect(raw("Q" + q)).toBe("req none");
  });

  it("responses: good, bad CRC, exception, wrong address / function / byte count, partial, joined", () => {
    const good = answer(request(4, 0, 2));
    expect(raw(`P1\t4\t2\t${hex(good)}`)).toBe(`ok 9 ${hex(f32(230.1))}\nmore 0`);
    // Split: every prefix is "more", the whole one good.
    for (let n = 0; n < good.length; n++) expect(raw(`P1\t4\t2\t${hex(good.subarray(0, n))}`)).toBe(`more ${n}`);
    // Joined: two responses and the start of a third.
    expect(raw(`P1\t4\t2\t${hex(Buffer.concat([good, good, good.subarray(0, 4)]))}`)).toBe(`ok 9 ${hex(f32(230.1))}\nok 9 ${hex(f32(230.1))}\nmore 4`);
    // Any single bit flipped is caught.
    for (let i = 0; i < good.length * 8; i++) {
      const bad = Buffer.from(good);
      bad[i >> 3] ^= 1 << (i & 7);
      const r = raw(`P1\t4\t2\t${hex(bad)}`);
      expect(r).toMatch(/^bad -[1-4] [059]$/);
      expect(r.startsWith("ok")).toBe(false);
    }
    const crcBad = Buffer.from(good);
    crcBad[8] ^= 0xff;
    expect(raw(`P1\t4\t2\t${hex(crcBad)}`)).toBe("bad -4 9");
    expect(raw(`P1\t4\t2\t${hex(exception(4, 2))}`)).toBe("exc 2\nmore 0");
    expect(raw(`P1\t3\t2\t${hex(exception(3, 11))}`)).toBe("exc 11\nmore 0");
    const excBad = exception(4, 2);
    excBad[4] ^= 1;
    expect(raw(`P1\t4\t2\t${hex(excBad)}`)).toBe("bad -4 5");
    expect(raw(`P2\t4\t2\t${hex(good)}`)).toBe("bad -1 0");
    expect(raw(`P1\t3\t2\t${hex(good)}`)).toBe("bad -2 0");
    expect(raw(`P1\t4\t2\t${hex(exception(3, 2))}`)).toBe("bad -2 0");
    expect(raw(`P1\t4\t3\t${hex(good)}`)).toBe("bad -3 0");
    // Refused as soon as the bytes show it.
    expect(raw("P1\t4\t2\t02")).toBe("bad -1 0");
    expect(raw("P1\t4\t2\t0103")).toBe("bad -2 0");
    expect(raw("P1\t4\t2\t010406")).toBe("bad -3 0");
    expect(raw("P1\t4\t2\t0184")).toBe("more 2");
  });

  it("floats: typical meter readings scaled exactly (the BigInt reference), zeros, negatives, denormals, NaN and Inf refused", () => {
    const cases: [number, number, number | undefined][] = [
      [230.1, 1, 2301], [31.95, 1, 320], [22000, 0, 22000], [12345.678, 3, 12345678], [49.98, 2, 4998],
      [0, 3, 0], [-0, 3, 0], [-1500.4, 0, -1500], [-0.05, 1, -1], [0.5, 0, 1], [-0.5, 0, -1], [1.5, 0, 2], [2.5, 0, 3],
      [1e-40, 3, 0], [-1e-42, 0, 0], [NaN, 0, undefined], [Infinity, 3, undefined], [-Infinity, 0, undefined],
      [2147483520, 0, 2147483520], [2147483648, 0, undefined], [-2147483520, 0, -2147483520], [2147483.75, 3, undefined], [2147483.5, 3, 2147483500], [2147483.25, 3, 2147483250],
      [16777217, 0, 16777216], [1e30, 0, undefined], [1e-30, 3, 0], [123456, -3, 123], [0.000123, 3, 0], [12.3456, -1, 1],
    ];
    for (const [x, dec, want] of cases) {
      const b = f32(x);
      expect(refFloat(b, dec), `${x} ref`).toBe(want);
      expect(value("f32", dec, b), `${x} * 10^${dec}`).toBe(want);
    }
    // A quiet NaN, a signalling NaN, and the largest denormal.
    for (const h of ["7fc00000", "7f800001", "ffc00000"]) expect(value("f32", 0, Buffer.from(h, "hex"))).toBe(undefined);
    expect(value("f32", 3, Buffer.from("007fffff", "hex"))).toBe(0);
    // Word order: low word first.
    const b = f32(230.1);
    expect(value("f32", 1, Buffer.concat([b.subarray(2), b.subarray(0, 2)]), true)).toBe(2301);
  });

  it("floats: random bit patterns and every exponent against the exact reference", () => {
    const r = rng(31);
    const lines: string[] = [];
    const want: (number | undefined)[] = [];
    for (let i = 0; i < 1500; i++) {
      const b = Buffer.alloc(4);
      // Exponents spread over the range that matters (2^-40 .. 2^40), and some anywhere.
      const e = i % 5 === 0 ? Math.floor(r() * 256) : 87 + Math.floor(r() * 81);
      const bits = ((r() < 0.5 ? 1 : 0) << 31) | (e << 23) | Math.floor(r() * 0x800000);
      b.writeInt32BE(bits | 0);
      const dec = Math.floor(r() * 8) - 4;
      lines.push(`Vf32\t${dec}\t0\t${hex(b)}`);
      want.push(refFloat(b, dec));
    }
    const got = lines.map((l) => {
      const v = raw(l);
      return v === "val none" ? undefined : Number(v.slice(4));
    });
    expect(got).toEqual(want);
    // Halfway cases: x.5 after scaling, both signs, round away from zero.
    for (let k = 0; k < 200; k++) {
      const x = (2 * k + 1) / 8;
      expect(value("f32", 2, f32(x))).toBe(refFloat(f32(x), 2));
      expect(value("f32", 2, f32(-x))).toBe(refFloat(f32(-x), 2));
    }
  });

  it("integer kinds: u16, s16, u32, s32 in both word orders, scaled, out of range refused", () => {
    const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
    expect(value("u16", 0, u16(65535))).toBe(65535);
    expect(value("s16", 0, u16(65535))).toBe(-1);
    expect(value("s16", 1, u16(0x8000))).toBe(-327680);
    expect(value("u16", -1, u16(2305))).toBe(231);
    expect(value("s16", -1, u16(65536 - 2305))).toBe(-231);
    expect(value("u16", -4, u16(65535))).toBe(7);
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n >>> 0);
      return b;
    };
    expect(value("u32", 0, u32(2147483647))).toBe(2147483647);
    expect(value("u32", 0, u32(2147483648))).toBe(undefined);
    expect(value("s32", 0, u32(-2147483647))).toBe(-2147483647);
    expect(value("s32", 0, u32(-2147483648))).toBe(undefined);
    expect(value("s32", 0, u32(-65536))).toBe(-65536);
    expect(value("s32", 0, u32(-1))).toBe(-1);
    expect(value("u32", 1, u32(1234567))).toBe(12345670);
    expect(value("u32", 3, u32(2147483))).toBe(2147483000);
    expect(value("u32", 3, u32(2147484))).toBe(undefined);
    expect(value("s32", -2, u32(-150))).toBe(-2);
    expect(value("s32", -2, u32(-149))).toBe(-1);
    const sw = u32(0x12345678);
    expect(value("u32", 0, Buffer.concat([sw.subarray(2), sw.subarray(0, 2)]), true)).toBe(0x12345678);
    const r = rng(5);
    for (let i = 0; i < 300; i++) {
      const n = Math.floor(r() * 4294967296);
      const dec = Math.floor(r() * 8) - 4;
      const s = n >= 2147483648 ? n - 4294967296 : n;
      const refU = n >= 2147483648 ? undefined : refScale(false, BigInt(n), 0, dec);
      const refS = refScale(s < 0, BigInt(Math.abs(s)), 0, dec);
      expect(value("u32", dec, u32(n))).toBe(refU);
      expect(value("s32", dec, u32(n))).toBe(s === -2147483648 ? undefined : refS);
    }
  });

  it("a poller on the SDM630 table: three requests a cycle, the values kept at its end, the MeterReading", () => {
    let s = newPoller();
    expect(s.head).toBe("OK");
    expect(s.stale).toBe(true);
    expect(s.sends).toEqual([]);
    s = goodCycle(tick(0));
    expect(s.vals).toEqual(GOOD);
    expect(s.stale).toBe(false);
    expect(s.cycles).toBe(1);
    expect(s.errors).toBe(0);
    expect(run("M3").head).toBe("reading 12345678 22000 320,315,0 2301,2294,2317");
    expect(run("M1").head).toBe("reading 12345678 22000 320 2301");
    // The next cycle 1000 ms after the first started (40 ms went by in it).
    expect(tick(959).sends).toEqual([]);
    const regs = new Map(SDM);
    regs.set(0x48, 12345.7);
    s = goodCycle(tick(1), regs);
    expect(s.vals.energyWh).toBe(12345700);
    expect(s.cycles).toBe(2);
  });

  it("chunks split byte by byte, joined with noise, stray bytes before the response", () => {
    newPoller();
    let s = tick(0);
    const resp = answer(BLOCKS[0]);
    for (let i = 0; i < resp.length - 1; i++) {
      s = feed(resp.subarray(i, i + 1));
      expect(s.state).toBe(1);
      expect(s.held).toBe(i + 1);
    }
    s = feed(resp.subarray(resp.length - 1));
    expect(s.state).toBe(2);
    expect(s.held).toBe(0);
    s = tick(20);
    expect(s.sends.map(hex)).toEqual([hex(BLOCKS[1])]);
    // Stray bytes first (another address, a byte equal to ours, a wrong function), noise after.
    s = feed(Buffer.concat([Buffer.from([0x00, 0xff, 0x01, 0x01]), answer(BLOCKS[1]), Buffer.from([0x55, 0x01])]));
    expect(s.state).toBe(2);
    s = tick(20);
    // Split in two uneven chunks.
    const r2 = answer(BLOCKS[2]);
    feed(r2.subarray(0, 3));
    s = feed(r2.subarray(3));
    expect(s.state).toBe(0);
    expect(s.vals).toEqual(GOOD);
    expect(s.errors).toBe(0);
    // Bytes while idle are dropped.
    s = feed(Buffer.alloc(500, 1));
    expect(s.held).toBe(0);
    expect(s.state).toBe(0);
  });

  it("timeouts: retried after the quiet time, the cycle failed after the retries, the reading stale but still readable", () => {
    newPoller();
    goodCycle(tick(0));
    let s = tick(960);
    expect(s.sends.map(hex)).toEqual([hex(BLOCKS[0])]);
    expect(tick(499).state).toBe(1);
    s = tick(1);
    expect(s.state).toBe(3);
    expect(s.lastError).toBe(-5);
    expect(s.errors).toBe(1);
    expect(tick(19).sends).toEqual([]);
    s = tick(1);
    expect(s.sends.map(hex)).toEqual([hex(BLOCKS[0])]);
    s = tick(500);
    expect(s.errors).toBe(2);
    s = tick(20);
    expect(s.sends.length).toBe(1);
    s = tick(500);
    // Three attempts (retries 2): the cycle failed.
    expect(s.errors).toBe(3);
    expect(s.state).toBe(0);
    expect(s.stale).toBe(true);
    expect(s.failed).toBe(1);
    expect(s.vals).toEqual(GOOD);
    expect(run("M3").head).toBe("reading 12345678 22000 320,315,0 2301,2294,2317");
    // It took 1540 ms, past the period: the next cycle gapMs later, and a good one clears stale.
    expect(tick(19).sends).toEqual([]);
    s = goodCycle(tick(1));
    expect(s.stale).toBe(false);
    expect(s.failed).toBe(0);
  });

  it("a retry that succeeds keeps the cycle; a late answer to the first attempt is as good", () => {
    newPoller({ timeoutMs: 100, gapMs: 5, retries: 1 });
    tick(0);
    tick(100);
    let s = tick(5);
    expect(s.sends.map(hex)).toEqual([hex(BLOCKS[0])]);
    s = feed(answer(BLOCKS[0]));
    expect(s.state).toBe(2);
    expect(s.errors).toBe(1);
    s = tick(5);
    feed(answer(BLOCKS[1]));
    tick(5);
    s = feed(answer(BLOCKS[2]));
    expect(s.vals).toEqual(GOOD);
    expect(s.stale).toBe(false);
  });

  it("exceptions and bad CRCs fail the attempt; bytes still arriving hold the retry back (at most timeoutMs)", () => {
    newPoller({ retries: 3 });
    tick(0);
    let s = feed(exception(4, 2));
    expect(s.state).toBe(3);
    expect(s.lastError).toBe(2);
    s = tick(20);
    expect(s.sends.length).toBe(1);
    const bad = answer(BLOCKS[0]);
    bad[10] ^= 4;
    s = feed(bad.subarray(0, 20));
    expect(s.state).toBe(1);
    s = feed(bad.subarray(20));
    expect(s.state).toBe(3);
    expect(s.lastError).toBe(-4);
    // Noise keeps the line busy: each chunk restarts the quiet time.
    for (let i = 0; i < 5; i++) {
      expect(tick(15).sends).toEqual([]);
      feed(Buffer.from([0xaa]));
    }
    s = tick(19);
    expect(s.sends).toEqual([]);
    s = tick(1);
    expect(s.sends.length).toBe(1);
    // A babbling line: the retry goes out after timeoutMs anyway.
    s = feed(exception(4, 6));
    expect(s.lastError).toBe(6);
    let sent = 0;
    for (let t = 0; t < 500 && sent === 0; t += 10) {
      feed(Buffer.from([0x55]));
      sent = tick(10).sends.length;
      if (t < 490) expect(sent).toBe(0);
    }
    expect(sent).toBe(1);
  });

  it("a value that does not decode (NaN) fails the attempt; staleAfter counts failed cycles", () => {
    newPoller({ retries: 0, staleAfter: 2, periodMs: 100 });
    goodCycle(tick(0));
    const regs = new Map(SDM);
    regs.set(0x48, NaN);
    let s = tick(60);
    for (let b = 0; b < 2; b++) {
      feed(answer(BLOCKS[b], regs));
      s = tick(20);
    }
    s = feed(answer(BLOCKS[2], regs));
    expect(s.lastError).toBe(-6);
    expect(s.state).toBe(0);
    expect(s.failed).toBe(1);
    expect(s.stale).toBe(false);
    expect(s.vals).toEqual(GOOD);
    expect(tick(59).sends).toEqual([]);
    s = tick(1);
    expect(s.sends.length).toBe(1);
    s = tick(500);
    expect(s.lastError).toBe(-5);
    expect(s.failed).toBe(2);
    expect(s.stale).toBe(true);
  });

  it("an OEM table: holding registers, integer kinds, word order, blocks merged up to maxRegs", () => {
    const table = ["energyWh,3,256,u32,1,0", "powerW,3,258,s32,0,1", "voltageDv1,3,260,u16,0,0", "currentDa1,3,261,s16,-2,0", "x,4,0,f32,0,0"].join(";");
    let s = newPoller({ slave: 7, table, maxRegs: 4 });
    expect(s.head).toBe("OK");
    s = tick(0);
    expect(s.sends.map(hex)).toEqual([hex(request(3, 256, 4, 7))]);
    const data = Buffer.from([0x00, 0x12, 0xd6, 0x87, /* 1234567 */ 0xfa, 0x24, 0xff, 0xff, /* -1500 low word first */]);
    s = feed(withCrc(Buffer.concat([Buffer.from([7, 3, 8]), data])));
    s = tick(20);
    expect(s.sends.map(hex)).toEqual([hex(request(3, 260, 2, 7))]);
    s = feed(withCrc([7, 3, 4, 0x09, 0x01, 0xfc, 0x18])); // 2305, -1000 -> -10
    s = tick(20);
    expect(s.sends.map(hex)).toEqual([hex(request(4, 0, 2, 7))]);
    s = feed(withCrc(Buffer.concat([Buffer.from([7, 4, 4]), f32(-3.5)])));
    expect(s.vals).toEqual({ energyWh: 12345670, powerW: -1500, voltageDv1: 2305, currentDa1: -10, x: -4 });
    expect(run("M1").head).toBe("reading 12345670 -1500 -10 2305");
    expect(run("M3").head).toBe("reading 12345670 -1500 -10,0,0 2305,0,0");
    // A response from another slave never matches.
    tick(1000);
    s = feed(withCrc(Buffer.concat([Buffer.from([1, 3, 8]), data])));
    expect(s.state).toBe(1);
    expect(s.held).toBe(0);
  });

  it("the quiet time between frames: 3.5 characters of 11 bits at the baud rate, rounded up; 1.75 ms above 19200 (Modbus over Serial Line V1.02 §2.5.1.1)", () => {
    // 38.5 bit times: 32.08 ms at 1200 baud; a fixed 20 ms was short below 1925 baud.
    const exact = (baud: number) => (baud > 19200 ? 1.75 : (3.5 * 11 * 1000) / baud);
    for (const baud of [300, 1200, 1749, 1750, 1925, 2400, 4800, 9600, 14400, 19200, 19201, 38400, 57600, 115200]) {
      const ms = Number(raw(`G${baud}`).slice(4));
      expect(Number.isInteger(ms), `${baud}`).toBe(true);
      expect(ms, `${baud}`).toBeGreaterThanOrEqual(exact(baud));
      expect(ms - 1, `${baud}`).toBeLessThan(exact(baud));
    }
    expect(raw("G1200")).toBe("gap 33");
    expect(raw("G9600")).toBe("gap 5");
    expect(raw("G19200")).toBe("gap 3");
    expect(raw("G38400")).toBe("gap 2");
    expect(raw("G0")).toBe("gap none");
  });

  it("the poller waits the baud rate's quiet time before its next request; without a baud rate that of 1200 baud, never less", () => {
    const secondRequestAfter = (o: { baud?: number; defaultGap?: boolean }) => {
      let s = newPoller(o);
      s = tick(0);
      expect(s.sends.map(hex)).toEqual([hex(BLOCKS[0])]);
      s = feed(answer(BLOCKS[0]));
      expect(s.state).toBe(2);
      for (let ms = 1; ms <= 100; ms++) if (tick(1).sends.length > 0) return ms;
      return -1;
    };
    expect(secondRequestAfter({ baud: 1200 })).toBe(33);
    expect(secondRequestAfter({ baud: 9600 })).toBe(5);
    expect(secondRequestAfter({ baud: 115200 })).toBe(2);
    expect(secondRequestAfter({ defaultGap: true })).toBe(33);
    expect(newPoller({ baud: 0 }).head).toBe("ERR");
  });

  it("settings out of range refused", () => {
    for (const o of [
      { slave: 0 }, { slave: 248 }, { timeoutMs: 0 }, { retries: 11 }, { periodMs: 0 }, { staleAfter: 0 }, { maxRegs: 126 }, { maxRegs: 1 },
      { table: "a,6,0,f32,0,0" }, { table: "a,4,0,f64,0,0" }, { table: "a,4,0,f32,4,0" }, { table: "a,4,0,f32,-5,0" }, { table: "a,4,65535,f32,0,0" }, { table: ",4,0,f32,0,0" },
    ])
      expect(newPoller(o).head, JSON.stringify(o)).toBe("ERR");
    expect(newPoller({ table: "a,4,65535,u16,0,0" }).head).toBe("OK");
  });

  it("seeded random byte streams and ticks: no error, the buffer within the awaited response, the same transcript as node", () => {
    const transcript: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const r = rng(seed * 101);
      const step = (line: string) => {
        const out = raw(line);
        transcript.push(out);
        return parse(out);
      };
      step(`N1\t${50 + Math.floor(r() * 200)}\t${Math.floor(r() * 30)}\t${Math.floor(r() * 3)}\t${200 + Math.floor(r() * 800)}\t${1 + Math.floor(r() * 3)}\t\t`);
      let last: Buffer | undefined;
      for (let i = 0; i < 400; i++) {
        const x = r();
        let s: Step;
        if (x < 0.3) s = step(`T${Math.floor(r() * 120)}`);
        else if (x < 0.45 && last !== undefined) {
          // A good answer, sometimes corrupted, sent in random pieces.
          const a = answer(last);
          if (r() < 0.3) a[Math.floor(r() * a.length)] ^= 1 + Math.floor(r() * 255);
          let at = 0;
          s = step("T0");
          while (at < a.length) {
            const n = 1 + Math.floor(r() * 12);
            s = step("D" + hex(a.subarray(at, at + n)));
            at += n;
          }
        } else {
          const n = Math.floor(r() * 300);
          const b = Buffer.alloc(n);
          for (let k = 0; k < n; k++) b[k] = r() < 0.2 ? [1, 4, 0x18, 0x84][Math.floor(r() * 4)] : Math.floor(r() * 256);
          s = step("D" + hex(b));
        }
        for (const w of s.sends) last = w;
        expect(s.held).toBeGreaterThanOrEqual(0);
        expect(s.held).toBeLessThanOrEqual(29);
        if (s.state !== 1) expect(s.held).toBe(0);
      }
    }
    if (runtime === "node") nodeTranscript = transcript;
    else expect(transcript).toEqual(nodeTranscript);
  });
});

let nodeTranscript: string[] = [];
