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

/** Answers a CSMS CALL: returns the CALLRESULT payload, or a CALLERROR made with rpcError(). */
export type Handler = (st: Station, payload: JsonObject) => JsonObject;
/** Receives the CALLRESULT payload of a CALL this block sent, or undefined after a CALLERROR or a timeout. */
export type ResultHandler = (st: Station, payload: JsonObject | undefined, ctx: number) => void;
export type Hook = (st: Station, a: number, b: number) => void;
/** Sends the message TriggerMessage asked for (F06); returns the TriggerMessageResponse status. evseId 0: not given. */
export type Trigger = (st: Station, evseId: number, connectorId: number) => string;

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
  /** Named events (see emit): "start", "connected", "disconnected", "accepted", "plug", "unplug", "tick". */
  on?: { [event: string]: Hook };
  tokens?: (st: Station, evseId: number, idToken: string, type: string) => void;
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
  /** Outgoing CALLs waiting behind the outstanding one. */
  callQueueLength: number;
  /** Capacity of each journal segment in bytes (firmware/journal.ts). */
  journalBytes: number;
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

export interface QueuedCall {
  action: string;
  /** The JSON payload: one string, or pieces to be sent in order (large report parts). */
  payload: string | string[];
  ctx: number;
  /** Sent on the CSMS's request (TriggerMessage, Get*Report): allowed while Pending (B02.FR.02). */
  triggered: boolean;
}

export interface Station {
  hal: Hal;
  img: Image;
  /** action -> handler and action -> result handler, filled from the blocks once. */
  handlers: { [action: string]: Handler };
  results: { [action: string]: ResultHandler };
  triggers: { [message: string]: Trigger };
  getters: { [compVar: string]: Getter };
  /** Registration state, owned by the provisioning block (B01–B03); the RPC layer gates sending on it. */
  registration: "none" | "Pending" | "Accepted" | "Rejected";
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
  queue: QueuedCall[];
  /** Uptime of the last CALL sent: Heartbeat counts inactivity from here. */
  lastCallAt: number;
  /** The next CALL queued is one the CSMS asked for (set by TriggerMessage and report handlers). */
  triggering: boolean;
  /** Length in bytes of the frame being handled (BytesPerMessage checks, B06.FR.17). */
  frameBytes: number;
  /** True while a CSMS request is being handled: CALLs queue until its response is sent. */
  holdSends: boolean;
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

export function blockData(st: Station, name: string): { [k: string]: unknown } {
  let d = st.data[name];
  if (d === undefined) {
    d = {};
    st.data[name] = d;
  }
  return d;
}

/**
 * Calls hook `event` of every block that has one, in build order. Each hook runs under pcall: a
 * failing block is logged and the others, and the board's loop, carry on.
 */
export function emit(st: Station, event: string, a: number, b: number): void {
  const blocks = st.img.blocks;
  for (let i = 0; i < blocks.length; i++) {
    const on = blocks[i].on;
    if (on !== undefined) {
      const h = on[event];
      if (h !== undefined) {
        const [ok, err] = pcall(h, st, a, b);
        if (!ok) st.hal.log(1, blocks[i].name + " on " + event + " failed: " + (err as string));
      }
    }
  }
}

/** An identifier presented at a reader: hooks `token` of every block, in build order. */
export function emitToken(st: Station, evseId: number, idToken: string, type: string): void {
  const blocks = st.img.blocks;
  for (let i = 0; i < blocks.length; i++) {
    const h = blocks[i].tokens;
    if (h !== undefined) {
      const [ok, err] = pcall(h, st, evseId, idToken, type);
      if (!ok) st.hal.log(1, blocks[i].name + " on token failed: " + (err as string));
    }
  }
}

export function createStation(hal: Hal, img: Image): Station {
  const st: Station = {
    hal,
    img,
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
    queue: [],
    lastCallAt: hal.uptime(),
    triggering: false,
    holdSends: false,
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
  for (let i = 0; i < img.blocks.length; i++) {
    const b = img.blocks[i];
    if (b.handlers !== undefined) for (const [k, h] of pairs(b.handlers)) st.handlers[k as string] = h;
    if (b.results !== undefined) for (const [k, h] of pairs(b.results)) st.results[k as string] = h;
    if (b.triggers !== undefined) for (const [k, h] of pairs(b.triggers)) st.triggers[k as string] = h;
    if (b.getters !== undefined) for (const [k, g] of pairs(b.getters)) st.getters[k as string] = g;
  }
  return st;
}
