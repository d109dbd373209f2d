// RFC 3339 date-time <-> epoch seconds in integer arithmetic that stays within 32 bits.
//
// Civil-date conversion after H. Hinnant's days_from_civil; every intermediate is non-negative
// for years 1970..2099, so no `%` on negatives and no 64-bit products. Epoch seconds exceed 2^24,
// so they are split into days and seconds of the day by idiv, never by a float quotient.

import { idiv, imod } from "./arith";

function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y = y - 1;
  const era = idiv(y, 400);
  const yoe = y - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = idiv(153 * mp + 2, 5) + d - 1;
  const doe = yoe * 365 + idiv(yoe, 4) - idiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Epoch seconds -> "YYYY-MM-DDTHH:MM:SSZ". */
export function isoTime(epoch: number): string {
  const days = idiv(epoch, 86400);
  const secs = imod(epoch, 86400);
  const z = days + 719468;
  const era = idiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = idiv(doe - idiv(doe, 1460) + idiv(doe, 36524) - idiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + idiv(yoe, 4) - idiv(yoe, 100));
  const mp = idiv(5 * doy + 2, 153);
  const d = doy - idiv(153 * mp + 2, 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const hh = idiv(secs, 3600);
  const mm = idiv(secs - hh * 3600, 60);
  const ss = secs - hh * 3600 - mm * 60;
  return string.format("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, hh, mm, ss);
}

/** Two decimal digits at byte i, or -1. */
function two(s: string, i: number): number {
  const a = string.byte(s, i);
  const b = string.byte(s, i + 1);
  if (a === undefined || b === undefined || a < 48 || a > 57 || b < 48 || b > 57) return -1;
  return (a - 48) * 10 + b - 48;
}

function daysIn(year: number, month: number): number {
  // nonneg: year is four parsed digits.
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  if (month === 4 || month === 6 || month === 9 || month === 11) return 30;
  return 31;
}

/**
 * RFC 3339 date-time, YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), T and Z in either case, any year:
 * its day since 1970-01-01 and its second of that day in UTC (the offset applied, so it may fall
 * outside 0..86399), or undefined. Without a zone it is not RFC 3339; read as UTC where zoneOptional.
 * Days stay below 2^22 and seconds below 2^17, so nothing here leaves 32-bit integers or single floats.
 */
export function isoScan(s: string, zoneOptional: boolean): LuaMultiReturn<[number | undefined, number]> {
  const hi = two(s, 1);
  const lo = two(s, 3);
  const month = two(s, 6);
  const day = two(s, 9);
  const h = two(s, 12);
  const mi = two(s, 15);
  const se = two(s, 18);
  const t = string.byte(s, 11);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(hi * 100 + lo, month)) return $multi(undefined, 0);
  if (string.byte(s, 5) !== 45 || string.byte(s, 8) !== 45 || (t !== 84 && t !== 116)) return $multi(undefined, 0);
  // 60: a leap second
  if (string.byte(s, 14) !== 58 || string.byte(s, 17) !== 58 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) return $multi(undefined, 0);
  let p = 20;
  let c = string.byte(s, p);
  if (c === 46) {
    p = p + 1;
    c = string.byte(s, p);
    while (c !== undefined && c >= 48 && c <= 57) {
      p = p + 1;
      c = string.byte(s, p);
    }
    // At least one digit after the point.
    if (p === 21) return $multi(undefined, 0);
  }
  let offset = 0;
  if (c === 43 || c === 45) {
    const oh = two(s, p + 1);
    const om = two(s, p + 4);
    if (string.byte(s, p + 3) !== 58 || oh < 0 || oh > 23 || om < 0 || om > 59) return $multi(undefined, 0);
    offset = c === 45 ? -(oh * 60 + om) * 60 : (oh * 60 + om) * 60;
    p = p + 5;
  } else if (c !== 90 && c !== 122 && (c !== undefined || !zoneOptional)) {
    return $multi(undefined, 0);
  }
  if (c !== undefined && p !== s.length) return $multi(undefined, 0);
  return $multi(daysFromCivil(hi * 100 + lo, month, day), h * 3600 + mi * 60 + se - offset);
}

/**
 * RFC 3339 date-time -> epoch seconds (fraction dropped, offset applied), or undefined, also when the
 * result is outside 0 .. 2^31 - 1 (1970-01-01T00:00:00Z .. 2038-01-19T03:14:07Z). No zone at all is
 * read as UTC: the validator lets it through in a CSMS's answers only.
 */
export function parseIsoTime(s: string): number | undefined {
  const [days, sod] = isoScan(s, true);
  // Epoch seconds must fit 32-bit integers (NodeMCU ESP32) on every runtime. The range is checked
  // before the sum is formed, which could wrap on a 32-bit VM.
  if (days === undefined || days < 0 || days > 24855) return undefined;
  const base = days * 86400;
  if (sod < -base || sod > 2147483647 - base) return undefined;
  return base + sod;
}
