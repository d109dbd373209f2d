// The control pilot on the ESP8266: hal/lib/pilot.ts (IEC 61851-1:2017 Annex A) in NodeMCU's pwm
// duty scale, and the pilot state of adc.read(0) (0..1023).
//
// NodeMCU's pwm module counts duty in 1/1023 of the period (pwm.setduty 0..1023), so 100 % is 1023
// and the duty is rounded down to a 1/1023: the EV never reads more than offered (at most 0.06 A less
// up to 51 A, 0.25 A above). Rounding to the nearest would give 51 A as 85.04 %, which the EV reads
// by the upper formula as 52.6 A: the table jumps at 85 %. Likewise an offer between 51 and 52.6 A
// gives a duty under 85 %, which the EV reads by the lower formula: up to 1.6 A less than offered.

import { pilotDutyOf, pilotStateOf } from "../lib/pilot";

/** pwm.setduty's full scale: a duty of 1023 holds the output high. */
export const DUTY_FULL = 1023;

/** The pwm duty (0..1023) that offers deciAmps (0.1 A per phase); DUTY_FULL for no offer. */
function pilotDuty(deciAmps: number): number {
  return pilotDutyOf(deciAmps, DUTY_FULL);
}

/** The pilot state of adc.read(0) by the OEM's thresholds (hal/lib/pilot.ts pilotStateOf). */
const pilotOfAdc = pilotStateOf;

export { pilotDuty, pilotOfAdc };
