// F06 Trigger message: the CSMS asks for a message; the block that owns it sends it (after this
// response: the RPC layer holds sends until the CALLRESULT is out, F06.FR.04).

import { JsonObject } from "../../firmware/json";
import { rpcTrigger } from "../../firmware/rpc";
import { Ctx } from "../../firmware/station";

function onTrigger(st: Ctx, p: JsonObject): JsonObject {
  const requested = p.requestedMessage as string;
  const evse = p.evse as JsonObject | undefined;
  const evseId = evse !== undefined ? (evse.id as number) : 0;
  const connectorId = evse !== undefined && evse.connectorId !== undefined ? (evse.connectorId as number) : 0;
  // B02.FR.02: what the trigger queues may go out while Pending.
  const status = rpcTrigger(st, requested, evseId, connectorId);
  // F06.FR.08: a message this build does not send is NotImplemented.
  return { status: status !== undefined ? status : "NotImplemented" };
}

export const remoteControlTrigger = {
  name: "trigger",
  handlers: { TriggerMessage: onTrigger },
};
