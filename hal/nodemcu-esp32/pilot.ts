// The control pilot on the ESP32: hal/lib/pilot.ts (IEC 61851-1:2017 Annex A) in the ledc duty scale,
// and the pilot state of a raw ADC reading.
//
// The ledc channel runs at 1 kHz with 13 bits of duty; ESP-IDF's ledc takes duty 0 .. 2^bits inclusive
// (components/modules/ledc.c checks up to 1 << (BIT_MAX - 1)), so 8192 holds the output high without
// stopping the channel. The duty is rounded down, so the EV never reads more than offered; a step is
// 1/8192 of the period (0.012 %: 0.007 A below 51 A, 0.03 A above).

import { pilotDutyOf, pilotStateOf } from "../lib/pilot";

/** Duty resolution of the pilot's ledc channel. */
export const PILOT_BITS = 13;
/** The duty that holds the output high: no PWM, no offer. */
export const DUTY_FULL = 8192;

/** The ledc duty (0..8192) that offers deciAmps (0.1 A per phase); DUTY_FULL for no offer. */
function pilotDuty(deciAmps: number): number {
  return pilotDutyOf(deciAmps, DUTY_FULL);
}

/** The pilot state of a raw ADC reading by the OEM's thresholds (hal/lib/pilot.ts pilotStateOf). */
const pilotOfAdc = pilotStateOf;

export { pilotDuty, pilotOfAdc };
