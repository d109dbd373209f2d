// F05 UnlockConnector: the CSMS releases the cable retention lock of a connector (a cable stuck in a
// socket-outlet), never under an authorized transaction.

import { connectorIndex, evseInTx } from "../../firmware/connectors";
import { JsonObject } from "../../firmware/json";
import { Ctx } from "../../firmware/station";

function onUnlock(ctx: Ctx, p: JsonObject): JsonObject {
  const evseId = p.evseId as number;
  const connectorId = p.connectorId as number;
  // F05.FR.03
  if (connectorIndex(ctx, evseId, connectorId) < 0) return { status: "UnknownConnector" };
  // F05.FR.02: neither unlocked nor stopped. Which transactions are authorized is the transactions
  // block's knowledge (connectors.ts only learns that one runs, "tx"): any running one counts, so a
  // cable is never released under a charging EV (an unauthorized one, TxStartPoint EVConnected, may
  // be unlocked by the spec, but need not be).
  if (evseInTx(ctx, evseId)) return { status: "OngoingAuthorizedTransaction" };
  // F05.FR.06: tried even with no cable in; F05.FR.04/05: the lock's feedback says how it went.
  // The answer cannot wait for the feedback (a handler answers at once), so a lock still closed now
  // counts as failed: with no transaction the transactions block has opened it already, and one
  // still closed is stuck. A lock that is closed but about to open is answered UnlockFailed too.
  ctx.hal.setLock(evseId, connectorId, false);
  return { status: ctx.hal.lockState(evseId, connectorId) ? "UnlockFailed" : "Unlocked" };
}

export const remoteControlUnlock = {
  name: "unlock",
  handlers: { UnlockConnector: onUnlock },
};
