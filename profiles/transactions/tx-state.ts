// The state of each EVSE for the transactions block: the session (cable, EV, authorization) and
// the transaction running on it, if any. One table per EVSE, kept in blockData and, for what must
// survive a power loss, in the journal (tx-store.ts).

import { JsonObject } from "../../firmware/json";
import { listHas, modelGet, modelLookup } from "../../firmware/model";
import { connectorStatus } from "../../firmware/connectors";
import { blockData, Ctx } from "../../firmware/station";

export interface Tx {
  evseId: number;
  // ---- session ----
  /** The plugged connector (0: none) and whether the EV end is attached (pilot not A since the plug). */
  connectorId: number;
  evSide: boolean;
  /** A driver (or the CSMS) authorized charging; with the token and its group ("" none). */
  authorized: boolean;
  token: JsonObject | undefined;
  group: string;
  /** Uptime when authorization began waiting for the EV (EVConnectionTimeOut), -1 when not waiting. */
  waitSince: number;
  /** E05 with StopTxOnInvalidId false: the transaction stays, energy does not flow. */
  invalid: boolean;
  /** The token whose cable stays locked after its transaction ended (E09.FR.03, E05.FR.11) until it comes back, undefined none. */
  hold: JsonObject | undefined;
  /** A transaction already ended on this plug-in: the same connection starts no new one. */
  done: boolean;
  /** RequestStartTransaction: its id goes with the next TE (F01.FR.19/25, F02.FR.21); -1 none. */
  remoteStartId: number;
  remotePending: boolean;
  /** The chargingProfile of the RequestStartTransaction, as JSON text ("" none), for smart charging. */
  profile: string;
  /** The chargingState last reported ("" none) and whether energy flowed (EnergyTransfer stop point). */
  state: string;
  /** An Authorize asked for this EVSE: its ref and purpose ("start" or "stop"), 0 none. */
  askRef: number;
  askStop: boolean;
  // ---- transaction ----
  /** transactionId, "" when none is running. */
  id: string;
  /** Unique number of the transaction in this station's journal (result refs), and the next seqNo. */
  gen: number;
  seq: number;
  tokenSent: boolean;
  /** The transaction has been authorized / had its EV connected: a stop point ends it only once true. */
  wasAuth: boolean;
  wasConn: boolean;
  evseSent: boolean;
  phasesSent: number;
  stoppedReason: string;
  /** Uptime of the last periodic sample and of the last TxEnded sample. */
  lastUpdated: number;
  lastEnded: number;
  /** Epoch of the last clock-aligned slot reported (Sample.Clock), of the last TxEnded aligned slot. */
  lastClock: number;
  lastEndedClock: number;
  /** What the last whole journal record held but the seqNo (tx-store.ts), "" none. */
  savedSig: string;
  /** MeterValueType JSON texts kept for the Ended event (TxEndedInterval), bounded by ENDED_SAMPLES. */
  endedSamples: string[];
  /** The most the EVSE may offer (0.1 A, -1 no limit): smart charging's (limit hook). */
  cap: number;
  /** The hardware as last set: pilot offer (0.1 A), relay, locked connector (0 none), connector flagged "tx" (0 none). */
  offer: number;
  offerAt: number;
  relay: boolean;
  locked: number;
  txConn: number;
  /** E05.FR.03: the energy register at the start of the transaction while a refused token may still draw MaxEnergyOnInvalidId, -1 when not counting. */
  invalidWh: number;
  /** The energy register when the transaction started (Wh). */
  startWh: number;
  /** Restored after a reboot mid-transaction: ended (PowerLoss) as soon as the clock is known. */
  lost: boolean;
  /** Faulted (the connectors' status): the pilot reports E or F, or the contactor's feedback has disagreed with its command for relayOdd ticks in a row. */
  pilotFault: boolean;
  relayFault: boolean;
  relayOdd: number;
}

/** TxEnded samples kept per transaction: the first, and the latest ones as they come (J02.FR.20). */
export const ENDED_SAMPLES = 12;

export interface TxBlock {
  evses: Tx[];
  /** Transactions counted in this station's journal: makes gen and result refs unique. */
  gen: number;
  /** Next Authorize ref. */
  ref: number;
  /** TransactionEvents queued (in flight included) per transaction gen, for GetTransactionStatus. */
  queued: { [gen: number]: number };
  /** gen -> transactionId of transactions with queued events. */
  ids: { [gen: number]: string };
  /** A meter-value event may still go this tick (one a tick), and the EVSE the tick began with. */
  meterSlot: boolean;
  turn: number;
}

function txBlock(ctx: Ctx): TxBlock {
  return blockData(ctx, "transactions") as unknown as TxBlock;
}

export function tx(ctx: Ctx, evseId: number): Tx | undefined {
  return txBlock(ctx).evses[evseId - 1];
}

export function newTx(evseId: number): Tx {
  return {
    evseId, connectorId: 0, evSide: false, authorized: false, token: undefined, group: "", waitSince: -1, invalid: false, hold: undefined,
    done: false, remoteStartId: -1, remotePending: false, profile: "", state: "", askRef: 0, askStop: false,
    id: "", gen: 0, seq: 0, tokenSent: false, wasAuth: false, wasConn: false, evseSent: false, phasesSent: 0, stoppedReason: "",
    lastUpdated: 0, lastEnded: 0, lastClock: 0, lastEndedClock: 0, endedSamples: [], savedSig: "", cap: -1, offer: 0, offerAt: 0, relay: false, locked: 0, txConn: 0, invalidWh: -1, startWh: 0, lost: false, pilotFault: false, relayFault: false, relayOdd: 0,
  };
}

/** Is the EV connected: cable plugged and its EV end attached? */
export function evConnected(t: Tx): boolean {
  return t.connectorId > 0 && t.evSide;
}

export function startPoint(ctx: Ctx, point: string): boolean {
  return listHas(modelGet(ctx, "TxCtrlr/TxStartPoint") as string, point);
}

export function stopPoint(ctx: Ctx, point: string): boolean {
  return listHas(modelGet(ctx, "TxCtrlr/TxStopPoint") as string, point);
}

export function flag(ctx: Ctx, key: "TxCtrlr/StopTxOnEVSideDisconnect" | "TxCtrlr/StopTxOnInvalidId" | "OCPPCommCtrlr/UnlockOnEVSideDisconnect"): boolean {
  return modelGet(ctx, key) === "true";
}

/** F01.FR.01: AuthCtrlr is the authorization block's; a build without it has nobody to ask, so false. */
export function authorizeRemoteStart(ctx: Ctx): boolean {
  return modelLookup(ctx, "AuthCtrlr/AuthorizeRemoteStart") === "true";
}

/** C01.FR.25 (errata): the same token is the same idToken (case-insensitive) and type. */
export function sameToken(a: JsonObject | undefined, b: JsonObject | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.type === b.type && string.lower(a.idToken as string) === string.lower(b.idToken as string);
}

/** F01.FR.23: an EVSE whose connectors are all Unavailable or Faulted takes no new authorization. */
export function evseUsable(ctx: Ctx, evseId: number): boolean {
  const n = ctx.img.evses[evseId - 1];
  for (let c = 1; c <= n; c++) {
    const s = connectorStatus(ctx, evseId, c);
    if (s !== "Unavailable" && s !== "Faulted") return true;
  }
  return false;
}

export { txBlock };
