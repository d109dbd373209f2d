// B05–B08 device model on every runtime: GetVariables, SetVariables, base and custom reports
// (Part 6 TC_B_06/07/32/33/34, TC_B_09–11/35, TC_B_12–18).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, Frame, NOW_ISO, startStation, TestStation } from "./harness";

type Obj = Record<string, unknown>;
const cv = (component: string, variable: string, extra: Obj = {}) => ({ component: { name: component }, variable: { name: variable }, ...extra });

function results(answer: Frame, field: string): Obj[] {
  expect(answer[0]).toBe(3);
  return (answer[2] as Obj)[field] as Obj[];
}

/** Runs a report request and returns the response plus every NotifyReport payload, answered one by one. */
async function report(t: TestStation, action: string, payload: Obj): Promise<{ answer: Frame; parts: Obj[] }> {
  t.csms.autoReply.NotifyReport = {};
  const answer = t.csms.call(action, payload);
  await t.settle();
  const parts = t.csms.takeCalls().filter((c) => c[2] === "NotifyReport").map((c) => c[3] as Obj);
  return { answer, parts };
}

const items = (parts: Obj[]) => parts.flatMap((p) => p.reportData as Obj[]);
const keyOf = (d: Obj) => {
  const c = d.component as Obj;
  const v = d.variable as Obj;
  const e = c.evse as Obj | undefined;
  return `${c.name}${e ? `#${e.id}${e.connectorId ? `.${e.connectorId}` : ""}` : ""}/${v.name}${v.instance ? `[${v.instance}]` : ""}`;
};

describe.each(RUNTIMES)("device model on %s", (runtime) => {
  it("GetVariables single value without attributeType answers Actual (TC_B_06, B06.FR.11)", async () => {
    const t = await bootAccepted(runtime);
    const [r] = results(t.csms.call("GetVariables", { getVariableData: [cv("OCPPCommCtrlr", "OfflineThreshold")] }), "getVariableResult");
    expect(r).toEqual({ attributeStatus: "Accepted", attributeType: "Actual", attributeValue: "60", ...cv("OCPPCommCtrlr", "OfflineThreshold") });
  });

  it("GetVariables: several values, unknown component/variable, unsupported attribute, WriteOnly (TC_B_07/32/33/34)", async () => {
    const t = await bootAccepted(runtime);
    t.board.plug(1);
    await t.settle();
    const rs = results(
      t.csms.call("GetVariables", {
        getVariableData: [
          cv("OCPPCommCtrlr", "MessageTimeout", { attributeType: "Actual", variable: { name: "MessageTimeout", instance: "Default" } }),
          cv("AuthCtrlr", "LocalAuthorizeOffline", { attributeType: "Actual" }),
          cv("NoSuchCtrlr", "Enabled"),
          cv("OCPPCommCtrlr", "NoSuchVariable"),
          cv("OCPPCommCtrlr", "HeartbeatInterval", { attributeType: "Target" }),
          cv("SecurityCtrlr", "BasicAuthPassword"),
          { component: { name: "EVSE", evse: { id: 1 } }, variable: { name: "AvailabilityState" } },
          { component: { name: "Connector", evse: { id: 2, connectorId: 1 } }, variable: { name: "ConnectorType" } },
          { component: { name: "EVSE", evse: { id: 3 } }, variable: { name: "AvailabilityState" } },
          cv("ClockCtrlr", "DateTime"),
        ],
      }),
      "getVariableResult",
    );
    expect(rs.map((r) => [r.attributeStatus, r.attributeValue])).toEqual([
      ["Accepted", "30"],
      ["Accepted", "true"],
      ["UnknownComponent", undefined], // B06.FR.06: no value
      ["UnknownVariable", undefined], // B06.FR.07
      ["NotSupportedAttributeType", undefined], // B06.FR.08
      ["Rejected", undefined], // B06.FR.09
      ["Accepted", "Occupied"],
      ["Accepted", "cType2"],
      ["UnknownComponent", undefined],
      ["Accepted", expect.stringMatching(/^2026-11-24T10:00:\d\dZ$/)],
    ]);
    expect(rs[4].attributeType).toBe("Target"); // B06.FR.03
  });

  it("SetVariables: accepted values take effect and persist, bad ones are rejected (TC_B_09/10/11/35)", async () => {
    const t = await bootAccepted(runtime);
    const rs = results(
      t.csms.call("SetVariables", {
        setVariableData: [
          { ...cv("OCPPCommCtrlr", "OfflineThreshold"), attributeValue: "300" },
          { ...cv("AuthCtrlr", "LocalAuthorizeOffline"), attributeValue: "false", attributeType: "Actual" },
          { ...cv("OCPPCommCtrlr", "HeartbeatInterval"), attributeValue: "40" },
          { ...cv("OCPPCommCtrlr", "MessageTimeout"), attributeValue: "0", variable: { name: "MessageTimeout", instance: "Default" } },
          { ...cv("OCPPCommCtrlr", "HeartbeatInterval"), attributeValue: "soon" },
          { ...cv("ClockCtrlr", "TimeSource"), attributeValue: "Heartbeat,Sundial" },
          { ...cv("ChargingStation", "Model"), attributeValue: "X" },
          { ...cv("OCPPCommCtrlr", "HeartbeatInterval"), attributeValue: "40", attributeType: "MaxSet" },
          { ...cv("Nope", "Nope"), attributeValue: "1" },
          { ...cv("OCPPCommCtrlr", "Nope"), attributeValue: "1" },
          { ...cv("ClockCtrlr", "TimeSource"), attributeValue: "NTP,Heartbeat" },
          { ...cv("ClockCtrlr", "NextTimeOffsetTransitionDateTime"), attributeValue: "next tuesday" }, // TC_B_11_CS
          { ...cv("ClockCtrlr", "NextTimeOffsetTransitionDateTime"), attributeValue: "2027-03-28T01:00:00Z" },
        ],
      }),
      "setVariableResult",
    );
    expect(rs.map((r) => r.attributeStatus)).toEqual([
      "Accepted", "Accepted", "Accepted",
      "Rejected", "Rejected", "Rejected", // ReadOnly MessageTimeout (Part 2 §2.1.3), B05.FR.07 format, valuesList
      "Rejected", // B05.FR.09 ReadOnly
      "NotSupportedAttributeType", "UnknownComponent", "UnknownVariable", "Accepted",
      "Rejected", "Accepted",
    ]);
    expect(rs.map((r) => r.attributeType)).toEqual(["Actual", "Actual", "Actual", "Actual", "Actual", "Actual", "Actual", "MaxSet", "Actual", "Actual", "Actual", "Actual", "Actual"]); // B05.FR.12
    // SetVariableResultType names it attributeStatusInfo (the schema has no statusInfo there).
    expect(rs.map((r) => (r.attributeStatusInfo as { reasonCode?: string } | undefined)?.reasonCode)).toEqual([
      undefined, undefined, undefined, "ReadOnly", "InvalidValue", "InvalidValue", "ReadOnly",
      undefined, undefined, undefined, undefined, "InvalidValue", undefined,
    ]);
    // HeartbeatInterval 40 is in force at once.
    t.board.advance(39);
    expect(t.csms.takeCalls()).toEqual([]);
    t.board.advance(1);
    expect(t.csms.takeCalls().map((c) => c[2])).toEqual(["Heartbeat"]);
    // And survives a power cycle.
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 0, currentTime: NOW_ISO });
    await t.settle();
    t.csms.take();
    const got = results(
      t.csms.call("GetVariables", { getVariableData: [cv("OCPPCommCtrlr", "OfflineThreshold"), cv("OCPPCommCtrlr", "HeartbeatInterval"), cv("ClockCtrlr", "TimeSource"), cv("AuthCtrlr", "LocalAuthorizeOffline")] }),
      "getVariableResult",
    );
    expect(got.map((r) => r.attributeValue)).toEqual(["300", "40", "NTP,Heartbeat", "false"]);
  });

  it("SetVariables RebootRequired: the value applies after the reboot (SecurityCtrlr.Identity)", async () => {
    const t = await bootAccepted(runtime);
    const [r] = results(t.csms.call("SetVariables", { setVariableData: [{ ...cv("SecurityCtrlr", "Identity"), attributeValue: "CP-NEW" }] }), "setVariableResult");
    expect(r.attributeStatus).toBe("RebootRequired");
    const [now] = results(t.csms.call("GetVariables", { getVariableData: [cv("SecurityCtrlr", "Identity")] }), "getVariableResult");
    expect(now.attributeValue).toBe("CP 1");
    await t.board.powerCycle();
    await t.settle();
    expect(t.csms.connects.at(-1)!.url).toBe("ws://csms.test/ocpp/CP-NEW");
  });

  it("ItemsPerMessage and BytesPerMessage are enforced with CALLERRORs (B06.FR.16/17)", async () => {
    const t = await bootAccepted(runtime);
    const many = Array.from({ length: 17 }, () => cv("OCPPCommCtrlr", "OfflineThreshold"));
    const err = t.csms.call("GetVariables", { getVariableData: many });
    expect(err.slice(0, 3)).toEqual([4, expect.any(String), "OccurrenceConstraintViolation"]);
    const set = t.csms.call("SetVariables", { setVariableData: Array.from({ length: 17 }, () => ({ ...cv("OCPPCommCtrlr", "OfflineThreshold"), attributeValue: "61" })) });
    expect(set[2]).toBe("OccurrenceConstraintViolation");
  });

  it("GetBaseReport FullInventory streams every variable in bounded parts (TC_B_12/13, B08.FR.12/14)", async () => {
    const t = await bootAccepted(runtime);
    const { answer, parts } = await report(t, "GetBaseReport", { requestId: 7, reportBase: "FullInventory" });
    expect(answer[2]).toEqual({ status: "Accepted" });
    expect(parts.length).toBeGreaterThan(3);
    parts.forEach((p, i) => {
      expect(p.requestId).toBe(7);
      expect(p.seqNo).toBe(i);
      expect(p.tbc).toBe(i < parts.length - 1);
      expect(typeof p.generatedAt).toBe("string");
      expect((p.reportData as Obj[]).length).toBeLessThanOrEqual(16); // ItemsPerMessage[GetReport]
      expect(Buffer.byteLength(JSON.stringify([2, "1-99", "NotifyReport", p]))).toBeLessThanOrEqual(4096); // BytesPerMessage[GetReport]
    });
    const all = items(parts);
    const keys = all.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
    // Both EVSEs, both connectors, every Core controller.
    for (const k of ["EVSE#1/AvailabilityState", "EVSE#2/Power", "Connector#2.1/ConnectorType", "OCPPCommCtrlr/MessageTimeout[Default]", "DeviceDataCtrlr/ItemsPerMessage[GetReport]", "ClockCtrlr/DateTime", "SecurityCtrlr/SecurityProfile", "AuthCtrlr/LocalAuthorizeOffline", "TxCtrlr/TxStartPoint", "SampledDataCtrlr/TxUpdatedInterval", "AlignedDataCtrlr/Interval", "ChargingStation/AvailabilityState"]) {
      expect(keys).toContain(k);
    }
    for (const d of all) expect((d.variableCharacteristics as Obj).dataType).toEqual(expect.any(String));
    const power = all.find((d) => keyOf(d) === "EVSE#1/Power")!;
    expect(power.variableCharacteristics).toEqual({ dataType: "decimal", unit: "W", minLimit: 0, maxLimit: 22000, supportsMonitoring: false });
    const pw = all.find((d) => keyOf(d) === "SecurityCtrlr/BasicAuthPassword")!;
    expect(pw.variableAttribute).toEqual([{ type: "Actual", mutability: "WriteOnly", persistent: true, constant: false }]);
  });

  it("ConfigurationInventory lists only writable variables, SummaryInventory availability (TC_B_14/15)", async () => {
    const t = await bootAccepted(runtime);
    const conf = await report(t, "GetBaseReport", { requestId: 1, reportBase: "ConfigurationInventory" });
    expect(conf.answer[2]).toEqual({ status: "Accepted" });
    const confItems = items(conf.parts);
    expect(confItems.length).toBeGreaterThan(10);
    for (const d of confItems) expect(((d.variableAttribute as Obj[])[0].mutability as string)).not.toBe("ReadOnly");
    const sum = await report(t, "GetBaseReport", { requestId: 2, reportBase: "SummaryInventory" });
    expect(items(sum.parts).map(keyOf).filter((k) => k.endsWith("AvailabilityState")).sort()).toEqual(["ChargingStation/AvailabilityState", "Connector#1.1/AvailabilityState", "Connector#2.1/AvailabilityState", "EVSE#1/AvailabilityState", "EVSE#2/AvailabilityState"]);
  });

  it("GetReport by component/variable and criteria, EmptyResultSet (TC_B_16/17/18, B08.FR.15)", async () => {
    const t = await bootAccepted(runtime);
    const evse1 = { component: { name: "EVSE", evse: { id: 1 } }, variable: { name: "AvailabilityState" } };
    const one = await report(t, "GetReport", { requestId: 3, componentVariable: [evse1] });
    expect(one.answer[2]).toEqual({ status: "Accepted" });
    expect(one.parts.length).toBe(1);
    expect(one.parts[0]).toMatchObject({ requestId: 3, seqNo: 0, tbc: false });
    const [d] = one.parts[0].reportData as Obj[];
    expect(d).toEqual({
      component: { name: "EVSE", evse: { id: 1 } },
      variable: { name: "AvailabilityState" },
      variableAttribute: [{ type: "Actual", value: "Available", mutability: "ReadOnly", persistent: false, constant: false }],
      variableCharacteristics: { dataType: "OptionList", valuesList: "Available,Occupied,Reserved,Unavailable,Faulted", supportsMonitoring: false },
    });
    const available = await report(t, "GetReport", { requestId: 4, componentCriteria: ["Available"], componentVariable: [evse1] });
    expect(available.answer[2]).toEqual({ status: "Accepted" });
    expect(items(available.parts).map(keyOf)).toEqual(["EVSE#1/AvailabilityState"]);
    const problem = await report(t, "GetReport", { requestId: 5, componentCriteria: ["Problem"], componentVariable: [evse1] });
    expect(problem.answer[2]).toEqual({ status: "EmptyResultSet" });
    expect(problem.parts).toEqual([]);
    // TC_B_16_CS: criteria alone report the criterion variables that hold, nothing else.
    const enabled = await report(t, "GetReport", { requestId: 8, componentCriteria: ["Enabled"] });
    expect(enabled.answer[2]).toEqual({ status: "Accepted" });
    const en = items(enabled.parts);
    expect(en.map(keyOf)).toEqual(["AuthCtrlr/Enabled", "AuthCacheCtrlr/Enabled"]);
    expect(en[0].variableAttribute).toEqual([{ type: "Actual", value: "true", mutability: "ReadWrite", persistent: true, constant: false }]);
    expect(en[0].variableCharacteristics).toEqual({ dataType: "boolean", supportsMonitoring: false });
    const avail = items((await report(t, "GetReport", { requestId: 9, componentCriteria: ["Available", "Problem"] })).parts).map(keyOf);
    expect(avail.sort()).toEqual(["AuthCacheCtrlr/Available", "ChargingStation/Available", "Connector#1.1/Available", "Connector#2.1/Available", "EVSE#1/Available", "EVSE#2/Available"]);
    // A criterion variable set false drops out (B08.FR.09).
    t.csms.call("SetVariables", { setVariableData: [{ component: { name: "AuthCtrlr" }, variable: { name: "Enabled" }, attributeValue: "false" }, { component: { name: "AuthCacheCtrlr" }, variable: { name: "Enabled" }, attributeValue: "false" }] });
    expect((await report(t, "GetReport", { requestId: 10, componentCriteria: ["Enabled"] })).answer[2]).toEqual({ status: "EmptyResultSet" });
    // B08.FR.20: component without variable: all its variables; B08.FR.23: no evse: every EVSE.
    const comm = await report(t, "GetReport", { requestId: 6, componentVariable: [{ component: { name: "OCPPCommCtrlr" } }, { component: { name: "Connector" }, variable: { name: "ConnectorType" } }] });
    const ks = items(comm.parts).map(keyOf);
    expect(ks.filter((k) => k.startsWith("OCPPCommCtrlr/")).length).toBe(14);
    expect(ks.filter((k) => k.startsWith("Connector")).sort()).toEqual(["Connector#1.1/ConnectorType", "Connector#2.1/ConnectorType"]);
  });

  it("reports are answered while Pending, one at a time (B02.FR.01/02, B08.FR.16)", async () => {
    const t = await startStation(runtime);
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Pending", interval: 100, currentTime: NOW_ISO });
    t.csms.autoReply.NotifyReport = {};
    // Hold the first part unanswered to keep the report running.
    delete t.csms.autoReply.NotifyReport;
    const first = t.csms.call("GetBaseReport", { requestId: 1, reportBase: "FullInventory" });
    expect(first[2]).toEqual({ status: "Accepted" });
    const second = t.csms.call("GetBaseReport", { requestId: 2, reportBase: "FullInventory" });
    expect(second[2]).toEqual({ status: "Rejected" });
    const [part] = t.csms.takeCalls();
    expect(part[2]).toBe("NotifyReport");
    expect((part[3] as Obj).seqNo).toBe(0);
  });
});
