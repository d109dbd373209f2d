// The OCPP WebSocket over LuatOS's `websocket` module (hal/luatos/luatos.d.ts, hal/FIRMWARES.md).
//
// The handshake sends our headers as ONE raw string: the table form of wsc:headers percent-encodes
// '.', '-', '_', '*' and space in values ("ocpp2.0.1" would go out as "ocpp2%2E0%2E1", "Basic x" as
// "Basic%20x"). The module checks neither Sec-WebSocket-Accept nor the subprotocol the server chose:
// on LuatOS the station cannot verify that the CSMS speaks ocpp2.0.1 (docs/porting.md). Received
// fragments arrive one by one with FIN and opcode and are joined here, bounded by the build's
// maxFrameBytes. A frame over the module's 8 KB receive buffer drops the connection inside the
// module; frames we send are held to the same 8 KB. Pings: the module answers the server's; its own
// (keepalive) never reach an open link in the stored sources (luat_websocket_ping returns unless the
// state is 0, the open state is 1), and builds before 2024-04-28 ignore create's keepalive argument:
// it is passed for builds that honour both, and nothing here depends on it (hal/FIRMWARES.md).
//
// wss:// is TLS without a check of the server's certificate (the module inits TLS with verify mode
// 0): the link is encrypted but the CSMS is not authenticated, so security profile 2 is not met
// (Part 2 A00.FR.308); logged once. No client certificates: no profile 3.
//
// Exactly one fw.closed per connect: from the client's "disconnect" or "error" event, or from a timer
// when the client could not start or the firmware closed it (wsc:close() releases the client without
// an event). Events of a client no longer current are ignored.

import type { LuatOS, WebsocketClient, WebsocketEvent } from "./luatos";
import type { Firmware } from "../../firmware/entry";
import type { Station } from "../../firmware/station";
import { idiv } from "../../firmware/arith";
import { say } from "./say";

declare const websocket: LuatOS["websocket"];
declare const sys: LuatOS["sys"];
declare const crypto: LuatOS["crypto"];

/** The module's receive buffer (current builds without PSRAM): the largest frame sent or received. */
const FRAME_MAX = 8192;
/** The raw header string wsc:headers takes. */
const HEADERS_MAX = 1023;

/** The transport's state, part of the board's. */
export interface Link {
  fw: Firmware;
  st: Station | undefined;
  /** The current client; events of any other are ignored. */
  ws: WebsocketClient | undefined;
  /** Counts connects and disconnects: a deferred close stands only when nothing came after it. */
  gen: number;
  /** The largest message received: the build's maxFrameBytes (Firmware.maxFrameBytes). */
  maxMsg: number;
  rx: Rx;
  /** The unverified TLS was logged. */
  tlsWarned: boolean;
}

/** The handshake headers as the raw string wsc:headers sends unchanged. auth: "user:password" or undefined. */
function wsHeaders(subprotocol: string, auth: string | undefined): string {
  const proto = "Sec-WebSocket-Protocol: " + subprotocol + "\r\n";
  // Security profiles 1 and 2 (Part 2 A00.FR.202/301): HTTP Basic authentication, user = identity.
  return auth === undefined ? proto : proto + "Authorization: Basic " + crypto.base64_encode(auth) + "\r\n";
}

/**
 * websocket.create's keepalive for pings every pingS seconds: the module pings after 0.75 of it
 * without traffic. 0 (no pings, OCPP) cannot be asked of the module: a day, which is as good as never.
 */
function keepaliveS(pingS: number): number {
  if (pingS <= 0) return 86400;
  return idiv(pingS * 4 + 2, 3);
}

/** A message being joined from its fragments. */
export interface Rx {
  /** Between a first fragment without FIN and the last one. */
  active: boolean;
  binary: boolean;
  parts: string[];
  /** Bytes kept in parts. */
  kept: number;
  /** Bytes the message had in all. */
  total: number;
}

function rxNew(): Rx {
  return { active: false, binary: false, parts: [], kept: 0, total: 0 };
}

/**
 * One received frame (data, FIN 1 or 0, opcode 1 text, 2 binary, 0 continuation) into rx. Returns
 * the whole text message after its last fragment, else undefined. At most max + 1 bytes are kept:
 * a longer message is cut there as its fragments arrive, so its size never grows the heap, and what
 * is handed on is longer than max: the core refuses it as oversized (a CALL gets a FormatViolation
 * CALLERROR naming its id) instead of leaving the CSMS to time out.
 */
function rxFrame(rx: Rx, data: string, fin: number, opcode: number, max: number): string | undefined {
  if (opcode === 1 || opcode === 2) {
    if (rx.active) say(2, "a message began before the last one ended: the unfinished one dropped");
    rx.active = true;
    rx.binary = opcode === 2;
    rx.parts = [];
    rx.kept = 0;
    rx.total = 0;
  } else if (opcode !== 0 || !rx.active) {
    if (opcode === 0) say(2, "a continuation frame without a message: dropped");
    return undefined;
  }
  rx.total = rx.total + data.length;
  const room = max + 1 - rx.kept;
  if (!rx.binary && room > 0 && data !== "") {
    rx.parts[rx.parts.length] = data.length <= room ? data : string.sub(data, 1, room);
    rx.kept = rx.kept + math.min(data.length, room);
  }
  if (fin !== 1) return undefined;
  const parts = rx.parts;
  const kept = rx.kept;
  rx.active = false;
  rx.parts = [];
  rx.kept = 0;
  if (rx.binary) {
    say(2, "a binary message dropped (OCPP-J is text)");
    return undefined;
  }
  if (rx.total > max) say(2, "a message of " + string.format("%d", rx.total) + " bytes cut to " + string.format("%d", kept) + ": over the build's " + string.format("%d", max));
  return parts.length === 1 ? parts[0] : table.concat(parts);
}

/** fw.closed for the attempt of generation g, unless a connect or disconnect came since. */
function closedLater(b: Link, g: number): void {
  if (b.gen === g) b.fw.closed(b.st);
}

/** The client c ended (disconnect, error, or it could not start): released, and the firmware told once. */
function ended(b: Link, c: WebsocketClient, why: string): void {
  if (c !== b.ws) return;
  b.ws = undefined;
  b.rx = rxNew();
  say(3, "websocket " + why);
  c.close();
  b.fw.closed(b.st);
}

function onWs(b: Link, c: WebsocketClient, event: WebsocketEvent, data: string | undefined, fin: number | undefined, opcode: number | undefined): void {
  if (c !== b.ws) return;
  if (event === "recv") {
    const msg = rxFrame(b.rx, data !== undefined ? data : "", fin !== undefined ? fin : 1, opcode !== undefined ? opcode : 1, b.maxMsg);
    if (msg !== undefined) b.fw.frame(b.st, msg);
  } else if (event === "conack") {
    b.fw.opened(b.st);
  } else if (event === "disconnect" || event === "error") {
    ended(b, c, event);
  }
  // "sent": the frame left; nothing waits for it.
}

function connect(b: Link, url: string, subprotocol: string, auth: string | undefined, pingS: number): void {
  if (b.ws !== undefined) {
    const old = b.ws;
    b.ws = undefined;
    old.close();
  }
  b.gen = b.gen + 1;
  b.rx = rxNew();
  const headers = wsHeaders(subprotocol, auth);
  const c = headers.length <= HEADERS_MAX ? websocket.create(undefined, url, keepaliveS(pingS)) : undefined;
  if (c === undefined) {
    say(1, headers.length > HEADERS_MAX ? "websocket headers too long" : "websocket.create refused " + url);
    // Never a callback from inside the HAL call: the failure is told from a timer.
    sys.timerStart(closedLater, 1, b, b.gen);
    return;
  }
  if (!b.tlsWarned && string.sub(url, 1, 6) === "wss://") {
    b.tlsWarned = true;
    say(2, "wss:// on LuatOS does not verify the CSMS's certificate (security profile 2 not met)");
  }
  b.ws = c;
  c.autoreconn(false);
  c.headers(headers);
  c.on((cc, event, data, fin, opcode) => onWs(b, cc, event, data, fin, opcode));
  if (!c.connect()) {
    b.ws = undefined;
    c.close();
    say(1, "websocket connect refused");
    sys.timerStart(closedLater, 1, b, b.gen);
  }
}

function disconnect(b: Link): void {
  const c = b.ws;
  if (c === undefined) return;
  b.ws = undefined;
  b.gen = b.gen + 1;
  b.rx = rxNew();
  c.close();
  // wsc:close() releases the client without a "disconnect" event: the close is told from a timer.
  sys.timerStart(closedLater, 1, b, b.gen);
}

/**
 * One text frame. wsc:send takes a frame whole (the module copies it into one buffer with its header,
 * and the stored sources always set FIN, so fragments cannot be sent): the parts are joined once here.
 */
function send(b: Link, parts: string[]): void {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n = n + parts[i].length;
  if (n > FRAME_MAX) {
    say(1, "frame of " + string.format("%d", n) + " bytes not sent: over the board's " + string.format("%d", FRAME_MAX));
    return;
  }
  const c = b.ws;
  if (c === undefined || !c.ready()) {
    say(2, "frame not sent: websocket not ready");
    return;
  }
  // send's result is no evidence either way: the stored sources answer false after a frame went out
  // (luat_websocket_send_frame's byte count through `ret == 0 ? 1 : 0`) and true only when TCP refused
  // it, which drops the connection ("disconnect" follows). ready() above is what tells.
  c.send(parts.length === 1 ? parts[0] : table.concat(parts));
}

export { FRAME_MAX, connect, disconnect, send, wsHeaders, keepaliveS, rxNew, rxFrame };
