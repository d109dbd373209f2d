// Persistence of the transactions (E04, B12.FR.05): each EVSE's running transaction is one journal
// record, rewritten when it changes, so a power loss never loses a transactionId, its seqNo or the
// samples kept for its Ended event. An event that changed nothing but the seqNo writes a record of
// its own (key -evseId: [gen, seq]) instead of the whole transaction. The TransactionEvents
// themselves are the outbox's records.

import { fmtNum, jsonDecode, jsonEncode, JsonObject } from "../../firmware/json";
import { journalOwner, journalPut, JValue } from "../../firmware/journal";
import type { Ctx } from "../../firmware/station";
import { newTx, Tx, txBlock } from "./tx-state";

const KIND = "tx";
const GEN = "gen";

/**
 * The Tx fields a record keeps, in its order: the record is a CBOR array of them, then the kept
 * TxEnded samples and the idToken as JSON ("" none). seq first: sig() leaves it out. (The
 * RequestStartTransaction's profile is smart charging's once the transaction started: not kept here.)
 */
export const TX_RECORD = ["seq", "id", "gen", "group", "connectorId", "authorized", "tokenSent", "evseSent", "wasAuth", "wasConn", "stoppedReason", "remoteStartId", "state", "startWh", "invalid", "invalidWh"];

type Fields = { [k: string]: JValue };

function record(t: Tx): JValue {
  const f = t as unknown as Fields;
  const n = TX_RECORD.length;
  const r: JValue[] = [];
  for (let i = 0; i < n; i++) r[i] = f[TX_RECORD[i]];
  r[n] = t.endedSamples;
  r[n + 1] = t.token !== undefined ? jsonEncode(t.token) : "";
  return r;
}

function fromRecord(t: Tx, v: JValue): void {
  const r = v as JValue[];
  const n = TX_RECORD.length;
  // A record of another layout (an earlier firmware's) is not read: the outbox's queued events take the transaction up (catchUp).
  if (type(r[0]) !== "number" || r.length !== n + 2) return;
  const f = t as unknown as Fields;
  for (let i = 0; i < n; i++) f[TX_RECORD[i]] = r[i];
  const ended = r[n] as string[];
  t.endedSamples = [];
  // A sample stamped from an earlier boot's uptime (no clock then, clock.ts stampNow) cannot be placed in time: left out.
  for (let i = 0; i < ended.length; i++) if (string.sub(ended[i], 1, 17) !== "{\"timestamp\":\"197") t.endedSamples[t.endedSamples.length] = ended[i];
  const [tok] = jsonDecode(r[n + 1] as string, 4, false);
  t.token = tok as JsonObject | undefined;
  t.lost = t.id !== "";
}

/** What the record holds but the seqNo, in short (the samples by their count): equal means only the seqNo moved since the last full record. */
function sig(t: Tx): string {
  const f = t as unknown as Fields;
  const out: string[] = [];
  for (let i = 1; i < TX_RECORD.length; i++) {
    const v = f[TX_RECORD[i]];
    out[i - 1] = type(v) === "number" ? fmtNum(v as number) : tostring(v as string | boolean);
  }
  out[out.length] = fmtNum(t.endedSamples.length) + "|" + (t.token !== undefined ? (t.token.idToken as string) : "");
  return table.concat(out, "|");
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
