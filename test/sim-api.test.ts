// The Control API's EV routes (token, ev), the per-EVSE state it shows (pilot, offer, meter per
// phase, the EV, the transaction as the station's TransactionEvent frames reported it), and
// --speed. In-process simulator on the node runtime against its embedded CSMS.

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, SimHandle } from "../sim/simulator";
import { WireTracker } from "../sim/api";
import { parseArgs, USAGE } from "../sim/cli";

const quiet = { out: () => undefined, err: () => undefined };

async function api(port: number, method: "GET" | "POST", p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: body === undefined ? undefined : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** A TransactionEvent CALL frame as the station would send it (bytes as the board logs them). */
function txFrame(n: number, eventType: string, transactionInfo: Record<string, unknown>, evseId?: number): string {
  const p: Record<string, unknown> = { eventType, timestamp: "2026-11-24T10:00:00Z", triggerReason: "Authorized", seqNo: n, transactionInfo };
  if (evseId !== undefined) p.evse = { id: evseId, connectorId: 1 };
  return JSON.stringify([2, `tx-${n}`, "TransactionEvent", p]);
}

describe("control API: EV, token, state", () => {
  let sim: SimHandle;
  let port: number;
  beforeAll(async () => {
    sim = await startSimulator({ runtime: "node", apiPort: 0, id: "API-EV", ...quiet });
    port = sim.apiPort!;
  });
  afterAll(() => sim?.stop());

  it("POST /api/evse/:id/ev sets the EV; the state shows it, and its SoC on the meter once plugged", async () => {
    const r = await api(port, "POST", "/api/evse/2/ev", { socPercent: 80, capacityWh: 40000, maxPowerW: 7400, phases: 1 });
    expect(r).toEqual({ status: 200, json: { ok: true, evseId: 2, ev: { socPercent: 80, capacityWh: 40000, maxPowerW: 7400, phases: 1, connectorId: null } } });
    expect((await api(port, "POST", "/api/evse/2/plug")).status).toBe(200);
    const s = (await api(port, "GET", "/api/state")).json.evses[1];
    expect(s).toMatchObject({ id: 2, pilot: "B", offeredA: 0, socPercent: 80, ev: { socPercent: 80, capacityWh: 40000, maxPowerW: 7400, phases: 1, connectorId: 1 } });
    expect((await api(port, "POST", "/api/evse/2/ev", { socPercent: 12.5 })).json.ev).toMatchObject({ socPercent: 12.5, capacityWh: 40000 });
    expect((await api(port, "GET", "/api/state")).json.evses[1].socPercent).toBe(12);
  });

  it.each([
    [{}, /at least one/],
    [{ socPercent: 101 }, /socPercent/],
    [{ socPercent: "50" }, /socPercent/],
    [{ capacityWh: 0 }, /capacityWh/],
    [{ maxPowerW: 1.5 }, /maxPowerW/],
    [{ phases: 2 }, /phases/],
    [{ color: "red" }, /unknown field "color"/],
  ])("POST /api/evse/:id/ev refuses %j with 400 and the reason", async (body, reason) => {
    const r = await api(port, "POST", "/api/evse/1/ev", body);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(reason);
  });

  it("POST /api/evse/:id/token presents the card at the EVSE's reader (type ISO14443 unless given)", async () => {
    const spy = vi.spyOn(sim.board, "presentToken");
    try {
      expect(await api(port, "POST", "/api/evse/1/token", { idToken: "04A1B2C3" })).toEqual({ status: 200, json: { ok: true, evseId: 1, idToken: "04A1B2C3", type: "ISO14443" } });
      expect((await api(port, "POST", "/api/evse/2/token", { idToken: "1234", type: "KeyCode" })).status).toBe(200);
      expect(spy.mock.calls).toEqual([
        [1, "04A1B2C3", "ISO14443"],
        [2, "1234", "KeyCode"],
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it.each([
    ["/api/evse/1/token", {}, /idToken/],
    ["/api/evse/1/token", { idToken: "" }, /idToken/],
    ["/api/evse/1/token", { idToken: "x".repeat(37) }, /idToken/],
    ["/api/evse/1/token", { idToken: 1234 }, /idToken/],
    ["/api/evse/1/token", { idToken: "AB", type: "Visa" }, /type must be one of/],
    ["/api/evse/1/token", { idToken: "AB", evse: 1 }, /unknown field/],
    ["/api/evse/1/token", "{not json", /not JSON/],
    ["/api/evse/9/token", { idToken: "AB" }, /evseId/],
    ["/api/evse/0/ev", { socPercent: 5 }, /evseId/],
  ])("POST %s %j: 400", async (route, body, reason) => {
    const r = await api(port, "POST", route, body);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(reason);
  });

  it("GET /api/state shows the transaction of each EVSE as the station's TransactionEvent frames reported it", async () => {
    const state = async () => (await api(port, "GET", "/api/state")).json.evses.map((e: any) => [e.transactionId, e.chargingState]);
    expect(await state()).toEqual([[null, null], [null, null]]);
    sim.tracker.observe("out", txFrame(0, "Started", { transactionId: "T-1", chargingState: "EVConnected" }, 2), 1);
    expect(await state()).toEqual([[null, null], ["T-1", "EVConnected"]]);
    // Only a transaction's first event names its EVSE.
    sim.tracker.observe("out", txFrame(1, "Updated", { transactionId: "T-1", chargingState: "Charging" }), 2);
    expect(await state()).toEqual([[null, null], ["T-1", "Charging"]]);
    sim.tracker.observe("out", txFrame(2, "Ended", { transactionId: "T-1", stoppedReason: "EVDisconnected" }), 3);
    expect(await state()).toEqual([[null, null], [null, null]]);
  });
});

describe("WireTracker: transactions from TransactionEvent", () => {
  it("Started sets id and charging state, Updated changes it (or keeps it), Ended clears it; a reboot keeps it", () => {
    const t = new WireTracker();
    t.observe("out", txFrame(0, "Started", { transactionId: "A" }, 1), 0);
    expect(t.transaction(1)).toEqual({ transactionId: "A", chargingState: null });
    t.observe("out", txFrame(1, "Updated", { transactionId: "A", chargingState: "Charging" }), 1);
    t.observe("out", txFrame(2, "Updated", { transactionId: "A" }), 2);
    expect(t.transaction(1)).toEqual({ transactionId: "A", chargingState: "Charging" });
    // The CSMS keeps its transactions across the station's reboot, and so does the view of it.
    t.reset();
    expect(t.transaction(1)).toEqual({ transactionId: "A", chargingState: "Charging" });
    // A frame the CSMS sends, or an Ended of another transaction, changes nothing.
    t.observe("in", txFrame(3, "Ended", { transactionId: "A" }, 1), 3);
    t.observe("out", txFrame(4, "Ended", { transactionId: "B" }, 1), 4);
    expect(t.transaction(1).transactionId).toBe("A");
    t.observe("out", txFrame(5, "Ended", { transactionId: "A", chargingState: "EVConnected" }), 5);
    expect(t.transaction(1)).toEqual({ transactionId: null, chargingState: null });
    // A transaction that began before the simulator saw it is known from its first Updated with an EVSE.
    t.observe("out", txFrame(6, "Updated", { transactionId: "C", chargingState: "SuspendedEV" }, 2), 6);
    expect(t.transaction(2)).toEqual({ transactionId: "C", chargingState: "SuspendedEV" });
  });
});

describe("--speed", () => {
  it("parses 1 to 1000 and is in the usage text", () => {
    expect(parseArgs(["--speed", "60"])).toEqual({ speed: 60 });
    for (const bad of ["0", "1001", "1.5", "fast"]) expect(() => parseArgs(["--speed", bad])).toThrow(/--speed/);
    expect(USAGE).toMatch(/--speed N/);
  });

  it("virtual time runs N times faster than the wall clock, every virtual second ticked", async () => {
    const began = Date.now();
    const sim = await startSimulator({ runtime: "node", speed: 50, id: "SPEED", ...quiet });
    try {
      // The firmware's tick entry point, counted: once per virtual second, not once per timer call.
      let ticks = 0;
      const feed = sim.board.feed.bind(sim.board);
      sim.board.feed = (kind: string, rest: string) => {
        if (kind === "tick") ticks++;
        feed(kind, rest);
      };
      const from = sim.board.uptime;
      while (sim.board.uptime < 100 && Date.now() - began < 20000) await new Promise((r) => setTimeout(r, 20));
      const elapsed = Date.now() - began;
      expect(sim.board.uptime).toBeGreaterThanOrEqual(100);
      // 100 virtual seconds at ×50: never before 2 s of wall clock, and far sooner than 100 s.
      expect(elapsed).toBeGreaterThanOrEqual(2000);
      expect(elapsed).toBeLessThan(10000);
      expect(ticks).toBe(sim.board.uptime - from);
    } finally {
      await sim.stop();
    }
  });

  it("a speed out of range is refused before anything starts", async () => {
    await expect(startSimulator({ runtime: "node", speed: 0, ...quiet })).rejects.toThrow(/speed/);
  });
});
