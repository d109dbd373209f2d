// A local EMS over MQTT (K11–K13): a building's energy manager, solar inverter or battery limits what
// the station draws, the station reports its power back, and the CSMS is told of the limit.
//
// The MQTT client (firmware/mqtt-client.ts) runs on the board's second transport (hal.netOpen) while
// EmsCtrlr.Url names a broker. It subscribes to <TopicPrefix>/<identity>/limit at QoS 1, whose
// payload is {"limitW": n} or {"limitA": n} with an optional "validS" (whole seconds it holds; none:
// until replaced); {} lifts it. The limit goes to the smart-charging block through the external hook,
// station-wide (K12.FR.01: the total of every EVSE), and to the CSMS as NotifyChargingLimit when it
// moved by more than LimitChangeSignificance from the last one told (K11.FR.02 / K12.FR.02, source EMS:
// K12.FR.04), with the schedule when NotifyChargingLimitWithSchedules (K12.FR.03); when it is
// lifted or runs out, ClearedChargingLimit (K13.FR.02). Every MeterInterval s it publishes
// <prefix>/<identity>/meter: {"powerW": n, "evses": [{"evseId", "powerW", "energyWh", "limitA"?}]},
// limitA the composite limit the EVSE charges under (none: only its rating).

import { idiv } from "../../firmware/arith";
import { isArray, isObject, jarr, Json, jsonDecode, jsonEncode, JsonObject } from "../../firmware/json";
import { modelGet, modelInt } from "../../firmware/model";
// One local for the client module: the chunk stays within NodeMCU's 50 locals.
import * as mqtt from "../../firmware/mqtt-client";
type MqttClient = mqtt.MqttClient;
import { rpcCall, rpcDrop } from "../../firmware/rpc";
import { epochNow } from "../../firmware/clock";
import { isoTime } from "../../firmware/time";
import { blockData, Ctx, emit } from "../../firmware/station";
import { blockEntry } from "../../firmware/entry";
import { significant } from "../smart-charging/sc-state";

/** Flash record of the limit in force: [limit, unit, validS, told, toldUnit, end (epoch its validity ends, -1 none or no clock)]. */
const KEY = "ems";
/** The longest validity taken (a year): uptime + validS stays far below 2^31. */
const MAX_VALID_S = 31536000;
/** Keep-alive of the MQTT session, and the largest packet taken (a limit message is a few dozen bytes). */
const KEEP_ALIVE_S = 60;
const MAX_PACKET = 512;
/** Largest limits taken: W, and 0.1 A (as composite-schedule.ts holds them). */
const CAP_W = 200000000;
const CAP_DA = 10000000;

interface EmsState {
  /** The EmsCtrlr.Url the client was made for ("" none), and the client. */
  url: string;
  client: MqttClient | undefined;
  topic: string;
  /** The EMS limit in force (-1 none) in unit "A" (0.1 A) or "W", its validS (-1 none) and the uptime it ends (-1 never). */
  limit: number;
  unit: string;
  validS: number;
  until: number;
  /** The limit last told to the CSMS in NotifyChargingLimit (-1 none) and its unit. */
  told: number;
  toldUnit: string;
  /** Per EVSE: the composite limit it charges under (0.1 A, -1 none), from the limit hook. */
  evse: number[];
  /** Uptime of the next meter message. */
  meterAt: number;
}

function emsState(ctx: Ctx): EmsState {
  return blockData(ctx, "ems") as unknown as EmsState;
}

/** A limit held in 0.1 A (unit "A") or W as a JSON number. */
function limitJson(v: number, unit: string): Json {
  if (unit === "W") return v;
  // nonneg: limits are held >= 0.
  if (v % 10 === 0) return idiv(v, 10);
  // float: one decimal of a value below 2^24.
  return v / 10;
}

/** Tells the CSMS of the limit now in force, or that it is lifted. */
function notify(ctx: Ctx, e: EmsState): void {
  if (e.limit < 0 && e.told < 0) return;
  if (e.limit >= 0 && e.told >= 0 && e.toldUnit === e.unit && !significant(ctx, e.told, e.limit)) return;
  // Only the latest state counts: one the CSMS has not got yet goes (a busy EMS never fills the queue).
  rpcDrop(ctx, "NotifyChargingLimit");
  rpcDrop(ctx, "ClearedChargingLimit");
  if (e.limit < 0) {
    if (rpcCall(ctx, "ClearedChargingLimit", { chargingLimitSource: "EMS" })) e.told = -1;
    return;
  }
  const p: JsonObject = { chargingLimit: { chargingLimitSource: "EMS" } };
  if (modelGet(ctx, "SmartChargingCtrlr/NotifyChargingLimitWithSchedules") === "true") {
    const sc: JsonObject = { id: 0, chargingRateUnit: e.unit, chargingSchedulePeriod: jarr([{ startPeriod: 0, limit: limitJson(e.limit, e.unit) }]) };
    // From now (no startSchedule would mean from the start of charging).
    const now = epochNow(ctx);
    if (now !== undefined) sc.startSchedule = isoTime(now);
    if (e.validS > 0) sc.duration = e.validS;
    p.chargingSchedule = jarr([sc]);
  }
  if (rpcCall(ctx, "NotifyChargingLimit", p)) {
    e.told = e.limit;
    e.toldUnit = e.unit;
  }
}

/** Puts limit (-1: none) in force for validS s (-1: until replaced). */
function setLimit(ctx: Ctx, limit: number, unit: string, validS: number): void {
  const e = emsState(ctx);
  e.limit = limit;
  e.unit = unit;
  e.validS = validS;
  e.until = limit >= 0 && validS > 0 ? ctx.hal.uptime() + validS : -1;
  const told = e.told;
  // The CSMS hears of the limit first, then of the rates it moved (K11: NotifyChargingLimit, then TransactionEvent).
  notify(ctx, e);
  emit(ctx, "external", 0, limit, unit);
  // Kept in flash as told to the CSMS (so within LimitChangeSignificance of the latest, and flash is not
  // rewritten for every small step of an EMS that tracks a PV output): after a reboot that limit holds
  // again, for its whole validity, until the EMS says otherwise.
  if (limit < 0) ctx.hal.erase(KEY);
  else if (e.told !== told || e.told < 0) {
    const now = epochNow(ctx);
    // Epoch + validS within 32 bits (validS is a year at most).
    const end = now !== undefined && validS > 0 && now < 2147483647 - validS ? now + validS : -1;
    ctx.hal.save(KEY, jsonEncode(jarr([limit, unit, validS, e.told, e.toldUnit, end])));
  }
}

/** A number field of the message: undefined when absent, -1 when not a finite number >= 0. */
function field(m: JsonObject, k: string): number | undefined {
  const v = m[k];
  if (v === undefined) return undefined;
  // float: NaN and infinities fail both comparisons.
  return type(v) === "number" && (v as number) >= 0 && (v as number) < 1e15 ? (v as number) : -1;
}

function onMessage(this: void, ctx: Ctx, topic: string, payload: string): void {
  const e = emsState(ctx);
  if (topic !== e.topic) return;
  // An empty payload is how MQTT deletes a retained message: the limit goes too.
  if (payload === "") {
    setLimit(ctx, -1, "W", -1);
    return;
  }
  const [v] = jsonDecode(payload, 2, false);
  const m = v as JsonObject;
  const w = isObject(v) ? field(m, "limitW") : -1;
  const a = isObject(v) ? field(m, "limitA") : -1;
  const valid = isObject(v) ? field(m, "validS") : -1;
  const badValid = valid !== undefined && (valid < 1 || valid > MAX_VALID_S || math.floor(valid) !== valid || (w === undefined && a === undefined));
  if (w === -1 || a === -1 || valid === -1 || (w !== undefined && a !== undefined) || badValid) {
    ctx.hal.log(2, "ems: limit message not understood");
    return;
  }
  const vs = valid !== undefined ? valid : -1;
  if (w !== undefined) setLimit(ctx, w < CAP_W ? math.floor(w) : CAP_W, "W", vs);
  // The nearest 0.1 A (w * 10 + 0.5 exact below 2^24).
  else if (a !== undefined) setLimit(ctx, a < 1000000 ? math.floor(a * 10 + 0.5) : CAP_DA, "A", vs);
  else setLimit(ctx, -1, "W", -1);
}

function onState(this: void, ctx: Ctx, up: boolean): void {
  ctx.hal.log(3, up ? "ems: connected to " + emsState(ctx).url : "ems: connection lost");
  // A meter message at once: the EMS sees the station as soon as it is there.
  if (up) emsState(ctx).meterAt = ctx.hal.uptime();
}

/** The identity the topics carry: the one the CSMS knows the station by. */
function identity(ctx: Ctx): string {
  const id = modelGet(ctx, "SecurityCtrlr/Identity");
  return id !== undefined && id !== "" ? id : "station";
}

/** Whether s is topic levels without wildcards or empty levels ('/' only where slashes is true). */
function topicLevels(s: string, slashes: boolean): boolean {
  if (s === "" || string.sub(s, 1, 1) === "/" || string.sub(s, -1) === "/") return false;
  for (let i = 1; i <= s.length; i++) {
    const c = string.byte(s, i) as number;
    // '#' 35, '+' 43, '/' 47, NUL.
    if (c === 35 || c === 43 || c === 0 || (c === 47 && (!slashes || string.byte(s, i + 1) === 47))) return false;
  }
  return true;
}

/** Makes (or ends) the client when EmsCtrlr.Url changed. */
function follow(ctx: Ctx, e: EmsState): void {
  const url = modelGet(ctx, "EmsCtrlr/Url") as string;
  if (url === e.url) return;
  if (e.client !== undefined) {
    mqtt.mqttStop(ctx, e.client);
    // No EMS any more: nothing can lift its limit, so it goes now.
    if (url === "" && e.limit >= 0) setLimit(ctx, -1, "W", -1);
  }
  e.client = undefined;
  e.url = url;
  if (url === "") return;
  if (ctx.hal.netOpen === undefined) {
    ctx.hal.log(1, "ems: this board has no second transport");
    return;
  }
  const id = identity(ctx);
  const prefix = modelGet(ctx, "EmsCtrlr/TopicPrefix") as string;
  // The identity is one topic level, the prefix one or more: no wildcard, no empty level.
  if (!topicLevels(id, false) || !topicLevels(prefix, true)) {
    ctx.hal.log(1, "ems: EmsCtrlr.TopicPrefix or the identity cannot be a topic (wildcard or empty level)");
    return;
  }
  e.topic = prefix + "/" + id + "/limit";
  const user = modelGet(ctx, "EmsCtrlr/Username") as string;
  const pass = modelGet(ctx, "EmsCtrlr/Password") as string;
  e.client = mqtt.mqttClient(url, id, user !== "" ? user : undefined, user !== "" && pass !== "" ? pass : undefined, KEEP_ALIVE_S, [[e.topic, 1]], MAX_PACKET, onMessage, onState);
  if (e.client === undefined) ctx.hal.log(1, "ems: EmsCtrlr.Url is no mqtt:// or mqtts:// URL");
}

/** Publishes the meter message. */
function publishMeter(ctx: Ctx, c: MqttClient): void {
  const e = emsState(ctx);
  const list: JsonObject[] = jarr([]);
  let total = 0;
  for (let i = 1; i <= ctx.img.evses.length; i++) {
    const r = ctx.hal.readMeter(i);
    total = total + r.powerW;
    const x: JsonObject = { evseId: i, powerW: r.powerW, energyWh: r.energyWh };
    const lim = e.evse[i - 1];
    if (lim !== undefined && lim >= 0) x.limitA = limitJson(lim, "A");
    list[list.length] = x;
  }
  mqtt.mqttSend(ctx, c, modelGet(ctx, "EmsCtrlr/TopicPrefix") + "/" + identity(ctx) + "/meter", jsonEncode({ powerW: total, evses: list }), 0);
}

function onTick(ctx: Ctx, now: number): void {
  const e = emsState(ctx);
  follow(ctx, e);
  // The validity ran out: back to the profiles' limit.
  if (e.limit >= 0 && e.until >= 0 && now >= e.until) setLimit(ctx, -1, "W", -1);
  const c = e.client;
  if (c === undefined) return;
  mqtt.mqttTick(ctx, c, now);
  const every = modelInt(ctx, "EmsCtrlr/MeterInterval");
  if (c.state === 3 && every > 0 && now >= e.meterAt) {
    e.meterAt = now + every;
    publishMeter(ctx, c);
  }
}

function netEvent(ctx: Ctx, event: string, data: string): void {
  const c = emsState(ctx).client;
  if (c !== undefined) mqtt.mqttNet(ctx, c, event, data);
}

/** The image's net entry point (firmware/entry.ts Firmware.net): guarded like the core's. */
export function emsNet(this: void, ctx: Ctx | undefined, event: string, data: string): void {
  blockEntry("net " + event, netEvent, ctx, event, data);
}

export const ems = {
  name: "ems",
  getters: {
    "EmsCtrlr/Connected": (ctx: Ctx) => {
      const c = emsState(ctx).client;
      return c !== undefined && c.state === 3 ? "true" : "false";
    },
  },
  on: {
    start: (ctx: Ctx) => {
      const e = emsState(ctx);
      e.url = "";
      e.topic = "";
      e.limit = -1;
      e.unit = "W";
      e.validS = -1;
      e.until = -1;
      e.told = -1;
      e.toldUnit = "W";
      e.evse = [];
      for (let i = 0; i < ctx.img.evses.length; i++) e.evse[i] = -1;
      e.meterAt = 0;
    },
    // The limit in force before a reboot holds again (smart charging has its profiles back by now).
    restored: (ctx: Ctx) => {
      const saved = ctx.hal.load(KEY);
      if (saved === undefined) return;
      const [v] = jsonDecode(saved, 2, false);
      const r = v as Json[];
      if (!isArray(v) || r.length < 5 || type(r[0]) !== "number" || (r[1] !== "A" && r[1] !== "W") || type(r[2]) !== "number" || type(r[3]) !== "number") return;
      const e = emsState(ctx);
      e.told = r[3] as number;
      e.toldUnit = r[4] === "A" ? "A" : "W";
      // What is left of its validity when the time is known (a board with an RTC); else all of it again
      // (the lower limit held longer is the safe side).
      let valid = r[2] as number;
      const now = epochNow(ctx);
      const timed = now !== undefined && type(r[5]) === "number" && (r[5] as number) >= 0;
      if (timed) valid = (r[5] as number) - (now as number);
      if (timed && valid <= 0) {
        e.told = -1;
        ctx.hal.erase(KEY);
        // The CSMS was told of it: it hears that it is gone (K13.FR.02).
        rpcCall(ctx, "ClearedChargingLimit", { chargingLimitSource: "EMS" });
        return;
      }
      setLimit(ctx, r[0] as number, r[1] as string, valid);
    },
    tick: onTick,
    limit: (ctx: Ctx, evseId: number, deciAmps: number) => {
      const e = emsState(ctx);
      if (evseId >= 1 && evseId <= e.evse.length) e.evse[evseId - 1] = deciAmps;
    },
  },
};
