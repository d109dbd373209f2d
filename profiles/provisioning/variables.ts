// B05 Set variables and B06 Get variables: one result per item, looked up in the device model.

import { fmtNum, jarr, Json, JsonObject } from "../../firmware/json";
import { componentKey, findRecord, hasComponent, hasFlag, listHas, modelInt, modelPut, modelSave, modelSetAfterReboot, modelWritten, mutability, readRecord, rec, recordValue, variableKey } from "../../firmware/model";
import { rpcError, rpcRequestBytes } from "../../firmware/rpc";
import { isDateTime, utf8Chars } from "../../firmware/validate";
import { epochNow } from "../../firmware/clock";
import { Ctx, emit } from "../../firmware/station";
import { isoTime } from "../../firmware/time";

/** Flag letter that says a record supports an attribute type; Actual always exists. */
function attrFlag(attr: string): string | undefined {
  if (attr === "Target") return "t";
  if (attr === "MinSet") return "n";
  if (attr === "MaxSet") return "x";
  return undefined;
}

// Result of locate(): the key, or the attributeStatus that ends the item.
let locKey = "";

const KEY_CHARS = ["/", "#", "(", ")", "[", "]", "|", "\n"];

/** A name or instance that holds a character of the key syntax names nothing in the model. */
function nameOk(s: string | undefined): boolean {
  if (s === undefined) return true;
  for (let i = 0; i < KEY_CHARS.length; i++) {
    const [at] = string.find(s, KEY_CHARS[i], 1, true);
    if (at !== undefined) return false;
  }
  return true;
}

/** Finds the record of a GetVariableData/SetVariableData item; returns undefined or UnknownComponent/UnknownVariable. */
function locate(st: Ctx, comp: JsonObject, variable: JsonObject): string | undefined {
  const evse = comp.evse as JsonObject | undefined;
  const evseId = evse !== undefined ? (evse.id as number) : 0;
  const connectorId = evse !== undefined && evse.connectorId !== undefined ? (evse.connectorId as number) : 0;
  // B05.FR.04, B06.FR.06, B06.FR.15; ids beyond the topology are unknown before any formatting.
  const connectors = st.img.evses[evseId - 1];
  if (!nameOk(comp.name as string) || !nameOk(comp.instance as string | undefined)) return "UnknownComponent";
  if (evseId < 0 || (evseId > 0 && (connectors === undefined || connectorId < 0 || connectorId > connectors))) return "UnknownComponent";
  const ck = componentKey(comp.name as string, comp.instance !== undefined ? (comp.instance as string) : "", evseId, connectorId);
  if (!hasComponent(st, ck)) return "UnknownComponent";
  if (!nameOk(variable.name as string) || !nameOk(variable.instance as string | undefined)) return "UnknownVariable";
  locKey = ck + "/" + variableKey(variable.name as string, variable.instance !== undefined ? (variable.instance as string) : "");
  const at = findRecord(st, locKey);
  if (at === undefined) return "UnknownVariable";
  readRecord(st.img.model.data, at);
  return undefined;
}

/** An optionally signed number: digits with at most maxDots decimal points (integer 0, decimal 1). */
function isNumeral(s: string, maxDots: number): boolean {
  let i = 1;
  const c0 = string.byte(s, 1);
  if (c0 === 43 || c0 === 45) i = 2;
  let digits = 0;
  let dots = 0;
  for (let k = i; k <= s.length; k++) {
    const c = string.byte(s, k) as number;
    if (c === 46) dots = dots + 1;
    else if (c >= 48 && c <= 57) digits = digits + 1;
    else return false;
  }
  return digits > 0 && dots <= maxDots;
}

function isIdentifier(s: string): boolean {
  for (let i = 1; i <= s.length; i++) {
    const c = string.byte(s, i) as number;
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
      c === 42 || c === 45 || c === 95 || c === 61 || c === 43 || c === 124 || c === 64 || c === 46;
    if (!ok) return false;
  }
  return true;
}

/** B05.FR.07/08: does the value fit the record's dataType, limits and valuesList (just read)? */
function valueFits(v: string): boolean {
  const t = rec.type;
  if (t === "integer" || t === "decimal") {
    if (!isNumeral(v, t === "integer" ? 0 : 1)) return false;
    const n = tonumber(v) as number;
    if (rec.min !== "" && n < (tonumber(rec.min) as number)) return false;
    if (rec.max !== "" && n > (tonumber(rec.max) as number)) return false;
    return true;
  }
  if (t === "boolean") return v === "true" || v === "false";
  // Any RFC 3339 date-time, 2038 and later included: the value is kept as text.
  if (t === "dateTime") return isDateTime(v);
  if (t === "OptionList") {
    // One option, so no comma (listHas would find "A,B" as two neighbours).
    const [comma] = string.find(v, ",", 1, true);
    return comma === undefined && listHas(rec.values, v);
  }
  if (t === "MemberList" || t === "SequenceList") {
    if (v === "") return true;
    let start = 1;
    for (;;) {
      const [comma] = string.find(v, ",", start, true);
      const item = string.sub(v, start, comma === undefined ? v.length : comma - 1);
      if (!listHas(rec.values, item)) return false;
      if (comma === undefined) return true;
      start = comma + 1;
    }
  }
  // identifierString (SecurityCtrlr.Identity, Part 4 §3.1): a-z A-Z 0-9 * - _ = + | @ . and no ":"
  // (it is the Basic auth user name).
  if (hasFlag(rec.flags, "I") && !isIdentifier(v)) return false;
  const len = utf8Chars(v);
  if (rec.max !== "" && len > (tonumber(rec.max) as number)) return false;
  if (rec.min !== "" && len < (tonumber(rec.min) as number)) return false;
  return true;
}

/** Value of the attribute of the record just located; "" when never set (B06.FR.13). */
function attributeValue(st: Ctx, key: string, attr: string): string {
  if (attr === "Actual") return recordValue(st, key, rec.flags, rec.dflt);
  const w = modelWritten(st, key + "|" + attr);
  return w !== undefined ? w : "";
}

function tooMany(st: Ctx, items: Json[], which: "GetVariables" | "SetVariables"): JsonObject | undefined {
  // B06.FR.16/17 (and the same for SetVariables): MAY answer with a CALLERROR; we do.
  if (items.length > modelInt(st, `DeviceDataCtrlr/ItemsPerMessage[${which}]`)) {
    return rpcError("OccurrenceConstraintViolation", "more than ItemsPerMessage" + which + " items");
  }
  if (rpcRequestBytes(st) > modelInt(st, `DeviceDataCtrlr/BytesPerMessage[${which}]`)) {
    return rpcError("FormatViolation", "more than BytesPerMessage" + which + " bytes");
  }
  return undefined;
}

function getVariables(st: Ctx, p: JsonObject): JsonObject {
  const items = p.getVariableData as Json[];
  const err = tooMany(st, items, "GetVariables");
  if (err !== undefined) return err;
  const results: Json[] = jarr([]);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as JsonObject;
    const comp = item.component as JsonObject;
    const variable = item.variable as JsonObject;
    // B06.FR.11: no attributeType means Actual, and the result says so.
    const attr = item.attributeType !== undefined ? (item.attributeType as string) : "Actual";
    const r: JsonObject = { attributeType: attr, component: comp, variable };
    const unknown = locate(st, comp, variable);
    const flag = attrFlag(attr);
    if (unknown !== undefined) r.attributeStatus = unknown;
    else if (flag !== undefined && !hasFlag(rec.flags, flag)) r.attributeStatus = "NotSupportedAttributeType"; // B06.FR.08
    else if (mutability(rec.flags) === "W") r.attributeStatus = "Rejected"; // B06.FR.09: WriteOnly
    else {
      r.attributeStatus = "Accepted"; // B06.FR.10
      r.attributeValue = attributeValue(st, locKey, attr);
    }
    results[results.length] = r;
  }
  return { getVariableResult: results };
}

function setVariables(st: Ctx, p: JsonObject): JsonObject {
  const items = p.setVariableData as Json[];
  const err = tooMany(st, items, "SetVariables");
  if (err !== undefined) return err;
  const results: Json[] = jarr([]);
  let changed = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as JsonObject;
    const comp = item.component as JsonObject;
    const variable = item.variable as JsonObject;
    const attr = item.attributeType !== undefined ? (item.attributeType as string) : "Actual"; // B05.FR.12
    const value = item.attributeValue as string;
    const r: JsonObject = { attributeType: attr, component: comp, variable };
    const unknown = locate(st, comp, variable);
    const flag = attrFlag(attr);
    if (unknown !== undefined) r.attributeStatus = unknown; // B05.FR.04/05
    else if (flag !== undefined && !hasFlag(rec.flags, flag)) r.attributeStatus = "NotSupportedAttributeType"; // B05.FR.06
    else if (mutability(rec.flags) === "R" || hasFlag(rec.flags, "D")) {
      r.attributeStatus = "Rejected"; // B05.FR.09: ReadOnly
      r.attributeStatusInfo = { reasonCode: "ReadOnly" };
    } else if (!valueFits(value)) {
      r.attributeStatus = "Rejected"; // B05.FR.07/08
      r.attributeStatusInfo = { reasonCode: "InvalidValue" };
    } else {
      const key = attr === "Actual" ? locKey : locKey + "|" + attr;
      // A01.FR.11/12: a changed security parameter goes into the security log, never its value.
      if (comp.name === "SecurityCtrlr") emit(st, "security", "ReconfigurationOfSecurityParameters", "SecurityCtrlr." + (variable.name as string));
      if (hasFlag(rec.flags, "B") && attr === "Actual") {
        modelSetAfterReboot(st, key, value);
        r.attributeStatus = "RebootRequired";
      } else {
        modelPut(st, key, value);
        changed = true;
        r.attributeStatus = "Accepted"; // B05.FR.10
      }
    }
    results[results.length] = r;
  }
  // One flash write for the whole request, before it is answered.
  if (changed) modelSave(st);
  return { setVariableResult: results };
}

export const provisioningVariables = {
  name: "variables",
  handlers: { GetVariables: getVariables, SetVariables: setVariables },
  getters: {
    "ClockCtrlr/DateTime": (st: Ctx) => {
      const t = epochNow(st);
      return t !== undefined ? isoTime(t) : "";
    },
    "EVSE/Power": (st: Ctx, evseId: number) => fmtNum(st.hal.readMeter(evseId).powerW),
  },
};
