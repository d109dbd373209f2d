import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The session fault sweep (issue #7 §7) fits the CI time: in npm test as well as in test:faults.
    include: ["test/**/*.test.ts", "test/fuzz/session.faults.ts"],
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60000,
    hookTimeout: 120000,
    pool: "forks",
    // Every core runs a test file: vitest's default leaves one for itself (on CI's 2 cores: the files
    // one after another), though its own process only collects results.
    maxWorkers: availableParallelism(),
  },
});
