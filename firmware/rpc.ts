// OCPP-J RPC (Part 4 §4): framing, message ids, one outstanding CALL, timeouts, CALLERRORs.
//
// Incoming frames are checked in order of cost: size (before decoding), JSON, frame shape, action,
// payload schema. Every failure is answered with the CALLERROR Part 4 §4.3 names and the station
// carries on; a handler that raises is contained by pcall and answered InternalError.

import { fmtNum, isArray, isObject, jarr, jsonDecode, jsonEncode, Json, JsonObject, jsonWrite, jsonWriteString, NULL_TEXT, utf8Prefix } from "./json";
import { utf8Chars, validate } from "./validate";
import { Ctx, Handler, Station } from "./station";
import { modelInt } from "./model";
import { CallOpts, notifyResult, outboxAdd, outboxCount, outboxDone, outboxDrop, outboxHas, outboxNext, outboxPayload, outboxRoom, QueuedCall } from "./outbox";

/** Every OCPP 2.0.1 action a CSMS may send: an action in this list but not in the build is NotSupported, any other NotImplemented. */
const CSMS_ACTIONS =
  ",CancelReservation,CertificateSigned,ChangeAvailability,ClearCache,ClearChargingProfile,ClearDisplayMessage," +
  "ClearVariableMonitoring,CostUpdated,CustomerInformation,DataTransfer,DeleteCertificate,GetBaseReport," +
  "GetChargingProfiles,GetCompositeSchedule,GetDisplayMessages,GetInstalledCertificateIds," +
  "GetLocalListVersion,GetLog,GetMonitoringReport,GetReport,GetTransactionStatus,GetVariables," +
  "InstallCertificate,PublishFirmware,RequestStartTransaction,RequestStopTransaction,ReserveNow,Reset," +
  "SendLocalList,SetChargingProfile,SetDisplayMessage,SetMonitoringBase,SetMonitoringLevel,SetNetworkProfile," +
  "SetVariableMonitoring,SetVariables,TriggerMessage,UnlockConnector,UnpublishFirmware,UpdateFirmware,";

/** Answered Rejected (reasonCode CSNotAccepted) until the station is Accepted (B02.FR.05). */
const NOT_BEFORE_ACCEPTED = ",RequestStartTransaction,RequestStopTransaction,";

/** A CALL and its answer are kept for a retry when each is at most this long. */
const KEEP_BYTES = 512;

/**
 * A handler returns this to answer later with rpcAnswer, when its answer depends on hardware that
 * needs a moment (F05: the lock's feedback). Until then the station sends no CALL (F06.FR.04 holds);
 * a block that never answers is answered for after MessageTimeout with an InternalError.
 */
export const RPC_LATER: JsonObject = { rpcLater: true };

/** A handler returns this instead of a payload to answer with a CALLERROR. */
function rpcError(code: string, description: string): JsonObject {
  return { rpcErrorCode: code, description } as unknown as JsonObject;
}

/** The text of the readable CALL being answered (when short enough to keep), "" otherwise. */
let answering = "";

/** Sends one reply frame (pieces); the answer to a readable CALL is kept, when short, for its retry. */
function reply(st: Station, out: string[]): void {
  st.hal.send(out);
  st.lastCall = answering;
  st.lastReply = undefined;
  if (answering === "") return;
  let n = 0;
  for (let i = 0; i < out.length && n <= KEEP_BYTES; i++) n = n + out[i].length;
  if (n <= KEEP_BYTES) st.lastReply = table.concat(out);
}

function sendError(st: Station, id: string, code: string, description: string): void {
  // errorDescription is string[255]: cut at a character boundary.
  reply(st, [jsonEncode(jarr<Json>([4, id, code, utf8Prefix(description, 255), {}]))]);
}

function skipWs(text: string, i: number): number {
  let c = string.byte(text, i);
  while (c === 32 || c === 9 || c === 10 || c === 13) { i = i + 1; c = string.byte(text, i); }
  return i;
}

/** Position of the message type in a frame that could not be decoded: after `[` and white space, or 0. */
function typeAt(text: string): number {
  const i = skipWs(text, 1);
  return string.byte(text, i) === 91 ? skipWs(text, i + 1) : 0;
}

/** Message type of a frame before it is decoded: 2, 3 or 4 when it starts `[2,` `[3.0,` `[4,` …, else 0 (`[30,` is no response). */
function sniffType(text: string): number {
  const i = typeAt(text);
  if (i === 0) return 0;
  const c = string.byte(text, i);
  if (c === undefined || c < 50 || c > 52) return 0;
  // 3.0 is 3 (JSON numbers are values): a fraction of at least one digit, all zeros.
  let j = i + 1;
  if (string.byte(text, j) === 46) {
    j = j + 1;
    if (string.byte(text, j) !== 48) return 0;
    while (string.byte(text, j) === 48) j = j + 1;
  }
  const after = string.byte(text, skipWs(text, j));
  return after === 44 || after === undefined ? c - 48 : 0;
}

/** The string at byte i of a frame that could not be decoded, when it is plain printable ASCII (no escape, so it reads the same decoded) of 1..max bytes. */
function plainString(text: string, i: number, max: number): string | undefined {
  if (string.byte(text, i) !== 34) return undefined;
  const [e] = string.find(text, "\"", i + 1, true);
  if (e === undefined || e === i + 1 || e - i - 1 > max) return undefined;
  for (let k = i + 1; k < e; k++) {
    const b = string.byte(text, k) as number;
    if (b < 32 || b > 126 || b === 92) return undefined;
  }
  return string.sub(text, i + 1, e - 1);
}

/** Best-effort id of a CALL that could not be decoded: `[2,"id"` at the start, white space allowed; else "-1" (Part 4 §4.2.3). */
function salvageId(text: string): string {
  const i = typeAt(text);
  if (i === 0 || string.byte(text, i) !== 50) return "-1";
  const comma = skipWs(text, i + 1);
  if (string.byte(text, comma) !== 44) return "-1";
  const id = plainString(text, skipWs(text, comma + 1), 36);
  return id !== undefined ? id : "-1";
}

/** Is name one of the items of a ",a,b," list? (A name holding a comma would match two neighbours.) */
function listed(list: string, name: string): boolean {
  const [comma] = string.find(name, ",", 1, true);
  if (comma !== undefined) return false;
  const [at] = string.find(list, "," + name + ",", 1, true);
  return at !== undefined;
}

function handleCall(st: Station, id: string, action: string, payload: JsonObject): void {
  // B03.FR.08 / TC_B_30_CS: a Rejected station answers every CSMS request with SecurityError.
  if (st.registration === "Rejected") {
    sendError(st, id, "SecurityError", "registration rejected");
    return;
  }
  // B02.FR.05 (TC_B_02_CS step 12): until Accepted, a remote start or stop is answered Rejected, in
  // every build, whether or not it has transactions.
  const core = st.registration !== "Accepted" && listed(NOT_BEFORE_ACCEPTED, action);
  // rawget: an action is a CSMS-chosen key ("toString", "__proto__" are no handlers in Node either).
  const handler = core ? undefined : rawget(st.handlers, action);
  if (!core && handler === undefined) {
    // NotSupported for an action OCPP 2.0.1 defines but this build lacks, NotImplemented for any other.
    if (listed(CSMS_ACTIONS, action)) sendError(st, id, "NotSupported", action + " is not supported by this build");
    else sendError(st, id, "NotImplemented", "unknown action " + action);
    return;
  }
  const schema = st.img.schemas[action + "Request"];
  if (schema !== undefined) {
    const [code, why] = validate(payload, schema, st.img.schemas);
    if (code !== undefined) {
      sendError(st, id, code, why as string);
      return;
    }
  }
  if (core) {
    reply(st, ["[3,", jsonEncode(id), ",{\"status\":\"Rejected\",\"statusInfo\":{\"reasonCode\":\"CSNotAccepted\"}}]"]);
    return;
  }
  // F06.FR.04, B08: whatever the handler queues goes out after its response.
  st.holdSends = true;
  const [ok, res] = pcall(handler as Handler, st, payload);
  st.holdSends = false;
  st.triggering = false;
  if (!ok) {
    st.hal.log(1, "handler " + action + " failed: " + (res as string));
    sendError(st, id, "InternalError", "handler failed");
  } else if (res === RPC_LATER) {
    st.later = id;
    st.laterSince = st.hal.uptime();
    st.holdSends = true;
    return;
  } else {
    answer(st, id, res as JsonObject);
  }
  pump(st);
}

function answer(st: Station, id: string, r: JsonObject): void {
  const code = r.rpcErrorCode;
  if (code !== undefined) sendError(st, id, code as string, r.description as string);
  else {
    const out: string[] = ["[3,"];
    jsonWriteString(id, out);
    out[out.length] = ",";
    jsonWrite(r, out);
    out[out.length] = "]";
    reply(st, out);
  }
}

/** Answers the CSMS request a handler answered RPC_LATER (a payload, or an rpcError); false when it was answered for already. */
function rpcAnswer(ctx: Ctx, payload: JsonObject): boolean {
  const st = ctx as Station;
  const id = st.later;
  if (id === undefined) return false;
  st.later = undefined;
  st.holdSends = false;
  // Not kept for a retry: a retried frame is handled afresh.
  answering = "";
  answer(st, id, payload);
  pump(st);
  return true;
}

function finishOutstanding(st: Station, payload: JsonObject | undefined, lost: boolean): void {
  const call = st.outstanding as QueuedCall;
  st.outstanding = undefined;
  outboxDone(st, call, payload, lost);
  pump(st);
}

function handleResponse(st: Station, kind: number, id: string, payload: Json | undefined): void {
  // Part 4 §4.1.3: a response to an unknown or stale id is ignored.
  if (st.outstanding === undefined || id !== st.outstandingId) {
    st.hal.log(2, "ignored response to unknown message id " + id);
    return;
  }
  const call = st.outstanding;
  if (kind === 3) {
    if (!isObject(payload)) {
      finishOutstanding(st, undefined, false);
      return;
    }
    const schema = st.img.schemas[call.action + "Response"];
    if (schema === undefined) st.hal.log(2, "no schema for " + call.action + "Response: taken unchecked");
    else {
      // Lenient on what a CSMS commonly gets wrong and the station can still read: null fields
      // (jsonDecode) and date-times without a zone.
      const [code, why] = validate(payload, schema, st.img.schemas, true);
      if (code !== undefined) {
        st.hal.log(2, call.action + " response invalid: " + (why as string));
        finishOutstanding(st, undefined, false);
        return;
      }
    }
    finishOutstanding(st, payload as JsonObject, false);
  } else {
    st.hal.log(2, call.action + " answered CALLERROR");
    finishOutstanding(st, undefined, false);
  }
}

/** Entry point for one received text frame. */
export function rpcReceive(st: Station, text: string): void {
  // Left set only if a HAL call raised mid-answer (the entry guard caught it): it must not stick.
  answering = "";
  st.frameBytes = text.length;
  // Part 4 §4.2.3: a CALLERROR answers a CALL only. A response that cannot be read is dropped, and
  // the CALL it answered times out.
  const sniffed = sniffType(text);
  const response = sniffed === 3 || sniffed === 4;
  if (text.length > st.img.bounds.maxFrameBytes) {
    // B06.FR.17 and friends: an oversized message is a FormatViolation; never decode it.
    if (response) st.hal.log(2, "dropped an oversized response");
    else sendError(st, salvageId(text), "FormatViolation", "message larger than " + fmtNum(st.img.bounds.maxFrameBytes) + " bytes");
    return;
  }
  // The nesting bound is the build's deepest schema plus the frame: a value deeper than that is
  // skipped (JSON_DEEP), never valid, so the frame keeps its shape and an action outside the build is
  // still NotImplemented or NotSupported. A CSMS's null fields in its responses read as absent.
  const [msg, why] = jsonDecode(text, st.img.bounds.maxJsonDepth, sniffed === 3);
  if (msg === undefined && why !== NULL_TEXT) {
    if (response) st.hal.log(2, "dropped an unreadable response: " + (why as string));
    else sendError(st, salvageId(text), "RpcFrameworkError", "invalid JSON: " + (why as string));
    return;
  }
  if (!isArray(msg)) {
    sendError(st, "-1", "RpcFrameworkError", "message must be an array");
    return;
  }
  const m = msg as Json[];
  const kind = m[0];
  const id = m[1];
  // Part 4 §4.1.4: string[36], counted in characters.
  const idOk = type(id) === "string" && (id as string).length > 0 && utf8Chars(id as string) <= 36;
  if (kind === 3 || kind === 4) {
    // Part 4 §4.2.3: never a CALLERROR for a response; one that matches no CALL is dropped.
    if (!idOk || (kind === 3 && m.length !== 3)) st.hal.log(2, "dropped a malformed response");
    else handleResponse(st, kind, id as string, m[2]);
    return;
  }
  if (!idOk) {
    sendError(st, "-1", "RpcFrameworkError", "message id must be a string of 1 to 36 characters");
    return;
  }
  if (kind === 2) {
    const action = m[2];
    if (type(action) !== "string" || m.length !== 4) {
      sendError(st, id as string, "RpcFrameworkError", "CALL must be [2, id, action, payload]");
      return;
    }
    if (!isObject(m[3])) {
      sendError(st, id as string, "FormatViolation", "payload must be an object");
      return;
    }
    // Errata to Part 4 §4.1.4: a CALL retried after a timeout may keep its id. The same frame again
    // gets the answer again when that was kept; anything else, a reused id included, is handled.
    const kept = st.lastReply;
    if (text === st.lastCall && kept !== undefined) {
      st.hal.log(3, "answered a retried CALL " + (id as string) + " again");
      st.hal.send([kept]);
      return;
    }
    answering = text.length <= KEEP_BYTES ? text : "";
    handleCall(st, id as string, action as string, m[3] as JsonObject);
    answering = "";
  } else {
    // Part 4 §4.4: unknown message type number.
    sendError(st, id as string, "MessageTypeNotSupported", "unknown message type");
  }
}

/**
 * Entry points running (entry.ts guard): a CALL queued inside one goes when it returns, so its frame is
 * built once the handlers' tables and journal records are garbage, not on top of them (the RAM peak).
 */
let entries = 0;

/** An entry point begins (true) or returns (false: the outbox is pumped). */
function rpcEntry(st: Station, begin: boolean): void {
  entries = entries + (begin ? 1 : -1);
  if (!begin) pump(st);
}

/** Sends the next CALL of the outbox when nothing is outstanding (Part 4 §4.1.1: one CALL at a time). */
function pump(st: Station): void {
  if (entries > 0 || st.outstanding !== undefined || !st.online || st.holdSends) return;
  const call = outboxNext(st, st.hal.uptime());
  if (call === undefined) return;
  st.msgSeq = st.msgSeq + 1;
  st.outstanding = call;
  // Part 4 §4.1.4: unique across reboots: the persisted boot counter prefixes a sequence.
  st.outstandingId = fmtNum(st.bootSeq) + "-" + fmtNum(st.msgSeq);
  st.outstandingSince = st.hal.uptime();
  st.lastCallAt = st.outstandingSince;
  const head = "[2,\"" + st.outstandingId + "\",\"" + call.action + "\",";
  const p = outboxPayload(st, call);
  if (type(p) === "string") {
    st.hal.send([head, p as string, "]"]);
  } else {
    // The pieces become the frame in place: a RAM call is never sent again, so nothing is copied.
    const frame = p as string[];
    table.insert(frame, 1, head);
    frame[frame.length] = "]";
    st.hal.send(frame);
  }
}

/**
 * Queues a CALL whose payload is already JSON text (or its pieces, in order); false when it cannot
 * be kept (outbox.ts says when). opts.ref is handed back to the block's result handler.
 */
function rpcCallJson(ctx: Ctx, action: string, json: string | string[], opts?: CallOpts): boolean {
  const st = ctx as Station;
  if (!outboxAdd(st, action, json, opts)) return false;
  pump(st);
  return true;
}

/** Queues a CALL (see rpcCallJson). */
export function rpcCall(ctx: Ctx, action: string, payload: JsonObject, opts?: CallOpts): boolean {
  return rpcCallJson(ctx, action, jsonEncode(payload), opts);
}

/** How many more RAM CALLs the outbox takes. */
function rpcRoom(ctx: Ctx): number {
  return outboxRoom(ctx as Station);
}

/** Is there room for one more RAM CALL? */
export function rpcHasRoom(ctx: Ctx): boolean {
  return rpcRoom(ctx) > 0;
}

/** Removes the queued (not yet sent) RAM CALLs of an action; their block asked for it, so none is told. */
export function rpcDrop(ctx: Ctx, action: string): void {
  outboxDrop(ctx as Station, action);
}

/** Is a CALL of this action queued in RAM or outstanding? */
export function rpcPending(ctx: Ctx, action: string): boolean {
  const st = ctx as Station;
  if (st.outstanding !== undefined && st.outstanding.action === action) return true;
  return outboxHas(st, action);
}

/** Nothing outstanding and nothing queued. */
export function rpcIdle(ctx: Ctx): boolean {
  const st = ctx as Station;
  return st.outstanding === undefined && outboxCount(st) === 0;
}

/** Uptime of the last CALL sent (G02: Heartbeat counts inactivity from there). */
export function rpcLastCallAt(ctx: Ctx): number {
  return (ctx as Station).lastCallAt;
}

/** Length in bytes of the CSMS request being handled (BytesPerMessage checks, B06.FR.17). */
export function rpcRequestBytes(ctx: Ctx): number {
  return (ctx as Station).frameBytes;
}

/**
 * Runs the trigger a TriggerMessage asks for (F06): what it queues counts as asked for by the CSMS
 * (B02.FR.02). Undefined when this build does not send that message.
 */
export function rpcTrigger(ctx: Ctx, message: string, evseId: number, connectorId: number): string | undefined {
  const st = ctx as Station;
  const trigger = rawget(st.triggers, message);
  if (trigger === undefined) return undefined;
  st.triggering = true;
  const [ok, res] = pcall(trigger, st, evseId, connectorId);
  st.triggering = false;
  if (!ok) error(res, 0);
  return res as string;
}

/** Once a second: times out the outstanding CALL after OCPPCommCtrlr.MessageTimeout. */
export function rpcTick(st: Station): void {
  if (st.later !== undefined && st.hal.uptime() - st.laterSince >= modelInt(st, "OCPPCommCtrlr/MessageTimeout[Default]")) {
    st.hal.log(1, "a deferred answer never came");
    rpcAnswer(st, rpcError("InternalError", "no answer in time"));
  }
  // A persisted call may be due for its retry.
  if (st.outstanding === undefined) {
    pump(st);
    return;
  }
  const timeout = modelInt(st, "OCPPCommCtrlr/MessageTimeout[Default]");
  if (st.hal.uptime() - st.outstandingSince >= timeout) {
    st.hal.log(2, st.outstanding.action + " timed out");
    finishOutstanding(st, undefined, false);
  }
}

/** The connection dropped: the outstanding CALL is lost on the wire; its result handler learns it failed. */
export function rpcDisconnected(st: Station): void {
  // A retry of a CALL from the old connection is a new CALL on this one.
  st.lastCall = "";
  st.lastReply = undefined;
  st.out.cut = st.out.seq;
  // A deferred answer has nobody to go to any more.
  if (st.later !== undefined) {
    st.later = undefined;
    st.holdSends = false;
  }
  if (st.outstanding !== undefined) finishOutstanding(st, undefined, true);
}

export { rpcError, rpcAnswer, pump, rpcCallJson, rpcRoom, rpcEntry };
