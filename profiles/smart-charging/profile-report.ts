// K09 GetChargingProfiles: the installed profiles that match the criteria, reported one profile per
// ReportChargingProfiles (each part bounded: at most one profile of PeriodsPerSchedule periods), the next
// sent when the CSMS took the one before, as NotifyReport parts go (provisioning/reports.ts): only one
// profile's JSON is ever in RAM. tbc on every part but the last (K09.FR.02), each with the request's
// requestId (K09.FR.01). The CSMS's profiles have source CSO, the external constraints (external.ts,
// from a local EMS) source EMS; parts go by source, then EVSE (0: the station).

import { jarr, Json, JsonObject } from "../../firmware/json";
import { rpcCall, rpcDrop, rpcHasRoom } from "../../firmware/rpc";
import { blockData, Ctx } from "../../firmware/station";
import { Profile, PURPOSES } from "./composite-schedule";
import { scState } from "./sc-state";
import { profileJsonOf } from "./profile-json";

/** The parts still to send, in order, of the requests under way (made on first use: no RAM before a GetChargingProfiles). */
interface ReportState {
  /** Each part's requestId, profile id, and source ("CSO" / "EMS": the id alone is not unique, an external profile's is negative). */
  reqs: number[];
  ids: number[];
  sources: string[];
}


function reportState(ctx: Ctx): ReportState {
  return blockData(ctx, "profile-report") as unknown as ReportState;
}

function listHas(list: Json[] | undefined, v: Json): boolean {
  if (list === undefined) return true;
  for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
  return false;
}

const SOURCES = ["CSO", "EMS"];

/** K09.FR.04/05/06: the EVSE asked (none: every one) and every criterion given. */
function matches(p: Profile, evseId: number | undefined, c: JsonObject): boolean {
  if (evseId !== undefined && p.evseId !== evseId) return false;
  if (c.chargingProfilePurpose !== undefined && c.chargingProfilePurpose !== PURPOSES[p.purpose]) return false;
  if (c.stackLevel !== undefined && c.stackLevel !== p.stackLevel) return false;
  return listHas(c.chargingProfileId as Json[] | undefined, p.id) && listHas(c.chargingLimitSource as Json[] | undefined, SOURCES[p.purpose === 1 ? 1 : 0]);
}

/** The installed profile of that id and source, or undefined (gone since the request). */
function find(ctx: Ctx, id: number, source: string): Profile | undefined {
  const list = scState(ctx).list;
  for (let i = 0; i < list.length; i++) if (list[i].id === id && SOURCES[list[i].purpose === 1 ? 1 : 0] === source) return list[i];
  return undefined;
}

/** Sends the next part: the next profile still installed (one removed since the request is skipped). */
function sendPart(ctx: Ctx): void {
  const r = reportState(ctx);
  let p: Profile | undefined;
  let source = "";
  let req = 0;
  while (p === undefined && r.ids.length > 0) {
    source = table.remove(r.sources, 1) as string;
    req = table.remove(r.reqs, 1) as number;
    p = find(ctx, table.remove(r.ids, 1) as number, source);
  }
  if (p === undefined) return;
  const sent = rpcCall(ctx, "ReportChargingProfiles", {
    requestId: req,
    chargingLimitSource: source,
    tbc: r.ids.length > 0 && r.reqs[0] === req,
    evseId: p.evseId,
    chargingProfile: jarr([profileJsonOf(p)]),
  });
  // A part the outbox cannot take ends the reports: better a short report than a flood.
  if (!sent) clear(r);
}

function clear(r: ReportState): void {
  r.reqs = [];
  r.ids = [];
  r.sources = [];
}

function onGet(ctx: Ctx, p: JsonObject): JsonObject {
  const list = scState(ctx).list;
  const r = reportState(ctx);
  const evseId = p.evseId as number | undefined;
  const c = p.chargingProfile as JsonObject;
  if (r.ids === undefined) clear(r);
  const busy = r.ids.length > 0;
  let n = 0;
  for (let k = 0; k < 2; k++) {
    for (let e = 0; e <= ctx.img.evses.length; e++) {
      for (let i = 0; i < list.length; i++) {
        const q = list[i];
        if (q.evseId === e && (q.purpose === 1) === (k === 1) && matches(q, evseId, c)) {
          // Behind the parts of a report under way (parts of two reports never interleave).
          r.reqs[r.reqs.length] = p.requestId as number;
          r.ids[r.ids.length] = q.id;
          r.sources[r.sources.length] = SOURCES[k];
          n = n + 1;
        }
      }
    }
  }
  if (n === 0) return { status: "NoProfiles" };
  // At most two full reports wait (a request beyond is answered OutOfMemory: never a growing queue).
  if (r.ids.length > 2 * list.length || (!busy && !rpcHasRoom(ctx))) {
    // Taken back: no room for them.
    for (let i = 0; i < n; i++) {
      table.remove(r.reqs);
      table.remove(r.ids);
      table.remove(r.sources);
    }
    return { status: "NoProfiles", statusInfo: { reasonCode: "OutOfMemory" } };
  }
  if (!busy) sendPart(ctx);
  return { status: "Accepted" };
}

export const smartChargingReports = {
  name: "profile-report",
  handlers: { GetChargingProfiles: onGet },
  results: {
    ReportChargingProfiles: (ctx: Ctx, p: JsonObject | undefined) => {
      const r = reportState(ctx);
      if (r.ids === undefined) return;
      // Not taken (failed, or the connection went): the reports end.
      if (p === undefined) clear(r);
      else sendPart(ctx);
    },
  },
  on: {
    disconnected: (ctx: Ctx) => {
      const r = reportState(ctx);
      if (r.ids === undefined || r.ids.length === 0) return;
      clear(r);
      rpcDrop(ctx, "ReportChargingProfiles");
    },
  },
};
