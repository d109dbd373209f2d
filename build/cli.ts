// ocpp-fw: builds an OEM configuration into a Lua image, stripped bytecode and a size report.
//
//   ocpp-fw build --config FILE [--target lua5.1|lua5.3] [--out DIR]

import * as fs from "node:fs";
import * as path from "node:path";
import { compile, BuildError, ROOT } from "./compile";
import { ConfigError, loadConfig } from "./config";
import { ModelError } from "./device-model";
import { compileStripped } from "../sim/runtimes/lua-vm";

const USAGE = "usage: ocpp-fw build --config FILE [--target lua5.1|lua5.3] [--out DIR]";

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

export interface BuildOutput {
  dir: string;
  luaFile: string;
  bytecodeFile: string;
  sourceBytes: number;
  bytecodeBytes: number;
}

/**
 * Stripped bytecode per bundled module: each module body of the TSTL bundle compiled as a chunk of
 * its own, so an OEM sees where the ROM goes (the sum is a little above the whole image's: each chunk
 * repeats a header).
 */
export function moduleSizes(target: "lua5.1" | "lua5.3", source: string): { module: string; bytecodeBytes: number }[] {
  const out: { module: string; bytecodeBytes: number }[] = [];
  const header = /^\["([^"]+)"\] = function\(\.\.\.\) ?$/gm;
  const starts = [...source.matchAll(header)];
  starts.forEach((m, i) => {
    const from = (m.index ?? 0) + m[0].length;
    const to = i + 1 < starts.length ? (starts[i + 1].index ?? source.length) : source.indexOf("\n}\n", from);
    const body = source.slice(from, to).replace(/ end,\s*$/, "");
    out.push({ module: m[1], bytecodeBytes: compileStripped(target, body, "=" + m[1]).length });
  });
  return out.sort((a, b) => b.bytecodeBytes - a.bytecodeBytes);
}

/** Builds one config for one target into dir: ocpp.lua, ocpp.luac (stripped) and size.json/size.txt. */
export function buildImage(configFile: string, target: "lua5.1" | "lua5.3" | undefined, outDir: string | undefined): BuildOutput {
  const cfg = loadConfig(configFile, ROOT);
  const t = target ?? cfg.target;
  const dir = outDir ?? path.join(ROOT, "build", "out", cfg.name, t);
  const res = compile(cfg, t, dir);
  const bc = compileStripped(t, res.source, "=ocpp");
  const bytecodeFile = path.join(dir, "ocpp.luac");
  fs.writeFileSync(bytecodeFile, Buffer.from(bc, "latin1"));
  const report = {
    config: cfg.name,
    target: t,
    blocks: cfg.blocks,
    sourceBytes: Buffer.byteLength(res.source, "latin1"),
    bytecodeBytes: bc.length,
    modules: moduleSizes(t, res.source),
  };
  fs.writeFileSync(path.join(dir, "size.json"), JSON.stringify(report, null, 2) + "\n");
  fs.writeFileSync(
    path.join(dir, "size.txt"),
    `${cfg.name} (${t}), blocks: ${cfg.blocks.join(", ")}\n  Lua source        ${report.sourceBytes} bytes\n  stripped bytecode ${report.bytecodeBytes} bytes\n` +
      `  stripped bytecode per module:\n` +
      report.modules.map((m) => `    ${String(m.bytecodeBytes).padStart(6)}  ${m.module}`).join("\n") + "\n",
  );
  return { dir, luaFile: res.luaFile, bytecodeFile, sourceBytes: report.sourceBytes, bytecodeBytes: report.bytecodeBytes };
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
    for (const k of Object.keys(a)) if (!["config", "target", "out"].includes(k)) throw new UsageError(`unknown option --${k}`);
    if (a.config === undefined) throw new UsageError("--config is required");
    if (a.target !== undefined && a.target !== "lua5.1" && a.target !== "lua5.3") throw new UsageError("--target must be lua5.1 or lua5.3");
    const r = buildImage(a.config, a.target as "lua5.1" | "lua5.3" | undefined, a.out);
    console.log(`built ${path.relative(process.cwd(), r.luaFile)} (${r.sourceBytes} bytes source, ${r.bytecodeBytes} bytes stripped bytecode in ${path.relative(process.cwd(), r.bytecodeFile)})`);
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
