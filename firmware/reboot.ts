// Reboots the station on purpose, remembering why: the BootNotification after it says so (B01.FR.09,
// B11.FR.04: RemoteReset, ScheduledReset, FirmwareUpdate, ...). The reason lives in flash until the
// CSMS accepted the BootNotification that carried it.

import { Ctx } from "./station";

const REASON_KEY = "bootReason";

/** Saves the reason of the coming boot, then asks the board to reboot. */
export function stationReboot(ctx: Ctx, reason: string): void {
  ctx.hal.save(REASON_KEY, reason);
  ctx.hal.reboot();
}

/** Why this boot happened: the reason saved before the reboot, or PowerUp. */
export function bootReason(ctx: Ctx): string {
  const r = ctx.hal.load(REASON_KEY);
  return r !== undefined ? r : "PowerUp";
}

/** The CSMS took the reason (BootNotification Accepted): later boots are power-ups unless told otherwise. */
export function bootReasonDone(ctx: Ctx): void {
  ctx.hal.erase(REASON_KEY);
}
