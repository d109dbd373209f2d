// The transactions block's hooks: the board's inputs (plug, unplug, pilot, relay, token), the
// authorization block's answers, the CSMS's TransactionEventResponse, the once-a-second tick (meter
// values, timeouts: tx-tick.ts) and the catch-up after a reboot. Each ends in transaction.ts evaluate().

import { idiv } from "../../firmware/arith";
import { connectorSet } from "../../firmware/connectors";
import { jsonDecode, JsonObject } from "../../firmware/json";
import { modelInt, modelLookup } from "../../firmware/model";
import { outboxQueued } from "../../firmware/outbox";
import { Ctx, emit } from "../../firmware/station";
import { clearTx, evaluate, hardware, hasLock, txAsk, txFault, txAuthorize, txDeauthorize, txForceEnd, txRestored } from "./transaction";
import { tickTx } from "./tx-tick";
import { txNewGen, txSave, txStoreOpen } from "./tx-store";
import { evConnected, evseUsable, flag, newTx, sameToken, Tx, txBlock } from "./tx-state";

function groupOf(info: JsonObject): string {
  const g = info.groupIdToken as JsonObject | undefined;
  return g !== undefined ? string.lower(g.idToken as string) : "";
}

/** The EVSE a token at the station's reader (evseId 0) is meant for: its transaction's, else the first free one with a cable, else the first free. */
function tokenEvse(ctx: Ctx, token: JsonObject): Tx | undefined {
  const ev = txBlock(ctx).evses;
  for (let i = 0; i < ev.length; i++) if (sameToken(ev[i].authorized ? ev[i].token : ev[i].hold, token)) return ev[i];
  for (let i = 0; i < ev.length; i++) if (!ev[i].authorized && ev[i].askRef === 0 && ev[i].hold === undefined && ev[i].connectorId > 0) return ev[i];
  for (let i = 0; i < ev.length; i++) if (!ev[i].authorized && ev[i].askRef === 0 && ev[i].hold === undefined && ev[i].id === "") return ev[i];
  return undefined;
}

function onToken(ctx: Ctx, evseId: number, token: JsonObject): void {
  const t = evseId === 0 ? tokenEvse(ctx, token) : txBlock(ctx).evses[evseId - 1];
  if (t === undefined) return;
  // E09.FR.03, E05.FR.11: the owner of a held cable gets it back, and that is all the card does;
  // another card does nothing there meanwhile.
  if (!t.authorized && t.hold !== undefined) {
    if (sameToken(t.hold, token)) {
      t.hold = undefined;
      evaluate(ctx, t, "");
    }
    return;
  }
  // An authorization under way for this EVSE (a remote start's, F01.FR.01, or another card's) is not
  // taken over: the card is ignored until its answer came.
  if (!t.authorized && t.askRef !== 0) return;
  // F01.FR.23 likewise for a local start: an Unavailable or Faulted EVSE authorizes nobody (a stop still works).
  if (!t.authorized && !evseUsable(ctx, t.evseId)) return;
  // E07.FR.01a: the token that authorized stops without an Authorize.
  if (t.authorized && sameToken(t.token, token)) {
    txDeauthorize(ctx, t, "Local", "StopAuthorized", token);
    return;
  }
  txAsk(ctx, t, token, t.authorized);
}

function onAuthorized(ctx: Ctx, evseId: number, token: JsonObject, info: JsonObject, ref: number): void {
  const t = txBlock(ctx).evses[evseId - 1];
  if (t === undefined || t.askRef !== ref) return;
  t.askRef = 0;
  const accepted = info.status === "Accepted";
  // C16 without a UI: a master pass stops every ongoing transaction (C16.FR.02) and starts none
  // (C16.FR.03). Its group is AuthCtrlr.MasterPassGroupId, the authorization block's variable.
  const master = modelLookup(ctx, "AuthCtrlr/MasterPassGroupId");
  if (accepted && master !== undefined && master !== "" && groupOf(info) === string.lower(master)) {
    // Held cables are let go too: the use case is that every cable becomes free.
    const ev = txBlock(ctx).evses;
    for (let i = 0; i < ev.length; i++) {
      const x = ev[i];
      x.hold = undefined;
      if (x.id !== "" && x.authorized) txDeauthorize(ctx, x, "MasterPass", "StopAuthorized", token);
      else if (x.id !== "") txForceEnd(ctx, x, "MasterPass", "StopAuthorized");
      else evaluate(ctx, x, "");
    }
    t.remotePending = false;
    return;
  }
  if (t.askStop) {
    // E07.FR.01b: another token of the same group ends the authorization.
    if (accepted && t.authorized && t.group !== "" && groupOf(info) === t.group) txDeauthorize(ctx, t, "Local", "StopAuthorized", token);
    return;
  }
  // E02.FR.20: a failed authorization sends nothing.
  if (!accepted) {
    t.remotePending = false;
    return;
  }
  txAuthorize(ctx, t, token, groupOf(info), "Authorized");
}

/** E05: what a TransactionEventResponse said about the transaction's token. */
function onResult(ctx: Ctx, p: JsonObject | undefined, ref: number): void {
  const b = txBlock(ctx);
  const gen = idiv(ref, 2);
  const q = b.queued[gen];
  if (q !== undefined) {
    if (q > 1) b.queued[gen] = q - 1;
    else {
      b.queued[gen] = undefined as unknown as number;
      b.ids[gen] = undefined as unknown as string;
    }
  }
  // ref = 2 * gen + (1 when the event carried the token).
  if (p === undefined || ref - gen * 2 !== 1) return;
  const info = p.idTokenInfo as JsonObject | undefined;
  if (info === undefined) return;
  let t: Tx | undefined;
  for (let i = 0; i < b.evses.length; i++) if (b.evses[i].gen === gen && b.evses[i].id !== "") t = b.evses[i];
  if (t === undefined || t.token === undefined) return;
  emit(ctx, "tokenInfo", t.token, info);
  if (info.status === "Accepted" || !t.authorized) return;
  if (flag(ctx, "TxCtrlr/StopTxOnInvalidId")) {
    // E05.FR.09/10: deauthorized; ended when TxStopPoint says so.
    txDeauthorize(ctx, t, "DeAuthorized", "Deauthorized", undefined);
    return;
  }
  // E05.FR.02/03: the transaction stays; energy stops now, or once the transaction has delivered
  // MaxEnergyOnInvalidId (counted from its start: at once when it has already).
  const max = modelInt(ctx, "TxCtrlr/MaxEnergyOnInvalidId");
  if (max > 0 && ctx.hal.readMeter(t.evseId).energyWh - t.startWh < max) t.invalidWh = t.startWh;
  else t.invalid = true;
  // Journaled at once, whether or not an event follows: a reboot must not undo the refusal.
  txSave(ctx, t);
  evaluate(ctx, t, "");
}

/**
 * A queued event of a transaction after a reboot: its seqNo is taken (the next one follows it); a
 * queued Ended means the transaction is over already; a transaction the journal has no record of
 * (the power went between queuing its event and recording it) is taken up to be ended.
 */
function catchUp(ctx: Ctx, payload: string, ref: number): void {
  const [v] = jsonDecode(payload, 8, false);
  const p = v as JsonObject | undefined;
  if (p === undefined || type(p) !== "table") return;
  const info = p.transactionInfo as JsonObject | undefined;
  if (info === undefined) return;
  const b = txBlock(ctx);
  // E14: counted as queued again, under the gen its ref carries (the result comes back with it).
  const gen = idiv(ref, 2);
  const q = b.queued[gen];
  b.queued[gen] = (q !== undefined ? q : 0) + 1;
  b.ids[gen] = info.transactionId as string;
  const ev = b.evses;
  let t: Tx | undefined;
  for (let i = 0; i < ev.length; i++) if (ev[i].id !== "" && ev[i].id === info.transactionId) t = ev[i];
  if (t === undefined) {
    const evse = p.evse as JsonObject | undefined;
    for (let i = 0; i < ev.length && t === undefined; i++) {
      if (ev[i].id === "" && (evse === undefined || evse.id === i + 1)) t = ev[i];
    }
    if (t === undefined || p.eventType === "Ended") return;
    t.id = info.transactionId as string;
    t.gen = txNewGen(ctx);
    t.lost = true;
  }
  if (!t.lost) return;
  const seq = p.seqNo as number;
  if (seq >= t.seq) {
    t.seq = seq + 1;
    // An event the journal has not caught up with: what it changed (a stop?) is unknown, so the
    // transaction is not resumed.
    t.authorized = false;
  }
  if (p.evse !== undefined) t.evseSent = true;
  if (p.eventType === "Ended") {
    t.lost = false;
    clearTx(ctx, t);
  }
}

// ---- the board ----

function onPlug(ctx: Ctx, evseId: number, connectorId: number): void {
  const t = txBlock(ctx).evses[evseId - 1];
  // E01.FR.14: one connector of an EVSE at a time.
  if (t === undefined || (t.connectorId > 0 && t.connectorId !== connectorId)) return;
  t.connectorId = connectorId;
  evBack(ctx, t, connectorId);
}

/** The EV is gone (cable out at either end): E09 deauthorizes when StopTxOnEVSideDisconnect, E10 suspends otherwise. */
function evGone(ctx: Ctx, t: Tx): void {
  if (t.id !== "" && t.stoppedReason === "") t.stoppedReason = "EVDisconnected";
  if (flag(ctx, "TxCtrlr/StopTxOnEVSideDisconnect")) {
    // E09.FR.03: the cable stays locked for its owner, also while a stop point keeps the transaction.
    if (t.id !== "" && t.authorized && !flag(ctx, "OCPPCommCtrlr/UnlockOnEVSideDisconnect")) t.hold = t.token;
    t.authorized = false;
  }
  evaluate(ctx, t, t.id !== "" ? "EVCommunicationLost" : "");
  // A transaction that goes on keeps its reason open for what really ends it.
  if (t.id !== "" && t.stoppedReason === "EVDisconnected" && t.authorized) t.stoppedReason = "";
  // E10 with a fixed cable: the connector is free again (TC_E_27 step 3: Available), and the EV has
  // EVConnectionTimeOut to come back before the transaction is deauthorized (E10.FR.02, tx-tick.ts).
  if (t.id !== "" && t.authorized && t.txConn > 0 && !hasLock(ctx, t.evseId, t.txConn)) {
    connectorSet(ctx, t.evseId, t.txConn, "tx", false);
    t.txConn = 0;
    t.waitSince = ctx.hal.uptime();
  }
}

/** The EV is back on the EVSE's connector: a running transaction holds it again (Occupied). */
function evBack(ctx: Ctx, t: Tx, connectorId: number): void {
  t.evSide = true;
  t.waitSince = -1;
  if (t.id !== "" && t.txConn === 0) {
    t.txConn = connectorId;
    connectorSet(ctx, t.evseId, connectorId, "tx", true);
  }
  evaluate(ctx, t, "CablePluggedIn");
}

function onUnplug(ctx: Ctx, evseId: number, connectorId: number): void {
  const t = txBlock(ctx).evses[evseId - 1];
  if (t === undefined || t.connectorId !== connectorId) return;
  const wasConnected = evConnected(t);
  t.connectorId = 0;
  t.hold = undefined;
  t.evSide = false;
  t.done = false;
  if (wasConnected) evGone(ctx, t);
  else evaluate(ctx, t, "");
}

function onPilot(ctx: Ctx, evseId: number, pilot: string): void {
  const t = txBlock(ctx).evses[evseId - 1];
  if (t === undefined) return;
  // IEC 61851 E (error) and F (EVSE not available): the EVSE is Faulted until the pilot is back.
  const fault = pilot === "E" || pilot === "F";
  txFault(ctx, t, fault, t.relayFault);
  if (fault) {
    // E06.FR.16: a fault ends the transaction.
    txForceEnd(ctx, t, "Other", "AbnormalCondition");
    return;
  }
  if (t.connectorId === 0) return;
  if (pilot === "A") {
    if (t.evSide) {
      t.evSide = false;
      evGone(ctx, t);
    }
    return;
  }
  if (!t.evSide) {
    evBack(ctx, t, t.connectorId);
    return;
  }
  evaluate(ctx, t, "");
}

export const txSessions = {
  name: "transactions",
  results: { TransactionEvent: onResult },
  on: {
    start: (ctx: Ctx) => {
      const b = txBlock(ctx);
      b.evses = [];
      for (let e = 1; e <= ctx.img.evses.length; e++) b.evses[e - 1] = newTx(e);
      b.gen = 0;
      b.ref = 0;
      b.queued = {};
      b.ids = {};
      b.meterSlot = true;
      b.turn = 0;
      txStoreOpen(ctx);
    },
    restored: (ctx: Ctx) => {
      const ev = txBlock(ctx).evses;
      for (let i = 0; i < ev.length; i++) {
        // The board reports the cables still plugged in after this.
        ev[i].connectorId = 0;
        ev[i].evSide = false;
      }
      // The power may have gone between queuing an event and recording it.
      outboxQueued(ctx, "TransactionEvent", (payload: string, ref: number) => catchUp(ctx, payload, ref));
      for (let i = 0; i < ev.length; i++) txRestored(ctx, ev[i]);
    },
    tick: (ctx: Ctx, now: number) => {
      const b = txBlock(ctx);
      const n = b.evses.length;
      // One meter-value event a tick, each tick another EVSE first: a tick's work and RAM stay those
      // of one event whatever the number of EVSEs; one due meanwhile goes a tick later.
      b.meterSlot = true;
      b.turn = b.turn + 1 < n ? b.turn + 1 : 0;
      for (let k = 0; k < n; k++) tickTx(ctx, b.evses[b.turn + k < n ? b.turn + k : b.turn + k - n], now);
    },
    plug: onPlug,
    unplug: onUnplug,
    pilot: onPilot,
    relay: (ctx: Ctx, evseId: number) => {
      const t = txBlock(ctx).evses[evseId - 1];
      if (t !== undefined) evaluate(ctx, t, "");
    },
    token: onToken,
    // The lock opened (UnlockConnector, F05): a held cable is let go; one still needed is locked again at the next evaluation.
    lock: (ctx: Ctx, evseId: number, connectorId: number, locked: boolean) => {
      const t = txBlock(ctx).evses[evseId - 1];
      if (t !== undefined && !locked && t.locked === connectorId) {
        t.hold = undefined;
        t.locked = 0;
      }
    },
    authorized: onAuthorized,
    // Only the hardware follows at once: a chargingState it changes is reported from the next tick
    // (tickTx), never from inside the event that made smart charging speak.
    limit: (ctx: Ctx, evseId: number, deciAmps: number) => {
      const t = txBlock(ctx).evses[evseId - 1];
      if (t === undefined) return;
      t.cap = deciAmps;
      // A transaction the reboot left waiting keeps its hardware as it is until taken up (recoverLost).
      if (!t.lost) hardware(ctx, t);
    },
    stopTx: (ctx: Ctx, evseId: number, stoppedReason: string, triggerReason: string) => {
      const ev = txBlock(ctx).evses;
      for (let i = 0; i < ev.length; i++) if (evseId === 0 || i + 1 === evseId) txForceEnd(ctx, ev[i], stoppedReason, triggerReason);
    },
  },
};
