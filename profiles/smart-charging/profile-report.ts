// K09 GetChargingProfiles: the installed profiles that match the criteria, reported in one
// ReportChargingProfiles per source and EVSE (0: the station), tbc on every one but the last
// (K09.FR.02), each with the request's requestId (K09.FR.01). The CSMS's profiles have source CSO, the
// external constraints (external.ts, from a local EMS) source EMS.

import { jarr, Json, JsonObject } from "../../firmware/json";
import { rpcCall, rpcRoom } from "../../firmware/rpc";
import { Ctx } from "../../firmware/station";
import { Profile, PURPOSES } from "./composite-schedule";
import { scState } from "./sc-state";
import { profileJsonOf } from "./profile-json";

function listHas(list: Json[] | undefined, v: Json): boolean {
  if (list === undefined) return true;
  for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
  return false;
}

/** K09.FR.04/05/06: the EVSE asked (none: every one) and every criterion given. */
function matches(p: Profile, evseId: number | undefined, c: JsonObject): boolean {
  if (evseId !== undefined && p.evseId !== evseId) return false;
  if (c.chargingProfilePurpose !== undefined && c.chargingProfilePurpose !== PURPOSES[p.purpose]) return false;
  if (c.stackLevel !== undefined && c.stackLevel !== p.stackLevel) return false;
  return listHas(c.chargingProfileId as Json[] | undefined, p.id) && listHas(c.chargingLimitSource as Json[] | undefined, SOURCES[p.purpose === 1 ? 1 : 0]);
}

const SOURCES = ["CSO", "EMS"];

function onGet(ctx: Ctx, p: JsonObject): JsonObject {
  const list = scState(ctx).list;
  const evseId = p.evseId as number | undefined;
  const c = p.chargingProfile as JsonObject;
  // One report per source and EVSE with a match; they must all fit the outbox now, or none is sent.
  const groups: JsonObject[][] = [];
  const evses: number[] = [];
  const sources: string[] = [];
  for (let k = 0; k < 2; k++) {
    for (let e = 0; e <= ctx.img.evses.length; e++) {
      const g: JsonObject[] = jarr([]);
      for (let i = 0; i < list.length; i++) if (list[i].evseId === e && (list[i].purpose === 1) === (k === 1) && matches(list[i], evseId, c)) g[g.length] = profileJsonOf(list[i]);
      if (g.length > 0) {
        groups[groups.length] = g;
        evses[evses.length] = e;
        sources[sources.length] = SOURCES[k];
      }
    }
  }
  if (groups.length === 0) return { status: "NoProfiles" };
  if (groups.length > rpcRoom(ctx)) return { status: "NoProfiles", statusInfo: { reasonCode: "OutOfMemory" } };
  for (let i = 0; i < groups.length; i++) {
    rpcCall(ctx, "ReportChargingProfiles", {
      requestId: p.requestId as number,
      chargingLimitSource: sources[i],
      tbc: i < groups.length - 1,
      evseId: evses[i],
      chargingProfile: groups[i],
    });
  }
  return { status: "Accepted" };
}

export const smartChargingReports = {
  name: "profile-report",
  handlers: { GetChargingProfiles: onGet },
};
