// Test image: the K08 composite schedule (profiles/smart-charging/composite-schedule.ts) behind the line
// protocol, so the same fixtures run on every runtime. One JSON text in, one out:
//   {"profiles": [{"evseId", "chargingProfile"}], "evseId", "txStart" (RFC 3339, absent: none), "txId",
//    "from" (RFC 3339), "duration", "unit", "phases", "voltage", "hw" (dA), "max"}
//     -> [[start, limit, numberPhases], ...], or "refused <index>" for a profile the converter refused;
//   {"evseId", "chargingProfile"} alone -> the compact profile, or null.

import { jarr, Json, jsonDecode, jsonEncode, JsonObject } from "../../firmware/json";
import { parseIsoTime } from "../../firmware/time";
import { compositeSchedule, periodAt, periodCount, Profile, profileFromJson } from "../../profiles/smart-charging/composite-schedule";

function time(v: Json | undefined): number {
  if (v === undefined) return -1;
  const t = parseIsoTime(v as string);
  return t === undefined ? -1 : t;
}

export function event(line: string): string {
  const [v] = jsonDecode(line, 16, true);
  const c = v as JsonObject;
  if (c.profiles === undefined) {
    const p = profileFromJson(c.chargingProfile as JsonObject, c.evseId as number);
    if (p === undefined) return "null";
    // The packed periods as the flat triples they hold.
    const flat: number[] = [];
    for (let i = 0; i < periodCount(p.periods); i++) {
      const [a, b, n] = periodAt(p.periods, i);
      flat[flat.length] = a;
      flat[flat.length] = b;
      flat[flat.length] = n;
    }
    const o = p as unknown as JsonObject;
    o.periods = jarr(flat);
    return jsonEncode(o);
  }
  const list = c.profiles as JsonObject[];
  const profiles: Profile[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = profileFromJson(list[i].chargingProfile as JsonObject, list[i].evseId as number);
    if (p === undefined) return "refused " + string.format("%d", i);
    profiles[i] = p;
  }
  const txId = c.txId === undefined ? "" : (c.txId as string);
  const flat = compositeSchedule(
    profiles, c.evseId as number, time(c.txStart), txId, time(c.from), c.duration as number,
    c.unit as string, c.phases as number, c.voltage as number, c.hw as number, c.max as number,
  );
  const out: Json[] = [];
  for (let i = 0; i < flat.length; i += 3) out[out.length] = jarr([flat[i], flat[i + 1], flat[i + 2]]);
  return jsonEncode(jarr(out));
}
