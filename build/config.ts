// OEM build configuration: types, defaults and validation with errors that name the field.

import * as fs from "node:fs";
import * as path from "node:path";
import type { BoardConfig } from "../hal/board-config";
import { validateBoardSection } from "./wiring";

export interface ConnectorConfig {
  /** ConnectorEnumType, e.g. cType2, cCCS2, sType2. */
  type: string;
  phases: 1 | 3;
  maxCurrentA: number;
}

export interface EvseConfig {
  maxPowerW: number;
  connectors: ConnectorConfig[];
}

export interface BuildConfig {
  name: string;
  identity: { vendorName: string; model: string; serialNumber?: string; firmwareVersion?: string };
  evses: EvseConfig[];
  /** Functional blocks compiled in: folder names under profiles/. */
  blocks: string[];
  bounds: { maxFrameBytes: number; callQueueLength: number; reportItemsPerMessage: number; reportBytesPerMessage: number; journalBytes: number; authCacheEntries?: number; authCacheBytes?: number };
  /** Device-model defaults and limits by key "Component/Variable[Instance]" (or "EVSE#1/Power"): a value string or {default, min, max, mutability}. */
  deviceModel: { [key: string]: string | { default?: string; min?: number; max?: number; mutability?: "ReadOnly" | "WriteOnly" | "ReadWrite" } };
  target: "lua5.1" | "lua5.3";
  /** Per flashable board (hal/<board>/board.json with a start file), the OEM's wiring its start file hands to the port (build/wiring.ts). */
  board?: { [board: string]: BoardConfig };
}

/** The authorization cache's bounds when a config does not set them (profiles/authorization/auth-cache.ts). */
export const AUTH_CACHE_DEFAULTS = { authCacheEntries: 32, authCacheBytes: 2048 };

export class ConfigError extends Error {}

function fail(file: string, field: string, why: string): never {
  throw new ConfigError(`${file}: ${field}: ${why}`);
}

function str(file: string, v: unknown, field: string, max: number, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== "string" || v.length === 0) fail(file, field, "must be a non-empty string");
  if ((v as string).length > max) fail(file, field, `must be at most ${max} characters`);
}

function int(file: string, v: unknown, field: string, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isInteger(v)) fail(file, field, "must be an integer");
  if ((v as number) < min || (v as number) > max) fail(file, field, `must be between ${min} and ${max}`);
}

export function blocksAvailable(root: string): string[] {
  const dir = path.join(root, "profiles");
  return fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, "block.json"))).sort();
}

const CONNECTOR_TYPES = ["cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A", "s309-3P-16A", "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A", "Other1PhOver16A", "Other3Ph", "Pan", "wInductive", "wResonant", "Undetermined", "Unknown"];

/** Device-model values each unit gets from its provisioning file, never from the config. */
const UNIT_SECRETS = ["SecurityCtrlr/BasicAuthPassword", "EmsCtrlr/Password"];

/** A typo in a field name is an error, not a silently ignored field. */
function onlyKnown(file: string, o: Record<string, unknown>, at: string, known: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(file, at === "" ? k : `${at}.${k}`, "unknown field");
}

/** Checks a parsed config; throws ConfigError naming the first bad field. */
export function validateConfig(raw: unknown, file: string, root: string): BuildConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(file, "(root)", "must be an object");
  const c = raw as Record<string, unknown>;
  onlyKnown(file, c, "", ["$schema", "name", "identity", "evses", "blocks", "bounds", "deviceModel", "target", "board"]);
  str(file, c.name, "name", 40);
  if (!/^[a-z0-9-]+$/.test(c.name as string)) fail(file, "name", "must be lower-case letters, digits and '-'");
  const id = c.identity as Record<string, unknown>;
  if (typeof id !== "object" || id === null) fail(file, "identity", "must be an object");
  onlyKnown(file, id, "identity", ["vendorName", "model", "serialNumber", "firmwareVersion"]);
  // BootNotificationRequest ChargingStationType limits.
  str(file, id.vendorName, "identity.vendorName", 50);
  str(file, id.model, "identity.model", 20);
  str(file, id.serialNumber, "identity.serialNumber", 25, true);
  str(file, id.firmwareVersion, "identity.firmwareVersion", 50, true);
  if (!Array.isArray(c.evses) || c.evses.length === 0) fail(file, "evses", "must be a non-empty array");
  (c.evses as unknown[]).forEach((e, i) => {
    const ev = e as Record<string, unknown>;
    if (typeof ev !== "object" || ev === null) fail(file, `evses[${i}]`, "must be an object");
    onlyKnown(file, ev, `evses[${i}]`, ["maxPowerW", "connectors"]);
    int(file, ev.maxPowerW, `evses[${i}].maxPowerW`, 1, 2000000);
    if (!Array.isArray(ev.connectors) || ev.connectors.length === 0) fail(file, `evses[${i}].connectors`, "must be a non-empty array");
    (ev.connectors as unknown[]).forEach((k, j) => {
      const cn = k as Record<string, unknown>;
      const f = `evses[${i}].connectors[${j}]`;
      if (typeof cn !== "object" || cn === null) fail(file, f, "must be an object");
      onlyKnown(file, cn, f, ["type", "phases", "maxCurrentA"]);
      if (!CONNECTOR_TYPES.includes(cn.type as string)) fail(file, `${f}.type`, `must be one of ${CONNECTOR_TYPES.join(", ")}`);
      if (cn.phases !== 1 && cn.phases !== 3) fail(file, `${f}.phases`, "must be 1 or 3");
      int(file, cn.maxCurrentA, `${f}.maxCurrentA`, 1, 1000);
    });
  });
  const avail = blocksAvailable(root);
  if (!Array.isArray(c.blocks)) fail(file, "blocks", "must be an array of block names");
  // Test-only blocks (test/blocks/<name>, named "../test/blocks/<name>" from profiles/) for scenario tests.
  const testBlock = (b: unknown) => typeof b === "string" && /^\.\.\/test\/blocks\/[a-z0-9-]+$/.test(b) && fs.existsSync(path.join(root, "profiles", b, "block.json"));
  for (const b of c.blocks as unknown[]) if (!avail.includes(b as string) && !testBlock(b)) fail(file, "blocks", `unknown block '${String(b)}' (available: ${avail.join(", ")})`);
  for (const must of ["provisioning"]) if (!(c.blocks as string[]).includes(must)) fail(file, "blocks", `'${must}' is required in every build`);
  if (new Set(c.blocks as string[]).size !== (c.blocks as string[]).length) fail(file, "blocks", "a block is listed twice");
  // A block that works on top of another (block.json "requires") is built only with it.
  for (const b of c.blocks as string[]) {
    const req = (JSON.parse(fs.readFileSync(path.join(root, "profiles", b, "block.json"), "utf8")) as { requires?: string[] }).requires ?? [];
    for (const r of req) if (!(c.blocks as string[]).includes(r)) fail(file, "blocks", `'${b}' requires '${r}' in the same build`);
  }
  const b = c.bounds as Record<string, unknown>;
  if (typeof b !== "object" || b === null) fail(file, "bounds", "must be an object");
  onlyKnown(file, b, "bounds", ["maxFrameBytes", "callQueueLength", "reportItemsPerMessage", "reportBytesPerMessage", "journalBytes", "authCacheEntries", "authCacheBytes"]);
  int(file, b.maxFrameBytes, "bounds.maxFrameBytes", 512, 1048576);
  int(file, b.callQueueLength, "bounds.callQueueLength", 1, 256);
  int(file, b.reportItemsPerMessage, "bounds.reportItemsPerMessage", 1, 1000);
  int(file, b.reportBytesPerMessage, "bounds.reportBytesPerMessage", 256, 1048576);
  int(file, b.journalBytes, "bounds.journalBytes", 1024, 1048576);
  if (b.authCacheEntries !== undefined) int(file, b.authCacheEntries, "bounds.authCacheEntries", 1, 10000);
  if (b.authCacheBytes !== undefined) int(file, b.authCacheBytes, "bounds.authCacheBytes", 128, 1048576);
  if (c.deviceModel !== undefined) {
    if (typeof c.deviceModel !== "object" || c.deviceModel === null) fail(file, "deviceModel", "must be an object");
    for (const [k, v] of Object.entries(c.deviceModel as object)) {
      // A per-unit secret goes in at first start from the unit's provisioning file (build/start-file.ts): a value here would be in every image's bytes.
      if (UNIT_SECRETS.includes(k) && (typeof v === "string" || (typeof v === "object" && v !== null && "default" in v))) fail(file, `deviceModel.${k}`, "is a per-unit secret: provision it (the provisioning file of FLASHING.md), never in the image");
      if (typeof v === "string") continue;
      if (typeof v !== "object" || v === null) fail(file, `deviceModel.${k}`, "must be a value string or an object");
      for (const [f, x] of Object.entries(v as object)) {
        if (f === "default" && typeof x !== "string") fail(file, `deviceModel.${k}.default`, "values are strings, as OCPP sends them");
        else if ((f === "min" || f === "max") && typeof x !== "number") fail(file, `deviceModel.${k}.${f}`, "must be a number");
        else if (f === "mutability" && !["ReadOnly", "WriteOnly", "ReadWrite"].includes(x as string)) fail(file, `deviceModel.${k}.mutability`, "must be ReadOnly, WriteOnly or ReadWrite");
        else if (!["default", "min", "max", "mutability"].includes(f)) fail(file, `deviceModel.${k}.${f}`, "unknown field");
      }
    }
  }
  if (c.target !== "lua5.1" && c.target !== "lua5.3") fail(file, "target", "must be lua5.1 or lua5.3");
  if (c.board !== undefined) validateBoardSection((field, why) => fail(file, field, why), c.board, c.evses as EvseConfig[], root);
  return { ...(c as unknown as BuildConfig), deviceModel: (c.deviceModel as BuildConfig["deviceModel"]) ?? {} };
}

export function loadConfig(file: string, root: string): BuildConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(`${file}: not readable JSON: ${(e as Error).message}`);
  }
  return validateConfig(raw, file, root);
}
