// The smart-charging block's state: the installed profiles (compact, composite-schedule.ts) and each
// EVSE's transaction as the transactions block told it (tx hook), with what the board rates.

import { fmtNum, jarr } from "../../firmware/json";
import { journalPut } from "../../firmware/journal";
import { idiv } from "../../firmware/arith";
import { modelGet, modelLookup } from "../../firmware/model";
import { blockData, Ctx } from "../../firmware/station";
import { Profile } from "./composite-schedule";

/** Journal kind of the block: profiles by id, transactions by "t" .. evseId. */
export const KIND = "cp";
/** Profiles installed at most when the build's model gives SmartChargingCtrlr.Entries no maxLimit (block.json gives 8; an OEM config may set another). */
export const MAX_PROFILES = 8;
/** Nominal voltage of every phase, for A <-> W. */
export const VOLTAGE = 230;

export interface ScState {
  list: Profile[];
  /** Per EVSE (index evseId - 1): its transaction ("" none), when it started (epoch, -1 not known yet) and the uptime then (-1 unknown). */
  txId: string[];
  txStart: number[];
  txUp: number[];
  /** Per EVSE: the limit the CSMS last knew of (0.1 A, -1 none, -2 never): its own changes, and the last ChargingRateChanged. */
  rate: number[];
  /** Uptime by which the limits must be worked out again (-1: at the next tick), the clock's epoch at uptime 0 then (-1 none), SmartChargingCtrlr.Enabled then. */
  due: number;
  base: number;
  on: boolean;
}

export function scState(ctx: Ctx): ScState {
  return blockData(ctx, "smart-charging") as unknown as ScState;
}

/**
 * An EVSE's phases (EVSE.SupplyPhases: 1, else 3) and its connectors' highest rated current
 * (Connector.MaxCurrent, 0.1 A), read from the model each time (ReadOnly; a board's provisioning may set
 * them after start): a few lookups where the limits are worked out, rather than arrays kept in RAM.
 */
export function evseHw(ctx: Ctx, e: number): LuaMultiReturn<[number, number]> {
  const ph = modelLookup(ctx, "EVSE#" + fmtNum(e) + "/SupplyPhases");
  let hw = 0;
  for (let c = 1; c <= ctx.img.evses[e - 1]; c++) {
    const a = tonumber(modelLookup(ctx, "Connector#" + fmtNum(e) + "." + fmtNum(c) + "/MaxCurrent") as string);
    if (a !== undefined && a * 10 > hw) hw = a * 10;
  }
  return $multi(ph !== undefined && tonumber(ph) === 1 ? 1 : 3, hw);
}

/** Profiles the CSMS installed (SmartChargingCtrlr.Entries): the external constraints (purpose 1) are not its. */
export function csmsProfiles(ctx: Ctx): number {
  const list = scState(ctx).list;
  let n = 0;
  for (let i = 0; i < list.length; i++) if (list[i].purpose !== 1) n = n + 1;
  return n;
}

/** Whether a limit moved from `from` to `to` by more than SmartChargingCtrlr.LimitChangeSignificance (whole percent of from). */
export function significant(ctx: Ctx, from: number, to: number): boolean {
  const pct = math.floor(tonumber(modelGet(ctx, "SmartChargingCtrlr/LimitChangeSignificance") as string) as number);
  const d = to > from ? to - from : from - to;
  // from * pct / 100 without a product past 2^31: from < 2^28, pct <= 100.
  return d > idiv(from, 100) * pct + idiv((from - idiv(from, 100) * 100) * pct, 100);
}

/** Journals the EVSE's transaction and its start (none: the record goes). */
export function saveTx(ctx: Ctx, e: number): void {
  const s = scState(ctx);
  journalPut(ctx, KIND, "t" + fmtNum(e), s.txId[e - 1] !== "" ? jarr([s.txId[e - 1], s.txStart[e - 1]]) : undefined);
}
