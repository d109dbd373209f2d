// The fault-injection session (test/session-faults.ts) on the transactions test image, whose
// stand-in authorization accepts the session's token: until an authorization block is in the
// shipped builds, this is where the transactions block meets cut connections, power cycles and
// power lost inside flash writes. What the CSMS receives must hold together (checkDelivery).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { runSession, seeded, SESSION } from "./session-faults";
import { TX_CONFIG, TX_FILE } from "./tx-harness";

const TX = { config: TX_CONFIG, configFile: TX_FILE };

describe.each(RUNTIMES)("transactions under faults on %s", (runtime) => {
  it("clean, cut connections, power cycles and power lost in flash writes: every event once, in order, two sessions", async () => {
    const clean = await runSession(runtime, {}, TX);
    expect(clean.problems).toEqual([]);
    expect(clean.events.length).toBeGreaterThan(6);
    const rnd = seeded(23);
    for (let i = 0; i < 2; i++) {
      const k = 2 + Math.floor(rnd() * (clean.calls - 2));
      const r = await runSession(runtime, { cutAfterCall: k }, TX);
      expect(r.problems, `cut after call ${k}`).toEqual([]);
    }
    for (const step of [1, 2 + Math.floor(rnd() * (SESSION.length - 3))]) {
      const r = await runSession(runtime, { cycleAfterStep: step }, TX);
      expect(r.problems, `power cycle after ${SESSION[step].name}`).toEqual([]);
    }
    for (let i = 0; i < 2; i++) {
      const writes = 1 + Math.floor(rnd() * clean.flashWrites);
      const bytes = Math.floor(rnd() * 200);
      const r = await runSession(runtime, { powerLoss: { writes, bytes } }, TX);
      expect(r.problems, `power lost in flash write ${writes} after ${bytes} bytes`).toEqual([]);
    }
  });
});
