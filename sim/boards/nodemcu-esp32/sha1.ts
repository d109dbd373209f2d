// SHA-1 (FIPS 180-4 §6.1) in the subset, for the emulated crypto.new_hash("SHA1") of NodeMCU ESP32:
// it runs in the port's own VM (32-bit integers, single floats), where no bitwise operator exists.
// A 32-bit word is two 16-bit halves (high, low); XOR goes byte by byte through a 64 KB table
// (sha1Tables builds it: the emulation does at power-up, before virtual time runs), AND is
// (a + b - (a XOR b)) / 2; sums carry from the low half; every value stays below 2^31 and
// every division is by a power of two of a value below 2^24, so all of it is exact on every VM.
// Only the functions SHA-1 needs: Ch = d ^ (b & (c ^ d)), Parity = b ^ c ^ d,
// Maj = (b & c) + (d & (b ^ c)) (the two terms share no bit, so + is OR).

import { xor8 } from "../../../hal/lib/xor";

let xorTable: string | undefined;

/** a XOR b for all bytes: the byte at a * 256 + b + 1. */
function getXor(): string {
  if (xorTable !== undefined) return xorTable;
  const rows: string[] = [];
  for (let a = 0; a < 256; a++) {
    const row: string[] = [];
    for (let b = 0; b < 256; b++) row[row.length] = string.char(xor8(a, b));
    rows[rows.length] = table.concat(row);
  }
  xorTable = table.concat(rows);
  return xorTable;
}

/** a XOR b of 16-bit values. */
function x16(t: string, a: number, b: number): number {
  // float: 16-bit values divided by 256: exact.
  const ah = math.floor(a / 256);
  // float: as above.
  const bh = math.floor(b / 256);
  return (string.byte(t, ah * 256 + bh + 1) as number) * 256 + (string.byte(t, (a - ah * 256) * 256 + (b - bh * 256) + 1) as number);
}

/** a AND b of 16-bit values: a + b = (a XOR b) + 2 (a AND b). */
function a16(t: string, a: number, b: number): number {
  // float: an even number below 2^17 halved: exact.
  return math.floor((a + b - x16(t, a, b)) / 2);
}

/** Rotates the word (hi, lo) left by n (1..15): [hi, lo]. */
function rotl(hi: number, lo: number, n: number): LuaMultiReturn<[number, number]> {
  const p = n === 1 ? 2 : n === 5 ? 32 : 16384;
  // float: powers of two and 16-bit halves divided by them: exact.
  const q = 65536 / p;
  // nonneg: halves and powers of two; hi * p < 2^31.
  const nh = ((hi * p) % 65536) + math.floor(lo / q);
  // nonneg: as above.
  const nl = ((lo * p) % 65536) + math.floor(hi / q);
  return $multi(nh, nl);
}

/** The 20-byte digest of s. */
function sha1(s: string): string {
  const t = getXor();
  const bits = s.length * 8;
  // Padding: 0x80, zeros to 56 mod 64, the length in bits as 8 bytes (below 2^31 here).
  // nonneg: a length.
  const padLen = 64 - ((s.length + 9) % 64 === 0 ? 64 : (s.length + 9) % 64);
  // float: bits below 2^31 divided by powers of two for its bytes. nonneg: so are the remainders.
  const lenBytes = string.char(0, 0, 0, 0, math.floor(bits / 16777216) % 256, math.floor(bits / 65536) % 256, math.floor(bits / 256) % 256, bits % 256);
  const m = s + string.char(128) + string.rep(string.char(0), padLen) + lenBytes;
  // h0..h4 as halves: [h0 hi, h0 lo, h1 hi, …].
  const h = [0x6745, 0x2301, 0xefcd, 0xab89, 0x98ba, 0xdcfe, 0x1032, 0x5476, 0xc3d2, 0xe1f0];
  const w: number[] = [];
  for (let at = 1; at <= m.length; at = at + 64) {
    for (let i = 0; i < 16; i++) {
      const o = at + i * 4;
      w[i * 2] = (string.byte(m, o) as number) * 256 + (string.byte(m, o + 1) as number);
      w[i * 2 + 1] = (string.byte(m, o + 2) as number) * 256 + (string.byte(m, o + 3) as number);
    }
    for (let i = 16; i < 80; i++) {
      const xh = x16(t, x16(t, w[(i - 3) * 2], w[(i - 8) * 2]), x16(t, w[(i - 14) * 2], w[(i - 16) * 2]));
      const xl = x16(t, x16(t, w[(i - 3) * 2 + 1], w[(i - 8) * 2 + 1]), x16(t, w[(i - 14) * 2 + 1], w[(i - 16) * 2 + 1]));
      const [rh, rl] = rotl(xh, xl, 1);
      w[i * 2] = rh;
      w[i * 2 + 1] = rl;
    }
    let ah = h[0];
    let al = h[1];
    let bh = h[2];
    let bl = h[3];
    let ch = h[4];
    let cl = h[5];
    let dh = h[6];
    let dl = h[7];
    let eh = h[8];
    let el = h[9];
    for (let i = 0; i < 80; i++) {
      let fh = 0;
      let fl = 0;
      let kh = 0;
      let kl = 0;
      if (i < 20) {
        fh = x16(t, dh, a16(t, bh, x16(t, ch, dh)));
        fl = x16(t, dl, a16(t, bl, x16(t, cl, dl)));
        kh = 0x5a82;
        kl = 0x7999;
      } else if (i < 40 || i >= 60) {
        fh = x16(t, x16(t, bh, ch), dh);
        fl = x16(t, x16(t, bl, cl), dl);
        kh = i < 40 ? 0x6ed9 : 0xca62;
        kl = i < 40 ? 0xeba1 : 0xc1d6;
      } else {
        fh = a16(t, bh, ch) + a16(t, dh, x16(t, bh, ch));
        fl = a16(t, bl, cl) + a16(t, dl, x16(t, bl, cl));
        kh = 0x8f1b;
        kl = 0xbcdc;
      }
      const [rh, rl] = rotl(ah, al, 5);
      const lo = rl + fl + el + kl + w[i * 2 + 1];
      // float: a sum below 2^19 divided by 2^16.
      const carry = math.floor(lo / 65536);
      // nonneg: sums of halves.
      const th = (rh + fh + eh + kh + w[i * 2] + carry) % 65536;
      eh = dh;
      el = dl;
      dh = ch;
      dl = cl;
      // ROTL 30 = the halves swapped, then ROTL 14.
      const [c30h, c30l] = rotl(bl, bh, 14);
      ch = c30h;
      cl = c30l;
      bh = ah;
      bl = al;
      ah = th;
      al = lo - carry * 65536;
    }
    const v = [ah, al, bh, bl, ch, cl, dh, dl, eh, el];
    for (let k = 0; k < 10; k = k + 2) {
      const lo = h[k + 1] + v[k + 1];
      // float: a sum below 2^17 divided by 2^16.
      const carry = math.floor(lo / 65536);
      // nonneg: sums of halves.
      h[k] = (h[k] + v[k] + carry) % 65536;
      h[k + 1] = lo - carry * 65536;
    }
  }
  const out: string[] = [];
  // float: 16-bit halves divided by 256. nonneg: halves.
  for (let k = 0; k < 10; k++) out[out.length] = string.char(math.floor(h[k] / 256), h[k] % 256);
  return table.concat(out);
}

export { sha1, getXor as sha1Tables };
