// Tab- and newline-separated fields: the escaping shared by the persisted store records
// (firmware/model.ts) and the simulator's line protocol (hal/sim/board.ts).
//
// Inside a field "\" is written "\\", a tab "\t" and a newline "\n", so fields split on raw tabs and
// records on raw newlines. Most fields hold none of the three: they are passed on without a copy.

function plain(s: string): boolean {
  const [a] = string.find(s, "\\", 1, true);
  if (a !== undefined) return false;
  const [b] = string.find(s, "\t", 1, true);
  if (b !== undefined) return false;
  const [c] = string.find(s, "\n", 1, true);
  return c === undefined;
}

/** Appends s, escaped, to out. */
export function escapeField(s: string, out: string[]): void {
  if (plain(s)) {
    out[out.length] = s;
    return;
  }
  let run = 1;
  for (let i = 1; i <= s.length; i++) {
    const c = string.byte(s, i) as number;
    if (c === 92 || c === 9 || c === 10) {
      out[out.length] = string.sub(s, run, i - 1);
      out[out.length] = c === 92 ? "\\\\" : c === 9 ? "\\t" : "\\n";
      run = i + 1;
    }
  }
  out[out.length] = string.sub(s, run);
}

/** The field s stands for. */
function unescapeField(s: string): string {
  const [bs] = string.find(s, "\\", 1, true);
  if (bs === undefined) return s;
  const out: string[] = [];
  let run = 1;
  let i = bs;
  while (i <= s.length) {
    if (string.byte(s, i) === 92) {
      out[out.length] = string.sub(s, run, i - 1);
      const e = string.byte(s, i + 1);
      out[out.length] = e === 116 ? "\t" : e === 110 ? "\n" : "\\";
      i = i + 2;
      run = i;
    } else {
      i = i + 1;
    }
  }
  out[out.length] = string.sub(s, run);
  return table.concat(out);
}

/** Calls fn(key, value) for each "key\tvalue\n" record of a store text (unescaped); damaged lines are skipped. */
export function eachRecord(text: string, fn: (key: string, value: string) => void): void {
  let pos = 1;
  const n = text.length;
  while (pos <= n) {
    const [nl] = string.find(text, "\n", pos, true);
    const last = nl === undefined ? n : nl - 1;
    const [tab] = string.find(text, "\t", pos, true);
    if (tab !== undefined && tab < last + 1) fn(unescapeField(string.sub(text, pos, tab - 1)), unescapeField(string.sub(text, tab + 1, last)));
    pos = last + 2;
  }
}

export { unescapeField };
