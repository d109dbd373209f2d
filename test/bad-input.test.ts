// Part 4 §4.2.3/§4.3 bad input on every runtime: each frame gets the right CALLERROR, the station
// keeps answering, and the Lua heap returns to where it was.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, Frame, TestStation } from "./harness";

const long = (n: number) => "x".repeat(n);

/** A valid SetChargingProfileRequest whose salesTariff…cost[].customData sits 13 levels deep (frame included). */
const DEEP_PROFILE = JSON.stringify({
  evseId: 1,
  chargingProfile: {
    id: 1, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Absolute",
    chargingSchedule: [{
      id: 1, chargingRateUnit: "A", startSchedule: "2026-11-24T10:00:00Z",
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
      salesTariff: {
        id: 1,
        salesTariffEntry: [{
          relativeTimeInterval: { start: 0 },
          consumptionCost: [{ startValue: 0, cost: [{ costKind: "CarbonDioxideEmission", amount: 1, customData: { vendorId: "v" } }] }],
        }],
      },
    }],
  },
});

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
  // Deeper than any schema of the build: no valid payload of a handled action, answered without decoding it.
  ["1,000-deep nesting", `[2,"deep","TriggerMessage",${"[".repeat(1000)}${"]".repeat(1000)}]`, ["deep", "FormatViolation"]],
  ["1,000-deep object payload for an action not in the build", `[2,"deep2","SetChargingProfile",${'{"a":'.repeat(1000)}1${"}".repeat(1000)}]`, ["deep2", "NotSupported"]],
  ["1,000-deep object payload for an unknown action", `[2,"deep3","Brew",${'{"a":'.repeat(1000)}1${"}".repeat(1000)}]`, ["deep3", "NotImplemented"]],
  ["a deep fifth element: the frame's shape is still judged", `[2,"deep5","Heartbeat",{},${"[".repeat(100)}${"]".repeat(100)}]`, ["deep5", "RpcFrameworkError"]],
  ["a deep id", `[2,${"[".repeat(100)}${"]".repeat(100)},"Heartbeat",{}]`, ["-1", "RpcFrameworkError"]],
  ["a valid SetChargingProfile nesting 13 deep gets NotSupported, not a framework error", `[2,"deep4","SetChargingProfile",${DEEP_PROFILE}]`, ["deep4", "NotSupported"]],
  // The decoder always gives a reason: the frame null is valid JSON, but no message.
  ["the frame null", "null", ["-1", "RpcFrameworkError"]],
  ["null inside an array is a bad payload, not bad JSON", '[2,"n1","GetVariables",{"getVariableData":[null]}]', ["n1", "TypeConstraintViolation"]],
  ["null as the message type (Part 4 §4.4)", '[null,"a5",{}]', ["a5", "MessageTypeNotSupported"]],
  ["null as the payload", '[2,"n2","TriggerMessage",null]', ["n2", "FormatViolation"]],
  // Part 4 §4.1.5: an empty field is left out; null is no value of any OCPP type.
  ["a null optional object", '[2,"n3","TriggerMessage",{"requestedMessage":"Heartbeat","evse":null}]', ["n3", "TypeConstraintViolation"]],
  ["a null customData", '[2,"n4","TriggerMessage",{"requestedMessage":"Heartbeat","customData":null}]', ["n4", "TypeConstraintViolation"]],
  ["an unknown property with a null value", '[2,"n5","TriggerMessage",{"requestedMessage":"Heartbeat","x":null}]', ["n5", "PropertyConstraintViolation"]],
  ["message type 42 (Part 4 §4.4)", '[42,"m2","TriggerMessage",[null]]', ["m2", "MessageTypeNotSupported"]],
  ["message type 30 in a broken frame is no response", '[30,"m3",{', ["-1", "RpcFrameworkError"]],
  ["a numeric id and an undecodable payload: never the action as id", '[2,7,"Foo",[null]]', ["-1", "RpcFrameworkError"]],
  ["a numeric id in a broken frame", '[2,7,"Foo",{', ["-1", "RpcFrameworkError"]],
  // Every lookup by a CSMS-chosen key is own-property safe in Node.
  ["action toString", '[2,"pr1","toString",{}]', ["pr1", "NotImplemented"]],
  ["action constructor", '[2,"pr2","constructor",{}]', ["pr2", "NotImplemented"]],
  ["action hasOwnProperty", '[2,"pr3","hasOwnProperty",{}]', ["pr3", "NotImplemented"]],
  ["action __proto__", '[2,"pr4","__proto__",{}]', ["pr4", "NotImplemented"]],
  ["action valueOf", '[2,"pr5","valueOf",{}]', ["pr5", "NotImplemented"]],
  ["id of 37 multi-byte characters", `[2,"${"ü".repeat(37)}","TriggerMessage",{"requestedMessage":"Heartbeat"}]`, ["-1", "RpcFrameworkError"]],
  ["__proto__ is an ordinary (unknown) key", '[2,"k1","TriggerMessage",{"requestedMessage":"Heartbeat","__proto__":{"a":1}}]', ["k1", "PropertyConstraintViolation"]],
  ["several violations: the first in schema order wins on every runtime", '[2,"o1","TriggerMessage",{"zzz":1,"requestedMessage":5}]', ["o1", "TypeConstraintViolation"]],
  ["several violations, other key order", '[2,"o2","TriggerMessage",{"requestedMessage":5,"zzz":1}]', ["o2", "TypeConstraintViolation"]],
  ["unknown keys only: the smallest is named", '[2,"o3","GetBaseReport",{"requestId":1,"reportBase":"FullInventory","b":1,"a":2}]', ["o3", "PropertyConstraintViolation"]],
  ["an unreadable response gets no CALLERROR (Part 4 §4.2.3)", '[3,"x1",{"a":', null],
  ["an oversized response gets no CALLERROR", `[3,"x2",{"a":"${long(9000)}"}]`, null],
  ["response to an unknown id is ignored", '[3,"nobody-asked",{}]', null],
  ["error for an unknown id is ignored", '[4,"nobody-asked","GenericError","",{}]', null],
  // Part 4 §4.2.3: a CALLERROR answers a CALL, never a response, however broken.
  ["response with a numeric id is dropped", "[3,5,{}]", null],
  ["error with a numeric id is dropped", '[4,5,"GenericError","",{}]', null],
  ["response without payload is dropped", '[3,"r1"]', null],
  ["a broken response typed 3.0 is still a response: dropped", '[3.0,"r2",{', null],
  ["[3. is no number, so no response", "[3.", ["-1", "RpcFrameworkError"]],
  ["response with an empty id is dropped", '[3,"",{}]', null],
  ["error with an over-long id is dropped", `[4,"${long(40)}","GenericError","",{}]`, null],
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

  it("a CALL retried with its message id gets its answer again (errata to Part 4 §4.1.4)", async () => {
    const t = await bootAccepted(runtime);
    const frame = '[2,"dup-1","TriggerMessage",{"requestedMessage":"Heartbeat"}]';
    expect(send(t, frame)).toEqual([[3, "dup-1", { status: "Accepted" }], [2, expect.any(String), "Heartbeat", {}]]);
    await t.settle();
    t.csms.take();
    // The same answer, and the message is not triggered a second time.
    expect(send(t, frame)).toEqual([[3, "dup-1", { status: "Accepted" }]]);
    await t.settle();
    expect(t.csms.take()).toEqual([]);
    // The same id with another payload is no retry: handled as the CALL it is.
    const other = '[2,"dup-1","TriggerMessage",{"requestedMessage":"StatusNotification","evse":{"id":1,"connectorId":1}}]';
    expect(send(t, other)).toEqual([[3, "dup-1", { status: "Accepted" }], [2, expect.any(String), "StatusNotification", expect.any(Object)]]);
    await t.settle();
    t.csms.take();
    // A CALLERROR is kept the same way.
    const bad = '[2,"dup-2","TriggerMessage",{}]';
    const first = send(t, bad);
    expect(first[0].slice(0, 3)).toEqual([4, "dup-2", "OccurrenceConstraintViolation"]);
    expect(send(t, bad)).toEqual(first);
    // After a reconnect the same id is a new CALL on the new connection: handled again.
    t.csms.drop();
    t.board.advance(120);
    await t.settle();
    t.csms.take();
    expect(send(t, frame)).toEqual([[3, "dup-1", { status: "Accepted" }], [2, expect.any(String), "Heartbeat", {}]]);
  });

  it("a message id of 36 two-byte characters is processed and echoed (Part 4 §4.1.4 counts characters)", async () => {
    const t = await bootAccepted(runtime);
    const id = "ü".repeat(36);
    const frames = send(t, JSON.stringify([2, id, "TriggerMessage", { requestedMessage: "StatusNotification", evse: { id: 1, connectorId: 1 } }]));
    expect(frames[0]).toEqual([3, id, { status: "Accepted" }]);
    const err = send(t, JSON.stringify([2, "é".repeat(20), "TriggerMessage", {}]));
    expect(err[0].slice(0, 3)).toEqual([4, "é".repeat(20), "OccurrenceConstraintViolation"]);
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
