// B11/B12 Reset: the station reboots on the CSMS's request, after its transactions ended.
//
// OnIdle waits for idle (errata 2.14: no transaction, no cable held by its lock) and answers Scheduled
// until then (B12.FR.01); Immediate asks the transactions block to end every transaction with
// ImmediateReset / ResetCommand (B12.FR.04) and answers Accepted (B12.FR.02). Either way the reboot
// waits a bounded moment for the outbox to deliver the TransactionEvent(Ended) while online: they are
// persisted, so what is not delivered by then goes after the next boot (B12.FR.05).
//
// A single EVSE is not reset: these boards run every EVSE from one controller, with nothing to
// restart apart from the whole station, so Reset with an evseId is Rejected (B11.FR.09, B12.FR.09,
// TC_B_28/29), and EVSE.AllowReset is not declared (B11.FR.10 concerns stations that can).

import { connectorSet, evseInTx } from "../../firmware/connectors";
import { JsonObject } from "../../firmware/json";
import { modelInt } from "../../firmware/model";
import { stationReboot } from "../../firmware/reboot";
import { rpcIdle } from "../../firmware/rpc";
import { blockData, Ctx, emit, isOnline } from "../../firmware/station";

interface ResetState {
  /** "" none, else the ResetEnumType being carried out. */
  mode: string;
  /** BootReasonEnumType of the coming boot: RemoteReset, or ScheduledReset after a Scheduled answer (TC_B_21). */
  reason: string;
  /** Uptime from which the outbox gets its moment: the request (Immediate) or the moment idle came (OnIdle). */
  since: number;
  rebooting: boolean;
}

function state(ctx: Ctx): ResetState {
  return blockData(ctx, "reset") as unknown as ResetState;
}

/** Errata 2.14 (B11): no transaction and no connector holding a cable by its lock. */
function idle(ctx: Ctx): boolean {
  if (evseInTx(ctx, 0)) return false;
  const evses = ctx.img.evses;
  for (let e = 1; e <= evses.length; e++) for (let c = 1; c <= evses[e - 1]; c++) if (ctx.hal.lockState(e, c)) return false;
  return true;
}

function onReset(ctx: Ctx, p: JsonObject): JsonObject {
  const s = state(ctx);
  // B11.FR.09, B12.FR.09: no EVSE alone (evseId 0 is the station itself).
  if (p.evseId !== undefined && (p.evseId as number) !== 0) return { status: "Rejected" };
  const now = ctx.hal.uptime();
  if (s.rebooting) return { status: "Accepted" };
  if ((p.type as string) === "Immediate") {
    s.mode = "Immediate";
    s.reason = "RemoteReset";
    s.since = now;
    // B12.FR.04 (errata 2.16); the TransactionEvents queue behind this response.
    if (evseInTx(ctx, 0)) emit(ctx, "stopTx", 0, "ImmediateReset", "ResetCommand");
    return { status: "Accepted" };
  }
  // An Immediate reset under way is not slowed down by an OnIdle one.
  if (s.mode === "Immediate") return { status: "Accepted" };
  s.mode = "OnIdle";
  s.since = now;
  if (idle(ctx)) {
    s.reason = "RemoteReset";
    return { status: "Accepted" };
  }
  // B12.FR.01, B11.FR.07: the reboot follows once every transaction ended (B12.FR.03); meanwhile the
  // EVSEs that are Available become Unavailable, so no new transaction holds the reset up.
  s.reason = "ScheduledReset";
  connectorSet(ctx, 0, 0, "closing", true);
  return { status: "Scheduled" };
}

function onTick(ctx: Ctx, now: number): void {
  const s = state(ctx);
  if (s.mode === "" || s.rebooting) return;
  const grace = modelInt(ctx, "OCPPCommCtrlr/MessageTimeout[Default]");
  if (s.mode === "OnIdle" && !idle(ctx)) {
    s.since = now;
    return;
  }
  // Immediate: a transaction the transactions block could not end does not hold the reboot beyond the moment.
  const ended = !evseInTx(ctx, 0);
  const delivered = ended && (rpcIdle(ctx) || !isOnline(ctx));
  if (delivered || now - s.since >= grace) {
    s.rebooting = true;
    stationReboot(ctx, s.reason);
  }
}

export const resetStation = {
  name: "reset",
  handlers: { Reset: onReset },
  on: {
    start: (ctx: Ctx) => {
      const s = state(ctx);
      s.mode = "";
      s.reason = "";
      s.since = 0;
      s.rebooting = false;
    },
    tick: (ctx: Ctx, now: number) => onTick(ctx, now),
  },
};
