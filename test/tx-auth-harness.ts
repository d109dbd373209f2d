// Scenario helpers for the Part 6 C (authorization) test cases that need the whole path: the REAL
// authorization block (Authorize to the CSMS, the authorization cache, LocalPreAuthorize,
// DisablePostAuthorize, MasterPassGroupId, ClearCache, offline rules) together with the real
// transactions block. The image is core with every real block; EVSE 1 a socket (it locks), EVSE 2 a
// fixed cable. The scripted CSMS answers Authorize and TransactionEvent from one directory of
// idTokens (t.directory), as a real CSMS would answer both from its own records.

import * as path from "node:path";
import { ROOT } from "../build/compile";
import { RuntimeName } from "../sim/runtimes/image";
import { bootAccepted, Frame, NOW_ISO } from "./harness";
import { advance, buildCoreVariant, flush, sent, TE, TxStation } from "./tx-harness";

export const TX_AUTH_CONFIG = "test-tx-auth";
export const TX_AUTH_FILE = path.join(ROOT, "build", "out", `${TX_AUTH_CONFIG}.json`);

/** Builds the image (core with every real block): from test/global-setup.ts, once per run. */
export function buildTxAuthImage(): void {
  buildCoreVariant(TX_AUTH_FILE, TX_AUTH_CONFIG, (b) => b);
}

export interface IdToken {
  idToken: string;
  type: string;
}

export interface IdTokenInfo {
  status: string;
  groupIdToken?: IdToken;
  cacheExpiryDateTime?: string;
  evseId?: number[];
}

export interface TxAuthStation extends TxStation {
  /** What the CSMS knows of each idToken (case-insensitive key); one it does not know is Unknown. */
  directory: Record<string, IdTokenInfo>;
  /** The AuthorizeResponse payload for an AuthorizeRequest; undefined leaves it unanswered. */
  authAnswer: ((idToken: IdToken) => unknown) | undefined;
}

/** The directory's idTokenInfo for a token. */
export function lookup(t: TxAuthStation, tok: IdToken): IdTokenInfo {
  return t.directory[tok.idToken.toLowerCase()] ?? { status: "Unknown" };
}

/** Puts a token in the CSMS's directory. */
export function known(t: TxAuthStation, id: string, status: string, group?: string): void {
  t.directory[id.toLowerCase()] = group === undefined ? { status } : { status, groupIdToken: { idToken: group, type: "Central" } };
}

/** The CSMS answers from its directory (idTokenInfo on every TransactionEvent that carries an idToken). */
export const FROM_DIRECTORY = (t: TxAuthStation) => (te: TE) => (te.idToken !== undefined ? { idTokenInfo: lookup(t, te.idToken) } : {});

/** A station of the real-authorization image booted Accepted with these device-model values. */
export async function txAuthStation(runtime: RuntimeName, provision: Record<string, string> = {}): Promise<TxAuthStation> {
  const t = (await bootAccepted(runtime, { config: TX_AUTH_CONFIG, configFile: TX_AUTH_FILE, provision })) as TxAuthStation;
  t.calls = [];
  t.directory = {};
  t.authAnswer = (tok) => ({ idTokenInfo: lookup(t, tok) });
  t.teAnswer = FROM_DIRECTORY(t);
  t.csms.autoReply.MeterValues = {};
  t.csms.autoReply.Authorize = (f: Frame) => {
    const a = t.authAnswer;
    return a === undefined ? undefined : a((f[3] as { idToken: IdToken }).idToken);
  };
  t.csms.autoReply.TransactionEvent = (f: Frame) => {
    const a = t.teAnswer;
    return a === undefined ? undefined : a(f[3] as TE);
  };
  // A scripted CSMS that leaves a call unanswered: autoReply may not answer undefined.
  const reply = t.csms.reply.bind(t.csms);
  t.csms.reply = (call: Frame, payload: unknown) => {
    if (payload !== undefined) reply(call, payload);
  };
  return t;
}

// ---- what the station sent ----

/** The payloads of one action among CALLs. */
export const payloads = <T = Record<string, unknown>>(calls: Frame[], action: string): T[] => calls.filter((f) => f[2] === action).map((f) => f[3] as T);
export const authorizeReqs = (calls: Frame[]) => payloads<{ idToken: IdToken }>(calls, "Authorize");
export const tesOf = (calls: Frame[]) => payloads<TE>(calls, "TransactionEvent");
export const statusesOf = (calls: Frame[]) => payloads<{ connectorStatus: string; evseId: number; connectorId: number; timestamp: string }>(calls, "StatusNotification");
/** eventType/triggerReason/chargingState of each event ("-": no chargingState). */
export const trig = (l: TE[]) => l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.chargingState ?? "-"}`);

/** Sets device-model values through SetVariables (all must be Accepted). */
export function setVar(t: TxAuthStation, component: string, variable: string, value: string): void {
  const r = t.csms.call("SetVariables", { setVariableData: [{ component: { name: component }, variable: { name: variable }, attributeValue: value }] });
  if (r[0] !== 3 || (r[2] as { setVariableResult: { attributeStatus: string }[] }).setVariableResult[0].attributeStatus !== "Accepted") throw new Error(`SetVariables ${component}.${variable}: ${JSON.stringify(r)}`);
}

/**
 * Memory state IdTokenCached (Part 6, as the errata 2025-09 §6.2.120 defines it): the token is
 * presented with no cable (Authorized); when the CSMS accepts it, a whole session follows
 * (EVConnectedPreSession, EnergyTransferStarted, StopAuthorized with the same token, EVDisconnected).
 * Returns every CALL the station sent meanwhile.
 */
export async function cacheToken(t: TxAuthStation, id: string, evseId = 1): Promise<Frame[]> {
  t.board.presentToken(evseId, id);
  await advance(t, 1);
  if (lookup(t, { idToken: id, type: "ISO14443" }).status === "Accepted") {
    t.board.plug(evseId, 1);
    await advance(t, 3);
    t.board.presentToken(evseId, id);
    await advance(t, 1);
    t.board.unplug(evseId, 1);
    await advance(t, 1);
  }
  return sent(t);
}

// ---- the line ----

/** The CSMS closes the connection and accepts no reconnect until back(). */
export async function down(t: TxAuthStation): Promise<void> {
  t.csms.reachable = false;
  t.csms.drop();
  await advance(t, 1);
}

/** The CSMS accepts the next reconnection attempt; returns every CALL sent until 2 s after it. */
export async function back(t: TxAuthStation): Promise<Frame[]> {
  t.csms.reachable = true;
  const out: Frame[] = [];
  for (let i = 0; i < 180 && !t.csms.open; i++) {
    await advance(t, 1);
    out.push(...(await sent(t)));
  }
  if (!t.csms.open) throw new Error("the station did not reconnect");
  await advance(t, 2);
  out.push(...(await sent(t)));
  return out;
}

/** Power cycle (Reusable State Booted): BootNotification answered Accepted; returns the CALLs after it. */
export async function reboot(t: TxAuthStation): Promise<Frame[]> {
  // The CSMS's clock went on meanwhile: the boot answer tells the time the station's clock had.
  const now = new Date(Date.parse(NOW_ISO) + t.board.uptime * 1000).toISOString().replace(/\.000Z$/, "Z");
  await t.board.powerCycle();
  await t.settle();
  const calls = t.csms.takeCalls();
  const boot = calls.find((f) => f[2] === "BootNotification");
  if (boot === undefined) throw new Error(`no BootNotification after the power cycle: ${JSON.stringify(calls)}`);
  t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: now });
  await flush(t);
  return sent(t);
}
