// No entry point ever raises (the issue's `null` frame escaped the receive entry point: the simulator
// caught it, a board would not). firmware/entry.ts runs each one under a guard that logs through
// hal.log and returns. Shown on every runtime with the real image (as each runtime loads it: stripped
// bytecode on PUC Lua) and with an image whose block raises everywhere, driven by a test board
// (test/images/guard-board.ts) whose HAL functions raise on demand.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, transpileEntry } from "../build/compile";
import { imageChunks, RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import type { Firmware } from "../firmware/entry";

type Run = (raising: string) => string[];

const GUARD_BOARD = path.join(ROOT, "test/images/guard-board.ts");
const FAULTY_IMAGE = path.join(ROOT, "test/images/faulty-image.ts");

const sources: Record<string, string> = {};
beforeAll(() => {
  for (const t of ["lua5.1", "lua5.3"] as const) {
    sources[`board-${t}`] = transpileEntry(GUARD_BOARD, t);
    sources[`faulty-${t}`] = transpileEntry(FAULTY_IMAGE, t);
  }
}, 120000);

const vms: LuaVm[] = [];
afterAll(() => vms.forEach((vm) => vm.close()));

/** The image (core's build, or the faulty test image) with the guard board, on one runtime. */
async function runner(runtime: RuntimeName, image: "core" | "faulty"): Promise<Run> {
  if (runtime === "node") {
    const fw = (await import(image === "core" ? path.join(ROOT, "build/gen/core/image.ts") : FAULTY_IMAGE)) as Firmware;
    const { simBoard } = (await import(GUARD_BOARD)) as { simBoard: (fw: Firmware) => (line: string) => string[] };
    const ev = simBoard(fw);
    return (raising) => ev(raising).join("").split("\n").filter((l) => l !== "");
  }
  const target = runtime === "lua5.1" ? "lua5.1" : "lua5.3";
  const { image: file, strip } = imageChunks(ROOT, "core", runtime);
  const vm = createLuaVm(runtime);
  vms.push(vm);
  vm.loadImage(image === "core" ? fs.readFileSync(file, "latin1") : sources[`faulty-${target}`], "=ocpp", image === "core" ? strip : false);
  vm.loadBoard(sources[`board-${target}`], "=guard-board");
  // A Lua error escaping the board's event would throw a LuaError here.
  return (raising) => vm.event(raising).split("\n").filter((l) => l !== "");
}

const HAL_FUNCTIONS = ["connect", "send", "disconnect", "uptime", "rtcEpoch", "setRtcEpoch", "random", "load", "save", "erase", "setRelay", "readMeter", "setLock", "reboot", "log", "relayClosed", "pilotState", "setPilotOffer", "lockState", "plugged", "append", "read", "size"];

describe.each(RUNTIMES)("entry points never raise on %s", (runtime) => {
  let core: Run;
  let faulty: Run;
  beforeAll(async () => {
    core = await runner(runtime, "core");
    faulty = await runner(runtime, "faulty");
  });

  it("with a working HAL the sequence runs clean: connect, BootNotification, an answer, nothing failed", () => {
    const lines = core("");
    expect(lines.at(-1)).toBe("done");
    expect(lines.some((l) => l.startsWith("connect ws://csms.test/ocpp/CP1"))).toBe(true);
    expect(lines.some((l) => l.startsWith("send [2,") && l.includes("BootNotification"))).toBe(true);
    expect(lines.some((l) => l.startsWith('send [3,"g1",'))).toBe(true);
    expect(lines.filter((l) => l.includes("failed"))).toEqual([]);
  });

  it.each([
    // HAL function that raises, the entry point that logs it
    ["send", "frame"],
    ["connect", "tick"],
    ["uptime", "start"],
    ["rtcEpoch", "start"],
    ["load", "start"],
    ["save", "provision"],
    ["random", "closed"],
  ])("a HAL whose %s raises: %s logs it and returns, the board carries on", (fn, entry) => {
    const lines = core(fn);
    expect(lines.at(-1)).toBe("done");
    expect(lines.some((l) => l.startsWith(`log ${entry} failed: `) && l.includes(`hal ${fn} raised`)), lines.join("\n")).toBe(true);
  });

  it("a station that cannot be created (uptime raises) leaves every later entry point a no-op", () => {
    expect(core("uptime")).toEqual([expect.stringMatching(/^log start failed: .*hal uptime raised/), "done"]);
  });

  it("flash that cannot be written leaves the station running: it connects and answers a CALL", () => {
    const lines = core("save");
    expect(lines.some((l) => l.startsWith("connect "))).toBe(true);
    expect(lines.some((l) => l.startsWith('send [3,"g1",'))).toBe(true);
  });

  it("the frame `null` does not escape frame: answered or logged, and the station answers the next CALL", () => {
    const lines = core("null");
    expect(lines.at(-1)).toBe("done");
    const i = lines.findIndex((l) => l.startsWith("send [4,") || l.startsWith("log frame failed: "));
    expect(i, lines.join("\n")).toBeGreaterThanOrEqual(0);
    expect(lines.slice(i + 1).some((l) => l.startsWith('send [3,"g1",'))).toBe(true);
  });

  it("a HAL whose log raises as well: nothing escapes, whatever else raises", () => {
    for (const fn of HAL_FUNCTIONS) expect(core(`${fn},log,null`).at(-1), fn).toBe("done");
    expect(core(HAL_FUNCTIONS.join(",") + ",null")).toEqual(["done"]);
  });

  it("a block that raises in every hook and handler is logged per hook; with log raising too nothing escapes", () => {
    const lines = faulty("");
    expect(lines.at(-1)).toBe("done");
    for (const hook of ["start", "connected", "tick", "plug", "disconnected"]) {
      expect(lines.some((l) => l.startsWith(`log faulty on ${hook} failed: `) && l.includes(`block ${hook} hook raised`)), hook).toBe(true);
    }
    expect(faulty("log").at(-1)).toBe("done");
    expect(faulty("log,send,null").at(-1)).toBe("done");
  });
});
