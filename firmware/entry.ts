// The core's entry points: everything a board reports arrives through one of these functions.
//
// None of them blocks; each reacts and returns. The board calls stationTick at least once a
// second; timers compare against hal.uptime(), so virtual time in tests costs nothing.

import type { Hal } from "../hal/hal";
import { connectionTick, scheduleReconnect } from "./connection";
import { modelLoad, modelProvision } from "./model";
import { pump, rpcDisconnected, rpcReceive, rpcTick } from "./rpc";
import { createStation, emit, Image, Station } from "./station";

/** Creates the station and restores persisted state; the first stationTick starts connecting. */
export function stationStart(hal: Hal, img: Image): Station {
  const st = createStation(hal, img);
  modelLoad(st);
  // Part 4 §4.1.4: message ids stay unique across reboots through a persisted boot counter.
  const prev = hal.load("boots");
  const boots = (prev !== undefined ? (tonumber(prev) as number) : 0) + 1;
  hal.save("boots", string.format("%d", boots));
  st.bootSeq = boots;
  emit(st, "start", 0, 0);
  return st;
}

/** Factory or field provisioning of a device-model value (identity, password, CSMS URL). */
export function stationProvision(st: Station, key: string, value: string): void {
  modelProvision(st, key, value);
}

export function stationOpened(st: Station): void {
  st.online = true;
  st.connecting = false;
  st.retries = 0;
  emit(st, "connected", 0, 0);
  pump(st);
}

export function stationClosed(st: Station): void {
  const wasOnline = st.online;
  st.online = false;
  st.connecting = false;
  if (wasOnline) {
    rpcDisconnected(st);
    emit(st, "disconnected", 0, 0);
  }
  scheduleReconnect(st);
}

export function stationFrame(st: Station, text: string): void {
  rpcReceive(st, text);
}

/** Hardware input: event is "plug", "unplug" (connector), or another name a block listens for. */
export function stationInput(st: Station, event: string, evseId: number, connectorId: number): void {
  emit(st, event, evseId, connectorId);
}

export function stationTick(st: Station): void {
  const now = st.hal.uptime();
  if (now === st.lastTick) return;
  st.lastTick = now;
  rpcTick(st);
  connectionTick(st);
  emit(st, "tick", now, 0);
}

