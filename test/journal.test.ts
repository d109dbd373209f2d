// firmware/journal.ts on every runtime, through test/images/journal-probe.ts: an in-memory flash whose
// power or writes fail on demand, and two owners ("kv", "tx") that keep what they wrote and where.
// The record format is checked from outside with an independent framing parser and cbor-x.

import { beforeAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { decode as xDecode, encode as xEncode } from "cbor-x";
import { ROOT, transpileEntry } from "../build/compile";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";

type Probe = (line: string) => string;
const probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  const entry = path.join(ROOT, "test/images/journal-probe.ts");
  const src = { "lua5.1": transpileEntry(entry, "lua5.1"), "lua5.3": transpileEntry(entry, "lua5.3") };
  for (const r of RUNTIMES) {
    if (r === "node") {
      probes[r] = ((await import("./images/journal-probe")) as { event: Probe }).event;
    } else {
      const vm = createLuaVm(r);
      vm.loadImage(src[r === "lua5.1" ? "lua5.1" : "lua5.3"], "=journal-probe");
      probes[r] = (line) => vm.event(line);
    }
  }
}, 120000);

const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const text = (b: string) => Buffer.from(b, "latin1").toString("utf8");

// ---- the record format, from outside: MAGIC, u16 body length, CBOR body, Adler-32 of length and body ----

const MAGIC = 0xa5;

function adler32(b: Uint8Array): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return c * 65536 + a;
}

function frame(body: Uint8Array): string {
  const len = Buffer.from([body.length >> 8, body.length & 255]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(adler32(Buffer.concat([len, body])));
  return Buffer.concat([Buffer.from([MAGIC]), len, body, sum]).toString("latin1");
}

/** A record as cbor-x encodes it, framed. */
const xRecord = (kind: string, key: Key, value?: unknown) => frame(xEncode(value === undefined ? [kind, key] : [kind, key, value]));

/** Every record of a segment, which must be whole and intact, decoded by cbor-x. */
function parse(seg: string | undefined): { at: number; rec: unknown[] }[] {
  const b = Buffer.from(seg ?? "", "latin1");
  const out: { at: number; rec: unknown[] }[] = [];
  let p = 0;
  while (p < b.length) {
    expect(b[p]).toBe(MAGIC);
    const n = b.readUInt16BE(p + 1);
    expect(p + 7 + n).toBeLessThanOrEqual(b.length);
    expect(b.readUInt32BE(p + 3 + n)).toBe(adler32(b.subarray(p + 1, p + 3 + n)));
    out.push({ at: p, rec: xDecode(b.subarray(p + 3, p + 3 + n)) as unknown[] });
    p += n + 7;
  }
  return out;
}

// ---- the probe ----

type Key = string | number;
/** [kind, key, at, value] or [kind, key, at] for a tombstone. */
type Replayed = [string, Key, number, unknown?];
type Live = [string, Key, number, unknown, unknown];
interface Stats { bytes: number; capacity: number; records: number; compactions: number }

const keyText = (k: Key) => (typeof k === "number" ? `n:${k}` : `s:${k}`);

function station(runtime: RuntimeName) {
  const p = probes[runtime]!;
  const run = (...f: string[]) => p(f.join("\t"));
  const j = {
    fresh(capacity: number) {
      expect(run("new", String(capacity))).toBe("ok");
    },
    boot(): Replayed[] {
      return JSON.parse(text(run("boot"))) as Replayed[];
    },
    put(kind: string, key: Key, value?: unknown): number | undefined | "RAISED" {
      const r = value === undefined ? run("put", kind, keyText(key)) : run("put", kind, keyText(key), bytes(JSON.stringify(value)));
      if (r === "nil") return undefined;
      if (r.startsWith("RAISED\t")) return "RAISED";
      expect(r).toMatch(/^\d+$/);
      return Number(r);
    },
    live: () => JSON.parse(text(run("live"))) as Live[],
    stats: () => JSON.parse(run("stats")) as Stats,
    file(name: string): string | undefined {
      const r = run("file", name);
      return r === "nil" ? undefined : r;
    },
    write: (name: string, b: string) => expect(run("write", name, b)).toBe("ok"),
    power: (n: number) => run("power", String(n)),
    ioerr: (n: number) => run("ioerr", String(n)),
    logs: () => JSON.parse(text(run("logs"))) as string[],
    files(): Record<string, string | undefined> {
      return { j0: j.file("j0"), j1: j.file("j1"), jp: j.file("jp") };
    },
    restore(capacity: number, files: Record<string, string | undefined>) {
      j.fresh(capacity);
      for (const [k, v] of Object.entries(files)) if (v !== undefined) j.write(k, v);
    },
    /** The active segment's bytes, as the pointer names it. */
    active(): string | undefined {
      const p = j.file("jp");
      return j.file(p !== undefined && p.startsWith("1") ? "j1" : "j0");
    },
    /** Every position an owner holds reads back its value. */
    checkLive() {
      for (const [, , , held, got] of j.live()) expect(got).toEqual(held);
    },
    /** No segment ever holds more than the capacity. */
    checkBound(capacity: number) {
      expect((j.file("j0") ?? "").length).toBeLessThanOrEqual(capacity);
      expect((j.file("j1") ?? "").length).toBeLessThanOrEqual(capacity);
    },
  };
  return j;
}

/** The live set a replay leaves: last value per key, deletions applied, in first-stored order. */
function fold(replayed: Replayed[]): [string, Key, unknown][] {
  const m = new Map<string, [string, Key, unknown]>();
  for (const r of replayed) {
    const id = `${r[0]}/${keyText(r[1])}`;
    if (r.length === 3) m.delete(id);
    else if (m.has(id)) m.get(id)![2] = r[3];
    else m.set(id, [r[0], r[1], r[3]]);
  }
  return [...m.values()];
}

const sorted = (l: [string, Key, unknown][]) => [...l].sort((a, b) => (`${a[0]}/${keyText(a[1])}` < `${b[0]}/${keyText(b[1])}` ? -1 : 1));

/** A model of what the owners hold: kind/key -> value. */
class Model {
  readonly m = new Map<string, [string, Key, unknown]>();
  set(kind: string, key: Key, value?: unknown): void {
    const id = `${kind}/${keyText(key)}`;
    if (value === undefined) this.m.delete(id);
    else this.m.set(id, [kind, key, value]);
  }
  list(): [string, Key, unknown][] {
    return sorted([...this.m.values()]);
  }
  clone(): Model {
    const c = new Model();
    for (const [k, v] of this.m) c.m.set(k, [...v] as [string, Key, unknown]);
    return c;
  }
}

const VALUES: unknown[] = [
  0, -1, 23, 24, -25, 255, 65536, 2147483647, -2147483648, "", "Grüße 😀", "tab\there", true, false, null,
  [], {}, [1, [2, [3]]], { transactionId: "TX-0001", seqNo: 17, meter: [{ wh: 123456789, t: 1795046336 }] },
];

describe.each(RUNTIMES)("journal on %s", (runtime) => {
  it("records replay after a reboot in append order, each to its owner, at positions journalGet reads", () => {
    const j = station(runtime);
    j.fresh(4096);
    expect(j.boot()).toEqual([]);
    const expected: Replayed[] = [];
    VALUES.forEach((v, i) => {
      const kind = i % 3 === 0 ? "tx" : "kv";
      const key = i % 2 === 0 ? i : `k${i}`;
      const at = j.put(kind, key, v) as number;
      expected.push([kind, key, at, v]);
    });
    j.checkLive();
    expect(j.boot()).toEqual(expected);
    j.checkLive();
    const s = j.stats();
    expect(s).toEqual({ bytes: (j.file("j0") ?? "").length, capacity: 4096, records: VALUES.length, compactions: 0 });
    expect(j.logs()).toEqual([]);
  });

  it("a deletion replays as a tombstone, and compaction drops both the key and the tombstone", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.boot();
    const a = j.put("kv", "a", 1) as number;
    const b = j.put("kv", "b", 2) as number;
    const del = j.put("kv", "a") as number;
    expect(j.boot()).toEqual([["kv", "a", a, 1], ["kv", "b", b, 2], ["kv", "a", del]]);
    expect(j.live().map((l) => l[1])).toEqual(["b"]);
    // Force a compaction by filling the segment with overwrites of b.
    j.fresh(160);
    j.boot();
    j.put("kv", "a", 1);
    j.put("kv", "b", 2);
    j.put("kv", "a");
    let n = 0;
    while (j.stats().compactions === 0) j.put("kv", "b", ++n);
    expect(parse(j.active()).map((r) => r.rec)).toEqual([["kv", "b", n - 1], ["kv", "b", n]]);
    expect(fold(j.boot())).toEqual([["kv", "b", n]]);
  });

  it("compaction keeps exactly the live set, owners get the new positions, no segment exceeds the capacity", () => {
    const j = station(runtime);
    const cap = 256;
    j.fresh(cap);
    j.boot();
    const model = new Model();
    let compactions = 0;
    for (let i = 0; i < 240; i++) {
      const kind = i % 5 === 0 ? "tx" : "kv";
      const key = i % 7;
      const value = i % 11 === 10 ? undefined : i % 3 === 0 ? { n: i } : i * 1000;
      if (value === undefined && !model.m.has(`${kind}/${keyText(key)}`)) continue;
      const before = model.clone();
      const at = j.put(kind, key, value);
      expect(at).toBeTypeOf("number");
      model.set(kind, key, value);
      const s = j.stats();
      if (s.compactions > compactions) {
        compactions = s.compactions;
        // The new segment: the live set before this put, each record once (a key being deleted has left
        // its owner already), then this put's record.
        const dumped = before.clone();
        if (value === undefined) dumped.set(kind, key);
        const recs = parse(j.active()).map((r) => r.rec);
        const last = recs.pop();
        expect(last).toEqual(value === undefined ? [kind, key] : [kind, key, value]);
        expect(sorted(recs as [string, Key, unknown][])).toEqual(dumped.list());
        expect(j.file(s.compactions % 2 === 1 ? "j0" : "j1")).toBeUndefined();
      }
      j.checkLive();
      j.checkBound(cap);
      expect(s.bytes).toBe((j.active() ?? "").length);
    }
    expect(compactions).toBeGreaterThan(5);
    expect(sorted(fold(j.boot()))).toEqual(model.list());
    j.checkLive();
    expect(j.stats().compactions).toBe(compactions);
    expect(j.logs()).toEqual([]);
  });

  it("the live set plus the record must fit: put returns undefined (logged), a deletion still fits, acknowledged records survive", () => {
    const j = station(runtime);
    const cap = 1024;
    j.fresh(cap);
    j.boot();
    const model = new Model();
    let i = 0;
    for (;;) {
      const at = j.put("kv", `key${i}`, "x".repeat(100));
      j.checkBound(cap);
      if (at === undefined) break;
      model.set("kv", `key${i}`, "x".repeat(100));
      i++;
    }
    expect(i).toBeGreaterThan(5);
    expect(j.logs().some((l) => /full/.test(l))).toBe(true);
    // A deletion: the key leaves the owner first, so the compaction it may need frees its record.
    expect(j.put("kv", "key0")).toBeTypeOf("number");
    model.set("kv", "key0");
    expect(j.put("kv", "more", "x".repeat(100))).toBeTypeOf("number");
    model.set("kv", "more", "x".repeat(100));
    j.checkBound(cap);
    expect(sorted(fold(j.boot()))).toEqual(model.list());
    j.checkLive();
    // A record larger than the capacity never fits.
    expect(j.put("kv", "huge", "y".repeat(cap))).toBeUndefined();
    j.checkBound(cap);
  });

  it("a torn write at every byte of the last record: earlier records replay, the torn one does not, appends go on", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.boot();
    const earlier: Replayed[] = [];
    for (const [k, v] of [["a", 1], ["b", "two"], ["c", [3, { x: -3 }]]] as [string, unknown][]) earlier.push(["kv", k, j.put("kv", k, v) as number, v]);
    const lastAt = j.put("tx", 99, { id: "TX-9", wh: 16777217 }) as number;
    const whole = j.file("j0")!;
    for (let cut = lastAt; cut < whole.length; cut++) {
      j.fresh(4096);
      j.write("j0", whole.slice(0, cut));
      expect(j.boot()).toEqual(earlier);
      const logs = j.logs();
      if (cut > lastAt) expect(logs.join("\n")).toMatch(/torn or corrupt tail: bytes \d+\.\.\d+ of j0 skipped/);
      else expect(logs).toEqual([]);
      j.checkLive();
      expect(j.put("tx", 100, "after")).toBeTypeOf("number");
      const again = j.boot();
      expect(fold(again)).toEqual([...earlier.map((r) => [r[0], r[1], r[3]]), ["tx", 100, "after"]]);
      // Nothing was appended after the torn bytes: the active segment is whole.
      expect(parse(j.active()).length).toBe(4);
      j.checkLive();
    }
  });

  it("a flipped byte is detected: the record is skipped, the ones around it replay", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.boot();
    const recs: Replayed[] = [];
    for (let i = 0; i < 5; i++) recs.push(["kv", i, j.put("kv", i, { v: i * 1111 }) as number, { v: i * 1111 }]);
    const whole = Buffer.from(j.file("j0")!, "latin1");
    for (const victim of [2, 4]) {
      const start = recs[victim][2];
      const end = victim + 1 < recs.length ? recs[victim + 1][2] : whole.length;
      for (let i = start; i < end; i++) {
        const b = Buffer.from(whole);
        b[i] ^= 0x5a;
        j.fresh(4096);
        j.write("j0", b.toString("latin1"));
        expect(j.boot()).toEqual(recs.filter((_r, k) => k !== victim));
        expect(j.logs().join("\n")).toMatch(victim === 4 ? /tail/ : /corrupt record: bytes/);
        j.checkLive();
      }
    }
  });

  it("garbage between records and records that check out but are no records of ours are stepped over", () => {
    const j = station(runtime);
    const good = [xRecord("kv", "a", 1), xRecord("kv", "b", 2), xRecord("kv", "c", 3)];
    // Garbage with the magic byte and plausible lengths in it; a framed map and a framed [kind] (intact, wrong shape).
    const garbage = String.fromCharCode(MAGIC, 0, 3, 0x83, MAGIC, MAGIC, 0, 0, 1, 2, 3, MAGIC, 0xff, 0xff, 9);
    const file = good[0] + garbage + frame(xEncode({ kind: "kv" })) + good[1] + frame(xEncode(["kv"])) + frame(xEncode([1, 2, 3])) + good[2];
    j.fresh(4096);
    j.write("j0", file);
    expect(fold(j.boot())).toEqual([["kv", "a", 1], ["kv", "b", 2], ["kv", "c", 3]]);
    expect(j.logs().filter((l) => /corrupt record/.test(l)).length).toBeGreaterThanOrEqual(2);
    j.checkLive();
    // Damage is never appended after: the next put moves the live set to a clean segment.
    expect(j.put("kv", "d", 4)).toBeTypeOf("number");
    expect(parse(j.active()).map((r) => r.rec)).toEqual([["kv", "a", 1], ["kv", "b", 2], ["kv", "c", 3], ["kv", "d", 4]]);
    // A segment that is nothing but garbage replays nothing; appends work.
    j.fresh(4096);
    j.write("j0", Buffer.from(Array.from({ length: 500 }, (_v, i) => (i * 7919) % 251)).toString("latin1"));
    expect(j.boot()).toEqual([]);
    expect(j.put("kv", "z", 26)).toBeTypeOf("number");
    expect(fold(j.boot())).toEqual([["kv", "z", 26]]);
  });

  it("records of a kind without an owner are logged, skipped, and dropped at the next compaction", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.write("j0", xRecord("kv", "a", 1) + xRecord("gone", "x", 1) + xRecord("gone", "y", 2));
    expect(fold(j.boot())).toEqual([["kv", "a", 1]]);
    expect(j.logs().join("\n")).toMatch(/2 records without an owner/);
    expect(j.stats().records).toBe(3);
  });

  it("cbor-x decodes what the journal wrote, at the positions put returned", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.boot();
    const expected: { at: number; rec: unknown[] }[] = [];
    VALUES.forEach((v, i) => expected.push({ at: j.put("kv", `k${i}`, v) as number, rec: ["kv", `k${i}`, v] }));
    expected.push({ at: j.put("tx", -5) as number, rec: ["tx", -5] });
    expect(parse(j.file("j0"))).toEqual(expected);
  });

  it("records framed by the test with cbor-x read back (maps with 16-bit lengths, tombstones, every integer size)", () => {
    const j = station(runtime);
    const recs: [string, Key, unknown?][] = [
      ["kv", "m", { a: 1, b: [true, null, "x"] }],
      ["tx", 2147483647, -2147483648],
      ["kv", "n", 70000],
      ["kv", "m"],
      ["tx", 0, "Grüße"],
    ];
    j.fresh(4096);
    j.write("j0", recs.map((r) => xRecord(r[0], r[1], r[2])).join(""));
    const replay = j.boot();
    expect(replay.map((r) => (r.length === 3 ? [r[0], r[1]] : [r[0], r[1], r[3]]))).toEqual(recs);
    expect(j.logs()).toEqual([]);
    j.checkLive();
  });

  it("a value the codec refuses is not stored and is logged", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.boot();
    expect(j.put("kv", "f", 1.5)).toBeUndefined();
    expect(j.put("kv", "g", [1, { x: 2.25 }])).toBeUndefined();
    expect(j.logs().join("\n")).toMatch(/cannot store kv: number is not a 32-bit integer/);
    expect(j.file("j0")).toBeUndefined();
  });

  it("power loss at every step of a compaction leaves the old or the new state, complete", () => {
    const j = station(runtime);
    const cap = 300;
    j.fresh(cap);
    j.boot();
    const model = new Model();
    // Fill until a put compacts; keep the flash as it was just before that put.
    let snapshot: Record<string, string | undefined> = {};
    let before = model.clone();
    let trigger: [string, Key, unknown] = ["kv", 0, 0];
    for (let i = 0; ; i++) {
      snapshot = j.files();
      before = model.clone();
      trigger = [i % 4 === 0 ? "tx" : "kv", i % 6, { n: i }];
      j.put(trigger[0], trigger[1], trigger[2]);
      model.set(trigger[0], trigger[1], trigger[2]);
      if (j.stats().compactions > 0) break;
    }
    const liveCount = before.list().length;
    expect(liveCount).toBeGreaterThan(3);
    let losses = 0;
    for (let n = 0; ; n++) {
      j.restore(cap, snapshot);
      j.boot();
      j.power(n);
      const r = j.put(trigger[0], trigger[1], trigger[2]);
      if (r !== "RAISED") {
        expect(r).toBeTypeOf("number");
        break;
      }
      losses++;
      // Power back: the live set is the one before the put, whichever segment holds it.
      expect(sorted(fold(j.boot()))).toEqual(before.list());
      j.checkLive();
      j.checkBound(cap);
      expect(j.file(j.file("jp")?.startsWith("1") ? "j0" : "j1")).toBeUndefined();
      // And the journal goes on.
      expect(j.put("kv", "after", n)).toBeTypeOf("number");
      const after = before.clone();
      after.set("kv", "after", n);
      expect(sorted(fold(j.boot()))).toEqual(after.list());
      j.checkLive();
    }
    // erase, one append per live record, the pointer, the erase of the old segment, the put's own append.
    expect(losses).toBe(liveCount + 4);
  });

  it("an append the flash refuses: put returns undefined, the next put compacts past the partial bytes", () => {
    const j = station(runtime);
    j.fresh(4096);
    j.boot();
    j.put("kv", "a", 1);
    j.put("kv", "b", 2);
    j.ioerr(0);
    expect(j.put("kv", "c", 3)).toBeUndefined();
    expect(j.logs().join("\n")).toMatch(/append to j0 failed/);
    expect(j.put("kv", "d", 4)).toBeTypeOf("number");
    expect(j.stats().compactions).toBe(1);
    expect(parse(j.active()).map((r) => r.rec)).toEqual([["kv", "a", 1], ["kv", "b", 2], ["kv", "d", 4]]);
    expect(fold(j.boot())).toEqual([["kv", "a", 1], ["kv", "b", 2], ["kv", "d", 4]]);
    j.checkLive();
  });

  it("a flash error during compaction keeps the old segment, and the owners' positions in it", () => {
    const j = station(runtime);
    const cap = 200;
    j.fresh(cap);
    j.boot();
    const model = new Model();
    let snapshot: Record<string, string | undefined> = {};
    let before = model.clone();
    let i = 0;
    for (; ; i++) {
      snapshot = j.files();
      before = model.clone();
      j.put("kv", i % 4, i);
      model.set("kv", i % 4, i);
      if (j.stats().compactions > 0) break;
    }
    j.restore(cap, snapshot);
    j.boot();
    j.logs();
    j.ioerr(1);
    expect(j.put("kv", i % 4, i)).toBeUndefined();
    expect(j.logs().join("\n")).toMatch(/compaction failed, j0 stays active/);
    expect(j.stats().compactions).toBe(0);
    expect(j.file("j1")).toBeUndefined();
    j.checkLive();
    expect(sorted(fold(j.boot()))).toEqual(before.list());
    // Without the error the same put compacts and lands.
    expect(j.put("kv", i % 4, i)).toBeTypeOf("number");
    expect(sorted(fold(j.boot()))).toEqual(model.list());
    j.checkLive();
  });

  it("writes the same bytes on every runtime", () => {
    const j = station(runtime);
    j.fresh(300);
    j.boot();
    for (let i = 0; i < 60; i++) j.put(i % 3 === 0 ? "tx" : "kv", i % 5 === 4 ? `s${i % 7}` : i % 5, i % 4 === 0 ? [i, -i * 40000, `v${i}`] : { only: i * 65537 });
    const mine = j.files();
    const n = station("node");
    n.fresh(300);
    n.boot();
    for (let i = 0; i < 60; i++) n.put(i % 3 === 0 ? "tx" : "kv", i % 5 === 4 ? `s${i % 7}` : i % 5, i % 4 === 0 ? [i, -i * 40000, `v${i}`] : { only: i * 65537 });
    expect(mine).toEqual(n.files());
    expect(j.stats().compactions).toBeGreaterThan(2);
  });
});
