// Simulator plumbing: the bundle cache follows the config's content, the embedded CSMS survives a
// malformed identity, --evses keeps each EVSE's own connectors, the config's target picks the runtime,
// and every Lua runtime runs the stripped bytecode a board would get.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../build/compile";
import { EmbeddedCsms } from "../sim/csms";
import { buildFor, defaultRuntime, flashName, simConfigFile, startSimulator } from "../sim/simulator";
import { loadConfig } from "../build/config";
import { FIRMWARE_ENTRIES } from "../build/generate";
import { loadImage, RUNTIMES } from "../sim/runtimes/image";
import type { LuaRuntimeName } from "../sim/runtimes/lua-vm";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sim-"));
afterAll(() => {
  for (const name of ["sim-test-stamp", "sim-test-target"]) {
    fs.rmSync(path.join(ROOT, "build", "out", name), { recursive: true, force: true });
    fs.rmSync(path.join(ROOT, "build", "gen", name), { recursive: true, force: true });
  }
});

/** What a Lua runtime loaded: the chunk files, and where the image's functions say they come from. */
function loaded(image: { chunks?: { image: string; hal: string }; vm?: { eval(src: string): string } }) {
  const head = (f: string) => fs.readFileSync(f).subarray(0, 5).toString("latin1");
  return {
    imageHead: head(image.chunks!.image),
    halHead: head(image.chunks!.hal),
    // A stripped function has no source name: "=?" (luac -s / string.dump(f, true)).
    source: image.vm!.eval(`return debug.getinfo(__sim_image.frame, "S").source`),
  };
}

describe("simulator plumbing", () => {
  it("rebuilds the Lua bundle when a config with the same name changes", () => {
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, "build/configs/minimal.json"), "utf8"));
    const file = path.join(tmp, "stamp.json");
    fs.writeFileSync(file, JSON.stringify({ ...base, name: "sim-test-stamp" }));
    buildFor(file, "lua5.1");
    const bundle = path.join(ROOT, "build/out/sim-test-stamp/lua5.1/ocpp.lua");
    expect(fs.readFileSync(bundle, "latin1")).toContain("LV-Mini-1");
    fs.writeFileSync(file, JSON.stringify({ ...base, name: "sim-test-stamp", identity: { ...base.identity, model: "OTHER-MODEL" } }));
    buildFor(file, "lua5.1");
    expect(fs.readFileSync(bundle, "latin1")).toContain("OTHER-MODEL");
  });

  it("--evses alone keeps each EVSE's connectors; --connectors sets them all", () => {
    const full = path.join(ROOT, "build/configs/full.json");
    expect(loadConfig(simConfigFile(full, 2, undefined), ROOT).evses.map((e) => e.connectors.length)).toEqual([2, 1]);
    expect(loadConfig(simConfigFile(full, 3, undefined), ROOT).evses.map((e) => e.connectors.length)).toEqual([2, 1, 1]);
    expect(loadConfig(simConfigFile(full, undefined, 3), ROOT).evses.map((e) => e.connectors.length)).toEqual([3, 3]);
    const bad = path.join(tmp, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ name: "bad" }));
    expect(() => simConfigFile(bad, 2, undefined)).toThrow(bad);
  });

  it("the simulator runs the config's target unless --runtime says otherwise, on the build's stripped bytecode", async () => {
    expect(defaultRuntime(loadConfig(path.join(ROOT, "build/configs/core.json"), ROOT))).toBe("lua5.1");
    expect(defaultRuntime(loadConfig(path.join(ROOT, "build/configs/full.json"), ROOT))).toBe("lua5.3");
    const base = JSON.parse(fs.readFileSync(path.join(ROOT, "build/configs/minimal.json"), "utf8"));
    const file = path.join(tmp, "target.json");
    fs.writeFileSync(file, JSON.stringify({ ...base, name: "sim-test-target", target: "lua5.3" }));
    const quiet = { out: () => undefined, err: () => undefined };
    for (const [runtime, expected, version] of [[undefined, "lua5.3", 0x53], ["lua5.1", "lua5.1", 0x51]] as const) {
      const sim = await startSimulator({ config: file, runtime, ...quiet });
      try {
        expect(sim.board.image.runtime).toBe(expected);
        const dir = path.join(ROOT, "build/out/sim-test-target", expected);
        expect(sim.board.image.chunks).toEqual({ image: path.join(dir, "ocpp.luac"), hal: path.join(dir, "hal-sim.luac") });
        const l = loaded(sim.board.image);
        expect([l.imageHead, l.halHead]).toEqual([`\x1bLua${String.fromCharCode(version)}`, `\x1bLua${String.fromCharCode(version)}`]);
        expect(l.source).toBe("=?");
      } finally {
        await sim.stop();
      }
    }
  });

  it.each(RUNTIMES.filter((r): r is LuaRuntimeName => r !== "node"))("%s runs stripped bytecode, and the image chunk returns exactly the Firmware table", async (runtime) => {
    const image = await loadImage(ROOT, "core", runtime);
    try {
      const l = loaded(image);
      expect(l.source).toBe("=?");
      const keys = image.vm!.eval(`local k = {} for name in pairs(__sim_image) do k[#k + 1] = name end table.sort(k) return table.concat(k, ",")`);
      expect(keys).toBe([...FIRMWARE_ENTRIES].sort().join(","));
      // PUC Lua undumps the build's bytecode; fengari strips the source with its own VM.
      const puc = runtime === "lua5.1" || runtime === "lua5.3";
      expect(l.imageHead.startsWith("\x1bLua")).toBe(puc);
      expect(image.chunks!.image.endsWith(puc ? "ocpp.luac" : "ocpp.lua")).toBe(true);
    } finally {
      image.close();
    }
    // The same check tells source apart: loaded as given, the functions keep their chunk name.
    if (runtime === "lua5.1" || runtime === "lua5.3") {
      const src = await loadImage(ROOT, "core", runtime, path.join(ROOT, "build/out/core", runtime, "ocpp.lua"));
      try {
        expect(loaded(src).source).toBe("=ocpp");
      } finally {
        src.close();
      }
    }
  });

  it("flash file names are one to one with identities", () => {
    expect(flashName("CP001")).toBe("CP001");
    const names = ["a/b", "a_b", "a:b", "a%2Fb", "é"].map(flashName);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9._%-]+$/);
  });

  it("the embedded CSMS refuses a malformed identity and keeps serving", async () => {
    const csms = new EmbeddedCsms();
    const port = await csms.start(0);
    try {
      const closed = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/%E9`, ["ocpp2.0.1"]);
        ws.on("error", () => resolve("refused"));
        ws.on("open", () => resolve("opened"));
      });
      expect(closed).toBe("refused");
      const ok = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/CP1`, ["ocpp2.0.1"]);
        ws.on("open", () => {
          ws.close();
          resolve("opened");
        });
        ws.on("error", (e) => resolve(String(e)));
      });
      expect(ok).toBe("opened");
    } finally {
      await csms.stop();
    }
  });
});
