// Loads one built image and the simulator's HAL (hal/sim/board.ts) into one of the five runtimes
// behind the same line-protocol interface.

import * as fs from "node:fs";
import * as path from "node:path";
import { createLuaVm, LuaRuntimeName, LuaVm } from "./lua-vm";
import type { Firmware } from "../../firmware/entry";
import { simBoard } from "../../hal/sim/board";
import "./lua-shim";
import "./tstl-shim";

export type RuntimeName = "node" | LuaRuntimeName;
export const RUNTIMES: RuntimeName[] = ["node", "lua5.1", "lua5.3", "lua5.3-int32", "lua5.3-f32"];

export interface ImageRuntime {
  readonly runtime: RuntimeName;
  /** One input line in, the effect lines out (hal/sim/board.ts). */
  event(line: string): string;
  /** Lua heap in KB (collectgarbage("count")), after a full GC when full; Node: JS heap. */
  heapKb(full: boolean): number;
  /** Whether heapKb is the image's own heap: false for node and fengari, whose objects live in the JS heap. */
  readonly ownHeap: boolean;
  /** The Lua VM, for benchmarks (undefined on node). */
  vm?: LuaVm;
  /** The files a Lua runtime loaded: the image chunk and the HAL chunk (undefined on node). */
  readonly chunks?: { image: string; hal: string };
  close(): void;
}

/** Where a build for this runtime's Lua version writes its output: build/out/<config>/<lua5.x>/. */
export function buildDir(root: string, config: string, runtime: LuaRuntimeName): string {
  return path.join(root, "build", "out", config, runtime === "lua5.1" ? "lua5.1" : "lua5.3");
}

/** The runtimes that undump the build's bytecode: PUC Lua, the VMs the build strips with. */
function loadsBuildBytecode(runtime: LuaRuntimeName): boolean {
  return runtime === "lua5.1" || runtime === "lua5.3";
}

/**
 * The chunks a Lua runtime loads, image then HAL: what a board gets, the stripped bytecode of the build
 * (ocpp.luac, hal-sim.luac). fengari (lua5.3-int32 and its kin) cannot undump PUC 5.3 bytecode (its
 * lua_Integer is 4 bytes, PUC's 8), so it loads the sources and strips them itself (string.dump(f, true)):
 * it runs stripped bytecode all the same, made by its own VM as an int32 board's cross-compiler would.
 * imageFile: a specific image chunk instead (tests, bench); the HAL chunk of the same kind beside it.
 */
export function imageChunks(root: string, config: string, runtime: LuaRuntimeName, imageFile?: string): { image: string; hal: string; strip: boolean } {
  const strip = !loadsBuildBytecode(runtime);
  if (imageFile !== undefined) {
    const bytecode = imageFile.endsWith(".luac");
    return { image: imageFile, hal: path.join(path.dirname(imageFile), `hal-sim.${bytecode ? "luac" : "lua"}`), strip };
  }
  const dir = buildDir(root, config, runtime);
  return strip ? { image: path.join(dir, "ocpp.lua"), hal: path.join(dir, "hal-sim.lua"), strip } : { image: path.join(dir, "ocpp.luac"), hal: path.join(dir, "hal-sim.luac"), strip };
}

/** Loads the image of a config with the simulator's HAL (imageFile: see imageChunks). */
export async function loadImage(root: string, config: string, runtime: RuntimeName, imageFile?: string): Promise<ImageRuntime> {
  if (runtime === "node") {
    // The TypeScript itself: the generated image module is the Firmware table.
    const fw = (await import(path.join(root, "build", "gen", config, "image.ts"))) as Firmware;
    const board = simBoard(fw);
    return {
      runtime,
      event: (line) => board(line).join(""),
      heapKb: () => process.memoryUsage().heapUsed / 1024,
      ownHeap: false,
      close: () => undefined,
    };
  }
  const vm = createLuaVm(runtime);
  const chunks = imageChunks(root, config, runtime, imageFile);
  try {
    vm.loadImage(fs.readFileSync(chunks.image, "latin1"), "=ocpp", chunks.strip);
    vm.loadBoard(fs.readFileSync(chunks.hal, "latin1"), "=hal-sim", chunks.strip);
  } catch (e) {
    vm.close();
    throw e;
  }
  return {
    runtime,
    event: (line) => vm.event(line),
    heapKb: (full) => vm.heapKb(full),
    ownHeap: runtime !== "lua5.3-int32" && runtime !== "lua5.3-f32",
    vm,
    chunks: { image: chunks.image, hal: chunks.hal },
    close: () => vm.close(),
  };
}

/** Where a build puts a board emulation's Lua chunk (sim/boards/<board>/modules.ts), beside the image. */
export function emulationFile(dir: string, board: string): string {
  return path.join(dir, `emu-${board}.lua`);
}

/**
 * Loads the image of a config with a port (hal/<board>/board.ts, its stripped bytecode as built) on
 * its board's emulated firmware modules (sim/boards/README.md), in the port's own VM: PUC Lua loads the
 * build's bytecode; fengari (lua5.3-f32: NodeMCU ESP32's single floats) the sources, stripped by itself
 * (see imageChunks).
 */
export function loadPort(root: string, config: string, runtime: LuaRuntimeName, board: string): ImageRuntime {
  const vm = createLuaVm(runtime);
  const dir = buildDir(root, config, runtime);
  const strip = !loadsBuildBytecode(runtime);
  const ext = strip ? "lua" : "luac";
  const image = path.join(dir, `ocpp.${ext}`);
  const hal = path.join(dir, `hal-${board}.${ext}`);
  try {
    vm.loadImage(fs.readFileSync(image, "latin1"), "=ocpp", strip);
    vm.loadBoard(fs.readFileSync(emulationFile(dir, board), "latin1"), `=emu-${board}`);
    vm.loadBoard(fs.readFileSync(hal, "latin1"), `=hal-${board}`, strip);
  } catch (e) {
    vm.close();
    throw e;
  }
  return {
    runtime,
    event: (line) => vm.event(line),
    heapKb: (full) => vm.heapKb(full),
    ownHeap: !strip,
    vm,
    chunks: { image, hal },
    close: () => vm.close(),
  };
}
