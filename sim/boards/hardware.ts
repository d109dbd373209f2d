// The simulated hardware of one EVSE on an emulated board, in board terms: the contactor, the lock,
// the cable, the control pilot's PWM duty and positive level, and the meter's values. The EV is
// sim/ev.ts's model, stepped in milliseconds of virtual time; the energy register integrates the
// power it draws. A board's driver maps it onto pins (gpio levels, the pilot ADC, the meter's UART).

import { Ev, PHASE_VOLTAGE_DV } from "../ev";
import type { MeterValues } from "./modbus-slave";

/**
 * The current (0.1 A) an EV reads from a PWM duty in percent (IEC 61851-1 Annex A, Table A.8): 8–85 %
 * → duty × 0.6 A, 85–97 % → (duty − 64) × 2.5 A; outside: no offer (0 % or 100 %: constant level).
 */
export function offerOfDuty(dutyPercent: number): number {
  if (dutyPercent < 8 || dutyPercent > 97) return 0;
  if (dutyPercent <= 85) return Math.round(dutyPercent * 6);
  return Math.round((dutyPercent - 64) * 25);
}

export interface EvseHardwareSpec {
  phases: 1 | 3;
  maxCurrentA: number;
}

export class EvseHardware {
  readonly ev = new Ev();
  relayCommand = false;
  relayClosed = false;
  lockCommand = false;
  locked = false;
  plugged = false;
  /** The pilot's offer in 0.1 A as the EV reads the PWM (0: none). */
  offerDa = 0;
  /** The meter's import register, Wh (fractions kept). A hardware register: it survives reboots. */
  energyWh = 0;
  welded = false;

  constructor(readonly spec: EvseHardwareSpec) {}

  /** The control pilot state the EV shows: A without a cable, else B or C (it wants energy under an offer). */
  pilot(): "A" | "B" | "C" {
    return this.plugged ? this.ev.pilot(this.offerDa) : "A";
  }

  /** Books ms of charging at the present draw, then lets the EV follow what it is given now. */
  step(ms: number): void {
    if (ms > 0) this.energyWh += this.ev.run(ms / 1000);
    this.follow();
  }

  follow(): void {
    if (!this.plugged) this.ev.stop();
    else this.ev.follow({ offerDa: this.offerDa, relayClosed: this.relayClosed, phases: this.spec.phases, maxCurrentA: this.spec.maxCurrentA });
  }

  /** The contactor moves as commanded, unless welded shut. */
  settleRelay(): void {
    this.relayClosed = this.welded && this.relayClosed ? true : this.relayCommand;
    this.follow();
  }

  /** Power off: outputs drop (contactor open unless welded, no PWM, lock where it is). */
  powerOff(): void {
    this.relayCommand = false;
    this.offerDa = 0;
    this.settleRelay();
  }

  meterValues(): MeterValues {
    const voltageV: number[] = [];
    const currentA: number[] = [];
    for (let i = 0; i < 3; i++) {
      voltageV.push(PHASE_VOLTAGE_DV[i] / 10);
      currentA.push(i < this.ev.drawPhases ? this.ev.drawA : 0);
    }
    return { voltageV, currentA, powerW: this.ev.powerW(), energyKwh: this.energyWh / 1000, frequencyHz: 50 };
  }
}
