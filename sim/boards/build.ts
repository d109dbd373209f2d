// Builds what an emulated board loads: the image, the port (hal/<board>/board.ts) and the board's
// module emulation (sim/boards/<board>/modules.ts), for one Lua version, reused while no source changed.

import * as fs from "node:fs";
import * as path from "node:path";
import { buildImage } from "../../build/cli";
import { halFile, readBoardManifest, ROOT, Target, transpileEntry } from "../../build/compile";
import { BuildConfig, loadConfig } from "../../build/config";
import type { BoardConfig } from "../../hal/board-config";
import { buildDir, emulationFile } from "../runtimes/image";
import { LUATOS_BOARD } from "./luatos/driver";
import { ESP32_BOARD } from "./nodemcu-esp32/driver";
import { ESP8266_BOARD } from "./nodemcu-esp8266/driver";

/** Each emulated board's wiring (its driver's pins and dividers): the derived config's "board" section, which the start file hands to boardRun. */
export const BOARD_WIRING: Record<string, BoardConfig> = {
  "nodemcu-esp8266": ESP8266_BOARD,
  "nodemcu-esp32": ESP32_BOARD,
  luatos: LUATOS_BOARD,
};

/** Globals the emulation chunk reads beyond the subset: the VM's chunk compiler for the start file, coroutines for LuatOS's sys tasks. */
const EMULATION_GLOBALS = ["load", "loadstring", "coroutine"];

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
 * pilot (ESP8266: one ADC), and its "board" wiring section the emulated board's own (BOARD_WIRING,
 * sim/boards/<board>/driver.ts), which the generated start file hands to the port; written as
 * "<name>-<board>" under build/gen/sim-configs/.
 */
export function portConfigFile(configFile: string, board: string, maxEvses: number, wiring: BoardConfig = BOARD_WIRING[board]): string {
  const raw = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown> & { name: string; evses: unknown[] };
  loadConfig(configFile, ROOT);
  const suffix = `-${board}`;
  const derived: Record<string, unknown> = { ...raw, name: String(raw.name).slice(0, 40 - suffix.length) + suffix, evses: raw.evses.slice(0, maxEvses) };
  delete derived.$schema;
  if (wiring === undefined) throw new Error(`no emulated wiring for board ${board}`);
  derived.board = { [board]: wiring };
  const file = path.join(ROOT, "build", "gen", "sim-configs", `${derived.name as string}.json`);
  const text = JSON.stringify(derived, null, 2) + "\n";
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return file;
}

/**
 * Builds (or reuses) a config for a board as `ocpp-fw build --board <board> --target <target> --out
 * build/out/<config>/<target>/` does (build/cli.ts buildImage: image and port, and the package an OEM
 * flashes: the generated start file, provision.txt, FLASHING.md, ...), and the board's emulation beside
 * them. The simulator loads image and port from there and the emulated firmware runs that start file.
 */
export function buildPort(configFile: string, board: string, target: Target, log?: (s: string) => void): BuildConfig {
  const cfg = loadConfig(configFile, ROOT);
  const dir = buildDir(ROOT, cfg.name, target);
  const emu = emulationFile(dir, board);
  const start = readBoardManifest(ROOT, board).start;
  const outputs = [path.join(dir, "ocpp.luac"), halFile(dir, board, true), emu, ...(start !== undefined ? [path.join(dir, start)] : [])];
  const stampFile = path.join(dir, `port-${board}-config.json`);
  const stamp = JSON.stringify(cfg);
  const fresh = outputs.every((f) => fs.existsSync(f)) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
  if (fresh && Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs)) >= newest(["firmware", "hal", "profiles", "sim/boards"], [configFile])) return cfg;
  log?.(`building ${cfg.name} for ${target} with the ${board} port …`);
  buildImage(configFile, target, dir, board);
  const source = transpileEntry(path.join(ROOT, "sim", "boards", board, "modules.ts"), target, undefined, EMULATION_GLOBALS);
  fs.writeFileSync(emu, Buffer.from(source, "latin1"));
  fs.writeFileSync(stampFile, stamp);
  return cfg;
}
