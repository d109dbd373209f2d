// The EVSEs' energy meters on one RS-485 bus (hal/lib/meter-sdm.ts pollers, one per meter address),
// taking turns: only one request may be on a Modbus line at a time.
//
// A round reads every meter once, in EVSE order: a poller's cycle is started (sdmTick with its whole
// period, which ends its idle wait at once) and only it is ticked and fed until its cycle is over
// (good or failed: its state is back to idle). The next meter's cycle starts one bus tick after the end
// was seen, so at least one tick (POLL_MS, far above Modbus RTU's 3.5 characters) of silence lies
// between two meters' frames. Rounds start periodMs apart, or right after one that took longer.
// Bytes arriving while no cycle runs are dropped.

import type { MeterReading } from "../hal";
import type { MeterBus } from "../board-config";
import { SdmPoller, sdmPoller, sdmFeed, sdmTick, sdmReading } from "../lib/meter-sdm";

/** Phases an SDM630-class meter reports (L1..L3). */
const PHASES = 3;

export interface Meters<C> {
  /** Per EVSE (index evseId - 1): its poller, or undefined when its address or the table is invalid. */
  pollers: (SdmPoller<C> | false)[];
  /** The EVSE whose cycle runs (0-based), or -1 between rounds. */
  active: number;
  /** The active cycle was seen over at the last tick: the next one starts at this one. */
  ended: boolean;
  /** Milliseconds since the current round started. */
  roundMs: number;
  periodMs: number;
}

/** Pollers for these meter addresses on the bus; write sends a request's bytes on the bus. */
function metersNew<C>(bus: MeterBus, addresses: number[], ctx: C, write: (this: void, ctx: C, bytes: string) => void): Meters<C> {
  const m: Meters<C> = { pollers: [], active: -1, ended: false, roundMs: 0, periodMs: bus.periodMs !== undefined ? bus.periodMs : 1000 };
  for (let i = 0; i < addresses.length; i++) {
    const p = sdmPoller({ slave: addresses[i], registers: bus.registers, baud: bus.baud }, ctx, write);
    m.pollers[m.pollers.length] = p !== undefined ? p : false;
  }
  // The first round starts at the first tick.
  m.roundMs = m.periodMs;
  return m;
}

/** Starts the cycle of the first EVSE from `from` on that has a poller; -1 when none is left. */
function startFrom<C>(m: Meters<C>, from: number): void {
  m.ended = false;
  for (let i = from; i < m.pollers.length; i++) {
    const p = m.pollers[i];
    if (p !== false) {
      m.active = i;
      sdmTick(p, p.periodMs);
      return;
    }
  }
  m.active = -1;
}

/** ms milliseconds passed (the bus timer's interval). */
function metersTick<C>(m: Meters<C>, ms: number): void {
  m.roundMs = m.roundMs + ms > 86400000 ? 86400000 : m.roundMs + ms;
  if (m.active < 0) {
    if (m.roundMs >= m.periodMs) {
      m.roundMs = 0;
      startFrom(m, 0);
    }
    return;
  }
  const p = m.pollers[m.active] as SdmPoller<C>;
  if (m.ended) {
    startFrom(m, m.active + 1);
    return;
  }
  // A cycle that ended in metersFeed is seen here, and the next one starts a tick later still.
  if (p.state !== 0) sdmTick(p, ms);
  m.ended = p.state === 0;
}

/** Bytes the bus UART received. */
function metersFeed<C>(m: Meters<C>, bytes: string): void {
  if (m.active < 0 || m.ended) return;
  sdmFeed(m.pollers[m.active] as SdmPoller<C>, bytes);
}

/** The EVSE's last good reading (integers, three phases); zeros before one or without a meter. */
function metersReading<C>(m: Meters<C>, evseId: number): MeterReading {
  const p = m.pollers[evseId - 1];
  if (p === undefined || p === false) return { energyWh: 0, powerW: 0, currentDa: [0, 0, 0], voltageDv: [0, 0, 0], socPercent: -1 };
  return sdmReading(p, PHASES);
}

export { metersNew, metersTick, metersFeed, metersReading };
