// Footprint bench smoke test: minimal on Lua 5.1 measures sensibly, and a block left out of a build leaves no code in its image.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../build/compile";
import { emptyVmKb, measureConfig, Row } from "../bench/footprint";

const CONFIG = path.join(ROOT, "build", "configs", "minimal.json");
/** Under build/out, apart from the bench's own output. */
const OUT = "bench-test";

describe("footprint bench: minimal on lua5.1", () => {
  let row: Row;
  beforeAll(async () => {
    row = await measureConfig(CONFIG, "lua5.1", emptyVmKb("lua5.1"), OUT);
  });
  afterAll(() => fs.rmSync(path.join(ROOT, "build", "out", OUT), { recursive: true, force: true }));

  it("measures ROM and RAM that are positive and ordered", () => {
    expect(row.romBytes).toBeGreaterThan(0);
    expect(row.romBytes).toBeLessThan(row.sourceBytes);
    expect(row.baselineKb).toBeGreaterThan(0);
    expect(row.codeKb).toBeGreaterThan(0);
    expect(row.idleTotalKb).toBeGreaterThan(row.codeKb);
    // The closures, upvalues and tables the module bodies make: part of code, several KB for ~400 functions.
    expect(row.residentKb).toBeGreaterThan(5);
    expect(row.residentKb).toBeLessThan(row.codeKb);
    expect(row.idleDynamicKb).toBeGreaterThanOrEqual(0);
    expect(row.reportPeakTotalKb).toBeGreaterThanOrEqual(row.idleTotalKb);
    expect(row.reportPeakDynamicKb).toBeGreaterThanOrEqual(row.idleDynamicKb);
    // With the GC stopped over the whole report, every step's garbage adds up.
    expect(row.reportGcOffTotalKb).toBeGreaterThanOrEqual(row.reportPeakTotalKb);
    expect(row.reportGcOnTotalKb).toBeGreaterThan(row.idleTotalKb);
    // minimal has the transactions block: the session is measured.
    expect(row.sessionPeakTotalKb).toBeGreaterThanOrEqual(row.idleTotalKb);
    for (const b of row.budgets) expect(b.value, b.name).toBeGreaterThan(0);
  });

  it("counts instructions for 10 GetVariables and 10 SetVariables items when the build has them", () => {
    for (const c of [row.getVariables10, row.setVariables10]) {
      expect(c.failed, c.note).toBe(false);
      if (c.instructions !== undefined) expect(c.instructions).toBeGreaterThan(1000);
      else expect(c.note).toMatch(/^n\/a/);
    }
  });

  it("attributes ROM to each removable block, provisioning being in every build", () => {
    expect(row.perBlock.map((b) => b.block).sort()).toEqual(row.blocks.filter((b) => b !== "provisioning").sort());
    const availability = row.perBlock.find((b) => b.block === "availability");
    expect(availability?.error).toBeUndefined();
    expect(availability?.romBytes).toBeGreaterThan(0);
    expect(availability?.codeKb).toBeGreaterThan(0);
  });

  it("leaves no code of a dropped block: its modules are absent from the bundle built without it", () => {
    const all = fs.readFileSync(row.refLuaFile, "latin1");
    const shipped = fs.readFileSync(row.luaFile, "latin1");
    const without = fs.readFileSync(row.perBlock.find((b) => b.block === "availability")!.withoutLuaFile!, "latin1");
    expect(all).toContain("profiles.availability");
    expect(shipped).toContain("profiles.availability");
    expect(without).not.toContain("profiles.availability");
    // Every other block is still there.
    for (const b of row.blocks.filter((x) => x !== "availability")) expect(without).toContain(`profiles.${b}.`);
  });
});
