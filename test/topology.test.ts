// A station with more connectors than call-queue slots, on every runtime: every connector is still
// reported after boot and after a long outage (B01.FR.05, B04.FR.01), none dropped for want of room.

import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../build/cli";
import { ROOT } from "../build/compile";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, Frame } from "./harness";

const NAME = "test-twelve-connectors";
const FILE = path.join(ROOT, "build", "out", `${NAME}.json`);

beforeAll(() => {
  const core = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "configs", "core.json"), "utf8"));
  const connector = { type: "cType2", phases: 3, maxCurrentA: 32 };
  const cfg = {
    ...core,
    $schema: undefined,
    // The board wiring is per EVSE of core's topology; this one is not flashed onto a board.
    board: undefined,
    name: NAME,
    evses: Array.from({ length: 6 }, () => ({ maxPowerW: 22000, connectors: [connector, { ...connector, type: "sType2" }] })),
    bounds: { ...core.bounds, callQueueLength: 3 },
  };
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  fs.writeFileSync(FILE, JSON.stringify(cfg));
  for (const t of ["lua5.1", "lua5.3"] as const) buildImage(FILE, t, undefined);
});

const reported = (calls: Frame[]) =>
  calls.filter((c) => c[2] === "StatusNotification").map((c) => { const p = c[3] as { evseId: number; connectorId: number }; return `${p.evseId}.${p.connectorId}`; });

const ALL = Array.from({ length: 12 }, (_, i) => `${Math.floor(i / 2) + 1}.${(i % 2) + 1}`);

describe.each(RUNTIMES)("12 connectors behind a 3-slot call queue on %s", (runtime) => {
  it("every connector is reported after Accepted, in order (B01.FR.05)", async () => {
    const t = await bootAccepted(runtime, { config: NAME, configFile: FILE });
    // bootAccepted consumed what went out at once; the rest follows as the CSMS answers.
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.board.advance(1);
      await t.settle();
      sent.push(...reported(t.csms.takeCalls()));
    }
    const first = 12 - sent.length;
    expect(first).toBeGreaterThan(0);
    expect(sent).toEqual(ALL.slice(first));
  });

  it("every connector is reported after a long outage (B04.FR.01)", async () => {
    const t = await bootAccepted(runtime, { config: NAME, configFile: FILE });
    t.board.advance(5);
    await t.settle();
    t.csms.take();
    t.csms.reachable = false;
    t.csms.drop();
    await t.settle();
    t.board.advance(200);
    await t.settle();
    t.csms.reachable = true;
    const sent: string[] = [];
    for (let i = 0; i < 400 && sent.length < 12; i++) {
      t.board.advance(1);
      await t.settle();
      sent.push(...reported(t.csms.takeCalls()));
    }
    expect(sent).toEqual(ALL);
  });
});
