// Part 4 §4.2.3/§4.3 bad input on every runtime: each frame gets the right CALLERROR, the station
// keeps answering, and the Lua heap returns to where it was.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, Frame, TestStation } from "./harness";

const long = (n: number) => "x".repeat(n);

/** name, raw frame (string or bytes), expected [messageId, errorCode] or null for "no answer". */
const CASES: [string, string | Buffer, [string, string] | null][] = [
  ["not JSON", "hello", ["-1", "RpcFrameworkError"]],
  ["truncated JSON keeps a readable id", '[2,"t1","Heartbeat",{', ["t1", "RpcFrameworkError"]],
  ["object instead of array", '{"a":1}', ["-1", "RpcFrameworkError"]],
  ["array without id", "[2]", ["-1", "RpcFrameworkError"]],
  ["numeric id", '[2,5,"Heartbeat",{}]', ["-1", "RpcFrameworkError"]],
  ["id longer than 36", `[2,"${long(37)}","TriggerMessage",{}]`, ["-1", "RpcFrameworkError"]],
  ["CALL with 3 elements", '[2,"s1","TriggerMessage"]', ["s1", "RpcFrameworkError"]],
  ["unknown message type", '[7,"m1",{}]', ["m1", "MessageTypeNotSupported"]],
  ["unknown action", '[2,"a1","MakeCoffee",{}]', ["a1", "NotImplemented"]],
  ["unknown action with a long multibyte name", `[2,"a3","x${"é".repeat(200)}",{}]`, ["a3", "NotImplemented"]],
  ["known action not in this build", '[2,"a2","ReserveNow",{"id":1,"expiryDateTime":"2026-11-24T10:00:00Z","idToken":{"idToken":"x","type":"Central"}}]', ["a2", "NotSupported"]],
  ["payload is an array", '[2,"p0","TriggerMessage",[]]', ["p0", "FormatViolation"]],
  ["missing required field", '[2,"p1","TriggerMessage",{}]', ["p1", "OccurrenceConstraintViolation"]],
  ["wrong type", '[2,"p2","TriggerMessage",{"requestedMessage":5}]', ["p2", "TypeConstraintViolation"]],
  ["integer with a fraction", '[2,"p3","TriggerMessage",{"requestedMessage":"Heartbeat","evse":{"id":1.5}}]', ["p3", "TypeConstraintViolation"]],
  ["enum value out of range", '[2,"p4","TriggerMessage",{"requestedMessage":"Coffee"}]', ["p4", "PropertyConstraintViolation"]],
  ["unknown property", '[2,"p5","TriggerMessage",{"requestedMessage":"Heartbeat","extra":1}]', ["p5", "PropertyConstraintViolation"]],
  ["string too long", `[2,"p6","TriggerMessage",{"requestedMessage":"Heartbeat","customData":{"vendorId":"${long(256)}"}}]`, ["p6", "FormatViolation"]],
  ["invalid UTF-8", Buffer.concat([Buffer.from('[2,"u1","TriggerMessage",{"requestedMessage":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]), ["u1", "RpcFrameworkError"]],
  ["overlong UTF-8", Buffer.concat([Buffer.from('[2,"u2","TriggerMessage",{"requestedMessage":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}]')]), ["u2", "RpcFrameworkError"]],
  ["lone surrogate escape", '[2,"u3","TriggerMessage",{"requestedMessage":"\\ud800"}]', ["u3", "RpcFrameworkError"]],
  ["1 MB frame", `[2,"big","TriggerMessage",{"requestedMessage":"Heartbeat","customData":{"vendorId":"${long(1 << 20)}"}}]`, ["big", "FormatViolation"]],
  ["1,000-deep nesting", `[2,"deep","TriggerMessage",${"[".repeat(1000)}${"]".repeat(1000)}]`, ["deep", "RpcFrameworkError"]],
  ["__proto__ is an ordinary (unknown) key", '[2,"k1","TriggerMessage",{"requestedMessage":"Heartbeat","__proto__":{"a":1}}]', ["k1", "PropertyConstraintViolation"]],
  ["several violations: the first in schema order wins on every runtime", '[2,"o1","TriggerMessage",{"zzz":1,"requestedMessage":5}]', ["o1", "TypeConstraintViolation"]],
  ["several violations, other key order", '[2,"o2","TriggerMessage",{"requestedMessage":5,"zzz":1}]', ["o2", "TypeConstraintViolation"]],
  ["unknown keys only: the smallest is named", '[2,"o3","GetBaseReport",{"requestId":1,"reportBase":"FullInventory","b":1,"a":2}]', ["o3", "PropertyConstraintViolation"]],
  ["an unreadable response gets no CALLERROR (Part 4 §4.2.3)", '[3,"x1",{"a":', null],
  ["an oversized response gets no CALLERROR", `[3,"x2",{"a":"${long(9000)}"}]`, null],
  ["response to an unknown id is ignored", '[3,"nobody-asked",{}]', null],
  ["error for an unknown id is ignored", '[4,"nobody-asked","GenericError","",{}]', null],
];

function send(t: TestStation, raw: string | Buffer): Frame[] {
  if (typeof raw === "string") t.csms.deliver(raw);
  else t.csms.deliverBytes(raw);
  return t.csms.take();
}

describe.each(RUNTIMES)("bad input on %s", (runtime) => {
  it.each(CASES)("%s", async (_name, raw, expected) => {
    const t = await bootAccepted(runtime);
    const frames = send(t, raw);
    if (expected === null) {
      expect(frames).toEqual([]);
    } else {
      expect(frames.length).toBe(1);
      const [type, id, code, description, details] = frames[0] as [number, string, string, string, unknown];
      expect([type, id, code]).toEqual([4, expected[0], expected[1]]);
      expect(typeof description).toBe("string");
      expect(description.length).toBeLessThanOrEqual(255);
      expect(details).toEqual({});
    }
    // The station still answers.
    expect(t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" })).toEqual([3, expect.any(String), { status: "Accepted" }]);
  });

  it("a duplicate message id is refused, the first is answered", async () => {
    const t = await bootAccepted(runtime);
    const frame = '[2,"dup-1","TriggerMessage",{"requestedMessage":"Heartbeat"}]';
    expect(send(t, frame)[0]).toEqual([3, "dup-1", { status: "Accepted" }]);
    await t.settle();
    t.csms.take();
    const again = send(t, frame);
    expect(again[0].slice(0, 3)).toEqual([4, "dup-1", "RpcFrameworkError"]);
  });

  it("the whole suite leaves the Lua heap within 1 KB and the station working", async () => {
    // The JS heap (node, and fengari, whose Lua objects live in it) says nothing about the Lua image.
    if (runtime === "node" || runtime === "lua5.3-int32" || runtime === "lua5.3-f32") return;
    const t = await bootAccepted(runtime);
    // Warm up every path once so lazily created state exists before the baseline.
    for (const [, raw] of CASES) send(t, raw);
    t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
    await t.settle();
    t.csms.take();
    const before = t.board.heapKb(true);
    for (let round = 0; round < 3; round++) {
      for (const [, raw] of CASES) send(t, raw);
      const answer = t.csms.call("TriggerMessage", { requestedMessage: "Heartbeat" });
      expect(answer[0]).toBe(3);
      await t.settle();
      t.csms.take();
    }
    const after = t.board.heapKb(true);
    console.log(`${runtime}: Lua heap ${before.toFixed(1)} KB before, ${after.toFixed(1)} KB after 3 rounds of bad input`);
    expect(Math.abs(after - before)).toBeLessThan(1);
  });
});
