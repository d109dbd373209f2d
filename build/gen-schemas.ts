// Compiles the official OCPP 2.0.1 JSON schemas into the compact strings firmware/validate.ts walks.
//
// Only the messages a build selects are emitted. Object definitions, and any other definition that
// several places use, go once into a shared string (SCHEMAS["$defs"]) and are referenced by byte
// offset ("123@"), which the validator reads without building a key string. A definition used once
// (most enums) is written inline where it is used. Anything in a schema this compiler does not know
// is an error, so a new schema feature cannot be skipped silently. The grammar is documented in
// firmware/validate.ts.

import * as fs from "node:fs";
import * as path from "node:path";

// Must equal DEFS_KEY in firmware/validate.ts (not imported: that file is typed for the Lua image).
const DEFS_KEY = "$defs";
const CUSTOM_DATA = "CustomDataType";

type JsonSchema = { [key: string]: unknown };

/** The schema tree, reduced to what the validator checks. */
type Node =
  | { kind: "ref"; name: string }
  | { kind: "object"; props: Prop[]; open: boolean; custom: boolean }
  | { kind: "array"; items: Node; min?: number; max?: number }
  | { kind: "string"; maxLength?: number }
  | { kind: "datetime" }
  | { kind: "enum"; values: string[] }
  | { kind: "integer" | "number"; min?: number; max?: number }
  | { kind: "boolean" }
  | { kind: "any" };

interface Prop {
  name: string;
  required: boolean;
  node: Node;
}

// Keywords that carry no constraint the validator checks (documentation, code generation hints,
// defaults a receiver applies, and additionalItems, which only matters for tuple-form items).
const IGNORED = new Set(["description", "javaType", "default", "$schema", "$id", "comment", "definitions", "additionalItems"]);
const NAME = /^[A-Za-z][A-Za-z0-9]*$/;
// Enum values must not hold the grammar's punctuation ("<|>{}=:"), or lookups could match across them.
const ENUM_VALUE = /^[A-Za-z0-9._\- ]+$/;

class SchemaCompiler {
  /** Definitions by name, as reduced nodes; a name must mean the same thing in every file. */
  readonly defs = new Map<string, Node>();
  private readonly defSource = new Map<string, string>();

  constructor(private readonly schemaDir: string) {}

  load(message: string): Node {
    const file = path.join(this.schemaDir, message + ".json");
    if (!fs.existsSync(file)) throw new Error(`no schema for message ${message} (${file})`);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as JsonSchema;
    const definitions = (doc.definitions ?? {}) as { [name: string]: JsonSchema };
    for (const [name, def] of Object.entries(definitions)) {
      const key = canonical(def);
      const known = this.defSource.get(name);
      if (known === undefined) {
        this.defSource.set(name, key);
        this.defs.set(name, this.reduce(def, `${message}#${name}`, true));
      } else if (known !== key) {
        throw new Error(`definition ${name} differs between schemas (seen again in ${message})`);
      }
    }
    const root = this.reduce(doc, message, true);
    if (root.kind !== "object") throw new Error(`${message}: top level is not an object`);
    return root;
  }

  /** `top`: a message or a definition; only there may an object stand (see the file header). */
  private reduce(s: JsonSchema, where: string, top = false): Node {
    for (const k of Object.keys(s)) {
      if (!IGNORED.has(k) && !KNOWN.has(k)) throw new Error(`${where}: unsupported keyword ${k}`);
    }
    if (typeof s.$ref === "string") {
      const m = /^#\/definitions\/(.+)$/.exec(s.$ref);
      if (m === null) throw new Error(`${where}: unsupported $ref ${s.$ref}`);
      return { kind: "ref", name: m[1] };
    }
    if (s.enum !== undefined) {
      const values = s.enum as unknown[];
      for (const v of values) {
        if (typeof v !== "string" || !ENUM_VALUE.test(v)) throw new Error(`${where}: unsupported enum value ${JSON.stringify(v)}`);
      }
      if (s.type !== "string") throw new Error(`${where}: enum of type ${String(s.type)}`);
      return { kind: "enum", values: values as string[] };
    }
    switch (s.type) {
      case "object": {
        if (!top) throw new Error(`${where}: inline object (not a definition) is not supported`);
        const props: Prop[] = [];
        const required = new Set((s.required ?? []) as string[]);
        const properties = (s.properties ?? {}) as { [name: string]: JsonSchema };
        let custom = false;
        for (const r of required) if (!(r in properties)) throw new Error(`${where}: required ${r} is not a property`);
        for (const [name, sub] of Object.entries(properties)) {
          if (!NAME.test(name)) throw new Error(`${where}: unsupported property name ${name}`);
          const node = this.reduce(sub, `${where}.${name}`);
          if (name === "customData" && node.kind === "ref" && node.name === CUSTOM_DATA && !required.has(name)) custom = true;
          else props.push({ name, required: required.has(name), node });
        }
        return { kind: "object", props, open: s.additionalProperties !== false, custom };
      }
      case "array": {
        if (s.items === undefined || Array.isArray(s.items)) throw new Error(`${where}: unsupported items`);
        return { kind: "array", items: this.reduce(s.items as JsonSchema, `${where}[]`), min: int(s.minItems, where), max: int(s.maxItems, where) };
      }
      case "string":
        if (s.format !== undefined) {
          if (s.format !== "date-time" || s.maxLength !== undefined) throw new Error(`${where}: unsupported string format`);
          return { kind: "datetime" };
        }
        return { kind: "string", maxLength: int(s.maxLength, where) };
      case "integer":
      case "number":
        return { kind: s.type, min: int(s.minimum, where), max: int(s.maximum, where) };
      case "boolean":
        return { kind: "boolean" };
      case undefined:
        // DataTransfer's data: any JSON value.
        return { kind: "any" };
      default:
        throw new Error(`${where}: unsupported type ${JSON.stringify(s.type)}`);
    }
  }
}

const KNOWN = new Set(["$ref", "type", "properties", "required", "additionalProperties", "enum", "maxLength", "minItems", "maxItems", "items", "format", "minimum", "maximum"]);

// The grammar carries integer parameters only; the OCPP 2.0.1 schemas have no other.
function int(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Error(`${where}: non-integer bound ${String(v)}`);
  return v;
}

/** Stable text of a definition without its documentation, to compare same-named definitions. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (v !== null && typeof v === "object") {
    const o = v as { [k: string]: unknown };
    const keys = Object.keys(o).filter((k) => k !== "description" && k !== "javaType").sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(o[k])).join(",") + "}";
  }
  return JSON.stringify(v);
}

function range(min: number | undefined, max: number | undefined): string {
  return (min !== undefined ? String(min) : "") + (max !== undefined ? "," + String(max) : "");
}

/** The compact strings for a set of messages: one per message, plus the shared definitions. */
export function compileSchemas(messageNames: string[], schemaDir: string): { defs: string; schemas: { [name: string]: string } } {
  const compiler = new SchemaCompiler(schemaDir);
  const roots = new Map<string, Node>();
  for (const name of messageNames) roots.set(name, compiler.load(name));
  const defs = compiler.defs;

  // Count the references to each definition from every place that is emitted once: the messages
  // and the object definitions they reach. Objects cannot be inlined (the validator needs an
  // object's text free of child properties); others are shared when that is shorter.
  // A definition that contains itself is refused: the validator's recursion depth is bounded by
  // the schema only because the schema is a tree.
  const uses = new Map<string, number>();
  const reached = new Set<string>();
  const open = new Set<string>();
  const visit = (node: Node): void => {
    switch (node.kind) {
      case "ref": {
        uses.set(node.name, (uses.get(node.name) ?? 0) + 1);
        const def = defs.get(node.name);
        if (def === undefined) throw new Error(`undefined $ref ${node.name}`);
        if (open.has(node.name)) throw new Error(`recursive definition ${node.name}`);
        if (!reached.has(node.name)) {
          reached.add(node.name);
          open.add(node.name);
          visit(def);
          open.delete(node.name);
        }
        return;
      }
      case "object":
        if (node.custom) visit({ kind: "ref", name: CUSTOM_DATA });
        for (const p of node.props) visit(p.node);
        return;
      case "array":
        visit(node.items);
        return;
      default:
        return;
    }
  };
  for (const root of roots.values()) visit(root);

  const shared = [...reached].filter((name) => {
    const def = defs.get(name) as Node;
    if (def.kind === "object") return true;
    const n = uses.get(name) as number;
    const len = encode(def, () => "").length;
    return n > 1 && len + n * 5 < n * len;
  });
  // CustomDataType at byte 1 (the "+" flag points there); then the most used first, for short offsets.
  shared.sort((a, b) => {
    if (a === CUSTOM_DATA || b === CUSTOM_DATA) return a === CUSTOM_DATA ? -1 : 1;
    return (uses.get(b) as number) - (uses.get(a) as number) || (a < b ? -1 : 1);
  });
  const sharedSet = new Set(shared);

  // Offsets depend on the text before them, which holds offsets: iterate to a fixed point
  // (lengths only grow with the digits, so this ends in a few rounds).
  let offsets = new Map<string, number>(shared.map((n) => [n, 1]));
  let text = "";
  const ref = (name: string): string => {
    if (sharedSet.has(name)) return String(offsets.get(name)) + "@";
    return encode(defs.get(name) as Node, ref);
  };
  for (let round = 0; ; round++) {
    if (round > 20) throw new Error("definition offsets do not settle");
    const next = new Map<string, number>();
    text = "";
    for (const name of shared) {
      next.set(name, text.length + 1);
      text += encode(defs.get(name) as Node, ref);
    }
    const settled = shared.every((n) => next.get(n) === offsets.get(n));
    offsets = next;
    if (settled) break;
  }
  const schemas: { [name: string]: string } = {};
  for (const [name, root] of roots) schemas[name] = encode(root, ref);
  return { defs: text, schemas };
}

/**
 * The deepest JSON nesting (objects and arrays) a valid payload of any of these messages can have,
 * the payload object itself counting 1 and customData as an object of strings (its extra properties
 * are not OCPP). The image's decoder bound is this plus the frame's own array (firmware/rpc.ts).
 */
export function schemaDepth(messageNames: string[], schemaDir: string): number {
  const compiler = new SchemaCompiler(schemaDir);
  const roots = messageNames.map((n) => compiler.load(n));
  const depth = (node: Node, seen: string[]): number => {
    switch (node.kind) {
      case "ref": {
        if (seen.includes(node.name)) throw new Error(`recursive definition ${node.name}`);
        return depth(compiler.defs.get(node.name) as Node, [...seen, node.name]);
      }
      case "object":
        return 1 + Math.max(node.custom ? 1 : 0, ...node.props.map((p) => depth(p.node, seen)));
      case "array":
        return 1 + depth(node.items, seen);
      default:
        return 0;
    }
  };
  return Math.max(1, ...roots.map((r) => depth(r, [])));
}

function encode(node: Node, ref: (name: string) => string): string {
  switch (node.kind) {
    case "ref":
      return ref(node.name);
    case "object":
      return "{" + (node.open ? "*" : "") + (node.custom ? "+" : "") +
        node.props.map((p) => p.name + (p.required ? "=" : ":") + encode(p.node, ref)).join("") + "}";
    case "array":
      return range(node.min, node.max) + "[" + encode(node.items, ref);
    case "string":
      return (node.maxLength !== undefined ? String(node.maxLength) : "") + "$";
    case "datetime":
      return "&";
    case "enum":
      return "<" + node.values.join("|") + ">";
    case "integer":
      return range(node.min, node.max) + "#";
    case "number":
      return range(node.min, node.max) + "%";
    case "boolean":
      return "!";
    case "any":
      return "?";
  }
}

/**
 * TypeScript source of build/gen/<config>/schemas.ts: SCHEMAS maps each given message name to its
 * schema string, and DEFS_KEY to the shared definitions.
 */
export function generateSchemaModule(messageNames: string[], schemaDir: string): string {
  const { defs, schemas } = compileSchemas(messageNames, schemaDir);
  const lines = [
    `// Generated by build/gen-schemas.ts from the OCPP 2.0.1 JSON schemas; do not edit.`,
    `import type { Schema } from "../../../firmware/validate";`,
    ``,
    `export const SCHEMAS: { [name: string]: Schema } = {`,
    `  ${JSON.stringify(DEFS_KEY)}: ${JSON.stringify(defs)},`,
  ];
  for (const name of messageNames) lines.push(`  ${name}: ${JSON.stringify(schemas[name])},`);
  lines.push(`};`, ``);
  return lines.join("\n");
}
