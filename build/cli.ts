// ocpp-fw: builds an OEM configuration into a board-neutral Lua image, the board's HAL, their
// stripped bytecode and a size report; for a board an OEM flashes (hal/<board>/board.json "start"),
// also everything that goes on it (build/package.ts).
//
//   ocpp-fw build --config FILE [--target lua5.1|lua5.3] [--board sim|<port>] [--out DIR]
//
// --board sim writes into build/out/<config>/<target>/, a port into build/out/<config>/<board>/.
// Without --target a port is built for the config's target if its firmware runs it, else for the
// firmware's own (board.json "targets").

import * as fs from "node:fs";
import * as path from "node:path";
import { bundleModules } from "./bundle";
import { boardsAvailable, compile, BuildError, Chunk, readBoardManifest, ROOT, Target } from "./compile";
import { ConfigError, loadConfig } from "./config";
import { ModelError } from "./device-model";
import { boardWiring, LfsSize, packageBoard, RamSize, writeFlashing } from "./package";
import { heapLeft } from "./ram";
import { compileStripped } from "../sim/runtimes/lua-vm";

const USAGE = `usage: ocpp-fw build --config FILE [--target lua5.1|lua5.3] [--board ${boardsAvailable(ROOT).join("|")}] [--out DIR]`;

/** Usage mistakes: exit code 2, like a missing subcommand. */
class UsageError extends Error {}

/** `--opt value` or `--opt=value`, each option once. */
function parse(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new UsageError(`bad argument '${a}'`);
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq < 0 && i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
    if (name in out) throw new UsageError(`--${name} given twice`);
    out[name] = eq > 0 ? a.slice(eq + 1) : argv[++i];
  }
  return out;
}

export interface ModuleSize {
  module: string;
  bytecodeBytes: number;
}

/** One chunk in the size report. */
export interface ChunkSize {
  file: string;
  sourceBytes: number;
  bytecodeBytes: number;
  modules: ModuleSize[];
}

/** size.json: the board-neutral image and the board's HAL, each with its modules. */
export interface SizeReport {
  config: string;
  target: Target;
  board: string;
  blocks: string[];
  image: ChunkSize;
  hal: ChunkSize;
  /** NodeMCU on Lua 5.1: the LFS the image and the port need together (an estimate: build/lfs-size.ts). */
  lfs?: LfsSize;
  /** A flashable board: the RAM the image and the port leave resident, and the board's heap where it limits. */
  ram?: RamSize;
}

export interface BuildOutput {
  dir: string;
  target: Target;
  board: string;
  luaFile: string;
  bytecodeFile: string;
  halLuaFile: string;
  halBytecodeFile: string;
  /** The image's figures (the HAL's are in report.hal). */
  sourceBytes: number;
  bytecodeBytes: number;
  report: SizeReport;
}

/**
 * Stripped bytecode per bundled module: each module body of the TSTL bundle compiled as a chunk of
 * its own, so an OEM sees where the ROM goes (the sum is a little above the whole image's: each chunk
 * repeats a header).
 */
export function moduleSizes(target: Target, source: string): ModuleSize[] {
  return bundleModules(source)
    .map((m) => ({ module: m.name, bytecodeBytes: compileStripped(target, m.body, "=" + m.name).length }))
    .sort((a, b) => b.bytecodeBytes - a.bytecodeBytes);
}

function chunkSize(dir: string, target: Target, c: Chunk): ChunkSize {
  return { file: path.relative(dir, c.bytecodeFile), sourceBytes: c.source.length, bytecodeBytes: c.bytecode.length, modules: moduleSizes(target, c.source) };
}

function sizeText(r: SizeReport): string {
  const chunk = (title: string, c: ChunkSize) =>
    `${title}: ${c.file}\n  Lua source        ${c.sourceBytes} bytes\n  stripped bytecode ${c.bytecodeBytes} bytes\n  stripped bytecode per module:\n` +
    c.modules.map((m) => `    ${String(m.bytecodeBytes).padStart(6)}  ${m.module}`).join("\n") + "\n";
  const lfs =
    r.lfs === undefined
      ? ""
      : `LFS (NodeMCU): image + HAL need about ${r.lfs.estimateBytes} bytes (estimate from the stripped bytecode, build/lfs-size.ts); the firmware offers at most ${r.lfs.maxBytes}${r.lfs.estimateBytes > r.lfs.maxBytes ? ": DOES NOT FIT" : ""}\n`;
  return `${r.config} (${r.target}), blocks: ${r.blocks.join(", ")}\n` + chunk("image (board-neutral)", r.image) + chunk(`HAL (board ${r.board}, apart from the image)`, r.hal) + lfs + (r.ram === undefined ? "" : ramText(r.ram));
}

function ramText(r: RamSize): string {
  const resident = `RAM: image + HAL leave about ${r.residentKb} KB resident with their code in flash (closures, upvalues and tables of their module bodies, measured on PUC Lua, build/resident.ts); a charging session needs its dynamic RAM on top (npm run bench:footprint)`;
  const h = heapLeft(r.residentKb, r.heapKb, r.sessionMinKb);
  if (h === undefined) return resident + "\n";
  return `${resident}; of the board's ~${h.heapKb} KB heap that leaves ${h.leftKb} KB, and a Core session has needed at least ${h.sessionMinKb} KB${h.fits ? "" : ": DOES NOT FIT"}\n`;
}

/**
 * Builds one config for one target and board into dir: ocpp.lua and ocpp.luac (the image, stripped),
 * hal-<board>.lua/.luac (the board's part) and size.json/size.txt listing the two apart; for a board
 * an OEM flashes, its package too (start file, provisioning template, FLASHING.md, ...).
 */
export function buildImage(configFile: string, target: Target | undefined, outDir: string | undefined, board = "sim"): BuildOutput {
  const cfg = loadConfig(configFile, ROOT);
  const manifest = boardsAvailable(ROOT).includes(board) ? readBoardManifest(ROOT, board) : undefined;
  const flashable = manifest?.start !== undefined;
  // Before the slow compile: a flashable board needs the config's wiring for it.
  if (flashable) boardWiring(cfg, configFile, board);
  const t = target ?? (manifest === undefined || manifest.targets.includes(cfg.target) ? cfg.target : manifest.targets[0]);
  const dir = outDir ?? path.join(ROOT, "build", "out", cfg.name, flashable ? board : t);
  const res = compile(cfg, t, dir, board);
  const pkg = flashable && manifest !== undefined ? packageBoard(cfg, configFile, manifest, res, dir) : undefined;
  const report: SizeReport = { config: cfg.name, target: t, board, blocks: cfg.blocks, image: chunkSize(dir, t, res.image), hal: chunkSize(dir, t, res.hal), lfs: pkg?.lfs, ram: pkg?.ram };
  fs.writeFileSync(path.join(dir, "size.json"), JSON.stringify(report, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "size.txt"), sizeText(report));
  if (pkg !== undefined && manifest !== undefined) writeFlashing(cfg, configFile, manifest, res, dir, pkg);
  return {
    dir,
    target: t,
    board,
    luaFile: res.image.luaFile,
    bytecodeFile: res.image.bytecodeFile,
    halLuaFile: res.hal.luaFile,
    halBytecodeFile: res.hal.bytecodeFile,
    sourceBytes: report.image.sourceBytes,
    bytecodeBytes: report.image.bytecodeBytes,
    report,
  };
}

export function main(argv: string[]): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  if (argv[0] !== "build") {
    console.error(USAGE);
    return 2;
  }
  try {
    const a = parse(argv.slice(1));
    for (const k of Object.keys(a)) if (!["config", "target", "board", "out"].includes(k)) throw new UsageError(`unknown option --${k}`);
    if (a.config === undefined) throw new UsageError("--config is required");
    if (a.target !== undefined && a.target !== "lua5.1" && a.target !== "lua5.3") throw new UsageError("--target must be lua5.1 or lua5.3");
    const boards = boardsAvailable(ROOT);
    if (a.board !== undefined && !boards.includes(a.board)) throw new UsageError(`--board must be one of ${boards.join(", ")}`);
    const r = buildImage(a.config, a.target as Target | undefined, a.out, a.board);
    const rel = (f: string) => path.relative(process.cwd(), f);
    console.log(`built ${rel(r.luaFile)} (${r.sourceBytes} bytes source, ${r.bytecodeBytes} bytes stripped bytecode in ${rel(r.bytecodeFile)})`);
    console.log(`board ${r.board}: ${rel(r.halBytecodeFile)} (${r.report.hal.bytecodeBytes} bytes stripped bytecode, not part of the image)`);
    if (fs.existsSync(path.join(r.dir, "FLASHING.md"))) console.log(`flash it as ${rel(path.join(r.dir, "FLASHING.md"))} describes`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`ocpp-fw: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof BuildError || e instanceof ModelError) {
      console.error(`ocpp-fw: ${e.message}`);
      return 1;
    }
    // Anything else (an unwritable --out, a full disk): one line, not a stack dump.
    console.error(`ocpp-fw: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
