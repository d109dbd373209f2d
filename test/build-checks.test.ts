// The build refuses what would go wrong silently on a board: two blocks registering one handler,
// result handler, trigger or getter; handlers and block.json disagreeing; a device-model key the
// code names that the build's model lacks (or that no block declares at all).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as ts from "typescript";
import { checkBlocks } from "../build/check-blocks";
import { checkSends } from "../build/check-sends";
import { BuildError, ROOT, transpileEntry } from "../build/compile";
import { loadConfig } from "../build/config";
import { BlockManifest, modelKeys, readManifest } from "../build/generate";
import { allModelKeys, keysSource } from "../build/gen-keys";

/** A profiles/ tree of made-up blocks: name -> [block.json fields, part source]. */
function blocks(defs: Record<string, [Partial<BlockManifest>, string]>): { root: string; manifests: BlockManifest[] } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "blocks-"));
  const manifests: BlockManifest[] = [];
  for (const [name, [fields, src]] of Object.entries(defs)) {
    fs.mkdirSync(path.join(root, "profiles", name), { recursive: true });
    const m: BlockManifest = { name, summary: name, parts: [{ file: "part.ts", export: "part" }], handles: [], sends: [], variables: [], ...fields };
    fs.writeFileSync(path.join(root, "profiles", name, "block.json"), JSON.stringify(m));
    fs.writeFileSync(path.join(root, "profiles", name, "part.ts"), src);
    manifests.push(m);
  }
  return { root, manifests };
}

describe("block registrations", () => {
  it("an entry point a block gives the board: unknown names, one given twice, and one its file does not export fail the build", () => {
    const { root, manifests } = blocks({
      d: [{ entries: { net: { file: "part.ts", export: "netIn" } } }, `export const part = { name: "d" };\nexport function netIn() {}`],
      e: [{ entries: { radio: { file: "part.ts", export: "part" } } }, `export const part = { name: "e" };`],
      h: [{ entries: { net: { file: "part.ts", export: "missing" } } }, `export const part = { name: "h" };`],
    });
    expect(checkBlocks(root, [manifests[0]])).toEqual([]);
    const problems = checkBlocks(root, [manifests[1]]);
    expect(problems).toContain(`profiles/e/block.json: entry 'radio': part.ts exports no function 'part'`);
    expect(problems.some((p) => p.includes("entry 'radio' is no optional entry point"))).toBe(true);
    expect(checkBlocks(root, [manifests[2]])).toEqual([`profiles/h/block.json: entry 'net': part.ts exports no function 'missing'`]);
    const twice = blocks({
      f: [{ entries: { net: { file: "part.ts", export: "netIn" } } }, `export const part = { name: "f" };\nexport function netIn() {}`],
      g: [{ entries: { net: { file: "part.ts", export: "netIn" } } }, `export const part = { name: "g" };\nexport function netIn() {}`],
    });
    expect(checkBlocks(twice.root, twice.manifests)).toEqual([`profiles/g/block.json: entry 'net' is given by profiles/f too`]);
  });

  it("the shipped blocks pass", () => {
    const names = fs.readdirSync(path.join(ROOT, "profiles"));
    expect(checkBlocks(ROOT, names.map((b) => readManifest(ROOT, b)))).toEqual([]);
  });

  it("two blocks registering one handler, result handler, trigger or getter fail the build", () => {
    const { root, manifests } = blocks({
      a: [{ handles: ["GetVariables"], sends: ["Heartbeat"] }, `export const part = { name: "a", handlers: { GetVariables: () => ({}) }, results: { Heartbeat: () => undefined }, triggers: { Heartbeat: () => "Accepted" }, getters: { "EVSE/Power": () => "0" } };`],
      b: [{ handles: ["GetVariables"], sends: ["Heartbeat"] }, `export const part = { name: "b", handlers: { GetVariables: () => ({}) }, results: { Heartbeat: () => undefined }, triggers: { Heartbeat: () => "Accepted" }, getters: { "EVSE/Power": () => "1" } };`],
    });
    const problems = checkBlocks(root, manifests);
    expect(problems).toHaveLength(4);
    for (const t of ["handlers 'GetVariables'", "results 'Heartbeat'", "triggers 'Heartbeat'", "getters 'EVSE/Power'"]) {
      expect(problems.some((p) => p.startsWith("profiles/b/part.ts") && p.includes(t) && p.includes("profiles/a/part.ts"))).toBe(true);
    }
  });

  it("a handled action or a result missing from block.json, and a listed action nobody handles, fail the build", () => {
    const { root, manifests } = blocks({
      c: [{ handles: ["Reset"], sends: [] }, `export const part = { name: "c", handlers: { GetVariables: () => ({}) }, results: { Heartbeat: () => undefined } };`],
    });
    const problems = checkBlocks(root, manifests);
    expect(problems.sort()).toEqual([
      `profiles/c/block.json: lists Reset in "handles" but no part handles it`,
      `profiles/c/part.ts (part): handles GetVariables, which profiles/c/block.json does not list in "handles"`,
      `profiles/c/part.ts (part): has a result handler for Heartbeat, which profiles/c/block.json does not list in "sends"`,
    ]);
  });
});

describe("what blocks send", () => {
  it("a trigger for a message the block does not list in sends fails the build", () => {
    const { root, manifests } = blocks({
      d: [{ sends: ["Heartbeat"] }, `export const part = { name: "d", triggers: { Heartbeat: () => "Accepted", MeterValues: () => "Accepted", SignV2GCertificate: () => "Accepted" } };`],
    });
    expect(checkBlocks(root, manifests).sort()).toEqual([
      `profiles/d/part.ts (part): triggers MeterValues, but profiles/d/block.json does not list MeterValues in "sends"`,
      `profiles/d/part.ts (part): triggers SignV2GCertificate, but profiles/d/block.json does not list SignCertificate in "sends"`,
    ]);
  });

  it("a block may not take what the core registers (firmware/connectors.ts sends StatusNotification), nor import Station", () => {
    const { root, manifests } = blocks({
      d: [{ sends: ["StatusNotification"] }, `import type { Station } from "../../firmware/station";\nexport const part = { name: "d", triggers: { StatusNotification: (_s: Station) => "Accepted" } };`],
    });
    expect(checkBlocks(root, manifests).sort()).toEqual([
      `profiles/d/part.ts (part): imports Station; a block is written against Ctx and the core's services`,
      `profiles/d/part.ts (part): triggers 'StatusNotification' is registered by firmware/connectors.ts (core) too`,
    ]);
  });

  it("a CALL of an action not in the block's sends, or not named by a literal, fails the build", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "sends-"));
    const file = path.join(root, "profiles", "e", "part.ts");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, [
      "declare function rpcCall(st: unknown, action: string, payload: unknown, ctx: number): boolean;",
      "declare const which: \"Heartbeat\" | \"MeterValues\";",
      "declare const any: string;",
      "rpcCall(0, \"Heartbeat\", {}, 0);",
      "rpcCall(0, which, {}, 0);",
      "rpcCall(0, any, {}, 0);",
      "",
    ].join("\n"));
    const program = ts.createProgram([file], { noEmit: true, strict: true, noLib: true });
    const v = checkSends(program, root, new Map([["e", ["Heartbeat"]]]));
    expect(v.map((x) => `${x.line}: ${x.message}`)).toEqual([
      `5: sends MeterValues, which profiles/e/block.json does not list in "sends"`,
      `6: rpcCall: the action must be a literal listed in profiles/e/block.json "sends"`,
    ]);
  });
});

describe("device-model keys", () => {
  const probe = path.join(ROOT, "test", "images", "key-probe.ts");
  const core = modelKeys(ROOT, loadConfig(path.join(ROOT, "build", "configs", "core.json"), ROOT));

  it("firmware/keys.ts is what build/gen-keys.ts writes, and holds the keys code names", () => {
    expect(fs.readFileSync(path.join(ROOT, "firmware", "keys.ts"), "utf8")).toBe(keysSource(ROOT));
    expect(allModelKeys(ROOT)).toContain("OCPPCommCtrlr/HeartbeatInterval");
    expect(allModelKeys(ROOT)).toContain("Internal/CsmsUrl");
    // Per-EVSE variables are reached through getters, never by a fixed key.
    expect(allModelKeys(ROOT).some((k) => k.startsWith("EVSE"))).toBe(false);
  });

  it("every key named is checked against the build's model, template-literal unions included", () => {
    expect(() => transpileEntry(probe, "lua5.1", { modelKeys: core, sends: new Map() })).not.toThrow();
    for (const missing of ["OCPPCommCtrlr/HeartbeatInterval", "DeviceDataCtrlr/ItemsPerMessage[SetVariables]"]) {
      const keys = new Set([...core].filter((k) => k !== missing));
      expect(() => transpileEntry(probe, "lua5.1", { modelKeys: keys, sends: new Map() })).toThrow(new RegExp(`key-probe.ts:\\d+: device-model key ${missing.replace(/[[\]]/g, "\\$&")} is not in this build's model`));
    }
  });

  it("a key no block declares is a type error", () => {
    const dir = path.join(ROOT, "build", "out", ".probe");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "typo.ts");
    fs.writeFileSync(file, `import { modelInt } from "../../../firmware/model";\nimport type { Station } from "../../../firmware/station";\nexport const f = (st: Station) => modelInt(st, "OCPPCommCtrlr/HeartbeatIntervall");\n`);
    expect(() => transpileEntry(file, "lua5.1", { modelKeys: core, sends: new Map() })).toThrow(BuildError);
    expect(() => transpileEntry(file, "lua5.1", { modelKeys: core, sends: new Map() })).toThrow(/HeartbeatIntervall/);
  });
});
