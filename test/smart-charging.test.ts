// The smart-charging block on every runtime against the schema-strict scripted CSMS: profiles set,
// replaced, cleared, reported and kept across a reboot, the composite schedule answered, and the
// composite limit on the pilot offer (the simulated EV follows it). Part 6 test cases by id.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { advance, call, evse, flush, plug, sent, tes, token, unplug } from "./tx-harness";
import { profile, scStation } from "./sc-harness";


describe.each(RUNTIMES)("smart charging on %s", (runtime) => {
  it("TC_K_01_CS: a TxDefaultProfile on EVSE 1 is Accepted and caps the offer of its sessions; EVSE 2 is not capped", async () => {
    const t = await scStation(runtime);
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(1, "TxDefaultProfile", 0, [[0, 10]]) })).toEqual({ status: "Accepted" });
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, "OK-SC1", e);
    }
    await advance(t, 3);
    expect(evse(t, 1).offerDa).toBe(100);
    expect(evse(t, 2).offerDa).toBe(160);
    // The EV follows: about 10 A on each of 3 phases, so at most ~6.9 kW.
    expect(evse(t, 1).ev.drawA).toBeLessThanOrEqual(10);
  });

  it("TC_K_02_CS: a TxProfile without a transaction on the EVSE is Rejected, TxNotFound; TC_K_14_CS an unknown EVSE, UnknownEvse", async () => {
    const t = await scStation(runtime);
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(2, "TxProfile", 0, [[0, 10]]) })).toMatchObject({ status: "Rejected", statusInfo: { reasonCode: "TxNotFound" } });
    expect(call(t, "SetChargingProfile", { evseId: 7, chargingProfile: profile(3, "TxDefaultProfile", 0, [[0, 10]]) })).toMatchObject({ status: "Rejected", statusInfo: { reasonCode: "UnknownEvse" } });
  });

  it("TC_K_03_CS: a ChargingStationMaxProfile of 20 A is shared equally by the two EVSEs in a transaction", async () => {
    const t = await scStation(runtime);
    expect(call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(4, "ChargingStationMaxProfile", 0, [[0, 20]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) })).toEqual({ status: "Accepted" });
    plug(t, 1);
    token(t, "OK-SC3", 1);
    await advance(t, 2);
    // Alone: the whole station limit.
    expect(evse(t, 1).offerDa).toBe(200);
    const id1 = (await tes(t)).find((te) => te.evse?.id === 1)?.transactionInfo.transactionId;
    plug(t, 2);
    token(t, "OK-SC3b", 2);
    await advance(t, 2);
    expect(evse(t, 1).offerDa).toBe(100);
    expect(evse(t, 2).offerDa).toBe(100);
    // The sharing moved EVSE 1's rate (20 -> 10 A), which the CSMS cannot know: ChargingRateChanged for it
    // (K11.FR.04's trigger), none for the transaction that just started.
    const l = await tes(t);
    expect(l.filter((te) => te.triggerReason === "ChargingRateChanged").map((te) => te.transactionInfo.transactionId)).toEqual([id1]);
  });

  it("a station limit shared in proportion to the EVSEs' rated currents when the OEM sets SmartChargingCtrlr.LimitSharing to Rated (32 A and 16 A EVSEs, 24 A: 16 A and 8 A)", async () => {
    const t = await scStation(runtime, { "SmartChargingCtrlr/LimitSharing": "Rated" });
    expect(call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(4, "ChargingStationMaxProfile", 0, [[0, 24]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) })).toEqual({ status: "Accepted" });
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, `OK-SCR${e}`, e);
    }
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([160, 80]);
  });

  it("a station limit goes where it can be used: what an EVSE capped by its own profile cannot take goes to the other (30 A, EVSE 2 at 8 A: EVSE 1 gets 22 A, not 15)", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(4, "ChargingStationMaxProfile", 0, [[0, 30]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) });
    call(t, "SetChargingProfile", { evseId: 2, chargingProfile: profile(5, "TxDefaultProfile", 0, [[0, 8]]) });
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, `OK-SCW${e}`, e);
    }
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([220, 80]);
  });

  it("a station limit in W is shared as power: a one-phase EVSE's part is three times the current of a three-phase one's (11040 W: the 16 A one-phase EVSE takes its 3680 W, the three-phase one the remaining 7360 W, 10.6 A)", async () => {
    const t = await scStation(runtime, { "EVSE#2/SupplyPhases": "1" });
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: { ...profile(4, "ChargingStationMaxProfile", 0, [], { chargingProfileKind: "Absolute" }), chargingSchedule: [{ id: 1, chargingRateUnit: "W", startSchedule: "2026-01-01T00:00:00Z", chargingSchedulePeriod: [{ startPeriod: 0, limit: 11040 }] }] } });
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, `OK-SCP${e}`, e);
    }
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([106, 160]);
  });

  it("K04.FR.05: an EV its own profile holds below its minChargingRate still takes part in the station's limit (Max 16 A, EVSE 1 at 8 A with minChargingRate 10 A: 8 A + 8 A, not 8 A + 16 A)", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(4, "ChargingStationMaxProfile", 0, [[0, 16]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) });
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(5, "TxDefaultProfile", 0, [[0, 8]], {}, { minChargingRate: 10 }) });
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, `OK-SCN${e}`, e);
    }
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([80, 80]);
  });

  it("K09: GetChargingProfiles reports one profile per ReportChargingProfiles, the next once the CSMS took the one before (tbc on all but the last, K09.FR.02); a second request's parts follow the first's", async () => {
    const t = await scStation(runtime);
    for (const id of [11, 12, 13]) expect(call(t, "SetChargingProfile", { evseId: id === 13 ? 0 : 1, chargingProfile: profile(id, "TxDefaultProfile", id - 10, [[0, id]]) })).toEqual({ status: "Accepted" });
    delete t.csms.autoReply.ReportChargingProfiles;
    await sent(t);
    expect(call(t, "GetChargingProfiles", { requestId: 7, chargingProfile: { chargingProfilePurpose: "TxDefaultProfile" } })).toEqual({ status: "Accepted" });
    expect(call(t, "GetChargingProfiles", { requestId: 8, chargingProfile: { chargingProfileId: [12] } })).toEqual({ status: "Accepted" });
    const parts: Record<string, unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const r = (await sent(t)).filter((f) => f[2] === "ReportChargingProfiles");
      // One at a time: the next waits for the answer.
      expect(r.length).toBe(1);
      parts.push(r[0][3] as Record<string, unknown>);
      t.csms.reply(r[0], {});
    }
    expect(await sent(t, "ReportChargingProfiles")).toEqual([]);
    expect(parts.map((p) => [p.requestId, p.evseId, p.tbc, (p.chargingProfile as { id: number }[]).map((c) => c.id)])).toEqual([
      [7, 0, true, [13]],
      [7, 1, true, [11]],
      [7, 1, false, [12]],
      [8, 1, false, [12]],
    ]);
  });

  it("profiles that can never apply again go (profile expiry): past validTo, or Absolute past startSchedule + duration; a validTo past 2038 is taken (no end for this station)", async () => {
    const t = await scStation(runtime);
    // The station's time is 2026-11-24T10:00:00Z.
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(21, "TxDefaultProfile", 1, [[0, 10]], { validTo: "2026-11-24T10:01:00Z" }) })).toEqual({ status: "Accepted" });
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(22, "TxDefaultProfile", 2, [[0, 12]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-11-24T09:59:00Z", duration: 180 }) })).toEqual({ status: "Accepted" });
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(23, "TxDefaultProfile", 3, [[0, 14]], { validTo: "2099-01-01T00:00:00Z" }) })).toEqual({ status: "Accepted" });
    const entries = () => (call(t, "GetVariables", { getVariableData: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "Entries", instance: "ChargingProfiles" } }] }).getVariableResult as { attributeValue: string }[])[0].attributeValue;
    expect(entries()).toBe("3");
    await advance(t, 62);
    expect(entries()).toBe("2");
    await advance(t, 60);
    expect(entries()).toBe("1");
    expect(call(t, "GetChargingProfiles", { requestId: 3, chargingProfile: { chargingProfileId: [21, 22] } })).toEqual({ status: "NoProfiles" });
    // Gone from flash too: not back after a reboot.
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await flush(t);
    expect(entries()).toBe("1");
  });

  it("a station limit too small for two EVs (10 A: 5 A each, below IEC 61851's 6 A): the transaction that started first charges at 10 A, the later one waits (SuspendedEVSE) and gets it when the first ends", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(4, "ChargingStationMaxProfile", 0, [[0, 10]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) });
    plug(t, 1);
    token(t, "OK-SCT1", 1);
    await advance(t, 2);
    plug(t, 2);
    token(t, "OK-SCT2", 2);
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([100, 0]);
    const l = await tes(t);
    const id2 = l.find((te) => te.evse?.id === 2)?.transactionInfo.transactionId;
    const states = l.filter((te) => te.transactionInfo.transactionId === id2 && te.transactionInfo.chargingState !== undefined).map((te) => te.transactionInfo.chargingState);
    expect(states.at(-1)).toBe("SuspendedEVSE");
    unplug(t, 1);
    await advance(t, 3);
    expect(evse(t, 2).offerDa).toBe(100);
  });

  it("minChargingRate (the EV's least rate, for a local sharing algorithm): an EV that needs 12 A does not get 10 A of a 20 A station limit; the later transaction waits and the first gets 20 A", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(4, "ChargingStationMaxProfile", 0, [[0, 20]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) });
    plug(t, 1);
    token(t, "OK-SCM1", 1);
    plug(t, 2);
    token(t, "OK-SCM2", 2);
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([100, 100]);
    const l = await tes(t);
    const id2 = l.find((te) => te.evse?.id === 2)?.transactionInfo.transactionId as string;
    expect(call(t, "SetChargingProfile", { evseId: 2, chargingProfile: profile(6, "TxProfile", 0, [[0, 16]], { transactionId: id2 }, { minChargingRate: 12 }) })).toEqual({ status: "Accepted" });
    await advance(t, 2);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([200, 0]);
    // A lower minimum fits: 10 A each again.
    expect(call(t, "SetChargingProfile", { evseId: 2, chargingProfile: profile(6, "TxProfile", 0, [[0, 16]], { transactionId: id2 }, { minChargingRate: 8 }) })).toEqual({ status: "Accepted" });
    await advance(t, 2);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([100, 100]);
  });

  it("TC_K_05_CS / TC_K_08_CS: ClearChargingProfile by id Accepted and the cap is lifted at once (K10.FR.05); nothing to clear: Unknown (K10.FR.01)", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(5, "TxDefaultProfile", 0, [[0, 8]]) });
    plug(t);
    token(t, "OK-SC5");
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(80);
    expect(call(t, "ClearChargingProfile", { chargingProfileId: 5 })).toEqual({ status: "Accepted" });
    await advance(t, 1);
    expect(evse(t).offerDa).toBe(320);
    expect(call(t, "ClearChargingProfile", { chargingProfileId: 5 })).toEqual({ status: "Unknown" });
    expect(call(t, "ClearChargingProfile", { chargingProfileCriteria: { chargingProfilePurpose: "TxDefaultProfile", stackLevel: 0 } })).toEqual({ status: "Unknown" });
  });

  it("TC_K_13_CS: profiles are kept across a reboot", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(6, "TxDefaultProfile", 1, [[0, 12]]) });
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 1);
    plug(t);
    token(t, "OK-SC6");
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(120);
    expect(call(t, "GetVariables", { getVariableData: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "Entries", instance: "ChargingProfiles" } }] })).toMatchObject({ getVariableResult: [{ attributeStatus: "Accepted", attributeValue: "1" }] });
  });

  it("TC_K_29_CS / TC_K_30_CS / TC_K_31_CS: GetChargingProfiles reports the matching profiles per EVSE with the requestId, tbc on all but the last; none: NoProfiles", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(7, "ChargingStationMaxProfile", 0, [[0, 40]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) });
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(8, "TxDefaultProfile", 2, [[0, 16.5], [3600, 6]]) });
    await sent(t);
    expect(call(t, "GetChargingProfiles", { requestId: 11, evseId: 1, chargingProfile: { chargingProfilePurpose: "TxDefaultProfile" } })).toEqual({ status: "Accepted" });
    let r = (await sent(t, "ReportChargingProfiles")).map((f) => f[3] as Record<string, unknown>);
    expect(r).toEqual([{ requestId: 11, chargingLimitSource: "CSO", tbc: false, evseId: 1, chargingProfile: [profile(8, "TxDefaultProfile", 2, [[0, 16.5], [3600, 6]])] }]);
    expect(call(t, "GetChargingProfiles", { requestId: 12, chargingProfile: { chargingLimitSource: ["CSO"] } })).toEqual({ status: "Accepted" });
    r = (await sent(t, "ReportChargingProfiles")).map((f) => f[3] as Record<string, unknown>);
    expect(r.map((x) => `${x.requestId}/${x.evseId}/${x.tbc}`)).toEqual(["12/0/true", "12/1/false"]);
    expect(call(t, "GetChargingProfiles", { requestId: 13, evseId: 2, chargingProfile: { stackLevel: 2 } })).toEqual({ status: "NoProfiles" });
  });

  it("TC_K_37_CS: RequestStartTransaction with a chargingProfile: the TxProfile caps the transaction; it goes with it", async () => {
    const t = await scStation(runtime);
    const cp = profile(9, "TxProfile", 0, [[0, 7]]);
    expect(call(t, "RequestStartTransaction", { idToken: { idToken: "OK-SC9", type: "Central" }, remoteStartId: 5, evseId: 1, chargingProfile: cp }).status).toBe("Accepted");
    plug(t);
    await advance(t, 2);
    const l = await tes(t);
    expect(l[0].transactionInfo.remoteStartId).toBe(5);
    expect(evse(t).offerDa).toBe(70);
    const id = l[0].transactionInfo.transactionId;
    expect(call(t, "GetChargingProfiles", { requestId: 1, evseId: 1, chargingProfile: { chargingProfilePurpose: "TxProfile" } })).toEqual({ status: "Accepted" });
    const [rep] = (await sent(t, "ReportChargingProfiles")).map((f) => f[3] as { chargingProfile: { transactionId?: string }[] });
    expect(rep.chargingProfile[0].transactionId).toBe(id);
    call(t, "RequestStopTransaction", { transactionId: id });
    await advance(t, 1);
    expect(call(t, "GetChargingProfiles", { requestId: 2, chargingProfile: { chargingProfilePurpose: "TxProfile" } })).toEqual({ status: "NoProfiles" });
  });

  it("TC_K_39_CS / TC_K_47_CS: GetCompositeSchedule with no profile: the rated current for the duration; an unknown EVSE: Rejected", async () => {
    const t = await scStation(runtime);
    const r = call(t, "GetCompositeSchedule", { duration: 300, evseId: 1, chargingRateUnit: "A" }) as { status: string; schedule: Record<string, unknown> };
    expect(r.status).toBe("Accepted");
    expect(r.schedule).toMatchObject({ evseId: 1, duration: 300, chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 32 }] });
    expect(call(t, "GetCompositeSchedule", { duration: 300, evseId: 9 })).toMatchObject({ status: "Rejected" });
  });

  it("TC_K_12_CS / TC_K_42_CS: a station that takes A only (SmartChargingCtrlr.RateUnit) rejects a profile and a composite schedule in W", async () => {
    const t = await scStation(runtime, { "SmartChargingCtrlr/RateUnit": "A" });
    const w = profile(12, "TxDefaultProfile", 0, [[0, 11000]], {}, { chargingRateUnit: "W" });
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: w })).toMatchObject({ status: "Rejected", statusInfo: { reasonCode: "UnsupportedRateUnit" } });
    expect(call(t, "GetCompositeSchedule", { duration: 60, evseId: 1, chargingRateUnit: "W" })).toMatchObject({ status: "Rejected", statusInfo: { reasonCode: "UnsupportedRateUnit" } });
    expect(call(t, "GetCompositeSchedule", { duration: 60, evseId: 1, chargingRateUnit: "A" })).toMatchObject({ status: "Accepted" });
  });

  it("K01: with SmartChargingCtrlr.Enabled false a profile is Rejected (NotEnabled) and none caps the offer (TC_K_15_CS, a station without the block: test/smart-charging-tc.test.ts)", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(13, "TxDefaultProfile", 0, [[0, 9]]) });
    call(t, "SetVariables", { setVariableData: [{ attributeValue: "false", component: { name: "SmartChargingCtrlr" }, variable: { name: "Enabled" } }] });
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(14, "TxDefaultProfile", 1, [[0, 9]]) })).toMatchObject({ status: "Rejected", statusInfo: { reasonCode: "NotEnabled" } });
    plug(t);
    token(t, "OK-SC15");
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(320);
  });

  it("a whole session with the block in the build: Started first, one Ended; no profile: each EVSE offers its rated current, the station's rated total shares nothing", async () => {
    const t = await scStation(runtime);
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, "OK-SCX", e);
    }
    await advance(t, 3);
    expect(evse(t, 1).offerDa).toBe(320);
    expect(evse(t, 2).offerDa).toBe(160);
    const l = await tes(t);
    const first = l.filter((e) => e.evse?.id === 1 || e.seqNo === 0);
    expect(first[0]).toMatchObject({ eventType: "Started", seqNo: 0 });
    const id = l.find((e) => e.eventType === "Started" && e.evse?.id === 1)!.transactionInfo.transactionId;
    call(t, "RequestStopTransaction", { transactionId: id });
    await advance(t, 2);
    const mine = (await tes(t)).filter((e) => e.transactionInfo.transactionId === id);
    expect(mine.filter((e) => e.eventType === "Ended")).toHaveLength(1);
    expect(mine.map((e) => e.seqNo)).toEqual([...mine.map((e) => e.seqNo)].sort((a, b) => a - b));
  });

  it("K01.FR.27: a profile with a decimal limit (6.1 A) is journaled exactly and comes back after a reboot", async () => {
    const t = await scStation(runtime);
    expect(call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(20, "TxDefaultProfile", 0, [[0, 6.1], [60, 16.5]]) })).toEqual({ status: "Accepted" });
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await sent(t);
    expect(call(t, "GetChargingProfiles", { requestId: 3, chargingProfile: { chargingProfilePurpose: "TxDefaultProfile" } })).toEqual({ status: "Accepted" });
    const [rep] = (await sent(t, "ReportChargingProfiles")).map((f) => f[3] as { chargingProfile: unknown[] });
    expect(rep.chargingProfile).toEqual([profile(20, "TxDefaultProfile", 0, [[0, 6.1], [60, 16.5]])]);
    plug(t);
    token(t, "OK-SC20");
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(61);
  });

  it("K05.FR.05: a RequestStartTransaction whose chargingProfile fails the K01 checks (stackLevel beyond ProfileStackLevel) or is no TxProfile (K05.FR.02) is Rejected, and nothing starts", async () => {
    const t = await scStation(runtime);
    const bad = call(t, "RequestStartTransaction", { idToken: { idToken: "OK-SC21", type: "Central" }, remoteStartId: 6, evseId: 1, chargingProfile: profile(21, "TxProfile", 99, [[0, 7]]) });
    expect(bad).toEqual({ status: "Rejected", statusInfo: { reasonCode: "InvalidStackLevel" } });
    const notTx = call(t, "RequestStartTransaction", { idToken: { idToken: "OK-SC21", type: "Central" }, remoteStartId: 7, evseId: 1, chargingProfile: profile(22, "TxDefaultProfile", 0, [[0, 7]]) });
    expect(notTx).toEqual({ status: "Rejected", statusInfo: { reasonCode: "InvalidProfile" } });
    plug(t);
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(0);
    expect((await sent(t, "TransactionEvent")).filter((f) => (f[3] as { eventType: string }).eventType === "Started" && (f[3] as { triggerReason: string }).triggerReason === "RemoteStart")).toEqual([]);
    // One that names a transaction: the one it starts has none yet.
    const named = call(t, "RequestStartTransaction", { idToken: { idToken: "OK-SC21", type: "Central" }, remoteStartId: 9, evseId: 1, chargingProfile: profile(24, "TxProfile", 0, [[0, 7]], { transactionId: "abc" }) });
    expect(named).toEqual({ status: "Rejected", statusInfo: { reasonCode: "InvalidProfile" } });
    // A valid one is taken and becomes the transaction's TxProfile (K05.FR.03).
    expect(call(t, "RequestStartTransaction", { idToken: { idToken: "OK-SC21", type: "Central" }, remoteStartId: 8, evseId: 1, chargingProfile: profile(23, "TxProfile", 0, [[0, 7]]) }).status).toBe("Accepted");
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(70);
  });

  it("F01.FR.10/13: a RequestStartTransaction for an EVSE whose transaction runs already (TxStartPoint EVConnected) names it, and its chargingProfile is that transaction's TxProfile at once", async () => {
    const t = await scStation(runtime, { "TxCtrlr/TxStartPoint": "EVConnected" });
    plug(t);
    await advance(t, 2);
    const r = call(t, "RequestStartTransaction", { idToken: { idToken: "OK-SC25", type: "Central" }, remoteStartId: 10, evseId: 1, chargingProfile: profile(25, "TxProfile", 0, [[0, 9]]) });
    expect(r.status).toBe("Accepted");
    expect(typeof r.transactionId).toBe("string");
    await advance(t, 2);
    expect(evse(t).offerDa).toBe(90);
  });

  it("GetCompositeSchedule: duration 0 is Rejected (a schedule has a period); a very long one is answered for a week at most", async () => {
    const t = await scStation(runtime);
    expect(call(t, "GetCompositeSchedule", { duration: 0, evseId: 1 })).toMatchObject({ status: "Rejected" });
    const r = call(t, "GetCompositeSchedule", { duration: 2147483647, evseId: 1 }) as { status: string; schedule: { duration: number } };
    expect(r.status).toBe("Accepted");
    expect(r.schedule.duration).toBe(604800);
  });

  it("a Relative TxDefaultProfile goes on from the transaction's start after a reboot that resumes it (TxResumptionTimeout)", async () => {
    const t = await scStation(runtime, { "TxCtrlr/TxResumptionTimeout": "60" });
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(22, "TxDefaultProfile", 0, [[0, 20], [30, 8]]) });
    plug(t);
    token(t, "OK-SC22");
    await advance(t, 5);
    expect(evse(t).offerDa).toBe(200);
    await advance(t, 35);
    expect(evse(t).offerDa).toBe(80);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 3);
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).offerDa).toBe(80);
  });

  it("without the time (no RTC, the CSMS unreachable after a reboot) each EVSE gets the lowest limit its profiles could set (fail safe)", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 0, chargingProfile: profile(23, "ChargingStationMaxProfile", 0, [[0, 30], [3600, 10]], { chargingProfileKind: "Absolute" }, { startSchedule: "2026-01-01T00:00:00Z" }) });
    t.board.rtcBase = undefined;
    t.csms.reachable = false;
    await t.board.powerCycle();
    await t.settle();
    plug(t);
    token(t, "OK-SC23");
    await advance(t, 3);
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).offerDa).toBe(100);
  });

  it("K08: GetCompositeSchedule in W merges TxDefault and a lower ChargingStationMax (230 V × 3 phases)", async () => {
    const t = await scStation(runtime);
    call(t, "SetChargingProfile", { evseId: 1, chargingProfile: profile(10, "TxDefaultProfile", 0, [[0, 16], [600, 10]]) });
    const r = call(t, "GetCompositeSchedule", { duration: 1200, evseId: 1, chargingRateUnit: "W" }) as { schedule: { chargingSchedulePeriod: unknown[] } };
    expect(r.schedule.chargingSchedulePeriod).toEqual([
      { startPeriod: 0, limit: 11040 },
      { startPeriod: 600, limit: 6900 },
    ]);
  });
});
