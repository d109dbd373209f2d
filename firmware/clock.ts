// The wall clock: epoch seconds as uptime + offset, set from the board's RTC or from the CSMS.

import { listHas, modelGet } from "./model";
import type { Ctx, Station } from "./station";
import { parseIsoTime } from "./time";

/**
 * Wall clock in epoch seconds, or undefined before any time is known. The clock proper (RTC, or the
 * CSMS when ClockCtrlr.TimeSource lists Heartbeat) comes first; otherwise the CSMS's last time, so
 * that the station's own timestamps are never 1970 while its time source has not spoken yet.
 */
export function epochNow(ctx: Ctx): number | undefined {
  const st = ctx as Station;
  const off = st.clockOffset !== undefined ? st.clockOffset : st.csmsOffset;
  if (off === undefined) return undefined;
  return st.hal.uptime() + off;
}

/**
 * B01.FR.06 (and G02 Heartbeat): the currentTime of a BootNotification or Heartbeat response sets
 * the clock when ClockCtrlr.TimeSource lists Heartbeat.
 */
export function syncFromCsms(ctx: Ctx, currentTime: string): void {
  const st = ctx as Station;
  // Times past 2038-01-19 do not fit 32-bit epoch seconds: ignored on every runtime.
  const t = parseIsoTime(currentTime);
  if (t === undefined) return;
  st.csmsOffset = t - st.hal.uptime();
  if (clockFromCsms(st)) {
    st.clockOffset = t - st.hal.uptime();
    st.hal.setRtcEpoch(t);
  }
}

/** Does the CSMS's time set the clock (ClockCtrlr.TimeSource lists Heartbeat)? */
function clockFromCsms(ctx: Ctx): boolean {
  const st = ctx as Station;
  const sources = modelGet(st, "ClockCtrlr/TimeSource") as string;
  return listHas(sources, "Heartbeat");
}

export { clockFromCsms };
