// Test image: the journal on an in-memory flash whose power or writes can fail, with two test owners
// ("kv" and "tx") that keep what they wrote and where, as a block would. One command per line, fields
// split by tabs; values travel as JSON text. Answers:
//   new <capacity>            a blank flash, power on, no logs                 -> "ok"
//   boot                      a new station on the same flash, owners registered, journalOpen
//                             -> JSON [[kind, key, at, value] or [kind, key, at] (tombstone), ...] replayed
//   put <kind> <key> [<value>] the owner stores key (no value: deletes it)    -> position | "nil" | "RAISED <msg>"
//   live                      -> JSON [[kind, key, at, value held, journalGet(at)], ...] in the owners' order
//   stats                     -> JSON journalStats
//   file <name>               -> the file's bytes, or "nil"
//   write <name> <bytes>      sets a file's bytes (the rest of the line, raw)  -> "ok"
//   erase <name>              -> "ok"
//   power <n>                 the write after n more flash writes (append, save, erase) loses power: an
//                             append leaves half its bytes; then every flash call raises until boot
//   ioerr <n>                 the append after n more appends fails: half its bytes, returns false
//   logs                      -> JSON of the log lines since the last call
// A key is "n:<integer>" or "s:<string>".

import type { Hal } from "../../hal/hal";
import type { Station } from "../../firmware/station";
import { jarr, jsonDecode, jsonEncode, Json, JsonObject, JSON_NULL, NULL_TEXT } from "../../firmware/json";
import { journalGet, journalOpen, journalOwner, journalPut, journalStats, JValue } from "../../firmware/journal";
import { fields } from "./probe-text";

interface Entry {
  key: string | number;
  value: JValue;
  at: number;
}

interface Owner {
  kind: string;
  /** Entries by key text, and the key texts in the order they were first stored. */
  live: { [k: string]: Entry };
  order: string[];
}

const flash: { files: { [name: string]: string }; writesLeft: number; dead: boolean; appendsLeft: number } = { files: {}, writesLeft: -1, dead: false, appendsLeft: -1 };
let logs: string[] = [];
let capacity = 1024;
let st: Station | undefined;
let replayed: Json[] = [];
let owners: Owner[] = [];

function keyText(key: string | number): string {
  return type(key) === "number" ? "n:" + string.format("%d", key) : "s:" + (key as string);
}

function alive(): void {
  if (flash.dead) error("power lost");
}

/** One more flash write: false when it is the one the power fails in (the board is dead after it). */
function write(): boolean {
  alive();
  if (flash.writesLeft === 0) {
    flash.dead = true;
    return false;
  }
  if (flash.writesLeft > 0) flash.writesLeft = flash.writesLeft - 1;
  return true;
}

function half(data: string): string {
  // float: a record is far below 2^24 bytes.
  return string.sub(data, 1, math.floor(data.length / 2));
}

/** The part of the HAL the journal uses; methods, as in Hal, so TSTL gives the functions the self parameter of a method call. */
interface Flash {
  load(key: string): string | undefined;
  save(key: string, value: string): void;
  erase(key: string): void;
  append(key: string, parts: string[]): boolean;
  read(key: string, offset: number, length: number): string | undefined;
  size(key: string): number;
  log(level: number, msg: string): void;
}

const hal: Flash = {
  load: (key: string) => {
    alive();
    return flash.files[key];
  },
  save: (key: string, value: string) => {
    if (!write()) error("power lost");
    flash.files[key] = value;
  },
  erase: (key: string) => {
    if (!write()) error("power lost");
    flash.files[key] = undefined as unknown as string;
  },
  append: (key: string, parts: string[]) => {
    const data = table.concat(parts);
    const old = flash.files[key];
    const had = old !== undefined ? old : "";
    if (!write()) {
      flash.files[key] = had + half(data);
      error("power lost");
    }
    if (flash.appendsLeft === 0) {
      flash.appendsLeft = -1;
      flash.files[key] = had + half(data);
      return false;
    }
    if (flash.appendsLeft > 0) flash.appendsLeft = flash.appendsLeft - 1;
    flash.files[key] = had + data;
    return true;
  },
  read: (key: string, offset: number, length: number) => {
    alive();
    const s = flash.files[key];
    return s !== undefined ? string.sub(s, offset + 1, offset + length) : undefined;
  },
  size: (key: string) => {
    alive();
    const s = flash.files[key];
    return s !== undefined ? s.length : 0;
  },
  log: (level: number, msg: string) => {
    logs[logs.length] = string.format("%d ", level) + msg;
  },
};

/** What an owner does with a record it wrote or had replayed: keep the value and where it is, or forget the key. */
function apply(o: Owner, key: string | number, value: JValue | undefined, at: number): void {
  const k = keyText(key);
  if (value === undefined) {
    if (o.live[k] === undefined) return;
    o.live[k] = undefined as unknown as Entry;
    for (let i = 0; i < o.order.length; i++) {
      if (o.order[i] === k) {
        table.remove(o.order, i + 1);
        break;
      }
    }
    return;
  }
  if (o.live[k] === undefined) o.order[o.order.length] = k;
  o.live[k] = { key, value, at };
}

function makeOwner(kind: string): Owner {
  const o: Owner = { kind, live: {}, order: [] };
  journalOwner(st as Station, kind, {
    replay: (s: Station, key: string | number, value: JValue | undefined, at: number) => {
      replayed[replayed.length] = value === undefined ? jarr([kind, key, at]) : jarr([kind, key, at, value]);
      apply(o, key, value, at);
    },
    dump: (s: Station) => {
      for (let i = 0; i < o.order.length; i++) {
        const e = o.live[o.order[i]];
        // Read back from flash (the old segment during compaction), as an owner that keeps only positions would.
        const v = journalGet(s, e.at);
        if (v === undefined) error("journalGet lost " + o.order[i]);
        const at = journalPut(s, kind, e.key, v as JValue);
        if (at === undefined) return;
        e.at = at;
      }
    },
  });
  return o;
}

/** Splits at tabs, at most max fields; the last keeps any further tabs. */
function decode(text: string): JValue {
  const [v, why] = jsonDecode(text, 32, false);
  if (why === NULL_TEXT) return JSON_NULL;
  if (v === undefined) error("bad JSON " + text);
  return v as JValue;
}

function station(): Station {
  if (st === undefined) error("no station: boot first");
  return st as Station;
}

export function event(line: string): string {
  const f = fields(line, 4);
  const cmd = f[0];
  if (cmd === "new") {
    flash.files = {};
    flash.writesLeft = -1;
    flash.appendsLeft = -1;
    flash.dead = false;
    capacity = tonumber(f[1]) as number;
    st = undefined;
    logs = [];
    return "ok";
  }
  if (cmd === "boot") {
    flash.dead = false;
    flash.writesLeft = -1;
    flash.appendsLeft = -1;
    st = { hal: hal as unknown as Hal, img: { bounds: { journalBytes: capacity } }, data: {} } as unknown as Station;
    replayed = jarr([]);
    owners = [makeOwner("kv"), makeOwner("tx")];
    journalOpen(st);
    return jsonEncode(replayed);
  }
  if (cmd === "put") {
    const s = station();
    const kt = string.sub(f[2], 1, 2);
    const key = kt === "n:" ? (tonumber(string.sub(f[2], 3)) as number) : string.sub(f[2], 3);
    const value = f[3] !== undefined ? decode(f[3]) : undefined;
    // A deletion first leaves the owner's live set, so a compaction it triggers leaves the key out.
    if (value === undefined) for (let i = 0; i < owners.length; i++) if (owners[i].kind === f[1]) apply(owners[i], key, undefined, 0);
    const [ok, at] = pcall(journalPut, s, f[1], key, value);
    if (!ok) return "RAISED\t" + (at as string);
    if (at === undefined) return "nil";
    if (value !== undefined) for (let i = 0; i < owners.length; i++) if (owners[i].kind === f[1]) apply(owners[i], key, value, at as number);
    return string.format("%d", at as number);
  }
  if (cmd === "live") {
    const s = station();
    const out: Json[] = jarr([]);
    for (let i = 0; i < owners.length; i++) {
      const o = owners[i];
      for (let m = 0; m < o.order.length; m++) {
        const e = o.live[o.order[m]];
        let got = journalGet(s, e.at);
        if (got === undefined) got = "MISSING";
        out[out.length] = jarr([o.kind, e.key, e.at, e.value, got]);
      }
    }
    return jsonEncode(out);
  }
  if (cmd === "stats") return jsonEncode(journalStats(station()) as unknown as JsonObject);
  if (cmd === "file") {
    const s = flash.files[f[1]];
    return s !== undefined ? s : "nil";
  }
  if (cmd === "write") {
    flash.files[f[1]] = f[2] !== undefined ? f[2] + (f[3] !== undefined ? "\t" + f[3] : "") : "";
    return "ok";
  }
  if (cmd === "erase") {
    flash.files[f[1]] = undefined as unknown as string;
    return "ok";
  }
  if (cmd === "power") {
    flash.writesLeft = tonumber(f[1]) as number;
    return "ok";
  }
  if (cmd === "ioerr") {
    flash.appendsLeft = tonumber(f[1]) as number;
    return "ok";
  }
  if (cmd === "logs") {
    const out = jsonEncode(jarr(logs) as unknown as JsonObject);
    logs = [];
    return out;
  }
  return "ERR\tunknown command " + cmd;
}
