// An MQTT 3.1.1 client session over the HAL's second transport (hal.netOpen / netSend / netClose).
//
// Sans-IO like the rest: its owner hands it the transport's events (mqttNet) and a tick a second
// (mqttTick), and gets each message through onMessage. It connects (clean session: the
// subscriptions are made again after every CONNACK), reconnects after 1, 2, 4 … 64 s plus up to a
// second of jitter, keeps the connection alive with PINGREQ (MQTT-3.1.2-23: a packet at least every
// keep-alive period) and drops it when the broker stays silent for a whole period after one.
// PUBLISH both ways at QoS 0 and 1: one QoS 1 message of its own in flight at a time, sent again with
// DUP after a reconnect until its PUBACK (MQTT-4.4.0-1). Packets received whole only, at most
// maxPacket bytes: a larger one is skipped without being kept (its bytes are counted off as they come).

import type { NetHal } from "../hal/hal";
import { MqttPacket, mqttConnect, mqttDecode, mqttDisconnect, mqttPingreq, mqttPuback, mqttPublish, mqttReadLength, mqttSubscribe, MQTT_NEED_MORE } from "./mqtt";
import { idiv } from "./arith";
import { fmtNum } from "./json";
import type { Ctx } from "./station";

/** Seconds a TCP connect or a CONNACK may take before the attempt is given up. */
const CONNECT_TIMEOUT_S = 15;
/** Seconds between attempts, by how many failed in a row (the last one from then on). */
const BACKOFF_S = [1, 2, 4, 8, 16, 32, 64];

/** The HAL with its second transport: the client is made only where the board has one. */
function net(ctx: Ctx): NetHal {
  return ctx.hal as unknown as NetHal;
}

export interface MqttClient {
  host: string;
  port: number;
  tls: boolean;
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  keepAliveS: number;
  /** Topic filters and their QoS, subscribed after each CONNACK. */
  subs: [string, number][];
  /** Largest packet received, in bytes. */
  maxPacket: number;
  onMessage: (this: void, ctx: Ctx, topic: string, payload: string) => void;
  /** The session is up (CONNACK accepted) or down. */
  onState: (this: void, ctx: Ctx, up: boolean) => void;
  // ---- state ----
  /** 0 waiting to connect, 1 TCP opening, 2 CONNECT sent, 3 connected, 4 stopped. */
  state: number;
  /** Uptime the state began (1, 2) or of the next attempt (0). */
  at: number;
  retries: number;
  /** Bytes received that are not a whole packet yet, and how many bytes of a skipped packet are still to come. */
  buf: string;
  skip: number;
  /** Uptime of the last packet sent and received; a PINGREQ is unanswered. */
  lastTx: number;
  lastRx: number;
  pinging: boolean;
  /** Packet id of the next SUBSCRIBE or QoS 1 PUBLISH. */
  nextId: number;
  /** The QoS 1 PUBLISH in flight (its packet id 0: none), kept until its PUBACK. */
  pendingId: number;
  pendingTopic: string;
  pendingPayload: string;
}

/** A client for mqtt://host[:port] or mqtts://host[:port] (TLS), or undefined when url is none of them. */
export function mqttClient(
  url: string, clientId: string, username: string | undefined, password: string | undefined, keepAliveS: number,
  subs: [string, number][], maxPacket: number,
  onMessage: (this: void, ctx: Ctx, topic: string, payload: string) => void, onState: (this: void, ctx: Ctx, up: boolean) => void,
): MqttClient | undefined {
  const tls = string.sub(url, 1, 8) === "mqtts://";
  if (!tls && string.sub(url, 1, 7) !== "mqtt://") return undefined;
  let rest = string.sub(url, tls ? 9 : 8);
  if (string.sub(rest, -1) === "/") rest = string.sub(rest, 1, rest.length - 1);
  const [colon] = string.find(rest, ":", 1, true);
  const host = colon !== undefined ? string.sub(rest, 1, colon - 1) : rest;
  const p = colon !== undefined ? tonumber(string.sub(rest, colon + 1)) : tls ? 8883 : 1883;
  if (host === "" || p === undefined || p < 1 || p > 65535 || math.floor(p) !== p) return undefined;
  return {
    host, port: p, tls, clientId, username, password, keepAliveS, subs, maxPacket, onMessage, onState,
    state: 0, at: 0, retries: 0, buf: "", skip: 0, lastTx: 0, lastRx: 0, pinging: false, nextId: 1, pendingId: 0, pendingTopic: "", pendingPayload: "",
  };
}

function packetId(c: MqttClient): number {
  const id = c.nextId;
  c.nextId = id >= 65535 ? 1 : id + 1;
  return id;
}

function send(ctx: Ctx, c: MqttClient, packet: string | undefined): void {
  if (packet === undefined) return;
  c.lastTx = ctx.hal.uptime();
  net(ctx).netSend([packet]);
}

/** Ends the connection (closing it when close) and waits for the next attempt. */
function down(ctx: Ctx, c: MqttClient, why: string, close: boolean): void {
  const was = c.state;
  if (was === 0 || was === 4) return;
  ctx.hal.log(2, "mqtt " + c.host + ": " + why);
  if (close) net(ctx).netClose();
  c.buf = "";
  c.skip = 0;
  c.pinging = false;
  c.state = 0;
  c.at = ctx.hal.uptime() + BACKOFF_S[c.retries < BACKOFF_S.length ? c.retries : BACKOFF_S.length - 1] + ctx.hal.random(2);
  c.retries = c.retries + 1;
  if (was === 3) c.onState(ctx, false);
}

/** Publishes payload on topic; QoS 1 only when no other QoS 1 message of its own is in flight. False when not sent. */
export function mqttSend(ctx: Ctx, c: MqttClient, topic: string, payload: string, qos: number): boolean {
  if (c.state !== 3 || (qos === 1 && c.pendingId !== 0)) return false;
  const id = qos === 1 ? packetId(c) : 0;
  const packet = mqttPublish(topic, payload, qos, id, false, false);
  if (packet === undefined) return false;
  if (qos === 1) {
    c.pendingId = id;
    c.pendingTopic = topic;
    c.pendingPayload = payload;
  }
  send(ctx, c, packet);
  return true;
}

function received(ctx: Ctx, c: MqttClient, t: string, p: MqttPacket): void {
  if (c.state === 2) {
    // MQTT-3.2.0-1: the first packet from the server is CONNACK.
    if (t !== "connack" || p.returnCode !== 0) {
      down(ctx, c, t === "connack" ? "CONNACK refused, return code " + fmtNum(p.returnCode as number) : "no CONNACK", true);
      return;
    }
    c.state = 3;
    // Back-off starts again once the session has lasted (mqttTick): one that drops at once (another
    // client with this id taking over) must not reconnect every second.
    c.at = ctx.hal.uptime();
    if (c.subs.length > 0) send(ctx, c, mqttSubscribe(packetId(c), c.subs));
    // MQTT-4.4.0-1: a QoS 1 message not acknowledged goes again, with DUP.
    if (c.pendingId !== 0) send(ctx, c, mqttPublish(c.pendingTopic, c.pendingPayload, 1, c.pendingId, false, true));
    c.onState(ctx, true);
  } else if (t === "publish" && (p.qos as number) < 2) {
    // The owner's failure is its own: the session and the bytes after this packet carry on.
    const [ok, err] = pcall(c.onMessage, ctx, p.topic as string, p.payload as string);
    if (!ok) ctx.hal.log(1, "mqtt message handler failed: " + tostring(err as string));
    // MQTT-4.3.2-2: a QoS 1 message is acknowledged once handled.
    if (p.qos === 1 && c.state === 3) send(ctx, c, mqttPuback(p.packetId as number));
  } else if (t !== "puback" && t !== "suback" && t !== "unsuback" && t !== "pingresp") {
    // What a server never sends a client that subscribes at QoS 1 at most (a second CONNACK, QoS 2,
    // CONNECT, SUBSCRIBE …) is a protocol violation: the connection closes (MQTT-4.8.0-1).
    down(ctx, c, "unexpected " + t + " from the server", true);
  } else if (t === "puback") {
    if (p.packetId === c.pendingId) c.pendingId = 0;
  } else if (t === "suback") {
    // A refused subscription (0x80) is logged: the broker's ACL, not something a retry mends.
    const g = p.granted as number[];
    for (let i = 0; i < g.length; i++) if (g[i] === 128) ctx.hal.log(2, "mqtt " + c.host + ": subscription refused");
  }
}

/**
 * A PUBLISH at QoS 1 too large to take is acknowledged all the same (the broker would otherwise keep it
 * in flight, and after a few such stop sending this client QoS 1 messages), when its packet id is in the
 * bytes at hand: after the fixed header (k bytes of remaining length) come the topic and the id.
 */
function skippedPuback(ctx: Ctx, c: MqttClient, buf: string, at: number, k: number): void {
  const b0 = string.byte(buf, at) as number;
  // nonneg: a byte.
  if (idiv(b0, 16) !== 3 || idiv(b0 % 8, 2) !== 1) return;
  const t = at + 1 + k;
  const hi = string.byte(buf, t);
  const lo = string.byte(buf, t + 1);
  if (hi === undefined || lo === undefined) return;
  const id = t + 2 + hi * 256 + lo;
  const a = string.byte(buf, id);
  const b = string.byte(buf, id + 1);
  if (a !== undefined && b !== undefined && a * 256 + b > 0) send(ctx, c, mqttPuback(a * 256 + b));
}

/** Takes the bytes received: every whole packet in them is handled, a partial one kept (at most maxPacket bytes). */
function data(ctx: Ctx, c: MqttClient, bytes: string): void {
  if (c.state !== 2 && c.state !== 3) return;
  c.lastRx = ctx.hal.uptime();
  c.pinging = false;
  let buf = c.buf + bytes;
  let at = 1;
  for (;;) {
    if (c.skip > 0) {
      const n = buf.length - at + 1 < c.skip ? buf.length - at + 1 : c.skip;
      c.skip = c.skip - n;
      at = at + n;
      if (c.skip > 0) break;
    }
    const [p, size, why] = mqttDecode(buf, at, c.maxPacket);
    if (p === undefined) {
      if (why === MQTT_NEED_MORE) break;
      if (why === "packet too large") {
        // Skipped: its remaining length tells how far (mqttDecode read it already).
        const [len, k] = mqttReadLength(buf, at + 1);
        c.skip = 1 + k + (len as number);
        ctx.hal.log(2, "mqtt " + c.host + ": a packet of " + fmtNum(c.skip) + " bytes skipped");
        skippedPuback(ctx, c, buf, at, k);
      } else {
        // MQTT-4.8.0-1: a malformed packet closes the connection.
        down(ctx, c, why as string, true);
        return;
      }
    } else {
      at = at + size;
      received(ctx, c, p.type, p);
      if (c.state !== 3 && c.state !== 2) return;
    }
  }
  c.buf = at > buf.length ? "" : string.sub(buf, at);
  buf = "";
}

/** The transport's events, as the board reports them through the image's net entry point. */
export function mqttNet(ctx: Ctx, c: MqttClient, event: string, bytes: string): void {
  if (event === "opened") {
    if (c.state !== 1) return;
    c.state = 2;
    c.at = ctx.hal.uptime();
    c.lastRx = c.at;
    send(ctx, c, mqttConnect(c.clientId, c.keepAliveS, true, c.username, c.password));
  } else if (event === "closed") {
    // A late close of an attempt given up already is nothing new (down ignores it).
    down(ctx, c, "connection closed", false);
  } else if (event === "data") data(ctx, c, bytes);
}

/** Once a second: attempts, timeouts and the keep-alive. */
export function mqttTick(ctx: Ctx, c: MqttClient, now: number): void {
  const s = c.state;
  if (s === 0 && now >= c.at) {
    c.state = 1;
    c.at = now;
    net(ctx).netOpen(c.host, c.port, c.tls);
  } else if ((s === 1 || s === 2) && now - c.at >= CONNECT_TIMEOUT_S) {
    down(ctx, c, s === 1 ? "connect timed out" : "no CONNACK in time", true);
  } else if (s === 3 && c.keepAliveS > 0) {
    if (c.retries > 0 && now - c.at >= c.keepAliveS) c.retries = 0;
    const due = c.keepAliveS - idiv(c.keepAliveS, 4);
    if (c.pinging && now - c.lastRx >= c.keepAliveS) down(ctx, c, "no answer to PINGREQ", true);
    // Three quarters into a period without sending (MQTT-3.1.2-23), or without hearing from the broker
    // (messages of its own keep the first from ever coming: a silent broker must still be found out).
    else if (!c.pinging && (now - c.lastTx >= due || now - c.lastRx >= due)) {
      c.pinging = true;
      c.lastRx = now;
      send(ctx, c, mqttPingreq());
    }
  }
}

/** Ends the session for good (DISCONNECT when up). */
export function mqttStop(ctx: Ctx, c: MqttClient): void {
  if (c.state === 3) send(ctx, c, mqttDisconnect());
  down(ctx, c, "stopped", true);
  c.state = 4;
}
