// A simulated electric vehicle on an AC EVSE (IEC 61851-1): the pilot state it shows and the current it draws.
//
// The board (sim/board.ts) steps it once per virtual second: `run` books the energy of the second
// that passed at the draw the EV had, `follow` sets the draw for the next one from what the EVSE
// offers. No randomness: a run is the same every time.

/** What an EV is; `setEv` takes any part of it. */
export interface EvSpec {
  /** Usable battery capacity, Wh. */
  capacityWh: number;
  /** State of charge, percent (fractions kept while charging). */
  socPercent: number;
  /** The on-board charger's maximum power, W. */
  maxPowerW: number;
  /** Phases the on-board charger uses: 1 or 3 (it uses fewer when the connector has fewer). */
  phases: 1 | 3;
}

/** The EV every EVSE has until `setEv` says otherwise: a mid-size car, 60 kWh at 40 %, 11 kW on three phases. */
export const DEFAULT_EV: Readonly<EvSpec> = { capacityWh: 60000, socPercent: 40, maxPowerW: 11000, phases: 3 };

/** The nominal phase voltage the EV sizes its current by (maxPowerW / (phases × 230 V)). */
export const NOMINAL_V = 230;

/** Grid voltage per phase L1, L2, L3 in 0.1 V: a fixed pattern around 230 V, so a swapped phase shows. */
export const PHASE_VOLTAGE_DV = [2300, 2298, 2310];

/** What the EVSE gives the EV this second. */
export interface Supply {
  /** PWM offer in 0.1 A per phase (0: none). */
  offerDa: number;
  /** The contactor really is closed (its feedback, so a welded one counts). */
  relayClosed: boolean;
  /** The connector the cable is in: its phases and current rating. */
  phases: number;
  maxCurrentA: number;
}

export class Ev {
  readonly spec: EvSpec;
  /** Current per phase (A) drawn now; 0 when not drawing. */
  drawA = 0;
  /** Phases carrying drawA (L1 first). */
  drawPhases = 0;

  constructor(spec: Partial<EvSpec> = {}) {
    this.spec = { ...DEFAULT_EV, ...spec };
  }

  /** It still takes energy: below 100 %. */
  wantsEnergy(): boolean {
    return this.spec.socPercent < 100;
  }

  /** State B (connected) or C (asks for energy: a PWM offer is there and the battery is not full). */
  pilot(offerDa: number): "B" | "C" {
    return offerDa > 0 && this.wantsEnergy() ? "C" : "B";
  }

  /** Power drawn now, W: Σ V × I over the phases in use. */
  powerW(): number {
    let p = 0;
    for (let i = 0; i < this.drawPhases; i++) p += (PHASE_VOLTAGE_DV[i] / 10) * this.drawA;
    return p;
  }

  /** Books `seconds` at the present draw: the Wh taken (never more than the battery still holds), SoC raised by it. */
  run(seconds: number): number {
    if (this.drawA === 0) return 0;
    const roomWh = (this.spec.capacityWh * (100 - this.spec.socPercent)) / 100;
    const wh = (this.powerW() * seconds) / 3600;
    if (wh >= roomWh) {
      this.spec.socPercent = 100;
      return Math.max(roomWh, 0);
    }
    this.spec.socPercent += (wh / this.spec.capacityWh) * 100;
    return wh;
  }

  /**
   * Sets the draw from the supply: only in state C with the contactor closed and an offer. Per phase
   * the least of the offer, the charger's own limit and the connector's rating.
   */
  follow(s: Supply): void {
    if (!s.relayClosed || s.offerDa <= 0 || this.pilot(s.offerDa) !== "C") {
      this.stop();
      return;
    }
    const own = this.spec.maxPowerW / (this.spec.phases * NOMINAL_V);
    this.drawA = Math.min(s.offerDa / 10, own, s.maxCurrentA);
    this.drawPhases = Math.min(this.spec.phases, s.phases);
  }

  stop(): void {
    this.drawA = 0;
    this.drawPhases = 0;
  }
}

/** Checks a partial EV spec (API bodies, setEv): the reason it is wrong, or undefined. */
export function evSpecError(s: Partial<Record<keyof EvSpec, unknown>>): string | undefined {
  const num = (v: unknown, name: string, min: number, max: number, int: boolean): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max)
      return `${name} must be ${int ? "an integer" : "a number"} from ${min} to ${max}, got ${JSON.stringify(v)}`;
    return undefined;
  };
  if (s.phases !== undefined && s.phases !== 1 && s.phases !== 3) return `phases must be 1 or 3, got ${JSON.stringify(s.phases)}`;
  // The energy register and the firmware's integers stay far below 2^31 Wh / W.
  return num(s.socPercent, "socPercent", 0, 100, false) ?? num(s.capacityWh, "capacityWh", 1000, 1000000, true) ?? num(s.maxPowerW, "maxPowerW", 1000, 350000, true);
}
