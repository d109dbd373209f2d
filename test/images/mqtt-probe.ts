// Test image: the MQTT 3.1.1 codec behind the line protocol, so codec tests run on every runtime.
// Every string field (topics, payloads, client id, user name, password) travels as lower-case hex.
// "E<JSON packet>": encoded -> "OK\t<hex>" / "ERR" (the encoder refused a field).
// "D<at>,<maxSize or empty>,<hex>": mqttDecode at byte at -> "OK\t<bytes taken>\t<JSON packet>" /
//   "MORE\t<whole size or 0>" / "ERR\t<reason>".
// "L<n>": mqttLength -> "OK\t<hex>" / "ERR". "R<hex>": mqttReadLength at 1 -> "OK\t<value>\t<bytes>" / "MORE" / "ERR\t<reason>".

import { isArray, jarr, Json, jsonDecode, jsonEncode, JsonObject } from "../../firmware/json";
import {
  MQTT_NEED_MORE, MqttPacket, MqttWill, mqttConnect, mqttDecode, mqttDisconnect, mqttLength, mqttPingreq, mqttPuback,
  mqttPublish, mqttReadLength, mqttSubscribe, mqttUnsubscribe,
} from "../../firmware/mqtt";
import { hex, unhex } from "./probe-text";

function opt(v: Json | undefined): string | undefined {
  return v === undefined ? undefined : unhex(v as string);
}

function encode(o: JsonObject): string | undefined {
  const t = o.type;
  if (t === "connect") {
    let will: MqttWill | undefined;
    const w = o.will as JsonObject | undefined;
    if (w !== undefined) will = { topic: unhex(w.topic as string), payload: unhex(w.payload as string), qos: w.qos as number, retain: w.retain === true };
    return mqttConnect(unhex(o.clientId as string), o.keepAlive as number, o.cleanSession === true, opt(o.username), opt(o.password), will);
  }
  if (t === "publish") {
    return mqttPublish(unhex(o.topic as string), unhex(o.payload as string), o.qos as number, o.packetId !== undefined ? (o.packetId as number) : 0, o.retain === true, o.dup === true);
  }
  if (t === "subscribe") {
    const a = o.subscriptions as Json[][];
    const subs: [string, number][] = [];
    for (let i = 0; i < a.length; i++) subs[subs.length] = [unhex(a[i][0] as string), a[i][1] as number];
    return mqttSubscribe(o.packetId as number, subs);
  }
  if (t === "unsubscribe") {
    const a = o.topics as string[];
    const topics: string[] = [];
    for (let i = 0; i < a.length; i++) topics[topics.length] = unhex(a[i]);
    return mqttUnsubscribe(o.packetId as number, topics);
  }
  if (t === "puback") return mqttPuback(o.packetId as number);
  if (t === "pingreq") return mqttPingreq();
  if (t === "disconnect") return mqttDisconnect();
  return undefined;
}

/** The decoded packet as JSON: strings in hex, lists marked as arrays. */
function toJson(p: MqttPacket): JsonObject {
  const o: JsonObject = {};
  for (const [k, v] of pairs(p as unknown as JsonObject)) {
    if (type(v) === "string" && k !== "type") rawset(o, k as string, hex(v as string));
    else rawset(o, k as string, v);
  }
  if (p.will !== undefined) o.will = { topic: hex(p.will.topic), payload: hex(p.will.payload), qos: p.will.qos, retain: p.will.retain };
  if (p.granted !== undefined) o.granted = jarr(p.granted);
  if (p.topics !== undefined) {
    const a: Json[] = jarr([]);
    for (let i = 0; i < p.topics.length; i++) a[a.length] = hex(p.topics[i]);
    o.topics = a;
  }
  if (p.subscriptions !== undefined) {
    const a: Json[] = jarr([]);
    for (let i = 0; i < p.subscriptions.length; i++) a[a.length] = jarr([hex(p.subscriptions[i][0]), p.subscriptions[i][1]]);
    o.subscriptions = a;
  }
  return o;
}

function field(line: string, from: number): LuaMultiReturn<[string, number]> {
  const [comma] = string.find(line, ",", from, true);
  const end = comma !== undefined ? comma : line.length + 1;
  return $multi(string.sub(line, from, end - 1), end + 1);
}

export function event(line: string): string {
  const cmd = string.sub(line, 1, 1);
  if (cmd === "E") {
    const [v] = jsonDecode(string.sub(line, 2), 8, false);
    if (v === undefined || isArray(v)) return "ERR\tbad JSON";
    const b = encode(v as JsonObject);
    return b === undefined ? "ERR" : "OK\t" + hex(b);
  }
  if (cmd === "L") {
    const b = mqttLength(tonumber(string.sub(line, 2)) as number);
    return b === undefined ? "ERR" : "OK\t" + hex(b);
  }
  if (cmd === "R") {
    const [v, k, why] = mqttReadLength(unhex(string.sub(line, 2)), 1);
    if (v !== undefined) return "OK\t" + string.format("%d", v) + "\t" + string.format("%d", k);
    return why === MQTT_NEED_MORE ? "MORE" : "ERR\t" + (why as string);
  }
  const [at, i] = field(line, 2);
  const [max, j] = field(line, i);
  const [p, n, why] = mqttDecode(unhex(string.sub(line, j)), tonumber(at) as number, max !== "" ? tonumber(max) : undefined);
  if (p !== undefined) return "OK\t" + string.format("%d", n) + "\t" + jsonEncode(toJson(p));
  if (why === MQTT_NEED_MORE) return "MORE\t" + string.format("%d", n);
  return "ERR\t" + (why as string);
}
