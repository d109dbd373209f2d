// The simulated board and its EVs (sim/board.ts, sim/ev.ts) and the line protocol to the image's
// HAL (hal/sim/board.ts), on every runtime. A probe image (test/images/board-probe.ts) stands in for
// the firmware behind the real sim HAL: it logs every input with what the HAL reads back and turns
// frames into HAL calls (relay, lock, offer, meter), so each test sees exactly what a firmware would.
// IEC 61851-1 decides the EV's side: pilot A without a vehicle, B connected, C asking for energy
// (only with a PWM offer); current only in C through a closed contactor, at most the offer.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ROOT, transpileEntry } from "../build/compile";
import { Board, EvseTopology, Transport } from "../sim/board";
import { Ev } from "../sim/ev";
import { imageChunks, ImageRuntime, RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { simBoard } from "../hal/sim/board";
import type { Firmware } from "../firmware/entry";
import { bootAccepted } from "./harness";

const PROBE = path.join(ROOT, "test/images/board-probe.ts");
const sources: Record<string, string> = {};
beforeAll(() => {
  for (const t of ["lua5.1", "lua5.3"] as const) sources[t] = transpileEntry(PROBE, t);
}, 120000);

/** The probe image behind the sim HAL the build made for this runtime (stripped bytecode where the runtime loads that). */
async function probeImage(runtime: RuntimeName): Promise<ImageRuntime> {
  if (runtime === "node") {
    const ev = simBoard((await import(PROBE)) as Firmware);
    return { runtime, event: (l) => ev(l).join(""), heapKb: () => 0, ownHeap: false, close: () => undefined };
  }
  const vm = createLuaVm(runtime);
  const { hal, strip } = imageChunks(ROOT, "core", runtime);
  vm.loadImage(sources[runtime === "lua5.1" ? "lua5.1" : "lua5.3"], "=board-probe");
  vm.loadBoard(fs.readFileSync(hal, "latin1"), "=hal-sim", strip);
  return { runtime, event: (l) => vm.event(l), heapKb: (full) => vm.heapKb(full), ownHeap: false, vm, close: () => vm.close() };
}

const NO_NETWORK: Transport = { connect: () => undefined, send: () => undefined, disconnect: () => undefined };
const THREE_PHASE: EvseTopology = { connectors: [{ phases: 3, maxCurrentA: 32 }] };

// Per-phase voltages the board's meter reports (0.1 V) and their sum in V: Σ V×I = ΣV × I when all phases carry I.
const VOLTS = "2300,2298,2310";
const SUM_V = 230.0 + 229.8 + 231.0;
// The default EV (60 kWh, 40 %, 11 kW, 3 phases) sizes its current by 11000 W / (3 × 230 V).
const EV_A = 11000 / 690;

const boards: Board[] = [];
afterEach(() => {
  for (const b of boards.splice(0)) b.image.close();
});

async function probeBoard(runtime: RuntimeName, topology: EvseTopology[] = [THREE_PHASE]) {
  const logs: string[] = [];
  const board = new Board({ root: ROOT, config: "core", runtime, transport: NO_NETWORK, loadImage: () => probeImage(runtime), log: (kind, text) => kind === "log" && logs.push(text) });
  boards.push(board);
  await board.powerOn(topology);
  return {
    board,
    /** Log lines of the probe since the last take. */
    take: () => logs.splice(0),
    /** The meter as the image reads it through hal.readMeter: [Wh, W, dA list, dV list, SoC]. */
    meter: (evseId = 1): [number, number, string, string, number] => {
      logs.splice(0);
      board.frameIn(`meter ${evseId}`);
      const f = (logs.pop() ?? "").split(" ");
      return [Number(f[2]), Number(f[3]), f[4], f[5], Number(f[6])];
    },
  };
}

type Probe = Awaited<ReturnType<typeof probeBoard>>;

/** Plug in, offer, and close the contactor once the EV asks (pilot C): the EV draws from then on. */
function startCharging(p: Probe, offerDa = 320, evseId = 1): void {
  p.board.plug(evseId);
  p.board.frameIn(`offer ${evseId} ${offerDa}`);
  p.board.advance(1);
  expect(p.board.evses[evseId - 1].pilot).toBe("C");
  p.board.frameIn(`relay ${evseId} 1`);
  p.board.advance(1);
}

describe("EV model", () => {
  it("draws the least of offer, its own limit and the connector's rating, only in C with the contactor closed", () => {
    const ev = new Ev();
    const supply = { offerDa: 320, relayClosed: true, phases: 3, maxCurrentA: 32 };
    ev.follow(supply);
    expect([ev.drawA, ev.drawPhases]).toEqual([EV_A, 3]);
    ev.follow({ ...supply, offerDa: 100 });
    expect(ev.drawA).toBe(10);
    ev.follow({ ...supply, maxCurrentA: 13 });
    expect(ev.drawA).toBe(13);
    ev.follow({ ...supply, phases: 1 });
    expect([ev.drawA, ev.drawPhases]).toEqual([EV_A, 1]);
    for (const off of [{ relayClosed: false }, { offerDa: 0 }]) {
      ev.follow({ ...supply, ...off });
      expect([ev.drawA, ev.powerW()]).toEqual([0, 0]);
    }
  });

  it("books energy exactly, caps it at what the battery takes, and asks for none when full", () => {
    const ev = new Ev({ capacityWh: 10000, socPercent: 99 });
    ev.follow({ offerDa: 320, relayClosed: true, phases: 3, maxCurrentA: 32 });
    const wh = ev.run(10);
    expect(wh).toBeCloseTo((SUM_V * EV_A * 10) / 3600, 9);
    expect(ev.spec.socPercent).toBeCloseTo(99 + (wh / 10000) * 100, 9);
    expect(ev.run(3600)).toBeCloseTo(100 - wh, 9);
    expect(ev.spec.socPercent).toBe(100);
    expect([ev.wantsEnergy(), ev.pilot(320)]).toEqual([false, "B"]);
  });
});

describe.each(RUNTIMES)("simulated board and EV on %s", (runtime) => {
  it("the image reads the hardware from start on: pilot A, contactor open, lock open, meter at rest", async () => {
    const p = await probeBoard(runtime);
    expect(p.take()).toEqual([`start pilot1=A relay1=0 lock1=0 meter 1 0 0 0,0,0 ${VOLTS} -1`]);
    expect(p.board.evseView(1)).toEqual({
      pilot: "A", offeredA: 0, relayClosed: false, powerW: 0, energyWh: 0, socPercent: -1, currentA: [0, 0, 0], voltageV: [230, 229.8, 231],
      ev: { capacityWh: 60000, socPercent: 40, maxPowerW: 11000, phases: 3, connectorId: null },
    });
  });

  it("plug: plug detection, then pilot B; unplug: pilot A, then plug detection", async () => {
    const p = await probeBoard(runtime);
    p.take();
    p.board.plug(1);
    expect(p.take()).toEqual(["input plug 1 1 1", "input pilot 1 0 B"]);
    expect(p.meter()[4]).toBe(40);
    p.board.unplug(1);
    expect(p.take()).toEqual(["input pilot 1 0 A", "input unplug 1 1 0"]);
    expect(p.meter()[4]).toBe(-1);
  });

  it("presentToken feeds the token entry point: evse, type, the id's bytes (escaped on the line)", async () => {
    const p = await probeBoard(runtime);
    p.take();
    p.board.presentToken(1, "04A1B2C3D4E5F6");
    p.board.presentToken(1, "a\tb\\n\né", "Local");
    expect(p.take()).toEqual(["token 1 ISO14443 04A1B2C3D4E5F6", `token 1 Local a\tb\\n\n${Buffer.from("é", "utf8").toString("latin1")}`]);
    expect(() => p.board.presentToken(1, "x", "ISO\t14443")).toThrow(/token type/);
  });

  it("energy integrates exactly: 11 kW for 3600 virtual s is its power in Wh (±1), and the SoC rises by it", async () => {
    const p = await probeBoard(runtime);
    startCharging(p);
    const watts = SUM_V * EV_A;
    expect(p.meter()).toEqual([0, Math.round(watts), "159,159,159", VOLTS, 40]);
    p.board.advance(3600);
    const [wh, w, , , soc] = p.meter();
    expect(w).toBe(Math.round(watts));
    expect(Math.abs(wh - watts)).toBeLessThanOrEqual(1);
    expect(soc).toBe(Math.floor(40 + (watts / 60000) * 100));
    expect(p.board.evseView(1)).toMatchObject({ pilot: "C", offeredA: 32, relayClosed: true, energyWh: wh, currentA: [15.9, 15.9, 15.9] });
  });

  it("the EV follows an offer change within one second; offer 0 stops it and it goes back to B", async () => {
    const p = await probeBoard(runtime);
    startCharging(p);
    p.board.frameIn("offer 1 100");
    p.board.advance(1);
    expect(p.meter().slice(1, 3)).toEqual([Math.round(SUM_V * 10), "100,100,100"]);
    p.take();
    p.board.frameIn("offer 1 0");
    p.board.advance(1);
    expect(p.take()).toEqual(["input pilot 1 0 B"]);
    expect(p.meter().slice(1, 3)).toEqual([0, "0,0,0"]);
    const wh = p.meter()[0];
    p.board.advance(60);
    expect(p.meter()[0]).toBe(wh);
  });

  it("no current with the contactor open or without an offer, whatever the pilot", async () => {
    const p = await probeBoard(runtime);
    p.board.plug(1);
    p.board.frameIn("offer 1 160");
    p.board.advance(30);
    expect(p.board.evses[0].pilot).toBe("C");
    expect(p.meter().slice(0, 3)).toEqual([0, 0, "0,0,0"]);
    p.board.frameIn("offer 1 0");
    p.board.frameIn("relay 1 1");
    p.board.advance(30);
    expect(p.board.evses[0].pilot).toBe("B");
    expect(p.meter().slice(0, 3)).toEqual([0, 0, "0,0,0"]);
  });

  it("opening the contactor cuts the current at once; its feedback reaches the image as a relay input", async () => {
    const p = await probeBoard(runtime);
    p.board.plug(1);
    p.board.frameIn("offer 1 320");
    p.board.advance(1);
    p.take();
    p.board.frameIn("relay 1 1");
    expect(p.take()).toEqual(["input relay 1 0 1"]);
    p.board.advance(1);
    expect(p.meter()[1]).toBeGreaterThan(0);
    p.board.frameIn("relay 1 0");
    expect(p.take()).toEqual(["input relay 1 0 0"]);
    // Before any further second: the meter already reads no current.
    expect(p.meter().slice(1, 3)).toEqual([0, "0,0,0"]);
  });

  it("the SoC rises to 100 %, then the EV stops drawing and goes back to B", async () => {
    const p = await probeBoard(runtime);
    p.board.setEv(1, { capacityWh: 10000, socPercent: 99.9 });
    startCharging(p);
    p.take();
    // 10 Wh left at about 3 Wh a second.
    p.board.advance(3);
    expect(p.board.evses[0].pilot).toBe("C");
    p.board.advance(1);
    expect(p.take()).toEqual(["input pilot 1 0 B"]);
    expect(p.meter()).toEqual([10, 0, "0,0,0", VOLTS, 100]);
    expect(p.board.evseView(1).ev.socPercent).toBe(100);
    p.board.advance(60);
    expect(p.meter()[0]).toBe(10);
  });

  it("one-phase wiring: the meter has one phase; a three-phase EV draws its per-phase limit on L1 alone", async () => {
    const p = await probeBoard(runtime, [{ connectors: [{ phases: 1, maxCurrentA: 16 }] }]);
    expect(p.take()[0]).toBe("start pilot1=A relay1=0 lock1=0 meter 1 0 0 0 2300 -1");
    startCharging(p);
    expect(p.meter().slice(1, 4)).toEqual([Math.round(230 * EV_A), "159", "2300"]);
  });

  it("a one-phase EV on three-phase wiring draws on L1; offers are clamped to the connector's rating", async () => {
    const p = await probeBoard(runtime);
    p.board.setEv(1, { phases: 1, maxPowerW: 7400 });
    startCharging(p, 1000);
    expect(p.board.evseView(1).offeredA).toBe(32);
    expect(p.meter().slice(1, 3)).toEqual([7360, "320,0,0"]);
  });

  it("a welded contactor stays closed and the EV keeps drawing; a stuck lock stays where it is", async () => {
    const p = await probeBoard(runtime);
    startCharging(p);
    p.board.setFaults(1, { relayWelded: true });
    p.take();
    p.board.frameIn("relay 1 0");
    p.board.advance(1);
    // No feedback change, no relay input: the HAL still reads closed, and current still flows.
    expect(p.take()).toEqual([]);
    expect(p.board.evseView(1).relayClosed).toBe(true);
    expect(p.meter()[1]).toBe(Math.round(SUM_V * EV_A));

    p.board.frameIn("lock 1 1 1");
    expect(p.take()).toEqual(["input lock 1 1 1"]);
    p.board.setFaults(1, { lockStuck: true });
    p.board.frameIn("lock 1 1 0");
    expect(p.take()).toEqual([]);
    expect(p.board.evses[0].locked).toEqual([true]);
    // Repaired: both follow their last command at once.
    p.board.setFaults(1, { relayWelded: false, lockStuck: false });
    expect(p.take()).toEqual(["input relay 1 0 0", "input lock 1 1 0"]);
  });

  it("a power cycle keeps the meter's register, the EV and the cable; the contactor opens and the offer is gone", async () => {
    const p = await probeBoard(runtime);
    startCharging(p);
    p.board.frameIn("lock 1 1 1");
    p.board.advance(600);
    // Stopped before the cycle: the image after it must still be told the (unchanged) reading.
    p.board.frameIn("relay 1 0");
    const [wh, , , , soc] = p.meter();
    expect(wh).toBe(Math.floor((SUM_V * EV_A) / 6));
    await p.board.powerCycle();
    expect(p.take()).toEqual([`start pilot1=B relay1=0 lock1=1 meter 1 ${wh} 0 0,0,0 ${VOLTS} ${soc}`, "input plug 1 1 1", "input pilot 1 0 B"]);
    expect(p.board.evseView(1)).toMatchObject({ offeredA: 0, relayClosed: false, energyWh: wh });
    // The register goes on from where it was, fractions included.
    p.board.frameIn("offer 1 320");
    p.board.advance(1);
    p.board.frameIn("relay 1 1");
    p.board.advance(601);
    expect(Math.abs(p.meter()[0] - (SUM_V * EV_A) / 3)).toBeLessThanOrEqual(1);
  });
});

describe.each(RUNTIMES)("the real image takes the board's inputs on %s", (runtime) => {
  it("pilot, relay and lock feedback, meter and token lines reach the entry points without an error", async () => {
    const t = await bootAccepted(runtime);
    t.board.setEv(1, { socPercent: 50 });
    t.board.plug(1);
    t.board.presentToken(1, "04A1B2C3D4E5F6");
    t.board.setFaults(1, { relayWelded: true });
    t.board.advance(5);
    t.board.unplug(1);
    t.board.advance(1);
    await t.settle();
    expect(t.logs.filter((l) => l.includes("failed"))).toEqual([]);
    expect(t.board.evseView(1)).toMatchObject({ pilot: "A", energyWh: 0, socPercent: -1 });
  });
});
