// A compact charging profile (composite-schedule.ts Profile) back as a ChargingProfileType: what
// ReportChargingProfiles sends (K09) and what a journal compaction writes again. It gives back all a
// profile this station takes can hold: one chargingSchedule, no phaseToUse, no sales tariff.

import { idiv } from "../../firmware/arith";
import { jarr, Json, JsonObject } from "../../firmware/json";
import { isoTime } from "../../firmware/time";
import { periodAt, periodCount, Profile, PURPOSES } from "./composite-schedule";

/** A limit held in 0.1 A (unit "A") or W as a JSON number. */
export function limitJson(v: number, unit: string): Json {
  if (unit === "W") return v;
  // nonneg: limits are held >= 0.
  if (v % 10 === 0) return idiv(v, 10);
  // float: one decimal; the nearest float reads back as v tenths (limitOf rounds to the nearest).
  return v / 10;
}

export function profileJsonOf(p: Profile): JsonObject {
  const periods: JsonObject[] = jarr([]);
  for (let i = 0; i < periodCount(p.periods); i++) {
    const [start, limit, n] = periodAt(p.periods, i);
    const per: JsonObject = { startPeriod: start, limit: limitJson(limit, p.rateUnit) };
    if (n > 0) per.numberPhases = n;
    periods[periods.length] = per;
  }
  const sc: JsonObject = { id: p.scheduleId, chargingRateUnit: p.rateUnit, chargingSchedulePeriod: periods };
  if (p.startSchedule >= 0) sc.startSchedule = isoTime(p.startSchedule);
  if (p.duration >= 0) sc.duration = p.duration;
  if (p.minChargingRate >= 0) sc.minChargingRate = limitJson(p.minChargingRate, p.rateUnit);
  const cp: JsonObject = { id: p.id, stackLevel: p.stackLevel, chargingProfilePurpose: PURPOSES[p.purpose], chargingProfileKind: p.kind, chargingSchedule: jarr([sc]) };
  if (p.recurrency !== "") cp.recurrencyKind = p.recurrency;
  if (p.validFrom >= 0) cp.validFrom = isoTime(p.validFrom);
  if (p.validTo >= 0) cp.validTo = isoTime(p.validTo);
  if (p.transactionId !== "") cp.transactionId = p.transactionId;
  return cp;
}
