// vitest for `npm run test:faults`: only the sweep shards, one fork per shard so both cores work
// (the default on two cores is a single fork).

import * as fs from "node:fs";
import * as path from "node:path";
import { defineConfig } from "vitest/config";

/** One file per shard (sweep-N.faults.ts). */
const SHARDS = fs.readdirSync(__dirname).filter((f) => f.endsWith(".faults.ts")).length;

export default defineConfig({
  test: {
    root: path.resolve(__dirname, "..", ".."),
    include: ["test/fuzz/*.faults.ts"],
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/global-setup.ts"],
    hookTimeout: 120000,
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: SHARDS } },
  },
});
