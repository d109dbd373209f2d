// The transactions block's once-a-second work per EVSE: a lost transaction taken up again, the
// EVConnectionTimeOut (E03.FR.05), MaxEnergyOnInvalidId (E05.FR.03), periodic and clock-aligned
// meter values (J01, J02) and the charging state the power tells.

import { imod } from "../../firmware/arith";
import { epochNow } from "../../firmware/clock";
import { jarr, jraw } from "../../firmware/json";
import { meterValue } from "../../firmware/meter";
import { modelGet, modelInt } from "../../firmware/model";
import { rpcCall, rpcHasRoom } from "../../firmware/rpc";
import { Ctx, isOnline, registration } from "../../firmware/station";
import { chargingState, endedSample, evaluate, recoverLost, shouldStart, txFault, txForceEnd } from "./transaction";
import { sendTE } from "./tx-event";
import { txSave } from "./tx-store";
import { evConnected, Tx, txBlock } from "./tx-state";

/** Clock-aligned slot start for an interval, or undefined when the time is unknown. */
function slot(ctx: Ctx, interval: number): number | undefined {
  const now = epochNow(ctx);
  return now === undefined ? undefined : now - imod(now, interval);
}

export function tickTx(ctx: Ctx, t: Tx, now: number): void {
  // Faulted once the contactor's feedback has disagreed with its command for 3 ticks (welded, or failing to close).
  t.relayOdd = ctx.hal.relayClosed(t.evseId) !== t.relay ? t.relayOdd + 1 : 0;
  const relayFault = t.relayOdd >= 3;
  if (relayFault !== t.relayFault) txFault(ctx, t, t.pilotFault, relayFault);
  if (t.lost) {
    recoverLost(ctx, t, "", undefined);
    return;
  }
  // E03.FR.05, C01.FR.26: no EV within EVConnectionTimeOut ends the authorization (and the transaction).
  if (t.authorized && t.waitSince >= 0 && !evConnected(t) && now - t.waitSince >= modelInt(ctx, "TxCtrlr/EVConnectionTimeOut")) {
    t.waitSince = -1;
    if (t.id !== "") txForceEnd(ctx, t, "Timeout", "EVConnectTimeout");
    else {
      t.authorized = false;
      t.remotePending = false;
    }
    return;
  }
  let changed = false;
  if (t.invalidWh >= 0 && ctx.hal.readMeter(t.evseId).energyWh - t.invalidWh >= modelInt(ctx, "TxCtrlr/MaxEnergyOnInvalidId")) {
    t.invalidWh = -1;
    t.invalid = true;
    // Journaled at once: a reboot must not give the refused token its energy back.
    txSave(ctx, t);
    changed = true;
  }
  const b = txBlock(ctx);
  if (t.id !== "") {
    const upd = modelInt(ctx, "SampledDataCtrlr/TxUpdatedInterval");
    if (upd > 0 && now - t.lastUpdated >= upd && b.meterSlot) {
      b.meterSlot = false;
      t.lastUpdated = now;
      // J02.FR.11: periodic samples in Updated events.
      const mv = meterValue(ctx, t.evseId, "Sample.Periodic", modelGet(ctx, "SampledDataCtrlr/TxUpdatedMeasurands") as string);
      if (mv !== undefined) sendTE(ctx, t, "Updated", "MeterValuePeriodic", chargingState(ctx, t), [mv], undefined);
    }
    const endi = modelInt(ctx, "SampledDataCtrlr/TxEndedInterval");
    if (endi > 0 && now - t.lastEnded >= endi) {
      t.lastEnded = now;
      endedSample(ctx, t, "Sample.Periodic");
      txSave(ctx, t);
    }
    const ae = modelInt(ctx, "AlignedDataCtrlr/TxEndedInterval");
    const se = ae > 0 ? slot(ctx, ae) : undefined;
    if (se !== undefined) {
      if (t.lastEndedClock > 0 && se > t.lastEndedClock) {
        endedSample(ctx, t, "Sample.Clock", se);
        txSave(ctx, t);
      }
      t.lastEndedClock = se;
    }
  }
  const ai = modelInt(ctx, "AlignedDataCtrlr/Interval");
  const s = ai > 0 ? slot(ctx, ai) : undefined;
  const due = s !== undefined && t.lastClock > 0 && s > t.lastClock;
  if (s !== undefined && (!due || b.meterSlot)) {
    if (due) {
      b.meterSlot = false;
      // Stamped with the boundary itself, also when the tick comes late or the clock was just set.
      const mv = meterValue(ctx, t.evseId, "Sample.Clock", modelGet(ctx, "AlignedDataCtrlr/Measurands") as string, s);
      // J01.FR.22: an EVSE in a transaction reports them in its events; J01.FR.14: an idle one in MeterValues.
      if (mv !== undefined && t.id !== "") sendTE(ctx, t, "Updated", "MeterValueClock", chargingState(ctx, t), [mv], undefined);
      else if (mv !== undefined && isOnline(ctx) && registration(ctx) === "Accepted" && rpcHasRoom(ctx)) rpcCall(ctx, "MeterValues", { evseId: t.evseId, meterValue: jarr([jraw(mv)]) });
    }
    t.lastClock = s;
  }
  // The power tells Charging from SuspendedEV; energy transfer may start or end a transaction.
  if (changed || (t.id !== "" && chargingState(ctx, t) !== t.state) || (t.id === "" && t.authorized && shouldStart(ctx, t, chargingState(ctx, t)))) evaluate(ctx, t, "");
}
