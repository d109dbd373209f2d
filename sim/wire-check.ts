// Judges every frame a station sends the way a schema-strict CSMS would: Part 4 framing (§4.1–§4.3)
// and the payload against the official OCPP 2.0.1 JSON schemas (build/schemas, draft-06, unmodified,
// additionalProperties:false as the files say), checked by ajv, not by the firmware's own validator.
//
// A CALLRESULT can only be judged against the CALL it answers, so the CSMS side tells the checker
// about each CALL it sends (csmsCall); a CALLRESULT or CALLERROR to an id the CSMS never used is a
// violation too.

import * as fs from "node:fs";
import * as path from "node:path";

type Validator = ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/** Part 4 §4.3 (and errata): every errorCode a CALLERROR may carry. */
export const RPC_ERROR_CODES = [
  "FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented", "NotSupported",
  "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError",
  "SecurityError", "TypeConstraintViolation",
];

let shared: Map<string, Validator> | undefined;

/** One compiled validator per official schema file, by message name ("HeartbeatRequest"). */
function validators(): Map<string, Validator> {
  if (shared !== undefined) return shared;
  const Ajv = require("ajv").default as new (o: object) => {
    addMetaSchema(s: object): void;
    compile(s: object): Validator;
  };
  const addFormats = require("ajv-formats").default as (a: object) => void;
  const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
  ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json"));
  addFormats(ajv);
  const dir = path.resolve(__dirname, "..", "build", "schemas", "ocpp-2.0.1");
  const map = new Map<string, Validator>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    map.set(f.replace(/\.json$/, ""), ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))));
  }
  shared = map;
  return map;
}

/** What breaks the official schema `name` ("HeartbeatRequest") in a payload; [] when it is valid. */
export function schemaErrors(name: string, payload: unknown): string[] {
  const fn = validators().get(name);
  if (fn === undefined) return [`no official schema ${name}`];
  if (fn(payload)) return [];
  return (fn.errors ?? []).map((e) => `${name}${e.instancePath}: ${e.message ?? "invalid"}`);
}

/** Characters as JSON Schema counts them (code points), not UTF-16 units. */
function chars(s: string): number {
  return [...s].length;
}

export class WireCheck {
  /** Actions of the CALLs the CSMS sent, by message id, until the station answers them ("?": not a readable CALL). */
  private readonly calls = new Map<string, string[]>();

  /** Records a CALL the CSMS sends (its answer is judged against <action>Response). */
  csmsCall(id: string, action: string): void {
    const q = this.calls.get(id);
    if (q === undefined) this.calls.set(id, [action]);
    else q.push(action);
  }

  /**
   * Records whatever frame text the CSMS delivers. A readable CALL expects a CALLRESULT or CALLERROR;
   * anything else that carries an id a station can salvage (`[2,"id"` at the start) may get a CALLERROR.
   */
  csmsFrame(text: string): void {
    let f: unknown;
    try {
      f = JSON.parse(text);
    } catch {
      f = undefined;
    }
    if (Array.isArray(f) && f[0] === 2 && typeof f[1] === "string") {
      this.csmsCall(f[1], f.length === 4 && typeof f[2] === "string" && typeof f[3] === "object" && f[3] !== null && !Array.isArray(f[3]) ? f[2] : "?");
      return;
    }
    if (Array.isArray(f) && typeof f[1] === "string" && f[0] !== 3 && f[0] !== 4) {
      this.csmsCall(f[1], "?");
      return;
    }
    const m = /^\s*\[\s*2\s*,\s*"([^"\\]{1,36})"/.exec(text);
    if (m !== null) this.csmsCall(m[1], "?");
  }

  private answer(id: string): string | undefined {
    const q = this.calls.get(id);
    if (q === undefined) return undefined;
    const a = q.shift();
    if (q.length === 0) this.calls.delete(id);
    return a;
  }

  /** The violations of one frame the station sent (a JS string, already decoded from UTF-8); [] when it is valid. */
  stationFrame(text: string): string[] {
    let f: unknown;
    try {
      f = JSON.parse(text);
    } catch (e) {
      return [`not JSON: ${(e as Error).message}`];
    }
    if (!Array.isArray(f)) return ["frame is not a JSON array"];
    const [kind, id] = f as unknown[];
    if (typeof id !== "string" || id.length === 0 || chars(id) > 36) return [`message id must be a string of 1 to 36 characters: ${JSON.stringify(id)}`];
    if (kind === 2) {
      if (f.length !== 4) return ["CALL must be [2, id, action, payload]"];
      if (typeof f[2] !== "string") return ["CALL action must be a string"];
      return schemaErrors(`${f[2]}Request`, f[3]);
    }
    if (kind === 3) {
      if (f.length !== 3) return ["CALLRESULT must be [3, id, payload]"];
      const action = this.answer(id);
      if (action === undefined) return [`CALLRESULT to a message id the CSMS never sent (or already answered): ${id}`];
      if (action === "?") return [`CALLRESULT to a frame that was not a readable CALL: ${id}`];
      return schemaErrors(`${action}Response`, f[2]);
    }
    if (kind === 4) {
      const out: string[] = [];
      if (f.length !== 5) out.push("CALLERROR must be [4, id, errorCode, errorDescription, errorDetails]");
      // "-1": the id of a message that could not be read (Part 4 §4.2.3).
      if (id !== "-1" && this.answer(id) === undefined) out.push(`CALLERROR to a message id the CSMS never sent (or already answered): ${id}`);
      if (!RPC_ERROR_CODES.includes(f[2] as string)) out.push(`unknown errorCode ${JSON.stringify(f[2])}`);
      if (typeof f[3] !== "string" || chars(f[3]) > 255) out.push("errorDescription must be a string of at most 255 characters");
      if (typeof f[4] !== "object" || f[4] === null || Array.isArray(f[4])) out.push("errorDetails must be a JSON object");
      return out;
    }
    return [`unknown message type ${JSON.stringify(kind)}`];
  }
}
