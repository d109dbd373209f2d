// What goes on a flashable board, beside the image and the port the compile step wrote: the start
// file (with the OEM's wiring), the provisioning template, the bytecode in the firmware's own format
// where the build can make it, FLASHING.md, and the LFS figure for the size report.

import * as fs from "node:fs";
import * as path from "node:path";
import { BoardManifest, BuildResult, ROOT, Target } from "./compile";
import { BuildConfig, ConfigError } from "./config";
import { flashingMd, PackagedFile } from "./flashing";
import { ESP8266_LFS_MAX, lfsEstimate } from "./lfs-size";
import { nodemcu51, nodemcu53 } from "./nodemcu-bytecode";
import { portModule, PROVISION_FILE, startFile } from "./start-file";
import { RamSize, ramSize } from "./ram";
import { residentKb as residentKb_ } from "./resident";
import { boardLimits, checkBoardFit } from "./wiring";

/** The LFS figure of size.json: NodeMCU on Lua 5.1 only (build/lfs-size.ts). */
export interface LfsSize {
  /** Estimated LFS bytes for the image and the port together. */
  estimateBytes: number;
  /** The largest LFS the firmware offers. */
  maxBytes: number;
}

// The RAM figure (build/ram.ts), re-exported where size.json's other figures are.
export type { RamSize } from "./ram";
export { SESSION_MIN_KB } from "./ram";

export interface BoardPackage {
  startFile: "init.lua" | "main.lua";
  /** The package's files, the start file first, each with what it is. */
  files: { file: string; what: string }[];
  lfs?: LfsSize;
  ram: RamSize;
}

/** The per-unit provisioning keys (docs/porting.md), and the EMS broker's where the build has the ems block. */
function provisionKeys(cfg: BuildConfig): string[] {
  const keys = ["Internal/CsmsUrl", "SecurityCtrlr/Identity", "SecurityCtrlr/BasicAuthPassword"];
  if (cfg.blocks.includes("ems")) keys.push("EmsCtrlr/Url");
  return keys;
}

function provisionTemplate(keys: string[]): string {
  return [
    "# Per-unit provisioning: fill in the values, one Component/Variable=value per line (see FLASHING.md).",
    "# Applied once at the first start, then deleted; a key left without a value is skipped.",
    ...keys.map((k) => `${k}=`),
    "",
  ].join("\n");
}

/**
 * The wiring of this board from the config, which a flashable board cannot do without; first whether
 * the config can go on the board at all (build/wiring.ts checkBoardFit: its frame bound, its EVSEs),
 * so the error names what stands in the way rather than a missing section.
 */
export function boardWiring(cfg: BuildConfig, configFile: string, board: string): NonNullable<BuildConfig["board"]>[string] {
  checkBoardFit((field, why) => {
    throw new ConfigError(`${configFile}: ${field}: ${why}`);
  }, cfg, board, ROOT);
  const w = cfg.board?.[board];
  if (w === undefined) throw new ConfigError(`${configFile}: board.${board}: missing: the board's wiring (pins, meter bus, pilot levels, tick), which its start file hands to the port`);
  return w;
}

/**
 * Writes the board's package into the build's directory and returns its file list (the start file
 * first). configFile: as the OEM named it, for FLASHING.md and errors.
 */
export function packageBoard(cfg: BuildConfig, configFile: string, manifest: BoardManifest, res: BuildResult, dir: string): BoardPackage {
  const board = res.board;
  const kind = manifest.start;
  if (kind === undefined) throw new Error(`board ${board} has no start file`);
  const target: Target = res.target;
  const port = portModule(board);
  const write = (file: string, bytes: string | Buffer) => fs.writeFileSync(path.join(dir, file), bytes);
  write(kind, startFile(kind, { config: cfg.name, board, target, firmwareVersion: cfg.identity.firmwareVersion, wiring: boardWiring(cfg, configFile, board) }));
  const keys = provisionKeys(cfg);
  write(PROVISION_FILE, provisionTemplate(keys));
  const nodemcu = kind === "init.lua";
  // NodeMCU loads neither of PUC's bytecode formats: the build's, laid out as NodeMCU's loader wants it
  // and named as its source (an LFS image built from them names its modules ocpp and hal-<board>).
  if (nodemcu) {
    const convert = target === "lua5.1" ? nodemcu51 : nodemcu53;
    write("ocpp.lc", Buffer.from(convert(res.image.bytecode, "@ocpp.lua"), "latin1"));
    write(`${port}.lc`, Buffer.from(convert(res.hal.bytecode, `@${port}.lua`), "latin1"));
  }
  const vm = target === "lua5.1" ? "Lua 5.1" : "Lua 5.3 (4-byte integers and floats)";
  const files: BoardPackage["files"] = [
    { file: kind, what: nodemcu ? "the start file the firmware runs at boot: loads the image and the port, hands the port the wiring, applies the provisioning" : "the start file: PROJECT/VERSION for LuaTools, loads the image and the port, hands the port the wiring, applies the provisioning, `sys.run()`" },
    { file: "ocpp.lua", what: nodemcu ? "the image (board-neutral), Lua source" : "the image (board-neutral): a script" },
    { file: `${port}.lua`, what: nodemcu ? "the port, Lua source" : "the port: a script" },
  ];
  if (nodemcu) {
    files.push({ file: "ocpp.lc", what: `the image as NodeMCU ${vm} bytecode, stripped: input of the LFS image; loaded from the file system when LFS does not hold it` });
    files.push({ file: `${port}.lc`, what: `the port as NodeMCU ${vm} bytecode, stripped: input of the LFS image; loaded from the file system when LFS does not hold it` });
  }
  files.push({ file: PROVISION_FILE, what: "per-unit provisioning template (CSMS URL, identity, password): fill in per unit" });
  files.push({ file: "ocpp.luac", what: "not for the board: the image as PUC Lua bytecode, which the simulator runs" });
  files.push({ file: `${port}.luac`, what: "not for the board: the port as PUC Lua bytecode, for the simulator" });
  files.push({ file: "size.txt", what: "not for the board: the size report (also size.json)" });
  const lfs = nodemcu && target === "lua5.1" ? { estimateBytes: lfsEstimate([res.image.bytecode, res.hal.bytecode]), maxBytes: ESP8266_LFS_MAX } : undefined;
  const residentKb = Math.round((residentKb_(target, res.image.bytecode) + residentKb_(target, res.hal.bytecode)) * 10) / 10;
  const heapKb = boardLimits(ROOT, board).heapKb;
  return { startFile: kind, lfs, files, ram: ramSize(residentKb, heapKb) };
}

/** Writes FLASHING.md with each file's size: after size.txt, which it lists. */
export function writeFlashing(cfg: BuildConfig, configFile: string, manifest: BoardManifest, res: BuildResult, dir: string, pkg: BoardPackage): void {
  const files: PackagedFile[] = pkg.files.map((f) => ({ ...f, bytes: fs.statSync(path.join(dir, f.file)).size }));
  const md = flashingMd({
    config: cfg.name,
    configFile,
    board: res.board,
    target: res.target,
    startFile: pkg.startFile,
    files,
    lfs: pkg.lfs !== undefined ? { bytes: pkg.lfs.estimateBytes, max: pkg.lfs.maxBytes } : undefined,
    ram: pkg.ram,
    provisionKeys: provisionKeys(cfg),
    modules: manifest.globals,
    wiring: cfg.board?.[res.board],
  });
  fs.writeFileSync(path.join(dir, "FLASHING.md"), md);
}
