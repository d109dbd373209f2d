// G02 Heartbeat: after HeartbeatInterval seconds without a CALL, and the clock set from its answer.

import { JsonObject } from "../../firmware/json";
import { modelInt } from "../../firmware/model";
import { rpcCall, rpcPending } from "../../firmware/rpc";
import { setEpoch, Station } from "../../firmware/station";
import { parseIsoTime } from "../../firmware/time";

function sendHeartbeat(st: Station): boolean {
  return rpcCall(st, "Heartbeat", {}, 0);
}

export const availabilityHeartbeat = {
  name: "heartbeat",
  results: {
    Heartbeat: (st: Station, p: JsonObject | undefined) => {
      if (p === undefined) return;
      const t = parseIsoTime(p.currentTime as string);
      if (t !== undefined) setEpoch(st, t);
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
