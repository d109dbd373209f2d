// How much of NodeMCU's Lua Flash Store (LFS) an image and its port need: an estimate from their
// stripped Lua 5.1 bytecode, since the exact figure needs NodeMCU's luac.cross, which the build does
// not depend on.
//
// FLASHING.md has the LFS image built from the package's .lc files (build/nodemcu-bytecode.ts), the
// stripped bytecode: LFS then holds no line information, so it is about a tenth smaller than one built
// from the sources (whose line information luac.cross -f keeps even with -s: core image 225356 B from
// ocpp.lua, 203224 B from ocpp.lc). LFS holds the code in the firmware's in-memory layout (function
// prototype records, constants, 4-byte instructions and child pointers, each distinct string once), so
// the estimate counts those in the bytecode:
//   475 + 196.6 x prototypes + 4.46 x constants + 4 x (instructions + child prototypes) + string bytes
// (distinct strings over all chunks: one LFS image shares them). Fitted by hand against NodeMCU's
// luac.cross (dev ca8d008a, Lua 5.1, `luac.cross -f` on the .lc files, the "Image size" it prints),
// real / estimated bytes:
//   hal-sim 17160 / 18163;  hal-nodemcu-esp8266 40432 / 39093;  test-tx image 192020 / 191355;
//   core image 203224 / 204266;  full image 203528 / 204563;  core image + hal-sim 221852 / 221510;
//   core image + hal-nodemcu-esp8266 243100 / 242366.
// Within 0.6 % for an image with or without its port (the figure that matters), up to 6 % off for a
// port alone. The estimate adds 2 % and rounds up to the 4 KB flash sector (LFS sizes are multiples of
// 4096: luac.cross -m).
// NodeMCU's Lua 5.3 luac.cross -f prints no size (the image is a dump the device lays out while
// node.LFS.reload flashes it), so no estimate is made for lua5.3 builds.

/** The largest LFS the ESP8266 firmware offers: https://nodemcu.readthedocs.io/en/dev/lfs/ ("up to 256Kb"). */
export const ESP8266_LFS_MAX = 256 * 1024;

interface Counts {
  protos: number;
  /** Instructions and child-prototype pointers: 4 bytes each. */
  words: number;
  constants: number;
  strings: Set<string>;
}

/** Walks a stripped PUC Lua 5.1 dump (4-byte ints and sizes, 8-byte numbers: the build's). */
function count(dump: string, c: Counts): void {
  let at = 12;
  const int = () => {
    const v = (dump.charCodeAt(at) | (dump.charCodeAt(at + 1) << 8) | (dump.charCodeAt(at + 2) << 16) | (dump.charCodeAt(at + 3) << 24)) >>> 0;
    at += 4;
    return v;
  };
  const str = () => {
    const n = int();
    at += n;
    return n > 0 ? dump.slice(at - n, at - 1) : undefined;
  };
  const fn = (): void => {
    c.protos++;
    str();
    at += 12;
    const code = int();
    c.words += code;
    at += code * 4;
    const k = int();
    c.constants += k;
    for (let i = 0; i < k; i++) {
      const t = dump.charCodeAt(at++);
      if (t === 1) at += 1;
      else if (t === 3) at += 8;
      else if (t === 4) c.strings.add(str() as string);
    }
    const p = int();
    c.words += p;
    for (let i = 0; i < p; i++) fn();
    const lines = int(); // none when stripped
    at += lines * 4;
    for (let i = int(); i > 0; i--) {
      str();
      at += 8;
    }
    for (let i = int(); i > 0; i--) str();
  };
  fn();
}

/** Estimated LFS bytes for one LFS image holding these chunks (stripped Lua 5.1 bytecode). */
export function lfsEstimate(dumps: string[]): number {
  const c: Counts = { protos: 0, words: 0, constants: 0, strings: new Set() };
  for (const d of dumps) count(d, c);
  let stringBytes = 0;
  for (const s of c.strings) stringBytes += s.length;
  const bytes = (475 + 196.6 * c.protos + 4.46 * c.constants + 4 * c.words + stringBytes) * 1.02;
  return Math.ceil(bytes / 4096) * 4096;
}
