// Base64 and hex for the emulated firmwares' encoders (NodeMCU's encoder module, LuatOS's
// crypto.base64_*), in Lua like the rest of the emulation; each board keeps its own answer to bad input.

import { idiv } from "../../firmware/arith";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX = "0123456789abcdef";

/** RFC 4648 base64 with padding. */
export function base64Encode(s: string): string {
  const out: string[] = [];
  for (let i = 1; i <= s.length; i = i + 3) {
    const a = string.byte(s, i) as number;
    const b = string.byte(s, i + 1);
    const c = string.byte(s, i + 2);
    const n = a * 65536 + (b !== undefined ? b : 0) * 256 + (c !== undefined ? c : 0);
    const d = [idiv(n, 262144), idiv(n, 4096) - idiv(n, 262144) * 64, idiv(n, 64) - idiv(n, 4096) * 64, n - idiv(n, 64) * 64];
    out[out.length] = string.sub(B64, d[0] + 1, d[0] + 1) + string.sub(B64, d[1] + 1, d[1] + 1);
    out[out.length] = b !== undefined ? string.sub(B64, d[2] + 1, d[2] + 1) : "=";
    out[out.length] = c !== undefined ? string.sub(B64, d[3] + 1, d[3] + 1) : "=";
  }
  return table.concat(out);
}

/** The bytes of base64 text up to its first "=", or undefined at a character outside the alphabet. */
export function base64Decode(s: string): string | undefined {
  const out: string[] = [];
  let n = 0;
  let bits = 0;
  for (let i = 1; i <= s.length; i++) {
    const c = string.sub(s, i, i);
    if (c === "=") break;
    const [at] = string.find(B64, c, 1, true);
    if (at === undefined) return undefined;
    n = n * 64 + at - 1;
    bits = bits + 6;
    if (bits >= 8) {
      bits = bits - 8;
      const div = bits === 0 ? 1 : bits === 2 ? 4 : 16;
      const byte = idiv(n, div);
      out[out.length] = string.char(byte);
      n = n - byte * div;
    }
  }
  return table.concat(out);
}

/** Lowercase hex, two digits a byte. */
export function hexEncode(s: string): string {
  const out: string[] = [];
  for (let i = 1; i <= s.length; i++) {
    const c = string.byte(s, i) as number;
    const h = idiv(c, 16);
    out[out.length] = string.sub(HEX, h + 1, h + 1) + string.sub(HEX, c - h * 16 + 1, c - h * 16 + 1);
  }
  return table.concat(out);
}

/** The bytes of hex text (either case; an odd last digit ignored), or undefined at a non-hex digit. */
export function hexDecode(s: string): string | undefined {
  const out: string[] = [];
  for (let i = 1; i + 1 <= s.length; i = i + 2) {
    const [hi] = string.find(HEX, string.lower(string.sub(s, i, i)), 1, true);
    const [lo] = string.find(HEX, string.lower(string.sub(s, i + 1, i + 1)), 1, true);
    if (hi === undefined || lo === undefined) return undefined;
    out[out.length] = string.char((hi - 1) * 16 + lo - 1);
  }
  return table.concat(out);
}
