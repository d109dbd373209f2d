// One build: config -> generated sources -> TSTL bundle -> subset check -> Lua file on disk.

import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import * as tstl from "typescript-to-lua";
import { BuildConfig } from "./config";
import { checkLua } from "./check-lua";
import { generate } from "./generate";

export const ROOT = path.resolve(__dirname, "..");

export interface BuildResult {
  luaFile: string;
  source: string;
  target: "lua5.1" | "lua5.3";
}

export class BuildError extends Error {}

function formatDiagnostics(diags: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diags, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });
}

/** Every .ts file the entry reaches through relative imports. */
function collectSources(entry: string): string[] {
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = fs.readFileSync(f, "utf8");
    for (const m of text.matchAll(/from\s+"(\.[^"]+)"/g)) walk(path.resolve(path.dirname(f), m[1]) + ".ts");
  };
  walk(entry);
  return [...seen];
}

/** Compiles one configuration for one target; throws BuildError with every diagnostic. */
export function compile(cfg: BuildConfig, target: "lua5.1" | "lua5.3", outDir: string): BuildResult {
  const entry = generate(ROOT, cfg);
  const bundle = path.join(outDir, "ocpp.lua");
  const options: tstl.CompilerOptions = {
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noLib: true,
    strict: true,
    types: ["@typescript-to-lua/language-extensions"],
    typeRoots: [path.join(ROOT, "node_modules")],
    rootDir: ROOT,
    outDir,
    luaTarget: target === "lua5.1" ? tstl.LuaTarget.Lua51 : tstl.LuaTarget.Lua53,
    luaLibImport: tstl.LuaLibImportKind.None,
    noImplicitSelf: true,
    noHeader: true,
    luaBundle: bundle,
    luaBundleEntry: entry,
    sourceMap: false,
  };
  const files = [path.join(ROOT, "firmware/types/lib.d.ts"), path.join(ROOT, "firmware/types/lua.d.ts"), entry];
  let written: string | undefined;
  const result = tstl.transpileFiles(files, options, (name, text) => {
    // Lua source is bytes: keep it as a byte string (one char per byte) like every string here.
    if (name.endsWith(".lua")) written = Buffer.from(text, "utf8").toString("latin1");
  });
  // TSTL diagnostics (unsupported constructs, lualib needs) are errors here, as are type errors.
  if (result.diagnostics.length > 0) throw new BuildError(formatDiagnostics(result.diagnostics));
  if (written === undefined) throw new BuildError("TSTL produced no bundle");
  // TSTL copies imported bindings into locals at require time: an exported `let` would be a stale
  // copy in Lua while staying live in Node. Share mutable state through a table instead.
  for (const f of collectSources(entry)) {
    const text = fs.readFileSync(f, "utf8");
    const m = /^export let\s+(\w+)/m.exec(text);
    if (m) throw new BuildError(`${path.relative(ROOT, f)}: 'export let ${m[1]}' is not allowed in firmware (imports are copied in Lua)`);
  }
  const check = checkLua(written);
  if (check.lualib.length > 0) throw new BuildError(`emitted Lua references lualib: ${check.lualib.join(", ")}`);
  if (check.globals.length > 0) throw new BuildError(`emitted Lua touches undeclared globals: ${check.globals.join(", ")}`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(bundle, Buffer.from(written, "latin1"));
  return { luaFile: bundle, source: written, target };
}
