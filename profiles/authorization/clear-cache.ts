// C11 ClearCache: the CSMS empties the authorization cache.

import { JsonObject } from "../../firmware/json";
import { Ctx } from "../../firmware/station";
import { cacheClear, cacheEnabled } from "./auth-cache";

function onClearCache(ctx: Ctx, _p: JsonObject): JsonObject {
  // C11.FR.04: Rejected while AuthCacheCtrlr.Enabled is false (the content is left alone).
  if (!cacheEnabled(ctx)) return { status: "Rejected" };
  // C11.FR.01/03.
  cacheClear(ctx);
  return { status: "Accepted" };
}

export const authorizationClearCache = {
  name: "clear-cache",
  handlers: { ClearCache: onClearCache },
};
