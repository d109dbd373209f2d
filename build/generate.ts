// Writes the generated sources of one build: the image's entry module with the block registry
// (image.ts), the device-model table (model.ts) and the payload schemas (schemas.ts) for exactly the
// blocks compiled in. No board is named here: the HAL is linked by the board's own bundle.

import * as fs from "node:fs";
import * as path from "node:path";
import { AUTH_CACHE_DEFAULTS, BuildConfig } from "./config";
import { buildRecords, encodeRecords, INTERNAL_KEYS, VariableDecl } from "./device-model";
import { generateSchemaModule, schemaDepth } from "./gen-schemas";
import type { Firmware, FirmwareValue } from "../firmware/entry";

export interface BlockManifest {
  name: string;
  summary: string;
  parts: { file: string; export: string }[];
  /** CSMS-initiated actions this block answers. */
  handles: string[];
  /** Actions this block sends. */
  sends: string[];
  /** Device-model variables this block owns: they exist only in builds that include it. */
  variables: VariableDecl[];
  /** Blocks this one works on top of: a build with it must have them (build/config.ts). */
  requires?: string[];
  /** Optional entry points of firmware/entry.ts Firmware this block gives the board (entry name -> export of a part's file). */
  entries?: { [entry: string]: { file: string; export: string } };
}

export function readManifest(root: string, block: string): BlockManifest {
  return JSON.parse(fs.readFileSync(path.join(root, "profiles", block, "block.json"), "utf8"));
}

/** Requests the core answers itself in every build: Rejected until Accepted (firmware/rpc.ts, B02.FR.05). */
const CORE_ANSWERED = ["RequestStartTransaction", "RequestStopTransaction"];
/** CALLs the core sends itself in every build (firmware/connectors.ts: G01 StatusNotification). */
export const CORE_SENDS = ["StatusNotification"];

export function schemaNames(manifests: BlockManifest[]): string[] {
  const names = new Set<string>(CORE_ANSWERED.map((a) => `${a}Request`));
  for (const a of CORE_SENDS) names.add(`${a}Response`);
  for (const m of manifests) {
    for (const a of m.handles) names.add(`${a}Request`);
    for (const a of m.sends) names.add(`${a}Response`);
  }
  return [...names].sort();
}

/**
 * The decoder's nesting bound: the deepest payload any schema of the build admits, plus the frame's
 * own array. Valid OCPP always decodes; anything deeper is refused before it can grow the heap.
 */
export function jsonDepthBound(root: string, manifests: BlockManifest[]): number {
  return 1 + schemaDepth(schemaNames(manifests), schemaDir(root));
}

/** The fields of firmware/entry.ts Firmware, what the image's bundle returns; the type keeps the list complete. */
const ENTRIES: { [K in keyof Firmware]-?: boolean } = { start: true, provision: true, opened: true, closed: true, frame: true, tick: true, input: true, token: true, net: false, maxFrameBytes: true, evses: true };
/** The fields every image has: the entry points and the build's values (FIRMWARE_VALUES). */
export const FIRMWARE_ENTRIES = (Object.keys(ENTRIES) as (keyof Firmware)[]).filter((e) => ENTRIES[e]);
/**
 * Firmware's values, for one build: literals in the image module (a number constant and a field
 * name each, both in its chunk already for the Image table), read by a board instead of the
 * station's internals.
 */
export function firmwareValues(cfg: BuildConfig): { [K in FirmwareValue]: number } {
  return { maxFrameBytes: cfg.bounds.maxFrameBytes, evses: cfg.evses.length };
}
/** The optional ones: an image has one only when a block gives it (block.json "entries"). */
export const BLOCK_ENTRIES = (Object.keys(ENTRIES) as (keyof Firmware)[]).filter((e) => !ENTRIES[e]);

/** The entry points the blocks give, by name; an unknown name or one given twice fails the build. */
export function blockEntries(manifests: BlockManifest[]): Map<string, { block: string; file: string; export: string }> {
  const out = new Map<string, { block: string; file: string; export: string }>();
  for (const m of manifests) {
    for (const [name, e] of Object.entries(m.entries ?? {})) {
      if (!(BLOCK_ENTRIES as string[]).includes(name)) throw new Error(`profiles/${m.name}/block.json: entry '${name}' is no optional entry point of firmware/entry.ts Firmware (${BLOCK_ENTRIES.join(", ")})`);
      const first = out.get(name);
      if (first !== undefined) throw new Error(`profiles/${m.name}/block.json: entry '${name}' is given by profiles/${first.block} too`);
      out.set(name, { block: m.name, ...e });
    }
  }
  return out;
}

function lit(v: unknown): string {
  return JSON.stringify(v);
}

/** The official OCPP 2.0.1 JSON schemas, kept unmodified in build/schemas/ so a clone builds on its own. */
export function schemaDir(root: string): string {
  return path.join(root, "build", "schemas", "ocpp-2.0.1");
}

export function genDir(root: string, cfg: BuildConfig): string {
  return path.join(root, "build", "gen", cfg.name);
}

/** Every key of the build's device model (records and internal values): what its code may name. */
export function modelKeys(root: string, cfg: BuildConfig): Set<string> {
  const manifests = cfg.blocks.map((b) => readManifest(root, b));
  const keys = new Set(INTERNAL_KEYS);
  for (const r of buildRecords(cfg, manifests.flatMap((m) => m.variables))) keys.add(r.key);
  return keys;
}

/** Generates build/gen/<name>/ and returns the path of its image.ts entry. */
export function generate(root: string, cfg: BuildConfig): string {
  const dir = genDir(root, cfg);
  fs.mkdirSync(dir, { recursive: true });
  const manifests = cfg.blocks.map((b) => readManifest(root, b));
  const rel = (p: string) => path.relative(dir, p).split(path.sep).join("/").replace(/\.ts$/, "");

  const imports: string[] = [];
  const blockRefs: string[] = [];
  for (const m of manifests) {
    for (const part of m.parts) {
      imports.push(`import { ${part.export} } from ${lit(rel(path.join(root, "profiles", m.name, part.file)))};`);
      blockRefs.push(part.export);
    }
  }
  const entries = blockEntries(manifests);
  for (const [, e] of entries) imports.push(`import { ${e.export} } from ${lit(rel(path.join(root, "profiles", e.block, e.file)))};`);
  const values = firmwareValues(cfg);
  const identity: { [k: string]: string } = { vendorName: cfg.identity.vendorName, model: cfg.identity.model };
  if (cfg.identity.serialNumber !== undefined) identity.serialNumber = cfg.identity.serialNumber;
  if (cfg.identity.firmwareVersion !== undefined) identity.firmwareVersion = cfg.identity.firmwareVersion;
  const image = [
    `// Generated by build/generate.ts from build/configs/${cfg.name}.json: do not edit.`,
    `// The board-neutral image: the firmware's entry points (firmware/entry.ts Firmware) closed over`,
    `// this build's identity, topology, bounds, blocks and tables. The board's HAL is built apart.`,
    `import { firmware${entries.size > 0 ? ", Firmware" : ""} } from ${lit(rel(path.join(root, "firmware", "entry.ts")))};`,
    ...imports,
    `import { SCHEMAS } from "./schemas";`,
    `import { MODEL } from "./model";`,
    ``,
    `const fw = firmware({`,
    `  identity: ${lit(identity)},`,
    `  evses: ${lit(cfg.evses.map((e) => e.connectors.length))},`,
    `  bounds: ${lit({ maxFrameBytes: cfg.bounds.maxFrameBytes, maxJsonDepth: jsonDepthBound(root, manifests), callQueueLength: cfg.bounds.callQueueLength, journalBytes: cfg.bounds.journalBytes, authCacheEntries: cfg.bounds.authCacheEntries ?? AUTH_CACHE_DEFAULTS.authCacheEntries, authCacheBytes: cfg.bounds.authCacheBytes ?? AUTH_CACHE_DEFAULTS.authCacheBytes })},`,
    `  blocks: [${blockRefs.join(", ")}],`,
    `  schemas: SCHEMAS,`,
    `  model: MODEL,`,
    `});`,
    ``,
    `// The bundle returns this module: exactly the Firmware table.`,
    ...FIRMWARE_ENTRIES.map((e) => (e in values ? `export const ${e} = ${lit(values[e as FirmwareValue])};` : `export const ${e} = fw.${e};`)),
    ...[...entries].map(([name, e]) => `export const ${name}: Firmware[${lit(name)}] = ${e.export};`),
    ``,
  ].join("\n");
  fs.writeFileSync(path.join(dir, "image.ts"), image);

  const records = buildRecords(cfg, manifests.flatMap((m) => m.variables));
  const model = [
    `// Generated by build/generate.ts from build/configs/${cfg.name}.json: do not edit.`,
    `// ${records.length} variables of blocks ${cfg.blocks.join(", ")}; record format in firmware/model.ts.`,
    `import type { ModelTable } from ${lit(rel(path.join(root, "firmware", "model.ts")))};`,
    ``,
    `export const MODEL: ModelTable = {`,
    // One template literal, a record a line: one string constant in the image (a chain of "+" costs
    // a constant and two instructions per record in Lua 5.1 bytecode).
    `  data: \``,
    ...encodeRecords(records)
      .slice(1)
      .split("\n")
      .map((r, i, all) => r.replace(/[\\`]|\$\{/g, (c) => "\\" + c) + (i === all.length - 1 ? "`," : "")),
    `};`,
    ``,
  ].join("\n");
  fs.writeFileSync(path.join(dir, "model.ts"), model);

  const schemaSrc = generateSchemaModule(schemaNames(manifests), schemaDir(root));
  fs.writeFileSync(path.join(dir, "schemas.ts"), schemaSrc);
  return path.join(dir, "image.ts");
}
