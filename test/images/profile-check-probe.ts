// Test image: the K01 profile validation (profiles/smart-charging/profile-check.ts) behind the line
// protocol, so the same fixtures run on every runtime. One JSON text in, one out:
//   {"evseId", "chargingProfile", "existing": [{"evseId", "chargingProfile"}], "limits": ProfileLimits}
//     -> {"reason": "" or the reasonCode, "replaces": index in existing or -1}, or "refused <index>" for an
//        installed profile the converter refused.

import { jsonDecode, jsonEncode, JsonObject } from "../../firmware/json";
import { Profile, profileFromJson } from "../../profiles/smart-charging/composite-schedule";
import { checkProfile, ProfileLimits, replaces } from "../../profiles/smart-charging/profile-check";

export function event(line: string): string {
  const [v] = jsonDecode(line, 16, true);
  const c = v as JsonObject;
  const list = c.existing as JsonObject[];
  const existing: Profile[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = profileFromJson(list[i].chargingProfile as JsonObject, list[i].evseId as number);
    if (p === undefined) return "refused " + string.format("%d", i);
    existing[i] = p;
  }
  const cp = c.chargingProfile as JsonObject;
  const reason = checkProfile(cp, c.evseId as number, existing, c.limits as unknown as ProfileLimits);
  return jsonEncode({ reason, replaces: replaces(cp.id as number, existing) });
}
