// E14 GetTransactionStatus, and F06 TriggerMessage for TransactionEvent and MeterValues (J01).

import { JsonObject, jarr, jraw } from "../../firmware/json";
import { meterValue } from "../../firmware/meter";
import { modelGet } from "../../firmware/model";
import { outboxPersisted } from "../../firmware/outbox";
import { rpcCall, rpcRoom } from "../../firmware/rpc";
import { Ctx } from "../../firmware/station";
import { chargingState } from "./transaction";
import { sendTE } from "./tx-event";
import { txBlock } from "./tx-state";

function onStatus(ctx: Ctx, p: JsonObject): JsonObject {
  const id = p.transactionId as string | undefined;
  // E14.FR.06..08: without a transactionId, only whether any TransactionEvent waits (in flight counts).
  if (id === undefined) return { messagesInQueue: outboxPersisted(ctx, "TransactionEvent") > 0 };
  const b = txBlock(ctx);
  let ongoing = false;
  for (let i = 0; i < b.evses.length; i++) if (b.evses[i].id === id) ongoing = true;
  let queued = false;
  for (const [gen, tid] of pairs(b.ids)) if (tid === id && (b.queued[gen as number] as number | undefined) !== undefined) queued = true;
  // E14.FR.01..05: an unknown id is neither ongoing nor queued.
  return { ongoingIndicator: ongoing, messagesInQueue: queued };
}

function triggerTE(ctx: Ctx, evseId: number): string {
  const ev = txBlock(ctx).evses;
  let n = 0;
  for (let i = 0; i < ev.length; i++) {
    const t = ev[i];
    if ((evseId === 0 || i + 1 === evseId) && t.id !== "") {
      // F06.FR.07: the current state and a sample with context Trigger.
      const mv = meterValue(ctx, t.evseId, "Trigger", modelGet(ctx, "SampledDataCtrlr/TxUpdatedMeasurands") as string);
      sendTE(ctx, t, "Updated", "Trigger", chargingState(ctx, t), mv !== undefined ? [mv] : undefined, undefined);
      n = n + 1;
    }
  }
  return n > 0 ? "Accepted" : "Rejected";
}

function triggerMeter(ctx: Ctx, evseId: number): string {
  const evses = ctx.img.evses.length;
  if (evseId > evses) return "Rejected";
  // F06.FR.10: Accepted only when every promised message can be queued.
  if (rpcRoom(ctx) < (evseId === 0 ? evses : 1)) return "Rejected";
  for (let e = 1; e <= evses; e++) {
    if (evseId === 0 || e === evseId) {
      const mv = meterValue(ctx, e, "Trigger", modelGet(ctx, "AlignedDataCtrlr/Measurands") as string);
      if (mv === undefined) return "Rejected";
      rpcCall(ctx, "MeterValues", { evseId: e, meterValue: jarr([jraw(mv)]) });
    }
  }
  return "Accepted";
}

export const txStatus = {
  name: "transactions-status",
  handlers: { GetTransactionStatus: onStatus },
  triggers: { TransactionEvent: triggerTE, MeterValues: triggerMeter },
  on: {
    // K11.FR.04 / K13.FR.03: an external limit moved the rate of a running transaction.
    rate: (ctx: Ctx, evseId: number) => {
      const t = txBlock(ctx).evses[evseId - 1];
      // Not one a reboot left waiting to be taken up or ended: its hardware stays as it is (tx-hooks.ts limit).
      if (t !== undefined && t.id !== "" && !t.lost) sendTE(ctx, t, "Updated", "ChargingRateChanged", chargingState(ctx, t), undefined, undefined);
    },
  },
};
