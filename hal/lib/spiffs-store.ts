// The HAL's storage (load/save/erase/append/read/size) on a SPIFFS file system, for the NodeMCU ports:
// the logic both share, over the file calls each firmware gives (SpiffsFiles: NodeMCU ESP8266's `file`
// module, NodeMCU ESP32's `io` for contents and `file` for metadata).
//
// SPIFFS is flat with names of at most 31 bytes, and cannot rename onto an existing name
// (SPIFFS_ERR_CONFLICTING_NAME). So:
// - a key maps to a file name one to one: bytes [A-Za-z0-9._-] stay, any other byte is "%XX"; the
//   record's temporary file is that name + "~" ("~" is always escaped, so no key maps to it). A key
//   whose name is over 30 bytes is refused (the firmware's keys are a few bytes).
// - save writes "<length>\n<value>" to the temporary file (SpiffsFiles.write: written and closed),
//   removes the record and renames the temporary file onto the name. A power loss before the remove
//   leaves the old record; between remove and rename, the complete new one under the temporary name,
//   which load then takes (and finishes the rename); during the write of the very first save, a torn
//   temporary file whose length header does not match, which load ignores.
// - append, read and size are the firmware's own (SpiffsFiles), on the key's file name: append writes
//   the parts one by one (never joined) and closes, so a power loss keeps a prefix, which the journal
//   detects; read seeks and reads a window; size seeks to the end.

/**
 * The metadata calls both firmwares' `file` module has (NodeMCU ESP8266 and ESP32 alike): the port
 * passes that module.
 * @noSelf
 */
export interface SpiffsMeta {
  exists(name: string): boolean;
  remove(name: string): void;
  /** false when the rename failed (on SPIFFS: onto an existing name). */
  rename(oldName: string, newName: string): boolean;
}

/** The file calls of one firmware, by file name. Plain functions (no self); none may raise. */
export interface SpiffsFiles {
  /** The firmware's `file` module. */
  file: SpiffsMeta;
  /** The whole file; undefined when there is none; a text without a valid length header ("") when it is there but unreadable. */
  contents: (this: void, name: string) => string | undefined;
  /** Replaces the file with head then value, and closes it; false when any of it failed. */
  write: (this: void, name: string, head: string, value: string) => boolean;
  /** Appends the parts one by one (creating the file) and closes it; false when any of it failed. */
  append: (this: void, name: string, parts: string[]) => boolean;
  /** Bytes [offset, offset + length) ("" at or past the end), or undefined when the file cannot be opened. */
  read: (this: void, name: string, offset: number, length: number) => string | undefined;
  /** Length in bytes, 0 when there is no such file. */
  size: (this: void, name: string) => number;
}

/** Longest name a key may map to: "~" must still fit in SPIFFS's 31 bytes. */
const MAX_NAME = 30;

/** The file name of a key, or undefined when it would be too long (or empty). */
function fileName(key: string): string | undefined {
  const out: string[] = [];
  let n = 0;
  for (let i = 1; i <= key.length; i++) {
    const c = string.byte(key, i) as number;
    const keep = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 45;
    const s = keep ? string.char(c) : "%" + string.format("%02X", c);
    out[out.length] = s;
    n = n + s.length;
  }
  return n > 0 && n <= MAX_NAME ? table.concat(out) : undefined;
}

/** The value of a saved file's text, or undefined when its length header does not match (torn). */
function unframe(text: string): string | undefined {
  const [nl] = string.find(text, "\n", 1, true);
  if (nl === undefined) return undefined;
  const len = tonumber(string.sub(text, 1, nl - 1));
  if (len === undefined || len !== text.length - nl) return undefined;
  return string.sub(text, nl + 1);
}

/** The HAL's storage calls on one firmware's files (load/save/erase/append/read/size of hal/hal.ts, save with its result). */
export interface SpiffsStore {
  load: (this: void, key: string) => string | undefined;
  /** false when the key cannot be stored or the write failed (the old record then stays). */
  save: (this: void, key: string, value: string) => boolean;
  erase: (this: void, key: string) => void;
  append: (this: void, key: string, parts: string[]) => boolean;
  read: (this: void, key: string, offset: number, length: number) => string | undefined;
  size: (this: void, key: string) => number;
}

function load(fs: SpiffsFiles, key: string): string | undefined {
  const name = fileName(key);
  if (name === undefined) return undefined;
  const text = fs.contents(name);
  if (text !== undefined) return unframe(text);
  const tmp = fs.contents(name + "~");
  if (tmp === undefined) return undefined;
  const value = unframe(tmp);
  // The power went between remove and rename: the rename is finished now.
  if (value !== undefined) fs.file.rename(name + "~", name);
  return value;
}

function save(fs: SpiffsFiles, key: string, value: string): boolean {
  const name = fileName(key);
  if (name === undefined) return false;
  if (!fs.write(name + "~", string.format("%d", value.length) + "\n", value)) return false;
  if (fs.file.exists(name)) fs.file.remove(name);
  return fs.file.rename(name + "~", name);
}

function erase(fs: SpiffsFiles, key: string): void {
  const name = fileName(key);
  if (name === undefined) return;
  if (fs.file.exists(name)) fs.file.remove(name);
  if (fs.file.exists(name + "~")) fs.file.remove(name + "~");
}

/** The storage calls over fs (made once, at the port's load). */
function spiffsStore(fs: SpiffsFiles): SpiffsStore {
  return {
    load: (key) => load(fs, key),
    save: (key, value) => save(fs, key, value),
    erase: (key) => erase(fs, key),
    append: (key, parts) => {
      const name = fileName(key);
      return name !== undefined ? fs.append(name, parts) : false;
    },
    read: (key, offset, length) => {
      const name = fileName(key);
      return name !== undefined ? fs.read(name, offset, length) : undefined;
    },
    size: (key) => {
      const name = fileName(key);
      return name !== undefined ? fs.size(name) : 0;
    },
  };
}

export { fileName, spiffsStore };
