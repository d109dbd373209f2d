// Byte-string helpers the test images share: bytes as lower-case hex, and tab-separated fields.

function nibble(c: number): number {
  return c >= 97 ? c - 87 : c - 48;
}

/** The bytes of lower-case hex text. */
export function unhex(h: string): string {
  const out: string[] = [];
  for (let i = 1; i < h.length; i += 2) out[out.length] = string.char(nibble(string.byte(h, i) as number) * 16 + nibble(string.byte(h, i + 1) as number));
  return table.concat(out);
}

/** Bytes as lower-case hex text. */
export function hex(s: string): string {
  const out: string[] = [];
  for (let i = 1; i <= s.length; i++) out[out.length] = string.format("%02x", string.byte(s, i) as number);
  return table.concat(out);
}

/** Splits at tabs, at most max fields (the last keeps any further tabs). */
export function fields(line: string, max: number): string[] {
  const out: string[] = [];
  let start = 1;
  while (out.length < max - 1) {
    const [t] = string.find(line, "\t", start, true);
    if (t === undefined) break;
    out[out.length] = string.sub(line, start, t - 1);
    start = t + 1;
  }
  out[out.length] = string.sub(line, start);
  return out;
}
