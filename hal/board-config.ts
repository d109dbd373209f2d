// What a port needs to know of the OEM's circuit board: pins, the pilot's ADC thresholds, the meter
// bus. One table, handed to the port's `boardRun(fw, cfg)` by the start file the build generates
// (NodeMCU init.lua, LuatOS main.lua) from the OEM config's "board" section; never compiled into
// the image, so one image serves every wiring. Pin numbers are the firmware's own (NodeMCU's
// D-pin index on ESP8266, GPIO numbers on ESP32 and LuatOS).

import type { SdmRegister } from "./lib/meter-sdm";

/** The wiring of one EVSE (one connector per EVSE on these boards). */
export interface EvsePins {
  /** Output driving the contactor (high: closed). */
  relay: number;
  /** Input of the contactor's feedback contact (high: closed); -1: none, the feedback follows the command. */
  relayFeedback: number;
  /** PWM output of the control pilot (1 kHz; the duty gives the current offer, IEC 61851-1 Annex A). */
  pilotPwm: number;
  /** ADC channel reading the pilot's positive level through the board's divider. */
  pilotAdc: number;
  /** Output of the connector lock's motor/solenoid (high: locked); -1: fixed cable, no lock. */
  lock: number;
  /** Input of the lock's feedback (high: locked); -1: none, the feedback follows the command. */
  lockFeedback: number;
  /** Input of the plug (proximity) detection (high: plugged); -1: taken from the pilot (B..D: plugged). */
  plug: number;
  /** The EVSE's meter: its Modbus address on the board's RS-485 bus (1..247). */
  meterAddress: number;
}

/** The RS-485 bus of the energy meters. */
export interface MeterBus {
  /** UART id (NodeMCU ESP8266: 0, with uart.alt(1) moving it off the console pins). */
  uart: number;
  baud: number;
  /** Output switching the RS-485 transceiver to transmit (high: transmit); -1: automatic direction. */
  dePin: number;
  /** ESP32 / LuatOS: the UART's TX and RX pins; -1 keeps the firmware's defaults. */
  txPin: number;
  rxPin: number;
  /** The register table (default: hal/lib/meter-sdm.ts SDM630_REGISTERS). */
  registers?: SdmRegister[];
  /** Milliseconds between reading cycles (default 1000). */
  periodMs?: number;
}

export interface BoardConfig {
  evses: EvsePins[];
  meter: MeterBus;
  /**
   * Pilot ADC thresholds, in the ADC's raw units as the board reads them, highest first: a reading
   * at or above pilotLevels[0] is state A (+12 V), above [1] B (+9 V), [2] C (+6 V), [3] D (+3 V),
   * else E/F (0 V or -12 V: no PWM high level, a fault). The OEM measures them on its divider.
   */
  pilotLevels: number[];
  /** Tick period of the board loop in ms (the firmware's tick: at least once a second). */
  tickMs: number;
}
