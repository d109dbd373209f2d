// The HAL's storage on NodeMCU ESP32's SPIFFS: hal/lib/spiffs-store.ts (key to file name, records
// written to "<name>~" and renamed, the temporary file recovered at load) over this firmware's file
// calls: contents through the standard io library, metadata through the file module (dev-esp32 moved
// contents to io; there is no os library). NodeMCU mounts SPIFFS with an empty base path
// (components/base_nodemcu/user_main.c), so a plain name is a file in it; names of at most 31 bytes
// (CONFIG_NODEMCU_FS_OBJ_NAME_LEN). A record is written with one io write and closed (io's buffered
// write errors show at close); append opens in "ab", writes the parts one by one (never joined) and
// closes; read seeks and reads one window; size seeks to the end.

import type { NodeMcuEsp32 } from "./nodemcu-esp32";
import { fileName, SpiffsFiles, spiffsStore } from "../lib/spiffs-store";

declare const file: NodeMcuEsp32["file"];
declare const io: NodeMcuEsp32["io"];

/** The whole file; undefined when there is none, "" (no record) when it is there but cannot be opened. */
function contents(name: string): string | undefined {
  if (!file.exists(name)) return undefined;
  const [f] = io.open(name, "rb");
  if (f === undefined) return "";
  const text = f.read("a");
  f.close();
  return text !== undefined ? text : "";
}

function write(name: string, head: string, value: string): boolean {
  const [f] = io.open(name, "wb");
  if (f === undefined) return false;
  const [w] = f.write(head, value);
  const [c] = f.close();
  return w !== undefined && c !== undefined;
}

function append(name: string, parts: string[]): boolean {
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

function read(name: string, offset: number, length: number): string | undefined {
  const [f] = io.open(name, "rb");
  if (f === undefined) return undefined;
  const [pos] = f.seek("set", offset);
  // At or past the end read() gives nil: the window is empty there.
  const s = pos !== undefined && length > 0 ? f.read(length) : undefined;
  f.close();
  return s !== undefined ? s : "";
}

function size(name: string): number {
  const [f] = io.open(name, "rb");
  if (f === undefined) return 0;
  const [n] = f.seek("end", 0);
  f.close();
  return n !== undefined ? n : 0;
}

const FILES: SpiffsFiles = { file, contents, write, append, read, size };

/** The HAL's storage on this board (hal/lib/spiffs-store.ts over FILES). */
const FLASH = spiffsStore(FILES);

export { fileName, FLASH };
