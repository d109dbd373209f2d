#!/usr/bin/env node
// ocpp-fw launcher: runs the TypeScript build CLI (build/cli.ts) through tsx.
"use strict";
require("tsx/cjs");
process.exit(require("../cli.ts").main(process.argv.slice(2)));
