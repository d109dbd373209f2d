// A04 security events. Any block (or the core) raises one with emit(ctx, "security", type, techInfo);
// this block writes every one into the security log (A04.FR.04) and sends the critical ones to the
// CSMS (A04.FR.01) as persisted calls: through the flash journal, in order, after reconnects and power
// loss, never given way for room (A04.FR.02: guaranteed delivery; outbox.ts drops only droppable calls).
//
// The security log is a ring of two files of at most LOG_BYTES each: when the current one is full the
// other is emptied and written next (A04.FR.04 recommends a rolling log), so it never grows past
// 2 × LOG_BYTES. Lines are "<timestamp> <type>[ <techInfo>]"; no event carries a secret (A01.FR.12).

import { stampNow } from "../../firmware/clock";
import { JsonObject } from "../../firmware/json";
import { bootReason } from "../../firmware/reboot";
import { outboxPersisted } from "../../firmware/outbox";
import { rpcCall } from "../../firmware/rpc";
import { blockData, Ctx } from "../../firmware/station";
import { isoTime } from "../../firmware/time";

/** Bytes per log file; the log keeps between LOG_BYTES and 2 × LOG_BYTES of the newest events. */
const LOG_BYTES = 4096;
/** The file being written, "0" or "1", saved when it changes so a restart goes on in the same one. */
const CUR_KEY = "slc";

/** Security events the Part 2 appendix marks not critical: logged, not sent (A04.FR.01/04). */
const NOT_CRITICAL: { [t: string]: boolean } = {
  FailedToAuthenticateAtCsms: true,
  CsmsFailedToAuthenticate: true,
  ReconfigurationOfSecurityParameters: true,
  InvalidMessages: true,
  AttemptedReplayAttacks: true,
};

/**
 * Events waiting for the CSMS at most: one more is only logged, so a station that reboots over and over
 * offline cannot fill the journal TransactionEvents need (A00.FR.316's note: avoid overflowing the
 * offline queue with repeated events).
 */
const MAX_QUEUED = 8;

interface LogState {
  /** The file being written, "0" or "1"; read from CUR_KEY on first use. */
  cur: string | undefined;
}

/** Appends one line, moving to the other file (emptied first) when this one would pass LOG_BYTES. */
function logLine(ctx: Ctx, line: string): void {
  const s = blockData(ctx, "security-events") as unknown as LogState;
  if (s.cur === undefined) s.cur = ctx.hal.load(CUR_KEY) === "1" ? "1" : "0";
  if (ctx.hal.size("sl" + s.cur) + string.len(line) > LOG_BYTES) {
    s.cur = s.cur === "1" ? "0" : "1";
    ctx.hal.erase("sl" + s.cur);
    ctx.hal.save(CUR_KEY, s.cur);
  }
  ctx.hal.append("sl" + s.cur, [line]);
}

/** A security event: type from the Part 2 appendix (all ≤ 50 chars), techInfo ASCII ("" none, cut at 255). */
function raise(ctx: Ctx, type: string, techInfo: string): void {
  const at = isoTime(stampNow(ctx));
  // One line each in the log: techInfo ends at its first line break.
  const [nl] = string.find(techInfo, "\n", 1, true);
  const info = string.sub(techInfo, 1, nl !== undefined ? math.min(nl - 1, 255) : 255);
  logLine(ctx, at + " " + type + (info !== "" ? " " + info : "") + "\n");
  if (NOT_CRITICAL[type] === true) return;
  const p: JsonObject = { type, timestamp: at };
  if (info !== "") p.techInfo = info;
  // A04.FR.02: through the journal, in order, after reconnects and power cuts; a lost connection is no
  // attempt, 5 unanswered ones (CALLERROR or timeout, 30 s × tries apart) let the queue behind it go on.
  if (outboxPersisted(ctx, "SecurityEventNotification") >= MAX_QUEUED || !rpcCall(ctx, "SecurityEventNotification", p, { persist: true, attempts: 5, interval: 30 })) {
    ctx.hal.log(1, "security event " + type + " only logged: queue full");
  }
}

export const securityEvents = {
  name: "security-events",
  on: {
    // Every start is a boot of the device; one the station was asked for (Reset, firmware update: the
    // reason firmware/reboot.ts keeps until a BootNotification carrying it is Accepted) a reset or
    // reboot, the reason as techInfo. A power cut before that Accepted repeats the reason: ResetOrReboot again.
    restored: (ctx: Ctx) => {
      const why = bootReason(ctx);
      if (why === "PowerUp") raise(ctx, "StartupOfTheDevice", "");
      else raise(ctx, "ResetOrReboot", why);
    },
    security: raise,
  },
};
