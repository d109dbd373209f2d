// The station context, the block interface and the registry built from the build's block list.
//
// Everything the firmware knows lives in one Station table passed to every function, so one
// Lua VM (or one Node process, for fleet simulation) can hold any number of stations. The core
// knows no functional block by name: blocks arrive in a list from the build (build/gen/*/image.ts)
// and register handlers, result handlers, event hooks and ticks.

import type { Hal } from "../hal/hal";
import type { JsonObject } from "./json";
import type { Schema } from "./validate";
import type { Getter, ModelTable } from "./model";
import type { Outbox, QueuedCall } from "./outbox";

/**
 * What a functional block sees of the station: the HAL and the build's image. Everything else it
 * reaches through the core's services (rpc.ts, outbox.ts, connectors.ts, model.ts, clock.ts,
 * blockData, emit), never through the station's fields: blocks are written against Ctx, and
 * build/check-blocks.ts fails a block that imports Station.
 */
export interface Ctx {
  readonly hal: Hal;
  readonly img: Image;
}

/** Answers a CSMS CALL: returns the CALLRESULT payload, or a CALLERROR made with rpcError(). */
export type Handler = (ctx: Ctx, payload: JsonObject) => JsonObject;
/** Receives the CALLRESULT payload of a CALL this block sent, or undefined after a CALLERROR or a timeout; ref as given to rpcCall. */
export type ResultHandler = (ctx: Ctx, payload: JsonObject | undefined, ref: number) => void;
/** Sends the message TriggerMessage asked for (F06); returns the TriggerMessageResponse status. evseId 0: not given. */
export type Trigger = (ctx: Ctx, evseId: number, connectorId: number) => string;

/**
 * The events a block may react to, each with its own arguments (emit). The first group comes from
 * the core and the board; the second is how blocks ask each other for something without knowing
 * who answers (a build without the answering block simply gets no answer).
 */
export interface Hooks {
  /** Power-up, after flash state is restored (register journal owners here). */
  start?: (this: void, ctx: Ctx) => void;
  /** The journal was replayed: every block has its persisted state back. */
  restored?: (this: void, ctx: Ctx) => void;
  connected?: (this: void, ctx: Ctx) => void;
  disconnected?: (this: void, ctx: Ctx) => void;
  /** The CSMS accepted the BootNotification (B01). */
  accepted?: (this: void, ctx: Ctx) => void;
  /** Once a second, now = uptime. */
  tick?: (this: void, ctx: Ctx, now: number) => void;
  /** A cable was plugged into or out of a connector. */
  plug?: (this: void, ctx: Ctx, evseId: number, connectorId: number) => void;
  unplug?: (this: void, ctx: Ctx, evseId: number, connectorId: number) => void;
  /** The control pilot of an EVSE changed to state "A".."F" (IEC 61851). */
  pilot?: (this: void, ctx: Ctx, evseId: number, state: string) => void;
  /** A feedback contact changed: the relay of an EVSE, or a connector's lock. */
  relay?: (this: void, ctx: Ctx, evseId: number, closed: boolean) => void;
  lock?: (this: void, ctx: Ctx, evseId: number, connectorId: number, locked: boolean) => void;
  /** An identifier presented at the reader of an EVSE (0: the station's reader): an IdTokenType. */
  token?: (this: void, ctx: Ctx, evseId: number, idToken: JsonObject) => void;
  /** A connector's status changed (connectors.ts): for blocks that wait for an EVSE to be free. */
  status?: (this: void, ctx: Ctx, evseId: number, connectorId: number, status: string) => void;

  /** Some block needs idToken authorized for an EVSE (C01..C05); ref comes back with the answer. stop: to end an authorization by group (E07.FR.01b), where a valid cached token answers at once. */
  authorize?: (this: void, ctx: Ctx, evseId: number, idToken: JsonObject, ref: number, stop: boolean) => void;
  /** The answer: an IdTokenInfoType (status, groupIdToken, cacheExpiryDateTime ...). */
  authorized?: (this: void, ctx: Ctx, evseId: number, idToken: JsonObject, info: JsonObject, ref: number) => void;
  /** The CSMS told something about a token outside an Authorize (a TransactionEventResponse): C10 cache update. */
  tokenInfo?: (this: void, ctx: Ctx, idToken: JsonObject, info: JsonObject) => void;
  /** End the transaction on an EVSE (0: all) with this stoppedReason and triggerReason (B11, B12, G03, G04). */
  stopTx?: (this: void, ctx: Ctx, evseId: number, stoppedReason: string, triggerReason: string) => void;
  /**
   * A transaction runs on an EVSE from now (transactionId; its RequestStartTransaction chargingProfile
   * as JSON text, "" none: a TxProfile, K05), or none any more (transactionId ""): for smart charging.
   */
  tx?: (this: void, ctx: Ctx, evseId: number, transactionId: string, profile: string) => void;
  /** The most an EVSE may offer from now, in 0.1 A (-1: no limit): smart charging's composite schedule (K08). */
  limit?: (this: void, ctx: Ctx, evseId: number, deciAmps: number) => void;
  /**
   * An external system (a local EMS, profiles/ems) limits an EVSE (0: the station's total) to `limit`
   * in unit "A" (0.1 A) or "W" (W) from now on; limit -1 lifts it (K11–K13: ChargingStationExternalConstraints).
   */
  external?: (this: void, ctx: Ctx, evseId: number, limit: number, unit: string) => void;
  /** The limit an external system sets moved an EVSE's charging rate by more than LimitChangeSignificance (K11.FR.04, K13.FR.03). */
  rate?: (this: void, ctx: Ctx, evseId: number) => void;
  /**
   * A RequestStartTransaction for evseId brings this chargingProfile: the smart-charging block puts the
   * reasonCode it refuses it with into verdict.reason (K05.FR.05); "" (left as it is) takes it.
   */
  txProfile?: (this: void, ctx: Ctx, evseId: number, profile: JsonObject, verdict: { reason: string }) => void;
  /** A security event (A04, Part 2 appendix "Security events"): type and techInfo ("" none; one ASCII line, never a secret, A01.FR.12). */
  security?: (this: void, ctx: Ctx, type: string, techInfo: string) => void;
}

export type HookName = keyof Hooks;

export interface Block {
  name: string;
  /** CSMS-initiated actions this block answers. */
  handlers?: { [action: string]: Handler };
  /** Responses to the CALLs this block sends, by action. */
  results?: { [action: string]: ResultHandler };
  /** Actual values of device-model variables flagged D (live state), by "Component/Variable". */
  getters?: { [compVar: string]: Getter };
  /** Messages this block sends on TriggerMessage, by requestedMessage. */
  triggers?: { [message: string]: Trigger };
  on?: Hooks;
}

export interface Identity {
  vendorName: string;
  model: string;
  serialNumber?: string;
  firmwareVersion?: string;
}

export interface Bounds {
  /** Incoming frames longer than this are answered without being decoded. */
  maxFrameBytes: number;
  /** Deepest JSON nesting accepted. */
  maxJsonDepth: number;
  /** Outgoing CALLs kept in RAM (not persisted) waiting behind the outstanding one. */
  callQueueLength: number;
  /** Capacity of each journal segment in bytes (firmware/journal.ts). */
  journalBytes: number;
  /** Authorization cache entries and their bytes (profiles/authorization/auth-cache.ts). */
  authCacheEntries: number;
  authCacheBytes: number;
}

/** What the build puts into one image: identity, topology, bounds, blocks, generated tables. */
export interface Image {
  identity: Identity;
  /** Connector count per EVSE; EVSE ids are 1..n. */
  evses: number[];
  bounds: Bounds;
  blocks: Block[];
  schemas: { [name: string]: Schema };
  model: ModelTable;
}

export type Registration = "none" | "Pending" | "Accepted" | "Rejected";

export interface Station extends Ctx {
  /** The core's own parts (connectors.ts) then the build's blocks, in order: who gets events first. */
  blocks: Block[];
  /** action -> handler and action -> result handler, filled from the blocks once. */
  handlers: { [action: string]: Handler };
  results: { [action: string]: ResultHandler };
  triggers: { [message: string]: Trigger };
  getters: { [compVar: string]: Getter };
  /** Registration state (B01–B03), set by the block that sends BootNotification; the RPC layer gates sending on it. */
  registration: Registration;
  online: boolean;
  /** Epoch seconds minus uptime: wall clock = uptime + clockOffset; undefined until known. */
  clockOffset: number | undefined;
  /** The same from the CSMS's last currentTime, used while clockOffset is unknown (firmware/clock.ts). */
  csmsOffset: number | undefined;
  // RPC state (firmware/rpc.ts)
  bootSeq: number;
  msgSeq: number;
  outstanding: QueuedCall | undefined;
  outstandingId: string;
  outstandingSince: number;
  /** The outgoing CALLs (firmware/outbox.ts). */
  out: Outbox;
  /** Uptime of the last CALL sent: Heartbeat counts inactivity from here. */
  lastCallAt: number;
  /** A TriggerMessage is being answered: what is queued now is what the CSMS asked for (B02.FR.02). */
  triggering: boolean;
  /** Length in bytes of the frame being handled (BytesPerMessage checks, B06.FR.17). */
  frameBytes: number;
  /** True while a CSMS request is being handled: CALLs queue until its response is sent. */
  holdSends: boolean;
  /** The id of the CSMS request a handler will answer later (rpc.ts RPC_LATER), and since when. */
  later: string | undefined;
  laterSince: number;
  /** The last CSMS CALL answered and its answer, when both are short (the same frame again gets it again). */
  lastCall: string;
  lastReply: string | undefined;
  // Device model values written at run time (firmware/model.ts)
  vals: { [key: string]: string };
  /** Per-block state, by block name: blocks keep their own tables here. */
  data: { [block: string]: { [k: string]: unknown } };
  lastTick: number;
  // Connection (firmware/connection.ts)
  connecting: boolean;
  /** Uptime of the current connection attempt. */
  connectingSince: number;
  retries: number;
  reconnectAt: number;
}

/** A block's own state table, made on first use. */
export function blockData(ctx: Ctx, name: string): { [k: string]: unknown } {
  const st = ctx as Station;
  let d = st.data[name];
  if (d === undefined) {
    d = {};
    st.data[name] = d;
  }
  return d;
}

type AnyHook = (this: void, ctx: Ctx, a: unknown, b: unknown, c: unknown, d: unknown) => void;

/**
 * Calls hook `name` of every block that has one, in order (core parts first). Each hook runs under
 * pcall: a failing block is logged and the others, and the board's loop, carry on.
 */
function emit(ctx: Ctx, name: "start" | "restored" | "connected" | "disconnected" | "accepted"): void;
function emit(ctx: Ctx, name: "tick", now: number): void;
function emit(ctx: Ctx, name: "plug" | "unplug", evseId: number, connectorId: number): void;
function emit(ctx: Ctx, name: "pilot", evseId: number, state: string): void;
function emit(ctx: Ctx, name: "relay", evseId: number, closed: boolean): void;
function emit(ctx: Ctx, name: "lock", evseId: number, connectorId: number, locked: boolean): void;
function emit(ctx: Ctx, name: "token", evseId: number, idToken: JsonObject): void;
function emit(ctx: Ctx, name: "status", evseId: number, connectorId: number, status: string): void;
function emit(ctx: Ctx, name: "authorize", evseId: number, idToken: JsonObject, ref: number, stop: boolean): void;
function emit(ctx: Ctx, name: "authorized", evseId: number, idToken: JsonObject, info: JsonObject, ref: number): void;
function emit(ctx: Ctx, name: "tokenInfo", idToken: JsonObject, info: JsonObject): void;
function emit(ctx: Ctx, name: "stopTx", evseId: number, stoppedReason: string, triggerReason: string): void;
function emit(ctx: Ctx, name: "tx", evseId: number, transactionId: string, profile: string): void;
function emit(ctx: Ctx, name: "limit", evseId: number, deciAmps: number): void;
function emit(ctx: Ctx, name: "external", evseId: number, limit: number, unit: string): void;
function emit(ctx: Ctx, name: "rate", evseId: number): void;
function emit(ctx: Ctx, name: "txProfile", evseId: number, profile: JsonObject, verdict: { reason: string }): void;
function emit(ctx: Ctx, name: "security", type: string, techInfo: string): void;
function emit(ctx: Ctx, name: HookName, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
  const blocks = (ctx as Station).blocks;
  for (let i = 0; i < blocks.length; i++) {
    const on = blocks[i].on;
    if (on !== undefined) {
      const h = on[name] as AnyHook | undefined;
      if (h !== undefined) {
        const [ok, err] = pcall(h, ctx, a, b, c, d);
        if (!ok) ctx.hal.log(1, blocks[i].name + " on " + name + " failed: " + (err as string));
      }
    }
  }
}

/** The registration state (B01–B03). */
export function registration(ctx: Ctx): Registration {
  return (ctx as Station).registration;
}

/** Set by the block that sends BootNotification, from its answer. */
export function setRegistration(ctx: Ctx, r: Registration): void {
  (ctx as Station).registration = r;
}

export function isOnline(ctx: Ctx): boolean {
  return (ctx as Station).online;
}

export function createStation(hal: Hal, img: Image, core: Block[]): Station {
  const blocks: Block[] = [];
  for (let i = 0; i < core.length; i++) blocks[blocks.length] = core[i];
  for (let i = 0; i < img.blocks.length; i++) blocks[blocks.length] = img.blocks[i];
  const st: Station = {
    hal,
    img,
    blocks,
    handlers: {},
    results: {},
    triggers: {},
    getters: {},
    registration: "none",
    online: false,
    clockOffset: undefined,
    csmsOffset: undefined,
    bootSeq: 0,
    msgSeq: 0,
    outstanding: undefined,
    outstandingId: "",
    outstandingSince: 0,
    out: { ram: [], diskSeq: [], diskAt: [], head: undefined, seq: 0, dropped: 0, droppedSeq: -1, discarded: 0, cut: 0 },
    lastCallAt: hal.uptime(),
    triggering: false,
    holdSends: false,
    later: undefined,
    laterSince: 0,
    frameBytes: 0,
    lastCall: "",
    lastReply: undefined,
    vals: {},
    data: {},
    lastTick: -1,
    connecting: false,
    connectingSince: 0,
    retries: 0,
    reconnectAt: 0,
  };
  const rtc = hal.rtcEpoch();
  if (rtc !== undefined) st.clockOffset = rtc - hal.uptime();
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.handlers !== undefined) for (const [k, h] of pairs(b.handlers)) st.handlers[k as string] = h;
    if (b.results !== undefined) for (const [k, h] of pairs(b.results)) st.results[k as string] = h;
    if (b.triggers !== undefined) for (const [k, h] of pairs(b.triggers)) st.triggers[k as string] = h;
    if (b.getters !== undefined) for (const [k, g] of pairs(b.getters)) st.getters[k as string] = g;
  }
  return st;
}

export { emit };
