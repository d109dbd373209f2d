// Build-time checks of the blocks compiled into one image, on the blocks themselves (each part is
// loaded in Node, as the node runtime runs it): what they register must be what their block.json
// declares, and no two register the same thing (nor give the board the same entry point). At run time the core fills its tables from the
// block list in order (firmware/station.ts), so a second registration would silently win.

import * as fs from "node:fs";
import * as path from "node:path";
import "../sim/runtimes/lua-shim";
import "../sim/runtimes/tstl-shim";
import { coreConnectors } from "../firmware/connectors";
import type { Block } from "../firmware/station";
import { BlockManifest, blockEntries } from "./generate";

const TABLES = ["handlers", "results", "triggers", "getters"] as const;

/** The action a TriggerMessage requestedMessage makes the station send (F06). */
function triggeredAction(message: string): string {
  return message === "SignChargingStationCertificate" || message === "SignV2GCertificate" || message === "SignCombinedCertificate" ? "SignCertificate" : message;
}

// tsx's own loader: the build may run where require() knows no TypeScript (vitest's global setup).
const tsx = require("tsx/cjs/api") as { require: (id: string, from: string) => unknown };

/** Loads one part of a block: the object it exports under its declared name. */
function loadPart(root: string, m: BlockManifest, part: { file: string; export: string }): Block {
  const file = path.join(root, "profiles", m.name, part.file);
  const mod = tsx.require(file, __filename) as Record<string, unknown>;
  const b = mod[part.export];
  if (typeof b !== "object" || b === null) throw new Error(`profiles/${m.name}/${part.file}: exports no block '${part.export}'`);
  return b as Block;
}

/**
 * Problems with the registrations of these blocks, one line each: the same handler, result handler,
 * trigger or getter registered twice; a handled action or a result for an action that the block's
 * block.json does not list; an action block.json lists as handled that no part handles.
 */
export function checkBlocks(root: string, manifests: BlockManifest[]): string[] {
  const problems: string[] = [];
  const owner: { [table: string]: Map<string, string> } = {};
  for (const t of TABLES) owner[t] = new Map();
  // The core's parts register first (firmware/entry.ts CORE): a block may not take their keys.
  for (const t of TABLES) for (const key of Object.keys(coreConnectors[t] ?? {})) owner[t].set(key, "firmware/connectors.ts (core)");
  for (const m of manifests) {
    const handled = new Set<string>();
    for (const part of m.parts) {
      const where = `profiles/${m.name}/${part.file} (${part.export})`;
      // Blocks see Ctx: the station's fields are the core's (firmware/station.ts).
      const src = fs.readFileSync(path.join(root, "profiles", m.name, part.file), "utf8");
      if (/import[^;]*\bStation\b[^;]*from\s+"[./]*\/firmware\/station"/.test(src)) problems.push(`${where}: imports Station; a block is written against Ctx and the core's services`);
      const b = loadPart(root, m, part);
      for (const t of TABLES) {
        for (const key of Object.keys(b[t] ?? {})) {
          const first = owner[t].get(key);
          if (first !== undefined) problems.push(`${where}: ${t} '${key}' is registered by ${first} too`);
          else owner[t].set(key, where);
          if (t === "handlers") {
            handled.add(key);
            if (!m.handles.includes(key)) problems.push(`${where}: handles ${key}, which profiles/${m.name}/block.json does not list in "handles"`);
          }
          if (t === "results" && !m.sends.includes(key)) problems.push(`${where}: has a result handler for ${key}, which profiles/${m.name}/block.json does not list in "sends"`);
          if (t === "triggers" && !m.sends.includes(triggeredAction(key))) problems.push(`${where}: triggers ${key}, but profiles/${m.name}/block.json does not list ${triggeredAction(key)} in "sends"`);
        }
      }
    }
    for (const a of m.handles) if (!handled.has(a)) problems.push(`profiles/${m.name}/block.json: lists ${a} in "handles" but no part handles it`);
    // An entry point a block gives the board must be a function its file exports.
    for (const [name, e] of Object.entries(m.entries ?? {})) {
      const mod = tsx.require(path.join(root, "profiles", m.name, e.file), __filename) as Record<string, unknown>;
      if (typeof mod[e.export] !== "function") problems.push(`profiles/${m.name}/block.json: entry '${name}': ${e.file} exports no function '${e.export}'`);
    }
  }
  try {
    blockEntries(manifests);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}
