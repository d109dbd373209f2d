// TEST ONLY: what other blocks see of a transaction (connectors.ts "tx"), driven by tokens, and the
// stopTx requests they make, logged so a test can read them.

import { connectorSet, evseBusy } from "../../../firmware/connectors";
import { fmtNum, JsonObject } from "../../../firmware/json";
import { Ctx } from "../../../firmware/station";

export const testTx = {
  name: "test-tx",
  on: {
    token: (ctx: Ctx, evseId: number, idToken: JsonObject) => {
      const t = idToken.idToken as string;
      if (evseId > 0 && (t === "TX" || t === "END")) {
        connectorSet(ctx, evseId, 1, "tx", t === "TX");
        evseBusy(ctx, evseId, t === "TX" ? 2 : 0);
      }
    },
    stopTx: (ctx: Ctx, evseId: number, stoppedReason: string, triggerReason: string) => {
      ctx.hal.log(3, "stopTx " + fmtNum(evseId) + " " + stoppedReason + " " + triggerReason);
      connectorSet(ctx, evseId, 0, "tx", false);
      for (let e = 1; e <= ctx.img.evses.length; e++) if (evseId === 0 || e === evseId) evseBusy(ctx, e, 0);
    },
  },
};
