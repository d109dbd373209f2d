// Modbus RTU master codec (Modbus over Serial Line V1.02, Modbus Application Protocol V1.1b3), for a
// board's energy meter on a UART: requests for 0x03 Read Holding Registers and 0x04 Read Input
// Registers, responses read and checked (CRC, slave address, function, byte count, exception
// responses), and register values decoded to the scaled integers the HAL's MeterReading holds.
// Pure functions on byte strings, no IO, no state.
//
// CRC-16/MODBUS: polynomial 0xA001 (0x8005 reflected), initial value 0xFFFF, no final XOR, sent low
// byte first. No bitwise operators (Lua 5.1 has none): the CRC runs on its two bytes apart through
// 256-entry tables built at load time, XOR through a 16 x 16 nibble table; each is one 256-byte string.
//
// Numbers: every intermediate is an integer below 2^31 and nothing above 2^24 goes through a float
// (idiv/imod), so the results are exact on every VM, the single-float one included. A 32-bit IEEE-754
// float register is decoded from its sign, exponent and 24-bit mantissa with integer steps:
// round(mantissa * 2^(exponent - 150) * 10^dec), half away from zero. The result is the exactly
// rounded value of the float the meter sent; the float itself holds 24 bits of mantissa, so a reading
// is exact only to about 1 part in 2^24 (1.7e7) at the source: an energy register in kWh above
// 16777.216 kWh has steps of at least 1 Wh after scaling, above 131072 kWh of 8 Wh, and so on.

import { idiv } from "../../firmware/arith";
import { xor8 } from "./xor";

/** Function codes read here. */
export const MB_READ_HOLDING = 3;
export const MB_READ_INPUT = 4;

/** mbParse results: not all there yet; a good response; an exception response (code: the exception code). */
export const MB_MORE = 0;
export const MB_OK = 1;
export const MB_EXCEPTION = 2;
/** Refusals: another slave's address; another function; a byte count other than 2 * count; CRC wrong. */
export const MB_BAD_ADDRESS = -1;
export const MB_BAD_FUNCTION = -2;
export const MB_BAD_COUNT = -3;
export const MB_BAD_CRC = -4;

/** Most registers one read may ask for (§6.3, §6.4: 125, so a response is at most 255 bytes). */
export const MB_MAX_REGS = 125;

/** The CRC of the byte i alone from a zero register, as its low and high bytes: [low table, high table]. */
function crcTables(): LuaMultiReturn<[string, string]> {
  const los: string[] = [];
  const his: string[] = [];
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      // nonneg: bytes.
      const odd = lo % 2 === 1;
      // nonneg: as above.
      lo = idiv(lo, 2) + (hi % 2) * 128;
      hi = idiv(hi, 2);
      if (odd) {
        lo = xor8(lo, 0x01);
        hi = xor8(hi, 0xa0);
      }
    }
    los[los.length] = string.char(lo);
    his[his.length] = string.char(hi);
  }
  return $multi(table.concat(los), table.concat(his));
}

const [TLO, THI] = crcTables();

/** CRC-16/MODBUS of s[from..to] (1-based, inclusive) as the two bytes sent after it: low byte first. */
function mbCrc(s: string, from: number, to: number): string {
  let lo = 0xff;
  let hi = 0xff;
  for (let i = from; i <= to; i++) {
    const x = xor8(lo, string.byte(s, i) as number) + 1;
    lo = xor8(hi, string.byte(TLO, x) as number);
    hi = string.byte(THI, x) as number;
  }
  return string.char(lo, hi);
}

/**
 * The request frame reading count registers from addr with function fn (3 or 4) of slave 1..247,
 * CRC included; undefined for anything out of range (count 1..125, addr + count within 0..65536).
 */
function mbRequest(slave: number, fn: number, addr: number, count: number): string | undefined {
  if (slave < 1 || slave > 247 || (fn !== MB_READ_HOLDING && fn !== MB_READ_INPUT)) return undefined;
  if (count < 1 || count > MB_MAX_REGS || addr < 0 || addr + count > 65536) return undefined;
  const ah = idiv(addr, 256);
  const pdu = string.char(slave, fn, ah, addr - ah * 256, 0, count);
  return pdu + mbCrc(pdu, 1, 6);
}

/** Length of the good response to a read of count registers: address, function, byte count, data, CRC. */
function mbResponseSize(count: number): number {
  return 5 + 2 * count;
}

/**
 * The response at s[at..] to a read of count registers with function fn from slave: [result, size,
 * code]. MB_MORE while not all there (size 0); MB_OK for a good response of size bytes, its data at
 * s[at + 3 .. at + size - 3]; MB_EXCEPTION for an exception response (function + 0x80) of 5 bytes, code
 * its exception code; a refusal (MB_BAD_*) as soon as the bytes show it: the address, the function or
 * the byte count at once, the CRC once the frame is all there (size is then the frame's).
 */
function mbParse(s: string, at: number, slave: number, fn: number, count: number): LuaMultiReturn<[number, number, number]> {
  const b0 = string.byte(s, at);
  if (b0 === undefined) return $multi(MB_MORE, 0, 0);
  if (b0 !== slave) return $multi(MB_BAD_ADDRESS, 0, 0);
  const b1 = string.byte(s, at + 1);
  if (b1 === undefined) return $multi(MB_MORE, 0, 0);
  if (b1 !== fn && b1 !== fn + 128) return $multi(MB_BAD_FUNCTION, 0, 0);
  const b2 = string.byte(s, at + 2);
  if (b2 === undefined) return $multi(MB_MORE, 0, 0);
  const exc = b1 !== fn;
  if (!exc && b2 !== 2 * count) return $multi(MB_BAD_COUNT, 0, 0);
  const size = exc ? 5 : mbResponseSize(count);
  if (s.length - at + 1 < size) return $multi(MB_MORE, 0, 0);
  if (mbCrc(s, at, at + size - 3) !== string.sub(s, at + size - 2, at + size - 1)) return $multi(MB_BAD_CRC, size, 0);
  if (exc) return $multi(MB_EXCEPTION, size, b2);
  return $multi(MB_OK, size, 0);
}

/** 5^e for e in 0..4. */
const POW5 = [1, 5, 25, 125, 625];

/**
 * round(m * 2^s * 10^dec), half away from zero, negated when neg; undefined when its magnitude is
 * 2^31 or more. m is an integer 0 .. 2^31 - 1, dec -4..3, and m * 5^dec below 2^31 when dec > 0 (the
 * caller checks that for integers; a float's 24-bit mantissa times 125 is below it).
 */
function mbScale(neg: boolean, m: number, s: number, dec: number): number | undefined {
  // m * 10^dec * 2^s = (m * f) * 2^(s + dec) / g with f = 5^dec or g = 5^-dec.
  const p = dec > 0 ? m * POW5[dec] : m;
  const g = dec < 0 ? POW5[-dec] : 1;
  const sh = s + dec;
  let q: number;
  if (sh >= 0) {
    // Long division by g, then doublings carrying the remainder: q stays below 2^31.
    q = g > 1 ? idiv(p, g) : p;
    let r = p - q * g;
    for (let i = 0; i < sh; i++) {
      if (q >= 1073741824) return undefined;
      q = q * 2;
      r = r * 2;
      if (r >= g) {
        r = r - g;
        q = q + 1;
      }
    }
    if (2 * r >= g) {
      if (q >= 2147483647) return undefined;
      q = q + 1;
    }
  } else {
    // Divided by g * 2^t (t = -sh), d = g * 2^i of it kept below 2^30 (idiv's bound).
    const t = -sh;
    let d = g;
    let i = 0;
    while (i < t && d < 536870912) {
      d = d * 2;
      i = i + 1;
    }
    const j = t - i;
    if (j === 0) {
      q = idiv(p, d);
      const r = p - q * d;
      if (r >= d - r) q = q + 1;
    } else if (j === 1) {
      // d is 2^29 .. 2^30 - 1 and the divisor 2d: p / 2d is below 2, rounded.
      q = p - d >= 2 * d ? 2 : p >= d ? 1 : 0;
    } else if (j === 2) {
      // The divisor 4d is 2^31 or more: p / 4d below 1, at least a half for p >= 2d.
      q = p >= 2 * d ? 1 : 0;
    } else q = 0;
  }
  if (q === 0) return 0;
  return neg ? -q : q;
}

/**
 * The 32-bit IEEE-754 float in the 4 bytes a, b, c, d (most significant first) as round(value *
 * 10^dec); 0 for zeros and denormals; undefined for NaN, infinities and results of 2^31 or more.
 */
function mbFloat(a: number, b: number, c: number, d: number, dec: number): number | undefined {
  const neg = a >= 128;
  const hi7 = neg ? a - 128 : a;
  const bh = b >= 128 ? 1 : 0;
  const e = hi7 * 2 + bh;
  if (e === 255) return undefined;
  if (e === 0) return 0;
  const m = ((b - bh * 128) + 128) * 65536 + c * 256 + d;
  return mbScale(neg, m, e - 150, dec);
}

/**
 * The value of a register of type kind at s[at..] (its first register's high byte), as round(value *
 * 10^dec); undefined when it is not representable (NaN, infinity, 2^31 or more). Kinds: "f32" (two
 * registers, IEEE-754 single), "u32" / "s32" (two registers, unsigned / two's complement), "u16" /
 * "s16" (one register). swap: the two registers of a 32-bit value come low word first (Eastron: high
 * word first, swap false). dec is -4..3.
 */
function mbValue(s: string, at: number, kind: string, dec: number, swap: boolean): number | undefined {
  const w = swap && kind !== "u16" && kind !== "s16" ? 2 : 0;
  const a = string.byte(s, at + w) as number;
  const b = string.byte(s, at + w + 1) as number;
  if (kind === "u16" || kind === "s16") {
    const v = a * 256 + b;
    if (kind === "s16" && v >= 32768) return mbScale(true, 65536 - v, 0, dec);
    return mbScale(false, v, 0, dec);
  }
  const c = string.byte(s, at + 2 - w) as number;
  const d = string.byte(s, at + 3 - w) as number;
  if (kind === "f32") return mbFloat(a, b, c, d, dec);
  const lo = c * 256 + d;
  let neg = false;
  let hw = a * 256 + b;
  let lw = lo;
  if (kind === "s32" && hw >= 32768) {
    // Magnitude of a negative: 2^32 - v, as 65536 * (65535 - hw) + (65536 - lo).
    neg = true;
    hw = 65535 - hw;
    lw = 65536 - lo;
    if (lw === 65536) {
      lw = 0;
      hw = hw + 1;
    }
  }
  if (hw >= 32768) return undefined;
  const m = hw * 65536 + lw;
  if (dec > 0 && m > idiv(2147483647, POW5[dec])) return undefined;
  return mbScale(neg, m, 0, dec);
}

/** Registers a value of this kind takes: 2 for the 32-bit kinds, 1 for the 16-bit ones, 0 for an unknown kind. */
function mbRegs(kind: string): number {
  if (kind === "f32" || kind === "u32" || kind === "s32") return 2;
  return kind === "u16" || kind === "s16" ? 1 : 0;
}

export { mbCrc, mbRequest, mbResponseSize, mbParse, mbScale, mbFloat, mbValue, mbRegs };
