// Library functions as locals of the bundle's main chunk: `string.byte(s, i)` becomes `__string_byte(s, i)`,
// an upvalue of every module, declared once at the top as `local __string_byte = string.byte`.
//
// Why: in the emitted Lua every function that calls string.byte holds the constants "string" and "byte"
// and runs GETGLOBAL + GETTABLE per call; as an upvalue it holds no constant and runs one GETUPVAL. On the
// core image that is about 3 KB of stripped bytecode (ROM), and fewer instructions in the codecs' loops.
// `string.`, `table.` and `math.` fields are rewritten (those names are never locals in the subset), and
// calls of the base library's globals (type, pairs, ...) in a bundle that never declares a local or a
// parameter of that name (one that does keeps the global: a rename there could change what it means).

const LIB = /(?<![.:\w])(string|table|math)\.([A-Za-z_]\w*)\b(?!\s*=[^=])/g;
const GLOBALS = ["type", "tonumber", "tostring", "pairs", "ipairs", "pcall", "error", "select", "next", "setmetatable", "getmetatable", "rawget", "rawset", "unpack"];

/** Is name declared anywhere in src: a local, a parameter, a for variable, a local function? */
function declared(src: string, name: string): boolean {
  const n = `\\b${name}\\b`;
  return [`\\blocal[ \\t]+(?:function[ \\t]+)?[\\w \\t,]*${n}`, `\\bfunction\\b[^(\\n]*\\([^)\\n]*${n}[^)\\n]*\\)`, `\\bfor[ \\t]+[\\w \\t,]*${n}[\\w \\t,]*\\b(?:in|=)`].some((re) => new RegExp(re).test(src));
}

/** The spans of Lua source that are code: strings and comments are left out. */
export function codeSpans(src: string): [number, number][] {
  const spans: [number, number][] = [];
  let from = 0;
  let i = 0;
  const longClose = (at: number): number => {
    // at: index of the first "[" of a long bracket; returns the index after its closing bracket.
    const m = /^\[(=*)\[/.exec(src.slice(at, at + 64));
    if (m === null) return -1;
    const close = "]" + m[1] + "]";
    const end = src.indexOf(close, at + m[0].length);
    if (end < 0) throw new Error("hoistLibs: unterminated long bracket");
    return end + close.length;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "-" && src[i + 1] === "-") {
      spans.push([from, i]);
      const long = src[i + 2] === "[" ? longClose(i + 2) : -1;
      if (long >= 0) i = long;
      else {
        const nl = src.indexOf("\n", i);
        i = nl < 0 ? src.length : nl;
      }
      from = i;
    } else if (c === '"' || c === "'") {
      spans.push([from, i]);
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") j++;
        if (src[j] === "\n") throw new Error("hoistLibs: unterminated string");
        j++;
      }
      i = j + 1;
      from = i;
    } else if (c === "[" && (src[i + 1] === "[" || src[i + 1] === "=")) {
      const long = longClose(i);
      if (long >= 0) {
        spans.push([from, i]);
        i = long;
        from = i;
      } else i++;
    } else i++;
  }
  spans.push([from, src.length]);
  return spans;
}

/** The bundle with string/table/math fields read once into main-chunk locals (see above). */
export function hoistLibs(src: string): string {
  const used = new Set<string>();
  const code = codeSpans(src);
  const plain = code.map(([a, b]) => src.slice(a, b)).join("\n");
  const globals = GLOBALS.filter((g) => !declared(plain, g));
  const call = globals.length > 0 ? new RegExp(`(?<![.:\\w])(${globals.join("|")})(?=\\s*\\()`, "g") : undefined;
  let out = "";
  let last = 0;
  for (const [a, b] of code) {
    out += src.slice(last, a);
    let part = src.slice(a, b).replace(LIB, (_all, lib: string, field: string) => {
      used.add(`${lib}.${field}`);
      return `__${lib}_${field}`;
    });
    if (call !== undefined) {
      part = part.replace(call, (g: string) => {
        used.add(g);
        return `__${g}`;
      });
    }
    out += part;
    last = b;
  }
  out += src.slice(last);
  if (used.size === 0) return src;
  const names = [...used].sort();
  return `local ${names.map((n) => "__" + n.replace(".", "_")).join(", ")} = ${names.join(", ")}\n` + out;
}
