// Test image: names device-model keys the way blocks do, for build/check-keys.ts tests.

import { modelGet, modelInt } from "../../firmware/model";
import type { Station } from "../../firmware/station";

export function probe(st: Station, which: "GetVariables" | "SetVariables"): number {
  const hb = modelGet(st, "OCPPCommCtrlr/HeartbeatInterval");
  return modelInt(st, `DeviceDataCtrlr/ItemsPerMessage[${which}]`) + (hb !== undefined ? 1 : 0);
}
