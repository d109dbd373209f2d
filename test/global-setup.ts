// Builds every shipped configuration for both Lua targets once before the suites run: the image and
// the simulator's HAL, sources and stripped bytecode (what the Lua runtimes load).

import * as fs from "node:fs";
import * as path from "node:path";
import { buildImage } from "../build/cli";
import { ROOT } from "../build/compile";
import { buildTxImage } from "./tx-harness";
import { buildTxAuthImage } from "./tx-auth-harness";
import { buildScImage } from "./sc-harness";
import { buildEmsImage } from "./ems-harness";

export default function setup(): void {
  const dir = path.join(ROOT, "build", "configs");
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    for (const t of ["lua5.1", "lua5.3"] as const) buildImage(path.join(dir, f), t, undefined);
  }
  // The transactions tests' image: core plus the test-only authorization stand-in.
  buildTxImage();
  // The Part 6 C test cases' image: core with the real authorization and transactions blocks.
  buildTxAuthImage();
  // The smart-charging tests' image: core with the authorization stand-in and the smart-charging block.
  buildScImage();
  // The local EMS tests' image: the smart-charging image plus the ems block.
  buildEmsImage();
}
