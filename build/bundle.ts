// The module table of a TSTL bundle: where each module's body lies, pruning to what the entry
// module actually requires, and short names for what is kept.
//
// TSTL bundles every file of the TypeScript program, including files imported for their types only
// (hal/hal.ts in the image; the whole core in the board's HAL, which names firmware types). Those
// would cost ROM and hide where it goes, so a bundle keeps only the modules reachable by require.

export interface BundleModule {
  /** The module's path (firmware.rpc), also after renaming: the header's comment keeps it. */
  name: string;
  /** Its key in the module table: the path, or its short name after pruneBundle. */
  key: string;
  /** Offsets of the whole table entry `["name"] = function(...) … end,\n` in the bundle. */
  from: number;
  to: number;
  /** The module's body: a chunk of its own. */
  body: string;
}

const HEADER = /^\["([^"]+)"\] = function\(\.\.\.\) ?(?:-- (\S+))?$/gm;
const REQUIRE = /\brequire\("([^"]+)"/g;

/** The modules of a TSTL bundle, in bundle order. */
export function bundleModules(source: string): BundleModule[] {
  const starts = [...source.matchAll(HEADER)];
  // The module table closes at column 0 after the last module, before the entry's require (a module's
  // own table constructor may close at column 0 too).
  const entry = source.lastIndexOf("\nlocal ____entry = require(");
  const tableEnd = source.lastIndexOf("\n}\n", entry < 0 ? source.length : entry) + 1;
  return starts.map((m, i) => {
    const from = m.index ?? 0;
    const bodyFrom = from + m[0].length;
    const next = i + 1 < starts.length ? (starts[i + 1].index ?? source.length) : tableEnd;
    return { name: m[2] ?? m[1], key: m[1], from, to: next, body: source.slice(bodyFrom, next).replace(/ end,\s*$/, "") };
  });
}

/**
 * The bundle without the modules its entry never requires, directly or through other modules, and
 * each kept module under a short key ("0", "1", … "a", …): the paths are string constants of every
 * module that requires them, ROM on the board for nothing. The header keeps the path as a comment.
 */
export function pruneBundle(source: string): string {
  const modules = bundleModules(source);
  // The bundle's last lines (a module importing firmware/entry has a local ____entry of its own).
  const entry = /\nlocal ____entry = require\("([^"]+)", \.\.\.\)\nreturn ____entry\s*$/.exec(source);
  if (entry === null || modules.length === 0) throw new Error("not a TSTL bundle: no module table or entry require");
  const byName = new Map(modules.map((m) => [m.name, m]));
  const keep = new Set<string>();
  const visit = (name: string) => {
    const m = byName.get(name);
    if (m === undefined || keep.has(name)) return;
    keep.add(name);
    for (const r of m.body.matchAll(REQUIRE)) visit(r[1]);
  };
  visit(entry[1]);
  const short = new Map<string, string>();
  for (const m of modules) if (keep.has(m.name)) short.set(m.name, short.size.toString(36));
  const rename = (text: string) => text.replace(REQUIRE, (all, name: string) => (short.has(name) ? `require("${short.get(name)}"` : all));
  let out = source.slice(0, modules[0].from);
  for (const m of modules) {
    if (!keep.has(m.name)) continue;
    out += `["${short.get(m.name)}"] = function(...) -- ${m.name}\n` + rename(source.slice(source.indexOf("\n", m.from) + 1, m.to));
  }
  return out + rename(source.slice(modules[modules.length - 1].to));
}
