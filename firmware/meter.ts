// Meter values (J01, J02): one MeterValueType from the EVSE's meter for a list of measurands, as any
// block needs it (transactions, clock-aligned MeterValues, TriggerMessage).
//
// The HAL gives integers: Wh, W, 0.1 A and 0.1 V per phase, SoC in percent (hal/hal.ts). Tenths are
// split with idiv/imod and only the fraction, below 1, is a float: fmtNum prints it back exactly
// (16.1, 230.4) on every VM, single floats included.

import { idiv, imod } from "./arith";
import { stampNow } from "./clock";
import { fmtNum } from "./json";
import { listHas } from "./model";
import type { Ctx } from "./station";
import { isoTime } from "./time";

const PHASES = [",\"phase\":\"L1\"", ",\"phase\":\"L2\"", ",\"phase\":\"L3\""];
const PHASES_N = [",\"phase\":\"L1-N\"", ",\"phase\":\"L2-N\"", ",\"phase\":\"L3-N\""];

/** Tenths as a decimal number: 165 -> 16.5. */
function tenths(v: number): number {
  // float: the fraction is below 1 and fmtNum prints it with the fewest digits that read back.
  return idiv(v, 10) + imod(v, 10) / 10;
}

/**
 * One SampledValueType as JSON text: one string per sample, not a table of fields (a TE of 13
 * samples would hold 13 tables and their keys to encode them once). The names are schema
 * enumerations: nothing in them needs escaping.
 */
function sample(out: string[], value: number, context: string, measurand: string, unit: string, more: string): void {
  out[out.length] = string.format("%s{\"value\":%s,\"context\":\"%s\",\"measurand\":\"%s\",\"unitOfMeasure\":{\"unit\":\"%s\"}%s}",
    out.length > 1 ? "," : "", fmtNum(value), context, measurand, unit, more);
}

/**
 * One MeterValueType {timestamp, sampledValue[]} as JSON text (jraw puts it in a payload) of the EVSE's meter now, with the measurands of a
 * comma-separated list (Energy.Active.Import.Register, Power.Active.Import, Current.Import, Voltage,
 * SoC) and this ReadingContext; every phase the meter has is reported (J.2.3). at: the timestamp
 * (epoch seconds) when not now, e.g. the clock-aligned boundary a late tick samples for; while the
 * wall clock is unknown, the uptime (clock.ts stampNow). Undefined when the list yields nothing.
 */
export function meterValue(ctx: Ctx, evseId: number, context: string, measurandsCsv: string, at?: number): string | undefined {
  const t = at !== undefined ? at : stampNow(ctx);
  if (measurandsCsv === "") return undefined;
  const m = ctx.hal.readMeter(evseId);
  const out: string[] = ["{\"timestamp\":\"" + isoTime(t) + "\",\"sampledValue\":["];
  if (listHas(measurandsCsv, "Energy.Active.Import.Register")) sample(out, m.energyWh, context, "Energy.Active.Import.Register", "Wh", "");
  if (listHas(measurandsCsv, "Power.Active.Import")) sample(out, m.powerW, context, "Power.Active.Import", "W", "");
  if (listHas(measurandsCsv, "Current.Import")) {
    for (let i = 0; i < m.currentDa.length && i < 3; i++) sample(out, tenths(m.currentDa[i]), context, "Current.Import", "A", PHASES[i]);
  }
  if (listHas(measurandsCsv, "Voltage")) {
    for (let i = 0; i < m.voltageDv.length && i < 3; i++) sample(out, tenths(m.voltageDv[i]), context, "Voltage", "V", PHASES_N[i]);
  }
  // Errata 6.2.58: location EV only for SoC, and only when the EV reports one.
  if (listHas(measurandsCsv, "SoC") && m.socPercent >= 0) sample(out, m.socPercent, context, "SoC", "Percent", ",\"location\":\"EV\"");
  if (out.length === 1) return undefined;
  out[out.length] = "]}";
  return table.concat(out);
}

/** Phases drawing current now (numberOfPhasesUsed), 0 when the meter shows none. */
export function phasesUsed(ctx: Ctx, evseId: number): number {
  const m = ctx.hal.readMeter(evseId);
  let n = 0;
  for (let i = 0; i < m.currentDa.length && i < 3; i++) if (m.currentDa[i] > 0) n = n + 1;
  return n;
}
