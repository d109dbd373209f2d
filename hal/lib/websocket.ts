// RFC 6455 WebSocket frames as byte strings: the header of a frame (§5.2) read and written, payloads
// masked (§5.3), and a whole-frame parse/generate pair built on them. Pure functions, no IO, no state.
//
// No bitwise operators (Lua 5.1 has none): header bits are read and written with arithmetic on bytes,
// and the mask's XOR goes through a 16 x 16 nibble table held as one 256-byte string. Every number stays
// below 2^31, and nothing above 2^24 passes through a float: a length in the 64-bit form is taken only
// when its upper 33 bits are zero, as a sum of integer products.

import { idiv } from "../../firmware/arith";
import { xor8 } from "./xor";

/** Opcodes (§5.2). */
export const WS_CONT = 0;
export const WS_TEXT = 1;
export const WS_BINARY = 2;
export const WS_CLOSE = 8;
export const WS_PING = 9;
export const WS_PONG = 10;

/** Longest payload a control frame may have (§5.5). */
export const WS_MAX_CONTROL = 125;

/** The bits of a frame's first byte: FIN, RSV1-3 (0..7) and the opcode. */
function wsBits(b0: number): LuaMultiReturn<[boolean, number, number]> {
  // float: a byte.
  const hi = math.floor(b0 / 16);
  // nonneg: a byte and its upper nibble.
  return $multi(b0 >= 128, hi % 8, b0 - hi * 16);
}

/**
 * The header of the frame at s[at..]: its size in bytes (0: not all there yet), its first byte, whether
 * it is masked (then its 4-byte key ends the header) and its payload length; -1 for a length of 2^31 or
 * more, or one in the 64-bit form with its most significant bit set (§5.2: it must be 0).
 */
function wsHeader(s: string, at: number): LuaMultiReturn<[number, number, boolean, number]> {
  const b0 = string.byte(s, at);
  const b1 = string.byte(s, at + 1);
  if (b0 === undefined || b1 === undefined) return $multi(0, 0, false, 0);
  const masked = b1 >= 128;
  let len = masked ? b1 - 128 : b1;
  let size = 2;
  if (len === 126) size = 4;
  else if (len === 127) size = 10;
  const full = size + (masked ? 4 : 0);
  if (string.byte(s, at + full - 1) === undefined) return $multi(0, b0, masked, 0);
  if (len === 126) len = (string.byte(s, at + 2) as number) * 256 + (string.byte(s, at + 3) as number);
  else if (len === 127) {
    len = 0;
    for (let i = 2; i < 10; i++) {
      const b = string.byte(s, at + i) as number;
      // Bytes 2..5 and the top bit of byte 6 would put it at 2^31 or above: too long for any VM here.
      if ((i < 6 && b !== 0) || (i === 6 && b >= 128)) len = -1;
      else if (len >= 0) len = len * 256 + b;
    }
  }
  return $multi(full, b0, masked, len);
}

/**
 * Bytes of s XOR the 4-byte key, the first byte of s at position off (0..3) of the key, as a masked
 * payload continuing at that offset. s itself when key is "" (no mask). Built 4 bytes at a time and
 * joined in blocks of 256 bytes, so the pieces alive at once stay few.
 */
function wsMask(s: string, key: string, off: number): string {
  if (key === "") return s;
  // nonneg: off is 0..3.
  const k0 = string.byte(key, (off % 4) + 1) as number;
  // nonneg: as above.
  const k1 = string.byte(key, ((off + 1) % 4) + 1) as number;
  // nonneg: as above.
  const k2 = string.byte(key, ((off + 2) % 4) + 1) as number;
  // nonneg: as above.
  const k3 = string.byte(key, ((off + 3) % 4) + 1) as number;
  const n = s.length;
  const blocks: string[] = [];
  let quads: string[] = [];
  let i = 1;
  while (i + 3 <= n) {
    quads[quads.length] = string.char(
      xor8(string.byte(s, i) as number, k0), xor8(string.byte(s, i + 1) as number, k1),
      xor8(string.byte(s, i + 2) as number, k2), xor8(string.byte(s, i + 3) as number, k3),
    );
    i = i + 4;
    if (quads.length === 64) {
      blocks[blocks.length] = table.concat(quads);
      quads = [];
    }
  }
  if (i <= n) quads[quads.length] = string.char(xor8(string.byte(s, i) as number, k0));
  if (i + 1 <= n) quads[quads.length] = string.char(xor8(string.byte(s, i + 1) as number, k1));
  if (i + 2 <= n) quads[quads.length] = string.char(xor8(string.byte(s, i + 2) as number, k2));
  blocks[blocks.length] = table.concat(quads);
  return blocks.length === 1 ? blocks[0] : table.concat(blocks);
}

/**
 * The header of a frame: FIN, opcode, payload length (0 .. 2^31 - 1) and the 4-byte masking key, or ""
 * for an unmasked frame (a server's). The shortest length form is used (§5.2).
 */
function wsFrameHeader(fin: boolean, opcode: number, len: number, key: string): string {
  const b0 = (fin ? 128 : 0) + opcode;
  const m = key !== "" ? 128 : 0;
  let h: string;
  if (len < 126) h = string.char(b0, m + len);
  else if (len < 65536) {
    const hi = idiv(len, 256);
    h = string.char(b0, m + 126, hi, len - hi * 256);
  } else {
    const b1 = idiv(len, 16777216);
    const r1 = len - b1 * 16777216;
    const b2 = idiv(r1, 65536);
    const r2 = r1 - b2 * 65536;
    const b3 = idiv(r2, 256);
    h = string.char(b0, m + 127, 0, 0, 0, 0, b1, b2, b3, r2 - b3 * 256);
  }
  return key !== "" ? h + key : h;
}

/** One whole frame whose payload is the parts in order: the header, then each part masked with key ("" unmasked). */
function wsFrame(fin: boolean, opcode: number, parts: string[], key: string): string[] {
  let len = 0;
  for (let i = 0; i < parts.length; i++) len = len + parts[i].length;
  const out = [wsFrameHeader(fin, opcode, len, key)];
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    // nonneg: a position in the payload.
    out[out.length] = wsMask(parts[i], key, pos % 4);
    pos = pos + parts[i].length;
  }
  return out;
}

/** A frame read by wsParse: its payload unmasked. */
export interface WsFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: string;
}

/**
 * The whole frame at s[at..] and its size in bytes; [undefined, 0] while it is not all there, and
 * [undefined, -1] when its payload is longer than maxLen (the frame need not be there: the header says
 * it). Opcodes, reserved bits and masking are the caller's to judge.
 */
function wsParse(s: string, at: number, maxLen: number): LuaMultiReturn<[WsFrame | undefined, number]> {
  const [size, b0, masked, len] = wsHeader(s, at);
  if (size === 0) return $multi(undefined, 0);
  if (len < 0 || len > maxLen) return $multi(undefined, -1);
  if (s.length - (at + size - 1) < len) return $multi(undefined, 0);
  const [fin, rsv, opcode] = wsBits(b0);
  const key = masked ? string.sub(s, at + size - 4, at + size - 1) : "";
  const payload = wsMask(string.sub(s, at + size, at + size + len - 1), key, 0);
  return $multi({ fin, rsv, opcode, masked, payload }, size + len);
}

export { wsBits, wsHeader, wsMask, wsFrameHeader, wsFrame, wsParse };
