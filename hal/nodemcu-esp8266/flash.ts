// The HAL's storage on NodeMCU's SPIFFS through the `file` module.
//
// SPIFFS is flat with names of at most 31 bytes, and cannot rename onto an existing name
// (SPIFFS_ERR_CONFLICTING_NAME). So:
// - a key maps to a file name one to one: bytes [A-Za-z0-9._-] stay, any other byte is "%XX"; the
//   record's temporary file is that name + "~" ("~" is always escaped, so no key maps to it). A key
//   whose name is over 30 bytes is refused (logged; the firmware's keys are a few bytes).
// - save writes "<length>\n<value>" to the temporary file, closes it, removes the record and
//   renames the temporary file onto the name. A power loss before the remove leaves the old record;
//   between remove and rename, the complete new one under the temporary name, which load then takes
//   (and finishes the rename); during the write of the very first save, a torn temporary file whose
//   length header does not match, which load ignores.
// - append opens in "a+", writes the parts one by one (never joined) and closes: a power loss keeps
//   a prefix, which the journal detects. read seeks and reads a window in chunks of at most 1024
//   bytes (file.read(n) allocates 2n of heap).

import type { NodeMcuEsp8266 } from "./nodemcu";

declare const file: NodeMcuEsp8266["file"];

/** Longest name a key may map to: "~" must still fit in SPIFFS's 31 bytes. */
const MAX_NAME = 30;
/** The largest read file.read is given at once. */
const CHUNK = 1024;

/** The file name of a key, or undefined when it would be too long. */
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

function flashLoad(key: string): string | undefined {
  const name = fileName(key);
  if (name === undefined) return undefined;
  const text = file.getcontents(name);
  if (text !== undefined) return unframe(text);
  const tmp = file.getcontents(name + "~");
  if (tmp === undefined) return undefined;
  const value = unframe(tmp);
  // The power went between remove and rename: the rename is finished now.
  if (value !== undefined) file.rename(name + "~", name);
  return value;
}

/** false when the key cannot be stored or the write failed. */
function flashSave(key: string, value: string): boolean {
  const name = fileName(key);
  if (name === undefined) return false;
  const f = file.open(name + "~", "w");
  if (f === undefined) return false;
  const ok = f.write(string.format("%d", value.length) + "\n") !== undefined && f.write(value) !== undefined;
  f.close();
  if (!ok) return false;
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
  const f = file.open(name, "a+");
  if (f === undefined) return false;
  let ok = true;
  for (let i = 0; i < parts.length && ok; i++) ok = f.write(parts[i]) !== undefined;
  f.close();
  return ok;
}

function flashRead(key: string, offset: number, length: number): string | undefined {
  const name = fileName(key);
  if (name === undefined) return undefined;
  const f = file.open(name, "r");
  if (f === undefined) return undefined;
  const out: string[] = [];
  if (f.seek("set", offset) !== undefined) {
    let left = length;
    while (left > 0) {
      const s = f.read(left > CHUNK ? CHUNK : left);
      if (s === undefined) break;
      out[out.length] = s;
      left = left - s.length;
    }
  }
  f.close();
  return out.length === 1 ? out[0] : table.concat(out);
}

function flashSize(key: string): number {
  const name = fileName(key);
  if (name === undefined) return 0;
  const f = file.open(name, "r");
  if (f === undefined) return 0;
  const n = f.seek("end", 0);
  f.close();
  return n !== undefined ? n : 0;
}

export { fileName, flashLoad, flashSave, flashErase, flashAppend, flashRead, flashSize };
