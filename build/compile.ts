// One build: config -> generated sources -> TSTL bundles (image, board HAL) -> subset check -> Lua
// files and their stripped bytecode on disk.

import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import * as tstl from "typescript-to-lua";
import { BuildConfig } from "./config";
import { pruneBundle } from "./bundle";
import { hoistImports } from "./hoist-imports";
import { localExports } from "./local-exports";
import { hoistLibs } from "./hoist-libs";
import { renameFields } from "./rename-fields";
import { dropNilFields } from "./nil-fields";
import { checkLua, checkLuaLimits } from "./check-lua";
import { generate, modelKeys, readManifest } from "./generate";
import { checkBlocks } from "./check-blocks";
import { checkModelKeys } from "./check-keys";
import { checkSends } from "./check-sends";
import { lintSubset } from "./lint-subset";
import { compileStripped } from "../sim/runtimes/lua-vm";

export const ROOT = path.resolve(__dirname, "..");

export type Target = "lua5.1" | "lua5.3";

/** One Lua bundle of a build: its source and the stripped bytecode a board loads. */
export interface Chunk {
  luaFile: string;
  bytecodeFile: string;
  source: string;
  bytecode: string;
}

export interface BuildResult {
  target: Target;
  board: string;
  /** The board-neutral image: ocpp.lua / ocpp.luac. */
  image: Chunk;
  /** The board's HAL: hal-<board>.lua / hal-<board>.luac. */
  hal: Chunk;
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
 * entry module, holding only the modules it requires, after the type check, TSTL, the subset lint and the Lua check; throws BuildError.
 */
/** What a build's image must satisfy beyond the subset: its device-model keys, and each block's sends. */
export interface ImageChecks {
  modelKeys: Set<string>;
  sends: Map<string, string[]>;
}

/**
 * extraGlobals: Lua globals the bundle may read beyond the standard subset: a port's firmware modules
 * (hal/<board>/board.json "globals"), never the image's.
 */
export function transpileEntry(entry: string, target: Target, checks?: ImageChecks, extraGlobals: string[] = []): string {
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
      if (name.endsWith(".lua")) written = localExports(hoistImports(hoistLibs(dropNilFields(pruneBundle(Buffer.from(text, "utf8").toString("latin1"))))));
    },
  });
  const diagnostics = ts.sortAndDeduplicateDiagnostics([...pre, ...emitted.diagnostics]);
  // TSTL diagnostics (unsupported constructs, lualib needs) are errors here, as are type errors.
  if (diagnostics.length > 0) throw new BuildError(formatDiagnostics(diagnostics));
  if (written === undefined) throw new BuildError("TSTL produced no bundle");
  // An image's own state fields under short names (build/rename-fields.ts).
  if (checks !== undefined) written = renameFields(written).source;
  const ours = (sf: ts.SourceFile) => !sf.fileName.includes("/build/gen/");
  const violations: { file: string; line: number; message: string }[] = lintSubset(program, ours);
  if (checks !== undefined) {
    violations.push(...checkModelKeys(program, ours, checks.modelKeys));
    violations.push(...checkSends(program, ROOT, checks.sends));
  }
  if (violations.length > 0) {
    throw new BuildError(violations.map((v) => `${path.relative(ROOT, v.file)}:${v.line}: ${v.message}`).join("\n"));
  }
  const check = checkLua(written, extraGlobals);
  if (check.lualib.length > 0) throw new BuildError(`emitted Lua references lualib: ${check.lualib.join(", ")}`);
  if (check.globals.length > 0) throw new BuildError(`emitted Lua touches undeclared globals: ${check.globals.join(", ")}`);
  const over = checkLuaLimits(written);
  if (over.length > 0) throw new BuildError(`emitted Lua is over a Lua limit of the boards:\n${over.join("\n")}`);
  return written;
}

/**
 * hal/<board>/board.json: what the build needs to know of a board. globals: the firmware's modules the
 * port reads (tmr, websocket, ...): the only globals its bundle may touch besides the standard subset,
 * so a port cannot lean on a module by accident, and an image (checked without them) never can.
 */
export interface BoardManifest {
  /** The targets the board's firmware runs (its Lua versions). */
  targets: Target[];
  globals: string[];
  /** A board an OEM flashes: the start file its firmware runs at boot, which the build writes (build/start-file.ts). */
  start?: "init.lua" | "main.lua";
}

export function readBoardManifest(root: string, board: string): BoardManifest {
  const file = path.join(root, "hal", board, "board.json");
  const m = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<BoardManifest>;
  if (!Array.isArray(m.targets) || m.targets.some((t) => t !== "lua5.1" && t !== "lua5.3")) throw new BuildError(`${file}: targets must list lua5.1 and/or lua5.3`);
  if (!Array.isArray(m.globals) || m.globals.some((g) => typeof g !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(g))) throw new BuildError(`${file}: globals must be Lua names`);
  if (m.start !== undefined && m.start !== "init.lua" && m.start !== "main.lua") throw new BuildError(`${file}: start must be init.lua (NodeMCU) or main.lua (LuatOS)`);
  return { ...m, targets: m.targets, globals: m.globals };
}

/** Boards a build can link: every hal/<board>/ with a board.ts entry (its HAL and main). */
export function boardsAvailable(root: string): string[] {
  const dir = path.join(root, "hal");
  return fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, "board.ts"))).sort();
}

/** Where a build's HAL chunk goes: hal-<board>.lua(c) beside the image. */
export function halFile(dir: string, board: string, bytecode: boolean): string {
  return path.join(dir, `hal-${board}.${bytecode ? "luac" : "lua"}`);
}

function writeChunk(luaFile: string, bytecodeFile: string, source: string, target: Target, chunkName: string): Chunk {
  const bytecode = compileStripped(target, source, chunkName);
  fs.writeFileSync(luaFile, Buffer.from(source, "latin1"));
  fs.writeFileSync(bytecodeFile, Buffer.from(bytecode, "latin1"));
  return { luaFile, bytecodeFile, source, bytecode };
}

/** Newest modification time of the files under these folders of ROOT. */
function newestUnder(dirs: string[]): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) walk(path.join(ROOT, d));
  return newest;
}

/**
 * A board's HAL bundle depends on the board and the target only, not on the config: transpiled once
 * per process while its sources (hal/, firmware/) stay unchanged, as the bench and the tests build many
 * configs in a row.
 */
const halBundles = new Map<string, { stamp: number; source: string }>();
function halBundle(board: string, target: Target): string {
  const key = `${board}/${target}`;
  const stamp = newestUnder(["hal", "firmware"]);
  const hit = halBundles.get(key);
  if (hit !== undefined && hit.stamp === stamp) return hit.source;
  const source = transpileEntry(path.join(ROOT, "hal", board, "board.ts"), target, undefined, readBoardManifest(ROOT, board).globals);
  halBundles.set(key, { stamp, source });
  return source;
}

/**
 * Compiles one configuration for one target and board into outDir: the board-neutral image
 * (ocpp.lua, stripped ocpp.luac) and the board's HAL (hal-<board>.lua/.luac), each bytecode stripped
 * by the target's own VM. Throws BuildError with every diagnostic.
 */
export function compile(cfg: BuildConfig, target: Target, outDir: string, board = "sim"): BuildResult {
  if (!boardsAvailable(ROOT).includes(board)) throw new BuildError(`unknown board '${board}' (available: ${boardsAvailable(ROOT).join(", ")})`);
  if (!readBoardManifest(ROOT, board).targets.includes(target)) throw new BuildError(`board '${board}' does not run ${target} (hal/${board}/board.json)`);
  const manifests = cfg.blocks.map((b) => readManifest(ROOT, b));
  const problems = checkBlocks(ROOT, manifests);
  if (problems.length > 0) throw new BuildError(problems.join("\n"));
  const sends = new Map(manifests.map((m) => [m.name, m.sends]));
  const source = transpileEntry(generate(ROOT, cfg), target, { modelKeys: modelKeys(ROOT, cfg), sends });
  const halSource = halBundle(board, target);
  fs.mkdirSync(outDir, { recursive: true });
  return {
    target,
    board,
    image: writeChunk(path.join(outDir, "ocpp.lua"), path.join(outDir, "ocpp.luac"), source, target, "=ocpp"),
    hal: writeChunk(halFile(outDir, board, false), halFile(outDir, board, true), halSource, target, `=hal-${board}`),
  };
}
