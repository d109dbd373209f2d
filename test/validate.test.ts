// Payload validation: generated compact schemas + firmware/validate.ts, as fixtures and against ajv.

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSchemas, generateSchemaModule } from "../build/gen-schemas";
import { jsonDecode } from "../firmware/json";
import { Schema, validate } from "../firmware/validate";

const ROOT = path.resolve(__dirname, "..");
// The copy kept in the repository, else the shared reference copy.
const SCHEMA_DIR = [path.join(ROOT, "build", "schemas", "ocpp-2.0.1"), "/work/shared/ocpp-spec/2.0.1/schemas"].find((d) =>
  fs.existsSync(path.join(d, "BootNotificationRequest.json")),
) as string;
const ALL = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
const TYPICAL = [
  "BootNotificationResponse", "GetVariablesRequest", "SetVariablesRequest", "GetBaseReportRequest",
  "GetReportRequest", "TriggerMessageRequest", "HeartbeatResponse", "StatusNotificationResponse",
];

type Schemas = { [name: string]: Schema };

/** Writes the generated module where a build would (build/gen/ is not committed) and loads it. */
async function loadSchemas(dirName: string, names: string[]): Promise<Schemas> {
  const dir = path.join(ROOT, "build", "gen", dirName);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "schemas.ts");
  fs.writeFileSync(file, generateSchemaModule(names, SCHEMA_DIR));
  return ((await import(file)) as { SCHEMAS: Schemas }).SCHEMAS;
}

/** JSON text (JS string) -> the firmware's value model; Lua strings are UTF-8 bytes, one JS char each. */
function decode(text: string): unknown {
  const [v, why] = jsonDecode(Buffer.from(text, "utf8").toString("latin1"), 16, false) as unknown as [unknown, string | undefined];
  if (why !== undefined) throw new Error(`fixture JSON does not decode: ${why}`);
  return v;
}

function check(schemas: Schemas, message: string, value: unknown): [string | undefined, string | undefined] {
  const schema = schemas[message];
  if (schema === undefined) throw new Error(`${message} not generated`);
  return validate(value, schema, schemas) as unknown as [string | undefined, string | undefined];
}

const OCC = "OccurrenceConstraintViolation";
const TYPE = "TypeConstraintViolation";
const PROP = "PropertyConstraintViolation";
const FMT = "FormatViolation";

const CS = `"chargingStation":{"model":"M1","vendorName":"V"}`;
const VAR = (name: string) => `{"component":{"name":"${name}"},"variable":{"name":"HeartbeatInterval"}}`;
const TIME = (t: string) => `{"currentTime":"${t}","interval":300,"status":"Accepted"}`;

// name | message | payload JSON | expected code (undefined: valid) | expected description (optional)
const CASES: [string, string, string, string | undefined, string?][] = [
  ["boot request minimal", "BootNotificationRequest", `{"reason":"PowerUp",${CS}}`, undefined],
  ["boot request full", "BootNotificationRequest", `{"reason":"Watchdog","chargingStation":{"model":"M1","vendorName":"V","serialNumber":"S1","firmwareVersion":"1.0","modem":{"iccid":"1","imsi":"2"}}}`, undefined],
  ["customData with vendor fields", "BootNotificationRequest", `{"reason":"PowerUp","customData":{"vendorId":"acme","x":1,"deep":{"a":[1,"b"]}},"chargingStation":{"model":"M","vendorName":"V","customData":{"vendorId":"v","y":true}}}`, undefined],
  ["customData without vendorId", "BootNotificationRequest", `{"reason":"PowerUp",${CS},"customData":{"x":1}}`, OCC, "customData.vendorId: required property missing"],
  ["customData not an object", "BootNotificationRequest", `{"reason":"PowerUp",${CS},"customData":"acme"}`, TYPE, "customData: expected object"],
  ["missing required", "BootNotificationRequest", `{${CS}}`, OCC, "reason: required property missing"],
  ["missing nested required", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"vendorName":"V"}}`, OCC, "chargingStation.model: required property missing"],
  ["additional property", "BootNotificationRequest", `{"reason":"PowerUp",${CS},"foo":1}`, PROP, "foo: property not in schema"],
  ["nested name at top level", "BootNotificationRequest", `{"reason":"PowerUp",${CS},"model":"M"}`, PROP, "model: property not in schema"],
  ["tail of a property name", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V","Name":"x"}}`, PROP, "chargingStation.Name: property not in schema"],
  ["key with grammar punctuation", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V","model=20$":"x"}}`, PROP],
  ["enum miss", "BootNotificationRequest", `{"reason":"Boot",${CS}}`, PROP, "reason: value not allowed"],
  ["enum substring of a value", "BootNotificationRequest", `{"reason":"Reset",${CS}}`, PROP],
  ["enum prefix of a value", "BootNotificationRequest", `{"reason":"Power",${CS}}`, PROP],
  ["enum spanning two values", "BootNotificationRequest", `{"reason":"PowerUp|RemoteReset",${CS}}`, PROP],
  ["enum last value", "BootNotificationRequest", `{"reason":"Watchdog",${CS}}`, undefined],
  ["enum wrong type", "BootNotificationRequest", `{"reason":1,${CS}}`, TYPE, "reason: expected string"],
  ["object expected, array given", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":[]}`, TYPE, "chargingStation: expected object"],
  ["object expected, string given", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":"x"}`, TYPE],
  ["string expected, number given", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V","modem":{"iccid":12}}}`, TYPE, "chargingStation.modem.iccid: expected string"],
  ["string expected, boolean given", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":true,"vendorName":"V"}}`, TYPE],
  ["maxLength exact", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"${"m".repeat(20)}","vendorName":"V"}}`, undefined],
  ["maxLength exceeded", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"${"m".repeat(21)}","vendorName":"V"}}`, FMT, "chargingStation.model: too long (max 20 characters)"],
  ["maxLength counts 2-byte characters", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"${"é".repeat(20)}","vendorName":"V"}}`, undefined],
  ["maxLength counts 4-byte characters", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"${"😀".repeat(20)}","vendorName":"V"}}`, undefined],
  ["maxLength exceeded in characters", "BootNotificationRequest", `{"reason":"PowerUp","chargingStation":{"model":"${"€".repeat(21)}","vendorName":"V"}}`, FMT],
  ["payload is an array", "BootNotificationRequest", `[]`, FMT, "payload: not a JSON object"],
  ["payload is a string", "BootNotificationRequest", `"PowerUp"`, FMT],
  ["long key description capped", "BootNotificationRequest", `{"reason":"PowerUp",${CS},"${"é".repeat(200)}":1}`, PROP],

  ["boot response", "BootNotificationResponse", TIME("2026-11-24T01:47:00Z"), undefined],
  ["date-time fraction", "BootNotificationResponse", TIME("2026-11-24T01:47:00.123Z"), undefined],
  ["date-time offset", "BootNotificationResponse", TIME("2026-11-24T01:47:00+01:00"), undefined],
  ["date-time negative offset, fraction", "BootNotificationResponse", TIME("2026-11-24T01:47:00.5-05:30"), undefined],
  ["date-time leap day", "BootNotificationResponse", TIME("2024-02-29T00:00:00Z"), undefined],
  ["date-time 2000 leap day", "BootNotificationResponse", TIME("2000-02-29T23:59:59Z"), undefined],
  ["date-time 2100 not leap", "BootNotificationResponse", TIME("2100-02-29T00:00:00Z"), PROP],
  ["date-time beyond 32-bit epoch seconds", "BootNotificationResponse", TIME("9999-12-31T23:59:59-23:59"), undefined],
  ["date-time year 1", "BootNotificationResponse", TIME("0001-01-01T00:00:00Z"), undefined],
  ["date-time space for T", "BootNotificationResponse", TIME("2026-11-24 01:47:00Z"), PROP],
  ["date-time lower-case t and z", "BootNotificationResponse", TIME("2026-11-24t01:47:00z"), undefined],
  ["date-time no zone", "BootNotificationResponse", TIME("2026-11-24T01:47:00"), PROP, "currentTime: not an RFC 3339 date-time"],
  ["date-time date only", "BootNotificationResponse", TIME("2026-11-24"), PROP],
  ["date-time month 13", "BootNotificationResponse", TIME("2026-13-24T01:47:00Z"), PROP],
  ["date-time April 31", "BootNotificationResponse", TIME("2026-04-31T01:47:00Z"), PROP],
  ["date-time hour 24", "BootNotificationResponse", TIME("2026-11-24T24:00:00Z"), PROP],
  ["date-time empty fraction", "BootNotificationResponse", TIME("2026-11-24T01:47:00.Z"), PROP],
  ["date-time offset without colon", "BootNotificationResponse", TIME("2026-11-24T01:47:00+0100"), PROP],
  ["date-time trailing junk", "BootNotificationResponse", TIME("2026-11-24T01:47:00Zx"), PROP],
  ["date-time wrong type", "BootNotificationResponse", `{"currentTime":1700000000,"interval":300,"status":"Accepted"}`, TYPE],
  ["integer written 5.0", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":5.0,"status":"Accepted"}`, undefined],
  ["integer with exponent", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":3e2,"status":"Accepted"}`, undefined],
  ["integer with a fraction", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":5.5,"status":"Accepted"}`, TYPE, "interval: expected integer"],
  ["integer as string", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":"300","status":"Accepted"}`, TYPE],
  ["integer as boolean", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":true,"status":"Accepted"}`, TYPE],
  ["nested optional object", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":300,"status":"Rejected","statusInfo":{"reasonCode":"x","additionalInfo":"y"}}`, undefined],
  ["nested optional object too long", "BootNotificationResponse", `{"currentTime":"2026-11-24T01:47:00Z","interval":300,"status":"Rejected","statusInfo":{"reasonCode":"${"r".repeat(21)}"}}`, FMT, "statusInfo.reasonCode: too long (max 20 characters)"],

  ["get variables", "GetVariablesRequest", `{"getVariableData":[${VAR("OCPPCommCtrlr")},{"component":{"name":"EVSE","instance":"a","evse":{"id":1,"connectorId":1}},"variable":{"name":"Power","instance":"x"},"attributeType":"Target"}]}`, undefined],
  ["minItems: empty array", "GetVariablesRequest", `{"getVariableData":[]}`, OCC, "getVariableData: fewer than 1 items"],
  ["array expected, object given", "GetVariablesRequest", `{"getVariableData":${VAR("A")}}`, TYPE, "getVariableData: expected array"],
  ["deep path", "GetVariablesRequest", `{"getVariableData":[${VAR("A")},${VAR("B")},${VAR("C".repeat(51))}]}`, FMT, "getVariableData[2].component.name: too long (max 50 characters)"],
  ["deep integer", "GetVariablesRequest", `{"getVariableData":[{"component":{"name":"EVSE","evse":{"id":1.5}},"variable":{"name":"P"}}]}`, TYPE, "getVariableData[0].component.evse.id: expected integer"],
  ["array item missing required", "GetVariablesRequest", `{"getVariableData":[{"component":{"name":"EVSE"}}]}`, OCC, "getVariableData[0].variable: required property missing"],
  ["array item of wrong type", "GetVariablesRequest", `{"getVariableData":["EVSE"]}`, TYPE, "getVariableData[0]: expected object"],
  ["array item enum miss", "GetVariablesRequest", `{"getVariableData":[{"component":{"name":"E"},"variable":{"name":"P"},"attributeType":"actual"}]}`, PROP, "getVariableData[0].attributeType: value not allowed"],
  ["maxItems", "GetReportRequest", `{"requestId":1,"componentCriteria":["Active","Available","Enabled","Problem","Active"]}`, OCC, "componentCriteria: more than 4 items"],
  ["array of enums", "GetReportRequest", `{"requestId":1,"componentCriteria":["Active","Problem"]}`, undefined],
  ["array of enums miss", "GetReportRequest", `{"requestId":1,"componentCriteria":["Active","Broken"]}`, PROP, "componentCriteria[1]: value not allowed"],
  ["array of integers", "ClearVariableMonitoringRequest", `{"id":[1,2,3]}`, undefined],
  ["array of integers, float item", "ClearVariableMonitoringRequest", `{"id":[1,2.5]}`, TYPE, "id[1]: expected integer"],
  ["maximum", "NotifyEVChargingNeedsRequest", `{"evseId":1,"chargingNeeds":{"requestedEnergyTransfer":"DC","dcChargingParameters":{"evMaxCurrent":1,"evMaxVoltage":1,"stateOfCharge":101}}}`, PROP, "chargingNeeds.dcChargingParameters.stateOfCharge: above maximum 100"],
  ["minimum", "NotifyEVChargingNeedsRequest", `{"evseId":1,"chargingNeeds":{"requestedEnergyTransfer":"DC","dcChargingParameters":{"evMaxCurrent":1,"evMaxVoltage":1,"bulkSoC":-1}}}`, PROP, "chargingNeeds.dcChargingParameters.bulkSoC: below minimum 0"],
  ["bounds inclusive", "NotifyEVChargingNeedsRequest", `{"evseId":1,"chargingNeeds":{"requestedEnergyTransfer":"DC","dcChargingParameters":{"evMaxCurrent":1,"evMaxVoltage":1,"stateOfCharge":100,"bulkSoC":0}}}`, undefined],
  ["boolean", "NotifyReportRequest", `{"requestId":1,"generatedAt":"2026-11-24T01:47:00Z","seqNo":0,"tbc":true}`, undefined],
  ["boolean expected", "NotifyReportRequest", `{"requestId":1,"generatedAt":"2026-11-24T01:47:00Z","seqNo":0,"tbc":"false"}`, TYPE, "tbc: expected boolean"],
  ["any value", "DataTransferRequest", `{"vendorId":"acme","data":{"anything":[1,{"x":null}]}}`, undefined],
  ["empty response", "StatusNotificationResponse", `{}`, undefined],
  ["empty response with extra", "StatusNotificationResponse", `{"x":1}`, PROP],
];

describe("payload validation fixtures", () => {
  let schemas: Schemas;
  beforeAll(async () => {
    schemas = await loadSchemas("test-schemas", [...new Set(CASES.map((c) => c[1]))]);
  });

  it.each(CASES)("%s", (_name, message, text, code, description) => {
    const [gotCode, gotWhy] = check(schemas, message, decode(text));
    expect(gotCode).toBe(code);
    if (code === undefined) expect(gotWhy).toBeUndefined();
    else {
      expect(typeof gotWhy).toBe("string");
      expect((gotWhy as string).length).toBeLessThanOrEqual(255);
      // Cut at a character boundary: the bytes are still valid UTF-8.
      expect(Buffer.from(gotWhy as string, "latin1").toString("utf8")).not.toContain("\ufffd");
      if (description !== undefined) expect(gotWhy).toBe(description);
    }
  });
});

describe("generated schema module", () => {
  it("is small: sizes for all 128 schemas and for a typical core set", () => {
    const measure = (names: string[]) => {
      const c = compileSchemas(names, SCHEMA_DIR);
      const strings = c.defs.length + Object.values(c.schemas).reduce((n, s) => n + s.length, 0);
      return { source: generateSchemaModule(names, SCHEMA_DIR).length, strings, defs: c.defs.length };
    };
    const json = ALL.reduce((n, name) => n + fs.statSync(path.join(SCHEMA_DIR, name + ".json")).size, 0);
    const all = measure(ALL);
    const typical = measure(TYPICAL);
    console.log(`schemas: ${ALL.length} JSON files ${json} B -> module ${all.source} B (string data ${all.strings} B, shared ${all.defs} B)`);
    console.log(`schemas: typical ${TYPICAL.join("+")} -> module ${typical.source} B (string data ${typical.strings} B, shared ${typical.defs} B)`);
    expect(ALL.length).toBe(128);
    expect(all.source).toBeLessThan(json / 15);
    expect(typical.source).toBeLessThan(2000);
  });

  it("emits only the messages asked for, and shares definitions", () => {
    const c = compileSchemas(["BootNotificationRequest", "GetVariablesRequest"], SCHEMA_DIR);
    expect(Object.keys(c.schemas)).toEqual(["BootNotificationRequest", "GetVariablesRequest"]);
    expect(c.defs.startsWith("{*vendorId=255$}")).toBe(true);
    // ComponentType and VariableType both have a "name=50$instance:50$" body; each is written once.
    expect(c.defs.split("name=50$instance:50$").length - 1).toBe(2);
    expect(c.schemas.BootNotificationRequest).toMatch(/^\{\+chargingStation=\d+@reason=<ApplicationReset\|.*\|Watchdog>\}$/);
  });

  it("rejects an unknown message", () => {
    expect(() => compileSchemas(["NoSuchRequest"], SCHEMA_DIR)).toThrow(/no schema/);
  });
});

// ---- cross-check against ajv on payloads derived from every schema ----

type JS = { [k: string]: unknown };
const DATE = "2026-11-24T01:47:00Z";

interface Mutation {
  payload: unknown;
  code: string | undefined;
  path: string;
  what: string;
}

/** Builds payloads from a JSON schema: minimal (required only) or full (every property). */
class Sampler {
  constructor(private readonly root: JS, private readonly full: boolean) {}

  resolve(s: JS): JS {
    const ref = s.$ref as string | undefined;
    return ref === undefined ? s : ((this.root.definitions as JS)[ref.replace("#/definitions/", "")] as JS);
  }

  value(schema: JS): unknown {
    const s = this.resolve(schema);
    if (s.enum !== undefined) return (s.enum as string[])[0];
    switch (s.type) {
      case "string":
        return s.format === "date-time" ? DATE : "x";
      case "integer": {
        const n = Math.max(1, (s.minimum as number | undefined) ?? 1);
        return s.maximum === undefined ? n : Math.min(n, s.maximum as number);
      }
      case "number":
        return 1.5;
      case "boolean":
        return true;
      case "array": {
        const n = Math.max(1, (s.minItems as number | undefined) ?? 1);
        return Array.from({ length: n }, () => this.value(s.items as JS));
      }
      case "object": {
        const o: JS = {};
        const required = (s.required ?? []) as string[];
        for (const [k, sub] of Object.entries(s.properties as JS)) {
          if (!this.full && !required.includes(k)) continue;
          o[k] = k === "customData" ? { vendorId: "v", vendorExtra: [1, { a: "b" }] } : this.value(sub as JS);
        }
        return o;
      }
      default:
        return { any: [1, "x"] };
    }
  }

  /** One mutation per way each field of a (full) payload can break, with the code expected. */
  mutations(schema: JS, value: unknown, path: string, out: Mutation[], set: (v: unknown) => unknown): void {
    const s = this.resolve(schema);
    const add = (v: unknown, code: string | undefined, what: string, p = path) => out.push({ payload: set(v), code, path: p, what });
    if (s.enum !== undefined) {
      add("NoSuchValue", PROP, "enum miss");
      add(7, TYPE, "enum as number");
      return;
    }
    switch (s.type) {
      case "string":
        add(7, TYPE, "string as number");
        if (s.format === "date-time") add("24/11/2026", PROP, "bad date-time");
        if (s.maxLength !== undefined) {
          add("é".repeat(s.maxLength as number), undefined, "maxLength in 2-byte characters");
          add("x".repeat((s.maxLength as number) + 1), FMT, "too long");
        }
        return;
      case "integer":
      case "number":
        add("1", TYPE, "number as string");
        if (s.type === "integer") add(1.5, TYPE, "integer with fraction");
        if (s.minimum !== undefined) add((s.minimum as number) - 1, PROP, "below minimum");
        if (s.maximum !== undefined) add((s.maximum as number) + 1, PROP, "above maximum");
        return;
      case "boolean":
        add("true", TYPE, "boolean as string");
        return;
      case "array": {
        add({}, TYPE, "array as object");
        const a = value as unknown[];
        if (s.minItems !== undefined) add([], OCC, "below minItems");
        if (s.maxItems !== undefined) add(Array.from({ length: (s.maxItems as number) + 1 }, () => a[0]), OCC, "above maxItems");
        this.mutations(s.items as JS, a[0], `${path}[0]`, out, (v) => set([v, ...a.slice(1)]));
        return;
      }
      case "object": {
        add([], TYPE, "object as array");
        const o = value as JS;
        const open = s.additionalProperties !== false;
        const at = (k: string) => (path === "" ? k : `${path}.${k}`);
        add({ ...o, unexpectedProp: 1 }, open ? undefined : PROP, "additional property", at("unexpectedProp"));
        for (const [k, sub] of Object.entries(s.properties as JS)) {
          if (!(k in o)) continue;
          const { [k]: _drop, ...rest } = o;
          add(rest, ((s.required ?? []) as string[]).includes(k) ? OCC : undefined, `remove ${k}`, at(k));
          this.mutations(sub as JS, o[k], at(k), out, (v) => set({ ...o, [k]: v }));
        }
        return;
      }
      default:
        return; // any value: nothing to break
    }
  }
}

describe("cross-check against ajv", () => {
  let schemas: Schemas;
  let ajv: { getSchema(id: string): ((v: unknown) => boolean) | undefined };
  const docs = new Map<string, JS>();

  beforeAll(async () => {
    schemas = await loadSchemas("test-schemas-all", ALL);
    const require = createRequire(__filename);
    const Ajv = require("ajv").default as new (o: object) => {
      addMetaSchema(s: object): void;
      addSchema(s: object, key: string): void;
      getSchema(id: string): ((v: unknown) => boolean) | undefined;
    };
    const addFormats = require("ajv-formats").default as (a: object) => void;
    const a = new Ajv({ strict: false, allErrors: false });
    a.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json"));
    addFormats(a);
    for (const name of ALL) {
      const doc = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, name + ".json"), "utf8")) as JS;
      docs.set(name, doc);
      a.addSchema(doc, name);
    }
    ajv = a;
  });

  const run = (message: string, payload: unknown) => {
    const ajvOk = (ajv.getSchema(message) as (v: unknown) => boolean)(payload);
    const [code, why] = check(schemas, message, decode(JSON.stringify(payload)));
    return { ajvOk, code, why };
  };

  it.each(ALL)("%s: minimal and full payloads valid, every single-field break caught", (message) => {
    const doc = docs.get(message) as JS;
    for (const full of [false, true]) {
      const sampler = new Sampler(doc, full);
      const payload = sampler.value(doc);
      const r = run(message, payload);
      expect({ full, ...r }).toEqual({ full, ajvOk: true, code: undefined, why: undefined });
      if (!full) continue;
      const muts: Mutation[] = [];
      sampler.mutations(doc, payload, "", muts, (v) => v);
      expect(muts.length).toBeGreaterThan(0);
      for (const m of muts) {
        const got = run(message, m.payload);
        const label = `${m.what} at ${m.path || "payload"}`;
        // A non-object payload is a FormatViolation whatever the root schema says.
        const want = m.path === "" && m.code === TYPE ? FMT : m.code;
        expect({ label, ajvOk: got.ajvOk, code: got.code }).toEqual({ label, ajvOk: want === undefined, code: want });
        if (want !== undefined && m.path !== "") expect(got.why?.startsWith(m.path + ":"), `${label}: ${got.why}`).toBe(true);
      }
    }
  });
});
