// Table-constructor entries that set a field to nil, left out of the bundle: `{ a = 1, b = nil, }`
// builds the same table as `{ a = 1, }`. TypeScript makes an object literal name every field its
// interface requires, `undefined` included; in Lua each such entry costs its key as a constant and a
// SETTABLE for nothing (about 120 bytes of stripped bytecode on the core image).
//
// Only whole lines `name = nil,` of code are dropped: in a constructor that is a field; as a
// statement it cannot end in a comma (`a, b = nil, 1` starts with two names), so nothing else matches.

import { codeSpans } from "./hoist-libs";

const NIL_FIELD = /^[ \t]*[A-Za-z_]\w*[ \t]*=[ \t]*nil[ \t]*,[ \t]*\n/gm;

/** The bundle without `name = nil,` constructor lines (outside strings and comments). */
export function dropNilFields(src: string): string {
  let out = "";
  let last = 0;
  for (const [a, b] of codeSpans(src)) {
    out += src.slice(last, a) + src.slice(a, b).replace(NIL_FIELD, "");
    last = b;
  }
  return out + src.slice(last);
}
