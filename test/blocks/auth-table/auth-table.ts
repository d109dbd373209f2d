// TEST ONLY: a stand-in for the authorization block. Tokens whose idToken starts with "OK" (or "FAULT") are
// Accepted, "GRP" tokens are Accepted in group "G1" (as is "OKG1"), "MASTER" ones in group "POLICE" (a
// master pass once AuthCtrlr.MasterPassGroupId is POLICE), anything else Invalid. The
// answer comes synchronously, like a cache hit. tokenInfo answers are logged so tests can see them.

import type { JsonObject } from "../../../firmware/json";
import { Ctx, emit } from "../../../firmware/station";

function answer(ctx: Ctx, evseId: number, idToken: JsonObject, ref: number): void {
  const id = idToken.idToken as string;
  const info: JsonObject = { status: "Invalid" };
  if (string.sub(id, 1, 2) === "OK" || string.sub(id, 1, 3) === "GRP" || string.sub(id, 1, 5) === "FAULT") info.status = "Accepted";
  if (string.sub(id, 1, 3) === "GRP" || id === "OKG1") info.groupIdToken = { idToken: "G1", type: "Central" };
  if (string.sub(id, 1, 6) === "MASTER") {
    info.status = "Accepted";
    info.groupIdToken = { idToken: "POLICE", type: "Central" };
  }
  ctx.hal.log(3, "auth-table: " + id + " " + (info.status as string));
  emit(ctx, "authorized", evseId, idToken, info, ref);
}

export const authTable = {
  name: "auth-table",
  on: {
    authorize: answer,
    tokenInfo: (ctx: Ctx, idToken: JsonObject, info: JsonObject) => ctx.hal.log(3, "tokenInfo " + (idToken.idToken as string) + " " + (info.status as string)),
  },
};
