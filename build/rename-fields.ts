// Short names for the fields of the firmware's own state tables, in the image's Lua bundle.
//
// Lua bytecode keeps a field's name as a string constant in every function that touches it: the
// station's `registration` costs its 12 bytes (and a length and a tag) in each of a dozen functions.
// The fields of the interfaces listed in RENAMED (the station's state, a transaction's) become "_"
// and two characters (a hash of the full name: the same in every build unless it meets a name the
// bundle has already, then salted), wherever the bundle names them: `x.field` and `{ field = … }`,
// found by parsing, never by text matching. Nothing persisted or sent is keyed by these names.
//
// A field is left as it is when its name could be read or written as data: a property of any OCPP
// schema (payloads), a string literal anywhere in the bundle (journal records name fields in
// strings, hooks are emitted by name), a method (`obj:name()`) or a library member's name
// (`string.format`), or a member of an interface the board or the blocks see
// (KEPT: the HAL, the entry points, hooks, blocks, the image). Every renamed field is one the
// firmware alone reads and writes, in its own tables, so it behaves the same under either name; the
// node runtime runs the TypeScript with the full names, the Lua runtimes this bundle.

import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "./compile";
import { parseLua } from "./lua-parse";

/** Interfaces whose fields are renamed: file (from the root) and interface name. */
const RENAMED: [string, string][] = [
  ["firmware/station.ts", "Station"],
  ["firmware/connectors.ts", "ConnectorState"],
  ["firmware/journal.ts", "JState"],
  ["firmware/outbox.ts", "QueuedCall"],
  ["firmware/outbox.ts", "CallOpts"],
  ["firmware/outbox.ts", "Outbox"],
  ["firmware/mqtt-client.ts", "MqttClient"],
  ["profiles/authorization/auth-cache.ts", "Cache"],
  ["profiles/authorization/authorize.ts", "Pending"],
  ["profiles/authorization/authorize.ts", "AuthState"],
  ["profiles/availability/change-availability.ts", "AvailState"],
  ["profiles/availability/heartbeat.ts", "HeartbeatState"],
  ["profiles/provisioning/boot.ts", "BootState"],
  ["profiles/provisioning/reports.ts", "ReportState"],
  ["profiles/remote-control/unlock.ts", "UnlockState"],
  ["profiles/reset/reset.ts", "ResetState"],
  ["profiles/transactions/tx-state.ts", "Tx"],
  ["profiles/transactions/tx-state.ts", "TxBlock"],
  ["profiles/smart-charging/sc-state.ts", "ScState"],
  ["profiles/smart-charging/composite-schedule.ts", "Profile"],
  ["profiles/smart-charging/profile-check.ts", "ProfileLimits"],
  ["profiles/ems/ems.ts", "EmsState"],
];

/** The Lua libraries: their members keep their names. */
const LIBS = ["string", "table", "math", "os", "io", "coroutine", "debug", "bit", "utf8"];

/** Interfaces whose members keep their names (seen by boards and blocks). */
const KEPT: [string, string][] = [
  ["hal/hal.ts", "Hal"],
  ["hal/hal.ts", "NetHal"],
  ["hal/hal.ts", "MeterReading"],
  ["firmware/entry.ts", "Firmware"],
  ["firmware/station.ts", "Ctx"],
  ["firmware/station.ts", "Hooks"],
  ["firmware/station.ts", "Block"],
  ["firmware/station.ts", "Image"],
  ["firmware/station.ts", "Identity"],
  ["firmware/station.ts", "Bounds"],
];

/** The member names of interface name in file. */
function members(file: string, name: string): string[] {
  const src = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.ESNext, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isInterfaceDeclaration(n) && n.name.text === name) {
      for (const m of n.members) if (m.name !== undefined && ts.isIdentifier(m.name)) out.push(m.name.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  if (out.length === 0) throw new Error(`${file}: no interface ${name} with members`);
  return out;
}

let schemaNames: Set<string> | undefined;

/** Every property name of every OCPP 2.0.1 schema. */
function schemaProperties(): Set<string> {
  if (schemaNames !== undefined) return schemaNames;
  const names = new Set<string>();
  const dir = path.join(ROOT, "build", "schemas", "ocpp-2.0.1");
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== "object") return;
    const props = (o as { properties?: object }).properties;
    if (props !== undefined) for (const k of Object.keys(props)) names.add(k);
    for (const v of Object.values(o)) walk(v);
  };
  for (const f of fs.readdirSync(dir)) if (f.endsWith(".json")) walk(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  schemaNames = names;
  return names;
}

/** "_" and two base-36 characters from a 32-bit FNV-1a hash of the name. */
function shortName(name: string, salt: number): string {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const d = "0123456789abcdefghijklmnopqrstuvwxyz";
  return "_" + d[h % 36] + d[Math.floor(h / 36) % 36];
}

interface Node {
  type: string;
  range?: [number, number];
  [k: string]: unknown;
}

/** Calls fn on every node of the tree. */
function walk(n: unknown, fn: (n: Node) => void): void {
  if (n === null || typeof n !== "object") return;
  if (Array.isArray(n)) {
    for (const x of n) walk(x, fn);
    return;
  }
  const node = n as Node;
  if (typeof node.type === "string") fn(node);
  for (const [k, v] of Object.entries(node)) if (k !== "range" && k !== "loc") walk(v, fn);
}

/** The bundle with the RENAMED fields under their short names; the map used (full -> short). */
export function renameFields(src: string): { source: string; renamed: Map<string, string> } {
  const ast = parseLua(src);
  const strings = new Set<string>();
  const library = new Set<string>();
  const fields = new Set<string>();
  const sites: { name: string; at: [number, number] }[] = [];
  walk(ast, (n) => {
    if (n.type === "StringLiteral") strings.add(String(n.value ?? (n.raw as string).slice(1, -1)));
    else if (n.type === "MemberExpression" && n.indexer === "." && LIBS.includes(String((n.base as { name?: string }).name))) {
      // string.format, table.sort …: a library's member keeps its name, and so does a field named like one.
      library.add((n.identifier as { name: string }).name);
    } else if (n.type === "MemberExpression" && n.indexer === ".") {
      const id = n.identifier as Node & { name: string };
      fields.add(id.name);
      sites.push({ name: id.name, at: id.range as [number, number] });
    } else if (n.type === "MemberExpression") {
      // A method (obj:name()) is never renamed: its definition and its calls are told apart by nothing here.
      fields.add((n.identifier as { name: string }).name);
      library.add((n.identifier as { name: string }).name);
    }
    else if (n.type === "TableKeyString") {
      const key = n.key as Node & { name: string };
      fields.add(key.name);
      sites.push({ name: key.name, at: key.range as [number, number] });
    }
  });
  const kept = new Set<string>();
  for (const [f, i] of KEPT) for (const m of members(f, i)) kept.add(m);
  const schema = schemaProperties();
  const renamed = new Map<string, string>();
  const taken = new Set(fields);
  for (const [f, i] of RENAMED) {
    for (const m of members(f, i)) {
      if (renamed.has(m) || kept.has(m) || schema.has(m) || strings.has(m) || library.has(m) || m.length <= 3 || !fields.has(m)) continue;
      let salt = 0;
      let s = shortName(m, salt);
      // Never a name the bundle uses already (nor another renamed field's).
      while (taken.has(s)) s = shortName(m, ++salt);
      taken.add(s);
      renamed.set(m, s);
    }
  }
  // From the end, so earlier ranges stay valid.
  sites.sort((a, b) => b.at[0] - a.at[0]);
  let out = src;
  for (const site of sites) {
    const s = renamed.get(site.name);
    if (s !== undefined) out = out.slice(0, site.at[0]) + s + out.slice(site.at[1]);
  }
  return { source: out, renamed };
}
