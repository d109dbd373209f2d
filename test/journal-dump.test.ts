// `ocpp-sim journal --state-dir DIR`: the journal the firmware wrote into the simulator's flash file,
// printed as JSON with positions, deletions and damage. The journal here is firmware/journal.ts itself
// (node runtime) on a HAL over the simulator's FlashStore, as the sim board persists it.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { FlashStore } from "../sim/board";
import { flashName } from "../sim/simulator";
import { journalCommand } from "../sim/journal-dump";
import { TX_RECORD } from "../profiles/transactions/tx-store";
import { main } from "../sim/cli";
import { ROOT } from "../build/compile";
import type { Hal } from "../hal/hal";
import type { Station } from "../firmware/station";
import { journalOpen, journalOwner, journalPut } from "../firmware/journal";

/** A station with one owner per kind that keeps its positions, on a HAL over the store. */
function station(store: FlashStore, capacity: number) {
  const logs: string[] = [];
  const hal = {
    load: (k: string) => store.data.get(k),
    save: (k: string, v: string) => store.set(k, v),
    erase: (k: string) => store.set(k, undefined),
    append: (k: string, parts: string[]) => (store.set(k, (store.data.get(k) ?? "") + parts.join("")), true),
    read: (k: string, off: number, n: number) => store.data.get(k)?.slice(off, off + n),
    size: (k: string) => store.data.get(k)?.length ?? 0,
    log: (_l: number, m: string) => logs.push(m),
  } as unknown as Hal;
  const st = { hal, img: { bounds: { journalBytes: capacity } }, data: {} } as unknown as Station;
  const live = new Map<string, Map<string | number, unknown>>();
  for (const kind of ["tx", "auth"]) {
    const m = new Map<string | number, unknown>();
    live.set(kind, m);
    journalOwner(st, kind, {
      replay: (_s, key, value) => (value === undefined ? m.delete(key) : m.set(key, value)),
      dump: (s) => {
        for (const [k, v] of m) journalPut(s, kind, k, v as never);
      },
    });
  }
  journalOpen(st);
  const put = (kind: string, key: string | number, value?: unknown) => {
    const m = live.get(kind)!;
    if (value === undefined) m.delete(key);
    const at = journalPut(st, kind, key, value as never);
    if (value !== undefined) m.set(key, value);
    return at;
  };
  return { put, logs };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "journal-dump-"));
}

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = journalCommand(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe("ocpp-sim journal", () => {
  it("prints the records in order with kind, key, value, position; deletions marked", () => {
    const dir = tempDir();
    const file = path.join(dir, `${flashName("CP 7")}-flash.json`);
    const j = station(new FlashStore(file), 4096);
    // Firmware strings are bytes: UTF-8 text is a CBOR text string, anything else a byte string.
    const a = j.put("tx", "TX-1", { seqNo: 0, wh: 16777217, id: Buffer.from("Grüße", "utf8").toString("latin1"), raw: "\xfc\x00" });
    const b = j.put("auth", "04A1B2C3", { status: "Accepted", until: 1795046336 });
    const c = j.put("tx", "TX-1");
    const r = run(["--state-dir", dir, "--id", "CP 7"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      file,
      active: "j0",
      compactions: 0,
      bytes: new FlashStore(file).data.get("j0")!.length,
      entries: [
        { position: a, kind: "tx", key: "TX-1", value: { seqNo: 0, wh: 16777217, id: "Grüße", raw: "h'fc00'" } },
        { position: b, kind: "auth", key: "04A1B2C3", value: { status: "Accepted", until: 1795046336 } },
        { position: c, kind: "tx", key: "TX-1", deleted: true },
      ],
    });
  });

  it("a transaction's record (profiles/transactions/tx-store.ts: an array) is printed with its fields named", () => {
    const dir = tempDir();
    const j = station(new FlashStore(path.join(dir, "CP001-flash.json")), 4096);
    const values = TX_RECORD.map((f, i) => (f === "authorized" ? true : f === "id" ? "TX-9" : i));
    const at = j.put("tx", 1, [...values, ["{\"timestamp\":\"2026-11-24T10:00:00Z\"}"], "{\"idToken\":\"OK1\",\"type\":\"ISO14443\"}"]);
    const d = JSON.parse(run(["--state-dir", dir]).out);
    expect(d.entries).toEqual([
      {
        position: at,
        kind: "tx",
        key: 1,
        value: { ...Object.fromEntries(TX_RECORD.map((f, i) => [f, values[i]])), endedSamples: ["{\"timestamp\":\"2026-11-24T10:00:00Z\"}"], token: "{\"idToken\":\"OK1\",\"type\":\"ISO14443\"}" },
      },
    ]);
    expect(d.entries[0].value).toMatchObject({ id: "TX-9", authorized: true, seq: 0 });
  });

  it("follows the pointer after compactions and notes a torn tail and a corrupt record where they sit", () => {
    const dir = tempDir();
    const file = path.join(dir, "CP001-flash.json");
    const store = new FlashStore(file);
    const j = station(store, 200);
    for (let i = 0; i < 40; i++) j.put("tx", i % 3, i);
    const ptr = store.data.get("jp")!;
    const [seg, gen] = ptr.split(":");
    expect(Number(gen)).toBeGreaterThan(0);
    const active = `j${seg}`;
    // Corrupt the body of the first record and tear the last one in half.
    const bytes = Buffer.from(store.data.get(active)!, "latin1");
    const body = JSON.parse(run(["--state-dir", dir]).out) as { entries: { position: number }[] };
    const positions = body.entries.map((e) => e.position);
    bytes[positions[0] + 4] ^= 0xff;
    const tornAt = positions[positions.length - 1];
    store.set(active, bytes.subarray(0, tornAt + 5).toString("latin1"));
    const r = run([`--state-dir=${dir}`]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.active).toBe(active);
    expect(d.compactions).toBe(Number(gen));
    expect(d.entries[0]).toEqual({ position: 0, bytes: positions[1], damage: "corrupt record, skipped" });
    expect(d.entries.slice(1, -1).map((e: { position: number }) => e.position)).toEqual(positions.slice(1, -1));
    expect(d.entries[d.entries.length - 1]).toEqual({ position: tornAt, bytes: 5, damage: "torn or corrupt tail, ignored" });
  });

  it("usage errors exit 2, a missing flash file 1; the subcommand runs through ocpp-sim's main and bin", async () => {
    expect(run([]).code).toBe(2);
    expect(run(["--state-dir"]).code).toBe(2);
    expect(run(["--bogus", "x"]).code).toBe(2);
    const empty = tempDir();
    const missing = run(["--state-dir", empty]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no flash file/);
    expect(await main(["journal", "--state-dir", empty])).toBe(1);
    const dir = tempDir();
    station(new FlashStore(path.join(dir, "CP001-flash.json")), 1024).put("auth", 5, true);
    const bin = spawnSync(process.execPath, [path.join(ROOT, "sim", "bin", "ocpp-sim.js"), "journal", "--state-dir", dir], { encoding: "utf8" });
    expect(bin.status).toBe(0);
    expect(JSON.parse(bin.stdout).entries).toEqual([{ position: 0, kind: "auth", key: 5, value: true }]);
  });
});
