// The control pilot of an AC EVSE on the ESP32 (IEC 61851-1:2017 Annex A): the ledc duty that offers a
// current, and the pilot state read from the ADC's positive level.
//
// Duty for a current I (Table A.7, "maximum current to be drawn by the vehicle"):
//   6 A <= I <= 51 A: duty = I / 0.6 %        (10 % .. 85 %)
//   51 A < I <= 80 A: duty = I / 2.5 + 64 %   (85 % .. 96 %)
// Below 6 A no current may be offered by PWM: such an offer, and 0, give no PWM, the output held high
// (constant +12 V). Above 80 A: 80 A. The ledc channel runs at 1 kHz with 13 bits of duty; ESP-IDF's
// ledc takes duty 0 .. 2^bits inclusive (components/modules/ledc.c checks up to 1 << (BIT_MAX - 1)),
// so 8192 holds the output high without stopping the channel. The duty is rounded down, so the EV never
// reads more than offered; a step is 1/8192 of the period (0.012 %: 0.007 A below 51 A, 0.03 A above).

import { idiv } from "../../firmware/arith";

/** Duty resolution of the pilot's ledc channel. */
export const PILOT_BITS = 13;
/** The duty that holds the output high: no PWM, no offer. */
export const DUTY_FULL = 8192;

/** The ledc duty (0..8192) that offers deciAmps (0.1 A per phase); DUTY_FULL for no offer. */
function pilotDuty(deciAmps: number): number {
  if (deciAmps < 60) return DUTY_FULL;
  const da = deciAmps > 800 ? 800 : deciAmps;
  // duty % = da / 6 (da = 10 I), so duty / 8192 = da / 600 = da * 1024 / 75; 510 * 1024 < 2^24.
  if (da <= 510) return idiv(da * 1024, 75);
  // duty % = (da + 1600) / 25, so duty / 8192 = (da + 1600) * 2048 / 625; 2400 * 2048 < 2^24.
  return idiv((da + 1600) * 2048, 625);
}

/**
 * The pilot state of a raw ADC reading of the pilot's positive level (through the OEM's divider and
 * peak hold), by the OEM's thresholds, highest first: at or above levels[0] A (+12 V), levels[1] B
 * (+9 V), levels[2] C (+6 V), levels[3] D (+3 V), below E (0 V: shorted). An EV fault at -12 V (F) has
 * no positive level either: it reads as E, which the core treats alike.
 */
function pilotOfAdc(raw: number, levels: number[]): string {
  if (raw >= levels[0]) return "A";
  if (raw >= levels[1]) return "B";
  if (raw >= levels[2]) return "C";
  if (raw >= levels[3]) return "D";
  return "E";
}

export { pilotDuty, pilotOfAdc };
