// Connector state (G01, B01.FR.05, B04): the single owner of every connector's status and the single
// sender of StatusNotification.
//
// Blocks and the board report inputs; the status follows from all of them, in this order:
// Faulted, Unavailable (once no transaction runs on it), Occupied (a cable or a transaction),
// Reserved, Available. A status is reported after Accepted, on every change, and after an outage
// (all of them past OfflineThreshold, B04.FR.01/02). What cannot be queued now is owed and sent as the outbox frees.

import { JsonObject } from "./json";
import { modelInt } from "./model";
import { rpcCall, rpcHasRoom, rpcRoom } from "./rpc";
import { epochNow } from "./clock";
import { Block, Ctx, emit, Station } from "./station";
import { isoTime } from "./time";

/** What decides a connector's status; each a flag per connector. */
export type ConnectorInput = "plugged" | "tx" | "reserved" | "unavailable" | "faulted" | "closing";

interface ConnectorState {
  /** Per EVSE (evseBusy): 0 no transaction, 1 one runs (connector known or not), 2 an authorized one runs. */
  busy: number[];
  plugged: boolean[];
  tx: boolean[];
  reserved: boolean[];
  unavailable: boolean[];
  faulted: boolean[];
  /** Out of use while a scheduled reset waits for the transactions to end (B12): free connectors only. */
  closing: boolean[];
  /** Current and last reported ConnectorStatusEnumType per connector, flat over (EVSE, connector). */
  now: string[];
  told: string[];
  /** Connectors whose status is still to be sent: queued as soon as the outbox has room. */
  owe: boolean[];
  offlineSince: number;
  /** The station as a whole set Inoperative (G04): ChargingStation/AvailabilityState. */
  stationOff: boolean;
}

function state(ctx: Ctx): ConnectorState {
  return (ctx as Station).data.connectors as unknown as ConnectorState;
}

/** Flat index of (evseId, connectorId), or -1 when the connector does not exist. */
function connectorIndex(ctx: Ctx, evseId: number, connectorId: number): number {
  const evses = ctx.img.evses;
  if (evseId < 1 || evseId > evses.length || connectorId < 1 || connectorId > evses[evseId - 1]) return -1;
  let k = 0;
  for (let e = 1; e < evseId; e++) k = k + evses[e - 1];
  return k + connectorId - 1;
}

function derive(s: ConnectorState, k: number): string {
  if (s.faulted[k]) return "Faulted";
  // Unavailable takes effect once no transaction runs on the connector: when it ends, even with the
  // cable still in (G03.FR.05, G04.FR.06, G01.FR.05), in the same change, with no Available between.
  // No transaction starts on an Unavailable connector (F01.FR.23): its block checks connectorStatus.
  // B12 (Part 2 B12 scenario 3a): an OnIdle reset waiting for transactions takes the others out of use,
  // a plugged cable's too, so no new transaction holds it up.
  if ((s.unavailable[k] || s.closing[k]) && !s.tx[k]) return "Unavailable";
  if (s.plugged[k] || s.tx[k]) return "Occupied";
  if (s.reserved[k]) return "Reserved";
  return "Available";
}

/** Queues the StatusNotification of connector k; false when the outbox is full or the time unknown. */
function report(st: Station, evseId: number, connectorId: number, k: number): boolean {
  const s = state(st);
  const t = epochNow(st);
  // A timestamp is required: never 1970 for want of a clock (it is known once a CSMS answered).
  if (t === undefined) return false;
  const payload: JsonObject = { timestamp: isoTime(t), connectorStatus: s.now[k], evseId, connectorId };
  // ref carries the connector, so a notification the CSMS never took can be told again (B04).
  if (!rpcCall(st, "StatusNotification", payload, { ref: k + 1 })) return false;
  s.told[k] = s.now[k];
  s.owe[k] = false;
  return true;
}

/** Queues the owed statuses in connector order until one cannot be queued; the rest waits. */
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

/** So every connector is reported (B01.FR.05, B04.FR.01), however many there are. */
function flush(st: Station): void {
  if (st.online && st.registration === "Accepted") sendOwed(st);
}

/** Owes every connector (all) or those whose status differs from what the CSMS was last told, then sends. */
function reportAll(st: Station, all: boolean): void {
  const s = state(st);
  for (let k = 0; k < s.now.length; k++) if (all || s.told[k] !== s.now[k]) s.owe[k] = true;
  flush(st);
}

function update(st: Station, evseId: number, connectorId: number, k: number): void {
  const s = state(st);
  const status = derive(s, k);
  if (s.now[k] === status) return;
  s.now[k] = status;
  s.owe[k] = true;
  flush(st);
  emit(st, "status", evseId, connectorId, status);
}

/**
 * Sets one input of a connector; evseId 0 means every EVSE, connectorId 0 every connector of the
 * EVSE. The status follows, reported at once when online and Accepted, else after reconnect (B04).
 */
function connectorSet(ctx: Ctx, evseId: number, connectorId: number, input: ConnectorInput, on: boolean): void {
  const st = ctx as Station;
  const s = state(st);
  const evses = st.img.evses;
  for (let e = 1; e <= evses.length; e++) {
    if (evseId === 0 || e === evseId) {
      for (let c = 1; c <= evses[e - 1]; c++) {
        if (connectorId === 0 || c === connectorId) {
          const k = connectorIndex(st, e, c);
          s[input][k] = on;
          update(st, e, c, k);
        }
      }
    }
  }
}

/**
 * Owes the status of connectors (evseId 0: all; connectorId 0: all of the EVSE) again, changed or not,
 * and sends it when it can: a ChangeAvailability to the state already in force is reported (TC_G_13).
 */
export function connectorReport(ctx: Ctx, evseId: number, connectorId: number): void {
  const st = ctx as Station;
  const s = state(st);
  const evses = st.img.evses;
  for (let e = 1; e <= evses.length; e++) {
    if (evseId === 0 || e === evseId) {
      for (let c = 1; c <= evses[e - 1]; c++) if (connectorId === 0 || c === connectorId) s.owe[connectorIndex(st, e, c)] = true;
    }
  }
  flush(st);
}

/** The station set Inoperative or Operative as a whole (G04), for ChargingStation/AvailabilityState. */
export function connectorStationOff(ctx: Ctx, off: boolean): void {
  state(ctx).stationOff = off;
}

function connectorStatus(ctx: Ctx, evseId: number, connectorId: number): string | undefined {
  const k = connectorIndex(ctx, evseId, connectorId);
  return k < 0 ? undefined : state(ctx).now[k];
}

/** Is a cable plugged into the connector (evseId's connector; connectorId 0: any of the EVSE's)? */
export function connectorPlugged(ctx: Ctx, evseId: number, connectorId: number): boolean {
  const n = ctx.img.evses[evseId - 1];
  if (n === undefined) return false;
  const s = state(ctx);
  for (let c = 1; c <= n; c++) if ((connectorId === 0 || c === connectorId) && s.plugged[connectorIndex(ctx, evseId, c)]) return true;
  return false;
}

/**
 * Is a transaction running on the EVSE (evseId 0: on any EVSE), an authorized one where authorized
 * (F05.FR.02)? As the transaction block reported (evseBusy): how other blocks (reset, availability,
 * unlock) know an EVSE is busy.
 */
function evseInTx(ctx: Ctx, evseId: number, authorized?: boolean): boolean {
  const s = state(ctx);
  for (let e = 1; e <= s.busy.length; e++) if ((evseId === 0 || e === evseId) && s.busy[e - 1] > (authorized === true ? 1 : 0)) return true;
  return false;
}

/** A transaction runs on the EVSE (level 1; 2: authorized) whether or not a connector is known yet (TxStartPoint Authorized); 0: none. */
export function evseBusy(ctx: Ctx, evseId: number, level: number): void {
  state(ctx).busy[evseId - 1] = level;
}

/** EVSE availability from its connectors: Occupied when any is, else the first connector's state. */
function evseState(ctx: Ctx, evseId: number): string {
  const n = ctx.img.evses[evseId - 1];
  if (n === undefined) return "Unavailable";
  let first = "";
  for (let c = 1; c <= n; c++) {
    const s = connectorStatus(ctx, evseId, c) as string;
    if (s === "Occupied") return s;
    if (c === 1) first = s;
  }
  return first;
}

function setPlug(ctx: Ctx, evseId: number, connectorId: number, on: boolean): void {
  if (connectorIndex(ctx, evseId, connectorId) >= 0) connectorSet(ctx, evseId, connectorId, "plugged", on);
}

/** The core's part for connectors: first in every image, so blocks see the new status in their plug hooks. */
export const coreConnectors: Block = {
  name: "connectors",
  results: {
    StatusNotification: (ctx: Ctx, p: JsonObject | undefined, ref: number) => {
      // Lost with the connection or refused: the next reconnect reports this connector again.
      if (p === undefined) state(ctx).told[ref - 1] = "";
      // The outbox has room again for what is still owed.
      else flush(ctx as Station);
    },
  },
  getters: {
    // Unavailable once the Inoperative station has no transaction left (G04.FR.06).
    "ChargingStation/AvailabilityState": (ctx: Ctx) => (state(ctx).stationOff && !evseInTx(ctx, 0) ? "Unavailable" : "Available"),
    "EVSE/AvailabilityState": (ctx: Ctx, evseId: number) => evseState(ctx, evseId),
    "Connector/AvailabilityState": (ctx: Ctx, evseId: number, connectorId: number) => {
      const s = connectorStatus(ctx, evseId, connectorId);
      return s !== undefined ? s : "Unavailable";
    },
  },
  triggers: {
    // F06: StatusNotification for the given connector, or for all when none is given.
    // F06.FR.10: Accepted only when every message it promises could be queued.
    StatusNotification: (ctx: Ctx, evseId: number, connectorId: number) => {
      const st = ctx as Station;
      const s = state(st);
      if (evseId === 0) {
        // Accepted: every connector is owed and flushed as the outbox drains, so the promise holds.
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
    start: (ctx: Ctx) => {
      const st = ctx as Station;
      const s: ConnectorState = { busy: [], plugged: [], tx: [], reserved: [], unavailable: [], faulted: [], closing: [], now: [], told: [], owe: [], offlineSince: -1, stationOff: false };
      st.data.connectors = s as unknown as { [k: string]: unknown };
      let n = 0;
      for (let e = 0; e < st.img.evses.length; e++) {
        n = n + st.img.evses[e];
        s.busy[e] = 0;
      }
      for (let k = 0; k < n; k++) {
        s.plugged[k] = false;
        s.tx[k] = false;
        s.reserved[k] = false;
        s.unavailable[k] = false;
        s.faulted[k] = false;
        s.closing[k] = false;
        s.now[k] = "Available";
        s.told[k] = "";
        s.owe[k] = false;
      }
    },
    tick: (ctx: Ctx) => flush(ctx as Station),
    // B01.FR.05: every connector after Accepted.
    accepted: (ctx: Ctx) => reportAll(ctx as Station, true),
    disconnected: (ctx: Ctx) => {
      state(ctx).offlineSince = ctx.hal.uptime();
    },
    connected: (ctx: Ctx) => {
      const st = ctx as Station;
      const s = state(st);
      if (st.registration !== "Accepted" || s.offlineSince < 0) return;
      // B04.FR.01/02: all connectors after a long outage, only the changed ones after a short one.
      const long = st.hal.uptime() - s.offlineSince > modelInt(st, "OCPPCommCtrlr/OfflineThreshold");
      s.offlineSince = -1;
      reportAll(st, long);
    },
    plug: (ctx: Ctx, evseId: number, connectorId: number) => setPlug(ctx, evseId, connectorId, true),
    unplug: (ctx: Ctx, evseId: number, connectorId: number) => setPlug(ctx, evseId, connectorId, false),
  },
};

export { connectorIndex, connectorSet, connectorStatus, evseInTx };
