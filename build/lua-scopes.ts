// Lua's scoping over a luaparse tree, once for the build's checks and rewrites: which declaration a
// name means, in which function, with the locals Lua 5.1 makes without a name.
//
// A walker visits every statement in order; a local is in scope from the statement after its
// declaration to the end of its block (a `local function` from its own body on, for recursion), a
// parameter in its function's body, a loop variable in the loop's body. Names that resolve to no
// local are globals. A member's or a table key's name is no name of the code.

export type LuaNode = { type: string; [k: string]: unknown };

/** A function being walked: the main chunk (node undefined) or a function body. */
export interface LuaFunction {
  node: LuaNode | undefined;
  /** How deep in functions: 0 for the main chunk. */
  depth: number;
}

/** A local's declaration: its name's node (undefined for a hidden local) and the function it belongs to. */
export interface LuaLocal {
  name: string;
  id: LuaNode | undefined;
  fn: LuaFunction;
}

export interface ScopeHooks {
  /** A local comes into scope (hidden: Lua 5.1's vararg `arg` or a for loop's three control slots, one call each). */
  declare?(local: LuaLocal, hidden: boolean): void;
  /** A name read (write false) or assigned; decl undefined: a global. `fns` is the stack of functions, innermost last. */
  use?(id: LuaNode, write: boolean, decl: LuaLocal | undefined, fns: LuaFunction[]): void;
  enterFunction?(fn: LuaFunction): void;
  exitFunction?(fn: LuaFunction): void;
  /** A block ends: its locals go out of scope. */
  exitBlock?(fn: LuaFunction, locals: number): void;
}

/** Walks a parsed chunk (build/lua-parse.ts parseLua, with or without locations), calling the hooks in source order. */
export function walkScopes(chunk: LuaNode, hooks: ScopeHooks): void {
  const scopes: { fn: LuaFunction; names: Map<string, LuaLocal>; count: number }[] = [];
  const fns: LuaFunction[] = [];
  const current = () => scopes[scopes.length - 1];
  const declare = (name: string, id: LuaNode | undefined, hidden = false) => {
    const s = current();
    const local: LuaLocal = { name, id, fn: s.fn };
    if (!hidden) s.names.set(name, local);
    s.count++;
    hooks.declare?.(local, hidden);
  };
  const resolve = (name: string): LuaLocal | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const l = scopes[i].names.get(name);
      if (l !== undefined) return l;
    }
    return undefined;
  };
  const use = (id: LuaNode, write: boolean) => hooks.use?.(id, write, resolve(id.name as string), fns);
  const block = (body: LuaNode[], head?: () => void) => {
    const fn = fns[fns.length - 1];
    scopes.push({ fn, names: new Map(), count: 0 });
    head?.();
    for (const s of body) visit(s);
    const s = scopes.pop() as { count: number };
    hooks.exitBlock?.(fn, s.count);
  };
  const func = (node: LuaNode | undefined, body: LuaNode[], head?: () => void) => {
    const fn: LuaFunction = { node, depth: fns.length };
    fns.push(fn);
    hooks.enterFunction?.(fn);
    block(body, head);
    fns.pop();
    hooks.exitFunction?.(fn);
  };
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== "object") return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    const node = n as LuaNode;
    switch (node.type) {
      case "Identifier":
        use(node, false);
        return;
      case "MemberExpression":
        visit(node.base);
        return;
      case "TableKeyString":
        visit(node.value);
        return;
      case "LocalStatement":
        visit(node.init);
        for (const v of node.variables as LuaNode[]) declare(v.name as string, v);
        return;
      case "AssignmentStatement":
        for (const v of node.variables as LuaNode[]) {
          if (v.type === "Identifier") use(v, true);
          else visit(v);
        }
        visit(node.init);
        return;
      case "FunctionDeclaration": {
        const id = node.identifier as LuaNode | null;
        if (node.isLocal && id !== null) declare(id.name as string, id);
        else if (id !== null && id.type === "Identifier") use(id, true);
        else if (id !== null) visit(id);
        const self = id !== null && id.type === "MemberExpression" && id.indexer === ":";
        func(node, node.body as LuaNode[], () => {
          if (self) declare("self", undefined);
          for (const p of node.parameters as LuaNode[]) {
            if (p.type === "Identifier") declare(p.name as string, p);
            // Lua 5.1 (LUA_COMPAT_VARARG, on in NodeMCU) gives a vararg function a hidden local `arg`.
            else if (p.type === "VarargLiteral") declare("arg", undefined, true);
          }
        });
        return;
      }
      case "DoStatement":
      case "WhileStatement":
        visit(node.condition);
        block(node.body as LuaNode[]);
        return;
      case "RepeatStatement": {
        // until sees the body's locals.
        const fn = fns[fns.length - 1];
        scopes.push({ fn, names: new Map(), count: 0 });
        for (const s of node.body as LuaNode[]) visit(s);
        visit(node.condition);
        const s = scopes.pop() as { count: number };
        hooks.exitBlock?.(fn, s.count);
        return;
      }
      case "IfStatement":
        for (const c of node.clauses as LuaNode[]) {
          visit(c.condition);
          block(c.body as LuaNode[]);
        }
        return;
      case "ForNumericStatement":
        visit(node.start);
        visit(node.end);
        visit(node.step);
        // (for index), (for limit), (for step), then the variable.
        block(node.body as LuaNode[], () => {
          for (let i = 0; i < 3; i++) declare("(for)", undefined, true);
          declare((node.variable as LuaNode).name as string, node.variable as LuaNode);
        });
        return;
      case "ForGenericStatement":
        visit(node.iterators);
        // (for generator), (for state), (for control), then the variables.
        block(node.body as LuaNode[], () => {
          for (let i = 0; i < 3; i++) declare("(for)", undefined, true);
          for (const v of node.variables as LuaNode[]) declare(v.name as string, v);
        });
        return;
      case "Chunk":
        func(undefined, node.body as LuaNode[]);
        return;
      default:
        for (const [k, v] of Object.entries(node)) if (k !== "type" && k !== "loc" && k !== "range") visit(v);
    }
  };
  visit(chunk);
}
