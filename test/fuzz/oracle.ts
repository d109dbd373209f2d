// The fuzz oracle: what a correct OCPP 2.0.1 station does with one frame from the CSMS, derived
// from Part 4 §4 (with the 2025-09 errata) and the official schemas, never from the firmware.
//
// An expectation is a list of acceptable outcomes. Where the spec is precise there is one; where it
// leaves a choice, every choice it leaves is listed, and the comment says which text allows it.
//
// Error-code families (Part 4 §4.3). The spec names a code for few framing cases ("MessageId could
// not be read" → RpcFrameworkError; unknown message type → MessageTypeNotSupported, §4.4), so any
// code whose definition fits is accepted:
//   FRAME  a frame that is not a valid RPC message (invalid JSON, wrong shape): RpcFrameworkError,
//          FormatViolation ("syntactically incorrect"), ProtocolError ("not conform the PDU structure").
//   SCHEMA a payload against its schema: FormatViolation, TypeConstraintViolation,
//          OccurrenceConstraintViolation, PropertyConstraintViolation, ProtocolError. Never
//          RpcFrameworkError: the RPC request itself is fine.

import { depthOf, readJson, readPrefix } from "./json-reader";
import { OcppSchemas } from "./schemas";

export const FRAME = ["RpcFrameworkError", "FormatViolation", "ProtocolError"];
export const SCHEMA = ["FormatViolation", "TypeConstraintViolation", "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError"];

/**
 * Requests "sent by the CSMS to the Charging Station" (Part 2 §1 Messages, one sentence per message;
 * DataTransfer both ways). PublishFirmware goes to a Local Controller, not to a station.
 */
export const CSMS_TO_STATION = [
  "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile", "ClearDisplayMessage",
  "ClearVariableMonitoring", "CostUpdated", "CustomerInformation", "DataTransfer", "DeleteCertificate", "GetBaseReport",
  "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages", "GetInstalledCertificateIds", "GetLocalListVersion",
  "GetLog", "GetMonitoringReport", "GetReport", "GetTransactionStatus", "GetVariables", "InstallCertificate",
  "RequestStartTransaction", "RequestStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile",
  "SetDisplayMessage", "SetMonitoringBase", "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring",
  "SetVariables", "TriggerMessage", "UnlockConnector", "UnpublishFirmware", "UpdateFirmware",
];

export type Outcome =
  | { kind: "none" }
  | { kind: "result"; id: string }
  | { kind: "error"; ids: string[]; codes: string[] };

export interface Expectation {
  alts: Outcome[];
  /** Why, with the spec reference (shown on failure and used to group failures). */
  rule: string;
  /** A readable CALL of an action the build handles, for the checks on its CALLRESULT. */
  call?: { id: string; action: string; payload: Record<string, unknown> };
}

/** What the oracle must know about the station under test (its build and what it reports). */
export interface StationFacts {
  /** Actions the build's blocks handle (block.json "handles"). */
  handled: ReadonlySet<string>;
  /** The build's frame bound (bounds.maxFrameBytes): a station's buffer, not a spec value. */
  maxFrameBytes: number;
  /** DeviceDataCtrlr.ItemsPerMessage / BytesPerMessage by instance, as the station reports them. */
  itemsPerMessage: Partial<Record<string, number>>;
  bytesPerMessage: Partial<Record<string, number>>;
}

const none = (): Outcome => ({ kind: "none" });
const result = (id: string): Outcome => ({ kind: "result", id });
const error = (ids: string[], codes: string[]): Outcome => ({ kind: "error", ids, codes });

/** Characters as the spec counts them (string[36], maxLength): code points, not bytes or UTF-16 units. */
export function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const validId = (v: unknown): v is string => typeof v === "string" && chars(v) >= 1 && chars(v) <= 36;

/** A number OCPP does not define: integers are 32-bit, decimals have at most 6 places (Part 2 §2.1.4). */
function exoticNumbers(v: unknown): boolean {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return true;
    if (Number.isInteger(v)) return Math.abs(v) > 2147483647;
    const t = String(v);
    return t.includes("e") || t.split(".")[1].length > 6;
  }
  if (v !== null && typeof v === "object") return Object.values(v).some(exoticNumbers);
  return false;
}

export class Oracle {
  private readonly deepestRequest: number;
  private readonly known: Set<string>;
  private readonly csmsActions = new Set(CSMS_TO_STATION);

  constructor(
    private readonly schemas: OcppSchemas,
    private readonly facts: StationFacts,
  ) {
    this.known = new Set(schemas.actions());
    this.deepestRequest = Math.max(...CSMS_TO_STATION.map((a) => schemas.depth(`${a}Request`)));
  }

  /** The expectation for one frame (its bytes as sent on the WebSocket). */
  expect(bytes: Buffer): Expectation {
    // RFC 8259 §8.1: a byte order mark MUST NOT be sent, a parser MAY ignore it: either reading.
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      return this.either(this.expectText(bytes.subarray(3)), this.unreadable(bytes), "byte order mark: RFC 8259 §8.1 lets the reader ignore it or not");
    }
    return this.expectText(bytes);
  }

  private expectText(bytes: Buffer): Expectation {
    const reading = readJson(bytes);
    let exp: Expectation;
    if (!reading.ok) exp = this.unreadable(bytes);
    else {
      exp = this.readable(reading.value, bytes.length, reading.duplicateKey);
      // RFC 8259 §8.2: strings with lone surrogates are valid grammar with unpredictable behaviour;
      // §4: so are duplicate names ("Other implementations report an error or fail to parse").
      if (reading.loneSurrogate) exp = this.either(exp, this.unreadable(bytes), "lone surrogate escape: RFC 8259 §8.2 leaves it to the reader");
      else if (reading.duplicateKey) exp = this.either(exp, this.unreadable(bytes), "duplicate names: RFC 8259 §4 leaves it to the reader");
    }
    if (bytes.length > this.facts.maxFrameBytes && !exp.alts.every((a) => a.kind === "none")) {
      // Larger than the station's buffer (a build bound; B06.FR.17 and B08.FR.18 allow FormatViolation
      // for their BytesPerMessage). Not decoded, so the id may be unreadable (Part 4 §4.2.3: "-1").
      const p = readPrefix(bytes);
      const ids = validId(p.id) ? [p.id, "-1"] : ["-1"];
      exp = { ...exp, alts: [...exp.alts, error(ids, FRAME)], rule: `${exp.rule}; or, larger than maxFrameBytes ${this.facts.maxFrameBytes}, a FRAME error` };
    }
    return exp;
  }

  private either(a: Expectation, b: Expectation, why: string): Expectation {
    return { alts: [...a.alts, ...b.alts], rule: `${why}: ${a.rule} | ${b.rule}`, call: a.call };
  }

  /** Not JSON or not UTF-8 (Part 4 §4.1.2). */
  private unreadable(bytes: Buffer): Expectation {
    const p = readPrefix(bytes);
    // Part 4 §4.2.3: CALLERROR answers a CALL only; a response (type 3 or 4) that cannot be read is dropped.
    const response = { alts: [none()], rule: "unreadable response: dropped, never answered (Part 4 §4.2.3)" };
    if ((p.type === 3 || p.type === 4) && p.typeCut !== true) return response;
    // Part 4 §4.1.7: an invalid message SHALL get a CALLERROR; §4.2.3: "-1" when the id cannot be
    // read. Whether an id in the readable start of a broken frame counts as read is the reader's
    // choice: either that id or "-1", never anything else (an action name, a number).
    const ids = validId(p.id) ? [p.id, "-1"] : ["-1"];
    const codes = p.type !== undefined && p.type !== 2 ? [...FRAME, "MessageTypeNotSupported"] : FRAME;
    const exp: Expectation = { alts: [error(ids, codes)], rule: `not JSON: one CALLERROR with id ${ids.join(" or ")} (Part 4 §4.1.7, §4.2.3)` };
    // "[3" cut off after the digit: a response to drop, or the start of a type 30 to refuse.
    return p.typeCut === true && (p.type === 3 || p.type === 4) ? this.either(response, exp, "message type cut off after its first digits") : exp;
  }

  private readable(v: unknown, size: number, duplicateKey: boolean): Expectation {
    const exp = this.byShape(v, size, duplicateKey);
    if (exp.alts.every((a) => a.kind === "none") || depthOf(v) <= this.deepestRequest + 1) return exp;
    // Nested deeper than any valid CALL without customData extensions (the frame's array adds one):
    // a nesting bound may refuse it undecoded, with "-1" as for an unreadable id.
    const id = Array.isArray(v) && validId(v[1]) ? [v[1], "-1"] : ["-1"];
    return { ...exp, alts: [...exp.alts, error(id, FRAME)], rule: `${exp.rule}; or, nested deeper than any CALL, a FRAME error` };
  }

  private byShape(v: unknown, size: number, duplicateKey: boolean): Expectation {
    if (!Array.isArray(v)) return { alts: [error(["-1"], FRAME)], rule: "JSON but not an array: one CALLERROR with id -1 (Part 4 §4.1.7, §4.2.3)" };
    // Part 4 §4.2.3: a CALLRESULT or CALLERROR is never answered, whatever its id or shape.
    if (v[0] === 3 || v[0] === 4) return { alts: [none()], rule: "a response: never answered (Part 4 §4.2.3)" };
    const id = v[1];
    if (v[0] !== 2) {
      // §4.4: an unknown message type gets MessageTypeNotSupported (with the id when it can be read).
      if (!validId(id)) return { alts: [error(["-1"], [...FRAME, "MessageTypeNotSupported"])], rule: "unknown message type, no readable id: CALLERROR -1 (Part 4 §4.2.3, §4.4)" };
      if (typeof v[0] === "number") return { alts: [error([id], ["MessageTypeNotSupported"])], rule: "unknown message type number: MessageTypeNotSupported with the id (Part 4 §4.4)" };
      return { alts: [error([id], ["MessageTypeNotSupported", ...FRAME])], rule: "message type is not a number: MessageTypeNotSupported or a FRAME error, with the id (Part 4 §4.1.3, §4.4)" };
    }
    // Table 4: messageId is string[36], counted in characters.
    if (!validId(id)) return { alts: [error(["-1"], FRAME)], rule: "CALL without a string id of 1..36 characters: CALLERROR -1 (Part 4 §4.1.4, §4.2.3)" };
    const action = v[2];
    if (v.length !== 4 || typeof action !== "string") return { alts: [error([id], FRAME)], rule: "CALL is not [2, id, action, payload]: FRAME error with the id (Part 4 §4.2.1)" };
    const payload = v[3];
    if (payload === null) {
      // §4.1.5: "If there is no payload JSON allows for two different notations: null or ... {}";
      // {} is only good practice, so null may be read as {} or refused.
      const asEmpty = this.call(id, action, {}, size, duplicateKey);
      return this.either(asEmpty, { alts: [error([id], [...FRAME, "TypeConstraintViolation"])], rule: "or refused" }, "null payload (Part 4 §4.1.5)");
    }
    if (typeof payload !== "object" || Array.isArray(payload)) {
      const byAction = this.actionError(action);
      return {
        alts: [error([id], [...new Set([...FRAME, ...SCHEMA, ...(byAction ?? [])])])],
        rule: "CALL payload is not an object: a FRAME or SCHEMA error (or the action's own refusal) with the id (Part 4 §4.1.5)",
      };
    }
    return this.call(id, action, payload as Record<string, unknown>, size, duplicateKey);
  }

  /** The CALLERROR codes for an action the build does not handle; undefined when it handles it. */
  private actionError(action: string): string[] | undefined {
    if (this.facts.handled.has(action)) return undefined;
    // §4.3 NotSupported: "recognized but not supported"; a CSMS-to-station action outside the build.
    if (this.csmsActions.has(action)) return ["NotSupported"];
    // A station-to-CSMS action sent to the station: "recognized but not supported" or "not known" both fit.
    if (this.known.has(action)) return ["NotSupported", "NotImplemented"];
    // §4.3 NotImplemented: "Requested Action is not known by receiver".
    return ["NotImplemented"];
  }

  /** A readable CALL: [2, id, action, {payload}]. */
  private call(id: string, action: string, payload: Record<string, unknown>, size: number, duplicateKey: boolean): Expectation {
    const byAction = this.actionError(action);
    const depth = depthOf(payload);
    let exp: Expectation;
    let bound: number;
    if (byAction !== undefined) {
      // Answered by the action alone, however the payload looks (Part 4 §4.1.7: "Action is a known Action" first).
      exp = { alts: [error([id], byAction)], rule: `action ${JSON.stringify(action)} not in this build: ${byAction.join(" or ")} with the id (Part 4 §4.3)` };
      bound = this.known.has(action) ? this.schemas.depth(`${action}Request`) : this.deepestRequest;
    } else {
      bound = this.schemas.depth(`${action}Request`);
      if (this.schemas.valid(`${action}Request`, payload)) {
        exp = { alts: [result(id)], rule: `valid ${action}: a CALLRESULT with the id (Part 4 §4.2.2)`, call: { id, action, payload } };
        this.limits(exp, action, payload, size);
      } else {
        // Part 4 §4.1.2 "the right to reject messages which are not conform the JSON schemas", §4.1.7
        // "SHALL respond with a CALLERROR": this station validates, so every violation is refused.
        exp = { alts: [error([id], SCHEMA)], rule: `${action} payload against its schema: a SCHEMA error with the id (Part 4 §4.1.7, §4.3)` };
      }
      if (duplicateKey || exoticNumbers(payload)) {
        // RFC 8259 §4 (duplicate names) and Part 2 §2.1.4 (32-bit integers, 6 decimals) leave the reading open.
        exp = { ...exp, alts: [...exp.alts, result(id), error([id], SCHEMA)], rule: `${exp.rule}; duplicate names or numbers OCPP does not define: any CALLRESULT or SCHEMA error` };
      }
    }
    if (depth > bound) {
      // Deeper than the schema allows (only customData extensions, Part 4 §9, can be valid there): a
      // station's nesting bound may refuse it undecoded, so with "-1" as for an unreadable id.
      exp = { ...exp, alts: [...exp.alts, error([id, "-1"], FRAME)], rule: `${exp.rule}; or, nested ${depth} > ${bound} (deepest ${action}Request), a FRAME error` };
    }
    return exp;
  }

  /** B06.FR.16/17, B08.FR.17/18 (and, by B05.FR.11, SetVariables): over the reported limits a CALLERROR MAY answer. */
  private limits(exp: Expectation, action: string, payload: Record<string, unknown>, size: number): void {
    const list = { GetVariables: "getVariableData", SetVariables: "setVariableData", GetReport: "componentVariable" }[action];
    if (list === undefined) return;
    const items = this.facts.itemsPerMessage[action];
    const n = Array.isArray(payload[list]) ? (payload[list] as unknown[]).length : 0;
    if (items !== undefined && n > items) {
      exp.alts.push(error([exp.call!.id], ["OccurrenceConstraintViolation"]));
      exp.rule += `; ${n} items > ItemsPerMessage ${items}: OccurrenceConstraintViolation allowed (B06.FR.16, B08.FR.17)`;
    }
    const bytes = this.facts.bytesPerMessage[action];
    if (bytes !== undefined && size > bytes) {
      exp.alts.push(error([exp.call!.id], ["FormatViolation"]));
      exp.rule += `; ${size} bytes > BytesPerMessage ${bytes}: FormatViolation allowed (B06.FR.17, B08.FR.18)`;
    }
  }
}

/** The replies (type 3 and 4 frames) the station sent for one frame, judged; undefined when they fit. */
export function judge(exp: Expectation, replies: unknown[][]): string | undefined {
  const fits = (o: Outcome) => {
    if (o.kind === "none") return replies.length === 0;
    if (replies.length !== 1) return false;
    const r = replies[0];
    if (o.kind === "result") return r[0] === 3 && r[1] === o.id;
    return r[0] === 4 && o.ids.includes(r[1] as string) && o.codes.includes(r[2] as string);
  };
  return exp.alts.some(fits) ? undefined : `expected ${describe(exp.alts)}`;
}

export function describe(alts: Outcome[]): string {
  return alts
    .map((o) => (o.kind === "none" ? "no reply" : o.kind === "result" ? `CALLRESULT ${JSON.stringify(o.id)}` : `CALLERROR ${o.ids.map((i) => JSON.stringify(i)).join("|")} ${o.codes.join("|")}`))
    .join(" or ");
}

type Obj = Record<string, unknown>;
const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

/** Checks of a CALLRESULT beyond its schema (wire-check judges that): one result per requested item. */
export function checkResult(call: NonNullable<Expectation["call"]>, payload: unknown): string | undefined {
  const p = payload as Obj;
  const pairs = (items: Obj[]) => items.map((x) => `${lower((x.component as Obj)?.name)}/${lower((x.variable as Obj)?.name)}`).sort();
  if (call.action === "GetVariables" || call.action === "SetVariables") {
    const [req, res] = call.action === "GetVariables" ? ["getVariableData", "getVariableResult"] : ["setVariableData", "setVariableResult"];
    const asked = call.payload[req] as Obj[];
    const got = p[res] as Obj[];
    // B06.FR.01 / B05.FR.01: as many results as requested items; B06.FR.02 / B05.FR.02: the same component/variable pairs.
    if (got.length !== asked.length) return `${got.length} results for ${asked.length} items (B05.FR.01, B06.FR.01)`;
    if (pairs(got).join("\n") !== pairs(asked).join("\n")) return `results name other component/variable pairs than requested (B05.FR.02, B06.FR.02)`;
  }
  return undefined;
}
