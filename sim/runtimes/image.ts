// Loads one built image into one of the five runtimes behind the same line-protocol interface.

import * as fs from "node:fs";
import * as path from "node:path";
import { createLuaVm, LuaRuntimeName, LuaVm } from "./lua-vm";
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
  close(): void;
}

/** The bundle a build wrote for this runtime's Lua version (build/out/<config>/<lua5.x>/ocpp.lua). */
export function bundlePath(root: string, config: string, runtime: LuaRuntimeName): string {
  const target = runtime === "lua5.1" ? "lua5.1" : "lua5.3";
  return path.join(root, "build", "out", config, target, "ocpp.lua");
}

/** Loads the image of a config (imageFile: a specific Lua chunk, source or bytecode, for the Lua runtimes). */
export async function loadImage(root: string, config: string, runtime: RuntimeName, imageFile?: string): Promise<ImageRuntime> {
  if (runtime === "node") {
    const mod = (await import(path.join(root, "build", "gen", config, "image.ts"))) as { create: () => (line: string) => string[] };
    const board = mod.create();
    return {
      runtime,
      event: (line) => board(line).join(""),
      heapKb: () => process.memoryUsage().heapUsed / 1024,
      ownHeap: false,
      close: () => undefined,
    };
  }
  const vm = createLuaVm(runtime);
  const file = imageFile ?? bundlePath(root, config, runtime);
  vm.loadImage(fs.readFileSync(file, "latin1"), "=ocpp");
  return {
    runtime,
    event: (line) => vm.event(line),
    heapKb: (full) => vm.heapKb(full),
    ownHeap: runtime !== "lua5.3-int32" && runtime !== "lua5.3-f32",
    vm,
    close: () => vm.close(),
  };
}
