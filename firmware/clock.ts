// The wall clock: epoch seconds as uptime + offset, set from the board's RTC or from the CSMS.

import { listHas, modelGet } from "./model";
import type { Ctx, Station } from "./station";
import { isoTime, parseIsoTime } from "./time";

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
 * The time to stamp a record with: the wall clock, or while it is unknown the uptime, which reads as
 * a date of the 1970s. A queued call so stamped is rebased when it is first sent (rebaseStamps):
 * a station without an RTC may start a transaction offline before any CSMS told it the time.
 */
export function stampNow(ctx: Ctx): number {
  const t = epochNow(ctx);
  return t !== undefined ? t : ctx.hal.uptime();
}

/** Every quoted "197…Z" stamp of text (a JSON payload: the uptime reads as a date of the 1970s) moved by shift seconds onto the wall clock. */
export function rebaseStamps(text: string, shift: number): string {
  const out: string[] = [];
  let from = 1;
  for (;;) {
    const [at] = string.find(text, "\"197", from, true);
    if (at === undefined) break;
    const t = parseIsoTime(string.sub(text, at + 1, at + 20));
    out[out.length] = string.sub(text, from, at);
    out[out.length] = t !== undefined && string.sub(text, at + 20, at + 21) === "Z\"" ? isoTime(t + shift) : string.sub(text, at + 1, at + 20);
    from = at + 21;
  }
  out[out.length] = string.sub(text, from);
  return table.concat(out);
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
