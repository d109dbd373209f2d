// The local EMS over MQTT (profiles/ems, profiles/smart-charging/external.ts) in two situations
// test/ems.test.ts does not reach, on every runtime, over a real broker (test/ems-harness.ts):
//  - the station has no time at all (no RTC, no CSMS has told it any): K12.FR.01 still holds, the
//    external limit is applied and shared among the EVSEs (smart charging's fail-safe path, which
//    places no schedule in time);
//  - a transaction a reboot left waiting (TxCtrlr.TxResumptionTimeout, its EV not back yet): an
//    external limit that moves the EVSE's limit sends no TransactionEvent ChargingRateChanged for it
//    (K11.FR.04 / K13.FR.03 are about a transaction that is charging), while the one that goes on gets it.

import { afterEach, describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import type { Frame } from "./harness";
import { advance, call, evse, plug, sent, TE, token } from "./tx-harness";
import { EmsStation, settleNet, STATION_ID, until } from "./ems-harness";
import { emsStationWith } from "./ems-station";

interface Meter {
  powerW: number;
  evses: { evseId: number; powerW: number; energyWh: number; limitA?: number }[];
}

const meterOf = (t: EmsStation) => t.ems.lastMeter(STATION_ID) as Meter | undefined;
/** Each EVSE's limit in the station's last meter message (undefined: none). */
const meterLimits = (t: EmsStation) => meterOf(t)?.evses.map((e) => e.limitA);
const teOf = (calls: Frame[]) => calls.filter((f) => f[2] === "TransactionEvent").map((f) => f[3] as TE);
const isRateChanged = (e: TE) => e.eventType === "Updated" && e.triggerReason === "ChargingRateChanged";

function getVar(t: EmsStation, comp: string, name: string): string | undefined {
  const r = call(t, "GetVariables", { getVariableData: [{ component: { name: comp }, variable: { name } }] });
  const v = (r.getVariableResult as { attributeValue?: string; attributeStatus: string }[])[0];
  return v.attributeStatus === "Accepted" ? v.attributeValue : undefined;
}

const stations: EmsStation[] = [];
afterEach(async () => {
  for (const t of stations.splice(0)) await t.close();
});

describe.each(RUNTIMES)("local EMS without the time on %s", (runtime) => {
  it("K12.FR.01 with no time known (no RTC, the CSMS never reached): the EMS limit is shared by the EVSEs at once, the pilot offers follow each change, {} lifts it", async () => {
    const t = await emsStationWith(runtime, { rtc: null, offline: true });
    stations.push(t);
    await until(t, () => meterOf(t) !== undefined, 30, "the first meter message");
    // 13 800 W over 3 x 230 V: 20 A for the whole station.
    await t.ems.publishLimit(STATION_ID, { limitW: 13800 });
    // No transaction (K12.FR.01: the total of all EVSEs within the limit): 10 A each, as the meter message tells.
    await until(t, () => JSON.stringify(meterLimits(t)) === "[10,10]", 25, "10 A for each EVSE in the meter message");
    // EVSE 1 (rated 32 A) charges alone: the whole 20 A is its.
    plug(t, 1);
    token(t, "OK-NOCLK1", 1);
    await advance(t, 3);
    expect(evse(t, 1).relayClosed).toBe(true);
    expect(evse(t, 1).offerDa).toBe(200);
    // EVSE 2 (rated 16 A) joins: 10 A each.
    plug(t, 2);
    token(t, "OK-NOCLK2", 2);
    await advance(t, 3);
    expect(evse(t, 2).relayClosed).toBe(true);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([100, 100]);
    // A lower limit in A: 14 A for the station, 7 A each, at once.
    await t.ems.publishLimit(STATION_ID, { limitA: 14 });
    await settleNet(t, () => evse(t, 1).offerDa === 70, "7 A on EVSE 1");
    expect(evse(t, 2).offerDa).toBe(70);
    // The EVs follow: the station's total draw stays within 14 A per phase.
    await advance(t, 5);
    expect(evse(t, 1).ev.drawA + evse(t, 2).ev.drawA).toBeLessThanOrEqual(14);
    // 10 A for the station: equal parts (5 A) would be below the 6 A an EV can charge at (IEC 61851-1), so
    // whatever the sharing, the offers add up to at most 10 A (K12.FR.01) and none is between 0 and 6 A.
    await t.ems.publishLimit(STATION_ID, { limitA: 10 });
    await settleNet(t, () => evse(t, 1).offerDa + evse(t, 2).offerDa <= 100, "10 A for the station");
    await advance(t, 2);
    const offers = [evse(t, 1).offerDa, evse(t, 2).offerDa];
    expect(offers[0] + offers[1]).toBeLessThanOrEqual(100);
    expect(offers.filter((o) => o > 0 && o < 60)).toEqual([]);
    // Lifted: the rated currents again.
    await t.ems.clearLimit(STATION_ID);
    await settleNet(t, () => evse(t, 1).offerDa === 320, "the limit lifted");
    expect(evse(t, 2).offerDa).toBe(160);
    // All of it without the time: no RTC was set and no CSMS was reached.
    expect(t.board.rtcBase).toBeUndefined();
    expect(t.csms.connects.length).toBeGreaterThan(0);
    expect(t.csms.open).toBe(false);
  });
});

describe.each(RUNTIMES)("local EMS and a transaction a reboot left waiting on %s", (runtime) => {
  it("K11.FR.04: an EMS limit during TxResumptionTimeout: ChargingRateChanged for the transaction that went on, none for the one still waiting for its EV; that one ends PowerLoss without it", async () => {
    const t = await emsStationWith(runtime, { provision: { "TxCtrlr/TxResumptionTimeout": "120" } });
    stations.push(t);
    await until(t, () => meterOf(t) !== undefined, 30, "the first meter message");
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, `OK-LOST${e}`, e);
    }
    await advance(t, 3);
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([320, 160]);
    const before = teOf(await sent(t));
    const idOf = (e: number) => before.find((x) => x.eventType === "Started" && x.evse?.id === e)?.transactionInfo.transactionId;
    const [tx1, tx2] = [idOf(1), idOf(2)];
    expect(tx1).toBeDefined();
    expect(tx2).toBeDefined();
    // The power goes; meanwhile EVSE 1's cable is pulled (the board hears nothing while it is off).
    t.board.powerLost = true;
    t.board.unplug(1);
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:10:00Z" });
    await advance(t, 2);
    // EVSE 2's EV is still there: its transaction goes on (Updated, AbnormalCondition); EVSE 1's waits.
    await until(t, () => getVar(t, "EmsCtrlr", "Connected") === "true", 30, "the EMS connection after the reboot");
    const resumed = teOf(await sent(t));
    const mine2 = resumed.filter((x) => x.transactionInfo.transactionId === tx2);
    expect(mine2[0]).toMatchObject({ eventType: "Updated", triggerReason: "AbnormalCondition" });
    expect(mine2.filter((x) => x.eventType !== "Updated" || isRateChanged(x))).toEqual([]);
    expect(resumed.filter((x) => x.transactionInfo.transactionId === tx1)).toEqual([]);
    expect(evse(t, 2).offerDa).toBe(160);
    expect(evse(t, 1).relayClosed).toBe(false);
    // 13 800 W: 20 A for the station, shared by the two transactions it knows of: 10 A each.
    await t.ems.publishLimit(STATION_ID, { limitW: 13800 });
    await settleNet(t, () => evse(t, 2).offerDa === 100, "the EMS limit on EVSE 2");
    const calls = await sent(t);
    expect(calls.filter((f) => f[2] === "NotifyChargingLimit").length).toBe(1);
    const moved = teOf(calls).filter(isRateChanged);
    // EVSE 2: 16 A to 10 A, more than LimitChangeSignificance (10 %): K11.FR.04.
    expect(moved.filter((x) => x.transactionInfo.transactionId === tx2).length).toBe(1);
    // EVSE 1's limit moved as much (32 A to 10 A), but its transaction is not charging, only waiting.
    expect(moved.filter((x) => x.transactionInfo.transactionId === tx1)).toEqual([]);
    expect(moved.length).toBe(1);
    // Its hardware stays as the reboot left it.
    expect(evse(t, 1).offerDa).toBe(0);
    expect(evse(t, 1).relayClosed).toBe(false);
    // TxResumptionTimeout runs out (120 s after power-up): Ended, PowerLoss, and still no ChargingRateChanged for it.
    const rest: TE[] = [];
    await until(
      t,
      () => {
        rest.push(...teOf(t.calls.splice(0)));
        return rest.some((x) => x.transactionInfo.transactionId === tx1 && x.eventType === "Ended");
      },
      140,
      "EVSE 1's transaction ended",
    );
    await advance(t, 1);
    rest.push(...teOf(await sent(t)));
    expect(rest.filter((x) => x.transactionInfo.transactionId === tx1).map((x) => `${x.eventType}/${x.triggerReason}/${x.transactionInfo.stoppedReason}`)).toEqual(["Ended/AbnormalCondition/PowerLoss"]);
    expect(t.board.uptime).toBeGreaterThanOrEqual(120);
  });

  it("K13.FR.03 / K11.FR.04: transactions a reboot left waiting for the time (no RTC, the CSMS out of reach, TxResumptionTimeout 0): an EMS limit and its lifting send no ChargingRateChanged for them, not even queued; once the time is known they end PowerLoss", async () => {
    const t = await emsStationWith(runtime);
    stations.push(t);
    await until(t, () => meterOf(t) !== undefined, 30, "the first meter message");
    for (const e of [1, 2]) {
      plug(t, e);
      token(t, `OK-WAIT${e}`, e);
    }
    await advance(t, 3);
    const ids = teOf(await sent(t))
      .filter((x) => x.eventType === "Started")
      .map((x) => x.transactionInfo.transactionId);
    expect(ids.length).toBe(2);
    // The power goes; the board has no RTC and the CSMS stays out of reach: no time after the reboot.
    t.board.rtcBase = undefined;
    t.csms.reachable = false;
    await t.board.powerCycle();
    await t.settle();
    await until(t, () => t.net.isOpen, 30, "the EMS connection after the reboot");
    await advance(t, 3);
    // Both wait (a transaction ends PowerLoss only once the time is known): no power.
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([0, 0]);
    // 13 800 W (10 A each), then a lower one, then lifted: each moves both EVSEs' limits by far more than 10 %.
    await t.ems.publishLimit(STATION_ID, { limitW: 13800 });
    await until(t, () => JSON.stringify(meterLimits(t)) === "[10,10]", 25, "10 A for each EVSE in the meter message");
    await t.ems.publishLimit(STATION_ID, { limitA: 12 });
    await until(t, () => JSON.stringify(meterLimits(t)) === "[6,6]", 25, "6 A for each EVSE in the meter message");
    await t.ems.clearLimit(STATION_ID);
    await until(t, () => JSON.stringify(meterLimits(t)) === "[null,null]", 25, "no limit in the meter message");
    expect([evse(t, 1).offerDa, evse(t, 2).offerDa]).toEqual([0, 0]);
    // The CSMS back: the boot tells the time; everything queued goes out.
    t.csms.reachable = true;
    const after: Frame[] = [];
    for (let i = 0; i < 180 && !t.csms.open; i++) {
      await advance(t, 1);
      after.push(...(await sent(t)));
    }
    expect(t.csms.open).toBe(true);
    const boot = after.find((f) => f[2] === "BootNotification");
    expect(boot).toBeDefined();
    t.csms.reply(boot!, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:30:00Z" });
    await advance(t, 5);
    after.push(...(await sent(t)));
    const l = teOf(after);
    expect(l.filter(isRateChanged)).toEqual([]);
    expect(l.filter((x) => x.eventType === "Ended").map((x) => `${ids.indexOf(x.transactionInfo.transactionId)}/${x.transactionInfo.stoppedReason}`).sort()).toEqual(["0/PowerLoss", "1/PowerLoss"]);
  });
});
