// OEM build configurations: schema for editors, errors that name the field, and blocks that
// leave nothing behind when dropped (no actions, no device-model entries).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { boardsAvailable, ROOT } from "../build/compile";
import { ConfigError, loadConfig, validateConfig } from "../build/config";
import { buildRecords, ModelError } from "../build/device-model";
import { generate, readManifest } from "../build/generate";
import { Board } from "../sim/board";
import { ScriptedCsms, NOW_ISO } from "./harness";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Ajv = require("ajv");
const core = () => JSON.parse(fs.readFileSync(path.join(ROOT, "build/configs/core.json"), "utf8"));
const cli = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "build/cli.ts"), ...args], { encoding: "utf8" });

describe("config files", () => {
  it("every shipped config matches build/config.schema.json and the validator", () => {
    const ajv = new Ajv({ strict: false });
    const check = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, "build/config.schema.json"), "utf8")));
    for (const f of fs.readdirSync(path.join(ROOT, "build/configs"))) {
      const file = path.join(ROOT, "build/configs", f);
      expect(check(JSON.parse(fs.readFileSync(file, "utf8"))), `${f}: ${JSON.stringify(check.errors)}`).toBe(true);
      expect(loadConfig(file, ROOT).name).toBe(f.replace(/\.json$/, ""));
    }
  });

  it.each([
    ["identity.model", (c: any) => delete c.identity.model],
    ["evses[1].connectors[0].type", (c: any) => (c.evses[1].connectors[0].type = "Schuko")],
    ["evses[0].maxPowerW", (c: any) => (c.evses[0].maxPowerW = -5)],
    ["blocks", (c: any) => c.blocks.push("coffee-machine")],
    ["blocks", (c: any) => (c.blocks = ["availability"])],
    ["bounds.maxFrameBytes", (c: any) => (c.bounds.maxFrameBytes = 10)],
    ["bounds.journalBytes", (c: any) => (c.bounds.journalBytes = 512)],
    ["bounds.journalBytes", (c: any) => delete c.bounds.journalBytes],
    ["colour", (c: any) => (c.colour = "red")],
    ["target", (c: any) => (c.target = "lua5.4")],
    ["deviceModel.OCPPCommCtrlr/HeartbeatInterval.default", (c: any) => (c.deviceModel["OCPPCommCtrlr/HeartbeatInterval"] = { default: 30 })],
    ["identity.serialNumbr", (c: any) => (c.identity.serialNumbr = "typo")],
    ["bounds.maxFrameByte", (c: any) => (c.bounds.maxFrameByte = 4096)],
    ["evses[0].maxPowerKW", (c: any) => (c.evses[0].maxPowerKW = 22)],
    ["evses[1].connectors[0].phase", (c: any) => (c.evses[1].connectors[0].phase = 3)],
    ["blocks", (c: any) => c.blocks.push("availability")],
  ])("an invalid config names %s", (field, mutate) => {
    const c = core();
    mutate(c);
    expect(() => validateConfig(c, "core.json", ROOT)).toThrow(ConfigError);
    expect(() => validateConfig(c, "core.json", ROOT)).toThrow(field);
  });

  it("device-model overrides are checked against the variables of the build", () => {
    const c = validateConfig({ ...core(), deviceModel: { "OCPPCommCtrlr/HeartbeatInterval": "0" } }, "core.json", ROOT);
    const decls = c.blocks.flatMap((b) => readManifest(ROOT, b).variables);
    expect(() => buildRecords(c, decls)).toThrow(/OCPPCommCtrlr\/HeartbeatInterval: default '0' is below 1/);
    const unknown = validateConfig({ ...core(), deviceModel: { "OCPPCommCtrlr/Nope": "1" } }, "core.json", ROOT);
    expect(() => buildRecords(unknown, decls)).toThrow(ModelError);
    const ok = validateConfig({ ...core(), deviceModel: { "OCPPCommCtrlr/HeartbeatInterval": { default: "120", max: 600 } } }, "core.json", ROOT);
    const r = buildRecords(ok, decls).find((x) => x.key === "OCPPCommCtrlr/HeartbeatInterval")!;
    expect([r.default, r.max]).toEqual(["120", "600"]);
  });

  it("ocpp-fw exits 1 with the field in the message for a bad config, 0 and the sizes for a good one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ ...core(), bounds: { ...core().bounds, callQueueLength: 0 } }));
    expect(cli(["--help"]).status).toBe(0);
    expect(cli(["build"]).status).toBe(2);
    expect(cli(["build", "--config", bad, "--config", bad]).stderr).toContain("--config given twice");
    const r = cli(["build", `--config=${bad}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bounds.callQueueLength");
    const good = cli(["build", "--config", path.join(ROOT, "build/configs/minimal.json"), "--target", "lua5.3", "--board", "sim", "--out", path.join(dir, "out")]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/built .*ocpp\.lua \(\d+ bytes source, \d+ bytes stripped bytecode/);
    expect(good.stdout).toMatch(/board sim: .*hal-sim\.luac \(\d+ bytes stripped bytecode, not part of the image\)/);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "out", "size.json"), "utf8"));
    expect(report.board).toBe("sim");
    expect(report.image.bytecodeBytes).toBe(fs.statSync(path.join(dir, "out", "ocpp.luac")).size);
    expect(report.hal.bytecodeBytes).toBe(fs.statSync(path.join(dir, "out", "hal-sim.luac")).size);
    // Per-module ROM: every bundled module, together about the whole chunk (each chunk repeats a header).
    for (const chunk of [report.image, report.hal]) {
      const modules = chunk.modules as { module: string; bytecodeBytes: number }[];
      const sum = modules.reduce((n, m) => n + m.bytecodeBytes, 0);
      expect(sum).toBeGreaterThan(chunk.bytecodeBytes * 0.9);
      expect(sum).toBeLessThan(chunk.bytecodeBytes * 1.2);
    }
    const names = (c: { modules: { module: string }[] }) => c.modules.map((m) => m.module);
    expect(names(report.image)).toEqual(expect.arrayContaining(["firmware.rpc", "firmware.json", "firmware.entry", "profiles.provisioning.boot", "build.gen.minimal.model"]));
    expect(fs.readFileSync(path.join(dir, "out", "size.txt"), "utf8")).toMatch(/image \(board-neutral\)[^]*HAL \(board sim, apart from the image\)[^]*hal\.sim\.board/);
  });

  it("the image is board-neutral: no HAL module in it, and the HAL bundle holds no core module", () => {
    const report = JSON.parse(fs.readFileSync(path.join(ROOT, "build/out/core/lua5.1/size.json"), "utf8"));
    const names = (c: { modules: { module: string }[] }) => c.modules.map((m) => m.module);
    // hal/hal.ts is imported for its types only: no module, no ROM.
    expect(names(report.image).filter((m: string) => m.startsWith("hal."))).toEqual([]);
    expect(fs.readFileSync(path.join(ROOT, "build/gen/core/image.ts"), "utf8")).not.toMatch(/hal\/sim/);
    // The board names firmware types only; it bundles the small field escaping it shares, nothing else.
    expect(names(report.hal).sort()).toEqual(["firmware.fields", "hal.sim.board"]);
  });

  it("--board accepts only the boards with a port under hal/: anything else is a usage error", () => {
    const cfg = path.join(ROOT, "build/configs/minimal.json");
    const boards = ["luatos", "nodemcu-esp32", "nodemcu-esp8266", "sim"];
    for (const board of ["nodemcu", "", "../sim", "esp32"]) {
      const r = cli(["build", "--config", cfg, `--board=${board}`]);
      expect(r.status, board).toBe(2);
      expect(r.stderr).toContain(`--board must be one of ${boards.join(", ")}`);
    }
    expect(cli(["--help"]).stdout).toContain(`--board ${boards.join("|")}`);
    expect(boardsAvailable(ROOT)).toEqual(boards);
  });
});

describe("a dropped block leaves nothing behind", () => {
  it("without availability and remote-control: no AvailabilityState entries, TriggerMessage NotSupported", async () => {
    const cfg = validateConfig({ ...core(), name: "test-dropped", blocks: ["provisioning"] }, "test-dropped.json", ROOT);
    generate(ROOT, cfg);
    const model = fs.readFileSync(path.join(ROOT, "build/gen/test-dropped/model.ts"), "utf8");
    expect(model).not.toContain("AvailabilityState");
    expect(fs.readFileSync(path.join(ROOT, "build/gen/test-dropped/image.ts"), "utf8")).not.toContain("profiles/availability");
    const csms = new ScriptedCsms();
    const board = new Board({ root: ROOT, config: "test-dropped", runtime: "node", transport: csms, rtcEpoch: 1795000000, provision: { "Internal/CsmsUrl": "ws://x/ocpp", "SecurityCtrlr/Identity": "CP9" } });
    await board.powerOn([1, 1]);
    await new Promise((r) => setImmediate(r));
    const [boot] = csms.takeCalls();
    csms.reply(boot, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    // No availability block, yet the connectors' status is the core's (G01, B01.FR.05): reported.
    expect(csms.takeCalls().map((c) => [c[2], (c[3] as any).evseId])).toEqual([["StatusNotification", 1]]); // one CALL at a time: EVSE 2 follows the answer
    expect(csms.call("TriggerMessage", { requestedMessage: "Heartbeat" }).slice(0, 3)).toEqual([4, expect.any(String), "NotSupported"]);
    const got = csms.call("GetVariables", { getVariableData: [{ component: { name: "EVSE", evse: { id: 1 } }, variable: { name: "AvailabilityState" } }] });
    expect((got[2] as any).getVariableResult[0].attributeStatus).toBe("UnknownVariable");
    fs.rmSync(path.join(ROOT, "build/gen/test-dropped"), { recursive: true, force: true });
  });
});
