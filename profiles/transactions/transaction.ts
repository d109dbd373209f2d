// E01–E13 sessions: per EVSE, the cable, the EV, the authorization and the transaction, driven by
// the board's hooks (plug, unplug, pilot, relay, token), the authorization block's answers and
// the CSMS's (TransactionEventResponse, remote start and stop).
//
// Every input ends in evaluate(), which in this order: starts or ends the transaction when a
// TxStartPoint / TxStopPoint condition is met (Part 2 §2.6.4–2.6.6), sends the event for what
// happened, sets the hardware (relay, pilot offer, lock), and reports a chargingState that changed
// in an event of its own (E03.FR.12: simultaneous events are separate events).

import { epochNow } from "../../firmware/clock";
import { connectorSet, evseBusy } from "../../firmware/connectors";
import { fmtNum, JsonObject } from "../../firmware/json";
import { meterValue } from "../../firmware/meter";
import { modelGet, modelInt, modelLookup } from "../../firmware/model";
import { Ctx, emit } from "../../firmware/station";
import { sendTE } from "./tx-event";
import { txNewGen, txSave } from "./tx-store";
import { ENDED_SAMPLES, evConnected, evseUsable, flag, startPoint, stopPoint, Tx, txBlock } from "./tx-state";

// ---- hardware ----

/** Seconds an EV gets to answer an offer (pilot B to C) before it is reported SuspendedEV. */
const EV_ANSWER_S = 3;

/** Does the connector have a socket (a lock), rather than a fixed cable? ConnectorType s* is a socket. */
function hasLock(ctx: Ctx, evseId: number, connectorId: number): boolean {
  const ty = modelLookup(ctx, "Connector#" + fmtNum(evseId) + "." + fmtNum(connectorId) + "/ConnectorType");
  return ty !== undefined && string.sub(ty, 1, 1) === "s";
}

/**
 * The current offered to the EV in 0.1 A: the one place that decides it (smart charging will
 * lower it here). The connector's rated current while energy is allowed (authorized, EV connected,
 * token not refused, in a transaction or starting one with the energy transfer), else 0.
 */
function txOffer(ctx: Ctx, t: Tx): number {
  if (!t.authorized || !evConnected(t) || t.invalid) return 0;
  if (t.id === "" && !startPoint(ctx, "EnergyTransfer")) return 0;
  const a = modelLookup(ctx, "Connector#" + fmtNum(t.evseId) + "." + fmtNum(t.connectorId) + "/MaxCurrent");
  const n = a !== undefined ? tonumber(a) : undefined;
  if (n === undefined) return 0;
  // Smart charging's limit; below IEC 61851's 6 A no current can be offered: paused (SuspendedEVSE).
  if (t.cap >= 0 && t.cap < n * 10) return t.cap < 60 ? 0 : t.cap;
  return n * 10;
}

function hardware(ctx: Ctx, t: Tx): void {
  const e = t.evseId;
  const offer = txOffer(ctx, t);
  // IEC 61851-1 Annex A: the pilot's PWM offers the current (state B2); the contactor closes only
  // when the EV asks for energy (C2/D2) and opens when it stops asking (C→B) or leaves.
  const p = ctx.hal.pilotState(e);
  const closed = offer > 0 && (p === "C" || p === "D");
  // Locked while an authorized transaction runs on a socket, or power is offered to one starting
  // (TxStartPoint EnergyTransfer); a stop that leaves the transaction running until the cable goes
  // (TxStopPoint EVConnected) unlocks it (E07 scenario, F04.FR.02). E09.FR.02 frees it when the EV
  // end leaves; held for its owner after a deauthorization (t.hold, E05.FR.11, E09.FR.03).
  let lock = 0;
  if (((t.authorized && (t.id !== "" || offer > 0)) || t.hold !== undefined) && t.connectorId > 0 && hasLock(ctx, e, t.connectorId) && (t.evSide || t.hold !== undefined || !flag(ctx, "OCPPCommCtrlr/UnlockOnEVSideDisconnect"))) lock = t.connectorId;
  // Locked before the power flows, unlocked once it stopped.
  if (lock > 0 && lock !== t.locked) {
    if (t.locked > 0) ctx.hal.setLock(e, t.locked, false);
    ctx.hal.setLock(e, lock, true);
    t.locked = lock;
  }
  // Closing: contactor, then the offer; opening: the offer goes first, so the EV stops drawing.
  if (closed && !t.relay) {
    t.relay = true;
    ctx.hal.setRelay(e, true);
  }
  if (offer !== t.offer) {
    if (t.offer === 0) t.offerAt = ctx.hal.uptime();
    t.offer = offer;
    ctx.hal.setPilotOffer(e, offer);
  }
  if (!closed && t.relay) {
    t.relay = false;
    ctx.hal.setRelay(e, false);
  }
  if (lock === 0 && t.locked > 0) {
    ctx.hal.setLock(e, t.locked, false);
    t.locked = 0;
  }
  // Reset, availability and UnlockConnector (F05.FR.02) see the transaction and whether it is authorized.
  if (t.id !== "") evseBusy(ctx, e, t.authorized ? 2 : 1);
}

/** The EVSE's connectors are Faulted while the pilot or the contactor says so (the Faulted input of connectors.ts). */
function txFault(ctx: Ctx, t: Tx, pilot: boolean, relay: boolean): void {
  const was = t.pilotFault || t.relayFault;
  const now = pilot || relay;
  t.pilotFault = pilot;
  t.relayFault = relay;
  if (now !== was) {
    ctx.hal.log(1, "EVSE " + fmtNum(t.evseId) + (now ? " faulted" : " ok"));
    connectorSet(ctx, t.evseId, 0, "faulted", now);
  }
}

/** ChargingStateEnumType from the cable, the authorization, the relay, the pilot and the power. */
function chargingState(ctx: Ctx, t: Tx): string {
  if (!evConnected(t)) return "Idle";
  if (!t.authorized) return "EVConnected";
  const e = t.evseId;
  // E05: a refused token holds the energy back; nothing to offer yet: no transaction for it yet (a
  // PowerPathClosed start, the OCTT's EnergyTransferStarted step 7) or no current to offer.
  if (t.invalid || txOffer(ctx, t) === 0) return "SuspendedEVSE";
  // The offer on its way (the power path closing, the EV answering it): the state stays as reported
  // (SuspendedEVSE from a PowerPathClosed start), else connected, IEC 61851 B (TC_E_26 step 5 and
  // EnergyTransferStarted step 3: CablePluggedIn with EVConnected).
  const p = ctx.hal.pilotState(e);
  const relay = ctx.hal.relayClosed(e);
  if (relay && (p === "C" || p === "D" || ctx.hal.readMeter(e).powerW > 0)) return "Charging";
  // The contactor closing on the EV's request, or the EV still to answer the offer (made now, or
  // about to be: hardware() sets it after this state is reported).
  if ((!relay && (p === "C" || p === "D")) || t.offer === 0 || ctx.hal.uptime() - t.offerAt < EV_ANSWER_S) return t.state === "SuspendedEVSE" ? "SuspendedEVSE" : "EVConnected";
  // E01.FR.19: offered, not taken.
  return "SuspendedEV";
}

// ---- start and stop ----

/** transactionId (E01.FR.08): unique forever: boot counter, wall clock, journal counter and a random part. */
function newId(ctx: Ctx, gen: number): string {
  const boots = ctx.hal.load("boots");
  const now = epochNow(ctx);
  const id = (boots !== undefined ? boots : "0") + "-" + fmtNum(now !== undefined ? now : 0) + "-" + fmtNum(gen) + "-" + fmtNum(ctx.hal.random(65536));
  return string.sub(id, 1, 36);
}

function shouldStart(ctx: Ctx, t: Tx, cs: string): boolean {
  // G03.FR.06, F01.FR.23: an Inoperative (or Faulted) EVSE starts no transaction, a cable notwithstanding.
  if (!evseUsable(ctx, t.evseId)) return false;
  const conn = evConnected(t);
  if (startPoint(ctx, "EVConnected") && conn && !t.done) return true;
  if (startPoint(ctx, "Authorized") && t.authorized) return true;
  if ((startPoint(ctx, "PowerPathClosed") || t.done) && conn && t.authorized) return true;
  return startPoint(ctx, "EnergyTransfer") && cs === "Charging";
}

/**
 * The stoppedReason a TxStopPoint condition gives when it ends the transaction, "" when none does. A
 * stop point is a condition that ends being true (Part 2 §2.6.5): one never met yet ends nothing.
 */
function stopCause(ctx: Ctx, t: Tx, cs: string): string {
  if (t.authorized) t.wasAuth = true;
  if (evConnected(t)) t.wasConn = true;
  const noConn = t.wasConn && !evConnected(t);
  const noAuth = t.wasAuth && !t.authorized;
  if ((stopPoint(ctx, "EVConnected") || stopPoint(ctx, "PowerPathClosed")) && noConn) return "EVDisconnected";
  if ((stopPoint(ctx, "Authorized") || stopPoint(ctx, "PowerPathClosed")) && noAuth) return "Local";
  if (stopPoint(ctx, "EnergyTransfer") && t.state === "Charging" && cs !== "Charging") return "StoppedByEV";
  return "";
}

/** A sample kept for the Ended event: TxEndedMeasurands, the clock-aligned ones (AlignedDataCtrlr) when stamped at a slot. */
function endedSample(ctx: Ctx, t: Tx, context: string, at?: number): void {
  const mv = meterValue(ctx, t.evseId, context, modelGet(ctx, at !== undefined ? "AlignedDataCtrlr/TxEndedMeasurands" : "SampledDataCtrlr/TxEndedMeasurands") as string, at);
  if (mv === undefined) return;
  const s = t.endedSamples;
  // J02.FR.20: over the bound, intermediate samples go first; the first one (the start) stays.
  if (s.length >= ENDED_SAMPLES) table.remove(s, 2);
  s[s.length] = mv;
}

function startTx(ctx: Ctx, t: Tx, trigger: string, cs: string): void {
  const now = ctx.hal.uptime();
  t.gen = txNewGen(ctx);
  t.id = newId(ctx, t.gen);
  t.seq = 0;
  t.evseSent = false;
  t.phasesSent = 0;
  t.stoppedReason = "";
  t.wasAuth = t.authorized;
  t.wasConn = evConnected(t);
  t.startWh = ctx.hal.readMeter(t.evseId).energyWh;
  t.lastUpdated = now;
  t.lastEnded = now;
  t.endedSamples = [];
  t.lastEndedClock = 0;
  if (t.authorized) t.tokenSent = false;
  // E06.FR.11: the Ended event carries the values taken at the start, also when TxEndedInterval is 0
  // (then with the end only); with an interval the start is its first sample (TC_J_10: Sample.Periodic).
  endedSample(ctx, t, modelInt(ctx, "SampledDataCtrlr/TxEndedInterval") > 0 ? "Sample.Periodic" : "Transaction.Begin");
  if (t.connectorId > 0) {
    t.txConn = t.connectorId;
    connectorSet(ctx, t.evseId, t.connectorId, "tx", true);
  }
  // Busy for reset and availability even before a cable names the connector (TxStartPoint Authorized).
  evseBusy(ctx, t.evseId, 1);
  sendTE(ctx, t, "Started", trigger, cs, undefined, undefined);
  // Told once its Started is queued: what smart charging does about it comes after (limit hook).
  emit(ctx, "tx", t.evseId, t.id, t.profile);
}

/** Ends the transaction: TransactionEvent(Ended) with the Transaction.End sample and the kept ones. */
function endTx(ctx: Ctx, t: Tx, trigger: string, stopToken: JsonObject | undefined): void {
  // The kept samples are JSON text already: they go as they are.
  const mv: string[] = [];
  for (let i = 0; i < t.endedSamples.length; i++) mv[i] = t.endedSamples[i];
  const last = meterValue(ctx, t.evseId, "Transaction.End", modelGet(ctx, "SampledDataCtrlr/TxEndedMeasurands") as string);
  if (last !== undefined) mv[mv.length] = last;
  t.authorized = false;
  // The cable stays locked until its owner comes back when the token was refused (E05.FR.11) or the EV
  // side let go with StopTxOnEVSideDisconnect and not UnlockOnEVSideDisconnect (E09.FR.03).
  const r = t.stoppedReason;
  if (t.connectorId > 0 && (r === "DeAuthorized" || (r === "EVDisconnected" && flag(ctx, "TxCtrlr/StopTxOnEVSideDisconnect") && !flag(ctx, "OCPPCommCtrlr/UnlockOnEVSideDisconnect")))) t.hold = t.token;
  // The state the transaction ends in: energy no longer flows, the EV is connected or gone (TC_E_22_CS).
  sendTE(ctx, t, "Ended", trigger, evConnected(t) ? "EVConnected" : "Idle", mv, stopToken);
  clearTx(ctx, t);
}

/** Forgets the EVSE's transaction and its session, once its Ended event is queued. */
function clearTx(ctx: Ctx, t: Tx): void {
  const had = t.id !== "";
  t.authorized = false;
  if (t.txConn > 0) connectorSet(ctx, t.evseId, t.txConn, "tx", false);
  evseBusy(ctx, t.evseId, 0);
  t.txConn = 0;
  t.id = "";
  t.token = undefined;
  t.group = "";
  t.waitSince = -1;
  t.invalid = false;
  t.invalidWh = -1;
  t.remotePending = false;
  t.remoteStartId = -1;
  t.profile = "";
  t.stoppedReason = "";
  t.endedSamples = [];
  t.state = "";
  t.lost = false;
  // The same plug-in starts no second transaction (a new authorization or a new plug-in does).
  t.done = t.connectorId > 0;
  txSave(ctx, t);
  if (had) emit(ctx, "tx", t.evseId, "", "");
}

/**
 * Everything that follows an input on an EVSE. trigger: what happened (a TriggerReasonEnumType), ""
 * when only a state may have changed; stopToken: the token that ended the authorization.
 */
function evaluate(ctx: Ctx, t: Tx, trigger: string, stopToken?: JsonObject): void {
  if (t.lost && !recoverLost(ctx, t, trigger, stopToken)) return;
  let cs = chargingState(ctx, t);
  let sent = false;
  if (t.id === "") {
    if (shouldStart(ctx, t, cs)) {
      // A local authorization on a connected EV starts a PowerPathClosed transaction through the power
      // path it closes, not as an Authorized start point (TC_E_01 / EnergyTransferStarted step 7:
      // ChargingStateChanged, SuspendedEVSE).
      if (trigger === "" || (trigger === "Authorized" && !startPoint(ctx, "Authorized") && startPoint(ctx, "PowerPathClosed"))) trigger = "ChargingStateChanged";
      startTx(ctx, t, trigger, cs);
      sent = true;
    }
  } else {
    const cause = stopCause(ctx, t, cs);
    if (cause !== "") {
      // The first cause of the stop is the reason (a local stop stays Local when the unplug ends it).
      if (t.stoppedReason === "") t.stoppedReason = cause;
      endTx(ctx, t, trigger !== "" ? trigger : "ChargingStateChanged", stopToken);
      sent = true;
    }
  }
  if (!sent && t.id !== "" && trigger !== "") sendTE(ctx, t, "Updated", trigger, cs, undefined, stopToken);
  hardware(ctx, t);
  cs = chargingState(ctx, t);
  if (t.id === "") {
    if (!t.done && shouldStart(ctx, t, cs)) {
      startTx(ctx, t, "ChargingStateChanged", cs);
      hardware(ctx, t);
    }
  } else if (stopCause(ctx, t, cs) !== "") {
    if (t.stoppedReason === "") t.stoppedReason = stopCause(ctx, t, cs);
    endTx(ctx, t, "ChargingStateChanged", undefined);
    hardware(ctx, t);
  } else if (cs !== t.state) {
    sendTE(ctx, t, "Updated", "ChargingStateChanged", cs, undefined, undefined);
  }
}

/** Forces the end of the EVSE's transaction (stopTx, EVConnectionTimeOut, faults, power loss). */
function txForceEnd(ctx: Ctx, t: Tx, stoppedReason: string, trigger: string): void {
  t.authorized = false;
  if (t.id !== "") {
    t.stoppedReason = stoppedReason;
    endTx(ctx, t, trigger, undefined);
  }
  hardware(ctx, t);
}

/**
 * A transaction the journal restored after a reboot (§6: ended or continued per configuration). It
 * goes on when TxCtrlr.TxResumptionTimeout allows it: authorized, its token not refused (E05), and its
 * EV on the EVSE (the pilot in B, C or D: a cable alone is no EV) within that many seconds of
 * power-up; an Updated event (AbnormalCondition) tells the CSMS, the same transactionId, the next
 * seqNo. Otherwise it ends with PowerLoss once the time is known. Returns whether the caller's
 * evaluation goes on (not while it waits, nor after the resumption's own).
 */
function recoverLost(ctx: Ctx, t: Tx, trigger: string, stopToken: JsonObject | undefined): boolean {
  const e = t.evseId;
  const now = ctx.hal.uptime();
  // Stopped while it waited (a card, RequestStopTransaction, a master pass): it ends as stopped.
  if (!t.authorized && t.stoppedReason !== "") {
    t.lost = false;
    endTx(ctx, t, trigger !== "" ? trigger : "AbnormalCondition", stopToken);
    hardware(ctx, t);
    return false;
  }
  if (t.authorized && !t.invalid && now < modelInt(ctx, "TxCtrlr/TxResumptionTimeout")) {
    const p = ctx.hal.pilotState(e);
    if (t.connectorId === 0 || (p !== "B" && p !== "C" && p !== "D")) return false;
    t.lost = false;
      t.lastUpdated = now;
    t.lastEnded = now;
    t.txConn = t.connectorId;
    // What it reported before the power went is no state to stop from (TxStopPoint EnergyTransfer).
    t.state = "";
    connectorSet(ctx, e, t.connectorId, "tx", true);
    emit(ctx, "tx", e, t.id, "");
    evaluate(ctx, t, "AbnormalCondition");
    return false;
  }
  if (epochNow(ctx) === undefined) return false;
  t.lost = false;
  txForceEnd(ctx, t, "PowerLoss", "AbnormalCondition");
  return true;
}

/**
 * After a reboot: the hardware as the power cut left it (a lock stays where it was, a welded contactor
 * closed) is read back; what no transaction needs any more is let go, now or when the lost one ends.
 */
function txRestored(ctx: Ctx, t: Tx): void {
  const e = t.evseId;
  t.relay = ctx.hal.relayClosed(e);
  for (let c = ctx.img.evses[e - 1]; c > 0; c--) if (ctx.hal.lockState(e, c)) t.locked = c;
  if (!t.lost) {
    hardware(ctx, t);
    return;
  }
  // Busy as the transaction was (F05.FR.02 keeps the lock of an authorized one); no power until it is taken up.
  evseBusy(ctx, e, t.authorized ? 2 : 1);
  if (t.relay) {
    t.relay = false;
    ctx.hal.setRelay(e, false);
  }
  recoverLost(ctx, t, "", undefined);
}

// ---- authorization ----

/** Authorizes charging on the EVSE for token (group: its groupIdToken, "" none). */
function txAuthorize(ctx: Ctx, t: Tx, token: JsonObject, group: string, trigger: string): void {
  t.authorized = true;
  // A new authorization there (the CSMS's) ends any hold of the cable for an earlier owner.
  t.hold = undefined;
  t.token = token;
  t.group = group;
  t.tokenSent = false;
  t.invalid = false;
  t.invalidWh = -1;
  t.waitSince = evConnected(t) ? -1 : ctx.hal.uptime();
  // A remote start's id and profile go with its own authorization only, never a later local one's.
  if (!t.remotePending) {
    t.remoteStartId = -1;
    t.profile = "";
  }
  evaluate(ctx, t, trigger);
}

/** Ends the authorization (E07 local stop, F03 remote stop): ends or updates the transaction per TxStopPoint. */
function txDeauthorize(ctx: Ctx, t: Tx, stoppedReason: string, trigger: string, stopToken: JsonObject | undefined): void {
  t.authorized = false;
  t.waitSince = -1;
  if (t.id === "") {
    hardware(ctx, t);
    return;
  }
  if (t.stoppedReason === "") t.stoppedReason = stoppedReason;
  evaluate(ctx, t, trigger, stopToken);
}

/** Asks the authorization block about a token for this EVSE (stop: to end by group, E07.FR.01b). */
function txAsk(ctx: Ctx, t: Tx, token: JsonObject, stop: boolean): void {
  const b = txBlock(ctx);
  b.ref = b.ref + 1;
  t.askRef = b.ref;
  t.askStop = stop;
  emit(ctx, "authorize", t.evseId, token, b.ref, stop);
}

export { hasLock, hardware, txRestored, txFault, chargingState, shouldStart, endedSample, clearTx, evaluate, txForceEnd, recoverLost, txAuthorize, txDeauthorize, txAsk };
