// Byte XOR without bitwise operators (Lua 5.1 has none, and the subset allows none): a 256-byte table
// of nibble XORs, built once at load. Shared by the WebSocket masking and the Modbus CRC.

import { idiv } from "../../firmware/arith";

/** x XOR y for x, y in 0..15, at byte x * 16 + y + 1. */
function nibbleTable(): string {
  const out: string[] = [];
  for (let x = 0; x < 16; x++) {
    for (let y = 0; y < 16; y++) {
      let r = 0;
      let bit = 1;
      let a = x;
      let b = y;
      for (let k = 0; k < 4; k++) {
        // nonneg: a and b are nibbles, shifted down.
        if (a % 2 !== b % 2) r = r + bit;
        a = idiv(a, 2);
        b = idiv(b, 2);
        bit = bit * 2;
      }
      out[out.length] = string.char(r);
    }
  }
  return table.concat(out);
}

const XT = nibbleTable();

/** a XOR b for two bytes. */
export function xor8(a: number, b: number): number {
  // float: bytes, far below 2^24.
  const ah = math.floor(a / 16);
  // float: as above.
  const bh = math.floor(b / 16);
  return (string.byte(XT, ah * 16 + bh + 1) as number) * 16 + (string.byte(XT, (a - ah * 16) * 16 + (b - bh * 16) + 1) as number);
}
