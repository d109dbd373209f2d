// One build: config -> generated sources -> TSTL bundle -> subset check -> Lua file on disk.

import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import * as tstl from "typescript-to-lua";
import { BuildConfig } from "./config";
import { checkLua } from "./check-lua";
import { generate } from "./generate";
import { lintSubset } from "./lint-subset";

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

/**
 * Transpiles everything an entry file reaches into one Lua bundle (a byte string) that returns the
 * entry module, after the type check, TSTL, the subset lint and the Lua check; throws BuildError.
 */
export function transpileEntry(entry: string, target: "lua5.1" | "lua5.3"): string {
  const outDir = path.join(ROOT, "build", "out", ".tstl");
  const bundle = path.join(outDir, "bundle.lua");
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
  // tstl.transpileFiles, with the program kept so the subset lint can use its type checker.
  const program = ts.createProgram(files, options);
  const pre = ts.getPreEmitDiagnostics(program);
  const emitted = new tstl.Transpiler().emit({
    program,
    writeFile: (name, text) => {
      // Lua source is bytes: keep it as a byte string (one char per byte) like every string here.
      if (name.endsWith(".lua")) written = Buffer.from(text, "utf8").toString("latin1");
    },
  });
  const diagnostics = ts.sortAndDeduplicateDiagnostics([...pre, ...emitted.diagnostics]);
  // TSTL diagnostics (unsupported constructs, lualib needs) are errors here, as are type errors.
  if (diagnostics.length > 0) throw new BuildError(formatDiagnostics(diagnostics));
  if (written === undefined) throw new BuildError("TSTL produced no bundle");
  const violations = lintSubset(program, (sf) => !sf.fileName.includes("/build/gen/"));
  if (violations.length > 0) {
    throw new BuildError(violations.map((v) => `${path.relative(ROOT, v.file)}:${v.line}: ${v.message}`).join("\n"));
  }
  const check = checkLua(written);
  if (check.lualib.length > 0) throw new BuildError(`emitted Lua references lualib: ${check.lualib.join(", ")}`);
  if (check.globals.length > 0) throw new BuildError(`emitted Lua touches undeclared globals: ${check.globals.join(", ")}`);
  return written;
}

/** Compiles one configuration for one target into outDir/ocpp.lua; throws BuildError with every diagnostic. */
export function compile(cfg: BuildConfig, target: "lua5.1" | "lua5.3", outDir: string): BuildResult {
  const source = transpileEntry(generate(ROOT, cfg), target);
  const luaFile = path.join(outDir, "ocpp.lua");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(luaFile, Buffer.from(source, "latin1"));
  return { luaFile, source, target };
}
