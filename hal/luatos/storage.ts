// The HAL's storage on LuatOS: records in fskv, the journal in files.
//
// Records (load/save/erase: the device-model store, the journal's pointer, counters) go to fskv, a
// key-value store in its own flash area that writes a key whole (a power loss leaves the old value or
// the new one) and levels wear. Its values hold at most 4095 B and its keys 63 B: a record longer than
// that (a large device-model store) goes to a file instead, written aside and renamed over the old
// one (LittleFS's lfs_rename, which LuatOS's os.rename reaches through its VFS, replaces the target in
// one step); on a file system that refuses to rename onto a file the old one is removed first, and a
// power loss between the two leaves only the file aside: a load takes it when the record itself is
// gone (a later save into fskv removes it). A load looks in fskv first, so the copy a save leaves
// behind it is removed after the new one is in place. Nothing is read through a fixed buffer: fskv
// values are at most 4095 B, a file record is read whole (io.readFile) and the journal in the window
// it asks for. The journal (append/read/size) is files: opened in append mode, the parts written one
// after the other and the file closed (a power loss leaves a prefix, which the journal detects and
// skips), read through a seek and a window, never whole.

import type { LuatOS } from "./luatos";
import { say } from "./say";

declare const fskv: LuatOS["fskv"];
declare const io: LuatOS["io"];
declare const os: LuatOS["os"];

/** fskv's largest value. */
const FSKV_MAX = 4095;
/** Files live flat in the root, one per key. */
const DIR = "/ocpp_";

function fileOf(key: string): string {
  return DIR + key;
}

function load(key: string): string | undefined {
  const v = fskv.get(key);
  if (type(v) === "string") return v as string;
  const path = fileOf(key);
  const f = io.readFile(path);
  // The file aside is whole once the old one was removed (saveFile writes it before): the newer record.
  return f !== undefined ? f : io.readFile(path + ".tmp");
}

/** Writes the file aside, then renames it over the old one: a power loss leaves the old or the new record. */
function saveFile(path: string, value: string): boolean {
  const tmp = path + ".tmp";
  if (!io.writeFile(tmp, value)) return false;
  const [ok] = os.rename(tmp, path);
  if (ok !== undefined) return true;
  // A file system that refuses to rename onto a file (SPIFFS does): the old one goes first.
  os.remove(path);
  const [again] = os.rename(tmp, path);
  return again !== undefined;
}

/** A record: in fskv (one key, written whole) when it fits, else in a file; the other copy removed after. */
function save(key: string, value: string): void {
  const path = fileOf(key);
  if (value.length <= FSKV_MAX && fskv.set(key, value)) {
    if (io.exists(path)) os.remove(path);
    // A file aside that a power loss left (load took it): the record is in fskv now.
    if (io.exists(path + ".tmp")) os.remove(path + ".tmp");
    return;
  }
  if (!saveFile(path, value)) {
    say(1, "save " + key + " failed");
    return;
  }
  fskv.del(key);
}

function erase(key: string): void {
  fskv.del(key);
  const path = fileOf(key);
  if (io.exists(path)) os.remove(path);
  if (io.exists(path + ".tmp")) os.remove(path + ".tmp");
}

/** Appends the parts one by one (never joined): a power loss leaves a prefix, which the journal detects. */
function append(key: string, parts: string[]): boolean {
  const [f] = io.open(fileOf(key), "ab");
  if (f === undefined) return false;
  let ok = true;
  for (let i = 0; i < parts.length && ok; i++) {
    const [w] = f.write(parts[i]);
    ok = w !== undefined;
  }
  const [closed] = f.close();
  return ok && closed !== undefined;
}

function read(key: string, offset: number, length: number): string | undefined {
  const [f] = io.open(fileOf(key), "rb");
  if (f === undefined) return undefined;
  let s: string | undefined;
  const [at] = f.seek("set", offset);
  if (at !== undefined && length > 0) s = f.read(length);
  f.close();
  return s !== undefined ? s : "";
}

function size(key: string): number {
  const n = io.fileSize(fileOf(key));
  return n !== undefined ? n : 0;
}

/** Once at power-up, before the first record is read. */
function storageStart(): void {
  if (!fskv.init()) say(1, "fskv.init failed: records cannot be kept");
}

export { storageStart, load, save, erase, append, read, size };
