// G02 Heartbeat: after HeartbeatInterval seconds without a CALL, and the clock set from its answer.

import { JsonObject } from "../../firmware/json";
import { modelInt } from "../../firmware/model";
import { rpcCall, rpcPending } from "../../firmware/rpc";
import { syncFromCsms } from "../../firmware/clock";
import { Station } from "../../firmware/station";

function sendHeartbeat(st: Station): boolean {
  return rpcCall(st, "Heartbeat", {}, 0);
}

export const availabilityHeartbeat = {
  name: "heartbeat",
  results: {
    Heartbeat: (st: Station, p: JsonObject | undefined) => {
      if (p === undefined) return;
      syncFromCsms(st, p.currentTime as string);
    },
  },
  triggers: {
    // F06.FR.10: Accepted only when the message will be sent.
    Heartbeat: (st: Station) => (sendHeartbeat(st) ? "Accepted" : "Rejected"),
  },
  on: {
    tick: (st: Station, now: number) => {
      if (!st.online || st.registration !== "Accepted" || st.outstanding !== undefined || st.queue.length > 0) return;
      const interval = modelInt(st, "OCPPCommCtrlr/HeartbeatInterval");
      if (interval > 0 && now - st.lastCallAt >= interval && !rpcPending(st, "Heartbeat")) sendHeartbeat(st);
    },
  },
};
