// The OCPP WebSocket on NodeMCU ESP32: hal/lib/ws-client.ts (RFC 6455, sans-IO) over a net TCP socket,
// since dev-esp32 has neither a websocket nor a tls module.
//
// One link per hal.connect: a socket from net.createConnection(), its events handed to the session
// (connection: the handshake goes out; receive: wsData; disconnection/reconnection: wsLost). The
// session's bytes go out one socket send at a time, the next from the "sent" callback: dev-esp32's
// net.c keeps one count of bytes in flight per socket (a second send before "sent" overwrites it), fires
// "sent" once the peer acknowledged them, and writes without blocking, raising "buffer error" when
// lwIP's send buffer (5744 bytes by default) cannot take the whole string. So a frame goes out in slices
// of at most CHUNK bytes: small parts gathered into one (a send per part would wait an ACK each), a
// large part cut; the frame is never joined whole. A send that raises ends the link as lost.
//
// What is received is bounded by the build: a message at most the image's maxFrameBytes (WsPort
// maxMessage, Firmware.maxFrameBytes), a larger one refused with a Close 1009 as soon as a frame
// header announces it, so nothing of it is buffered; the response headers at most ws-client's 2048
// bytes, a control frame's payload 125. Text messages must be UTF-8 (§8.1: 1007 otherwise).
//
// A close the server began, or answered, ends when the server closes TCP (§7.1.1), or after the
// session's closeS when it does not: the firmware hears `closed` then.
//
// Handshake key and masking keys come from the board's generator (entropy.ts); the Accept check uses
// crypto.new_hash("SHA1") and encoder.toBase64. wss:// is refused: no TLS on this firmware, so security
// profiles 2 and 3 cannot be used (logged, reported as closed). The firmware hears exactly one
// `closed` per connect, never from inside a HAL call: it is posted as a node task. A link that a new
// connect replaced is dropped without a word (the firmware gave that attempt up).

import type { NetSocket, NodeMcuEsp32 } from "./nodemcu-esp32";
import { WsClient, WsHooks, wsClient, wsClose, wsData, wsLost, wsSend, wsStart, wsTick } from "../lib/ws-client";

declare const net: NodeMcuEsp32["net"];
declare const node: NodeMcuEsp32["node"];
declare const crypto: NodeMcuEsp32["crypto"];
declare const encoder: NodeMcuEsp32["encoder"];

/** Largest slice of a part given to one socket send. */
const CHUNK = 2048;

/**
 * Most bytes waiting for the socket, beyond the image's maxFrameBytes: the station's own messages go
 * one at a time (the outbox waits for each answer), so the queue holds about a message and a few
 * answers; a peer that stops acknowledging while it sends (a ping flood answered by pongs) would grow
 * it without end. Past maxFrameBytes + QUEUE_EXTRA the link is given up as lost.
 */
const QUEUE_EXTRA = 16384;

/** What the transport needs from the board, and tells it. */
export interface WsPort {
  /**
   * Largest message received, in bytes: the image's Firmware.maxFrameBytes. A frame announcing more
   * closes the connection with 1009 (RFC 6455 §7.4.1) before any of it is buffered.
   */
  maxMessage: number;
  uptime: (this: void) => number;
  random: (this: void, n: number) => number;
  /** An event happened now (its timing stirs the random pool). */
  stir: (this: void) => void;
  log: (this: void, level: number, msg: string) => void;
  opened: (this: void) => void;
  frame: (this: void, text: string) => void;
  closed: (this: void) => void;
}

export interface Transport {
  port: WsPort;
  link: Link | undefined;
}

export interface Link {
  owner: Transport;
  ws: WsClient<Link> | undefined;
  sock: NetSocket | undefined;
  /** The TCP connection came up (the session started). */
  started: boolean;
  /** The socket is gone: its events are ignored. */
  dead: boolean;
  /** The firmware was (or will be) told this link closed. */
  reported: boolean;
  /** Strings to write, the next one at head, written up to off; one socket send in flight. */
  queue: string[];
  head: number;
  off: number;
  /** Bytes in the queue not yet handed to the socket (bounded: QUEUE_EXTRA). */
  queued: number;
  sending: boolean;
}

function sendOn(sock: NetSocket, data: string): void {
  sock.send(data);
}

function closeOn(sock: NetSocket): void {
  sock.close();
}

function connectOn(sock: NetSocket, port: number, host: string): void {
  sock.connect(port, host);
}

function sha1(s: string): string {
  const h = crypto.new_hash("SHA1");
  h.update(s);
  return h.finalize();
}

/** The firmware hears of the close once, from a task of its own; not for a link replaced meanwhile. */
function reportClosed(link: Link): void {
  if (link.reported) return;
  link.reported = true;
  node.task.post(() => {
    if (link.owner.link !== link) return;
    link.owner.link = undefined;
    link.owner.port.closed();
  });
}

/** Closes the socket (once); its later events are ignored. */
function shut(link: Link): void {
  link.dead = true;
  const sock = link.sock;
  link.sock = undefined;
  link.queue = [];
  link.head = 0;
  link.off = 0;
  link.queued = 0;
  if (sock !== undefined) pcall(closeOn, sock);
}

/** The connection ended or failed: the session's close, or (before it started) the attempt's. */
function lost(link: Link, why: string): void {
  if (link.dead) return;
  link.owner.port.log(3, "connection lost: " + why);
  shut(link);
  if (link.started && link.ws !== undefined) wsLost(link.ws);
  else reportClosed(link);
}

/**
 * Writes the next slice when no send is in flight: the queued strings from the head on, up to CHUNK
 * bytes (small parts gathered, as each send waits for the peer's ACK; a large part cut).
 */
function pump(link: Link): void {
  const sock = link.sock;
  if (link.sending || sock === undefined) return;
  const q = link.queue;
  const pieces: string[] = [];
  let n = 0;
  while (link.head < q.length && n < CHUNK) {
    const s = q[link.head];
    const take = s.length - link.off < CHUNK - n ? s.length - link.off : CHUNK - n;
    pieces[pieces.length] = link.off === 0 && take === s.length ? s : string.sub(s, link.off + 1, link.off + take);
    n = n + take;
    link.queued = link.queued - take;
    link.off = link.off + take;
    if (link.off >= s.length) {
      // Taken: the queue lets go of it (an empty string keeps the array without holes).
      q[link.head] = "";
      link.head = link.head + 1;
      link.off = 0;
    }
  }
  if (link.head >= q.length && q.length > 0) {
    link.queue = [];
    link.head = 0;
  }
  if (n === 0) return;
  link.sending = true;
  const [ok, err] = pcall(sendOn, sock, pieces.length === 1 ? pieces[0] : table.concat(pieces));
  if (!ok) {
    link.sending = false;
    lost(link, "send failed: " + (err as string));
  }
}

const HOOKS: WsHooks<Link> = {
  write: (link, parts) => {
    if (link.dead) return;
    // net.send raises on "": empty parts are left out.
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] !== "") {
        link.queue[link.queue.length] = parts[i];
        link.queued = link.queued + parts[i].length;
      }
    }
    if (link.queued > link.owner.port.maxMessage + QUEUE_EXTRA) {
      lost(link, "send queue over " + string.format("%d", link.owner.port.maxMessage + QUEUE_EXTRA) + " bytes: the peer takes nothing");
      return;
    }
    pump(link);
  },
  shut: (link) => shut(link),
  opened: (link) => link.owner.port.opened(),
  message: (link, data, binary) => {
    if (binary) link.owner.port.log(2, "binary WebSocket message ignored");
    else link.owner.port.frame(data);
  },
  closed: (link, code, reason) => {
    link.owner.port.log(3, "WebSocket closed: " + string.format("%d", code) + " " + reason);
    shut(link);
    reportClosed(link);
  },
  random: (link, n) => link.owner.port.random(n),
  sha1: (_link, s) => sha1(s),
  base64: (_link, s) => encoder.toBase64(s),
};

function transportNew(port: WsPort): Transport {
  return { port, link: undefined };
}

/** A new socket with its events wired to the link. */
function wire(link: Link, sock: NetSocket): void {
  const port = link.owner.port;
  sock.on("connection", () => {
    if (link.dead || link.ws === undefined) return;
    port.stir();
    link.started = true;
    wsStart(link.ws, port.uptime());
  });
  sock.on("receive", (_s, data) => {
    if (link.dead || link.ws === undefined) return;
    port.stir();
    wsData(link.ws, data);
  });
  sock.on("sent", () => {
    if (link.dead) return;
    link.sending = false;
    pump(link);
  });
  sock.on("disconnection", (_s, err) => lost(link, "disconnected (" + string.format("%d", err) + ")"));
  sock.on("reconnection", (_s, err) => lost(link, "error " + string.format("%d", err)));
}

/** hal.connect: ws:// only; the outcome arrives through the port's opened / closed. */
function transportConnect(t: Transport, url: string, protocol: string, auth: string | undefined, pingS: number): void {
  const old = t.link;
  if (old !== undefined) shut(old);
  const link: Link = { owner: t, ws: undefined, sock: undefined, started: false, dead: false, reported: false, queue: [], head: 0, off: 0, queued: 0, sending: false };
  t.link = link;
  // Part 4 §6.3 (security profile 1): HTTP Basic auth.
  const headers = auth !== undefined ? ["Authorization: Basic " + encoder.toBase64(auth)] : [];
  // utf8: OCPP-J frames are text, and RFC 6455 §8.1 fails invalid UTF-8 in them with 1007 (checked on
  // the whole message, so a character split across fragments or TCP chunks is fine).
  const ws = wsClient(url, { protocols: [protocol], headers, pingS: pingS > 0 ? pingS : 0, maxMessage: t.port.maxMessage, utf8: true }, link, HOOKS);
  if (ws === undefined) {
    t.port.log(1, "CSMS URL not usable: " + url);
    reportClosed(link);
    return;
  }
  if (ws.tls) {
    t.port.log(1, "wss:// refused: NodeMCU ESP32 has no TLS, security profiles 2 and 3 are not available");
    reportClosed(link);
    return;
  }
  link.ws = ws;
  const sock = net.createConnection(net.TCP);
  link.sock = sock;
  wire(link, sock);
  const [ok, err] = pcall(connectOn, sock, ws.port, ws.host);
  if (!ok) lost(link, "connect failed: " + (err as string));
}

/** hal.send: one text message, its parts streamed; false when no connection is open. */
function transportSend(t: Transport, parts: string[]): boolean {
  const link = t.link;
  if (link === undefined || link.ws === undefined || link.dead) return false;
  return wsSend(link.ws, parts, false);
}

/** hal.disconnect: the closing handshake when open, else the attempt dropped; then one closed. */
function transportClose(t: Transport): void {
  const link = t.link;
  if (link === undefined) return;
  if (link.started && link.ws !== undefined && !link.dead) wsClose(link.ws, 1000, "");
  else {
    shut(link);
    reportClosed(link);
  }
}

/** At least once a second: the session's timeouts and pings. */
function transportTick(t: Transport): void {
  const link = t.link;
  if (link !== undefined && link.started && link.ws !== undefined && !link.dead) wsTick(link.ws, t.port.uptime());
}

export { transportNew, transportConnect, transportSend, transportClose, transportTick };
