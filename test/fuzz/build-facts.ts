// What the fuzzer takes from a build's configuration (not from the firmware's code): the actions its
// blocks handle, its frame bound, its topology and the device-model names its blocks declare.

import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../build/compile";

export interface ModelVariable {
  component: string;
  variable: string;
  instance?: string;
  per?: "station" | "evse" | "connector";
  mutability?: string;
}

export interface BuildFacts {
  config: string;
  handled: string[];
  maxFrameBytes: number;
  /** Connectors per EVSE. */
  evses: number[];
  variables: ModelVariable[];
}

export function buildFacts(config: string): BuildFacts {
  const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "configs", `${config}.json`), "utf8")) as {
    blocks: string[];
    bounds: { maxFrameBytes: number };
    evses: { connectors: unknown[] }[];
  };
  const handled: string[] = [];
  const variables: ModelVariable[] = [];
  for (const b of cfg.blocks) {
    const block = JSON.parse(fs.readFileSync(path.join(ROOT, "profiles", b, "block.json"), "utf8")) as { handles: string[]; variables: ModelVariable[] };
    handled.push(...block.handles);
    variables.push(...block.variables);
  }
  return { config, handled, maxFrameBytes: cfg.bounds.maxFrameBytes, evses: cfg.evses.map((e) => e.connectors.length), variables };
}
