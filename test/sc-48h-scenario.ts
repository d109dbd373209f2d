// 48 virtual hours of smart charging (issue #8 §4), run by test/smart-charging-48h*.test.ts on every
// runtime. Two EVSEs charge all along, sharing the station's power under a Weekly recurring
// TxDefaultProfile, a ChargingStationMaxProfile cap, and a local EMS limit that changes every 15
// minutes over a real MQTT broker (aedes); a power cut halfway. Every second, once the EVs have had
// their settling time after a change: each EVSE's current stays within the limit the profiles and the
// EMS put on it (worked out here, independently of the station), the station's total within the lowest
// of its cap and the EMS limit, and after the reboot the profiles are still there.

import { afterEach, describe, expect, it } from "vitest";
import { RuntimeName } from "../sim/runtimes/image";
import { call, evse, plug, sent, token } from "./tx-harness";
import { EmsStation, emsStation, settleNet, STATION_ID } from "./ems-harness";
import { flush } from "./tx-harness";

/** Monday 00:00 UTC of that week: the Weekly profile's start. */
const MONDAY = Date.parse("2026-11-23T00:00:00Z") / 1000;
/** The EVs follow a new offer within this many seconds. */
const SETTLE_S = 3;

/** The Weekly TxDefaultProfile (station-wide, K01.FR.14): [seconds from Monday 00:00, A per EVSE]. */
const WEEKLY: [number, number][] = [
  [0, 16], [8 * 3600, 10], [18 * 3600, 20], [24 * 3600, 12], [30 * 3600, 32], [34 * 3600, 8], [42 * 3600, 14], [48 * 3600, 16], [60 * 3600, 6], [72 * 3600, 16],
];
/** The station's cap: ChargingStationMaxProfile, A per phase for the whole station. */
const CAP_A = 40;
/** The EMS limits, W for the station, one every 15 minutes in turn. */
const EMS_W = [18000, 9000, 25000, 13800, 6000, 30000, 11000];

function weeklyA(epoch: number): number {
  const t = (epoch - MONDAY) % (7 * 86400);
  let a = WEEKLY[0][1];
  for (const [s, v] of WEEKLY) if (t >= s) a = v;
  return a;
}

const stations: EmsStation[] = [];
afterEach(async () => {
  for (const t of stations.splice(0)) await t.close();
});

/** The station's wall clock as its board keeps it (the RTC the station sets from the CSMS's time). */
const clock = (t: EmsStation) => (t.board.rtcBase as number) + t.board.uptime;
const iso = (epoch: number) => new Date(epoch * 1000).toISOString().replace(".000", "");

/** The scenario on these runtimes (test/smart-charging-48h*.test.ts: one file per group, so vitest runs them side by side). */
export function scenario48h(runtimes: RuntimeName[], hours = 48): void {
  describe.each(runtimes)(`${hours} hours of smart charging on %s`, (runtime) => {
    it("the meter never shows more than the composite limit in force, the station never more than its cap, and the profiles survive a reboot", async () => {
      const t = await emsStation(runtime);
      stations.push(t);
      expect(call(t, "SetChargingProfile", {
        evseId: 0,
        chargingProfile: {
          id: 1, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Recurring", recurrencyKind: "Weekly",
          chargingSchedule: [{ id: 1, chargingRateUnit: "A", startSchedule: iso(MONDAY), chargingSchedulePeriod: WEEKLY.map(([startPeriod, limit]) => ({ startPeriod, limit })) }],
        },
      })).toEqual({ status: "Accepted" });
      expect(call(t, "SetChargingProfile", {
        evseId: 0,
        chargingProfile: {
          id: 2, stackLevel: 0, chargingProfilePurpose: "ChargingStationMaxProfile", chargingProfileKind: "Absolute",
          chargingSchedule: [{ id: 2, chargingRateUnit: "A", startSchedule: "2026-01-01T00:00:00Z", chargingSchedulePeriod: [{ startPeriod: 0, limit: CAP_A }] }],
        },
      })).toEqual({ status: "Accepted" });
      for (const e of [1, 2]) {
        t.board.setEv(e, { capacityWh: 1_000_000, socPercent: 0, maxPowerW: 22000 });
        plug(t, e);
        token(t, `OK-48H-${e}`, e);
      }
      let emsW = 0;
      let changedAt = 0;
      let lastLimits = "";
      let checked = 0;
      let peakW = 0;
      const offered = () => evse(t, 1).offerDa + evse(t, 2).offerDa;
      for (let s = 0; s < hours * 3600; s++) {
        const stationDa = () => Math.min(CAP_A * 10, Math.floor((emsW * 10) / 690));
        if (s % 900 === 0) {
          emsW = EMS_W[(s / 900) % EMS_W.length];
          await t.ems.publishLimit(STATION_ID, { limitW: emsW });
          // Over the broker, in real time: the offers come down to it (a higher limit needs no wait).
          await settleNet(t, () => offered() <= stationDa(), `the EMS limit of ${emsW} W at ${s} s`);
        }
        if (s === (hours / 2) * 3600) {
          // The power cut. The board's RTC keeps the time; the transactions end (PowerLoss) and start again.
          await t.board.powerCycle();
          await t.settle();
          const [boot] = t.csms.takeCalls().filter((f) => f[2] === "BootNotification");
          t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: iso(clock(t)) });
          await flush(t);
          // K01.FR.27: both profiles are back.
          expect(call(t, "GetVariables", { getVariableData: [{ component: { name: "SmartChargingCtrlr" }, variable: { name: "Entries", instance: "ChargingProfiles" } }] })).toMatchObject({ getVariableResult: [{ attributeValue: "2" }] });
          for (const e of [1, 2]) token(t, `OK-48H-${e}`, e);
          changedAt = s;
        }
        t.board.advance(1);
        // The sockets need turns of the event loop now and then (keep-alive, meter messages): the ones
        // flush gives them carry the broker's answers over loopback (a sleep on top cost 1 ms each time).
        if (s % 15 === 0) await flush(t);
        const epoch = clock(t);
        const limits = `${weeklyA(epoch)}/${emsW}`;
        if (limits !== lastLimits) {
          lastLimits = limits;
          changedAt = s;
        }
        if (s - changedAt <= SETTLE_S) continue;
        // Per EVSE the Weekly profile's current; the station the lowest of its cap and the EMS limit (3 x 230 V).
        // expect() only on a failure: one built for every check each second cost more than the checks.
        const a = [evse(t, 1).ev.drawA, evse(t, 2).ev.drawA];
        const evseMax = weeklyA(epoch) + 1e-6;
        const stationMax = stationDa() + 1e-6;
        for (const x of a) if (!(x <= evseMax)) expect(x, `an EVSE's current at ${s} s`).toBeLessThanOrEqual(evseMax);
        if (!((a[0] + a[1]) * 10 <= stationMax)) expect((a[0] + a[1]) * 10, `the station's current at ${s} s`).toBeLessThanOrEqual(stationMax);
        peakW = Math.max(peakW, evse(t, 1).reading.powerW + evse(t, 2).reading.powerW);
        checked++;
      }
      expect(checked).toBeGreaterThan(hours * 3600 * 0.9);
      // Real current all along, not two idle EVSEs.
      expect(peakW).toBeGreaterThan(5000);
      expect(evse(t, 1).ev.drawA + evse(t, 2).ev.drawA).toBeGreaterThan(0);
      await sent(t);
    }, 1_200_000);
  });
}
