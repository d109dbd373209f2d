// F01–F04 remote start and stop: RequestStartTransaction authorizes an EVSE for the CSMS's token
// (after an Authorize when AuthCtrlr.AuthorizeRemoteStart), RequestStopTransaction ends the
// authorization of a running transaction. Both answer first; what follows goes out after the
// response (the RPC layer holds sends while a request is handled).

import { jsonEncode, JsonObject } from "../../firmware/json";
import { Ctx, emit } from "../../firmware/station";
import { txAsk, txAuthorize, txDeauthorize } from "./transaction";
import { authorizeRemoteStart, evseUsable, Tx, txBlock } from "./tx-state";

/** F01.FR.24: busy when authorized already (a transaction waiting for authorization is not). */
function free(ctx: Ctx, t: Tx): boolean {
  return !t.authorized && t.askRef === 0 && evseUsable(ctx, t.evseId);
}

/** F01.FR.20: without evseId, an EVSE with a cable waiting first, else the first free one. */
function pick(ctx: Ctx): Tx | undefined {
  const ev = txBlock(ctx).evses;
  for (let i = 0; i < ev.length; i++) if (free(ctx, ev[i]) && ev[i].connectorId > 0) return ev[i];
  for (let i = 0; i < ev.length; i++) if (free(ctx, ev[i])) return ev[i];
  return undefined;
}

function onStart(ctx: Ctx, p: JsonObject): JsonObject {
  const evseId = p.evseId as number | undefined;
  let t: Tx | undefined;
  if (evseId !== undefined) {
    t = evseId >= 1 ? txBlock(ctx).evses[evseId - 1] : undefined;
    if (t !== undefined && !free(ctx, t)) t = undefined;
  } else t = pick(ctx);
  if (t === undefined) return { status: "Rejected" };
  const profile = p.chargingProfile as JsonObject | undefined;
  if (profile !== undefined) {
    // K05.FR.05: one the smart-charging block would not take (a build without it ignores it, K05.FR.04).
    const verdict = { reason: "" };
    emit(ctx, "txProfile", t.evseId, profile, verdict);
    if (verdict.reason !== "") return { status: "Rejected", statusInfo: { reasonCode: verdict.reason } };
  }
  const token = p.idToken as JsonObject;
  t.remoteStartId = p.remoteStartId as number;
  t.remotePending = true;
  // Kept as given, for the smart-charging block (F01.FR.08..11).
  t.profile = profile !== undefined ? jsonEncode(profile) : "";
  const res: JsonObject = { status: "Accepted" };
  // F01.FR.13: a transaction already running on the EVSE (started by the cable) is named, and its profile is its TxProfile now (F01.FR.10).
  if (t.id !== "") {
    res.transactionId = t.id;
    if (profile !== undefined) emit(ctx, "tx", t.evseId, t.id, t.profile);
  }
  // F01.FR.01/02, F02.FR.09/10: authorize like a local token, or trust the CSMS.
  if (authorizeRemoteStart(ctx)) txAsk(ctx, t, token, false);
  else txAuthorize(ctx, t, token, "", "RemoteStart");
  return res;
}

function onStop(ctx: Ctx, p: JsonObject): JsonObject {
  const ev = txBlock(ctx).evses;
  for (let i = 0; i < ev.length; i++) {
    const t = ev[i];
    if (t.id !== "" && t.id === p.transactionId) {
      // F03.FR.02/03: energy stops; the transaction ends when TxStopPoint says so (a remote stop
      // ends an authorization even where none was given yet).
      t.wasAuth = true;
      txDeauthorize(ctx, t, "Remote", "RemoteStop", undefined);
      return { status: "Accepted" };
    }
  }
  // F03.FR.08
  return { status: "Rejected" };
}

export const txRemote = {
  name: "transactions-remote",
  handlers: { RequestStartTransaction: onStart, RequestStopTransaction: onStop },
};
