// `ocpp-sim journal --state-dir DIR [--id ID]`: a station's flash journal (firmware/journal.ts) as
// readable JSON, read from the flash file the simulator keeps (DIR/<id>-flash.json, sim/board.ts).
//
// The framing is read here independently of the firmware: a record is MAGIC, the body length (2 bytes,
// big-endian), the CBOR body [kind, key, value] or [kind, key] (a deletion), and the Adler-32 of the
// length bytes and the body (4 bytes, big-endian). The pointer "jp" ("<segment>:<compactions>") names
// the active segment, "j0" or "j1". Damage is reported where it sits, the way the firmware steps over
// it: after a bad record, the record right after it when its length holds, else the next offset where
// a whole record checks out.

import * as fs from "node:fs";
import * as path from "node:path";
import { decode } from "cbor-x";
import { FlashStore } from "./board";
import { flashName } from "./simulator";
import { TX_RECORD } from "../profiles/transactions/tx-store";

const MAGIC = 0xa5;
const OVERHEAD = 7;

export type DumpEntry =
  | { position: number; kind: string; key: string | number; value: unknown }
  | { position: number; kind: string; key: string | number; deleted: true }
  | { position: number; bytes: number; damage: string };

export interface JournalDump {
  /** The active segment and what the pointer says about it. */
  active: string;
  compactions: number;
  bytes: number;
  entries: DumpEntry[];
  /** A non-empty inactive segment: what a compaction that lost power left (the firmware erases it at boot). */
  inactive?: { segment: string; bytes: number };
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return c * 65536 + a;
}

/** Byte strings (non-UTF-8 strings in the firmware) as CBOR diagnostic notation h'..'; the rest as it is. */
function readable(v: unknown): unknown {
  if (v instanceof Uint8Array) return `h'${Buffer.from(v).toString("hex")}'`;
  if (Array.isArray(v)) return v.map(readable);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, readable(x)]));
  return v;
}

/** A transaction record (an array, profiles/transactions/tx-store.ts) with its fields named. */
function named(kind: string, key: string | number, v: unknown): unknown {
  if (kind !== "tx" || typeof key !== "number" || key < 1 || !Array.isArray(v) || v.length !== TX_RECORD.length + 2) return v;
  return Object.fromEntries([...TX_RECORD, "endedSamples", "token"].map((f, i) => [f, v[i]]));
}

/** The record at p: the entry and its whole length, or the length its header claims (0: none to trust). */
function recordAt(b: Buffer, p: number): { entry?: DumpEntry; whole: number } {
  if (p + OVERHEAD > b.length || b[p] !== MAGIC) return { whole: 0 };
  const n = b.readUInt16BE(p + 1);
  if (p + OVERHEAD + n > b.length) return { whole: 0 };
  if (b.readUInt32BE(p + 3 + n) !== adler32(b.subarray(p + 1, p + 3 + n))) return { whole: n + OVERHEAD };
  let rec: unknown;
  try {
    rec = decode(b.subarray(p + 3, p + 3 + n));
  } catch {
    return { whole: n + OVERHEAD };
  }
  if (!Array.isArray(rec) || (rec.length !== 2 && rec.length !== 3) || typeof rec[0] !== "string" || (typeof rec[1] !== "string" && typeof rec[1] !== "number")) {
    return { whole: n + OVERHEAD };
  }
  const [kind, key] = rec as [string, string | number];
  const entry: DumpEntry = rec.length === 2 ? { position: p, kind, key, deleted: true } : { position: p, kind, key, value: named(kind, key, readable(rec[2])) };
  return { entry, whole: n + OVERHEAD };
}

/** Every record of a segment in order, with the damage between them. */
export function readSegment(seg: string): DumpEntry[] {
  const b = Buffer.from(seg, "latin1");
  const out: DumpEntry[] = [];
  let p = 0;
  while (p < b.length) {
    const { entry, whole } = recordAt(b, p);
    if (entry !== undefined) {
      out.push(entry);
      p += whole;
      continue;
    }
    let next = whole > 0 && recordAt(b, p + whole).entry !== undefined ? p + whole : -1;
    for (let q = p + 1; next < 0 && q + OVERHEAD <= b.length; q++) if (b[q] === MAGIC && recordAt(b, q).entry !== undefined) next = q;
    const end = next >= 0 ? next : b.length;
    out.push({ position: p, bytes: end - p, damage: next >= 0 ? "corrupt record, skipped" : "torn or corrupt tail, ignored" });
    p = end;
  }
  return out;
}

/** The journal held in a flash store's files. */
export function dumpJournal(files: ReadonlyMap<string, string>): JournalDump {
  const ptr = files.get("jp");
  const m = ptr !== undefined ? /^([01]):(\d+)$/.exec(ptr) : null;
  const active = m !== null && m[1] === "1" ? "j1" : "j0";
  const other = active === "j0" ? "j1" : "j0";
  const seg = files.get(active) ?? "";
  const dump: JournalDump = { active, compactions: m !== null ? Number(m[2]) : 0, bytes: seg.length, entries: readSegment(seg) };
  const left = files.get(other);
  if (left !== undefined && left.length > 0) dump.inactive = { segment: other, bytes: left.length };
  return dump;
}

export const JOURNAL_USAGE = `usage: ocpp-sim journal --state-dir DIR [--id ID]
  prints the flash journal of station ID (default CP001) kept in DIR/<id>-flash.json as JSON`;

/** `ocpp-sim journal ...`: returns the exit code. */
export function journalCommand(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      out(JOURNAL_USAGE + "\n");
      return 0;
    }
    const eq = a.indexOf("=");
    const name = a.startsWith("--") ? (eq < 0 ? a.slice(2) : a.slice(2, eq)) : "";
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if ((name !== "state-dir" && name !== "id") || value === undefined || name in opts) {
      err(`ocpp-sim journal: bad argument '${a}'\n${JOURNAL_USAGE}\n`);
      return 2;
    }
    opts[name] = value;
  }
  if (opts["state-dir"] === undefined) {
    err(`ocpp-sim journal: --state-dir is required\n${JOURNAL_USAGE}\n`);
    return 2;
  }
  const file = path.join(path.resolve(opts["state-dir"]), `${flashName(opts.id ?? "CP001")}-flash.json`);
  if (!fs.existsSync(file)) {
    err(`ocpp-sim journal: no flash file ${file}\n`);
    return 1;
  }
  let store: FlashStore;
  try {
    store = new FlashStore(file);
  } catch (e) {
    err(`ocpp-sim journal: ${(e as Error).message}\n`);
    return 1;
  }
  out(JSON.stringify({ file, ...dumpJournal(store.data) }, null, 2) + "\n");
  return 0;
}
