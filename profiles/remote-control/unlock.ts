// F05 UnlockConnector: the CSMS releases the cable retention lock of a connector (a cable stuck in a
// socket-outlet), never under an authorized transaction.

import { connectorIndex, evseInTx } from "../../firmware/connectors";
import { JsonObject } from "../../firmware/json";
import { RPC_LATER, rpcAnswer } from "../../firmware/rpc";
import { blockData, Ctx } from "../../firmware/station";

/** How long a lock motor may take to open before the unlock counts as failed (F05.FR.05). */
const LOCK_WAIT_S = 5;

interface UnlockState {
  /** The connector being unlocked (0: none) and when the answer is due at the latest. */
  evseId: number;
  connectorId: number;
  until: number;
}

function state(ctx: Ctx): UnlockState {
  return blockData(ctx, "unlock") as unknown as UnlockState;
}

function finish(ctx: Ctx, status: string): void {
  const s = state(ctx);
  s.evseId = 0;
  rpcAnswer(ctx, { status });
}

function onUnlock(ctx: Ctx, p: JsonObject): JsonObject {
  const evseId = p.evseId as number;
  const connectorId = p.connectorId as number;
  // F05.FR.03
  if (connectorIndex(ctx, evseId, connectorId) < 0) return { status: "UnknownConnector" };
  // F05.FR.02: neither unlocked nor stopped under an authorized transaction; one not (or no longer)
  // authorized, its energy stopped, lets the cable go (F04.FR.02, TC_E_17 EVConnected stop point).
  if (evseInTx(ctx, evseId, true)) return { status: "OngoingAuthorizedTransaction" };
  // F05.FR.06: tried even with no cable in; F05.FR.04/05: the lock's feedback says how it went.
  ctx.hal.setLock(evseId, connectorId, false);
  if (!ctx.hal.lockState(evseId, connectorId)) return { status: "Unlocked" };
  // The motor takes a moment: answered when the feedback says open, or UnlockFailed after LOCK_WAIT_S.
  const s = state(ctx);
  s.evseId = evseId;
  s.connectorId = connectorId;
  s.until = ctx.hal.uptime() + LOCK_WAIT_S;
  return RPC_LATER;
}

export const remoteControlUnlock = {
  name: "unlock",
  handlers: { UnlockConnector: onUnlock },
  on: {
    start: (ctx: Ctx) => {
      state(ctx).evseId = 0;
    },
    lock: (ctx: Ctx, evseId: number, connectorId: number, locked: boolean) => {
      const s = state(ctx);
      if (s.evseId === evseId && s.connectorId === connectorId && !locked) finish(ctx, "Unlocked");
    },
    tick: (ctx: Ctx, now: number) => {
      const s = state(ctx);
      if (s.evseId > 0 && now >= s.until) finish(ctx, ctx.hal.lockState(s.evseId, s.connectorId) ? "UnlockFailed" : "Unlocked");
    },
    disconnected: (ctx: Ctx) => {
      state(ctx).evseId = 0;
    },
  },
};
