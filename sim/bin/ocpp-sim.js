#!/usr/bin/env node
// ocpp-sim launcher: runs the TypeScript CLI (sim/cli.ts) through tsx (CommonJS hook, plus the ESM hook for import()).
"use strict";
require("tsx/cjs");
// The node runtime loads the generated image with import(), which goes through the ESM loader;
// it needs tsx's ESM hook as well (the CommonJS hook alone rejects ".ts" there).
require("node:module").register("tsx/esm", require("node:url").pathToFileURL(__filename), { data: {} });
require("../cli.ts").run(process.argv.slice(2));
