// The per-EVSE half of a HAL for unit tests of the core: no EV, nothing plugged, relay and lock open.

import type { Hal } from "../hal/hal";

export const IDLE_EVSE: Pick<Hal, "setRelay" | "relayClosed" | "readMeter" | "pilotState" | "setPilotOffer" | "setLock" | "lockState" | "plugged"> = {
  setRelay: () => undefined,
  relayClosed: () => false,
  readMeter: () => ({ energyWh: 0, powerW: 0, currentDa: [0], voltageDv: [2300], socPercent: -1 }),
  pilotState: () => "A",
  setPilotOffer: () => undefined,
  setLock: () => undefined,
  lockState: () => false,
  plugged: () => false,
};
