// G01 Status notification, B01.FR.05 and B04 (offline behaviour): each connector's status, reported
// after Accepted, on every change, and after an outage (all of them past OfflineThreshold).

import { JsonObject } from "../../firmware/json";
import { modelInt } from "../../firmware/model";
import { rpcCall } from "../../firmware/rpc";
import { epochNow } from "../../firmware/clock";
import { blockData, Station } from "../../firmware/station";
import { isoTime } from "../../firmware/time";

interface StatusState {
  /** Current and last reported ConnectorStatusEnumType per connector, flat over (EVSE, connector). */
  now: string[];
  told: string[];
  offlineSince: number;
}

function state(st: Station): StatusState {
  return blockData(st, "status") as unknown as StatusState;
}

/** Flat index of (evseId, connectorId), or -1 when the connector does not exist. */
export function connectorIndex(st: Station, evseId: number, connectorId: number): number {
  const evses = st.img.evses;
  if (evseId < 1 || evseId > evses.length || connectorId < 1 || connectorId > evses[evseId - 1]) return -1;
  let k = 0;
  for (let e = 1; e < evseId; e++) k = k + evses[e - 1];
  return k + connectorId - 1;
}

function report(st: Station, evseId: number, connectorId: number, k: number): boolean {
  const s = state(st);
  const t = epochNow(st);
  const payload: JsonObject = {
    timestamp: isoTime(t !== undefined ? t : 0),
    connectorStatus: s.now[k],
    evseId,
    connectorId,
  };
  // ctx carries the connector, so a notification the CSMS never took can be told again (B04).
  if (!rpcCall(st, "StatusNotification", payload, k + 1)) return false;
  s.told[k] = s.now[k];
  return true;
}

/** Reports every connector whose status differs from what the CSMS was last told (all when all=true); false if one could not be queued. */
function reportAll(st: Station, all: boolean): boolean {
  const s = state(st);
  const evses = st.img.evses;
  let k = 0;
  let queued = true;
  for (let e = 1; e <= evses.length; e++) {
    for (let c = 1; c <= evses[e - 1]; c++) {
      if ((all || s.told[k] !== s.now[k]) && !report(st, e, c, k)) queued = false;
      k = k + 1;
    }
  }
  return queued;
}

/** Sets a connector's status; reported at once when online and Accepted, else after reconnect (B04). */
export function setConnectorStatus(st: Station, evseId: number, connectorId: number, status: string): void {
  const k = connectorIndex(st, evseId, connectorId);
  if (k < 0) return;
  const s = state(st);
  if (s.now[k] === status) return;
  s.now[k] = status;
  if (st.online && st.registration === "Accepted") report(st, evseId, connectorId, k);
}

export function connectorStatus(st: Station, evseId: number, connectorId: number): string | undefined {
  const k = connectorIndex(st, evseId, connectorId);
  return k < 0 ? undefined : state(st).now[k];
}

/** EVSE availability from its connectors: Occupied when any is, else the first connector's state. */
function evseState(st: Station, evseId: number): string {
  const n = st.img.evses[evseId - 1];
  if (n === undefined) return "Unavailable";
  let first = "";
  for (let c = 1; c <= n; c++) {
    const s = connectorStatus(st, evseId, c) as string;
    if (s === "Occupied") return s;
    if (c === 1) first = s;
  }
  return first;
}

export const availabilityStatus = {
  name: "status",
  results: {
    StatusNotification: (st: Station, p: JsonObject | undefined, ctx: number) => {
      // Lost with the connection or refused: the next reconnect reports this connector again.
      if (p === undefined) state(st).told[ctx - 1] = "";
    },
  },
  getters: {
    "ChargingStation/AvailabilityState": () => "Available",
    "EVSE/AvailabilityState": (st: Station, evseId: number) => evseState(st, evseId),
    "Connector/AvailabilityState": (st: Station, evseId: number, connectorId: number) => {
      const s = connectorStatus(st, evseId, connectorId);
      return s !== undefined ? s : "Unavailable";
    },
  },
  triggers: {
    // F06: StatusNotification for the given connector, or for all when none is given.
    // F06.FR.10: Accepted only when every message it promises could be queued.
    StatusNotification: (st: Station, evseId: number, connectorId: number) => {
      if (evseId === 0) return reportAll(st, true) ? "Accepted" : "Rejected";
      const k = connectorIndex(st, evseId, connectorId);
      if (k < 0) return "Rejected";
      return report(st, evseId, connectorId, k) ? "Accepted" : "Rejected";
    },
  },
  on: {
    start: (st: Station) => {
      const s = state(st);
      s.now = [];
      s.told = [];
      s.offlineSince = -1;
      let n = 0;
      for (let e = 0; e < st.img.evses.length; e++) n = n + st.img.evses[e];
      for (let k = 0; k < n; k++) {
        s.now[k] = "Available";
        s.told[k] = "";
      }
    },
    // B01.FR.05: every connector after Accepted.
    accepted: (st: Station) => reportAll(st, true),
    disconnected: (st: Station) => {
      state(st).offlineSince = st.hal.uptime();
    },
    connected: (st: Station) => {
      const s = state(st);
      if (st.registration !== "Accepted" || s.offlineSince < 0) return;
      // B04.FR.01/02: all connectors after a long outage, only the changed ones after a short one.
      const long = st.hal.uptime() - s.offlineSince > modelInt(st, "OCPPCommCtrlr/OfflineThreshold");
      s.offlineSince = -1;
      reportAll(st, long);
    },
    plug: (st: Station, evseId: number, connectorId: number) => setConnectorStatus(st, evseId, connectorId, "Occupied"),
    unplug: (st: Station, evseId: number, connectorId: number) => setConnectorStatus(st, evseId, connectorId, "Available"),
  },
};
