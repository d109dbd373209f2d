// The control pilot of an AC EVSE (IEC 61851-1:2017 Annex A), for every port: the PWM duty that offers a
// current, in the port's own duty scale, and the pilot state of the positive level its ADC reads.
//
// Duty for a current I (Table A.7, "maximum current to be drawn by the vehicle"):
//   6 A <= I <= 51 A: duty = I / 0.6 %        (10 % .. 85 %)
//   51 A < I <= 80 A: duty = I / 2.5 + 64 %   (85 % .. 96 %)
// Below 6 A no current may be offered by PWM: such an offer, and 0, give no PWM, the output held high
// (constant +12 V: no offer, state B1 with an EV). Above 80 A: 80 A. The duty is rounded down to the
// port's step, so the EV never reads more than offered.

import { idiv } from "../../firmware/arith";

/**
 * The duty, in 1/full of the period (full: the port's scale, which also holds the output high), that
 * offers deciAmps (0.1 A per phase); full for no offer. Exact on every VM for full up to 2^19:
 * (800 + 1600) * full stays below 2^31, and idiv is exact there.
 */
function pilotDutyOf(deciAmps: number, full: number): number {
  if (deciAmps < 60) return full;
  const da = deciAmps > 800 ? 800 : deciAmps;
  // duty % = da / 6 (da = 10 I), so duty / full = da / 600.
  if (da <= 510) return idiv(da * full, 600);
  // duty % = da / 25 + 64 = (da + 1600) / 25.
  return idiv((da + 1600) * full, 2500);
}

/**
 * The pilot state of a reading of the pilot's positive level (through the OEM's divider and peak hold,
 * in the port's ADC unit), by the OEM's thresholds, highest first (hal/board-config.ts pilotLevels): at
 * or above levels[0] A (+12 V), levels[1] B (+9 V), levels[2] C (+6 V), levels[3] D (+3 V), below E
 * (0 V: shorted). An EV fault at -12 V (F) has no positive level either: it reads as E, which the core
 * treats alike (the EVSE alone drives -12 V, and no port does).
 */
function pilotStateOf(level: number, levels: number[]): string {
  if (level >= levels[0]) return "A";
  if (level >= levels[1]) return "B";
  if (level >= levels[2]) return "C";
  if (level >= levels[3]) return "D";
  return "E";
}

export { pilotDutyOf, pilotStateOf };
