// The HAL's storage on NodeMCU's SPIFFS through the `file` module: hal/lib/spiffs-store.ts (key to
// file name, records written to "<name>~" and renamed, the temporary file recovered at load) over
// this firmware's file calls. append opens in "a+", writes the parts one by one (never joined) and
// closes; read seeks and reads a window in chunks of at most 1024 bytes (file.read(n) allocates 2n
// of heap); size seeks to the end.

import type { NodeMcuEsp8266 } from "./nodemcu";
import { fileName, SpiffsFiles, spiffsStore } from "../lib/spiffs-store";

declare const file: NodeMcuEsp8266["file"];

/** The largest read file.read is given at once. */
const CHUNK = 1024;

function write(name: string, head: string, value: string): boolean {
  const f = file.open(name, "w");
  if (f === undefined) return false;
  const ok = f.write(head) !== undefined && f.write(value) !== undefined;
  f.close();
  return ok;
}

function append(name: string, parts: string[]): boolean {
  const f = file.open(name, "a+");
  if (f === undefined) return false;
  let ok = true;
  for (let i = 0; i < parts.length && ok; i++) ok = f.write(parts[i]) !== undefined;
  f.close();
  return ok;
}

function read(name: string, offset: number, length: number): string | undefined {
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

function size(name: string): number {
  const f = file.open(name, "r");
  if (f === undefined) return 0;
  const n = f.seek("end", 0);
  f.close();
  return n !== undefined ? n : 0;
}

const FILES: SpiffsFiles = { file, contents: (name) => file.getcontents(name), write, append, read, size };

/** The HAL's storage on this board (hal/lib/spiffs-store.ts over FILES). */
const FLASH = spiffsStore(FILES);

export { fileName, FLASH };
