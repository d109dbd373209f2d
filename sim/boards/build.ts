// Builds what an emulated board loads: the image, the port (hal/<board>/board.ts) and the board's
// module emulation (sim/boards/<board>/modules.ts), for one Lua version, reused while no source changed.

import * as fs from "node:fs";
import * as path from "node:path";
import { compile, halFile, ROOT, Target, transpileEntry } from "../../build/compile";
import { BuildConfig, loadConfig } from "../../build/config";
import { buildDir, emulationFile } from "../runtimes/image";

function newest(dirs: string[], files: string[]): number {
  let t = 0;
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(ent.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) walk(path.join(ROOT, d));
  for (const f of files) t = Math.max(t, fs.statSync(f).mtimeMs);
  for (const f of fs.readdirSync(path.join(ROOT, "build"))) if (f.endsWith(".ts")) t = Math.max(t, fs.statSync(path.join(ROOT, "build", f)).mtimeMs);
  return t;
}

/**
 * The config an emulated board runs: the user's, with its first EVSE only when the board reads one
 * pilot (ESP8266: one ADC), and without its "board" wiring section (the emulated board has its own,
 * sim/boards/<board>/driver.ts), written as "<name>-<board>" under build/gen/sim-configs/.
 */
export function portConfigFile(configFile: string, board: string, maxEvses: number): string {
  const raw = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown> & { name: string; evses: unknown[] };
  loadConfig(configFile, ROOT);
  const suffix = `-${board}`;
  const derived: Record<string, unknown> = { ...raw, name: String(raw.name).slice(0, 40 - suffix.length) + suffix, evses: raw.evses.slice(0, maxEvses) };
  delete derived.$schema;
  delete derived.board;
  const file = path.join(ROOT, "build", "gen", "sim-configs", `${derived.name as string}.json`);
  const text = JSON.stringify(derived, null, 2) + "\n";
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return file;
}

/** Builds (or reuses) image, port and emulation of a config for a board into build/out/<config>/<target>/. */
export function buildPort(configFile: string, board: string, target: Target, log?: (s: string) => void): BuildConfig {
  const cfg = loadConfig(configFile, ROOT);
  const dir = buildDir(ROOT, cfg.name, target);
  const emu = emulationFile(dir, board);
  const outputs = [path.join(dir, "ocpp.luac"), halFile(dir, board, true), emu];
  const stampFile = path.join(dir, `port-${board}-config.json`);
  const stamp = JSON.stringify(cfg);
  const fresh = outputs.every((f) => fs.existsSync(f)) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
  if (fresh && Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs)) >= newest(["firmware", "hal", "profiles", "sim/boards"], [configFile])) return cfg;
  log?.(`building ${cfg.name} for ${target} with the ${board} port …`);
  compile(cfg, target, dir, board);
  const source = transpileEntry(path.join(ROOT, "sim", "boards", board, "modules.ts"), target);
  fs.writeFileSync(emu, Buffer.from(source, "latin1"));
  fs.writeFileSync(stampFile, stamp);
  return cfg;
}
