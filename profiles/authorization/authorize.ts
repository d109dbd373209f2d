// C01-C05, C09, C12, C15, C16: answers the `authorize` hook of other blocks (the transactions block)
// with an IdTokenInfo through the `authorized` hook.
//
// Decided at once (synchronously, inside the `authorize` call) when no CSMS is needed: authorization
// disabled, a token type never sent to the CSMS, the cache under LocalPreAuthorize, DisablePostAuthorize
// or DisableRemoteAuthorization, and every offline decision. Otherwise an AuthorizeRequest goes out and
// the answer follows its response; a failed or unanswered Authorize is decided by the offline rules.
// The group (groupIdToken) is reported as the CSMS gave it: comparing it with MasterPassGroupId
// (C16) is up to the block that starts and stops transactions.

import { fmtNum, isArray, JsonObject } from "../../firmware/json";
import { modelGet } from "../../firmware/model";
import { rpcCall, rpcDrop } from "../../firmware/rpc";
import { blockData, Ctx, emit, isOnline, registration } from "../../firmware/station";
import { cacheable, cacheBytes, cacheEnabled, cacheFind, cacheRestore, cacheStore, entry, entryInfo } from "./auth-cache";

interface Pending {
  /** The ref given to rpcCall. */
  seq: number;
  evseId: number;
  idToken: JsonObject;
  ref: number;
  stop: boolean;
}

interface AuthState {
  /** Authorize requests waiting for their response, oldest first (a few: bounded by the readers). */
  pending: Pending[];
  seq: number;
}

function state(ctx: Ctx): AuthState {
  const d = blockData(ctx, "authorize") as unknown as AuthState;
  if (d.pending === undefined) {
    d.pending = [];
    d.seq = 0;
  }
  return d;
}

function on(ctx: Ctx, key: "AuthCtrlr/Enabled" | "AuthCtrlr/LocalPreAuthorize" | "AuthCtrlr/LocalAuthorizeOffline" | "AuthCtrlr/OfflineTxForUnknownIdEnabled" | "AuthCtrlr/DisableRemoteAuthorization" | "AuthCacheCtrlr/DisablePostAuthorize"): boolean {
  return modelGet(ctx, key) === "true";
}

/** C01.FR.21: an Accepted token limited to other EVSEs is not accepted at this one. */
function forEvse(evseId: number, info: JsonObject): JsonObject {
  const list = info.evseId;
  if (evseId <= 0 || info.status !== "Accepted" || !isArray(list)) return info;
  const l = list as number[];
  for (let i = 0; i < l.length; i++) if (l[i] === evseId) return info;
  const out: JsonObject = {};
  for (const [k, v] of pairs(info)) out[k as string] = v;
  out.status = "NotAllowedTypeEVSE";
  return out;
}

function answer(ctx: Ctx, evseId: number, idToken: JsonObject, info: JsonObject, ref: number): void {
  emit(ctx, "authorized", evseId, idToken, forEvse(evseId, info), ref);
}

/**
 * Without the CSMS (offline, its Authorize failed or timed out, or DisableRemoteAuthorization): a
 * cached refusal always stands (C13.FR.04 note); a cached Accepted counts offline under
 * LocalAuthorizeOffline, and always when remote authorization is disabled; an identifier the cache
 * does not know is accepted offline under OfflineTxForUnknownIdEnabled (C15.FR.08) and not cached
 * (C15.FR.01), else refused as Unknown.
 */
function decideLocally(ctx: Ctx, evseId: number, idToken: JsonObject, ref: number, offline: boolean, stop: boolean): void {
  if (cacheEnabled(ctx) && cacheFind(ctx, idToken)) {
    // E07.FR.01(b): ending an authorization by a cached token of its group does not depend on LocalAuthorizeOffline.
    if (entry.status !== "Accepted" || !offline || stop || on(ctx, "AuthCtrlr/LocalAuthorizeOffline")) {
      answer(ctx, evseId, idToken, entryInfo(), ref);
      return;
    }
  } else if (offline && on(ctx, "AuthCtrlr/OfflineTxForUnknownIdEnabled")) {
    answer(ctx, evseId, idToken, { status: "Accepted" }, ref);
    return;
  }
  answer(ctx, evseId, idToken, { status: "Unknown" }, ref);
}

/** Sends an AuthorizeRequest for the identifier; false when it cannot be queued or too many wait. */
function sendAuthorize(ctx: Ctx, evseId: number, idToken: JsonObject, ref: number, stop: boolean): boolean {
  const s = state(ctx);
  // One outstanding identifier per reader and a spare: a reader repeating itself gets local answers.
  if (s.pending.length >= ctx.img.evses.length + 2) return false;
  s.seq = s.seq + 1;
  if (!rpcCall(ctx, "Authorize", { idToken }, { ref: s.seq })) return false;
  s.pending[s.pending.length] = { seq: s.seq, evseId, idToken, ref, stop };
  return true;
}

function onAuthorize(ctx: Ctx, evseId: number, idToken: JsonObject, ref: number, stop: boolean): void {
  // C01.FR.01 the other way round: with AuthCtrlr.Enabled false nothing is authorized (all accepted).
  // C02.FR.01: NoAuthorization is no identifier; C03.FR.01/C05.FR.01: a Central token came from the
  // CSMS itself and is never sent back in an Authorize.
  if (!on(ctx, "AuthCtrlr/Enabled") || !cacheable(idToken)) {
    answer(ctx, evseId, idToken, { status: "Accepted" }, ref);
    return;
  }
  const online = isOnline(ctx) && registration(ctx) === "Accepted";
  if (!online || on(ctx, "AuthCtrlr/DisableRemoteAuthorization")) {
    decideLocally(ctx, evseId, idToken, ref, !online, stop);
    return;
  }
  if (cacheEnabled(ctx) && cacheFind(ctx, idToken)) {
    // C12.FR.02: a cached Accepted starts at once under LocalPreAuthorize (TC_C_36: without it, ask);
    // E07.FR.01(b), C09.FR.07: it ends an authorization of its group at once, without an Authorize.
    // C10.FR.03/C12.FR.05: any other status is asked again, unless DisablePostAuthorize (TC_C_57).
    const accepted = entry.status === "Accepted";
    if ((accepted && (stop || on(ctx, "AuthCtrlr/LocalPreAuthorize"))) || (!accepted && on(ctx, "AuthCacheCtrlr/DisablePostAuthorize"))) {
      answer(ctx, evseId, idToken, entryInfo(), ref);
      return;
    }
  }
  // C01.FR.02, C09.FR.05: unknown (or not usable) locally: ask the CSMS.
  if (!sendAuthorize(ctx, evseId, idToken, ref, stop)) decideLocally(ctx, evseId, idToken, ref, true, stop);
}

/** The AuthorizeResponse (C10.FR.04: cached whatever its status), or its failure: decided as offline. */
function onAuthorizeResult(ctx: Ctx, payload: JsonObject | undefined, myRef: number): void {
  const s = state(ctx);
  let at = -1;
  for (let i = 0; i < s.pending.length; i++) if (s.pending[i].seq === myRef) at = i;
  if (at < 0) return;
  const p = table.remove(s.pending, at + 1) as Pending;
  if (payload === undefined) {
    ctx.hal.log(2, "Authorize failed: decided offline");
    decideLocally(ctx, p.evseId, p.idToken, p.ref, true, p.stop);
    return;
  }
  const info = payload.idTokenInfo as JsonObject;
  cacheStore(ctx, p.idToken, info);
  answer(ctx, p.evseId, p.idToken, info, p.ref);
}

/** Connection lost: Authorize requests not yet sent will not be, and are decided offline now. */
function onDisconnected(ctx: Ctx): void {
  rpcDrop(ctx, "Authorize");
  const s = state(ctx);
  const waiting = s.pending;
  s.pending = [];
  for (let i = 0; i < waiting.length; i++) decideLocally(ctx, waiting[i].evseId, waiting[i].idToken, waiting[i].ref, true, waiting[i].stop);
}

export const authorizationAuthorize = {
  name: "authorize",
  results: { Authorize: onAuthorizeResult },
  getters: { "AuthCacheCtrlr/Storage": (ctx: Ctx) => fmtNum(cacheBytes(ctx)) },
  on: {
    start: (ctx: Ctx) => cacheRestore(ctx),
    authorize: onAuthorize,
    // C10.FR.05, C12.FR.06: what a TransactionEventResponse said about an identifier.
    tokenInfo: (ctx: Ctx, idToken: JsonObject, info: JsonObject) => cacheStore(ctx, idToken, info),
    disconnected: onDisconnected,
  },
};
