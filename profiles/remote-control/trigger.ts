// F06 Trigger message: the CSMS asks for a message; the block that owns it sends it (after this
// response: the RPC layer holds sends until the CALLRESULT is out, F06.FR.04).

import { JsonObject } from "../../firmware/json";
import { Station } from "../../firmware/station";

function onTrigger(st: Station, p: JsonObject): JsonObject {
  const requested = p.requestedMessage as string;
  const trigger = st.triggers[requested];
  // F06.FR.08: a message this build does not send is NotImplemented.
  if (trigger === undefined) return { status: "NotImplemented" };
  const evse = p.evse as JsonObject | undefined;
  const evseId = evse !== undefined ? (evse.id as number) : 0;
  const connectorId = evse !== undefined && evse.connectorId !== undefined ? (evse.connectorId as number) : 0;
  // B02.FR.02: triggered messages may go out while Pending.
  st.triggering = true;
  const status = trigger(st, evseId, connectorId);
  st.triggering = false;
  return { status };
}

export const remoteControlTrigger = {
  name: "trigger",
  handlers: { TriggerMessage: onTrigger },
};
