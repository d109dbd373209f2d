// The long sweep of `npm run test:faults`: FUZZ_FRAMES (default 100,000) frames on every runtime,
// split into shards (one file each, run side by side by test/fuzz/faults.config.ts) with seeds
// FUZZ_SEED, FUZZ_SEED+1, ... A new seed every run unless FUZZ_SEED is given; every failure names it.

import * as fs from "node:fs";
import { fuzzSuite } from "./suite";

/** One file per shard (sweep-N.faults.ts); faults.config.ts runs them side by side. */
const SHARDS = fs.readdirSync(__dirname).filter((f) => f.endsWith(".faults.ts")).length;

const base = Number(process.env.FUZZ_SEED ?? Date.now() % 1000000000);

export function sweep(shard: number): void {
  fuzzSuite({
    frames: Math.ceil(Number(process.env.FUZZ_FRAMES ?? 100000) / SHARDS),
    seed: base + shard - 1,
    heapFrames: Number(process.env.FUZZ_HEAP_FRAMES ?? 5000),
    msPerFrame: 40,
  });
}
