// The simulated hardware of one EVSE on an emulated board, in board terms: the contactor, the lock,
// the cable, the control pilot's PWM duty and positive level, and the meter's values. The EV is
// sim/ev.ts's model, stepped in milliseconds of virtual time; the energy register integrates the
// power it draws. A board's driver maps it onto pins (gpio levels, the pilot ADC, the meter's UART).

import type { EvsePins } from "../../hal/board-config";
import { Ev, PHASE_VOLTAGE_DV } from "../ev";
import type { MeterValues, Sdm630Slave } from "./modbus-slave";
import type { PortRunner } from "./port-runner";

/** The pilot's positive level (V) in each state the EV presents (IEC 61851-1 Table A.4); a board's divider maps it to its ADC. */
export const PILOT_VOLTS: Record<string, number> = { A: 12, B: 9, C: 6, D: 3, E: 0 };
/** A meter's turnaround after a request, ms. */
export const TURNAROUND_MS = 5;

/**
 * The current (0.1 A) an EV reads from a PWM duty in percent (IEC 61851-1 Annex A, Table A.8): 8–85 %
 * → duty × 0.6 A, 85–97 % → (duty − 64) × 2.5 A; outside: no offer (0 % or 100 %: constant level).
 */
export function offerOfDuty(dutyPercent: number): number {
  if (dutyPercent < 8 || dutyPercent > 97) return 0;
  if (dutyPercent <= 85) return Math.round(dutyPercent * 6);
  return Math.round((dutyPercent - 64) * 25);
}

/** The offer (0.1 A) the EV reads from the pilot's PWM: at 1 kHz (IEC 61851-1: 1000 Hz ± 2 %) and running, else none. */
export function offerOfPwm(hz: number, dutyPercent: number, running = true): number {
  return running && hz >= 980 && hz <= 1020 ? offerOfDuty(dutyPercent) : 0;
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

/**
 * An EVSE's feedback and plug inputs (the pins its wiring has, -1 none) as its hardware holds them,
 * each fed to the VM as a `gpio` input when it changed since last fed (fed: pin → level).
 */
export function feedInputs(runner: PortRunner, fed: Map<number, number>, p: EvsePins, hw: EvseHardware): void {
  const want = new Map<number, number>();
  if (p.relayFeedback >= 0) want.set(p.relayFeedback, hw.relayClosed ? 1 : 0);
  if (p.lockFeedback >= 0) want.set(p.lockFeedback, hw.locked ? 1 : 0);
  if (p.plug >= 0) want.set(p.plug, hw.plugged ? 1 : 0);
  for (const [pin, level] of want) {
    if (fed.get(pin) === level) continue;
    fed.set(pin, level);
    runner.feed("gpio", [String(pin), String(level)]);
  }
}

/** An output the port wrote: the contactor or the lock of every EVSE wired to that pin follows its level. */
export function applyOutput(evses: EvsePins[], hw: EvseHardware[], pin: number, level: number): void {
  evses.forEach((p, i) => {
    if (pin === p.relay) {
      hw[i].relayCommand = level === 1;
      hw[i].settleRelay();
    } else if (pin === p.lock) {
      hw[i].lockCommand = level === 1;
      hw[i].locked = hw[i].lockCommand;
    }
  });
}

/**
 * A request on a meter bus every meter hears: the addressed one answers after the request's line
 * time, its turnaround and its answer's line time, when `deliver` gets the answer's bytes.
 */
export function answerOnBus(runner: PortRunner, meters: Sdm630Slave[], bytes: string, baud: number, deliver: (answer: string) => void): void {
  const req = Buffer.from(bytes, "latin1");
  const byteMs = 10000 / baud;
  for (const m of meters) {
    const answer = m.receive(req);
    if (answer === undefined) continue;
    const at = runner.now + Math.ceil(req.length * byteMs + TURNAROUND_MS + answer.length * byteMs);
    runner.at(at, () => deliver(answer.toString("latin1")));
  }
}
