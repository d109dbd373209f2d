// The HAL's storage on NodeMCU ESP32's SPIFFS: file contents through the standard io library, metadata
// through the file module (dev-esp32 moved contents to io; there is no os library).
//
// NodeMCU mounts SPIFFS with an empty base path (components/base_nodemcu/user_main.c), so a plain name
// is a file in it. SPIFFS is flat with names of at most 31 bytes (CONFIG_NODEMCU_FS_OBJ_NAME_LEN) and
// cannot rename onto an existing name (SPIFFS_ERR_CONFLICTING_NAME). So:
// - a key maps to a file name one to one: bytes [A-Za-z0-9._-] stay, any other byte is "%XX"; the
//   record's temporary file is that name + "~" ("~" is always escaped, so no key maps to it). A key
//   whose name is over 30 bytes is refused (the firmware's keys are a few bytes).
// - save writes "<length>\n<value>" to the temporary file and closes it (io's buffered write errors
//   show at close), removes the record and renames the temporary file onto the name. A power loss
//   before the remove leaves the old record; between remove and rename, the complete new one under the
//   temporary name, which load then takes (and finishes the rename); during the write of the very first
//   save, a torn temporary file whose length header does not match, which load ignores.
// - append opens in "ab", writes the parts one by one (never joined) and closes: a power loss keeps a
//   prefix, which the journal detects. read seeks and reads one window; size seeks to the end.

import type { NodeMcuEsp32 } from "./nodemcu-esp32";

declare const file: NodeMcuEsp32["file"];
declare const io: NodeMcuEsp32["io"];

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

/** The whole file, or undefined when it cannot be opened. */
function contents(name: string): string | undefined {
  const [f] = io.open(name, "rb");
  if (f === undefined) return undefined;
  const text = f.read("a");
  f.close();
  return text;
}

/** The value of a saved file's text, or undefined when its length header does not match (torn). */
function unframe(text: string): string | undefined {
  const [nl] = string.find(text, "\n", 1, true);
  if (nl === undefined) return undefined;
  const len = tonumber(string.sub(text, 1, nl - 1));
  if (len === undefined || len !== text.length - nl) return undefined;
  return string.sub(text, nl + 1);
}

function flashLoad(key: string): string | undefined {
  const name = fileName(key);
  if (name === undefined) return undefined;
  if (file.exists(name)) {
    const text = contents(name);
    return text !== undefined ? unframe(text) : undefined;
  }
  if (!file.exists(name + "~")) return undefined;
  const tmp = contents(name + "~");
  const value = tmp !== undefined ? unframe(tmp) : undefined;
  // The power went between remove and rename: the rename is finished now.
  if (value !== undefined) file.rename(name + "~", name);
  return value;
}

/** false when the key cannot be stored or the write failed (the old record then stays). */
function flashSave(key: string, value: string): boolean {
  const name = fileName(key);
  if (name === undefined) return false;
  const [f] = io.open(name + "~", "wb");
  if (f === undefined) return false;
  const [w] = f.write(string.format("%d", value.length) + "\n", value);
  const [c] = f.close();
  if (w === undefined || c === undefined) return false;
  if (file.exists(name)) file.remove(name);
  return file.rename(name + "~", name);
}

function flashErase(key: string): void {
  const name = fileName(key);
  if (name === undefined) return;
  if (file.exists(name)) file.remove(name);
  if (file.exists(name + "~")) file.remove(name + "~");
}

function flashAppend(key: string, parts: string[]): boolean {
  const name = fileName(key);
  if (name === undefined) return false;
  const [f] = io.open(name, "ab");
  if (f === undefined) return false;
  let ok = true;
  for (let i = 0; i < parts.length && ok; i++) {
    const [w] = f.write(parts[i]);
    ok = w !== undefined;
  }
  const [c] = f.close();
  return ok && c !== undefined;
}

function flashRead(key: string, offset: number, length: number): string | undefined {
  const name = fileName(key);
  if (name === undefined) return undefined;
  const [f] = io.open(name, "rb");
  if (f === undefined) return undefined;
  const [pos] = f.seek("set", offset);
  // At or past the end read() gives nil: the window is empty there.
  const s = pos !== undefined && length > 0 ? f.read(length) : undefined;
  f.close();
  return s !== undefined ? s : "";
}

function flashSize(key: string): number {
  const name = fileName(key);
  if (name === undefined) return 0;
  const [f] = io.open(name, "rb");
  if (f === undefined) return 0;
  const [n] = f.seek("end", 0);
  f.close();
  return n !== undefined ? n : 0;
}

export { fileName, flashLoad, flashSave, flashErase, flashAppend, flashRead, flashSize };
