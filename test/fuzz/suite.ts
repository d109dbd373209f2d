// The fuzz run as vitest tests: one per runtime, failing with every distinct failure it found.
// FUZZ_REPORT=file appends each failure as a JSON line (for triage across runtimes and seeds);
// FUZZ_SEED=s FUZZ_ONLY=i delivers frame i of seed s alone to a fresh station (FUZZ_FRAMES=i+1
// instead replays the whole sequence up to it, for failures that depend on what came before).

import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../../sim/runtimes/image";
import { formatFailures, fuzz } from "./run";

export interface SuiteOptions {
  frames: number;
  seed: number;
  /** Frames replayed for the heap check on runtimes with their own heap. */
  heapFrames: number;
  /** Milliseconds allowed per frame (the slowest runtime), on top of a minute for booting. */
  msPerFrame: number;
}

export function fuzzSuite(o: SuiteOptions): void {
  describe.each(RUNTIMES)("RPC fuzz on %s", (runtime) => {
    it(
      `${o.frames} frames of seed ${o.seed}: one correct reply per readable CALL, none to responses, no escaped error, heap back to its level (Part 4 §4)`,
      async () => {
        const only = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
        const rep = await fuzz({ runtime, seed: o.seed, frames: o.frames, heapFrames: o.heapFrames, only });
        const heap = rep.heap === undefined ? "" : `, Lua heap ${rep.heap.before.toFixed(1)} KB before, ${rep.heap.after.toFixed(1)} KB after replaying ${o.heapFrames} frames once more`;
        const classes = Object.entries(rep.byClass).map(([c, n]) => `${c} ${n} (${Math.round(rep.msByClass[c])} ms)`);
        console.log(`${runtime}: ${rep.frames} frames of seed ${o.seed} in ${rep.ms} ms${heap}; ${classes.join(", ")}`);
        if (process.env.FUZZ_REPORT !== undefined) fs.appendFileSync(process.env.FUZZ_REPORT, rep.failures.map((f) => JSON.stringify(f) + "\n").join(""));
        if (rep.failures.length > 0) throw new Error(formatFailures(rep.failures));
        // Bad input must never grow the heap; a replay that leaves it smaller (a cache emptied) is fine.
        if (rep.heap !== undefined) expect(rep.heap.after - rep.heap.before, "Lua heap KB after a full GC grown over the replay").toBeLessThan(1);
      },
      o.frames * o.msPerFrame + 60000,
    );
  });
}
