// Persistence of the transactions (E04, B12.FR.05): each EVSE's running transaction is one journal
// record, rewritten when it changes, so a power loss never loses a transactionId, its seqNo or the
// samples kept for its Ended event. An event that changed nothing but the seqNo writes a record of
// its own (key -evseId: [gen, seq]) instead of the whole transaction. The TransactionEvents
// themselves are the outbox's records.

import { jsonDecode, jsonEncode, JsonObject } from "../../firmware/json";
import { journalOwner, journalPut, JValue } from "../../firmware/journal";
import type { Ctx } from "../../firmware/station";
import { newTx, Tx, txBlock } from "./tx-state";

const KIND = "tx";
const GEN = "gen";

type Rec = { [k: string]: JValue };

function record(t: Tx): JValue {
  const r: Rec = {
    id: t.id, gen: t.gen, seq: t.seq, group: t.group, conn: t.connectorId, auth: t.authorized, tokSent: t.tokenSent,
    evseSent: t.evseSent, wasAuth: t.wasAuth, wasConn: t.wasConn, reason: t.stoppedReason, rsId: t.remoteStartId, profile: t.profile, state: t.state, ended: t.endedSamples,
    wh: t.startWh, inv: t.invalid, invWh: t.invalidWh,
  };
  if (t.token !== undefined) r.token = jsonEncode(t.token);
  return r;
}

function fromRecord(t: Tx, v: JValue): void {
  const r = v as Rec;
  t.id = r.id as string;
  t.gen = r.gen as number;
  t.seq = r.seq as number;
  t.group = r.group as string;
  t.connectorId = r.conn as number;
  t.authorized = r.auth as boolean;
  t.tokenSent = r.tokSent as boolean;
  t.evseSent = r.evseSent as boolean;
  t.wasAuth = r.wasAuth as boolean;
  t.wasConn = r.wasConn as boolean;
  t.stoppedReason = r.reason as string;
  t.remoteStartId = r.rsId as number;
  t.profile = r.profile as string;
  t.state = r.state as string;
  // E05 survives the reboot: a refused token gets no more energy than before it. (A record of a
  // firmware without these fields reads as a token not refused, counted from 0 Wh.)
  t.startWh = r.wh !== undefined ? (r.wh as number) : 0;
  t.invalid = r.inv === true;
  t.invalidWh = r.invWh !== undefined ? (r.invWh as number) : -1;
  const ended = r.ended as string[];
  t.endedSamples = [];
  // A sample stamped from an earlier boot's uptime (no clock then, clock.ts stampNow) cannot be placed in time: left out.
  for (let i = 0; i < ended.length; i++) if (string.sub(ended[i], 1, 17) !== "{\"timestamp\":\"197") t.endedSamples[t.endedSamples.length] = ended[i];
  if (r.token !== undefined) {
    const [tok] = jsonDecode(r.token as string, 4, false);
    t.token = tok as JsonObject;
  }
  t.lost = t.id !== "";
}

/** What the record holds but the seqNo, in short: equal means only the seqNo moved since the last full record. */
function sig(t: Tx): string {
  const tok = t.token !== undefined ? (t.token.idToken as string) : "";
  return string.format("%s|%d|%s|%d|%s|%s|%s|%s|%s|%s|%d|%s|%d|%d|%s|%s|%d", t.id, t.gen, t.group, t.connectorId, tostring(t.authorized), tostring(t.tokenSent),
    tostring(t.evseSent), tostring(t.wasAuth), tostring(t.wasConn), t.stoppedReason, t.remoteStartId, t.state, t.endedSamples.length, t.profile.length, tok, tostring(t.invalid), t.invalidWh);
}

/** Writes the EVSE's transaction (or its end: no record while none runs). */
function txSave(ctx: Ctx, t: Tx): void {
  const at = journalPut(ctx, KIND, t.evseId, t.id !== "" ? record(t) : undefined);
  if (at === undefined) ctx.hal.log(1, "journal full: transaction state not saved");
  t.savedSig = t.id !== "" ? sig(t) : "";
}

/** After an event: the seqNo alone when nothing else changed, else the whole transaction. */
export function txSaveSeq(ctx: Ctx, t: Tx): void {
  if (t.id === "" || sig(t) !== t.savedSig) {
    txSave(ctx, t);
    return;
  }
  // No room for it: txSave says so.
  if (journalPut(ctx, KIND, -t.evseId, [t.gen, t.seq]) === undefined) txSave(ctx, t);
}

/** A new transaction number, persisted before use so it is never handed out twice. */
export function txNewGen(ctx: Ctx): number {
  const b = txBlock(ctx);
  b.gen = b.gen + 1;
  journalPut(ctx, KIND, GEN, b.gen);
  return b.gen;
}

/** Registers the owner (from the block's start hook): replay restores, dump rewrites. */
export function txStoreOpen(ctx: Ctx): void {
  journalOwner(ctx, KIND, {
    replay: (c: Ctx, key: string | number, value: JValue | undefined) => {
      const b = txBlock(c);
      if (key === GEN) {
        if (value !== undefined && (value as number) > b.gen) b.gen = value as number;
        return;
      }
      if ((key as number) < 0) {
        // The seqNo of an event that changed nothing else; one of another transaction (gen) or lower than the record's is stale.
        const ts = b.evses[-(key as number) - 1];
        const r = value as number[] | undefined;
        if (ts !== undefined && r !== undefined && ts.id !== "" && ts.gen === r[0] && r[1] > ts.seq) ts.seq = r[1];
        return;
      }
      const t = b.evses[(key as number) - 1];
      if (t === undefined) return;
      if (value === undefined) {
        b.evses[(key as number) - 1] = newTx(key as number);
        return;
      }
      fromRecord(t, value);
      if (t.gen > b.gen) b.gen = t.gen;
    },
    dump: (c: Ctx) => {
      const b = txBlock(c);
      journalPut(c, KIND, GEN, b.gen);
      for (let i = 0; i < b.evses.length; i++) if (b.evses[i].id !== "") txSave(c, b.evses[i]);
    },
  });
}

export { txSave };
