// Test-only block: stands in for the transactions block towards the authorization block. A token
// presented at a reader becomes an `authorize` request (ref counts up from 1), and every
// `authorized` answer is logged as "AUTHORIZED <ref> <evseId> <idToken> <info JSON>" for the test to
// read. A token "TI|<idToken>|<status>[|<group>]" instead reports that idTokenInfo through `tokenInfo`,
// as a TransactionEventResponse would; a token "STOP|<idToken>" asks to end an authorization (stop).

import { fmtNum, jsonEncode, JsonObject } from "../../firmware/json";
import { blockData, Ctx, emit } from "../../firmware/station";

function onToken(ctx: Ctx, evseId: number, idToken: JsonObject): void {
  const t = idToken.idToken as string;
  if (string.sub(t, 1, 3) === "TI|") {
    const [a] = string.find(t, "|", 4, true);
    const [b] = string.find(t, "|", (a as number) + 1, true);
    const info: JsonObject = { status: string.sub(t, (a as number) + 1, b === undefined ? t.length : b - 1) };
    if (b !== undefined) info.groupIdToken = { idToken: string.sub(t, b + 1), type: "Central" };
    emit(ctx, "tokenInfo", { idToken: string.sub(t, 4, (a as number) - 1), type: idToken.type as string }, info);
    return;
  }
  const d = blockData(ctx, "auth-driver") as { n?: number };
  d.n = (d.n !== undefined ? d.n : 0) + 1;
  const stop = string.sub(t, 1, 5) === "STOP|";
  emit(ctx, "authorize", evseId, stop ? { idToken: string.sub(t, 6), type: idToken.type as string } : idToken, d.n, stop);
}

function onAuthorized(ctx: Ctx, evseId: number, idToken: JsonObject, info: JsonObject, ref: number): void {
  ctx.hal.log(3, "AUTHORIZED " + fmtNum(ref) + " " + fmtNum(evseId) + " " + (idToken.idToken as string) + " " + jsonEncode(info));
}

export const authDriver = {
  name: "auth-driver",
  on: { token: onToken, authorized: onAuthorized },
};
