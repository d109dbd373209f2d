// TEST ONLY: stands in for the smart-charging block on the hooks the transactions block shares with
// it. "CAP<n>" presented at an EVSE's reader emits limit(evseId, n) (a composite limit, K08); each
// tx hook (a transaction starts with its RequestStartTransaction profile, or ends) is logged.

import { fmtNum, JsonObject } from "../../../firmware/json";
import { Ctx, emit } from "../../../firmware/station";

export const testSmart = {
  name: "test-smart",
  on: {
    token: (ctx: Ctx, evseId: number, idToken: JsonObject) => {
      const id = idToken.idToken as string;
      if (evseId > 0 && string.sub(id, 1, 3) === "CAP") emit(ctx, "limit", evseId, tonumber(string.sub(id, 4)) as number);
    },
    tx: (ctx: Ctx, evseId: number, transactionId: string, profile: string) => ctx.hal.log(3, "tx " + fmtNum(evseId) + " [" + transactionId + "] " + profile),
  },
};
