// firmware/json.ts on every runtime: fixture table (decode, then encode, compared as JSON) and a
// seeded random-input hunt for crashes and round-trip differences.

import { beforeAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { ROOT, transpileEntry } from "../build/compile";
import { createLuaVm } from "../sim/runtimes/lua-vm";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { jarr, jraw, jsonEncode } from "../firmware/json";

type Probe = (bytes: string) => string;
const probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  const entry = path.join(ROOT, "test/images/json-probe.ts");
  const src: Record<string, string> = { "lua5.1": transpileEntry(entry, "lua5.1"), "lua5.3": transpileEntry(entry, "lua5.3") };
  for (const r of RUNTIMES) {
    if (r === "node") {
      const mod = (await import("./images/json-probe")) as { event: Probe };
      probes[r] = mod.event;
    } else {
      const vm = createLuaVm(r);
      vm.loadImage(src[r === "lua5.1" ? "lua5.1" : "lua5.3"], "=json-probe");
      probes[r] = (s) => vm.event(s);
    }
  }
}, 120000);

const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const text = (b: string) => Buffer.from(b, "latin1").toString("utf8");

/** name, input, expected value after decode+encode (undefined: JSON null), or Error for a rejected input. */
const FIXTURES: [string, string, unknown][] = [
  ["empty object", "{}", {}],
  ["empty array stays an array", "[]", []],
  ["nested empties", '{"a":[],"b":{},"c":[{}]}', { a: [], b: {}, c: [{}] }],
  ["literals", "[true,false]", [true, false]],
  // Part 4 §4.1.5: an empty field is left out, never null; null stays a value the validator refuses.
  ["null in an object is kept", '{"a":null,"b":1}', { a: null, b: 1 }],
  ["null in an object is an absent field in lenient mode", 'L{"a":null,"b":[null]}', { b: [null] }],
  ["top-level null", "null", undefined],
  ["integers", "[0,-5,2147483647,-2147483648,2147483648,4294967296]", [0, -5, 2147483647, -2147483648, 2147483648, 4294967296]],
  ["decimals", "[1.5,-0.25,0.1,1e3,2.5E-3,12345.678]", [1.5, -0.25, 0.1, 1000, 0.0025, 12345.678]],
  ["integral decimal prints as integer", "[5.0,-2.000]", [5, -2]],
  ["escapes", '["\\"\\\\\\/\\b\\f\\n\\r\\t"]', ['"\\/\b\f\n\r\t']],
  ["unicode escape", '["caf\\u00e9 \\u20ac"]', ["café €"]],
  ["surrogate pair", '["\\ud83d\\ude00"]', ["😀"]],
  ["raw UTF-8 passes", '["Grüße 😀"]', ["Grüße 😀"]],
  ["control characters are escaped on output", '["a\\u0001b\\u0000c"]', ["a\u0001b\u0000c"]],
  ["whitespace everywhere", ' \n\t{ "a" : [ 1 , 2 ] }\r\n', { a: [1, 2] }],
  ["deep but within bound", "[".repeat(16) + "]".repeat(16), JSON.parse("[".repeat(16) + "]".repeat(16))],
  // Past the bound a value is skipped unbuilt and stands as JSON_DEEP ("DEEP" here): the frame keeps its shape.
  ["too deep", "[".repeat(17) + "]".repeat(17), JSON.parse("[".repeat(16) + '"DEEP"' + "]".repeat(16))],
  ["too deep beside other values", `[1,${"{\"a\":".repeat(20)}"x"${"}".repeat(20)},"z"]`, [1, JSON.parse("{\"a\":".repeat(15) + '"DEEP"' + "}".repeat(15)), "z"]],
  ["too deep, a thousand levels", "[".repeat(1000) + "]".repeat(1000), JSON.parse("[".repeat(16) + '"DEEP"' + "]".repeat(16))],
  ["too deep and unterminated", "[".repeat(20) + '"a', Error],
  ["too deep and unbalanced", "[".repeat(20) + "]".repeat(19), Error],
  ["too deep with an escaped quote in a string", "[".repeat(20) + '"a\\"]"' + "]".repeat(20), JSON.parse("[".repeat(16) + '"DEEP"' + "]".repeat(16))],
  ["too deep with brackets inside strings", "[".repeat(20) + '"]]]}}"' + "]".repeat(20), JSON.parse("[".repeat(16) + '"DEEP"' + "]".repeat(16))],
  ["trailing comma in array", "[1,]", Error],
  ["trailing comma in object", '{"a":1,}', Error],
  ["leading zero", "[01]", Error],
  ["bare dot", "[1.]", Error],
  ["leading dot", "[.5]", Error],
  ["plus sign", "[+1]", Error],
  ["hex", "[0x10]", Error],
  ["unquoted key", "{a:1}", Error],
  ["single quotes", "['a']", Error],
  ["unterminated string", '["abc', Error],
  ["raw newline in string", '["a\nb"]', Error],
  ["bad escape", '["\\x41"]', Error],
  ["short unicode escape", '["\\u12"]', Error],
  ["lone high surrogate", '["\\ud800x"]', Error],
  ["lone low surrogate", '["\\udc00"]', Error],
  // Arrays keep no holes: null there is a value of its own, encoded back as null.
  ["null inside an array", "[1,null]", [1, null]],
  ["null inside a nested array", '{"a":[null,[null]]}', { a: [null, [null]] }],
  ["trailing garbage", "{} x", Error],
  ["two values", "1 2", Error],
  ["empty input", "", Error],
  ["truncated literal", "[tru]", Error],
];

describe.each(RUNTIMES)("json on %s", (runtime) => {
  it.each(FIXTURES)("%s", (_name, input, expected) => {
    const out = probes[runtime]!(bytes(input));
    if (expected === Error) {
      expect(out.startsWith("ERR\t")).toBe(true);
    } else if (expected === undefined) {
      expect(out).toBe("NULL");
    } else {
      expect(out.startsWith("OK\t")).toBe(true);
      expect(JSON.parse(text(out.slice(3)))).toEqual(expected);
    }
  });

  it("invalid UTF-8 inside strings is rejected, past the nesting bound too", () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3]]) {
      const input = '["' + String.fromCharCode(...bad) + '"]';
      expect(probes[runtime]!(input)).toMatch(/^ERR\t.*UTF-8/);
      expect(probes[runtime]!("[".repeat(20) + input + "]".repeat(20))).toMatch(/^ERR\t.*UTF-8/);
    }
  });

  it("random values round-trip and random bytes never crash (seeded)", () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ["a", "é", "😀", '"', "\\", "\n", "\u0001", "x y", "€"];
    const value = (depth: number): unknown => {
      const k = rnd(depth > 5 ? 4 : 7);
      if (k === 0) return rnd(2) === 0;
      if (k === 1) return rnd(2000000) - 1000000;
      if (k === 2) return (rnd(200000) - 100000) / 8;
      if (k === 3) return Array.from({ length: rnd(4) }, () => pieces[rnd(pieces.length)]).join("");
      if (k === 4) return Array.from({ length: rnd(4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = rnd(4); i > 0; i--) o[pieces[rnd(pieces.length)] + i] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 150; i++) {
      const v = value(0);
      const out = probes[runtime]!(bytes(JSON.stringify(v)));
      expect(out.startsWith("OK\t")).toBe(true);
      expect(JSON.parse(text(out.slice(3)))).toEqual(v);
    }
    const alphabet = '{}[]",:0123456789.-eE+truefalsnu\\ \t\n\u00ff\u00c3\u0080';
    for (let i = 0; i < 300; i++) {
      let s = "";
      for (let j = rnd(40); j > 0; j--) s += alphabet[rnd(alphabet.length)];
      const out = probes[runtime]!(s);
      expect(out === "NULL" || out.startsWith("OK\t") || out.startsWith("ERR\t")).toBe(true);
    }
  });
});

// Text encoded once (a meter value built as JSON text) goes into a payload as it is.
describe("jraw", () => {
  it("is written verbatim inside objects and arrays, beside ordinary values", () => {
    const mv = '{"timestamp":"2026-12-02T10:00:00Z","sampledValue":[{"value":16.5,"context":"Sample.Periodic"}]}';
    const text = jsonEncode({ meterValue: jarr([jraw(mv), jraw(mv)]), seqNo: 3 });
    expect(JSON.parse(text)).toEqual({ meterValue: [JSON.parse(mv), JSON.parse(mv)], seqNo: 3 });
    expect(text).toContain(`[${mv},${mv}]`);
  });
});
