// MQTT 3.1.1 (protocol level 4) packets as byte strings: encoders for what a client sends, one decoder for every type.
//
// Pure functions, no IO: a transport hands mqttDecode the bytes it has, and sends what the encoders return.
// Headers are built and read with arithmetic (Lua 5.1 has no bitwise operators); every number stays below
// 2^28, so nothing passes through a float. Outputs are joined once with table.concat; nothing is built per byte.
//
// Bounds: mqttDecode refuses a packet whose fixed header announces more than maxSize bytes in all
// (MQTT_MAX_PACKET unless told otherwise) as soon as its remaining length is read, before the body is
// there, so a transport never buffers more than maxSize bytes for one packet. It builds nothing until the
// whole packet is at hand, and then at most: strings of maxSize bytes in all, and one list entry per 1
// (SUBACK), 3 (UNSUBSCRIBE) or 4 (SUBSCRIBE, a table each) bytes of the packet.
//
// Checked on decode (the connection must then be closed, MQTT-4.8.0-1): the packet type (0 and 15 are
// reserved), the fixed-header flags of Table 2.2 (PUBLISH: no QoS 3), a remaining length of 1..4 bytes,
// every field inside the packet and nothing after the last, non-zero packet identifiers (MQTT-2.3.1-1),
// UTF-8 strings well-formed without U+0000 (MQTT-1.5.3-1/2), topics not empty, no wildcard in a topic
// name (MQTT-3.3.2-2), at least one topic filter or return code, SUBACK return codes 0, 1, 2 or 0x80,
// requested QoS 0..2 with the upper bits zero, CONNACK flags 0 or 1, CONNECT's protocol name, level 4
// and flags (reserved bit, will QoS and retain without a will, password without user name). Not checked:
// where '+' and '#' stand in a topic filter, CONNECT and CONNACK return-code semantics (the client
// reads returnCode), DUP on a QoS 0 PUBLISH received (the encoder never sets it).

import { idiv } from "./arith";
import { utf8Len } from "./json";

/** Largest packet (fixed header included) mqttDecode accepts when not told otherwise, in bytes. */
export const MQTT_MAX_PACKET = 4096;

/** What mqttDecode and mqttReadLength answer while the packet is not all there yet: not an error. */
export const MQTT_NEED_MORE = "need more bytes";

/** Last will: a PUBLISH the server sends for the client when its connection is lost. */
export interface MqttWill {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** A decoded packet: type is the spec's name in lower case; which fields are set depends on it. */
export interface MqttPacket {
  type: string;
  /** PUBLISH (QoS 1 and 2), PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK. */
  packetId?: number;
  /** CONNACK. */
  sessionPresent?: boolean;
  returnCode?: number;
  /** PUBLISH. */
  topic?: string;
  payload?: string;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  /** SUBACK: a return code per topic filter, 0x80 for a failure. */
  granted?: number[];
  /** SUBSCRIBE: [topic filter, requested QoS]. */
  subscriptions?: [string, number][];
  /** UNSUBSCRIBE: topic filters. */
  topics?: string[];
  /** CONNECT. */
  clientId?: string;
  keepAlive?: number;
  cleanSession?: boolean;
  username?: string;
  password?: string;
  will?: MqttWill;
}

/** The largest remaining length, in four bytes. */
const MAX_REMAINING = 268435455;

// Table 2.1 names by packet type - 1, and Table 2.2's required flags (-1: PUBLISH's own DUP, QoS, RETAIN).
const NAMES = ["connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"];
const FLAGS = [0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0];

/** Protocol name "MQTT" and level 4: the start of CONNECT's variable header. */
const PROTOCOL = string.char(0, 4) + "MQTT" + string.char(4);
const PINGREQ = string.char(0xc0, 0);
const DISCONNECT = string.char(0xe0, 0);

/** Is s well-formed UTF-8 without U+0000, as every MQTT string must be? */
function utf8(s: string): boolean {
  const n = s.length;
  let i = 1;
  while (i <= n) {
    const c = string.byte(s, i) as number;
    const k = c === 0 ? 0 : c < 0x80 ? 1 : utf8Len(s, c, i);
    if (k === 0) return false;
    i = i + k;
  }
  return true;
}

/** Why s cannot be a topic name (name true) or filter, or undefined. */
function topicError(s: string, name: boolean): string | undefined {
  if (s === "") return "empty topic";
  if (!utf8(s)) return "not UTF-8";
  if (name) {
    const [plus] = string.find(s, "+", 1, true);
    const [hash] = string.find(s, "#", 1, true);
    if (plus !== undefined || hash !== undefined) return "wildcard in topic name";
  }
  return undefined;
}

// ---- encoders: each returns the packet, or undefined when a field is out of range ----

/** The remaining-length field for n in 0 .. 268435455: 1 to 4 bytes, 7 bits each, lowest first. */
function mqttLength(n: number): string | undefined {
  if (n < 0 || n > MAX_REMAINING || math.floor(n) !== n) return undefined;
  let s = "";
  for (;;) {
    const q = idiv(n, 128);
    if (q === 0) return s + string.char(n);
    s = s + string.char(n - q * 128 + 128);
    n = q;
  }
}

function u16(n: number): string {
  const hi = idiv(n, 256);
  return string.char(hi, n - hi * 256);
}

function isId(n: number): boolean {
  return n >= 1 && n <= 65535 && math.floor(n) === n;
}

function isQos(q: number, max: number): boolean {
  return q === 0 || q === 1 || (q === 2 && max === 2);
}

/** Appends s with its 2-byte length; false when it is longer than 65535 bytes. */
function put(s: string, out: string[]): boolean {
  if (s.length > 65535) return false;
  out[out.length] = u16(s.length);
  out[out.length] = s;
  return true;
}

/** The packet: first byte b0, then the remaining length of out[1..] (out[0] is a placeholder), then out[1..]. */
function frame(b0: number, out: string[]): string | undefined {
  let n = 0;
  for (let i = 1; i < out.length; i++) n = n + out[i].length;
  const len = mqttLength(n);
  if (len === undefined) return undefined;
  out[0] = string.char(b0) + len;
  return table.concat(out);
}

/**
 * CONNECT. An empty clientId needs cleanSession (MQTT-3.1.3-7); a password needs a username
 * (MQTT-3.1.2-22); keepAliveS is 0 .. 65535; a will's topic is a topic name and its QoS 0..2.
 */
export function mqttConnect(clientId: string, keepAliveS: number, cleanSession: boolean, username?: string, password?: string, will?: MqttWill): string | undefined {
  if (keepAliveS < 0 || keepAliveS > 65535 || math.floor(keepAliveS) !== keepAliveS) return undefined;
  if ((clientId === "" && !cleanSession) || (password !== undefined && username === undefined)) return undefined;
  if (!utf8(clientId) || (username !== undefined && !utf8(username))) return undefined;
  let flags = cleanSession ? 2 : 0;
  if (will !== undefined) {
    if (topicError(will.topic, true) !== undefined || !isQos(will.qos, 2)) return undefined;
    flags = flags + 4 + will.qos * 8 + (will.retain ? 32 : 0);
  }
  if (username !== undefined) flags = flags + 128;
  if (password !== undefined) flags = flags + 64;
  const out = ["", PROTOCOL, string.char(flags), u16(keepAliveS)];
  if (!put(clientId, out)) return undefined;
  if (will !== undefined && !(put(will.topic, out) && put(will.payload, out))) return undefined;
  if (username !== undefined && !put(username, out)) return undefined;
  if (password !== undefined && !put(password, out)) return undefined;
  return frame(0x10, out);
}

/** PUBLISH at QoS 0 or 1; packetId (1 .. 65535) is read for QoS 1 only; dup only with QoS 1 (MQTT-3.3.1-2). */
export function mqttPublish(topic: string, payload: string, qos: number, packetId: number, retain: boolean, dup: boolean): string | undefined {
  if (topicError(topic, true) !== undefined || !isQos(qos, 1) || (dup && qos === 0)) return undefined;
  const out = [""];
  if (!put(topic, out)) return undefined;
  if (qos === 1) {
    if (!isId(packetId)) return undefined;
    out[out.length] = u16(packetId);
  }
  out[out.length] = payload;
  return frame(0x30 + (dup ? 8 : 0) + qos * 2 + (retain ? 1 : 0), out);
}

/** SUBSCRIBE to one or more [topic filter, requested QoS 0..2]. */
export function mqttSubscribe(packetId: number, subs: [string, number][]): string | undefined {
  if (!isId(packetId) || subs.length === 0) return undefined;
  const out = ["", u16(packetId)];
  for (let i = 0; i < subs.length; i++) {
    const f = subs[i][0];
    const q = subs[i][1];
    if (topicError(f, false) !== undefined || !isQos(q, 2) || !put(f, out)) return undefined;
    out[out.length] = string.char(q);
  }
  return frame(0x82, out);
}

/** UNSUBSCRIBE from one or more topic filters. */
export function mqttUnsubscribe(packetId: number, topics: string[]): string | undefined {
  if (!isId(packetId) || topics.length === 0) return undefined;
  const out = ["", u16(packetId)];
  for (let i = 0; i < topics.length; i++) {
    if (topicError(topics[i], false) !== undefined || !put(topics[i], out)) return undefined;
  }
  return frame(0xa2, out);
}

export function mqttPuback(packetId: number): string | undefined {
  return isId(packetId) ? string.char(0x40, 2) + u16(packetId) : undefined;
}

export function mqttPingreq(): string {
  return PINGREQ;
}

export function mqttDisconnect(): string {
  return DISCONNECT;
}

// ---- decoder ----

/**
 * Reads the remaining length that starts at byte at of buf (1-based): its value and how many bytes it
 * took (1..4); or undefined, 0 and MQTT_NEED_MORE, or "remaining length over 4 bytes".
 */
function mqttReadLength(buf: string, at: number): LuaMultiReturn<[number | undefined, number, string | undefined]> {
  let v = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    const c = string.byte(buf, at + i);
    if (c === undefined) return $multi(undefined, 0, MQTT_NEED_MORE);
    if (c < 128) return $multi(v + c * mult, i + 1, undefined);
    v = v + (c - 128) * mult;
    mult = mult * 128;
  }
  return $multi(undefined, 0, "remaining length over 4 bytes");
}

// The packet being read: src from pos to stop (the packet's last byte); the first failure.
let src = "";
let pos = 1;
let stop = 0;
let fail: string | undefined;

function bad(why: string): undefined {
  if (fail === undefined) fail = why;
  return undefined;
}

function byte(): number | undefined {
  if (pos > stop) return bad("packet too short");
  pos = pos + 1;
  return string.byte(src, pos - 1);
}

function num(): number | undefined {
  if (pos + 1 > stop) return bad("packet too short");
  pos = pos + 2;
  return (string.byte(src, pos - 2) as number) * 256 + (string.byte(src, pos - 1) as number);
}

function packetId(): number | undefined {
  const n = num();
  return n === 0 ? bad("packet id 0") : n;
}

/** A string or binary data behind its 2-byte length. */
function bytes(): string | undefined {
  const n = num();
  if (n === undefined) return undefined;
  if (pos + n - 1 > stop) return bad("string overruns packet");
  pos = pos + n;
  return string.sub(src, pos - n, pos - 1);
}

function text(): string | undefined {
  const s = bytes();
  return s === undefined || utf8(s) ? s : bad("not UTF-8");
}

function topic(name: boolean): string | undefined {
  const s = bytes();
  const why = s !== undefined ? topicError(s, name) : undefined;
  return why === undefined ? s : bad(why);
}

function connect(p: MqttPacket): void {
  const protocol = bytes();
  const level = byte();
  let f = byte();
  p.keepAlive = num();
  if (fail !== undefined) return;
  if (protocol !== "MQTT" || level !== 4) {
    bad(protocol !== "MQTT" ? "bad protocol name" : "bad protocol level");
    return;
  }
  // Bits 7 .. 0: user name, password, will retain, will QoS (2 bits), will, clean session, reserved.
  f = f as number;
  const user = f >= 128;
  if (user) f = f - 128;
  const pass = f >= 64;
  if (pass) f = f - 64;
  const willRetain = f >= 32;
  if (willRetain) f = f - 32;
  const willQos = idiv(f, 8);
  f = f - willQos * 8;
  const will = f >= 4;
  if (will) f = f - 4;
  p.cleanSession = f >= 2;
  if (f === 1 || f === 3 || willQos === 3 || (!will && (willRetain || willQos > 0)) || (pass && !user)) {
    bad("bad connect flags");
    return;
  }
  p.clientId = text();
  if (will) p.will = { topic: topic(true) as string, payload: bytes() as string, qos: willQos, retain: willRetain };
  if (user) p.username = text();
  if (pass) p.password = bytes();
}

/** The body of a packet of type t (fixed-header flags already checked), from pos to stop. */
function body(t: number, flags: number): MqttPacket {
  const p: MqttPacket = { type: NAMES[t - 1] };
  if (t === 1) connect(p);
  else if (t === 2) {
    const f = byte();
    p.returnCode = byte();
    if (f !== undefined && f > 1) bad("bad connack flags");
    p.sessionPresent = f === 1;
  } else if (t === 3) {
    p.dup = flags >= 8;
    const r = p.dup ? flags - 8 : flags;
    const qos = idiv(r, 2);
    p.qos = qos;
    p.retain = r - qos * 2 === 1;
    p.topic = topic(true);
    if (qos > 0) p.packetId = packetId();
    p.payload = string.sub(src, pos, stop);
    pos = stop + 1;
  } else if (t <= 7 || t === 11) p.packetId = packetId();
  else if (t === 8 || t === 10) {
    p.packetId = packetId();
    const subs: [string, number][] = [];
    const topics: string[] = [];
    while (pos <= stop && fail === undefined) {
      const f = topic(false);
      const q = t === 8 ? byte() : 0;
      if (q !== undefined && q > 2) bad("bad requested qos");
      if (f === undefined || q === undefined) break;
      if (t === 10) topics[topics.length] = f;
      else subs[subs.length] = [f, q];
    }
    if (subs.length + topics.length === 0) bad("no topic filters");
    if (t === 8) p.subscriptions = subs;
    else p.topics = topics;
  } else if (t === 9) {
    p.packetId = packetId();
    const granted: number[] = [];
    while (pos <= stop && fail === undefined) {
      const c = byte() as number;
      if (c > 2 && c !== 0x80) bad("bad suback return code");
      granted[granted.length] = c;
    }
    if (granted.length === 0) bad("no return codes");
    p.granted = granted;
  }
  if (pos <= stop) bad("trailing bytes");
  return p;
}

/**
 * Decodes the packet that starts at byte at of buf (1-based, as in Lua). Returns:
 * the packet and how many bytes it took; or undefined, the packet's whole size when its fixed header is
 * there already (else 0), and MQTT_NEED_MORE; or undefined, 0 and why the bytes are no MQTT 3.1.1 packet.
 * A packet larger than maxSize bytes (default MQTT_MAX_PACKET) is refused as "packet too large" as soon
 * as its fixed header is read. Never raises.
 */
function mqttDecode(buf: string, at: number, maxSize?: number): LuaMultiReturn<[MqttPacket | undefined, number, string | undefined]> {
  const b0 = string.byte(buf, at);
  if (b0 === undefined) return $multi(undefined, 0, MQTT_NEED_MORE);
  const t = idiv(b0, 16);
  const flags = b0 - t * 16;
  if (t === 0 || t === 15) return $multi(undefined, 0, "reserved packet type");
  const required = FLAGS[t - 1];
  // PUBLISH: QoS 3 (both QoS bits) is malformed (MQTT-3.3.1-4).
  if (required >= 0 ? flags !== required : flags === 6 || flags === 7 || flags >= 14) return $multi(undefined, 0, "bad fixed header flags");
  const [len, k, why] = mqttReadLength(buf, at + 1);
  if (len === undefined) return $multi(undefined, 0, why);
  const size = 1 + k + len;
  if (size > (maxSize !== undefined ? maxSize : MQTT_MAX_PACKET)) return $multi(undefined, 0, "packet too large");
  if (at + size - 1 > buf.length) return $multi(undefined, size, MQTT_NEED_MORE);
  src = buf;
  pos = at + 1 + k;
  stop = at + size - 1;
  fail = undefined;
  const p = body(t, flags);
  const err = fail;
  src = "";
  fail = undefined;
  if (err !== undefined) return $multi(undefined, 0, err);
  return $multi(p, size, undefined);
}

export { mqttLength, mqttReadLength, mqttDecode };
