// The append-only journal: what the station must keep across a power loss (queued TransactionEvents,
// transaction state, the auth cache, availability, writable variables) as records in flash, each
// owned by the block that wrote it. The journal knows no record's meaning: an owner registers a kind,
// gets its records back at boot (replay) and rewrites its live ones when the journal compacts (dump).
//
// Record: MAGIC, body length (2 bytes, big-endian), body, Adler-32 of the length bytes and the body
// (RFC 1950, 4 bytes, big-endian). The body is the CBOR array [kind, key, value], or [kind, key] for
// a deletion (tombstone). A position is the byte offset of a record in its segment.
//
// Two segments, SEGMENTS[0] and [1]; POINTER (saved whole, hal.save is atomic) names the active one
// and counts compactions. Records are only ever appended to the active segment. Compaction erases
// the other, has every owner dump its live records into it, saves the pointer (the commit), then
// erases the old one: a power loss before the pointer is saved leaves the old segment active and
// complete, after it the new one.
//
// Damage. A power loss mid-append leaves a prefix of a record at the end of the file: its length
// runs past the end or its checksum fails, and it is skipped. Nothing is appended after damage: the
// next put compacts first (the live set into the other segment), so a torn record never ends up in
// the middle of a segment. Flash can still rot, so the scan also steps over a corrupt record in the
// middle: when the length is intact the next record starts right after it, otherwise the scan looks
// for the next offset where a whole record checks out (magic, length, checksum, CBOR shape).
//
// RAM: the scan reads through a window of WINDOW bytes (a record longer than that is read whole,
// bounded by MAX_BODY), never a whole segment.

import type { Ctx } from "./station";
import { blockData } from "./station";
import { cborDecode, cborEncode } from "./cbor";
import { fmtNum, isArray, Json } from "./json";
import { idiv } from "./arith";

/** What a record holds: the values cbor.ts encodes (32-bit integers, strings, booleans, JSON_NULL, arrays, text-keyed tables). */
export type JValue = Json;

export interface JournalOwner {
  /**
   * On journalOpen: every record of this kind, in append order (a later one for the same key
   * overrides an earlier one); value undefined = a deletion (tombstone). at: position for journalGet.
   * Also called again for every record, the same way, after a compaction that failed on a flash
   * error (the positions dump handed out are void then): keep the last value per key, as the first
   * pass does, and a second pass ends where the first did.
   */
  replay(this: void, st: Ctx, key: string | number, value: JValue | undefined, at: number): void;
  /**
   * During compaction: re-append every live record of this kind with journalPut and keep the new
   * positions. A put may trigger a compaction: an owner deleting a key leaves it out of its live set
   * before it puts the tombstone, so a full journal can always take a deletion.
   */
  dump(this: void, st: Ctx): void;
}

const SEGMENTS = ["j0", "j1"];
const POINTER = "jp";
const MAGIC = 0xa5;
/** Magic and length before the body, checksum after it. */
const HEAD = 3;
const OVERHEAD = 7;
/** The length field's limit; a record must also fit the capacity. */
const MAX_BODY = 65535;
const WINDOW = 256;
/** Nesting bound for values (the record array is one level). */
const DEPTH = 12;

interface JState {
  owners: { [kind: string]: JournalOwner };
  /** Kinds in registration order: the order owners dump in. */
  kinds: string[];
  opened: boolean;
  /** Active segment index (0 or 1), bytes in it (appends go there), records in it. */
  active: number;
  used: number;
  records: number;
  /** Compactions ever committed (kept in the pointer). */
  generation: number;
  /** Damage in the active segment: compact before the next append. */
  repair: boolean;
  /** During compaction: the segment being written (-1 otherwise), its bytes and records, and whether a put failed. */
  target: number;
  targetUsed: number;
  targetRecords: number;
  targetFailed: boolean;
  /** Read window: WINDOW bytes of segment winSeg from offset winOff. */
  win: string;
  winSeg: string;
  winOff: number;
}

function state(st: Ctx): JState {
  const d = blockData(st, "journal");
  let j = d.state as JState | undefined;
  if (j === undefined) {
    j = {
      owners: {}, kinds: [], opened: false, active: 0, used: 0, records: 0, generation: 0, repair: false,
      target: -1, targetUsed: 0, targetRecords: 0, targetFailed: false, win: "", winSeg: "", winOff: 0,
    };
    d.state = j;
  }
  return j;
}

function capacity(st: Ctx): number {
  return st.img.bounds.journalBytes;
}

function log(st: Ctx, level: number, msg: string): void {
  st.hal.log(level, "journal: " + msg);
}

// ---- framing ----

/** Continues the Adler-32 sums a, b over bytes i..j of s. */
function adler(s: string, i: number, j: number, a: number, b: number): LuaMultiReturn<[number, number]> {
  for (let k = i; k <= j; k++) {
    a = a + (string.byte(s, k) as number);
    if (a >= 65521) a = a - 65521;
    b = b + a;
    if (b >= 65521) b = b - 65521;
  }
  return $multi(a, b);
}

function u16(n: number): string {
  const hi = idiv(n, 256);
  return string.char(hi, n - hi * 256);
}

/** The framed record as its pieces and its length, or undefined and why it cannot be one. */
function frame(kind: string, key: string | number, value: JValue | undefined): LuaMultiReturn<[string[] | undefined, number, string | undefined]> {
  const out: string[] = ["", string.char(value === undefined ? 0x82 : 0x83)];
  let why = cborEncode(kind, out);
  if (why === undefined) why = cborEncode(key, out);
  if (why === undefined && value !== undefined) why = cborEncode(value, out);
  if (why !== undefined) return $multi(undefined, 0, why);
  let n = 0;
  for (let i = 1; i < out.length; i++) n = n + out[i].length;
  if (n > MAX_BODY) return $multi(undefined, 0, "record of " + fmtNum(n) + " bytes");
  // Summed over its pieces and handed to the flash as they are: the record is never joined.
  const len = u16(n);
  let [a, b] = adler(len, 1, 2, 1, 0);
  for (let i = 1; i < out.length; i++) [a, b] = adler(out[i], 1, out[i].length, a, b);
  out[0] = string.char(MAGIC) + len;
  out[out.length] = u16(b) + u16(a);
  return $multi(out, n + OVERHEAD, undefined);
}

/** n bytes of a segment from off (fewer at its end), through the window when they fit in one. */
function bytes(st: Ctx, j: JState, seg: string, off: number, n: number): string {
  if (n > WINDOW) {
    const s = st.hal.read(seg, off, n);
    return s !== undefined ? s : "";
  }
  if (seg !== j.winSeg || off < j.winOff || off + n > j.winOff + j.win.length) {
    const s = st.hal.read(seg, off, WINDOW);
    j.win = s !== undefined ? s : "";
    j.winSeg = seg;
    j.winOff = off;
  }
  return string.sub(j.win, off - j.winOff + 1, off - j.winOff + n);
}

function dropWindow(j: JState): void {
  j.win = "";
  j.winSeg = "";
}

/**
 * The record at off of a segment holding size bytes: its body and its whole length; or undefined,
 * and the whole length its header claims (0 when there is no header to trust).
 */
function recordAt(st: Ctx, j: JState, seg: string, off: number, size: number): LuaMultiReturn<[string | undefined, number]> {
  if (off + OVERHEAD > size) return $multi(undefined, 0);
  const h = bytes(st, j, seg, off, HEAD);
  if (string.byte(h, 1) !== MAGIC) return $multi(undefined, 0);
  const n = (string.byte(h, 2) as number) * 256 + (string.byte(h, 3) as number);
  const whole = n + OVERHEAD;
  if (off + whole > size) return $multi(undefined, 0);
  const body = bytes(st, j, seg, off + HEAD, n);
  const sum = bytes(st, j, seg, off + HEAD + n, 4);
  let [a, b] = adler(h, 2, 3, 1, 0);
  [a, b] = adler(body, 1, n, a, b);
  if (body.length !== n || sum !== u16(b) + u16(a)) return $multi(undefined, whole);
  return $multi(body, whole);
}

/** A checked body as kind, key and value (undefined for a tombstone); kind undefined when it is no record of ours. */
function unpack(body: string): LuaMultiReturn<[string | undefined, string | number, JValue | undefined]> {
  const [v, next] = cborDecode(body, 1, DEPTH);
  const r = v as JValue[];
  if (v === undefined || next !== body.length + 1 || !isArray(v) || (r.length !== 2 && r.length !== 3)) return $multi(undefined, 0, undefined);
  const kt = type(r[1]);
  if (type(r[0]) !== "string" || (kt !== "string" && kt !== "number")) return $multi(undefined, 0, undefined);
  return $multi(r[0] as string, r[1] as string | number, r[2]);
}

/** Does a whole record of ours start at off? (the scan's test after damage) */
function recordOk(st: Ctx, j: JState, seg: string, off: number, size: number): boolean {
  const [body] = recordAt(st, j, seg, off, size);
  if (body === undefined) return false;
  const [kind] = unpack(body);
  return kind !== undefined;
}

// ---- scan ----

/** Reads the active segment from the start and replays every record to its owner; sets used, records, repair. */
function scan(st: Ctx, j: JState): void {
  const seg = SEGMENTS[j.active];
  const size = st.hal.size(seg);
  let off = 0;
  let records = 0;
  let orphans = 0;
  while (off < size) {
    const [body, whole] = recordAt(st, j, seg, off, size);
    let kind: string | undefined;
    let key: string | number = 0;
    let value: JValue | undefined;
    if (body !== undefined) [kind, key, value] = unpack(body);
    if (kind !== undefined) {
      records = records + 1;
      const owner = j.owners[kind];
      if (owner === undefined) orphans = orphans + 1;
      else {
        const [ok, err] = pcall(owner.replay, st, key, value, off);
        if (!ok) log(st, 1, "replay of " + kind + " failed: " + (err as string));
      }
      off = off + whole;
    } else {
      // Damage: the record right after it when its length holds, else the next offset where one checks out.
      j.repair = true;
      let next = -1;
      if (whole > 0 && recordOk(st, j, seg, off + whole, size)) next = off + whole;
      for (let q = off + 1; next < 0 && q + OVERHEAD <= size; q++) {
        if (string.byte(bytes(st, j, seg, q, 1), 1) === MAGIC && recordOk(st, j, seg, q, size)) next = q;
      }
      const to = next >= 0 ? next : size;
      log(st, 2, (next >= 0 ? "corrupt record: bytes " : "torn or corrupt tail: bytes ") + fmtNum(off) + ".." + fmtNum(to - 1) + " of " + seg + " skipped");
      off = to;
    }
  }
  if (orphans > 0) log(st, 2, fmtNum(orphans) + " records without an owner (dropped at compaction)");
  j.used = size;
  j.records = records;
  dropWindow(j);
}

// ---- compaction ----

/** Rewrites the live set into the other segment and switches to it; on a flash error the old segment stays. */
function compact(st: Ctx, j: JState): void {
  const hal = st.hal;
  const to = 1 - j.active;
  j.repair = false;
  dropWindow(j);
  hal.erase(SEGMENTS[to]);
  j.target = to;
  j.targetUsed = 0;
  j.targetRecords = 0;
  j.targetFailed = false;
  for (let i = 0; i < j.kinds.length && !j.targetFailed; i++) {
    const [ok, err] = pcall(j.owners[j.kinds[i]].dump, st);
    if (!ok) {
      log(st, 1, "dump of " + j.kinds[i] + " failed: " + (err as string));
      j.targetFailed = true;
    }
  }
  j.target = -1;
  dropWindow(j);
  if (j.targetFailed) {
    // The owners hold positions in the segment just abandoned: give them the old one's again.
    hal.erase(SEGMENTS[to]);
    log(st, 1, "compaction failed, " + SEGMENTS[j.active] + " stays active");
    scan(st, j);
    return;
  }
  const old = SEGMENTS[j.active];
  // The pointer: "active segment:generation".
  hal.save(POINTER, string.format("%d:%d", to, j.generation + 1));
  j.generation = j.generation + 1;
  j.active = to;
  j.used = j.targetUsed;
  j.records = j.targetRecords;
  hal.erase(old);
}

// ---- API ----

/** Registers the owner of a kind of record; before journalOpen (from a block's "start" hook). */
export function journalOwner(st: Ctx, kind: string, owner: JournalOwner): void {
  const j = state(st);
  if (j.owners[kind] === undefined) j.kinds[j.kinds.length] = kind;
  j.owners[kind] = owner;
}

/** Finds the active segment, scans it and replays every record to its owner; damaged records are logged and skipped. */
export function journalOpen(st: Ctx): void {
  const j = state(st);
  const p = st.hal.load(POINTER);
  j.active = 0;
  j.generation = 0;
  if (p !== undefined) {
    const [colon] = string.find(p, ":", 1, true);
    const g = colon !== undefined ? tonumber(string.sub(p, colon + 1)) : undefined;
    if (g !== undefined && (string.sub(p, 1, 1) === "0" || string.sub(p, 1, 1) === "1")) {
      j.active = string.sub(p, 1, 1) === "1" ? 1 : 0;
      j.generation = g;
    } else log(st, 1, "unreadable pointer, " + SEGMENTS[0] + " taken as active");
  }
  // Left over by a compaction that lost power: before its commit an incomplete copy, after it the old segment.
  if (st.hal.size(SEGMENTS[1 - j.active]) > 0) st.hal.erase(SEGMENTS[1 - j.active]);
  j.repair = false;
  scan(st, j);
  j.opened = true;
}

/**
 * Appends a record (value undefined: a tombstone for the key) and returns its position; compacts first
 * when the active segment has no room or holds damage. Undefined (logged) when the value cannot be
 * encoded, the journal is not open, the flash refused the write, or the live set plus the record does
 * not fit the capacity even after compaction. During a dump it writes the new segment.
 */
export function journalPut(st: Ctx, kind: string, key: string | number, value: JValue | undefined): number | undefined {
  const j = state(st);
  const [rec, size, why] = frame(kind, key, value);
  if (rec === undefined) {
    log(st, 1, "cannot store " + kind + ": " + (why as string));
    return undefined;
  }
  const cap = capacity(st);
  if (j.target >= 0) {
    if (j.targetFailed) return undefined;
    const room = j.targetUsed + size <= cap;
    if (!room || !st.hal.append(SEGMENTS[j.target], rec)) {
      log(st, 1, room ? "append to " + SEGMENTS[j.target] + " failed" : "live set beyond capacity");
      j.targetFailed = true;
      return undefined;
    }
    const at = j.targetUsed;
    j.targetUsed = at + size;
    j.targetRecords = j.targetRecords + 1;
    return at;
  }
  if (!j.opened) {
    log(st, 1, "put before open");
    return undefined;
  }
  if (j.repair || j.used + size > cap) compact(st, j);
  if (j.used + size > cap) {
    log(st, 1, "full: " + kind + " record of " + fmtNum(size) + " bytes not stored");
    return undefined;
  }
  const seg = SEGMENTS[j.active];
  if (!st.hal.append(seg, rec)) {
    // Part of it may be there: count what is, and compact before the next append.
    j.used = st.hal.size(seg);
    j.repair = true;
    log(st, 1, "append to " + seg + " failed");
    return undefined;
  }
  const at = j.used;
  j.used = at + size;
  j.records = j.records + 1;
  return at;
}

/** The value of the record at a position (undefined for a tombstone or no intact record there); during compaction, from the old segment. */
export function journalGet(st: Ctx, at: number): JValue | undefined {
  const j = state(st);
  const [body] = recordAt(st, j, SEGMENTS[j.active], at, j.used);
  if (j.target < 0) dropWindow(j);
  if (body === undefined) {
    log(st, 1, "no intact record at " + fmtNum(at));
    return undefined;
  }
  const [kind, _key, value] = unpack(body);
  if (kind === undefined) log(st, 1, "no record of ours at " + fmtNum(at));
  return value;
}

export interface JournalStats {
  /** Bytes in the active segment. */
  bytes: number;
  /** bounds.journalBytes: the most bytes either segment may hold. */
  capacity: number;
  /** Records in the active segment, superseded and tombstones included. */
  records: number;
  /** Compactions committed over the journal's life. */
  compactions: number;
}

export function journalStats(st: Ctx): JournalStats {
  const j = state(st);
  return { bytes: j.used, capacity: capacity(st), records: j.records, compactions: j.generation };
}
