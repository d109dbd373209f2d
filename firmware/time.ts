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

function digits(s: string, at: number, n: number): number | undefined {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = string.byte(s, i);
    if (c === undefined || c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return v;
}

/**
 * RFC 3339 date-time -> epoch seconds (fraction dropped, offset applied), or undefined, also when the
 * result is outside 0 .. 2^31 - 1 (1970-01-01T00:00:00Z .. 2038-01-19T03:14:07Z).
 */
export function parseIsoTime(s: string): number | undefined {
  const y = digits(s, 1, 4);
  const mo = digits(s, 6, 2);
  const d = digits(s, 9, 2);
  const h = digits(s, 12, 2);
  const mi = digits(s, 15, 2);
  const se = digits(s, 18, 2);
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || se === undefined) return undefined;
  if (string.byte(s, 5) !== 45 || string.byte(s, 8) !== 45 || string.byte(s, 14) !== 58 || string.byte(s, 17) !== 58) return undefined;
  const t = string.byte(s, 11);
  if (t !== 84 && t !== 116 && t !== 32) return undefined;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return undefined;
  let i = 20;
  if (string.byte(s, i) === 46) {
    i = i + 1;
    const c0 = string.byte(s, i);
    if (c0 === undefined || c0 < 48 || c0 > 57) return undefined;
    let c = c0 as number | undefined;
    while (c !== undefined && c >= 48 && c <= 57) { i = i + 1; c = string.byte(s, i); }
  }
  let offset = 0;
  const z = string.byte(s, i);
  if (z === 90 || z === 122) {
    i = i + 1;
  } else if (z === 43 || z === 45) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh === undefined || om === undefined || string.byte(s, i + 3) !== 58 || oh > 23 || om > 59) return undefined;
    offset = (oh * 60 + om) * 60;
    if (z === 45) offset = -offset;
    i = i + 6;
  } else if (z !== undefined) {
    return undefined;
  }
  // No zone at all (z undefined) is read as UTC: the validator lets it through in a CSMS's answers only.
  if (i !== s.length + 1) return undefined;
  // Epoch seconds must fit 32-bit integers (NodeMCU ESP32) on every runtime. The range is checked
  // before the sum is formed, which could wrap on a 32-bit VM.
  const days = daysFromCivil(y, mo, d);
  if (days < 0 || days > 24855) return undefined;
  const base = days * 86400;
  const sod = h * 3600 + mi * 60 + se - offset;
  if (sod < -base || sod > 2147483647 - base) return undefined;
  return base + sod;
}
