// JSON text for fuzz frames, written with the liberties RFC 8259 allows (white space, escapes) and a
// few it leaves open (duplicate names), plus number literals written verbatim.

import { Prng } from "./prng";

/** A number literal written exactly as given ("1.0", "1e400", "-0"). */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** An object whose first property is written twice, first with another value (RFC 8259 §4). */
export const DUPLICATE = Symbol("duplicate");

export interface RenderStyle {
  /** Chance of white space around each token. */
  space: number;
  /** Chance of writing a string character as a \u escape. */
  escape: number;
}

export const PLAIN: RenderStyle = { space: 0, escape: 0 };

const WS = [" ", "\n", "\t", "\r\n", "  "];

function str(s: string, r: Prng, st: RenderStyle): string {
  if (st.escape === 0) return JSON.stringify(s);
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (r.chance(st.escape)) {
      // A \u escape per UTF-16 unit: a pair for characters beyond the BMP.
      for (let i = 0; i < ch.length; i++) out += "\\u" + ch.charCodeAt(i).toString(16).padStart(4, "0");
    } else if (ch === "/" && r.chance(0.5)) out += "\\/";
    else out += cp < 0x20 || ch === '"' || ch === "\\" ? JSON.stringify(ch).slice(1, -1) : ch;
  }
  return out + '"';
}

export function render(v: unknown, r: Prng, st: RenderStyle = PLAIN): string {
  const sp = () => (st.space > 0 && r.chance(st.space) ? r.pick(WS) : "");
  const go = (x: unknown): string => {
    if (x instanceof RawNumber) return x.text;
    if (x === null || x === undefined) return "null";
    if (typeof x === "string") return str(x, r, st);
    if (typeof x === "number") return Number.isFinite(x) ? String(x) : "null";
    if (typeof x === "boolean") return String(x);
    if (Array.isArray(x)) return "[" + sp() + x.map((e) => go(e)).join(sp() + "," + sp()) + sp() + "]";
    const o = x as Record<string | symbol, unknown>;
    const entries = Object.entries(o).map(([k, e]) => sp() + str(k, r, st) + sp() + ":" + sp() + go(e));
    if (o[DUPLICATE] === true && Object.keys(o).length > 0) {
      const k = Object.keys(o)[0];
      entries.unshift(str(k, r, st) + ":" + go(r.pick([0, "dup", null, {}, [], true])));
    }
    return "{" + entries.join("," + sp()) + sp() + "}";
  };
  return sp() + go(v) + sp();
}
