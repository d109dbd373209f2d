// The official OCPP 2.0.1 JSON schemas (build/schemas/ocpp-2.0.1, unmodified) as the fuzzer's source
// of truth: ajv says whether a payload is valid, the schemas give each message's nesting depth, and
// random valid payloads are drawn from them. Nothing here reads the firmware's own tables.

import * as fs from "node:fs";
import * as path from "node:path";
import { Prng } from "./prng";

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  format?: string;
  $ref?: string;
  definitions?: Record<string, JsonSchema>;
}

type Validator = (v: unknown) => boolean;

const DIR = path.resolve(__dirname, "..", "..", "build", "schemas", "ocpp-2.0.1");

/** A schema node together with the file it came from (to resolve its $refs). */
export interface Node {
  s: JsonSchema;
  root: JsonSchema;
}

export function resolve(n: Node): Node {
  let s = n.s;
  while (s.$ref !== undefined) s = n.root.definitions![s.$ref.split("/").pop()!];
  return { s, root: n.root };
}

export function child(n: Node, s: JsonSchema): Node {
  return resolve({ s, root: n.root });
}

/** Nesting of the deepest payload a schema admits, counted like depthOf: an object is 1 + its deepest property. */
function schemaDepth(n: Node): number {
  const { s } = resolve(n);
  if (s.type === "object") {
    let m = 0;
    for (const p of Object.values(s.properties ?? {})) m = Math.max(m, schemaDepth(child(n, p)));
    return m + 1;
  }
  if (s.type === "array") return 1 + schemaDepth(child(n, s.items!));
  return 0;
}

export class OcppSchemas {
  private readonly roots = new Map<string, JsonSchema>();
  private readonly validators = new Map<string, Validator>();
  private readonly depths = new Map<string, number>();

  constructor() {
    for (const f of fs.readdirSync(DIR).filter((n) => n.endsWith(".json"))) {
      this.roots.set(f.replace(/\.json$/, ""), JSON.parse(fs.readFileSync(path.join(DIR, f), "utf8")) as JsonSchema);
    }
  }

  /** "GetVariablesRequest" etc. */
  has(name: string): boolean {
    return this.roots.has(name);
  }

  /** Every action with an official request schema. */
  actions(): string[] {
    return [...this.roots.keys()].filter((n) => n.endsWith("Request")).map((n) => n.slice(0, -"Request".length));
  }

  node(name: string): Node {
    const root = this.roots.get(name);
    if (root === undefined) throw new Error(`no official schema ${name}`);
    return { s: root, root };
  }

  depth(name: string): number {
    let d = this.depths.get(name);
    if (d === undefined) {
      d = schemaDepth(this.node(name));
      this.depths.set(name, d);
    }
    return d;
  }

  valid(name: string, payload: unknown): boolean {
    let v = this.validators.get(name);
    if (v === undefined) {
      const Ajv = require("ajv").default as new (o: object) => { addMetaSchema(s: object): void; compile(s: object): Validator };
      const addFormats = require("ajv-formats").default as (a: object) => void;
      const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
      ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json"));
      addFormats(ajv);
      v = ajv.compile(this.node(name).s);
      this.validators.set(name, v);
    }
    return v(payload);
  }
}

/** How a valid instance is drawn. */
export interface SampleStyle {
  /** Chance of including each optional property. */
  optional: number;
  /** Chance of a customData on an object (with a few extension properties half of the time). */
  customData: number;
  /** Upper bound on array lengths (within minItems/maxItems). */
  maxArray: number;
  /** Strings for a property, when the caller knows better than random text (component and variable names...). */
  text?: (prop: string, maxLength: number | undefined) => string | undefined;
  /** Integers for a property (evse ids, request ids...). */
  integer?: (prop: string) => number | undefined;
}

/** Characters of various UTF-8 lengths: 1, 2, 3 and 4 bytes (the last is a surrogate pair in JS). */
export const CHARS = ["a", "Z", "0", "-", "_", "ü", "é", "€", "中", "😀"];

export function randomText(r: Prng, maxLength: number | undefined): string {
  const max = Math.min(maxLength ?? 40, 40);
  const n = r.int(maxLength === undefined ? 0 : Math.min(1, max), max);
  let s = "";
  const multibyte = r.chance(0.3);
  for (let i = 0; i < n; i++) s += multibyte ? r.pick(CHARS) : r.pick(CHARS.slice(0, 5));
  return s;
}

function dateTime(r: Prng): string {
  return r.pick(["2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123Z", "2027-01-01T00:00:00+01:00", "2038-01-19T03:14:08Z"]);
}

/** A random payload that the schema admits (ajv agrees: see the self-check in the fuzz test). */
export function sample(n: Node, r: Prng, st: SampleStyle, prop = ""): unknown {
  const { s } = resolve(n);
  if (s.enum !== undefined) return r.pick(s.enum);
  switch (s.type) {
    case "object": {
      const o: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) {
        const required = (s.required ?? []).includes(k);
        if (k === "customData") {
          if (!r.chance(st.customData)) continue;
          const cd: Record<string, unknown> = { vendorId: r.pick(["com.example", "org.openchargealliance.test", "de.ü.vendor"]) };
          // CustomDataType admits any extra property (Part 4 §9).
          if (r.chance(0.5)) cd[r.pick(["x", "meterValue", "note"])] = r.pick([1, "ü", true, { a: [1, 2] }]);
          o[k] = cd;
          continue;
        }
        if (required || r.chance(st.optional)) o[k] = sample(child(n, p), r, st, k);
      }
      return o;
    }
    case "array": {
      const min = s.minItems ?? 0;
      const max = Math.max(min, Math.min(s.maxItems ?? Infinity, st.maxArray));
      const len = r.int(min, max);
      const out: unknown[] = [];
      for (let i = 0; i < len; i++) out.push(sample(child(n, s.items!), r, st, prop));
      return out;
    }
    case "string": {
      if (s.format === "date-time") return dateTime(r);
      const t = st.text?.(prop, s.maxLength);
      return t !== undefined ? t : randomText(r, s.maxLength);
    }
    case "integer": {
      const v = st.integer?.(prop);
      if (v !== undefined && (s.minimum === undefined || v >= s.minimum) && (s.maximum === undefined || v <= s.maximum)) return v;
      return r.int(s.minimum ?? 0, Math.min(s.maximum ?? 1000, 1000));
    }
    case "number": {
      const v = r.int(s.minimum ?? 0, Math.min(s.maximum ?? 1000, 1000)) + r.pick([0, 0.5, 0.25, 0.125]);
      return s.maximum !== undefined && v > s.maximum ? s.maximum : v;
    }
    case "boolean":
      return r.chance(0.5);
    default:
      return {};
  }
}
