// The device model (Part 1 §4, Part 2 B05–B08): a read-only table generated at build time plus a
// small store of values written at run time.
//
// The table is ONE string, one record per line, produced by build/device-model.ts:
//
//   "\n" key "|" flags "|" dataType "|" unit "|" minLimit "|" maxLimit "|" valuesList "|" default
//
//   key   := component ["(" instance ")"] ["#" evseId ["." connectorId]] "/" variable ["[" instance "]"]
//   flags := mutability R | W | RW, then P persistent, C constant, B reboot required,
//            D value comes from a block's getter, I identifierString, t/n/x Target/MinSet/MaxSet exist
//
// A string rather than a tree of tables: it is one object (in flash with LFS), a lookup is one
// plain string.find, and a report walks it record by record without building anything big.
// Written values live in st.vals by key ("key" for Actual, "key|Target" for the others); only
// values that differ from the default take RAM, persistent ones go to flash as one record.

import { eachRecord, escapeField } from "./fields";
import type { ModelKey } from "./keys";
import type { Ctx, Station } from "./station";

export interface ModelTable {
  /** The generated records (see above), starting with "\n". */
  data: string;
}

/** Supplies the Actual value of variables flagged D, by "Component/Variable". */
export type Getter = (ctx: Ctx, evseId: number, connectorId: number) => string;

const STORE_KEY = "dm";
const PENDING_KEY = "dm.reboot";

/**
 * The record last read by readRecord: one table reused for every lookup. (A table, not exported
 * `let`s: TSTL copies imported bindings into locals, so only fields of a shared table stay live.)
 */
export const rec = { key: "", flags: "", type: "", unit: "", min: "", max: "", values: "", dflt: "" };

function field(data: string, from: number): number {
  const [bar] = string.find(data, "|", from, true);
  return bar as number;
}

/** Reads only the key and flags of the record at pos (enough to filter a report without allocating the rest). */
export function readHead(data: string, pos: number): void {
  const a = field(data, pos + 1);
  rec.key = string.sub(data, pos + 1, a - 1);
  rec.flags = string.sub(data, a + 1, field(data, a + 1) - 1);
}

/** Reads the record whose "\n" is at pos; returns the position of the next record's "\n" (or 0 at the end). */
function readRecord(data: string, pos: number): number {
  const [nl] = string.find(data, "\n", pos + 1, true);
  const last = nl === undefined ? data.length : nl - 1;
  let a = pos + 1;
  let b = field(data, a);
  rec.key = string.sub(data, a, b - 1);
  a = b + 1; b = field(data, a); rec.flags = string.sub(data, a, b - 1);
  a = b + 1; b = field(data, a); rec.type = string.sub(data, a, b - 1);
  a = b + 1; b = field(data, a); rec.unit = string.sub(data, a, b - 1);
  a = b + 1; b = field(data, a); rec.min = string.sub(data, a, b - 1);
  a = b + 1; b = field(data, a); rec.max = string.sub(data, a, b - 1);
  a = b + 1; b = field(data, a); rec.values = string.sub(data, a, b - 1);
  rec.dflt = string.sub(data, b + 1, last);
  return nl === undefined ? 0 : nl;
}

/** Position of the record with this key, or undefined. */
function findRecord(ctx: Ctx, key: string): number | undefined {
  const st = ctx as Station;
  const [at] = string.find(st.img.model.data, "\n" + key + "|", 1, true);
  return at;
}

/** Does any record of this component (the key part before "/") exist? */
export function hasComponent(ctx: Ctx, component: string): boolean {
  const st = ctx as Station;
  const [at] = string.find(st.img.model.data, "\n" + component + "/", 1, true);
  return at !== undefined;
}

/** Mutability letters of a record's flags: "R", "W" or "RW". */
export function mutability(flags: string): string {
  if (string.sub(flags, 1, 2) === "RW") return "RW";
  return string.sub(flags, 1, 1);
}

function hasFlag(flags: string, f: string): boolean {
  const [at] = string.find(flags, f, 1, true);
  return at !== undefined;
}

/** Splits a key into its parts: component, component instance, evse, connector, variable, variable instance. */
function splitKey(key: string): LuaMultiReturn<[string, string, number, number, string, string]> {
  const [slash] = string.find(key, "/", 1, true);
  let comp = string.sub(key, 1, (slash as number) - 1);
  let v = string.sub(key, (slash as number) + 1);
  let evse = 0;
  let conn = 0;
  let ci = "";
  let vi = "";
  const [hash] = string.find(comp, "#", 1, true);
  if (hash !== undefined) {
    const loc = string.sub(comp, hash + 1);
    comp = string.sub(comp, 1, hash - 1);
    const [dot] = string.find(loc, ".", 1, true);
    if (dot !== undefined) {
      evse = tonumber(string.sub(loc, 1, dot - 1)) as number;
      conn = tonumber(string.sub(loc, dot + 1)) as number;
    } else {
      evse = tonumber(loc) as number;
    }
  }
  const [paren] = string.find(comp, "(", 1, true);
  if (paren !== undefined) {
    ci = string.sub(comp, paren + 1, comp.length - 1);
    comp = string.sub(comp, 1, paren - 1);
  }
  const [br] = string.find(v, "[", 1, true);
  if (br !== undefined) {
    vi = string.sub(v, br + 1, v.length - 1);
    v = string.sub(v, 1, br - 1);
  }
  return $multi(comp, ci, evse, conn, v, vi);
}

/** The component part of a key: name, instance, EVSE and connector as a CSMS names them. */
export function componentKey(comp: string, ci: string, evse: number, conn: number): string {
  let k = comp;
  if (ci !== "") k = k + "(" + ci + ")";
  if (evse > 0) {
    k = k + "#" + string.format("%d", evse);
    if (conn > 0) k = k + "." + string.format("%d", conn);
  }
  return k;
}

/** The variable part of a key. */
export function variableKey(v: string, vi: string): string {
  return vi !== "" ? v + "[" + vi + "]" : v;
}

/** Actual value of the record just read with readRecord (getter, written value, or default). */
function recordValue(ctx: Ctx, key: string, flags: string, dflt: string): string {
  const st = ctx as Station;
  if (hasFlag(flags, "D")) {
    const [comp, , evse, conn, v] = splitKey(key);
    const g = st.getters[comp + "/" + v];
    if (g !== undefined) return g(st, evse, conn);
  }
  const w = st.vals[key];
  return w !== undefined ? w : dflt;
}

/**
 * Actual value of a variable by key, or undefined when the build has no such variable. For keys
 * read from the table or built from a CSMS request; code names its keys through modelGet.
 */
function modelLookup(ctx: Ctx, key: string): string | undefined {
  const st = ctx as Station;
  const w = st.vals[key];
  if (w !== undefined) return w;
  const data = st.img.model.data;
  const at = findRecord(st, key);
  if (at === undefined) return undefined;
  // Only the flags and the default: the tick reads a dozen variables a second, and readRecord's
  // six other substrings (and a call per field) would be garbage at once.
  const f = at + key.length + 2;
  const [bar] = string.find(data, "|", f, true);
  const flags = string.sub(data, f, (bar as number) - 1);
  // The default is the 8th field: skip type, unit, minLimit, maxLimit and valuesList.
  let b = bar as number;
  for (let i = 0; i < 5; i++) {
    const [x] = string.find(data, "|", b + 1, true);
    b = x as number;
  }
  const [nl] = string.find(data, "\n", b + 1, true);
  const dflt = string.sub(data, b + 1, nl === undefined ? data.length : nl - 1);
  // Not written (st.vals above): a getter's value, or the default.
  const [d] = string.find(flags, "D", 1, true);
  return d === undefined ? dflt : recordValue(st, key, flags, dflt);
}

/**
 * Actual value of a variable code names (firmware/keys.ts: a key no block declares is a type error;
 * build/check-keys.ts fails a build whose model lacks a key its code names).
 */
export function modelGet(ctx: Ctx, key: ModelKey): string | undefined {
  const st = ctx as Station;
  return modelLookup(st, key);
}

/** The maxLimit of a variable code names (the OEM config may lower the block's), or undefined. */
export function modelMaxLimit(ctx: Ctx, key: ModelKey): number | undefined {
  const st = ctx as Station;
  const at = findRecord(st, key);
  if (at === undefined) return undefined;
  readRecord(st.img.model.data, at);
  return rec.max !== "" ? tonumber(rec.max) : undefined;
}

/** Integer value of a variable; 0 when not a number (its existence is checked at build time). */
export function modelInt(ctx: Ctx, key: ModelKey): number {
  const st = ctx as Station;
  const v = modelLookup(st, key);
  if (v === undefined) return 0;
  const n = tonumber(v);
  return n === undefined ? 0 : n;
}

/** Written values survive a reboot when their variable is flagged P; values outside the table (Internal/*) always do. */
function persistent(ctx: Ctx, k: string): boolean {
  const st = ctx as Station;
  const [bar] = string.find(k, "|", 1, true);
  const at = findRecord(st, bar === undefined ? k : string.sub(k, 1, bar - 1));
  if (at === undefined) return true;
  readRecord(st.img.model.data, at);
  return hasFlag(rec.flags, "P");
}

function save(ctx: Ctx, storeKey: string, vals: { [k: string]: string }, onlyPersistent: boolean): void {
  const st = ctx as Station;
  const out: string[] = [];
  for (const [k, v] of pairs(vals)) {
    if (!onlyPersistent || persistent(st, k as string)) {
      escapeField(k as string, out);
      out[out.length] = "\t";
      escapeField(v as string, out);
      out[out.length] = "\n";
    }
  }
  if (out.length === 0) st.hal.erase(storeKey);
  else st.hal.save(storeKey, table.concat(out));
}

/** The value written for a key (key, or key + "|Target" etc.), or undefined when it has its default. */
export function modelWritten(ctx: Ctx, key: string): string | undefined {
  return (ctx as Station).vals[key];
}

/** Changes a value in RAM only (key, or key + "|Target" etc.); a value equal to the default frees its slot. Follow with modelSave. */
function modelPut(ctx: Ctx, key: string, value: string): void {
  const st = ctx as Station;
  const at = findRecord(st, key);
  let dflt: string | undefined;
  if (at !== undefined) {
    readRecord(st.img.model.data, at);
    dflt = rec.dflt;
  }
  if (dflt === value) st.vals[key] = undefined as unknown as string;
  else st.vals[key] = value;
}

/** Writes the persistent values to flash as one record. */
function modelSave(ctx: Ctx): void {
  const st = ctx as Station;
  save(st, STORE_KEY, st.vals, true);
}

/** Writes a value code names and persists it at once. */
export function modelSet(ctx: Ctx, key: ModelKey, value: string): void {
  const st = ctx as Station;
  modelProvision(st, key, value);
}

/** Writes a value by a key that comes from outside (factory provisioning) and persists it at once. */
function modelProvision(ctx: Ctx, key: string, value: string): void {
  const st = ctx as Station;
  modelPut(st, key, value);
  modelSave(st);
}

/** Records a value that takes effect at the next boot (SetVariables answered RebootRequired). */
export function modelSetAfterReboot(ctx: Ctx, key: string, value: string): void {
  const st = ctx as Station;
  const pending: { [k: string]: string } = {};
  loadRecord(st, PENDING_KEY, pending);
  pending[key] = value;
  save(st, PENDING_KEY, pending, false);
}

function loadRecord(ctx: Ctx, storeKey: string, into: { [k: string]: string }): void {
  const st = ctx as Station;
  const rec = st.hal.load(storeKey);
  if (rec !== undefined) eachRecord(rec, (k, v) => {
    into[k] = v;
  });
}

/** Loads written values at start-up, then applies those that waited for this reboot. */
export function modelLoad(ctx: Ctx): void {
  const st = ctx as Station;
  loadRecord(st, STORE_KEY, st.vals);
  const pending: { [k: string]: string } = {};
  loadRecord(st, PENDING_KEY, pending);
  if (next(pending) !== undefined) {
    for (const [k, v] of pairs(pending)) st.vals[k as string] = v as string;
    st.hal.erase(PENDING_KEY);
    save(st, STORE_KEY, st.vals, true);
  }
}

/** Is name one of the members of a comma-separated list (a MemberList value, a valuesList)? */
export function listHas(csv: string, name: string): boolean {
  const [at] = string.find("," + csv + ",", "," + name + ",", 1, true);
  return at !== undefined;
}

export { readRecord, findRecord, hasFlag, splitKey, recordValue, modelLookup, modelPut, modelSave, modelProvision };
