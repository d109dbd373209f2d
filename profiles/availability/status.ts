// G01 Status notification, B01.FR.05 and B04 (offline behaviour): each connector's status, reported
// after Accepted, on every change, and after an outage (all of them past OfflineThreshold).

import { JsonObject } from "../../firmware/json";
import { modelInt } from "../../firmware/model";
import { rpcCall, rpcHasRoom, rpcRoom } from "../../firmware/rpc";
import { epochNow } from "../../firmware/clock";
import { blockData, Station } from "../../firmware/station";
import { isoTime } from "../../firmware/time";

interface StatusState {
  /** Current and last reported ConnectorStatusEnumType per connector, flat over (EVSE, connector). */
  now: string[];
  told: string[];
  /** Connectors whose status is still to be sent: queued as soon as the call queue has room. */
  owe: boolean[];
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

/** Queues the StatusNotification of connector k; false when the queue is full or the time unknown. */
function report(st: Station, evseId: number, connectorId: number, k: number): boolean {
  const s = state(st);
  const t = epochNow(st);
  // A timestamp is required: never 1970 for want of a clock (it is known once a CSMS answered).
  if (t === undefined) return false;
  const payload: JsonObject = { timestamp: isoTime(t), connectorStatus: s.now[k], evseId, connectorId };
  // ctx carries the connector, so a notification the CSMS never took can be told again (B04).
  if (!rpcCall(st, "StatusNotification", payload, k + 1)) return false;
  s.told[k] = s.now[k];
  s.owe[k] = false;
  return true;
}

/**
 * Sends what is owed, in connector order, while the call queue has room; the rest waits for the next
 * tick. So every connector is reported (B01.FR.05, B04.FR.01), however many there are.
 */
function flush(st: Station): void {
  if (st.online && st.registration === "Accepted") sendOwed(st);
}

/** Queues the owed statuses in connector order until one cannot be queued. */
function sendOwed(st: Station): void {
  const s = state(st);
  const evses = st.img.evses;
  let k = 0;
  for (let e = 1; e <= evses.length; e++) {
    for (let c = 1; c <= evses[e - 1]; c++) {
      if (s.owe[k] && (!rpcHasRoom(st) || !report(st, e, c, k))) return;
      k = k + 1;
    }
  }
}

/** Owes every connector (all) or those whose status differs from what the CSMS was last told, then sends. */
function reportAll(st: Station, all: boolean): void {
  const s = state(st);
  for (let k = 0; k < s.now.length; k++) if (all || s.told[k] !== s.now[k]) s.owe[k] = true;
  flush(st);
}

/** Sets a connector's status; reported at once when online and Accepted, else after reconnect (B04). */
export function setConnectorStatus(st: Station, evseId: number, connectorId: number, status: string): void {
  const k = connectorIndex(st, evseId, connectorId);
  if (k < 0) return;
  const s = state(st);
  if (s.now[k] === status) return;
  s.now[k] = status;
  s.owe[k] = true;
  flush(st);
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
      // The queue has room again for what is still owed.
      else flush(st);
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
      if (evseId === 0) {
        const s = state(st);
        // Accepted: every connector is owed and flushed as the queue drains, so the promise holds.
        if (st.registration === "Accepted") {
          reportAll(st, true);
          return "Accepted";
        }
        // Pending (B02.FR.02): only what is queued now counts as triggered, so all must fit now.
        if (rpcRoom(st) < s.now.length) return "Rejected";
        for (let k = 0; k < s.now.length; k++) s.owe[k] = true;
        sendOwed(st);
        for (let k = 0; k < s.now.length; k++) if (s.owe[k]) return "Rejected";
        return "Accepted";
      }
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
      s.owe = [];
      s.offlineSince = -1;
      let n = 0;
      for (let e = 0; e < st.img.evses.length; e++) n = n + st.img.evses[e];
      for (let k = 0; k < n; k++) {
        s.now[k] = "Available";
        s.told[k] = "";
        s.owe[k] = false;
      }
    },
    tick: (st: Station) => flush(st),
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
