// Simulator plumbing: the bundle cache follows the config's content, the embedded CSMS survives a
// malformed identity, and --evses keeps each EVSE's own connectors.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../build/compile";
import { EmbeddedCsms } from "../sim/csms";
import { buildFor, flashName, simConfigFile } from "../sim/simulator";
import { loadConfig } from "../build/config";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sim-"));
afterAll(() => {
  fs.rmSync(path.join(ROOT, "build", "out", "sim-test-stamp"), { recursive: true, force: true });
  fs.rmSync(path.join(ROOT, "build", "gen", "sim-test-stamp"), { recursive: true, force: true });
});

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
