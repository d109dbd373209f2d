// Installs the Node implementation of the firmware's Lua standard-library subset before any
// firmware module is imported, so the `node` runtime runs the same TypeScript as the Lua image.
import "../sim/runtimes/lua-shim";
import "../sim/runtimes/tstl-shim";

import { afterEach } from "vitest";
import { wireViolations } from "./harness";

// The wire is judged by the schemas: a frame a station sent in this test that a schema-strict CSMS
// would refuse fails the test.
afterEach(() => {
  const v = wireViolations.splice(0);
  if (v.length > 0) throw new Error(`${v.length} invalid frame(s) from the station:\n${v.join("\n")}`);
});
