// The core's entry points: everything a board reports arrives through one of these functions.
//
// None of them blocks; each reacts and returns. The board calls tick at least once a second;
// timers compare against hal.uptime(), so virtual time in tests costs nothing.
//
// A board gets them as one table, `Firmware`, from the image (build/gen/<config>/image.ts), each
// under a guard: no entry point ever raises into the board. A firmware bug or a failing HAL call is
// logged through hal.log and the call returns; the board's loop carries on.

import type { Hal } from "../hal/hal";
import { connectionTick, scheduleReconnect } from "./connection";
import { modelLoad, modelProvision } from "./model";
import { pump, rpcDisconnected, rpcEntry, rpcReceive, rpcTick } from "./rpc";
import { connectorIndex, connectorPlugged, coreConnectors } from "./connectors";
import { journalOpen } from "./journal";
import { outboxRestore } from "./outbox";
import { Block, createStation, Ctx, emit, Image, Station } from "./station";

/** The core's own parts, ahead of the build's blocks. */
const CORE: Block[] = [coreConnectors];

/**
 * What an image gives its board (docs/porting.md): plain functions, called `fw.tick(st)` (no self).
 * `start` returns undefined only when the station could not even be created (logged); every other
 * entry point ignores an undefined station, so a board passes on whatever `start` returned unchecked.
 */
export interface Firmware {
  /** Once at power-up: creates the station and restores flash state; the first tick connects. */
  start(this: void, hal: Hal): Station | undefined;
  /** Factory or field provisioning of a device-model value (identity, password, CSMS URL). */
  provision(this: void, st: Station | undefined, key: string, value: string): void;
  /** The WebSocket opened. */
  opened(this: void, st: Station | undefined): void;
  /** The WebSocket closed, or failed to open. */
  closed(this: void, st: Station | undefined): void;
  /** One received text frame (bytes). */
  frame(this: void, st: Station | undefined, text: string): void;
  /** At least once a second. */
  tick(this: void, st: Station | undefined): void;
  /**
   * Hardware input: "plug", "unplug" (connector), "pilot" (the EVSE's control pilot state changed:
   * read it with hal.pilotState), "relay" / "lock" (a feedback contact changed).
   */
  input(this: void, st: Station | undefined, event: string, evseId: number, connectorId: number): void;
  /** An identifier presented at the EVSE's reader (evseId 0: a reader for the whole station); type is an IdTokenEnumType. */
  token(this: void, st: Station | undefined, evseId: number, idToken: string, type: string): void;
  /**
   * The second transport (hal.netOpen): "opened", "closed" or "data" with the bytes received. Only in an
   * image whose blocks give it (block.json "entries": profiles/ems): the core has none.
   */
  net?(this: void, st: Station | undefined, event: string, data: string): void;
  /**
   * The build's bound on one OCPP-J frame in bytes (the config's bounds.maxFrameBytes): the core
   * refuses a longer received message, and a board bounds what it buffers of one by it.
   */
  readonly maxFrameBytes: number;
  /** The number of EVSEs of the build's topology (ids 1..evses), each with its connectors 1..n. */
  readonly evses: number;
}

/** The values of Firmware: the generated image module gives them as literals of the build (build/generate.ts). */
export type FirmwareValue = "maxFrameBytes" | "evses";
/** The entry points firmware() makes: Firmware without its values. */
export type FirmwareEntries = { [K in keyof Firmware as K extends FirmwareValue ? never : K]: Firmware[K] };

/** Restores persisted state: the device-model store and the boot counter (before the blocks start). */
function stationRestore(st: Station): void {
  modelLoad(st);
  // Part 4 §4.1.4: message ids stay unique across reboots through a persisted boot counter.
  const prev = st.hal.load("boots");
  const boots = (prev !== undefined ? (tonumber(prev) as number) : 0) + 1;
  st.hal.save("boots", string.format("%d", boots));
  st.bootSeq = boots;
}

/**
 * Starts the blocks (they register their journal owners), replays the journal into them, then
 * reads the connectors: a cable still plugged in after a reboot is reported like a new one.
 */
function stationReplay(st: Station): void {
  emit(st, "start");
  outboxRestore(st);
  journalOpen(st);
  emit(st, "restored");
  const evses = st.img.evses;
  for (let e = 1; e <= evses.length; e++) for (let c = 1; c <= evses[e - 1]; c++) if (st.hal.plugged(e, c)) stationInput(st, "plug", e, c);
}

export function stationOpened(st: Station): void {
  st.online = true;
  st.connecting = false;
  st.retries = 0;
  emit(st, "connected");
  pump(st);
}

export function stationClosed(st: Station): void {
  // No connection and no attempt: a late close of an attempt the firmware abandoned (connection.ts).
  if (!st.online && !st.connecting) return;
  const wasOnline = st.online;
  st.online = false;
  st.connecting = false;
  if (wasOnline) {
    rpcDisconnected(st);
    emit(st, "disconnected");
  }
  scheduleReconnect(st);
}

export function stationFrame(st: Station, text: string): void {
  rpcReceive(st, text);
}

/** A board's input: each known event becomes its typed hook, with the state read back through the HAL. */
function stationInput(st: Station, event: string, evseId: number, connectorId: number): void {
  if (event === "plug" || event === "unplug") {
    if (connectorIndex(st, evseId, connectorId) < 0) {
      st.hal.log(2, "input " + event + " for an unknown connector");
      return;
    }
    // A board may report what the core already knows (a plug seen at power-up): only changes count.
    const on = event === "plug";
    if (connectorPlugged(st, evseId, connectorId) === on) return;
    emit(st, on ? "plug" : "unplug", evseId, connectorId);
    return;
  }
  if (evseId < 1 || evseId > st.img.evses.length) {
    st.hal.log(2, "input " + event + " for an unknown EVSE");
    return;
  }
  if (event === "pilot") emit(st, "pilot", evseId, st.hal.pilotState(evseId));
  else if (event === "relay") emit(st, "relay", evseId, st.hal.relayClosed(evseId));
  else if (event === "lock") emit(st, "lock", evseId, connectorId, st.hal.lockState(evseId, connectorId));
  else st.hal.log(2, "unknown input " + event);
}

/** An identifier presented at a reader: an IdTokenType for the blocks. */
function stationToken(st: Station, evseId: number, idToken: string, type: string): void {
  if (evseId < 0 || evseId > st.img.evses.length) {
    st.hal.log(2, "token at an unknown EVSE");
    return;
  }
  emit(st, "token", evseId, { idToken, type });
}

export function stationTick(st: Station): void {
  const now = st.hal.uptime();
  if (now === st.lastTick) return;
  st.lastTick = now;
  rpcTick(st);
  connectionTick(st);
  emit(st, "tick", now);
}

function logError(hal: Hal, msg: string): void {
  hal.log(1, msg);
}

/** Logs an entry point that raised. The log call is guarded too: a HAL whose log raises must not escape either. */
function failed(hal: Hal, what: string, err: unknown): void {
  pcall(logError, hal, what + " failed: " + tostring(err as string));
}

/**
 * Runs an entry point's fn(st, a, b, c) under pcall; one that raises is logged as `what failed`. The
 * CALLs it queued go when it returns (rpcEntry).
 */
function guard<A, B, C>(what: string, fn: (st: Station, a: A, b: B, c: C) => void, st: Station | undefined, a?: A, b?: B, c?: C): void {
  if (st === undefined) return;
  rpcEntry(st, true);
  const [ok, err] = pcall(fn, st, a as A, b as B, c as C);
  if (!ok) failed(st.hal, what, err);
  const [sent, e2] = pcall(rpcEntry, st, false);
  if (!sent) failed(st.hal, what, e2);
}

/** guard for a block's entry point (block.json "entries"), written against Ctx. */
export function blockEntry<A, B>(what: string, fn: (ctx: Ctx, a: A, b: B) => void, ctx: Ctx | undefined, a: A, b: B): void {
  guard(what, fn, ctx as Station | undefined, a, b);
}

/** The guarded entry points of one image, closed over the build's Image. */
export function firmware(img: Image): FirmwareEntries {
  return {
    start: (hal) => {
      const [ok, made] = pcall(createStation, hal, img, CORE);
      if (!ok) {
        failed(hal, "start", made);
        return undefined;
      }
      const st = made as Station;
      // A flash that cannot be read leaves the defaults: the station still runs.
      guard("start", stationRestore, st);
      const [started, err] = pcall(stationReplay, st);
      if (!started) failed(hal, "start", err);
      return st;
    },
    provision: (st, key, value) => guard("provision", modelProvision, st, key, value),
    opened: (st) => guard("opened", stationOpened, st),
    closed: (st) => guard("closed", stationClosed, st),
    frame: (st, text) => guard("frame", stationFrame, st, text),
    tick: (st) => guard("tick", stationTick, st),
    input: (st, event, evseId, connectorId) => guard("input " + event, stationInput, st, event, evseId, connectorId),
    token: (st, evseId, idToken, type) => guard("token", stationToken, st, evseId, idToken, type),
  };
}
