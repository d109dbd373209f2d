// K11–K13: a limit from an external system (a local EMS, profiles/ems, through the external hook) as a
// ChargingStationExternalConstraints profile (K11.FR.06 / K12.FR.05): it takes part in the composite
// schedule like any other, is reported by GetChargingProfiles with source EMS, and no ClearChargingProfile
// touches it (K10). Its id is negative (the note to K11.FR.06): -1 for the station, -1 - evseId for an
// EVSE. Not journaled: the external system owns it and sends it again (its validity is its own).

import { Ctx } from "../../firmware/station";
import { packPeriod } from "./composite-schedule";
import { applyLimits } from "./limits";
import { scState } from "./sc-state";

function onExternal(ctx: Ctx, evseId: number, limit: number, unit: string): void {
  const s = scState(ctx);
  if (evseId < 0 || evseId > ctx.img.evses.length || (unit !== "A" && unit !== "W")) return;
  const id = -1 - evseId;
  let at = -1;
  for (let i = 0; i < s.list.length; i++) if (s.list[i].id === id && s.list[i].purpose === 1) at = i;
  if (limit < 0) {
    if (at >= 0) table.remove(s.list, at + 1);
  } else {
    // No startSchedule: in force from now whatever the clock does (Absolute without one starts at once).
    s.list[at >= 0 ? at : s.list.length] = {
      id, stackLevel: 0, purpose: 1, evseId, kind: "Absolute", recurrency: "", validFrom: -1, validTo: -1, transactionId: "",
      startSchedule: -1, duration: -1, rateUnit: unit, minChargingRate: -1, periods: packPeriod(0, limit, -1), scheduleId: 0,
    };
  }
  // K11.FR.01 / K12.FR.01 / K13.FR.01: in force (or lifted) at once.
  applyLimits(ctx, 0);
}

export const smartChargingExternal = {
  name: "smart-charging-external",
  on: { external: onExternal },
};
