// The most imported functions as locals of the bundle's main chunk, one cell shared by every module.
//
// TSTL copies an import into a local of the importing module (`local modelInt = ____model.modelInt`);
// every module whose functions use it captures that local, so each importer holds an upvalue cell of
// its own (32 bytes here, 24 on NodeMCU) for the same function: on the core image 326 cells for 164
// imported names. On a board with the code in flash those cells are RAM the image leaves resident
// (bench/resident.ts). A main-chunk local is one cell for all: the exporter sets it before its body
// returns, the importers name it instead of their copy (whose statement goes). NodeMCU allows a
// function 50 locals (build/check-lua.ts), so the main chunk takes only as many as it has left, for
// the names the most importers capture. An import is left alone when its module assigns to it.

import { bundleModules } from "./bundle";
import { LUA_LIMITS, checkLuaLimits } from "./check-lua";
import { parseLua } from "./lua-parse";
import { walkScopes } from "./lua-scopes";

const RETURN = /\nreturn ____exports\n?$/;

type Node = { type: string; range: [number, number]; [k: string]: unknown };

interface Import {
  /** The exporting module's key and the export's name. */
  from: string;
  name: string;
  /** The statement `local X = ____m.Y` (with its newline) and the ranges naming the local after it. */
  statement: [number, number];
  refs: [number, number][];
  /** Used inside the module's functions: a cell of the module's own. */
  captured: boolean;
}

const parse = (src: string) => parseLua(src) as Node;

/** A module body's imports: top-level `local X = ____m.Y` where ____m is `require("k")`, with every use of X. */
function imports(body: string): Import[] {
  const ast = parse(body);
  const top = ast.body as Node[];
  const requires = new Map<string, string>();
  const found = new Map<Node, Import>();
  for (const s of top) {
    if (s.type !== "LocalStatement") continue;
    const vars = s.variables as Node[];
    const init = s.init as Node[];
    if (vars.length !== 1 || init.length !== 1) continue;
    const v = init[0];
    if (v.type === "CallExpression" && (v.base as Node).type === "Identifier" && (v.base as Node).name === "require") {
      const arg = (v.arguments as Node[])[0];
      if (arg?.type === "StringLiteral") requires.set(vars[0].name as string, (arg.raw as string).slice(1, -1));
    } else if (v.type === "MemberExpression" && v.indexer === "." && (v.base as Node).type === "Identifier" && requires.has((v.base as Node).name as string)) {
      const end = body[s.range[1]] === "\n" ? s.range[1] + 1 : s.range[1];
      found.set(vars[0], { from: requires.get((v.base as Node).name as string) as string, name: (v.identifier as Node).name as string, statement: [s.range[0], end], refs: [], captured: false });
    }
  }
  // Every use of an import's local, wherever a name resolves to it.
  const assigned = new Set<Import>();
  walkScopes(ast, {
    use(id, write, decl, fns) {
      const imp = decl?.id !== undefined ? found.get(decl.id as Node) : undefined;
      if (imp === undefined) return;
      imp.refs.push(id.range as [number, number]);
      if (fns.length > 1) imp.captured = true;
      if (write) assigned.add(imp);
    },
  });
  return [...found.values()].filter((i) => !assigned.has(i));
}

/** Locals the main chunk declares (its top-level statements outside the module table). */
function mainLocals(source: string): Set<string> {
  const names = new Set<string>();
  for (const s of parse(source).body as Node[]) {
    if (s.type === "LocalStatement") for (const v of s.variables as Node[]) names.add(v.name as string);
    else if (s.type === "FunctionDeclaration" && s.isLocal) names.add((s.identifier as Node).name as string);
  }
  return names;
}

/** Every name the bundle uses, so a new one is new. */
const usedNames = (source: string) => new Set(source.match(/[A-Za-z_]\w*/g) ?? []);

/** The bundle with its most captured imports as main-chunk locals (see above); unchanged if nothing is won. */
export function hoistImports(source: string): string {
  const modules = bundleModules(source);
  if (modules.length === 0) return source;
  const perModule = modules.map((m) => ({ m, imports: imports(m.body) }));
  const cells = new Map<string, number>();
  for (const { imports: list } of perModule) for (const i of list) if (i.captured) cells.set(`${i.from}.${i.name}`, (cells.get(`${i.from}.${i.name}`) ?? 0) + 1);
  // An exporter sets its cells before `return ____exports`: only a module ending so can.
  const exporters = new Set(modules.filter((m) => RETURN.test(m.body)).map((m) => m.key));
  const ranked = [...cells.entries()].filter(([k, n]) => n >= 2 && exporters.has(k.slice(0, k.indexOf(".")))).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const used = usedNames(source);
  let room = LUA_LIMITS.locals - mainLocals(source).size;
  // A main chunk near the limit keeps its last slots (the bundle's entry local comes after the table).
  for (; room > 0; room--) {
    const chosen = new Map(ranked.slice(0, room).map(([k], n) => [k, `____i${n}`]));
    if (chosen.size === 0 || [...chosen.values()].some((v) => used.has(v))) return source;
    const out = rewrite(source, perModule, chosen);
    if (checkLuaLimits(out).length === 0) return out;
  }
  return source;
}

function rewrite(source: string, perModule: { m: ReturnType<typeof bundleModules>[number]; imports: Import[] }[], chosen: Map<string, string>): string {
  let out = `local ${[...chosen.values()].join(", ")}\n` + source.slice(0, perModule[0].m.from);
  for (const { m, imports: list } of perModule) {
    const text = source.slice(m.from, m.to);
    const bodyAt = text.indexOf(m.body);
    let body = m.body;
    // Edits from the end, so the ranges before them stay right.
    const edits: { at: [number, number]; by: string }[] = [];
    for (const i of list) {
      const cell = chosen.get(`${i.from}.${i.name}`);
      if (cell === undefined) continue;
      edits.push({ at: i.statement, by: "" });
      for (const r of i.refs) edits.push({ at: r, by: cell });
    }
    edits.sort((a, b) => b.at[0] - a.at[0]);
    for (const e of edits) body = body.slice(0, e.at[0]) + e.by + body.slice(e.at[1]);
    // The exporter sets the cells just before it returns its table.
    const sets = [...chosen.entries()].filter(([k]) => k.slice(0, k.indexOf(".")) === m.key).map(([k, cell]) => `${cell} = ____exports.${k.slice(k.indexOf(".") + 1)}\n`);
    if (sets.length > 0) body = body.replace(RETURN, (ret) => "\n" + sets.join("").replace(/\n$/, "") + ret);
    out += text.slice(0, bodyAt) + body + text.slice(bodyAt + m.body.length);
  }
  return out + source.slice(perModule[perModule.length - 1].m.to);
}
