// Fault injection on a whole session (issue #7 §7), a seeded sample on every runtime; the full
// sweep of every cut, step and flash write is `npm run test:faults` (test/fuzz/session.faults.ts).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { runSession, seeded, SESSION } from "./session-faults";

describe.each(RUNTIMES)("a session under faults on %s", (runtime) => {
  it("clean: two sessions, every event delivered once and in order", async () => {
    const r = await runSession(runtime, {});
    expect(r.problems).toEqual([]);
    expect(r.events.length).toBeGreaterThan(6);
    // Both sessions and the probe after them.
    expect(r.transactions).toBe(3);
  });

  it("the connection cut at sampled message boundaries (E04, E13)", async () => {
    const clean = await runSession(runtime, {});
    const rnd = seeded(7);
    let cuts = 0;
    for (let i = 0; i < 3; i++) {
      // From the second CALL on: the first, BootNotification, is answered by the runner itself.
      const k = 2 + Math.floor(rnd() * (clean.calls - 1));
      const r = await runSession(runtime, { cutAfterCall: k });
      expect(r.problems, `cut after call ${k}`).toEqual([]);
      cuts += r.cuts;
    }
    expect(cuts).toBe(3);
  });

  it("a power cycle after sampled steps, and power lost in sampled flash writes at a random byte", async () => {
    const clean = await runSession(runtime, {});
    const rnd = seeded(11);
    let losses = 0;
    for (const step of [1, 2 + Math.floor(rnd() * (SESSION.length - 3))]) {
      const r = await runSession(runtime, { cycleAfterStep: step });
      expect(r.problems, `power cycle after ${SESSION[step].name}`).toEqual([]);
      losses += r.powerLosses;
    }
    for (let i = 0; i < 3; i++) {
      const writes = 1 + Math.floor(rnd() * clean.flashWrites);
      const bytes = Math.floor(rnd() * 200);
      const r = await runSession(runtime, { powerLoss: { writes, bytes } });
      expect(r.problems, `power lost in flash write ${writes} after ${bytes} bytes`).toEqual([]);
      losses += r.powerLosses;
    }
    expect(losses).toBeGreaterThanOrEqual(4);
  });
});
