// Numbers as text the way C's printf writes them, for the lua5.3-f32 runtime (fengari-f32.ts): the e/f/g
// conversions with exact decimal expansion and round-half-even (glibc), which sprintf-js (toPrecision)
// does not give: "%.7g" of 1795046336 is "1.795046e+09" in C, not "1795046000".

const view = new DataView(new ArrayBuffer(8));

/** A finite double as mant * 2^exp with mant a non-negative integer. */
function decompose(x: number): { mant: bigint; exp: number } {
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  return e === 0 ? { mant: frac, exp: -1074 } : { mant: frac | (1n << 52n), exp: e - 1075 };
}

/** The sign bit of a double, NaN included (printf prints "-nan" for a NaN with the sign set). */
function signBit(x: number): boolean {
  view.setFloat64(0, x);
  return (view.getUint8(0) & 0x80) !== 0;
}

/** |x| exactly, as digits * 10^scale with digits a non-negative integer. */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const { mant, exp } = decompose(x);
  if (exp >= 0) return { digits: mant << BigInt(exp), scale: 0 };
  return { digits: mant * 5n ** BigInt(-exp), scale: exp };
}

/** digits / 10^k rounded half to even (k >= 0). */
function roundDiv(digits: bigint, k: number): bigint {
  if (k <= 0) return digits * 10n ** BigInt(-k);
  const p = 10n ** BigInt(k);
  const q = digits / p;
  const r2 = (digits % p) * 2n;
  return r2 > p || (r2 === p && q % 2n === 1n) ? q + 1n : q;
}

function numDigits(n: bigint): number {
  return n === 0n ? 1 : n.toString().length;
}

/** |x| with `prec` digits after the point (printf %f). */
function fixed(x: number, prec: number, alt: boolean): string {
  const { digits, scale } = exactDecimal(x);
  const s = roundDiv(digits, -scale - prec).toString().padStart(prec + 1, "0");
  const int = s.slice(0, s.length - prec);
  return prec > 0 ? `${int}.${s.slice(s.length - prec)}` : alt ? `${int}.` : int;
}

/** |x| as d.ddd with `prec` digits after the point and the decimal exponent (printf %e). */
function scientific(x: number, prec: number): { mantissa: string; exp10: number } {
  if (x === 0) return { mantissa: "0".repeat(prec + 1), exp10: 0 };
  const { digits, scale } = exactDecimal(x);
  const n = numDigits(digits);
  let r = roundDiv(digits, n - (prec + 1));
  let exp10 = n - 1 + scale;
  if (numDigits(r) > prec + 1) {
    r /= 10n; // 9.99 rounded up to 10.0: the dropped digit is a 0
    exp10 += 1;
  }
  return { mantissa: r.toString(), exp10 };
}

function expForm(mantissa: string, exp10: number, alt: boolean, upper: boolean): string {
  const body = mantissa.length > 1 || alt ? `${mantissa[0]}.${mantissa.slice(1)}` : mantissa;
  const e = `${exp10 < 0 ? "-" : "+"}${String(Math.abs(exp10)).padStart(2, "0")}`;
  return `${body}${upper ? "E" : "e"}${e}`;
}

function stripZeros(s: string): string {
  if (!s.includes(".")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}

/** One printf floating conversion, e.g. formatC("%-10.3e", x): flags -+ #0, width, precision, e E f F g G. */
export function formatC(spec: string, x: number): string {
  const m = /^%([-+ #0]*)(\d*)(?:\.(\d*))?([eEfFgG])$/.exec(spec);
  if (m === null) throw new Error(`unsupported conversion '${spec}'`);
  const flags = m[1];
  const width = m[2] === "" ? 0 : Number(m[2]);
  const conv = m[4];
  let prec = m[3] === undefined ? 6 : Number(m[3] || "0");
  const upper = conv === "E" || conv === "F" || conv === "G";
  const alt = flags.includes("#");
  const sign = signBit(x) ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
  const ax = Math.abs(x);
  let body: string;
  let numeric = true;
  if (!Number.isFinite(ax)) {
    body = Number.isNaN(ax) ? "nan" : "inf";
    if (upper) body = body.toUpperCase();
    numeric = false;
  } else if (conv === "f" || conv === "F") {
    body = fixed(ax, prec, alt);
  } else if (conv === "e" || conv === "E") {
    const { mantissa, exp10 } = scientific(ax, prec);
    body = expForm(mantissa, exp10, alt, upper);
  } else {
    if (prec === 0) prec = 1;
    const { mantissa, exp10 } = scientific(ax, prec - 1);
    if (exp10 < prec && exp10 >= -4) body = fixed(ax, prec - 1 - exp10, alt);
    else body = expForm(mantissa, exp10, alt, upper);
    if (!alt) body = conv === "g" || conv === "G" ? stripZerosG(body) : body;
  }
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  const pad = width - len;
  if (flags.includes("-")) return sign + body + " ".repeat(pad);
  if (flags.includes("0") && numeric) return sign + "0".repeat(pad) + body;
  return " ".repeat(pad) + sign + body;
}

/** %g drops trailing zeros of the fraction, in the mantissa only. */
function stripZerosG(body: string): string {
  const e = body.search(/[eE]/);
  return e < 0 ? stripZeros(body) : stripZeros(body.slice(0, e)) + body.slice(e);
}

/** tostring of a float on NodeMCU's Lua 5.3 (LUAI_NUMFFORMAT "%.7g"). */
export function numberToString(x: number): string {
  return formatC("%.7g", x);
}
