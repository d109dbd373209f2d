// Rejects emitted Lua that leans on TSTL's lualib or touches any global outside the allowed
// standard-library subset (firmware/types/lua.d.ts plus what the bundle loader itself uses).

import * as luaparse from "luaparse";

/** Globals the image may read: the declared subset, plus ipairs/select/require/error from TSTL's own for-of and bundle loader. */
export const ALLOWED_GLOBALS = new Set([
  "type", "tostring", "tonumber", "pairs", "ipairs", "next", "error", "pcall", "select",
  "setmetatable", "getmetatable", "rawset", "rawget", "collectgarbage", "string", "math", "table", "require",
]);

export interface LuaCheck {
  lualib: string[];
  globals: string[];
}

/** extra: globals allowed on top (a port's firmware modules). */
export function checkLua(src: string, extra: string[] = []): LuaCheck {
  const lualib = [...new Set(src.match(/__TS__\w+|____lualib\w*|lualib_bundle/g) ?? [])];
  const globals = new Set<string>();
  const ast = luaparse.parse(src, { scope: true, luaVersion: "5.3", locations: false, comments: false }) as unknown as { globals: { name: string }[] };
  for (const g of ast.globals) if (!ALLOWED_GLOBALS.has(g.name) && !extra.includes(g.name)) globals.add(g.name);
  return { lualib, globals: [...globals].sort() };
}

/**
 * Per-function limits of the smallest Lua the image must load: NodeMCU's Lua 5.1 (ESP8266) compiles
 * with LUAI_MAXVARS 50 and LUAI_MAXUPVALUES 60 (checked against its luac.cross: a 51st active local
 * or a 61st upvalue is a compile error), where PUC 5.1 allows 200 and 60, and 5.3 200 and 255.
 */
export const LUA_LIMITS = { locals: 50, upvalues: 60 };

interface Fn {
  line: number;
  active: number;
  maxActive: number;
  upvalues: Set<string>;
}

type Node = { type: string; [k: string]: unknown };

/** Functions over LUA_LIMITS: "function at line N has M local variables" (or upvalues). */
export function checkLuaLimits(src: string, limits = LUA_LIMITS): string[] {
  const ast = luaparse.parse(src, { luaVersion: "5.3", locations: true, comments: false, scope: false }) as unknown as Node;
  const out: string[] = [];
  // Scopes: each maps a visible local name to the function that declared it.
  const scopes: Map<string, Fn>[] = [];
  const fns: Fn[] = [];
  const declare = (name: string) => {
    const fn = fns[fns.length - 1];
    scopes[scopes.length - 1].set(name, fn);
    fn.active++;
    if (fn.active > fn.maxActive) fn.maxActive = fn.active;
  };
  const hidden = (n: number) => {
    const fn = fns[fns.length - 1];
    fn.active += n;
    if (fn.active > fn.maxActive) fn.maxActive = fn.active;
  };
  const use = (name: string) => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const owner = scopes[i].get(name);
      if (owner === undefined) continue;
      // An upvalue of every function between its use and its declaration.
      for (let k = fns.length - 1; k >= 0 && fns[k] !== owner; k--) fns[k].upvalues.add(name);
      return;
    }
  };
  const block = (body: Node[], extra?: () => void) => {
    const fn = fns[fns.length - 1];
    const before = fn.active;
    scopes.push(new Map());
    extra?.();
    for (const s of body) visit(s);
    scopes.pop();
    fn.active = before;
  };
  const func = (node: Node, selfParam: boolean) => {
    const loc = node.loc as { start: { line: number } } | undefined;
    const fn: Fn = { line: loc?.start.line ?? 0, active: 0, maxActive: 0, upvalues: new Set() };
    fns.push(fn);
    block(node.body as Node[], () => {
      if (selfParam) declare("self");
      for (const p of node.parameters as Node[]) {
        if (p.type === "Identifier") declare(p.name as string);
        // Lua 5.1 (LUA_COMPAT_VARARG, on in NodeMCU) gives a vararg function a hidden local `arg`:
        // a TSTL module function (`function(...)`) with 50 locals is one too many for luac.cross.
        else if (p.type === "VarargLiteral") declare("arg");
      }
    });
    fns.pop();
    if (fn.maxActive > limits.locals) out.push(`function at line ${fn.line} has ${fn.maxActive} local variables (NodeMCU's Lua 5.1 takes ${limits.locals})`);
    if (fn.upvalues.size > limits.upvalues) out.push(`function at line ${fn.line} has ${fn.upvalues.size} upvalues (NodeMCU's Lua 5.1 takes ${limits.upvalues})`);
  };
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== "object") return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    const node = n as Node;
    switch (node.type) {
      case "Identifier":
        use(node.name as string);
        return;
      case "LocalStatement":
        visit(node.init);
        for (const v of node.variables as Node[]) declare(v.name as string);
        return;
      case "FunctionDeclaration": {
        const id = node.identifier as Node | null;
        if (node.isLocal && id !== null) declare(id.name as string);
        else if (id !== null) visit(id);
        const self = id !== null && id.type === "MemberExpression" && id.indexer === ":";
        func(node, self);
        return;
      }
      case "DoStatement":
      case "WhileStatement":
        visit(node.condition);
        block(node.body as Node[]);
        return;
      case "RepeatStatement": {
        // until sees the body's locals.
        const fn = fns[fns.length - 1];
        const before = fn.active;
        scopes.push(new Map());
        for (const s of node.body as Node[]) visit(s);
        visit(node.condition);
        scopes.pop();
        fn.active = before;
        return;
      }
      case "IfStatement":
        for (const c of node.clauses as Node[]) {
          visit(c.condition);
          block(c.body as Node[]);
        }
        return;
      case "ForNumericStatement":
        visit(node.start);
        visit(node.end);
        visit(node.step);
        // (for index), (for limit), (for step), then the variable.
        block(node.body as Node[], () => {
          hidden(3);
          declare((node.variable as Node).name as string);
        });
        return;
      case "ForGenericStatement":
        visit(node.iterators);
        // (for generator), (for state), (for control), then the variables.
        block(node.body as Node[], () => {
          hidden(3);
          for (const v of node.variables as Node[]) declare(v.name as string);
        });
        return;
      case "Chunk": {
        const fn: Fn = { line: 0, active: 0, maxActive: 0, upvalues: new Set() };
        fns.push(fn);
        block(node.body as Node[]);
        fns.pop();
        if (fn.maxActive > limits.locals) out.push(`main chunk has ${fn.maxActive} local variables (NodeMCU's Lua 5.1 takes ${limits.locals})`);
        return;
      }
      case "MemberExpression":
        visit(node.base);
        return;
      case "TableKeyString":
        visit(node.value);
        return;
      default:
        for (const [k, v] of Object.entries(node)) if (k !== "type" && k !== "loc" && k !== "range") visit(v);
    }
  };
  visit(ast);
  return out;
}
