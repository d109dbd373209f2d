// B01–B03 Cold boot: BootNotification until Accepted; Pending and Rejected wait the interval.

import { fmtNum, JsonObject } from "../../firmware/json";
import { modelGet, modelMaxLimit, modelSet } from "../../firmware/model";
import { rpcCall, rpcPending } from "../../firmware/rpc";
import { blockData, Ctx, emit, isOnline, registration, setRegistration } from "../../firmware/station";
import { syncFromCsms } from "../../firmware/clock";
import { bootReason, bootReasonDone } from "../../firmware/reboot";

/** Wait before retrying when the CSMS gives no interval or does not answer (B02.FR.07, B03.FR.05). */
const DEFAULT_RETRY_S = 60;
/** The largest uptime a 32-bit integer holds: a deadline past it is never reached, not wrapped. */
const NEVER = 2147483647;

/** now + wait without overflow (an interval may be anything up to 2^31 - 1, or beyond as a float). */
function deadline(now: number, wait: number): number {
  return wait >= NEVER - now ? NEVER : now + wait;
}

interface BootState {
  retryAt: number;
  sent: boolean;
}

function state(st: Ctx): BootState {
  return blockData(st, "boot") as unknown as BootState;
}

/** reason undefined: why this boot happened (stored before the reboot, else PowerUp). */
function sendBoot(st: Ctx, reason: string | undefined): void {
  const img = st.img;
  const cs: JsonObject = { vendorName: img.identity.vendorName, model: img.identity.model };
  if (img.identity.serialNumber !== undefined) cs.serialNumber = img.identity.serialNumber;
  if (img.identity.firmwareVersion !== undefined) cs.firmwareVersion = img.identity.firmwareVersion;
  // B01.FR.09: the reason survives the reboot it explains (firmware/reboot.ts).
  const why = reason !== undefined ? reason : bootReason(st);
  state(st).sent = true;
  rpcCall(st, "BootNotification", { reason: why, chargingStation: cs }, { first: true });
}

function onResult(st: Ctx, p: JsonObject | undefined): void {
  const s = state(st);
  // Set first, so whatever follows can never leave a BootNotification due every second.
  s.retryAt = st.hal.uptime() + DEFAULT_RETRY_S;
  if (p === undefined) return;
  const status = p.status as string;
  // The schema bounds interval only below (an integer, maybe past 2^31 and then a float here).
  const interval = p.interval as number;
  syncFromCsms(st, p.currentTime as string);
  if (status === "Accepted") {
    bootReasonDone(st);
    // B01.FR.04: interval > 0 becomes the heartbeat interval, within the variable's own limit.
    if (interval > 0) {
      const max = modelMaxLimit(st, "OCPPCommCtrlr/HeartbeatInterval");
      const hb = fmtNum(max !== undefined ? math.min(interval, max) : interval);
      if (modelGet(st, "OCPPCommCtrlr/HeartbeatInterval") !== hb) modelSet(st, "OCPPCommCtrlr/HeartbeatInterval", hb);
    }
    setRegistration(st, "Accepted");
    emit(st, "accepted");
    return;
  }
  setRegistration(st, status === "Pending" ? "Pending" : "Rejected");
  // B02.FR.04/08, B03.FR.02/06: not again before the interval, however long; B02.FR.07, B03.FR.05:
  // our own when 0.
  s.retryAt = deadline(st.hal.uptime(), interval > 0 ? interval : DEFAULT_RETRY_S);
}

/** BootNotification again, the interval being over (or never set). */
function bootAgain(st: Ctx): void {
  // B03.FR.02: the Rejected interval is over; until the CSMS answers again the station is merely
  // not yet accepted (B02.FR.05 answers, not B03.FR.08's SecurityError), online or not.
  if (registration(st) === "Rejected") setRegistration(st, "none");
  sendBoot(st, undefined);
}

function onConnected(st: Ctx): void {
  // A reconnect of an Accepted station does not boot again (B01.FR.03 is about reboots only).
  if (registration(st) === "Accepted") return;
  const s = state(st);
  if ((!s.sent || st.hal.uptime() >= s.retryAt) && !rpcPending(st, "BootNotification")) bootAgain(st);
}

function onTick(st: Ctx, now: number): void {
  if (registration(st) === "Accepted" || !isOnline(st)) return;
  const s = state(st);
  if (s.sent && now >= s.retryAt && !rpcPending(st, "BootNotification")) bootAgain(st);
}

export const provisioningBoot = {
  name: "provisioning",
  results: { BootNotification: (st: Ctx, p: JsonObject | undefined) => onResult(st, p) },
  triggers: {
    // F06.FR.17: a BootNotification trigger after Accepted is Rejected.
    BootNotification: (st: Ctx) => {
      if (registration(st) === "Accepted") return "Rejected";
      // One BootNotification at a time: a second could be answered after the first was Accepted.
      // TC_B_02_CS step 15: a triggered boot says so.
      if (!rpcPending(st, "BootNotification")) sendBoot(st, "Triggered");
      return "Accepted";
    },
  },
  on: {
    start: (st: Ctx) => {
      const s = state(st);
      s.retryAt = 0;
      s.sent = false;
    },
    connected: (st: Ctx) => onConnected(st),
    tick: (st: Ctx, now: number) => onTick(st, now),
  },
};
