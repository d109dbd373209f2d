// Part 2 conformance details found by review, on every runtime: device-model mutability, dates past
// 2038, timestamps without a clock, the daily Heartbeat (each test names the requirement it checks).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, NOW_ISO, startStation } from "./harness";

type Result = { attributeStatus: string; attributeStatusInfo?: { reasonCode: string }; attributeValue?: string };

describe.each(RUNTIMES)("conformance on %s", (runtime) => {
  it("OCPPCommCtrlr.MessageTimeout[Default] is ReadOnly: SetVariables answers Rejected (Part 2 §2.1.3, TC_B_39_CS)", async () => {
    const t = await bootAccepted(runtime);
    const [, , p] = t.csms.call("SetVariables", {
      setVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "MessageTimeout", instance: "Default" }, attributeValue: "45" }],
    });
    const [r] = (p as { setVariableResult: (Result & { variable: unknown; component: unknown })[] }).setVariableResult;
    expect(r).toMatchObject({ attributeStatus: "Rejected", attributeStatusInfo: { reasonCode: "ReadOnly" } });
    expect(r.component).toEqual({ name: "OCPPCommCtrlr" });
    expect(r.variable).toEqual({ name: "MessageTimeout", instance: "Default" });
    const [, , g] = t.csms.call("GetVariables", {
      getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "MessageTimeout", instance: "Default" } }],
    });
    expect((g as { getVariableResult: Result[] }).getVariableResult[0]).toMatchObject({ attributeStatus: "Accepted", attributeValue: "30" });
  });

  it("DataTransfer: every vendorId is unknown to this station (P01.FR.05, TC_P_01_CS); a request without vendorId is a CALLERROR", async () => {
    const t = await bootAccepted(runtime);
    expect(t.csms.call("DataTransfer", { vendorId: "com.example.unknown", messageId: "Hello", data: { a: [1, 2] } })).toEqual([3, expect.any(String), { status: "UnknownVendorId" }]);
    const [kind, , code] = t.csms.call("DataTransfer", { messageId: "Hello" });
    expect([kind, code]).toEqual([4, "OccurrenceConstraintViolation"]);
  });

  it("a dateTime variable takes a valid date after 2038 (B05.FR.07 judges the format, not the VM's epoch range)", async () => {
    const t = await bootAccepted(runtime);
    const item = { component: { name: "ClockCtrlr" }, variable: { name: "NextTimeOffsetTransitionDateTime" } };
    const set = (v: string) => (t.csms.call("SetVariables", { setVariableData: [{ ...item, attributeValue: v }] })[2] as { setVariableResult: Result[] }).setVariableResult[0].attributeStatus;
    expect(set("2040-03-25T01:00:00Z")).toBe("Accepted");
    expect(set("2106-02-07T06:28:16+01:00")).toBe("Accepted");
    expect(set("2040-02-30T01:00:00Z")).toBe("Rejected");
    const [, , g] = t.csms.call("GetVariables", { getVariableData: [item] });
    expect((g as { getVariableResult: Result[] }).getVariableResult[0].attributeValue).toBe("2106-02-07T06:28:16+01:00");
  });

  it("no RTC and a time source other than the CSMS: timestamps are the CSMS's time, never 1970", async () => {
    const t = await startStation(runtime, { rtc: null, provision: { "ClockCtrlr/TimeSource": "NTP" } });
    t.csms.autoReply = { StatusNotification: {} };
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    const sn = t.csms.takeCalls();
    expect(sn.map((c) => (c[3] as { timestamp: string }).timestamp)).toEqual([NOW_ISO, NOW_ISO]);
    // The CSMS's time stands in for the station's timestamps; it does not set the board's RTC (TimeSource is NTP).
    expect(t.board.rtcBase).toBeUndefined();
  });

  /** Plugs or unplugs connector 1 every 10 minutes (keeping a 15-minute heartbeat timer from firing) until `end`; uptimes of Heartbeats sent. */
  async function trafficUntil(t: Awaited<ReturnType<typeof bootAccepted>>, end: number): Promise<number[]> {
    let plugged = false;
    const at: number[] = [];
    while (t.board.uptime < end) {
      t.board.uptime += 599;
      plugged = !plugged;
      if (plugged) t.board.plug(1);
      else t.board.unplug(1);
      t.board.advance(1);
      await t.settle();
      for (const c of t.csms.takeCalls()) if (c[2] === "Heartbeat") at.push(t.board.uptime);
    }
    return at;
  }

  it("a Heartbeat at least once a day under constant traffic when it sets the clock (G02.FR.07)", async () => {
    const t = await bootAccepted(runtime, {}, 900);
    const start = t.board.uptime;
    const at = await trafficUntil(t, start + 2 * 86400 + 1200);
    expect(at.length).toBe(2);
    expect(at[0] - start).toBeGreaterThanOrEqual(86400);
    expect(at[0] - start).toBeLessThanOrEqual(86400 + 600);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(86400);
  });

  it("no daily Heartbeat under traffic when another source sets the clock (G02.FR.07 applies to Heartbeat time only)", async () => {
    const t = await bootAccepted(runtime, { provision: { "ClockCtrlr/TimeSource": "NTP,RealTimeClock" } }, 900);
    expect(await trafficUntil(t, t.board.uptime + 2 * 86400 + 1200)).toEqual([]);
  });
});
