// Test image: a Firmware table (firmware/entry.ts) that only shows what the simulator's HAL gives it,
// so the line protocol between sim/board.ts and hal/sim/board.ts is checked on every runtime with
// no firmware logic in between. It logs every input and token with what the HAL reads back then,
// and takes commands as frames: "relay <evse> <0|1>", "lock <evse> <connector> <0|1>",
// "offer <evse> <0.1 A>", "meter <evse>" (logs the reading).

import type { Hal } from "../../hal/hal";
import type { FirmwareEntries } from "../../firmware/entry";
import type { Station } from "../../firmware/station";

const probe: { hal: Hal | undefined } = { hal: undefined };

function d(n: number): string {
  return string.format("%d", n);
}

function ints(a: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) out[out.length] = d(a[i]);
  return table.concat(out, ",");
}

function log(msg: string): void {
  (probe.hal as Hal).log(3, msg);
}

/** Space-separated words. */
function words(s: string): string[] {
  const out: string[] = [];
  let at = 1;
  for (;;) {
    const [sp] = string.find(s, " ", at, true);
    out[out.length] = string.sub(s, at, sp === undefined ? string.len(s) : sp - 1);
    if (sp === undefined) return out;
    at = sp + 1;
  }
}

function meterLine(evseId: number): string {
  const m = (probe.hal as Hal).readMeter(evseId);
  return "meter " + d(evseId) + " " + d(m.energyWh) + " " + d(m.powerW) + " " + ints(m.currentDa) + " " + ints(m.voltageDv) + " " + d(m.socPercent);
}

// The entry points only: hal/sim reads none of the build's values (Firmware.maxFrameBytes, evses).
const fw: FirmwareEntries = {
  start: (hal) => {
    probe.hal = hal;
    log("start pilot1=" + hal.pilotState(1) + " relay1=" + (hal.relayClosed(1) ? "1" : "0") + " lock1=" + (hal.lockState(1, 1) ? "1" : "0") + " " + meterLine(1));
    return {} as Station;
  },
  provision: () => undefined,
  opened: () => undefined,
  closed: () => undefined,
  tick: () => undefined,
  // Like the firmware, nothing reaches the probe before start: the board only sets the HAL's state then.
  frame: (st, text) => {
    if (st === undefined) return;
    const w = words(text);
    const hal = probe.hal as Hal;
    const evseId = tonumber(w[1]) as number;
    if (w[0] === "relay") hal.setRelay(evseId, w[2] === "1");
    else if (w[0] === "lock") hal.setLock(evseId, tonumber(w[2]) as number, w[3] === "1");
    else if (w[0] === "offer") hal.setPilotOffer(evseId, tonumber(w[2]) as number);
    else if (w[0] === "meter") log(meterLine(evseId));
  },
  input: (st, event, evseId, connectorId) => {
    if (st === undefined) return;
    const hal = probe.hal as Hal;
    let seen = "";
    if (event === "pilot") seen = hal.pilotState(evseId);
    else if (event === "relay") seen = hal.relayClosed(evseId) ? "1" : "0";
    else if (event === "lock") seen = hal.lockState(evseId, connectorId) ? "1" : "0";
    else if (event === "plug" || event === "unplug") seen = hal.plugged(evseId, connectorId) ? "1" : "0";
    log("input " + event + " " + d(evseId) + " " + d(connectorId) + " " + seen);
  },
  token: (st, evseId, idToken, type) => {
    if (st !== undefined) log("token " + d(evseId) + " " + type + " " + idToken);
  },
};

export const start = fw.start;
export const provision = fw.provision;
export const opened = fw.opened;
export const closed = fw.closed;
export const frame = fw.frame;
export const tick = fw.tick;
export const input = fw.input;
export const token = fw.token;
