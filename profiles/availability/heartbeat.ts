// G02 Heartbeat: after HeartbeatInterval seconds without a CALL, and the clock set from its answer.

import { JsonObject } from "../../firmware/json";
import { modelInt } from "../../firmware/model";
import { rpcCall, rpcIdle, rpcLastCallAt, rpcPending } from "../../firmware/rpc";
import { clockFromCsms, syncFromCsms } from "../../firmware/clock";
import { blockData, Ctx, isOnline, registration } from "../../firmware/station";

/** G02.FR.07: at least one Heartbeat a day when it is what sets the clock. */
const DAY_S = 86400;

interface HeartbeatState {
  /** Uptime of the last Heartbeat sent (or of the boot answer, which also carried the time). */
  lastAt: number;
}

function state(st: Ctx): HeartbeatState {
  return blockData(st, "heartbeat") as unknown as HeartbeatState;
}

function sendHeartbeat(st: Ctx): boolean {
  if (!rpcCall(st, "Heartbeat", {})) return false;
  state(st).lastAt = st.hal.uptime();
  return true;
}

export const availabilityHeartbeat = {
  name: "heartbeat",
  results: {
    Heartbeat: (st: Ctx, p: JsonObject | undefined) => {
      if (p === undefined) return;
      syncFromCsms(st, p.currentTime as string);
    },
  },
  triggers: {
    // F06.FR.10: Accepted only when the message will be sent.
    Heartbeat: (st: Ctx) => (sendHeartbeat(st) ? "Accepted" : "Rejected"),
  },
  on: {
    start: (st: Ctx) => {
      state(st).lastAt = 0;
    },
    accepted: (st: Ctx) => {
      state(st).lastAt = st.hal.uptime();
    },
    tick: (st: Ctx, now: number) => {
      if (!isOnline(st) || registration(st) !== "Accepted" || rpcPending(st, "Heartbeat")) return;
      // G02.FR.07: traffic keeps resetting the interval timer; the clock still needs its daily time.
      if (now - state(st).lastAt >= DAY_S && clockFromCsms(st)) {
        sendHeartbeat(st);
        return;
      }
      if (!rpcIdle(st)) return;
      const interval = modelInt(st, "OCPPCommCtrlr/HeartbeatInterval");
      if (interval > 0 && now - rpcLastCallAt(st) >= interval) sendHeartbeat(st);
    },
  },
};
