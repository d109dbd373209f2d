// firmware/cbor.ts on every runtime (test/images/cbor-probe.ts): RFC 8949 Appendix A examples of the
// subset, cbor-x as the oracle both ways, seeded random values, and truncated or garbage input that
// must be refused with a reason (never raised, never allocating for a length the input cannot hold).

import { beforeAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { decode as xDecode, encode as xEncode } from "cbor-x";
import { ROOT, transpileEntry } from "../build/compile";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";

type Probe = (line: string) => string;
const probes: Partial<Record<RuntimeName, Probe>> = {};
const vms: Partial<Record<RuntimeName, LuaVm>> = {};

beforeAll(async () => {
  const entry = path.join(ROOT, "test/images/cbor-probe.ts");
  const src = { "lua5.1": transpileEntry(entry, "lua5.1"), "lua5.3": transpileEntry(entry, "lua5.3") };
  for (const r of RUNTIMES) {
    if (r === "node") {
      probes[r] = ((await import("./images/cbor-probe")) as { event: Probe }).event;
    } else {
      const vm = createLuaVm(r);
      vm.loadImage(src[r === "lua5.1" ? "lua5.1" : "lua5.3"], "=cbor-probe");
      vms[r] = vm;
      probes[r] = (line) => vm.event(line);
    }
  }
}, 120000);

/** JS text <-> byte strings (one char per byte). */
const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const text = (b: string) => Buffer.from(b, "latin1").toString("utf8");
const bin = (hex: string) => Buffer.from(hex, "hex").toString("latin1");
const hex = (b: string) => Buffer.from(b, "latin1").toString("hex");

function encodeOn(runtime: RuntimeName, value: unknown): string {
  const out = probes[runtime]!("E" + bytes(JSON.stringify(value)));
  if (!out.startsWith("OK\t")) throw new Error(`encode of ${JSON.stringify(value)} failed: ${out}`);
  return out.slice(3);
}

/** { value, next } or { error, at }. */
function decodeOn(runtime: RuntimeName, cbor: string): { value?: unknown; next?: number; error?: string; at?: number } {
  const out = probes[runtime]!("D" + cbor);
  const f = out.split("\t");
  if (f[0] === "OK") return { value: JSON.parse(text(f.slice(2).join("\t"))), next: Number(f[1]) };
  if (f[0] === "ERR") return { error: f.slice(2).join("\t"), at: Number(f[1]) };
  throw new Error(`malformed probe output ${out}`);
}

// RFC 8949 Appendix A, the examples in the subset (maps of one key: the order of several is the VM's).
const APPENDIX_A: [unknown, string][] = [
  [0, "00"], [1, "01"], [10, "0a"], [23, "17"], [24, "1818"], [25, "1819"], [100, "1864"], [1000, "1903e8"],
  [1000000, "1a000f4240"], [-1, "20"], [-10, "29"], [-100, "3863"], [-1000, "3903e7"],
  [false, "f4"], [true, "f5"], [null, "f6"],
  ["", "60"], ["a", "6161"], ["IETF", "6449455446"], ['"\\', "62225c"], ["\u00fc", "62c3bc"], ["\u6c34", "63e6b0b4"],
  ["\ud800\udd51", "64f0908591"],
  [[], "80"], [[1, 2, 3], "83010203"], [[1, [2, 3], [4, 5]], "8301820203820405"],
  [Array.from({ length: 25 }, (_v, i) => i + 1), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"],
  [{}, "a0"], [["a", { b: "c" }], "826161a161626163"],
  // The ends of every head size, and of the 32-bit range every VM holds exactly.
  [255, "18ff"], [256, "190100"], [65535, "19ffff"], [65536, "1a00010000"], [16777217, "1a01000001"],
  [2147483647, "1a7fffffff"], [-2147483648, "3a7fffffff"], [-24, "37"], [-25, "3818"], [-257, "390100"],
];

/** Decoded, never produced by the encoder: non-shortest heads, byte strings, 8-byte arguments. */
const DECODE_ONLY: [string, string, unknown][] = [
  ["non-shortest heads", "1800" + "190001" + "1a00000002", 0],
  ["8-byte argument within 32 bits", "1b000000007fffffff", 2147483647],
  ["8-byte negative within 32 bits", "3b000000007fffffff", -2147483648],
  ["byte string decodes as a string", "4461626364", "abcd"],
  ["16-bit map length (as cbor-x writes objects)", "b900026161016162820203", { a: 1, b: [2, 3] }],
  ["byte string as a map key", "a1416101", { a: 1 }],
];

/** Refused with a reason: what the subset leaves out, and what is no CBOR at all. */
const REFUSED: [string, string, RegExp][] = [
  ["2^31", "1a80000000", /32 bits/],
  ["-2^31 - 1", "3a80000000", /32 bits/],
  ["2^32 in 8 bytes", "1b0000000100000000", /32 bits/],
  ["2^63 - 1", "1b7fffffffffffffff", /32 bits/],
  ["half float", "f93c00", /float/],
  ["single float", "fa47c35000", /float/],
  ["double float", "fb3ff199999999999a", /float/],
  ["undefined", "f7", /simple/],
  ["simple value 16", "f0", /simple/],
  ["tag", "c074323031332d30332d32315432303a30343a30305a", /tag/],
  ["indefinite byte string", "5f42010243030405ff", /indefinite/],
  ["indefinite array", "9f018202039f0405ffff", /indefinite/],
  ["indefinite map", "bf61610161629f0203ffff", /indefinite/],
  ["lone break", "ff", /break/],
  ["reserved additional information", "1c", /reserved/],
  ["integer map key", "a10102", /key/],
  ["array map key", "a1800102", /key/],
  ["string length past the input", "6561626364", /truncated/],
  ["byte string of 2^31 - 1", "5a7fffffff", /truncated/],
  ["text string of 2^31 - 1 in 8 bytes", "7b000000007fffffff", /truncated/],
  ["string of 2^31", "5a80000000", /32 bits/],
  ["array of 2^31 - 1", "9a7fffffff", /truncated/],
  ["map of 2^31 - 1", "ba7fffffff", /truncated/],
  ["map of 2^30 with bytes for half its entries", "ba40000000" + "00".repeat(8), /truncated/],
  ["array cut short", "830102", /truncated/],
  ["map without its value", "a16161", /truncated/],
  ["empty input", "", /truncated/],
  ["17 nested arrays", "81".repeat(17) + "00", /deep/],
];

describe.each(RUNTIMES)("cbor on %s", (runtime) => {
  it.each(APPENDIX_A)("RFC 8949 Appendix A: %j is %s both ways", (value, h) => {
    expect(hex(encodeOn(runtime, value))).toBe(h);
    expect(decodeOn(runtime, bin(h))).toEqual({ value, next: h.length / 2 + 1 });
  });

  it.each(DECODE_ONLY)("decodes %s", (_name, h, value) => {
    // The first item only: next says where the input's following item starts.
    const r = decodeOn(runtime, bin(h));
    expect(r.value).toEqual(value);
    if (_name === "non-shortest heads") expect(r.next).toBe(3);
  });

  it.each(REFUSED)("refuses %s with a reason", (_name, h, why) => {
    const r = decodeOn(runtime, bin(h));
    expect(r.error).toMatch(why);
    expect(r.value).toBeUndefined();
  });

  it("16 nested arrays are within the bound; maps count as levels too", () => {
    expect(decodeOn(runtime, bin("81".repeat(16) + "00")).value).toEqual(JSON.parse("[".repeat(16) + "0" + "]".repeat(16)));
    expect(decodeOn(runtime, bin("a16161".repeat(17) + "00")).error).toMatch(/deep/);
  });

  it("refuses to encode what is not a 32-bit integer, and deep values", () => {
    // -2^31 - 256, not -2^31 - 1: that one reads as -2^31 on a single-float VM, which then encodes it rightly.
    for (const n of ["1.5", "-0.25", "2147483648", "-2147483904", "4294967296", "1e300", "[1,2.5]", '{"a":{"b":0.1}}']) {
      expect(probes[runtime]!("E" + n)).toMatch(/^ERR\tnumber is not a 32-bit integer/);
    }
    expect(probes[runtime]!("E" + "[".repeat(17) + "]".repeat(17))).toMatch(/^ERR\tnested too deep/);
  });

  it("strings are bytes: one that is not UTF-8 is written as a byte string and reads back the same", () => {
    // Decoded from a byte string, and from a text string that is not valid UTF-8: re-encoded as a byte string.
    expect(hex(probes[runtime]!("R" + bin("43ff00c3")).slice(3))).toBe("43ff00c3");
    expect(hex(probes[runtime]!("R" + bin("63ff00c3")).slice(3))).toBe("43ff00c3");
    expect(hex(probes[runtime]!("R" + bin("62c3bc")).slice(3))).toBe("62c3bc");
    for (const h of ["ed", "eda080", "c0af", "f4908080", "e282"]) expect(hex(probes[runtime]!("R" + bin("4" + (h.length / 2) + h)).slice(3))).toBe("4" + h.length / 2 + h);
  });

  it("every truncation of a valid encoding is refused as truncated", () => {
    const whole = bin(xEncode({ id: 1234567, tx: ["abc", -70000, { ok: true, n: null }], s: "Grüße" }).toString("hex"));
    for (let cut = 0; cut < whole.length; cut++) expect(decodeOn(runtime, whole.slice(0, cut)).error).toMatch(/truncated/);
    expect(decodeOn(runtime, whole).value).toEqual({ id: 1234567, tx: ["abc", -70000, { ok: true, n: null }], s: "Grüße" });
  });

  it("next points past the item: items read one after another", () => {
    const two = bin("83010203" + "6161");
    const first = decodeOn(runtime, two);
    expect(first).toEqual({ value: [1, 2, 3], next: 5 });
  });

  it("cbor-x is the oracle both ways on seeded random values", () => {
    const rnd = seeded(8949);
    for (let i = 0; i < 200; i++) {
      const v = randomValue(rnd, 0);
      // Encoded here, decoded by cbor-x.
      expect(xDecode(Buffer.from(encodeOn(runtime, v), "latin1"))).toEqual(v);
      // Encoded by cbor-x, decoded here.
      const r = decodeOn(runtime, Buffer.from(xEncode(v)).toString("latin1"));
      expect(r.error).toBeUndefined();
      expect(r.value).toEqual(v);
    }
  });

  it("random garbage and mutated encodings never raise, and every runtime reads them alike", () => {
    const rnd = seeded(31);
    const inputs: string[] = [];
    for (let i = 0; i < 300; i++) {
      let s = "";
      for (let j = rnd(24); j > 0; j--) s += String.fromCharCode(rnd(256));
      inputs.push(s);
    }
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(xEncode(randomValue(rnd, 0)));
      b[rnd(b.length)] = rnd(256);
      inputs.push(b.toString("latin1").slice(0, b.length - rnd(3)));
    }
    const outs = inputs.map((s) => normalize(probes[runtime]!("D" + s)));
    for (const o of outs) expect(o).toMatch(/^(OK|ERR)\t/);
    expect(outs).toEqual(inputs.map((s) => normalize(probes.node!("D" + s))));
  });

  it.skipIf(runtime !== "lua5.1" && runtime !== "lua5.3")("a length field of 2^31 - 1 allocates nothing (Lua heap)", () => {
    const vm = vms[runtime]!;
    const evil = ["5a7fffffff", "9a7fffffff", "ba7fffffff", "7b000000007fffffff", "9b000000007fffffff"].map(bin);
    for (const e of evil) vm.event("D" + e);
    const before = vm.heapKb(true);
    let peak = 0;
    vm.gc("stop");
    for (let i = 0; i < 50; i++) for (const e of evil) vm.event("D" + e);
    peak = vm.heapKb(false);
    vm.gc("restart");
    // 250 refusals with the collector stopped: a few KB of reply strings, nowhere near 2 GB or even 64 KB.
    expect(peak - before).toBeLessThan(64);
  });
});

function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
}

const PIECES = ["a", "é", "😀", '"', "\\", "\n", "\u0000", "x y", "€", "key"];

function randomInt(rnd: (n: number) => number): number {
  // Every head size, both signs, up to the 32-bit ends.
  const sizes = [24, 256, 65536, 16777216, 2147483647];
  const n = rnd(sizes[rnd(sizes.length)]) + rnd(2) * (rnd(4) === 0 ? 2147483647 - 16777216 : 0);
  return rnd(2) === 0 ? n : -n - 1;
}

function randomValue(rnd: (n: number) => number, depth: number): unknown {
  const k = rnd(depth > 4 ? 4 : 6);
  if (k === 0) return [true, false, null][rnd(3)];
  if (k === 1) return randomInt(rnd);
  if (k === 2 || k === 3) return Array.from({ length: rnd(k === 2 ? 4 : 40) }, () => PIECES[rnd(PIECES.length)]).join("");
  if (k === 4) return Array.from({ length: rnd(5) }, () => randomValue(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rnd(5); i > 0; i--) o[PIECES[rnd(PIECES.length)] + i] = randomValue(rnd, depth + 1);
  return o;
}

/** A probe's decode output with maps in a fixed key order (pairs order is the VM's own). */
function normalize(out: string): string {
  if (!out.startsWith("OK\t")) return out;
  const f = out.split("\t");
  const json = f.slice(2).join("\t");
  let v: unknown;
  try {
    v = JSON.parse(text(json));
  } catch {
    return out;
  }
  return `OK\t${f[1]}\t${JSON.stringify(sortKeys(v))}`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
