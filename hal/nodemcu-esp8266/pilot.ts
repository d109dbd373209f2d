// The control pilot of an AC EVSE on the ESP8266 (IEC 61851-1:2017 Annex A): the PWM duty that offers
// a current, and the pilot state read from the ADC's positive level.
//
// Duty for a current I (Table A.7, "maximum current to be drawn by the vehicle"):
//   6 A <= I <= 51 A: duty = I / 0.6 %        (10 % .. 85 %)
//   51 A < I <= 80 A: duty = I / 2.5 + 64 %   (85 % .. 96 %)
// Below 6 A no current may be offered by PWM: such an offer, and 0, give no PWM, the output held high
// (constant +12 V: "EVSE not available" / no offer, state B1 with an EV). Above 80 A: 80 A.
// NodeMCU's pwm module counts duty in 1/1023 of the period (pwm.setduty 0..1023), so 100 % is 1023
// and the duty is rounded down to a 1/1023: the EV never reads more than offered (at most 0.06 A less
// up to 51 A, 0.25 A above). Rounding to the nearest would give 51 A as 85.04 %, which the EV reads
// by the upper formula as 52.6 A: the table jumps at 85 %. Likewise an offer between 51 and 52.6 A
// gives a duty under 85 %, which the EV reads by the lower formula: up to 1.6 A less than offered.

import { idiv } from "../../firmware/arith";

/** pwm.setduty's full scale: a duty of 1023 holds the output high. */
export const DUTY_FULL = 1023;

/** The pwm duty (0..1023) that offers deciAmps (0.1 A per phase); DUTY_FULL for no offer. */
function pilotDuty(deciAmps: number): number {
  if (deciAmps < 60) return DUTY_FULL;
  const da = deciAmps > 800 ? 800 : deciAmps;
  // duty % = da / 6 (da = 10 I), so duty / 1023 = da / 600; 2400 * 1023 stays far below 2^24.
  if (da <= 510) return idiv(da * DUTY_FULL, 600);
  // duty % = da / 25 + 64 = (da + 1600) / 25.
  return idiv((da + 1600) * DUTY_FULL, 2500);
}

/**
 * The pilot state of a raw ADC reading of the pilot's positive level (adc.read(0), 0..1023, through the
 * OEM's divider and peak hold), by the OEM's thresholds, highest first: at or above levels[0] A
 * (+12 V), levels[1] B (+9 V), levels[2] C (+6 V), levels[3] D (+3 V), below E (0 V: shorted). An EV
 * fault at -12 V (F) has no positive level either: it reads as E, which the core treats alike.
 */
function pilotOfAdc(raw: number, levels: number[]): string {
  if (raw >= levels[0]) return "A";
  if (raw >= levels[1]) return "B";
  if (raw >= levels[2]) return "C";
  if (raw >= levels[3]) return "D";
  return "E";
}

export { pilotDuty, pilotOfAdc };
