// The fuzz oracle's own reading of a frame's bytes: RFC 8259 JSON over RFC 3629 UTF-8 (Part 4
// §4.1.2), independent of firmware/json.ts. Besides the value it reports what RFC 8259 leaves to the
// implementation (duplicate names §4, lone surrogate escapes §8.2, a byte order mark §8.1), so the
// oracle can be tolerant exactly there.

export interface Reading {
  /** Valid UTF-8 and valid JSON text. */
  ok: boolean;
  value?: unknown;
  /** Why it is not JSON (when !ok). */
  why?: string;
  /** A \uD800–\uDFFF escape without its pair (RFC 8259 §8.2: behaviour unpredictable). */
  loneSurrogate: boolean;
  /** An object with a name twice (RFC 8259 §4: behaviour unpredictable). */
  duplicateKey: boolean;
}

/** What can be read at the start of a frame that is not JSON as a whole: `[` type `,` "id". */
export interface Prefix {
  /** The message type number, when `[` and a number literal start the frame. */
  type?: number;
  /** The frame ends right after the type's digits: more digits might have followed. */
  typeCut?: boolean;
  /** The message id, when the type is followed by `,` and a complete, valid string literal. */
  id?: string;
}

class Fail extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });

class Reader {
  pos = 0;
  loneSurrogate = false;
  duplicateKey = false;
  constructor(private readonly b: Uint8Array) {}

  fail(why: string): never {
    throw new Fail(`${why} at byte ${this.pos}`);
  }
  ws(): void {
    const b = this.b;
    while (this.pos < b.length && (b[this.pos] === 0x20 || b[this.pos] === 0x09 || b[this.pos] === 0x0a || b[this.pos] === 0x0d)) this.pos++;
  }
  peek(): number | undefined {
    return this.b[this.pos];
  }
  expect(c: number): void {
    if (this.b[this.pos] !== c) this.fail(`expected '${String.fromCharCode(c)}'`);
    this.pos++;
  }

  value(): unknown {
    this.ws();
    const c = this.peek();
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) return true;
    if (this.word("false")) return false;
    if (this.word("null")) return null;
    return this.fail(c === undefined ? "unexpected end" : "unexpected byte");
  }
  word(w: string): boolean {
    for (let i = 0; i < w.length; i++) if (this.b[this.pos + i] !== w.charCodeAt(i)) return false;
    this.pos += w.length;
    return true;
  }
  object(): Record<string, unknown> {
    this.expect(0x7b);
    const o: Record<string, unknown> = {};
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return o;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== 0x22) this.fail("expected name");
      const k = this.string();
      this.ws();
      this.expect(0x3a);
      const v = this.value();
      if (Object.prototype.hasOwnProperty.call(o, k)) this.duplicateKey = true;
      // Like JSON.parse: "__proto__" is an ordinary own property.
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x7d) return o;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }
  array(): unknown[] {
    this.expect(0x5b);
    const a: unknown[] = [];
    this.ws();
    if (this.peek() === 0x5d) {
      this.pos++;
      return a;
    }
    for (;;) {
      a.push(this.value());
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x5d) return a;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }
  hex4(at: number): number {
    let v = 0;
    for (let i = at; i < at + 4; i++) {
      const c = this.b[i];
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else return this.fail("bad \\u escape");
      v = v * 16 + d;
    }
    return v;
  }
  string(): string {
    this.expect(0x22);
    const b = this.b;
    let out = "";
    let run = this.pos;
    const flush = (end: number) => {
      if (end > run) {
        try {
          out += utf8.decode(b.subarray(run, end));
        } catch {
          this.fail("invalid UTF-8");
        }
      }
    };
    for (;;) {
      const c = b[this.pos];
      if (c === undefined) this.fail("unterminated string");
      if (c === 0x22) {
        flush(this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail("control character in string");
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      flush(this.pos);
      const e = b[this.pos + 1];
      const simple: Record<number, string> = { 0x22: '"', 0x5c: "\\", 0x2f: "/", 0x62: "\b", 0x66: "\f", 0x6e: "\n", 0x72: "\r", 0x74: "\t" };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        this.pos += 2;
      } else if (e === 0x75) {
        const u = this.hex4(this.pos + 2);
        this.pos += 6;
        if (u >= 0xd800 && u <= 0xdbff && b[this.pos] === 0x5c && b[this.pos + 1] === 0x75) {
          const lo = this.hex4(this.pos + 2);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            out += String.fromCharCode(u, lo);
            this.pos += 6;
          } else {
            this.loneSurrogate = true;
            out += String.fromCharCode(u);
          }
        } else {
          if (u >= 0xd800 && u <= 0xdfff) this.loneSurrogate = true;
          out += String.fromCharCode(u);
        }
      } else this.fail("bad escape");
      run = this.pos;
    }
  }
  number(): number {
    const b = this.b;
    const start = this.pos;
    const digit = () => b[this.pos] >= 0x30 && b[this.pos] <= 0x39;
    if (b[this.pos] === 0x2d) this.pos++;
    if (b[this.pos] === 0x30) this.pos++;
    else if (digit()) while (digit()) this.pos++;
    else this.fail("bad number");
    if (b[this.pos] === 0x2e) {
      this.pos++;
      if (!digit()) this.fail("bad number");
      while (digit()) this.pos++;
    }
    if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
      this.pos++;
      if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
      if (!digit()) this.fail("bad number");
      while (digit()) this.pos++;
    }
    return Number(Buffer.from(b.subarray(start, this.pos)).toString("latin1"));
  }
}

/** Reads a whole frame as one JSON text (RFC 8259 §2: white space around the value is allowed). */
export function readJson(bytes: Uint8Array): Reading {
  const r = new Reader(bytes);
  try {
    const value = r.value();
    r.ws();
    if (r.pos !== bytes.length) r.fail("trailing bytes");
    return { ok: true, value, loneSurrogate: r.loneSurrogate, duplicateKey: r.duplicateKey };
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    return { ok: false, why: e.message, loneSurrogate: r.loneSurrogate, duplicateKey: r.duplicateKey };
  }
}

/** The message type and id that can be read at the start of any frame, JSON or not. */
export function readPrefix(bytes: Uint8Array): Prefix {
  const r = new Reader(bytes);
  const out: Prefix = {};
  try {
    r.ws();
    r.expect(0x5b);
    r.ws();
    const type = r.number();
    r.ws();
    // A number followed by anything but `,` or `]` is not a readable message type.
    if (r.peek() === undefined) {
      out.type = type;
      out.typeCut = true;
      return out;
    }
    if (r.peek() !== 0x2c && r.peek() !== 0x5d) return out;
    out.type = type;
    r.expect(0x2c);
    r.ws();
    if (r.peek() !== 0x22) return out;
    const id = r.string();
    if (!r.loneSurrogate) out.id = id;
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
  }
  return out;
}

/** Nesting of arrays and objects: a scalar is 0, `{}` is 1. */
export function depthOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  let m = 0;
  for (const x of Object.values(v)) {
    const d = depthOf(x);
    if (d > m) m = d;
  }
  return m + 1;
}
