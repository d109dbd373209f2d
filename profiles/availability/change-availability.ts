// G03/G04 ChangeAvailability: the station, an EVSE or a connector set Operative or Inoperative.
//
// Station, EVSEs and connectors keep separate states (G03 NOTE 1): a connector is Unavailable while
// any of the three is Inoperative. A change on a busy EVSE is Scheduled (G03.FR.05, G04.FR.06): the
// flag is set at once, and firmware/connectors.ts shows Unavailable the moment the transaction ends.
// Every Inoperative state is a journal record (kind "avail") and comes back after a reboot
// (G03.FR.08, G04.FR.09, G01.FR.02, B11.FR.02).

import { idiv, imod } from "../../firmware/arith";
import { connectorIndex, connectorReport, connectorSet, connectorStationOff, evseInTx } from "../../firmware/connectors";
import { JsonObject } from "../../firmware/json";
import { journalOwner, journalPut, JValue } from "../../firmware/journal";
import { blockData, Ctx } from "../../firmware/station";

/** Journal keys: 0 the station, e an EVSE, e * CONN + c a connector. */
const CONN = 1000;

interface AvailState {
  /** Inoperative flags: the station, per EVSE (index evseId - 1), per connector (flat index). */
  station: boolean;
  evse: boolean[];
  conn: boolean[];
}

function state(ctx: Ctx): AvailState {
  return blockData(ctx, "avail") as unknown as AvailState;
}

/** Sets every connector's "unavailable" input from the three flags; connectors.ts reports what changes. */
function apply(ctx: Ctx): void {
  const s = state(ctx);
  const evses = ctx.img.evses;
  connectorStationOff(ctx, s.station);
  for (let e = 1; e <= evses.length; e++) {
    for (let c = 1; c <= evses[e - 1]; c++) {
      connectorSet(ctx, e, c, "unavailable", s.station || s.evse[e - 1] || s.conn[connectorIndex(ctx, e, c)]);
    }
  }
}

function flagGet(ctx: Ctx, key: number): boolean {
  const s = state(ctx);
  if (key === 0) return s.station;
  if (key < CONN) return s.evse[key - 1];
  return s.conn[connectorIndex(ctx, idiv(key, CONN), imod(key, CONN))];
}

function flagSet(ctx: Ctx, key: number, off: boolean): void {
  const s = state(ctx);
  if (key === 0) s.station = off;
  else if (key < CONN) s.evse[key - 1] = off;
  else s.conn[connectorIndex(ctx, idiv(key, CONN), imod(key, CONN))] = off;
}

/** Does a journal key name something this build has? (the topology may change with a firmware update) */
function keyKnown(ctx: Ctx, key: number): boolean {
  if (key === 0) return true;
  if (key > 0 && key < CONN) return key <= ctx.img.evses.length;
  return key > CONN && connectorIndex(ctx, idiv(key, CONN), imod(key, CONN)) >= 0;
}

function onChange(ctx: Ctx, p: JsonObject): JsonObject {
  const off = (p.operationalStatus as string) === "Inoperative";
  const evse = p.evse as JsonObject | undefined;
  const evseId = evse !== undefined ? (evse.id as number) : 0;
  const connectorId = evse !== undefined && evse.connectorId !== undefined ? (evse.connectorId as number) : 0;
  // G03: an EVSE or connector the station does not have cannot change.
  if (evseId < 0 || evseId > ctx.img.evses.length || (evseId === 0 && connectorId !== 0)) return { status: "Rejected" };
  if (connectorId !== 0 && connectorIndex(ctx, evseId, connectorId) < 0) return { status: "Rejected" };
  const key = evseId === 0 ? 0 : connectorId === 0 ? evseId : evseId * CONN + connectorId;
  if (flagGet(ctx, key) === off) {
    // G03.FR.03, G04.FR.04: already so; the statuses are told again (TC_G_10, TC_G_13).
    connectorReport(ctx, evseId, connectorId);
    return { status: "Accepted" };
  }
  // G03.FR.08, G04.FR.09: a state that cannot be kept across a reboot is not taken.
  if (journalPut(ctx, "avail", key, off ? true : undefined) === undefined) return { status: "Rejected" };
  flagSet(ctx, key, off);
  apply(ctx);
  // G03.FR.05, G04.FR.06: a transaction runs where the change applies: it waits for its end.
  return { status: off && evseInTx(ctx, evseId) ? "Scheduled" : "Accepted" };
}

export const availabilityChange = {
  name: "change-availability",
  handlers: { ChangeAvailability: onChange },
  on: {
    start: (ctx: Ctx) => {
      const s = state(ctx);
      s.station = false;
      s.evse = [];
      s.conn = [];
      const evses = ctx.img.evses;
      for (let e = 1; e <= evses.length; e++) {
        s.evse[e - 1] = false;
        for (let c = 1; c <= evses[e - 1]; c++) s.conn[connectorIndex(ctx, e, c)] = false;
      }
      journalOwner(ctx, "avail", {
        replay: (c: Ctx, key: string | number, value: JValue | undefined) => {
          if (type(key) === "number" && keyKnown(c, key as number)) flagSet(c, key as number, value === true);
        },
        dump: (c: Ctx) => {
          const st = state(c);
          const evs = c.img.evses;
          if (st.station) journalPut(c, "avail", 0, true);
          for (let e = 1; e <= evs.length; e++) {
            if (st.evse[e - 1]) journalPut(c, "avail", e, true);
            for (let k = 1; k <= evs[e - 1]; k++) if (st.conn[connectorIndex(c, e, k)]) journalPut(c, "avail", e * CONN + k, true);
          }
        },
      });
    },
    // B01.FR.05 reports them after Accepted: Unavailable where set before the reboot.
    restored: (ctx: Ctx) => apply(ctx),
  },
};
