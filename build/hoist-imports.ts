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
import { LUA_LIMITS, checkLuaLimits, luaFunctionStats } from "./check-lua";
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
function mainLocals(chunk: Node): Set<string> {
  const names = new Set<string>();
  for (const s of chunk.body as Node[]) {
    if (s.type === "LocalStatement") for (const v of s.variables as Node[]) names.add(v.name as string);
    else if (s.type === "FunctionDeclaration" && s.isLocal) names.add((s.identifier as Node).name as string);
  }
  return names;
}

/**
 * What a candidate does to NodeMCU's limits (build/check-lua.ts), from the bundle's own figures
 * without parsing the candidate: undefined where that cannot be told so (a function of the bundle
 * over a limit already, or a module whose function is not found), and the caller checks the
 * candidate itself. Given a bundle within the limits, the rewrite changes only this: the main chunk
 * gets the cells as locals, all active from its first line (its most active locals + cells); each
 * module function gets the cells its body or a function inside it uses as upvalues, names it had
 * none of (its upvalues + those cells); its import locals go (fewer locals); a function inside a
 * module captures a cell where it captured the import's local (the same count, or fewer).
 */
function limitsModel(chunk: Node, modules: ReturnType<typeof bundleModules>): { mainLocals: number; moduleUpvalues: Map<string, number> } | undefined {
  const stats = luaFunctionStats(chunk);
  if (stats.some((f) => f.locals > LUA_LIMITS.locals || (f.fn.node !== undefined && f.upvalues.size > LUA_LIMITS.upvalues))) return undefined;
  const main = stats.find((f) => f.fn.node === undefined);
  if (main === undefined) return undefined;
  const moduleUpvalues = new Map<string, number>();
  for (const m of modules) {
    // The module's function: the one function of the main chunk within the module's entry.
    const fns = stats.filter((f) => f.fn.depth === 1 && (f.fn.node?.range as [number, number])[0] >= m.from && (f.fn.node?.range as [number, number])[1] <= m.to);
    if (fns.length !== 1) return undefined;
    moduleUpvalues.set(m.key, fns[0].upvalues.size);
  }
  return { mainLocals: main.locals, moduleUpvalues };
}

/** The cells a module's function uses once chosen are hoisted: its chosen imports' (where named) and those it sets as their exporter. */
function cellsOf(m: { key: string }, list: Import[], chosen: Map<string, string>): number {
  const cells = new Set<string>();
  for (const i of list) {
    const cell = chosen.get(`${i.from}.${i.name}`);
    if (cell !== undefined && i.refs.length > 0) cells.add(cell);
  }
  for (const [k, cell] of chosen) if (k.slice(0, k.indexOf(".")) === m.key) cells.add(cell);
  return cells.size;
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
  const chunk = parse(source);
  let room = LUA_LIMITS.locals - mainLocals(chunk).size;
  const model = limitsModel(chunk, modules);
  // A candidate within the limits, told from the model where it can be (one parse of the bundle for
  // every candidate), else checked itself. The built chunk is checked again in any case (build/compile.ts).
  const fits = (chosen: Map<string, string>): string | undefined => {
    if (model === undefined) {
      const out = rewrite(source, perModule, chosen);
      return checkLuaLimits(out).length === 0 ? out : undefined;
    }
    if (model.mainLocals + chosen.size > LUA_LIMITS.locals) return undefined;
    for (const { m, imports: list } of perModule) if ((model.moduleUpvalues.get(m.key) as number) + cellsOf(m, list, chosen) > LUA_LIMITS.upvalues) return undefined;
    return rewrite(source, perModule, chosen);
  };
  // A main chunk near the limit keeps its last slots (the bundle's entry local comes after the table).
  for (; room > 0; room--) {
    const chosen = new Map(ranked.slice(0, room).map(([k], n) => [k, `____i${n}`]));
    if (chosen.size === 0 || [...chosen.values()].some((v) => used.has(v))) return source;
    const out = fits(chosen);
    if (out !== undefined) return out;
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
