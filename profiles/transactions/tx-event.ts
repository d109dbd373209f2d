// TransactionEventRequest payloads (Part 2 §E.1.5): seqNo, the fields sent once (idToken, evse,
// remoteStartId), chargingState when it changed, offline, numberOfPhasesUsed, meter values; queued
// through the persisted outbox with the E13 retry settings.

import { stampNow } from "../../firmware/clock";
import { jarr, Json, JsonObject, jraw } from "../../firmware/json";
import { meterValue, phasesUsed } from "../../firmware/meter";
import { modelGet, modelInt } from "../../firmware/model";
import { rpcCall } from "../../firmware/rpc";
import { Ctx, isOnline } from "../../firmware/station";
import { isoTime } from "../../firmware/time";
import { txSaveSeq } from "./tx-store";
import { Tx, txBlock } from "./tx-state";

/** Result refs: the transaction's gen, doubled, plus 1 when the event carried the transaction's idToken. */
function teRef(gen: number, carriesToken: boolean): number {
  return gen * 2 + (carriesToken ? 1 : 0);
}

/**
 * Queues one TransactionEvent for the EVSE's transaction with the chargingState cs (reported when it
 * changed, always in Started and Ended, on Trigger and on Deauthorized: the OCTT's StopAuthorized,
 * Deauthorized (errata 6.2.118) and TC_B_22 read it there). stopToken: the token that ended the authorization
 * (E07.FR.02). meter: MeterValueTypes to send besides the Transaction.Begin sample.
 */
export function sendTE(ctx: Ctx, t: Tx, eventType: string, trigger: string, cs: string, meter: string[] | undefined, stopToken: JsonObject | undefined): void {
  if (queueTE(ctx, t, eventType, trigger, cs, meter, stopToken)) {
    const b = txBlock(ctx);
    const q = b.queued[t.gen];
    b.queued[t.gen] = (q !== undefined ? q : 0) + 1;
    b.ids[t.gen] = t.id;
  }
  // Journaled once the payload's tables are garbage (queueTE returned): they are not on top of the record.
  txSaveSeq(ctx, t);
}

/** sendTE's event built and queued: false when the outbox could not keep it. */
function queueTE(ctx: Ctx, t: Tx, eventType: string, trigger: string, cs: string, meter: string[] | undefined, stopToken: JsonObject | undefined): boolean {
  const now = stampNow(ctx);
  const info: JsonObject = { transactionId: t.id };
  const p: JsonObject = { eventType, timestamp: isoTime(now), triggerReason: trigger, seqNo: t.seq, transactionInfo: info };
  if (cs !== t.state || eventType !== "Updated" || trigger === "Trigger" || trigger === "ChargingStateChanged" || trigger === "Deauthorized") info.chargingState = cs;
  t.state = cs;
  // F01.FR.19/25, F02.FR.21: the next event after a RequestStartTransaction says so.
  if (t.remotePending) {
    p.triggerReason = "RemoteStart";
    info.remoteStartId = t.remoteStartId;
    t.remotePending = false;
  }
  let carries = false;
  if (stopToken !== undefined) p.idToken = stopToken;
  else if (t.authorized && t.token !== undefined && !t.tokenSent) {
    // E01.FR.10, E03.FR.01: the idToken once, in the first event after authorization.
    p.idToken = t.token;
    t.tokenSent = true;
    carries = true;
  }
  const mv: Json[] = [];
  // E01.FR.16/17: evse once the EV is connected; the Transaction.Begin sample goes with it (TC_J_08).
  if (!t.evseSent && t.connectorId > 0) {
    p.evse = { id: t.evseId, connectorId: t.connectorId };
    t.evseSent = true;
    const begin = meterValue(ctx, t.evseId, "Transaction.Begin", modelGet(ctx, "SampledDataCtrlr/TxStartedMeasurands") as string);
    if (begin !== undefined) mv[mv.length] = jraw(begin);
  }
  if (meter !== undefined) for (let i = 0; i < meter.length; i++) mv[mv.length] = jraw(meter[i]);
  if (mv.length > 0) p.meterValue = jarr(mv);
  if (info.stoppedReason === undefined && eventType === "Ended" && t.stoppedReason !== "") info.stoppedReason = t.stoppedReason;
  // E02.FR.18/19: the phases in use when energy flows, again when they change.
  if (cs === "Charging") {
    const n = phasesUsed(ctx, t.evseId);
    if (n > 0 && n !== t.phasesSent) {
      p.numberOfPhasesUsed = n;
      t.phasesSent = n;
    }
  }
  // E04.FR.03, E11/E12: an event that happens offline says so (the outbox marks those queued before an outage).
  if (!isOnline(ctx)) p.offline = true;
  t.seq = t.seq + 1;
  const periodic = trigger === "MeterValuePeriodic" || trigger === "MeterValueClock";
  return rpcCall(ctx, "TransactionEvent", p, {
    persist: true,
    attempts: modelInt(ctx, "OCPPCommCtrlr/MessageAttempts[TransactionEvent]"),
    interval: modelInt(ctx, "OCPPCommCtrlr/MessageAttemptInterval[TransactionEvent]"),
    // E04.FR.07/08: only intermediate meter-value events may give way when the journal is full.
    droppable: eventType === "Updated" && periodic && p.triggerReason === trigger,
    // E11.FR.07: an event queued before an outage and sent after it says it happened offline.
    markOffline: true,
    ref: teRef(t.gen, carries),
  });
}
