// The project's own seeded random-input test of the RPC layer (test/fuzz/): garbage, broken JSON,
// wrong frame shapes, schema mutations of valid CALLs, stray responses, reused ids and invalid UTF-8
// on every runtime, each reply judged by an oracle derived from Part 4 §4 and the official schemas.
// `npm test` runs a sample; `npm run test:faults` sweeps 100,000 frames per runtime (test/fuzz/sweep.ts).
// Env: FUZZ_FRAMES, FUZZ_SEED; FUZZ_ONLY=i replays frame i alone; FUZZ_REPORT=file logs failures.
//
// NOTE: written while the firmware still had the RPC defects it was written to catch (commit 82bbfe1:
// null frame, ids counted in bytes, null in arrays and objects, nesting bound, salvaged ids,
// prototype names on node, answered responses, reused ids): it fails until those are fixed.

import { describe, expect, it } from "vitest";
import { buildFacts } from "./fuzz/build-facts";
import { CSMS_TO_STATION, judge, Oracle } from "./fuzz/oracle";
import { Prng } from "./fuzz/prng";
import { FrameGen } from "./fuzz/rpc-frames";
import { OcppSchemas, sample } from "./fuzz/schemas";
import { fuzzSuite } from "./fuzz/suite";

// Every runtime gets the same frames: 10-40 s in all on two cores, depending on load (lua5.3-int32,
// fengari, takes about half).
fuzzSuite({
  frames: Number(process.env.FUZZ_FRAMES ?? 2500),
  seed: Number(process.env.FUZZ_SEED ?? 20261124),
  heapFrames: Number(process.env.FUZZ_HEAP_FRAMES ?? 600),
  msPerFrame: 40,
});

// The oracle is trusted by every run above, so it is pinned down on its own, against the spec text.
describe("fuzz oracle (Part 4 §4 and the official schemas, not the firmware)", () => {
  const schemas = new OcppSchemas();
  const facts = { handled: new Set(["GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage"]), maxFrameBytes: 8192, itemsPerMessage: { GetVariables: 2 }, bytesPerMessage: {} };
  const oracle = new Oracle(schemas, facts);
  const verdict = (frame: string | Buffer, replies: unknown[][]) => judge(oracle.expect(typeof frame === "string" ? Buffer.from(frame, "utf8") : frame), replies);
  const gv = { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] };
  const deep = (n: number): unknown => (n === 0 ? { vendorId: "v" } : { a: deep(n - 1) });
  const profile = {
    evseId: 1,
    chargingProfile: {
      id: 1, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Absolute",
      chargingSchedule: [{
        id: 1, chargingRateUnit: "W", chargingSchedulePeriod: [{ startPeriod: 0, limit: 1000 }],
        salesTariff: { id: 1, salesTariffEntry: [{ relativeTimeInterval: { start: 0 }, consumptionCost: [{ startValue: 0, cost: [{ costKind: "CarbonDioxideEmission", amount: 1, customData: { vendorId: "v" } }] }] }] },
      }],
    },
  };

  it.each<[string, string | Buffer, unknown[][], boolean]>([
    ["the frame null gets CALLERROR -1", "null", [[4, "-1", "RpcFrameworkError", "", {}]], true],
    ["a CALL with a 20-character ü id is answered with that id (string[36] counts characters)", JSON.stringify([2, "ü".repeat(20), "GetVariables", gv]), [[3, "ü".repeat(20), {}]], true],
    ["... and not with -1", JSON.stringify([2, "ü".repeat(20), "GetVariables", gv]), [[4, "-1", "RpcFrameworkError", "", {}]], false],
    ["a 37-character id gets -1", JSON.stringify([2, "a".repeat(37), "GetVariables", gv]), [[4, "-1", "RpcFrameworkError", "", {}]], true],
    ["null inside an array is a schema violation with the id", '[2,"n1","GetVariables",{"getVariableData":[null]}]', [[4, "n1", "TypeConstraintViolation", "", {}]], true],
    ["... not RpcFrameworkError", '[2,"n1","GetVariables",{"getVariableData":[null]}]', [[4, "n1", "RpcFrameworkError", "", {}]], false],
    ["an unknown message type keeps its id (§4.4)", '[null,"a5",{}]', [[4, "a5", "MessageTypeNotSupported", "", {}]], true],
    ["... not -1", '[null,"a5",{}]', [[4, "-1", "RpcFrameworkError", "", {}]], false],
    ["a numeric id gets -1, never the action name", '[2,7,"Foo",[null]]', [[4, "Foo", "RpcFrameworkError", "", {}]], false],
    ["... -1 is right", '[2,7,"Foo",[null]]', [[4, "-1", "RpcFrameworkError", "", {}]], true],
    ["a valid SetChargingProfile nesting 13 deep is NotSupported with the id", JSON.stringify([2, "s1", "SetChargingProfile", profile]), [[4, "s1", "NotSupported", "", {}]], true],
    ["... not a nesting error", JSON.stringify([2, "s1", "SetChargingProfile", profile]), [[4, "s1", "RpcFrameworkError", "", {}]], false],
    ["toString is an unknown action", '[2,"p1","toString",{}]', [[4, "p1", "NotImplemented", "", {}]], true],
    ["... a CALLRESULT is wrong", '[2,"p1","toString",{}]', [[3, "p1", {}]], false],
    ["a response to an unknown id is dropped (§4.2.3)", '[3,"nobody",{}]', [], true],
    ["... never answered", '[3,"nobody",{}]', [[4, "nobody", "RpcFrameworkError", "", {}]], false],
    ["a response without an id is dropped too", "[3]", [], true],
    ["an unreadable response is dropped", '[3,"x1",{"a":', [], true],
    ["an unreadable CALL may keep its id", '[2,"t1","Heartbeat",{', [[4, "t1", "RpcFrameworkError", "", {}]], true],
    ["... or use -1", '[2,"t1","Heartbeat",{', [[4, "-1", "RpcFrameworkError", "", {}]], true],
    ["... but must answer", '[2,"t1","Heartbeat",{', [], false],
    ["invalid UTF-8 is not JSON", Buffer.concat([Buffer.from('[2,"u1","TriggerMessage",{"requestedMessage":"'), Buffer.from([0xff]), Buffer.from('"}]')]), [[3, "u1", {}]], false],
    ["null for an optional object is not allowed (§4.1.5)", '[2,"e1","TriggerMessage",{"requestedMessage":"Heartbeat","evse":null}]', [[3, "e1", { status: "Accepted" }]], false],
    ["a deep customData extension is valid (§9)", JSON.stringify([2, "c1", "TriggerMessage", { requestedMessage: "Heartbeat", customData: { vendorId: "v", x: [[[1]]] } }]), [[3, "c1", {}]], true],
    ["... or, deeper than the schema, refused by a nesting bound", JSON.stringify([2, "c1", "TriggerMessage", { requestedMessage: "Heartbeat", customData: { vendorId: "v", x: deep(30) } }]), [[4, "-1", "RpcFrameworkError", "", {}]], true],
    ["more items than ItemsPerMessage MAY be refused (B06.FR.16)", JSON.stringify([2, "i1", "GetVariables", { getVariableData: [gv.getVariableData[0], gv.getVariableData[0], gv.getVariableData[0]] }]), [[4, "i1", "OccurrenceConstraintViolation", "", {}]], true],
    ["an unknown property with a null value is still unknown (additionalProperties: false)", '[2,"e2","GetBaseReport",{"requestId":1,"reportBase":"FullInventory","x":null}]', [[3, "e2", { status: "Accepted" }]], false],
    ["the id of a broken frame is its second element, not the next string", '[2,0,"ClearCache",{', [[4, "ClearCache", "RpcFrameworkError", "", {}]], false],
    ["... nor a string nested in it", '[2,["x"],"TriggerMessage",{', [[4, "x", "RpcFrameworkError", "", {}]], false],
    ["a broken frame of type 30 is not a response: it gets a CALLERROR", '[30,"x",{', [], false],
    ["a CALL to a station-to-CSMS action: NotSupported or NotImplemented", '[2,"b1","BootNotification",{}]', [[4, "b1", "NotImplemented", "", {}]], true],
    ["a known action outside the build: NotSupported", '[2,"r1","Reset",{"type":"Immediate"}]', [[4, "r1", "NotSupported", "", {}]], true],
  ])("%s", (_name, frame, replies, ok) => {
    expect(verdict(frame, replies) === undefined).toBe(ok);
  });

  it("knows every CSMS-to-station action by its official schema", () => {
    for (const a of CSMS_TO_STATION) expect(schemas.has(`${a}Request`)).toBe(true);
  });

  it("draws payloads the official schemas accept", () => {
    const r = new Prng(7);
    for (const a of CSMS_TO_STATION) {
      for (let i = 0; i < 20; i++) {
        const p = sample(schemas.node(`${a}Request`), r, { optional: r.next(), customData: r.next(), maxArray: 3 });
        expect(schemas.valid(`${a}Request`, p), `${a}: ${JSON.stringify(p)}`).toBe(true);
      }
    }
  });

  it("gives the same frames for the same seed", () => {
    const facts = buildFacts("core");
    const a = new FrameGen(42, facts, schemas);
    const b = new FrameGen(42, facts, schemas);
    for (let i = 0; i < 500; i++) expect(a.next().bytes.equals(b.next().bytes)).toBe(true);
  });
});
