// B07 Get base report and B08 Get custom report: NotifyReport streamed part by part.
//
// A report is a cursor over the device-model record string. Each part is built when the previous
// one has been answered, so at most one part (ItemsPerMessage/BytesPerMessage[GetReport]) is in
// RAM however large the model; an item that does not fit waits, encoded, for the next part.

import { fmtNum, JsonObject, jsonWriteString } from "../../firmware/json";
import { hasFlag, modelInt, modelLookup, modelWritten, mutability, readHead, readRecord, rec, recordValue, splitKey } from "../../firmware/model";
import { rpcCallJson, rpcDrop, rpcError, rpcHasRoom, rpcRequestBytes } from "../../firmware/rpc";
import { epochNow } from "../../firmware/clock";
import { blockData, Ctx } from "../../firmware/station";
import { isoTime } from "../../firmware/time";

const FULL = 0;
const CONFIG = 1;
const SUMMARY = 2;
const CUSTOM = 3;
/** Room for the NotifyReport envelope around the items: frame header, requestId, generatedAt, tbc, seqNo. */
const ENVELOPE_BYTES = 160;

interface ReportState {
  active: boolean;
  requestId: number;
  kind: number;
  /** Byte position of the next record to consider (its "\n"), 0 at the end. */
  pos: number;
  seqNo: number;
  /** An encoded item that did not fit into the previous part. */
  carry: string | undefined;
  componentVariable: JsonObject[] | undefined;
  criteria: string[] | undefined;
  /** Scratch table for the pieces of one item, reused so its slots are allocated once. */
  pieces: string[];
  /** The next part waits for room in the call queue (checked every tick). */
  waiting: boolean;
}

function state(st: Ctx): ReportState {
  return blockData(st, "reports") as unknown as ReportState;
}

/** B08.FR.07-10: Active/Available/Enabled hold unless set false; Problem only when set true. */
function meetsCriterion(st: Ctx, componentPart: string, criterion: string): boolean {
  const v = modelLookup(st, componentPart + "/" + criterion);
  if (criterion === "Problem") return v === "true";
  return v === undefined || v === "true";
}

function matchesComponentVariable(cv: JsonObject, comp: string, ci: string, evse: number, conn: number, v: string, vi: string): boolean {
  const c = cv.component as JsonObject;
  if (c.name !== comp) return false;
  if (c.instance !== undefined && c.instance !== ci) return false; // B08.FR.24/25
  const e = c.evse as JsonObject | undefined;
  if (e !== undefined) {
    if (e.id !== evse) return false;
    if (e.connectorId !== undefined && e.connectorId !== conn) return false; // B08.FR.22
  }
  const variable = cv.variable as JsonObject | undefined;
  if (variable === undefined) return true; // B08.FR.20
  if (variable.name !== v) return false;
  return variable.instance === undefined || variable.instance === vi; // B08.FR.21
}

/** Does the record just read belong in the report? */
function matches(st: Ctx, s: ReportState): boolean {
  if (s.kind === FULL) return true;
  if (s.kind === CONFIG) return mutability(rec.flags) !== "R";
  const [comp, ci, evse, conn, v, vi] = splitKey(rec.key);
  if (s.kind === SUMMARY) return v === "AvailabilityState" || v === "Available" || v === "Problem";
  const cvs = s.componentVariable;
  if (cvs !== undefined) {
    let any = false;
    for (let i = 0; i < cvs.length && !any; i++) any = matchesComponentVariable(cvs[i], comp, ci, evse, conn, v, vi);
    if (!any) return false;
  }
  const crit = s.criteria;
  if (crit !== undefined) {
    const [slash] = string.find(rec.key, "/", 1, true);
    const part = string.sub(rec.key, 1, (slash as number) - 1);
    // B08.FR.13: any one of the criteria. With componentVariable the criteria filter components
    // (B08.FR.05, TC_B_18_CS). Alone, they are read as TC_B_16_CS validates them: the report is the
    // criterion variables themselves, one per component where it holds ("reportData variable.name is
    // Enabled, value true"); a component without the variable passes B08.FR.07-09 but has no such
    // variable to report.
    const alone = cvs === undefined;
    let any = false;
    for (let i = 0; i < crit.length && !any; i++) {
      any = (!alone || (v === crit[i] && vi === "")) && meetsCriterion(st, part, crit[i]);
    }
    if (!any) return false;
  }
  return true;
}

/** Advances to the next matching record at or after pos; returns its position or 0. */
function nextMatch(st: Ctx, s: ReportState, pos: number): number {
  const data = st.img.model.data;
  while (pos > 0) {
    readHead(data, pos);
    if (matches(st, s)) return pos;
    const [nl] = string.find(data, "\n", pos + 1, true);
    pos = nl === undefined ? 0 : nl;
  }
  return 0;
}

const ATTRS = ["Target", "MinSet", "MaxSet"];
const ATTR_FLAGS = ["t", "n", "x"];

function writeAttribute(out: string[], attr: string, value: string | undefined, mutabilityText: string, flags: string): void {
  out[out.length] = "{\"type\":\"";
  out[out.length] = attr;
  out[out.length] = "\",";
  if (value !== undefined) {
    out[out.length] = "\"value\":";
    jsonWriteString(value, out);
    out[out.length] = ",";
  }
  out[out.length] = "\"mutability\":\"";
  out[out.length] = mutabilityText;
  out[out.length] = hasFlag(flags, "P") ? "\",\"persistent\":true" : "\",\"persistent\":false";
  out[out.length] = hasFlag(flags, "C") ? ",\"constant\":true}" : ",\"constant\":false}";
}

/**
 * Appends the ReportDataType of the record just read to out as JSON pieces (B08.FR.12: with
 * variableCharacteristics). Written straight out, without building the item as tables.
 */
function writeItem(st: Ctx, out: string[]): void {
  // Copied first: a getter may read other records.
  const key = rec.key;
  const flags = rec.flags;
  const dataType = rec.type;
  const unit = rec.unit;
  const min = rec.min;
  const max = rec.max;
  const values = rec.values;
  const dflt = rec.dflt;
  const [comp, ci, evse, conn, v, vi] = splitKey(key);
  out[out.length] = "{\"component\":{\"name\":";
  jsonWriteString(comp, out);
  if (ci !== "") {
    out[out.length] = ",\"instance\":";
    jsonWriteString(ci, out);
  }
  if (evse > 0) {
    out[out.length] = ",\"evse\":{\"id\":";
    out[out.length] = fmtNum(evse);
    if (conn > 0) {
      out[out.length] = ",\"connectorId\":";
      out[out.length] = fmtNum(conn);
    }
    out[out.length] = "}";
  }
  out[out.length] = "},\"variable\":{\"name\":";
  jsonWriteString(v, out);
  if (vi !== "") {
    out[out.length] = ",\"instance\":";
    jsonWriteString(vi, out);
  }
  out[out.length] = "},\"variableAttribute\":[";
  const mf = mutability(flags);
  const m = mf === "RW" ? "ReadWrite" : mf === "W" ? "WriteOnly" : "ReadOnly";
  // A WriteOnly value is never reported.
  writeAttribute(out, "Actual", m !== "WriteOnly" ? recordValue(st, key, flags, dflt) : undefined, m, flags);
  for (let i = 0; i < 3; i++) {
    if (hasFlag(flags, ATTR_FLAGS[i])) {
      out[out.length] = ",";
      writeAttribute(out, ATTRS[i], modelWritten(st, key + "|" + ATTRS[i]), m, flags);
    }
  }
  out[out.length] = "],\"variableCharacteristics\":{\"dataType\":\"";
  out[out.length] = dataType;
  out[out.length] = "\"";
  if (unit !== "") {
    out[out.length] = ",\"unit\":";
    jsonWriteString(unit, out);
  }
  // Limits are written as the build wrote them: decimal text is valid JSON.
  if (min !== "") {
    out[out.length] = ",\"minLimit\":";
    out[out.length] = min;
  }
  if (max !== "") {
    out[out.length] = ",\"maxLimit\":";
    out[out.length] = max;
  }
  if (values !== "") {
    out[out.length] = ",\"valuesList\":";
    jsonWriteString(values, out);
  }
  out[out.length] = ",\"supportsMonitoring\":false}}";
}

/**
 * Builds and queues the next NotifyReport part: header, items with commas, tail, never joined.
 * With the call queue full it waits for a tick with room. A report is active only once its part is
 * queued, so a failure anywhere (a getter raising) ends it instead of leaving it stuck.
 */
function sendPart(st: Ctx): void {
  const s = state(st);
  s.active = false;
  // generatedAt is required: a part waits for room, and for a time (known once a CSMS answered).
  s.waiting = !rpcHasRoom(st) || epochNow(st) === undefined;
  if (s.waiting) {
    s.active = true;
    return;
  }
  const data = st.img.model.data;
  const maxItems = modelInt(st, "DeviceDataCtrlr/ItemsPerMessage[GetReport]");
  const budget = modelInt(st, "DeviceDataCtrlr/BytesPerMessage[GetReport]") - ENVELOPE_BYTES;
  const t = epochNow(st) as number;
  const out: string[] = [
    "{\"requestId\":" + fmtNum(s.requestId) + ",\"generatedAt\":\"" + isoTime(t) +
      "\",\"seqNo\":" + fmtNum(s.seqNo) + ",\"reportData\":[",
  ];
  let items = 0;
  let bytes = 0;
  if (s.carry !== undefined) {
    out[1] = s.carry;
    bytes = s.carry.length;
    s.carry = undefined;
    items = 1;
  }
  // One short string per item: a table of every piece of a part would outweigh the part.
  const pieces = s.pieces;
  let pos = nextMatch(st, s, s.pos);
  while (pos > 0 && items < maxItems) {
    // Criteria checks read other records: read this one in full before writing it.
    readRecord(data, pos);
    writeItem(st, pieces);
    const item = table.concat(pieces);
    for (let i = pieces.length; i > 0; i--) table.remove(pieces);
    const [nl] = string.find(data, "\n", pos + 1, true);
    pos = nl === undefined ? 0 : nl;
    // An item alone larger than the budget still goes, alone: it cannot be split.
    if (items > 0 && bytes + 1 + item.length > budget) {
      s.carry = item;
      break;
    }
    if (items > 0) out[out.length] = ",";
    out[out.length] = item;
    items = items + 1;
    bytes = bytes + 1 + item.length;
    pos = nextMatch(st, s, pos);
  }
  s.pos = pos;
  const tbc = s.carry !== undefined || nextMatch(st, s, pos) > 0;
  out[out.length] = tbc ? "],\"tbc\":true}" : "],\"tbc\":false}";
  s.seqNo = s.seqNo + 1; // B08.FR.14: 0, 1, 2 …
  // B02.FR.02: report parts are requested by the CSMS, so they may go out while Pending.
  rpcCallJson(st, "NotifyReport", out, { triggered: true });
  s.active = tbc;
}

function start(st: Ctx, requestId: number, kind: number, cv: JsonObject[] | undefined, crit: string[] | undefined): string {
  const s = state(st);
  // B08.FR.16: one report at a time, and only with room to queue its first part.
  if (s.active || !rpcHasRoom(st)) return "Rejected";
  s.requestId = requestId;
  s.kind = kind;
  s.componentVariable = cv;
  s.criteria = crit;
  s.pos = 1;
  s.seqNo = 0;
  s.carry = undefined;
  // B08.FR.15
  if (nextMatch(st, s, 1) === 0) return "EmptyResultSet";
  sendPart(st);
  return "Accepted";
}

function getBaseReport(st: Ctx, p: JsonObject): JsonObject {
  const base = p.reportBase as string;
  const kind = base === "FullInventory" ? FULL : base === "ConfigurationInventory" ? CONFIG : SUMMARY;
  return { status: start(st, p.requestId as number, kind, undefined, undefined) };
}

function getReport(st: Ctx, p: JsonObject): JsonObject {
  const cv = p.componentVariable as JsonObject[] | undefined;
  // B08.FR.17/18: MAY answer with a CALLERROR; we do.
  if (cv !== undefined && cv.length > modelInt(st, "DeviceDataCtrlr/ItemsPerMessage[GetReport]")) {
    return rpcError("OccurrenceConstraintViolation", "more componentVariable entries than ItemsPerMessageGetReport");
  }
  if (rpcRequestBytes(st) > modelInt(st, "DeviceDataCtrlr/BytesPerMessage[GetReport]")) {
    return rpcError("FormatViolation", "request larger than BytesPerMessageGetReport");
  }
  const crit = p.componentCriteria as string[] | undefined;
  const kind = cv === undefined && crit === undefined ? FULL : CUSTOM;
  return { status: start(st, p.requestId as number, kind, cv, crit) };
}

export const provisioningReports = {
  name: "reports",
  handlers: { GetBaseReport: getBaseReport, GetReport: getReport },
  results: {
    NotifyReport: (st: Ctx, p: JsonObject | undefined) => {
      const s = state(st);
      if (!s.active) return;
      // A part the CSMS did not take ends the report: better a short report than a flood.
      if (p === undefined) s.active = false;
      else sendPart(st);
    },
  },
  on: {
    start: (st: Ctx) => {
      const s = state(st);
      s.active = false;
      s.waiting = false;
      s.pieces = [];
    },
    tick: (st: Ctx) => {
      const s = state(st);
      if (s.waiting) sendPart(st);
    },
    // The connection is gone: so is the report. A part still queued would arrive stale after the
    // reconnect, so it goes too.
    disconnected: (st: Ctx) => {
      const s = state(st);
      s.active = false;
      s.waiting = false;
      rpcDrop(st, "NotifyReport");
    },
  },
};
