// The wall clock: epoch seconds as uptime + offset, set from the board's RTC or from the CSMS.

import { modelGet } from "./model";
import type { Station } from "./station";
import { parseIsoTime } from "./time";

/** Wall clock in epoch seconds, or undefined before the clock is known. */
export function epochNow(st: Station): number | undefined {
  if (st.clockOffset === undefined) return undefined;
  return st.hal.uptime() + st.clockOffset;
}

function setEpoch(st: Station, epoch: number): void {
  st.clockOffset = epoch - st.hal.uptime();
  st.hal.setRtcEpoch(epoch);
}

/**
 * B01.FR.06 (and G02 Heartbeat): the currentTime of a BootNotification or Heartbeat response sets
 * the clock when ClockCtrlr.TimeSource lists Heartbeat (or the build has no TimeSource).
 */
export function syncFromCsms(st: Station, currentTime: string): void {
  const sources = modelGet(st, "ClockCtrlr/TimeSource");
  if (sources !== undefined) {
    const [at] = string.find("," + sources + ",", ",Heartbeat,", 1, true);
    if (at === undefined) return;
  }
  const t = parseIsoTime(currentTime);
  if (t !== undefined) setEpoch(st, t);
}
