// Device-model generator: the variables each compiled-in block declares (profiles/*/block.json),
// expanded over the build's EVSEs and connectors, checked, and emitted as the record string that
// firmware/model.ts reads.

import { AUTH_CACHE_DEFAULTS, BuildConfig } from "./config";

export type Mutability = "ReadOnly" | "WriteOnly" | "ReadWrite";
export type DataType = "string" | "decimal" | "integer" | "dateTime" | "boolean" | "OptionList" | "SequenceList" | "MemberList";

/** One variable as a block declares it. Values may use {placeholders} filled from the config. */
export interface VariableDecl {
  component: string;
  componentInstance?: string;
  variable: string;
  instance?: string;
  /** "station" (default): one record; "evse": one per EVSE; "connector": one per connector. */
  per?: "station" | "evse" | "connector";
  dataType: DataType;
  unit?: string;
  mutability: Mutability;
  persistent?: boolean;
  constant?: boolean;
  rebootRequired?: boolean;
  /** The Actual value comes from a block's getter (live state) instead of the store. */
  dynamic?: boolean;
  /** identifierString values (Part 2 §2.1): restricted characters, checked on SetVariables. */
  identifier?: boolean;
  /** Attributes besides Actual (B05.FR.06, B06.FR.08). */
  attributes?: ("Target" | "MinSet" | "MaxSet")[];
  min?: number | string;
  max?: number | string;
  valuesList?: string;
  default?: string;
}

export interface ModelOverride {
  default?: string;
  min?: number;
  max?: number;
  mutability?: Mutability;
}

export interface ModelRecord {
  key: string;
  flags: string;
  dataType: DataType;
  unit: string;
  min: string;
  max: string;
  valuesList: string;
  default: string;
}

export class ModelError extends Error {}

const MUT: Record<Mutability, string> = { ReadOnly: "R", WriteOnly: "W", ReadWrite: "RW" };

function fill(text: string, vars: Record<string, string | number>, where: string): string {
  return text.replace(/\{([a-zA-Z.]+)\}/g, (_m, name: string) => {
    if (!(name in vars)) throw new ModelError(`${where}: unknown placeholder {${name}}`);
    return String(vars[name]);
  });
}

/** Values kept beside the generated table (firmware/model.ts: always persisted, never reported). */
export const INTERNAL_KEYS = ["Internal/CsmsUrl"];

/** The record key of a variable: at station level with evse 0, else per EVSE or connector. */
export function keyOf(d: VariableDecl, evse: number, conn: number): string {
  let k = d.component;
  if (d.componentInstance !== undefined) k += `(${d.componentInstance})`;
  if (evse > 0) k += `#${evse}` + (conn > 0 ? `.${conn}` : "");
  k += `/${d.variable}`;
  if (d.instance !== undefined) k += `[${d.instance}]`;
  return k;
}

/** Checks a value against its characteristics the way SetVariables will (B05.FR.07/08). */
export function valueProblem(r: Pick<ModelRecord, "dataType" | "min" | "max" | "valuesList">, v: string): string | undefined {
  const num = (s: string) => (s === "" ? undefined : Number(s));
  const min = num(r.min);
  const max = num(r.max);
  switch (r.dataType) {
    case "integer":
    case "decimal": {
      const ok = r.dataType === "integer" ? /^[+-]?\d+$/.test(v) : /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v);
      if (!ok) return `not ${r.dataType === "integer" ? "an integer" : "a decimal"}`;
      if (min !== undefined && Number(v) < min) return `below ${min}`;
      if (max !== undefined && Number(v) > max) return `above ${max}`;
      return undefined;
    }
    case "boolean":
      return v === "true" || v === "false" ? undefined : "not true or false";
    case "dateTime":
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) ? undefined : "not a date-time";
    case "OptionList":
      return r.valuesList.split(",").includes(v) ? undefined : "not in valuesList";
    case "SequenceList":
    case "MemberList": {
      if (v === "") return undefined;
      const items = v.split(",");
      return items.every((i) => r.valuesList.split(",").includes(i)) ? undefined : "member not in valuesList";
    }
    default:
      if (max !== undefined && [...v].length > max) return `longer than ${max}`;
      if (min !== undefined && [...v].length < min) return `shorter than ${min}`;
      return undefined;
  }
}

/** Expands and checks the declarations of the blocks in a build. */
export function buildRecords(cfg: BuildConfig, decls: VariableDecl[]): ModelRecord[] {
  const records: ModelRecord[] = [];
  const seen = new Set<string>();
  const overrides = cfg.deviceModel;
  const used = new Set<string>();
  const base: Record<string, string | number> = {
    "identity.vendorName": cfg.identity.vendorName,
    "identity.model": cfg.identity.model,
    "identity.serialNumber": cfg.identity.serialNumber ?? "",
    "identity.firmwareVersion": cfg.identity.firmwareVersion ?? "",
    "bounds.maxFrameBytes": cfg.bounds.maxFrameBytes,
    "bounds.reportItemsPerMessage": cfg.bounds.reportItemsPerMessage,
    "bounds.reportBytesPerMessage": cfg.bounds.reportBytesPerMessage,
    "bounds.authCacheEntries": cfg.bounds.authCacheEntries ?? AUTH_CACHE_DEFAULTS.authCacheEntries,
    "bounds.authCacheBytes": cfg.bounds.authCacheBytes ?? AUTH_CACHE_DEFAULTS.authCacheBytes,
    "station.phases": Math.max(...cfg.evses.flatMap((e) => e.connectors.map((c) => c.phases))),
    "station.maxPowerW": cfg.evses.reduce((s, e) => s + e.maxPowerW, 0),
  };
  const emit = (d: VariableDecl, evse: number, conn: number, vars: Record<string, string | number>) => {
    const key = keyOf(d, evse, conn);
    if (seen.has(key)) throw new ModelError(`${key}: declared twice`);
    seen.add(key);
    const generic = keyOf(d, 0, 0);
    const o: ModelOverride | undefined = (() => {
      const raw = (overrides as Record<string, unknown>)[key] ?? (overrides as Record<string, unknown>)[generic];
      if (raw === undefined) return undefined;
      used.add((overrides as Record<string, unknown>)[key] !== undefined ? key : generic);
      return typeof raw === "string" ? { default: raw } : (raw as ModelOverride);
    })();
    const mutability = o?.mutability ?? d.mutability;
    let flags = MUT[mutability];
    if (d.persistent) flags += "P";
    if (d.constant) flags += "C";
    if (d.rebootRequired) flags += "B";
    if (d.dynamic) flags += "D";
    if (d.identifier) flags += "I";
    for (const a of d.attributes ?? []) flags += a === "Target" ? "t" : a === "MinSet" ? "n" : "x";
    const r: ModelRecord = {
      key,
      flags,
      dataType: d.dataType,
      unit: d.unit ?? "",
      min: String(o?.min ?? (d.min === undefined ? "" : fill(String(d.min), vars, key))),
      max: String(o?.max ?? (d.max === undefined ? "" : fill(String(d.max), vars, key))),
      valuesList: d.valuesList ?? "",
      default: o?.default ?? (d.default === undefined ? "" : fill(d.default, vars, key)),
    };
    for (const [name, v] of Object.entries(r)) {
      if (/[|\n]/.test(String(v))) throw new ModelError(`${key}: ${name} must not contain '|' or a newline`);
    }
    if (!d.dynamic && mutability !== "WriteOnly" && r.default !== "") {
      const p = valueProblem(r, r.default);
      if (p !== undefined) throw new ModelError(`${key}: default '${r.default}' is ${p}`);
    }
    records.push(r);
  };
  for (const d of decls) {
    const per = d.per ?? "station";
    if (per === "station") emit(d, 0, 0, base);
    cfg.evses.forEach((e, i) => {
      const evseVars = { ...base, "evse.id": i + 1, "evse.maxPowerW": e.maxPowerW, "evse.phases": Math.max(...e.connectors.map((c) => c.phases)) };
      if (per === "evse") emit(d, i + 1, 0, evseVars);
      if (per === "connector") {
        e.connectors.forEach((c, j) => emit(d, i + 1, j + 1, { ...evseVars, "connector.id": j + 1, "connector.type": c.type, "connector.phases": c.phases, "connector.maxCurrentA": c.maxCurrentA }));
      }
    });
  }
  for (const k of Object.keys(overrides)) {
    if (!used.has(k)) throw new ModelError(`deviceModel.${k}: no such variable in this build's blocks`);
  }
  return records;
}

/** The record string (see firmware/model.ts). */
export function encodeRecords(records: ModelRecord[]): string {
  return records.map((r) => `\n${r.key}|${r.flags}|${r.dataType}|${r.unit}|${r.min}|${r.max}|${r.valuesList}|${r.default}`).join("");
}
