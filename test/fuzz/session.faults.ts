// The whole fault sweep on a charging session (issue #7 §7), part of `npm test` and of
// `npm run test:faults`: the connection cut after every CALL, a power cycle after every step, and
// power lost in every flash write at a random byte, printing how many cuts and power losses the
// station survived (about a minute for the five runtimes).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../../sim/runtimes/image";
import { runSession, SESSION } from "../session-faults";

// The torn-write byte offsets: fixed under `npm test` (the sweep is part of it, CI reruns the same),
// a new seed each `npm run test:faults` (printed; FAULT_SEED=n replays one).
const SEED = Number(process.env.FAULT_SEED ?? (process.env.npm_lifecycle_event === "test:faults" ? Date.now() % 100000 : 4242));

describe.each(RUNTIMES)("every fault on a session on %s", (runtime) => {
  it("survives every cut, power cycle and torn write", async () => {
    const clean = await runSession(runtime, {});
    expect(clean.problems).toEqual([]);
    // Both sessions and the probe after them, every event delivered once and in order.
    expect(clean.transactions).toBe(3);
    expect(clean.events.length).toBeGreaterThan(6);
    let cuts = 0;
    let losses = 0;
    let seed = SEED;
    const rnd = () => (seed = (seed * 75 + 74) % 65537) / 65537;
    for (let k = 2; k <= clean.calls; k++) {
      const r = await runSession(runtime, { cutAfterCall: k });
      expect(r.problems, `cut after call ${k}`).toEqual([]);
      cuts += r.cuts;
    }
    for (let s = 0; s < SESSION.length; s++) {
      const r = await runSession(runtime, { cycleAfterStep: s });
      expect(r.problems, `power cycle after ${SESSION[s].name}`).toEqual([]);
      losses += r.powerLosses;
    }
    for (let w = 1; w <= clean.flashWrites; w++) {
      const bytes = Math.floor(rnd() * 300);
      const r = await runSession(runtime, { powerLoss: { writes: w, bytes } });
      expect(r.problems, `power lost in flash write ${w} after ${bytes} bytes (seed ${SEED})`).toEqual([]);
      losses += r.powerLosses;
    }
    console.log(`${runtime}: survived ${cuts} connection cuts and ${losses} power losses (${clean.calls} CALLs, ${clean.flashWrites} flash writes per clean run, seed ${SEED})`);
  }, 1800000);
});
