// Backend contract between lua-vm.ts and the engines (call a harness entry with byte strings), plus the shared byte-string check.

export interface LuaBackend {
  /**
   * Calls the harness global `fn` (see lua-harness.ts) with `payload` (any size) and small `extras`, all
   * byte strings, and returns its reply byte string ("1" + result or "0" + error message).
   */
  call(fn: string, payload: string, ...extras: string[]): string;
  close(): void;
}

const NOT_BYTES = /[^\x00-\xff]/;

/**
 * Rejects JS text that is not a byte string. Silently truncating such chars would corrupt the payload, and
 * guessing an encoding is ambiguous (U+00A7 could be byte A7 or text "§"), so the caller must encode text,
 * e.g. Buffer.from(text, "utf8").toString("latin1").
 */
export function assertBytes(s: string): void {
  const m = NOT_BYTES.exec(s);
  if (m) {
    const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    throw new TypeError(
      `not a byte string: U+${cp} at index ${m.index} (encode text first, e.g. Buffer.from(text, "utf8").toString("latin1"))`,
    );
  }
}
