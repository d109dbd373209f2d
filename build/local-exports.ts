// A module's exports as locals of its own body, so the exports table is garbage once the bundle has
// loaded.
//
// TSTL writes an exported function or value as a field of the module's `____exports` table and reads
// it there from the module's own functions (`____exports.rec.key = …`). Such a function captures
// `____exports`, which keeps the table and all its entries in RAM for good: on the core image 11 tables
// and 99 entries, about 5 KB with 32-byte nodes, although after the load no other module reads them
// (imports are copied into locals at load; the bundle's module cache is garbage too). On a board with
// the code in flash that RAM is part of what the image leaves resident (bench/resident.ts).
//
// Here, in each module whose functions read `____exports.NAME`, every such NAME becomes a local
// declared at the top of the body (`local NAME`, or `____x_NAME` if the module uses the name), each `____exports.NAME` reads or writes that local,
// and the table is filled from the locals just before the body returns it, so importers, which copy
// at load, see what they saw. A reference is one upvalue (4 bytes in each closure, one shared cell)
// instead of a table read (a GETTABLE and the name's constant in each function). A module is left as
// TSTL wrote it when anything else uses `____exports`, or when the
// new locals would take its body over NodeMCU's 50 (build/check-lua.ts LUA_LIMITS).

import { bundleModules } from "./bundle";
import { checkLuaLimits } from "./check-lua";
import { parseLua } from "./lua-parse";

type Node = { type: string; range: [number, number]; [k: string]: unknown };

interface Use {
  name: string;
  range: [number, number];
  nested: boolean;
}

/** The `____exports.NAME` uses of a module body, or undefined if `____exports` is used any other way. */
function exportUses(body: string): { uses: Use[]; names: Set<string> } | undefined {
  const ast = parseLua(body) as Node;
  const uses: Use[] = [];
  const names = new Set<string>();
  let other = false;
  const visit = (n: unknown, depth: number, parent?: Node, key?: string): void => {
    if (n === null || typeof n !== "object") return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x, depth, parent, key);
      return;
    }
    const node = n as Node;
    if (node.type === "MemberExpression" && node.indexer === "." && (node.base as Node).type === "Identifier" && (node.base as Node).name === "____exports") {
      uses.push({ name: (node.identifier as Node).name as string, range: node.range, nested: depth > 0 });
      return;
    }
    if (node.type === "Identifier") {
      const name = node.name as string;
      // A member's or a table key's name is not a name of the code.
      const member = parent?.type === "MemberExpression" && key === "identifier";
      const tableKey = parent?.type === "TableKeyString" && key === "key";
      if (name === "____exports") {
        const declaration = parent?.type === "LocalStatement" && key === "variables";
        const returned = parent?.type === "ReturnStatement" && depth === 0;
        if (!declaration && !returned) other = true;
      } else if (!member && !tableKey) names.add(name);
      return;
    }
    const inner = node.type === "FunctionDeclaration" ? depth + 1 : depth;
    for (const k of Object.keys(node)) {
      if (k === "range" || k === "type") continue;
      // A function's name (function ____exports.f()) is in the enclosing function.
      visit(node[k], k === "identifier" && node.type === "FunctionDeclaration" ? depth : inner, node, k);
    }
  };
  visit(ast, 0);
  return other ? undefined : { uses, names };
}

const DECLARATION = "local ____exports = {}\n";
const RETURN = /\nreturn ____exports\n?$/;

/** One module body with its nested-read exports as locals, or the body unchanged. */
function localizeBody(text: string): string {
  const lead = text.startsWith("\n") ? "\n" : "";
  const body = text.slice(lead.length);
  if (!body.startsWith(DECLARATION) || !RETURN.test(body)) return text;
  const found = exportUses(body);
  if (found === undefined) return text;
  const { uses, names } = found;
  const exported = [...new Set(uses.filter((u) => u.nested).map((u) => u.name))].sort();
  if (exported.length === 0) return text;
  // The local's name: the export's, or one the module does not use (bytecode is stripped of names).
  const local = new Map(exported.map((n) => [n, names.has(n) ? `____x_${n}` : n]));
  if ([...local.values()].some((l) => l !== local.get(l) && names.has(l))) return text;
  let out = "";
  let at = 0;
  for (const u of uses.sort((a, b) => a.range[0] - b.range[0])) {
    const l = local.get(u.name);
    if (l === undefined) continue;
    out += body.slice(at, u.range[0]) + l;
    at = u.range[1];
  }
  out += body.slice(at);
  out = DECLARATION + `local ${[...local.values()].join(", ")}\n` + out.slice(DECLARATION.length);
  out = out.replace(RETURN, (ret) => "\n" + exported.map((n) => `____exports.${n} = ${local.get(n) as string}`).join("\n") + ret);
  // The module body is the vararg function TSTL wraps it in.
  if (checkLuaLimits(`local m = function(...)\n${out}\nend`).length > 0) return text;
  return lead + out;
}

/** The bundle with every module's nested-read exports as locals (see above). */
export function localExports(source: string): string {
  const modules = bundleModules(source);
  if (modules.length === 0) return source;
  let out = source.slice(0, modules[0].from);
  for (const m of modules) {
    const text = source.slice(m.from, m.to);
    const bodyAt = text.indexOf(m.body);
    out += bodyAt < 0 ? text : text.slice(0, bodyAt) + localizeBody(m.body) + text.slice(bodyAt + m.body.length);
  }
  return out + source.slice(modules[modules.length - 1].to);
}
