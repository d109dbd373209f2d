// What the embedded CSMS knows of each transaction, derived only from the TransactionEvents it received, and one readable log line per event.

import type { IdToken } from "./csms-tokens";

export interface CsmsTransaction {
  identity: string;
  transactionId: string;
  evseId: number | undefined;
  connectorId: number | undefined;
  /** The last idToken any event of the transaction carried. */
  idToken: IdToken | undefined;
  /** What this CSMS answered for that token. */
  tokenStatus: string | undefined;
  /** "Started" | "Updated" | "Ended": the last eventType received. */
  eventType: string;
  triggerReason: string;
  seqNo: number;
  /** seqNo values that did not follow the previous one (E01-E04: seqNo counts up by one per transaction event). */
  seqNoGaps: number;
  chargingState: string | undefined;
  /** Energy.Active.Import.Register of the last meter value, Wh. */
  energyWh: number | undefined;
  /** Power.Active.Import of the last meter value, W. */
  powerW: number | undefined;
  /** SoC of the last meter value, percent. */
  socPercent: number | undefined;
  remoteStartId: number | undefined;
  stoppedReason: string | undefined;
  startedAt: string;
  updatedAt: string;
  active: boolean;
}

interface SampledValue {
  value?: unknown;
  measurand?: unknown;
  phase?: unknown;
  unitOfMeasure?: { unit?: unknown; multiplier?: unknown };
}

/** The value of one measurand in W or Wh (kW/kWh scaled, multiplier applied): the phase-less value, or the sum of the phases. */
function measurand(values: SampledValue[], name: string, base: string): number | undefined {
  const of = values.filter((v) => (v.measurand ?? "Energy.Active.Import.Register") === name && typeof v.value === "number");
  const scaled = (v: SampledValue): number => {
    const unit = typeof v.unitOfMeasure?.unit === "string" ? v.unitOfMeasure.unit : base;
    const mult = typeof v.unitOfMeasure?.multiplier === "number" ? v.unitOfMeasure.multiplier : 0;
    return (v.value as number) * 10 ** mult * (unit === `k${base}` ? 1000 : 1);
  };
  const total = of.find((v) => v.phase === undefined);
  if (total !== undefined) return scaled(total);
  // Per-phase line values only (L1, L2, L3; not L1-N style duplicates of the same phase).
  const lines = of.filter((v) => v.phase === "L1" || v.phase === "L2" || v.phase === "L3");
  return lines.length === 0 ? undefined : lines.reduce((s, v) => s + scaled(v), 0);
}

function num(n: number, digits: number): string {
  return n.toFixed(digits);
}

export class TransactionTracker {
  /** By identity and transactionId. */
  private readonly txs = new Map<string, CsmsTransaction>();
  /** Transactions kept (the oldest ended ones go first), so a long run does not grow without bound. */
  maxKept = 1000;

  list(identity?: string): CsmsTransaction[] {
    return [...this.txs.values()].filter((t) => identity === undefined || t.identity === identity);
  }

  get(identity: string, transactionId: string): CsmsTransaction | undefined {
    return this.txs.get(`${identity}\u0000${transactionId}`);
  }

  /** The transaction running on an EVSE, as far as the events tell. */
  onEvse(identity: string, evseId: number): CsmsTransaction | undefined {
    return this.list(identity).find((t) => t.active && t.evseId === evseId);
  }

  /**
   * Applies one TransactionEventRequest (already schema-checked by strict mode) and returns the
   * transaction and its log line; tokenStatus is what the CSMS answers for the event's idToken.
   */
  observe(identity: string, p: Record<string, unknown>, tokenStatus: string | undefined): { tx: CsmsTransaction; line: string } {
    const info = (p.transactionInfo ?? {}) as { transactionId: string; chargingState?: string; stoppedReason?: string; remoteStartId?: number };
    const evse = p.evse as { id: number; connectorId?: number } | undefined;
    const idToken = p.idToken as IdToken | undefined;
    const now = new Date().toISOString();
    const key = `${identity}\u0000${info.transactionId}`;
    let tx = this.txs.get(key);
    // A seqNo that does not follow the last one of this transaction; the first event seen has nothing to follow.
    let gap: string | undefined;
    if (tx === undefined) {
      tx = {
        identity,
        transactionId: info.transactionId,
        evseId: undefined,
        connectorId: undefined,
        idToken: undefined,
        tokenStatus: undefined,
        eventType: String(p.eventType),
        triggerReason: String(p.triggerReason),
        seqNo: Number(p.seqNo),
        seqNoGaps: 0,
        chargingState: undefined,
        energyWh: undefined,
        powerW: undefined,
        socPercent: undefined,
        remoteStartId: undefined,
        stoppedReason: undefined,
        startedAt: typeof p.timestamp === "string" ? p.timestamp : now,
        updatedAt: now,
        active: true,
      };
      this.txs.set(key, tx);
      if (this.txs.size > this.maxKept) {
        const old = [...this.txs].find(([, t]) => !t.active);
        if (old !== undefined) this.txs.delete(old[0]);
      }
    } else if (Number(p.seqNo) !== tx.seqNo + 1) {
      tx.seqNoGaps++;
      gap = `(seqNo ${String(p.seqNo)} after ${tx.seqNo})`;
    }
    tx.eventType = String(p.eventType);
    tx.triggerReason = String(p.triggerReason);
    tx.seqNo = Number(p.seqNo);
    tx.updatedAt = now;
    if (evse !== undefined) {
      tx.evseId = evse.id;
      if (evse.connectorId !== undefined) tx.connectorId = evse.connectorId;
    }
    if (idToken !== undefined) {
      tx.idToken = { idToken: idToken.idToken, type: idToken.type };
      tx.tokenStatus = tokenStatus;
    }
    if (info.chargingState !== undefined) tx.chargingState = info.chargingState;
    if (info.stoppedReason !== undefined) tx.stoppedReason = info.stoppedReason;
    if (info.remoteStartId !== undefined) tx.remoteStartId = info.remoteStartId;
    const mv = Array.isArray(p.meterValue) ? (p.meterValue as { sampledValue?: SampledValue[] }[]) : [];
    const sampled = mv.length === 0 ? [] : (mv[mv.length - 1].sampledValue ?? []);
    const e = measurand(sampled, "Energy.Active.Import.Register", "Wh");
    const w = measurand(sampled, "Power.Active.Import", "W");
    const soc = measurand(sampled, "SoC", "Percent");
    if (e !== undefined) tx.energyWh = e;
    if (w !== undefined) tx.powerW = w;
    if (soc !== undefined) tx.socPercent = soc;
    if (tx.eventType === "Ended") tx.active = false;

    const parts = [`TX ${tx.transactionId} ${tx.eventType}`];
    if (tx.eventType === "Started" && tx.evseId !== undefined) parts.push(`evse ${tx.evseId}`);
    if (idToken !== undefined) parts.push(`token ${idToken.idToken === "" ? "\"\"" : idToken.idToken}${tokenStatus === undefined ? "" : ` ${tokenStatus}`}`);
    if (info.remoteStartId !== undefined) parts.push(`remoteStartId ${info.remoteStartId}`);
    if (info.chargingState !== undefined) parts.push(info.chargingState);
    if (info.stoppedReason !== undefined) parts.push(info.stoppedReason);
    if (w !== undefined) parts.push(`${num(w / 1000, 1)} kW`);
    if (e !== undefined) parts.push(`${num(e / 1000, 3)} kWh`);
    if (soc !== undefined) parts.push(`SoC ${soc} %`);
    parts.push(tx.triggerReason);
    if (gap !== undefined) parts.push(gap);
    return { tx, line: parts.join(" ") };
  }
}
