// Seeded random frames for the RPC layer: garbage, broken JSON, wrong frame shapes, valid and mutated
// CALLs for actions the build handles and for those it does not, stray responses, reused ids and
// invalid UTF-8. One seed gives one sequence: frame i of seed s is always the same bytes.

import { BuildFacts, ModelVariable } from "./build-facts";
import { CSMS_TO_STATION } from "./oracle";
import { Prng } from "./prng";
import { DUPLICATE, PLAIN, RawNumber, render, RenderStyle } from "./render";
import { CHARS, child, Node, OcppSchemas, randomText, resolve, sample, SampleStyle } from "./schemas";

export interface GenFrame {
  /** Which generator made it (failures are grouped by it). */
  cls: string;
  bytes: Buffer;
  /** Sent while the station waits for the answer to a CALL of this action, held back by the runner. */
  hold?: "Heartbeat" | "NotifyReport";
  /** Makes the frame from the held CALL's id. */
  toOutstanding?: (id: string) => Buffer;
}

type Obj = Record<string, unknown>;

/** Sets a property as JSON.parse would: "__proto__" becomes an own property, not the prototype. */
function put(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const clone = <T>(v: T): T => (v instanceof RawNumber || v === null || typeof v !== "object" ? v : Array.isArray(v) ? (v.map(clone) as T) : (Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)])) as T));

/** Keys a table lookup in Node or Lua may trip over. */
export const PROTOTYPE_NAMES = [
  "toString", "constructor", "hasOwnProperty", "__proto__", "valueOf", "isPrototypeOf", "propertyIsEnumerable",
  "toLocaleString", "__defineGetter__", "__lookupGetter__", "prototype", "length", "__index", "__newindex", "__call",
  "__tostring", "__gc", "__mode", "_G", "_ENV", "nil", "undefined", "NaN",
];

const MADE_UP_ACTIONS = [
  "MakeCoffee", "getvariables", "GETVARIABLES", "GetVariablesRequest", "GetVariablesResponse", "", " ", "Get Variables",
  "TriggerMessage ", " TriggerMessage", "TriggerMessage\u0000", "Trigger\nMessage", "RemoteStartTransaction", "ChangeConfiguration",
  "ü".repeat(100), "x".repeat(300), "%s%d", "1", "-1", "😀", "Heartbeat\\", "Reset.", "SetVariables/GetVariables",
];

/** Valid message ids (string[36], counted in characters): plain, odd and multi-byte. */
const ODD_IDS = [
  "ü".repeat(20), "ü".repeat(36), "😀".repeat(36), "€".repeat(36), "中".repeat(36), "a".repeat(36),
  "0f8e3c2a-1b4d-4e5f-8a9b-0c1d2e3f4a5b", 'quote"d', "back\\slash", "new\nline", "tab\there", "nul\u0000byte",
  " ", "-1", "0", "null", "__proto__", "constructor", "toString", "hasOwnProperty", "\u007f", "\u2028",
];

/** Invalid ids: too long (counted in characters), empty, not strings. */
const BAD_IDS: unknown[] = ["", "a".repeat(37), "ü".repeat(37), "😀".repeat(37), 5, 0, -1, 1.5, null, true, [], {}, ["x"], { id: "x" }];

/** Malformed UTF-8 (RFC 3629): stray continuation, overlong, surrogate, beyond U+10FFFF, truncated, 0xFF. */
const BAD_UTF8 = [[0xff], [0xfe], [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3, 0x28], [0xe2, 0x28, 0xa1]];

/** Number literals at and past the limits of OCPP integers, Lua 5.3 int32 and single floats. */
const NUMBERS = ["0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649", "16777216", "16777217", "4294967296", "9007199254740993", "1e2", "1E2", "1.0", "1.5", "-1.5", "0.0000001", "1e308", "1e400", "-1e400", "1e-400", "123456789012345678901234567890"];

export class FrameGen {
  readonly r: Prng;
  private n = 0;
  private readonly ids: string[] = [];
  private readonly recent: Buffer[] = [];
  private readonly notBuilt: string[];
  private readonly stationOnly: string[];

  constructor(
    seed: number,
    private readonly facts: BuildFacts,
    private readonly schemas: OcppSchemas,
  ) {
    this.r = new Prng(seed);
    const handled = new Set(facts.handled);
    this.notBuilt = CSMS_TO_STATION.filter((a) => !handled.has(a));
    this.stationOnly = schemas.actions().filter((a) => !CSMS_TO_STATION.includes(a));
  }

  next(): GenFrame {
    const r = this.r;
    const kind = r.weighted<() => GenFrame>([
      [3, () => this.garbage()],
      [3, () => this.notArray()],
      [12, () => this.shape()],
      [12, () => this.frame("valid", this.validHandled())],
      [22, () => this.frame("mutated", this.mutatedHandled())],
      [7, () => this.frame("unhandled", this.unhandled())],
      [6, () => this.frame("unknown-action", this.unknownAction())],
      [6, () => this.stray()],
      [3, () => this.outstanding()],
      [5, () => this.reused()],
      [10, () => this.broken()],
      [5, () => this.badUtf8()],
      [4, () => this.deep()],
      [2, () => this.oversize()],
    ]);
    const f = kind();
    this.recent.push(f.bytes);
    if (this.recent.length > 16) this.recent.shift();
    return f;
  }

  // ---- pieces ----

  private freshId(): string {
    this.n++;
    const id = this.r.chance(0.1) ? this.r.pick(ODD_IDS) : `f${this.n.toString(36)}-${this.r.int(0, 1295).toString(36)}`;
    this.ids.push(id);
    if (this.ids.length > 64) this.ids.shift();
    return id;
  }

  private style(): RenderStyle {
    return this.r.chance(0.7) ? PLAIN : { space: this.r.pick([0, 0.2, 0.6]), escape: this.r.pick([0, 0.05, 0.3]) };
  }

  private bytes(v: unknown, st = this.style()): Buffer {
    return Buffer.from(render(v, this.r, st), "utf8");
  }

  private frame(cls: string, [action, payload]: [string, unknown], id = this.freshId()): GenFrame {
    return { cls, bytes: this.bytes([2, id, action, payload]) };
  }

  private sampleStyle(full = false): SampleStyle {
    const r = this.r;
    return {
      optional: full ? 1 : r.pick([0.2, 0.5, 0.8]),
      customData: full ? 1 : r.pick([0, 0, 0.1, 0.3]),
      maxArray: full ? 1 : r.pick([1, 1, 2, 3, 5, 12, 30]),
      text: (prop, max) => {
        if (prop === "attributeValue") {
          return r.pick(["0", "1", "30", "300", "86400", "true", "false", "-1", "", "abc", "Heartbeat", "Heartbeat,NTP", "1e3", "2147483648", "ü".repeat(50), "x".repeat(r.int(0, max ?? 1000))]);
        }
        if (prop === "vendorId") return r.pick(["com.example", "x".repeat(max ?? 255), "€".repeat(max ?? 255)]);
        return undefined;
      },
      integer: (prop) => {
        if (prop === "id" || prop === "evseId") return r.pick([0, 1, 1, 2, 2, 3, 7]);
        if (prop === "connectorId") return r.pick([0, 1, 1, 2]);
        return r.chance(0.8) ? r.int(0, 100000) : r.pick([0, -1, 2147483647, -2147483648]);
      },
    };
  }

  /** A component/variable pair from the device model (or a near miss), for the variables and report CALLs. */
  private componentVariable(): { component: Obj; variable: Obj } {
    const r = this.r;
    const v: ModelVariable = r.pick(this.facts.variables);
    const name = (s: string) => r.weighted([[8, s], [1, s.toLowerCase()], [1, s.toUpperCase()], [1, s + "x"], [1, r.pick(PROTOTYPE_NAMES)]]);
    const component: Obj = { name: r.chance(0.9) ? name(v.component) : r.pick(["Foo", "", "ü".repeat(50), ...PROTOTYPE_NAMES]) };
    if (v.per === "evse" || v.per === "connector" || r.chance(0.1)) {
      const evse: Obj = { id: r.pick([0, 1, 1, 2, 3, 99]) };
      if (v.per === "connector" || r.chance(0.2)) evse.connectorId = r.pick([0, 1, 1, 2]);
      component.evse = evse;
    }
    const variable: Obj = { name: r.chance(0.9) ? name(v.variable) : r.pick(["Bar", "", "ü".repeat(50), ...PROTOTYPE_NAMES]) };
    if (v.instance !== undefined && r.chance(0.9)) variable.instance = v.instance;
    else if (r.chance(0.05)) variable.instance = r.pick(["GetVariables", "x", "ü"]);
    return { component, variable };
  }

  private validPayload(action: string, full = false): Obj {
    const p = sample(this.schemas.node(`${action}Request`), this.r, this.sampleStyle(full)) as Obj;
    // Names from the device model make the handlers do real work.
    for (const list of ["getVariableData", "setVariableData", "componentVariable"]) {
      const items = p[list];
      if (Array.isArray(items)) {
        for (const it of items as Obj[]) {
          if (!this.r.chance(0.8)) continue;
          const cv = this.componentVariable();
          it.component = cv.component;
          if (list !== "componentVariable" || this.r.chance(0.7)) it.variable = cv.variable;
        }
      }
    }
    return p;
  }

  private handledAction(): string {
    // Reports cost the most (a whole NotifyReport exchange): drawn less often.
    return this.r.weighted(this.facts.handled.map((a) => [a === "GetBaseReport" || a === "GetReport" ? 1 : 3, a] as const));
  }

  private validHandled(): [string, unknown] {
    const a = this.handledAction();
    return [a, this.validPayload(a)];
  }

  private mutatedHandled(): [string, unknown] {
    const a = this.handledAction();
    const p = this.validPayload(a);
    const n = this.r.weighted([[6, 1], [2, 2], [1, 3]]);
    for (let i = 0; i < n; i++) this.mutate(p, this.schemas.node(`${a}Request`));
    return [a, p];
  }

  private unhandled(): [string, unknown] {
    const r = this.r;
    const deepOnes = this.notBuilt.filter((a) => a === "SetChargingProfile" || a === "RequestStartTransaction");
    const a = deepOnes.length > 0 && r.chance(0.4) ? r.pick(deepOnes) : r.pick(this.notBuilt);
    // full: every optional field and customData everywhere, i.e. the schema's deepest nesting.
    const p = this.validPayload(a, r.chance(0.4));
    if (r.chance(0.3)) this.mutate(p, this.schemas.node(`${a}Request`));
    return [a, p];
  }

  private unknownAction(): [string, unknown] {
    const r = this.r;
    const a = r.weighted([[3, () => r.pick(PROTOTYPE_NAMES)], [3, () => r.pick(MADE_UP_ACTIONS)], [2, () => r.pick(this.stationOnly)]])();
    const p: unknown = this.stationOnly.includes(a) && r.chance(0.5) ? this.validPayload(a) : r.pick([{}, { requestedMessage: "Heartbeat" }, { a: [1, { b: null }] }]);
    return [a, p];
  }

  /** One schema-aware mutation somewhere in a payload (the oracle, via ajv, decides what it means). */
  private mutate(root: Obj, schema: Node): void {
    const r = this.r;
    // Every object in the payload with its schema node.
    const objs: [Obj, Node][] = [];
    const walk = (v: unknown, n: Node) => {
      const s = resolve(n).s;
      if (s.type === "object" && v !== null && typeof v === "object" && !Array.isArray(v)) {
        objs.push([v as Obj, resolve(n)]);
        for (const [k, x] of Object.entries(v as Obj)) if (s.properties?.[k] !== undefined && k !== "customData") walk(x, child(n, s.properties[k]));
      } else if (s.type === "array" && Array.isArray(v)) for (const x of v) walk(x, child(n, s.items!));
    };
    walk(root, schema);
    const [o, n] = r.pick(objs);
    const props = n.s.properties ?? {};
    const keys = Object.keys(o);
    const someKey = () => (keys.length > 0 ? r.pick(keys) : r.pick(Object.keys(props)));
    const kind = r.pick(["drop", "drop", "type", "enum", "long", "extra", "array", "null", "number", "customData", "deepCustomData", "duplicate", "nested"]);
    switch (kind) {
      case "drop":
        if (keys.length > 0) delete o[r.pick(keys)];
        break;
      case "type":
        put(o, someKey(), r.pick<unknown>(["x", "", 1, -1, 1.5, true, false, {}, [], ["x"], { name: "x" }]));
        break;
      case "enum": {
        const k = Object.keys(props).find((p) => resolve(child(n, props[p])).s.enum !== undefined);
        if (k !== undefined) {
          const e = resolve(child(n, props[k])).s.enum!;
          const good = r.pick(e);
          put(o, k, r.pick([good.toLowerCase(), good + " ", "", "Coffee", good.slice(1), `${good}\u0000`, "ü"]));
        }
        break;
      }
      case "long": {
        // maxLength counts characters: exactly the limit is valid, one more is not, whatever the bytes.
        const k = Object.keys(props).find((p) => resolve(child(n, props[p])).s.maxLength !== undefined && r.chance(0.7));
        if (k !== undefined) {
          const max = resolve(child(n, props[k])).s.maxLength!;
          const c = r.pick(CHARS);
          put(o, k, c.repeat(max + r.pick([0, 0, 1, 1, 2, -1])));
        }
        break;
      }
      case "extra":
        put(o, r.pick([...PROTOTYPE_NAMES, "foo", "customdata", "CustomData", "", "ü"]), r.pick<unknown>([1, "x", {}, null, [], { a: 1 }]));
        break;
      case "array": {
        const k = Object.keys(props).find((p) => resolve(child(n, props[p])).s.type === "array");
        if (k !== undefined) {
          const a = Array.isArray(o[k]) ? (o[k] as unknown[]) : [];
          const s = resolve(child(n, props[k])).s;
          put(o, k, r.weighted<() => unknown[]>([
            [2, () => []],
            [2, () => [...a, null]],
            [2, () => [null]],
            [1, () => [a[0] ?? "x", 5]],
            [1, () => [[a[0]]]],
            [2, () => Array.from({ length: (s.maxItems ?? 40) + 1 }, (_, i) => clone(a[i % Math.max(a.length, 1)] ?? "Active"))],
          ])());
        }
        break;
      }
      case "null":
        put(o, someKey(), null);
        break;
      case "number": {
        const k = Object.keys(props).find((p) => resolve(child(n, props[p])).s.type === "integer" && r.chance(0.7)) ?? someKey();
        put(o, k, new RawNumber(r.pick(NUMBERS)));
        break;
      }
      case "customData":
        put(o, "customData", r.pick<unknown>([{}, { vendorId: 5 }, { vendorId: "x".repeat(256) }, { vendorId: "ü".repeat(255) }, { vendorId: "😀".repeat(256) }, "x", [], null, { vendorId: "v", extra: [null, { a: {} }] }]));
        break;
      case "deepCustomData": {
        // CustomDataType admits any extra property (Part 4 §9): as deep as you like, and still valid.
        let d: unknown = r.pick([1, "x", null, {}]);
        const depth = r.pick([1, 2, 4, 8, 10, 11, 12, 13, 20, 40]);
        for (let i = 0; i < depth; i++) d = r.chance(0.5) ? { a: d } : [d];
        put(o, "customData", { vendorId: "com.example", nest: d });
        break;
      }
      case "duplicate":
        (o as Record<symbol, unknown>)[DUPLICATE] = true;
        break;
      case "nested": {
        const k = someKey();
        put(o, k, { [k]: o[k] });
        break;
      }
    }
  }

  // ---- frame classes ----

  private garbage(): GenFrame {
    const r = this.r;
    const len = r.pick([0, 1, 2, 5, 20, 200]);
    const b = Buffer.alloc(len);
    const ascii = r.chance(0.5);
    for (let i = 0; i < len; i++) b[i] = ascii ? r.int(0x20, 0x7e) : r.int(0, 255);
    const fixed = [" ", "\n", "[", "]", "{}", "[]", "[[", '"', "nul", "[2", "[2,", '[2,"', "\u0000", "\ufeff", "[2,\"x\",\"Heartbeat\",{}]]", "true false"];
    return { cls: "garbage", bytes: r.chance(0.5) ? Buffer.from(r.pick(fixed), "utf8") : b };
  }

  private notArray(): GenFrame {
    const r = this.r;
    const v = r.pick<unknown>([null, true, false, 0, -1, 2, "x", "", {}, { a: 1 }, { "0": 2, "1": "id", "2": "Heartbeat", "3": {} }, JSON.stringify([2, "s", "Heartbeat", {}])]);
    return { cls: "not-array", bytes: this.bytes(v) };
  }

  private shape(): GenFrame {
    const r = this.r;
    const type = r.weighted<unknown>([[10, 2], [2, 3], [2, 4], [1, 0], [1, 1], [1, 5], [1, 6], [1, 7], [1, -1], [1, 99], [1, 30], [1, 42], [1, new RawNumber("2.0")], [1, new RawNumber("2e0")], [1, 2.5], [1, new RawNumber("3.0")], [1, "2"], [1, null], [1, true], [1, []], [1, {}], [1, new RawNumber("1e400")]]);
    const id = r.chance(0.6) ? this.freshId() : r.chance(0.5) ? r.pick(ODD_IDS) : r.pick(BAD_IDS);
    const action = r.weighted<() => unknown>([[6, () => this.handledAction()], [2, () => r.pick(this.notBuilt)], [2, () => r.pick(MADE_UP_ACTIONS)], [1, () => r.pick(PROTOTYPE_NAMES)], [2, () => r.pick<unknown>([5, null, true, [], {}, ["TriggerMessage"]])]])();
    const payload = r.weighted<() => unknown>([[6, () => (typeof action === "string" && this.facts.handled.includes(action) ? this.validPayload(action) : {})], [2, () => null], [1, () => [null]], [1, () => []], [1, () => [{}]], [1, () => "x"], [1, () => 1], [1, () => true], [1, () => ({ requestedMessage: "Heartbeat" })]])();
    let f: unknown[] = r.weighted<unknown[]>([
      [8, [type, id, action, payload]],
      [1, [type]],
      [1, [type, id]],
      [1, [type, id, action]],
      [1, [type, id, action, payload, r.pick<unknown>([{}, null, "x", 1])]],
      [1, []],
      [1, [id, type, action, payload]],
      [1, [type, id, payload, action]],
    ]);
    // Responses with arbitrary content: [3, id, payload] and [4, id, code, description, details].
    if (type === 3 && r.chance(0.5)) f = [3, id, payload];
    if (type === 4 && r.chance(0.5)) f = [4, id, r.pick(["GenericError", "x", 5]), r.pick(["", "d", 1]), r.pick<unknown>([{}, null, []])];
    const bytes = this.bytes(f);
    // Cut short now and then: what a station can still read of an odd frame that is not JSON.
    return { cls: "shape", bytes: r.chance(0.1) ? bytes.subarray(0, r.int(1, bytes.length)) : bytes };
  }

  private strayPayload(): unknown {
    return this.r.pick<unknown>([{}, { currentTime: "2026-11-24T10:00:00Z" }, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:00:00Z" }, null, [], "x", { a: [null] }]);
  }

  private stray(): GenFrame {
    const r = this.r;
    const id = r.weighted<() => unknown>([[4, () => this.freshId()], [2, () => (this.ids.length > 0 ? r.pick(this.ids) : "x")], [1, () => "-1"], [1, () => r.pick(BAD_IDS)], [1, () => "1-1"], [1, () => "2-3"]])();
    const v = r.weighted<unknown[]>([
      [4, [3, id, this.strayPayload()]],
      [3, [4, id, r.pick(["GenericError", "NotImplemented", "RpcFrameworkError", "Nonsense", 7]), r.pick(["", "why", "ü".repeat(300)]), r.pick<unknown>([{}, { a: 1 }, null])]],
      [1, [3]],
      [1, [4]],
      [1, [3, id]],
      [1, [4, id]],
      [1, [3, id, {}, "extra"]],
    ]);
    let bytes = this.bytes(v);
    if (r.chance(0.2)) bytes = bytes.subarray(0, r.int(1, Math.max(1, bytes.length - 1)));
    return { cls: "stray-response", bytes };
  }

  private outstanding(): GenFrame {
    const r = this.r;
    // Everything is drawn now: making the frame later (with the real id) draws nothing from r.
    const time = r.pick<unknown>(["garbage", "", 5, "2026-13-45T99:99:99Z"]);
    const make = r.weighted<(id: string) => unknown>([
      [2, (id) => [3, id, {}]],
      [2, (id) => [3, id, { currentTime: time }]],
      [1, (id) => [3, id, null]],
      [1, (id) => [3, id, []]],
      [1, (id) => [3, id]],
      [2, (id) => [4, id, "GenericError", "", {}]],
      [1, (id) => [4, id]],
      [1, (id) => [3, id, { currentTime: "2026-11-24T10:00:00Z", extra: { a: [null] } }]],
      [1, (id) => [3, id, { currentTime: "2026-11-24T10:00:00Z", customData: { vendorId: "v", n: [[[[[[[[[[[[[[1]]]]]]]]]]]]]] } }]],
    ]);
    // A triggered Heartbeat, or the first part of a report (then the frame comes in mid-report).
    const hold = r.pick(["Heartbeat", "NotifyReport"] as const);
    // Part 4 §4.1.1 NOTE: CALLs cross; one from the CSMS while the station waits is answered as ever.
    if (r.chance(0.3)) {
      const call = this.bytes([2, this.freshId(), ...(r.chance(0.5) ? this.validHandled() : this.mutatedHandled())]);
      return { cls: "call-while-outstanding", bytes: call, hold, toOutstanding: () => call };
    }
    const cut = r.chance(0.2) ? r.int(1, 5) : 0;
    const mk = (id: string) => {
      const b = Buffer.from(render(make(id), r, PLAIN), "utf8");
      return cut > 0 ? b.subarray(0, Math.max(4, b.length - cut)) : b;
    };
    return { cls: "response-to-outstanding", bytes: mk("placeholder"), hold, toOutstanding: mk };
  }

  private reused(): GenFrame {
    const r = this.r;
    // Errata to Part 4 §4.1.4: a retried CALL MAY reuse its id; the station answers it again.
    if (this.recent.length > 0 && r.chance(0.4)) return { cls: "retransmit", bytes: r.pick(this.recent) };
    const id = this.ids.length > 0 ? r.pick(this.ids) : this.freshId();
    return this.frame("reused-id", r.chance(0.6) ? this.validHandled() : this.mutatedHandled(), id);
  }

  /** A valid frame with its JSON broken: truncated, a byte dropped or added, or a construct RFC 8259 forbids. */
  private broken(): GenFrame {
    const r = this.r;
    const base = this.bytes([2, this.freshId(), ...(r.chance(0.8) ? this.validHandled() : this.unknownAction())]);
    const s = base.toString("utf8");
    const at = r.int(0, base.length);
    const out = r.weighted<() => string | Buffer>([
      [3, () => base.subarray(0, at)],
      [2, () => Buffer.concat([base.subarray(0, at), base.subarray(at + 1)])],
      [2, () => Buffer.concat([base.subarray(0, at), Buffer.from(r.pick(["[", "]", "{", "}", ",", ":", '"', "\\", "\u0000", "\u0001", "x", " "])), base.subarray(at)])],
      [1, () => s + r.pick(["]", ",", "x", " {}", "\u0000", "[]", "\n\n"])],
      [1, () => s.replace(/"/g, "'")],
      [1, () => s.replace(/\]$/, ",]")],
      [1, () => s.replace("{", "{/*c*/")],
      [1, () => s.replace(/"([a-zA-Z]+)":/, "$1:")],
      [1, () => s.replace(/:(\d+)/, ":0$1")],
      [1, () => s.replace(/:(\d+)/, ":+$1")],
      [1, () => s.replace(/:(\d+)/, ":.5")],
      [1, () => s.replace(/:(\d+)/, ":1.")],
      [1, () => s.replace(/:(\d+)/, ":0x1F")],
      [1, () => s.replace(/:(\d+)/, ":NaN")],
      [1, () => s.replace(/:(true|false|\d+)/, ":True")],
      [1, () => s.replace(/"([^"]*)"/, '"$1\\x"')],
      [1, () => s.replace(/"([^"]*)"/, '"$1\\u12"')],
      [1, () => s.replace(/"([^"]*)"/, '"$1\\ud800"')],
      [1, () => s.replace(/"([^"]*)"/, '"$1\\udc00\\ud800"')],
      [1, () => s.replace(/"([^"]*)"/, '"$1\\ud83d\\ude00"')],
      [1, () => s.replace(/"([^"]*)"/, '"$1\t"')],
      [1, () => "\ufeff" + s],
      [1, () => s.replace("[", "[[")],
    ])();
    return { cls: "broken-json", bytes: typeof out === "string" ? Buffer.from(out, "utf8") : out };
  }

  private badUtf8(): GenFrame {
    const r = this.r;
    const base = this.bytes([2, this.freshId(), ...this.validHandled()]);
    const bad = Buffer.from(r.pick(BAD_UTF8));
    // Inside a string (after a quote) most of the time, anywhere otherwise.
    const quotes: number[] = [];
    base.forEach((c, i) => c === 0x22 && quotes.push(i + 1));
    const at = r.chance(0.8) && quotes.length > 0 ? r.pick(quotes) : r.int(0, base.length);
    return { cls: "invalid-utf8", bytes: Buffer.concat([base.subarray(0, at), bad, base.subarray(at)]) };
  }

  private deep(): GenFrame {
    const r = this.r;
    const depth = r.weighted([[6, () => r.int(1, 16)], [3, () => r.int(17, 40)], [1, () => r.pick([100, 1000])]])();
    const nest = (leaf: unknown) => {
      let d = leaf;
      for (let i = 0; i < depth; i++) d = r.chance(0.5) ? { a: d } : [d];
      return d;
    };
    const id = this.freshId();
    const v = r.weighted<() => unknown>([
      // Valid: a deep customData extension on a handled action.
      [3, () => [2, id, "TriggerMessage", { requestedMessage: "Heartbeat", customData: { vendorId: "v", nest: nest(1) } }]],
      [2, () => [2, id, "TriggerMessage", { requestedMessage: nest("Heartbeat") }]],
      [2, () => [2, id, r.pick([...this.notBuilt, ...MADE_UP_ACTIONS, ...PROTOTYPE_NAMES]), { a: nest(1) }]],
      [1, () => [2, id, "GetVariables", nest({})]],
      [1, () => [2, id, "Heartbeat", {}, nest(1)]],
      [1, () => nest([2, id, "TriggerMessage", { requestedMessage: "Heartbeat" }])],
      [1, () => [3, id, nest({})]],
      [1, () => [r.pick([7, 2, 3]), nest(id)]],
    ])();
    const bytes = this.bytes(v, PLAIN);
    return { cls: "deep", bytes: r.chance(0.15) ? bytes.subarray(0, bytes.length - 1) : bytes };
  }

  private oversize(): GenFrame {
    const r = this.r;
    const target = this.facts.maxFrameBytes + r.int(-60, 60);
    const id = this.freshId();
    const v = r.weighted<() => unknown[]>([
      [3, () => [2, id, "TriggerMessage", { requestedMessage: "Heartbeat", customData: { vendorId: "v", pad: "" } }]],
      [1, () => [2, id, "MakeCoffee", { customData: { vendorId: "v", pad: "" } }]],
      [1, () => [3, id, { customData: { vendorId: "v", pad: "" } }]],
    ])();
    const base = Buffer.byteLength(render(v, r), "utf8");
    const pad = Math.max(0, target - base);
    const c = r.pick(["x", "ü"]);
    ((v[v.length - 1] as Obj).customData as Obj).pad = c.repeat(Math.floor(pad / Buffer.byteLength(c)));
    return { cls: "oversize", bytes: this.bytes(v, PLAIN) };
  }
}
