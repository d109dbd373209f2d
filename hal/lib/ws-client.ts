// An RFC 6455 WebSocket client session over a byte stream (a board's TCP socket), for boards whose
// firmware has no WebSocket module (NodeMCU ESP32: only `net`).
//
// Sans-IO: it never blocks and owns no socket. Its owner opens the TCP connection, then hands it
// the connection's events: wsStart (connected: the opening handshake goes out), wsData (bytes
// received, in any chunking), wsLost (the connection ended) and wsTick (uptime seconds, at least once
// a second); it sends with wsSend and closes with wsClose. What the session does comes back through
// the hooks: bytes to write, the socket to close, opened / message / closed. SHA-1, base64 and
// randomness are the board's (hooks too): NodeMCU's crypto and encoder modules, not Lua code.
//
// After wsStart exactly one `closed` comes, whether the connection opened or not: with the code of
// the first Close frame received (1005 when it had none), the code it failed with (1002 protocol
// error, 1007 invalid UTF-8, 1009 message too big: a Close with that code is sent first), or 1006
// when no Close was exchanged (handshake refused, connection lost, timeouts).
//
// Closing (§7.1.1): once both Close frames went (theirs echoed, or ours answered), the server closes
// the TCP connection first; `closed` comes when it does (wsLost), or after closeS seconds from the
// closing handshake's start, when the session shuts it itself. A failure (§7.1.7) shuts it at once.
//
// Bounds: the response header block at most maxResponse bytes; a frame header at most 14; a
// message at most maxMessage bytes, refused (1009) as soon as a frame header announces more, so
// nothing beyond it is ever buffered; a control payload at most 125. Sent messages longer than
// `fragment` bytes go as fragments of that size, each part masked apart and written as it is (the
// parts are never joined into one string).
//
// Not supported: extensions (none offered; a response naming one is refused), TLS (the transport's).

import { WS_BINARY, WS_CLOSE, WS_CONT, WS_MAX_CONTROL, WS_PING, WS_PONG, WS_TEXT, wsBits, wsFrameHeader, wsHeader, wsMask } from "./websocket";

/** What the session needs from its owner and tells it. Plain functions (no self); ctx is the owner's. Hooks must not raise. */
export interface WsHooks<C> {
  /** Write these bytes to the connection, in order (a board queues them on its socket). */
  write: (this: void, ctx: C, parts: string[]) => void;
  /** Close the connection (no wsLost is needed for it any more). */
  shut: (this: void, ctx: C) => void;
  /** The handshake succeeded: protocol is the subprotocol the server chose ("" when none was offered). */
  opened: (this: void, ctx: C, protocol: string) => void;
  /** One whole message (a text frame's bytes, or binary). Its failures are caught. */
  message: (this: void, ctx: C, data: string, binary: boolean) => void;
  /** The session ended (once per wsStart); code as in the header of this file, reason in words. */
  closed: (this: void, ctx: C, code: number, reason: string) => void;
  /** Uniform integer in [0, n): the handshake key and the masking keys (§10.3: unpredictable). */
  random: (this: void, ctx: C, n: number) => number;
  /** SHA-1 of the bytes, 20 bytes binary. */
  sha1: (this: void, ctx: C, s: string) => string;
  /** Base64 of the bytes, with padding. */
  base64: (this: void, ctx: C, s: string) => string;
}

/** Settings of a session; every field but maxMessage has a default (wsClient). */
export interface WsOptions {
  /** Subprotocols offered, in order of preference: the server must choose one of them (none offered: it must choose none). */
  protocols?: string[];
  /** Further request header lines, "Name: value" (e.g. "Authorization: Basic ..."); no CR or LF in them. */
  headers?: string[];
  /**
   * Largest message received, in bytes: the board's bound (the image's Firmware.maxFrameBytes), no
   * default. A frame header announcing more closes the session with 1009 before any of it is kept.
   */
  maxMessage: number;
  /** Largest response header block, in bytes (default 2048). */
  maxResponse?: number;
  /** Sent messages longer than this go in fragments of this size; 0 (default) never fragments. */
  fragment?: number;
  /** Seconds between pings of our own; 0 (default): none. */
  pingS?: number;
  /** Seconds a ping may wait for its pong before the connection is given up (default 10). */
  pongS?: number;
  /** Seconds the opening handshake and the closing one (up to the server's TCP close, §7.1.1) may take (default 10 each). */
  openS?: number;
  closeS?: number;
  /** Text messages and close reasons checked to be UTF-8 (1007 otherwise); default false. */
  utf8?: boolean;
}

export interface WsClient<C> {
  ctx: C;
  hooks: WsHooks<C>;
  /** From the URL: where the owner opens the connection, and whether over TLS (wss://). */
  host: string;
  port: number;
  tls: boolean;
  path: string;
  protocols: string[];
  headers: string[];
  maxMessage: number;
  maxResponse: number;
  fragment: number;
  pingS: number;
  pongS: number;
  openS: number;
  closeS: number;
  utf8: boolean;
  // ---- state ----
  /** 0 not started, 1 handshake sent, 2 open, 3 our Close sent, 4 ended, 5 both Closes sent: the server's TCP close awaited. */
  state: number;
  /** Uptime of the last wsStart / wsTick, and when state 1, 3 or 5 began (5 after 3: when 3 did). */
  now: number;
  at: number;
  /** State 5: the code and reason of the server's Close, reported when the connection ends. */
  code: number;
  reason: string;
  /** The handshake's Sec-WebSocket-Key (base64), and the response header bytes so far. */
  key: string;
  hs: string;
  /** The HTTP status of the response (0 before one). */
  status: number;
  /** The subprotocol the server chose. */
  protocol: string;
  /** Bytes of a frame header not complete yet; payload bytes of the current frame still to come (-1: reading a header). */
  hdr: string;
  left: number;
  /** The current frame's opcode and FIN. */
  op: number;
  fin: boolean;
  /** The message being received: its opcode (0: none), its bytes so far (pieces each at least twice the next) and their count. */
  msgOp: number;
  parts: string[];
  size: number;
  /** The control frame's payload so far. */
  ctl: string;
  /** Our ping: when sent, its payload while unanswered ("" none), a counter for the payloads. */
  pingAt: number;
  pingData: string;
  pings: number;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Options with their defaults. */
function opt(v: number | undefined, d: number): number {
  return v !== undefined ? v : d;
}

/**
 * A session for ws://host[:port][/path] or wss://… (port 80 / 443 by default), or undefined for any
 * other URL or a header line with CR or LF. Nothing is sent before wsStart.
 */
function wsClient<C>(url: string, options: WsOptions, ctx: C, hooks: WsHooks<C>): WsClient<C> | undefined {
  const tls = string.sub(url, 1, 6) === "wss://";
  if (!tls && string.sub(url, 1, 5) !== "ws://") return undefined;
  const rest = string.sub(url, tls ? 7 : 6);
  const [slash] = string.find(rest, "/", 1, true);
  const auth = slash !== undefined ? string.sub(rest, 1, slash - 1) : rest;
  const path = slash !== undefined ? string.sub(rest, slash) : "/";
  const [colon] = string.find(auth, ":", 1, true);
  const host = colon !== undefined ? string.sub(auth, 1, colon - 1) : auth;
  const digits = colon !== undefined ? string.sub(auth, colon + 1) : "";
  for (let i = 1; i <= digits.length; i++) {
    const d = string.byte(digits, i) as number;
    if (d < 48 || d > 57) return undefined;
  }
  const port = colon === undefined ? (tls ? 443 : 80) : digits !== "" && digits.length <= 5 ? (tonumber(digits) as number) : 0;
  if (host === "" || port < 1 || port > 65535) return undefined;
  const headers = options.headers !== undefined ? options.headers : [];
  for (let i = 0; i < headers.length; i++) {
    const [cr] = string.find(headers[i], "\r", 1, true);
    const [lf] = string.find(headers[i], "\n", 1, true);
    if (cr !== undefined || lf !== undefined) return undefined;
  }
  return {
    ctx, hooks, host, port, tls, path, headers,
    protocols: options.protocols !== undefined ? options.protocols : [],
    maxMessage: options.maxMessage, maxResponse: opt(options.maxResponse, 2048), fragment: opt(options.fragment, 0),
    pingS: opt(options.pingS, 0), pongS: opt(options.pongS, 10), openS: opt(options.openS, 10), closeS: opt(options.closeS, 10),
    utf8: options.utf8 === true,
    state: 0, now: 0, at: 0, code: 1005, reason: "", key: "", hs: "", status: 0, protocol: "", hdr: "", left: -1, op: 0, fin: false,
    msgOp: 0, parts: [], size: 0, ctl: "", pingAt: 0, pingData: "", pings: 0,
  };
}

/** n random bytes from the owner's source. */
function randomBytes<C>(c: WsClient<C>, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out[out.length] = string.char(c.hooks.random(c.ctx, 256));
  return table.concat(out);
}

/** Forgets what was received (buffers back to empty). */
function reset<C>(c: WsClient<C>): void {
  c.hs = "";
  c.hdr = "";
  c.left = -1;
  c.msgOp = 0;
  c.parts = [];
  c.size = 0;
  c.ctl = "";
  c.pingData = "";
  c.reason = "";
}

/** Ends the session: the socket closed (shut: by us), buffers dropped, the owner told once. */
function finish<C>(c: WsClient<C>, code: number, reason: string, shut: boolean): void {
  if (c.state === 0 || c.state === 4) return;
  c.state = 4;
  reset(c);
  if (shut) c.hooks.shut(c.ctx);
  c.hooks.closed(c.ctx, code, reason);
}

/** One masked frame of ours with a fresh key. */
function sendFrame<C>(c: WsClient<C>, fin: boolean, op: number, payload: string): void {
  const key = randomBytes(c, 4);
  c.hooks.write(c.ctx, [wsFrameHeader(fin, op, payload.length, key), wsMask(payload, key, 0)]);
}

/** A Close frame's payload: the code, then the reason cut to fit 125 bytes; none for 1005. */
function closePayload(code: number, reason: string): string {
  if (code === 1005) return "";
  // float: a close code, below 2^16.
  const hi = math.floor(code / 256);
  return string.char(hi, code - hi * 256) + string.sub(reason, 1, WS_MAX_CONTROL - 2);
}

/** _Fail the WebSocket Connection_ (§7.1.7): a Close with code when open and none sent yet, then the socket closed. */
function fail<C>(c: WsClient<C>, code: number, reason: string): void {
  if (c.state === 2) sendFrame(c, true, WS_CLOSE, closePayload(code, reason));
  finish(c, c.state === 1 ? 1006 : code, reason, true);
}

/** The connection is up (TCP): the opening handshake goes out. uptime in seconds. */
function wsStart<C>(c: WsClient<C>, uptime: number): void {
  c.state = 1;
  c.now = uptime;
  c.at = uptime;
  c.status = 0;
  c.protocol = "";
  reset(c);
  c.key = c.hooks.base64(c.ctx, randomBytes(c, 16));
  const hostPort = c.port === (c.tls ? 443 : 80) ? c.host : c.host + ":" + string.format("%d", c.port);
  const out = [
    "GET " + c.path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + c.key + "\r\nSec-WebSocket-Version: 13\r\n",
  ];
  if (c.protocols.length > 0) out[out.length] = "Sec-WebSocket-Protocol: " + table.concat(c.protocols, ", ") + "\r\n";
  for (let i = 0; i < c.headers.length; i++) out[out.length] = c.headers[i] + "\r\n";
  out[out.length] = "\r\n";
  c.hooks.write(c.ctx, out);
}

/** s without leading and trailing spaces and tabs. */
function trim(s: string): string {
  let i = 1;
  let j = s.length;
  while (i <= j && (string.byte(s, i) === 32 || string.byte(s, i) === 9)) i = i + 1;
  while (j >= i && (string.byte(s, j) === 32 || string.byte(s, j) === 9)) j = j - 1;
  return string.sub(s, i, j);
}

/** Does the comma-separated list hold token (compared without case)? */
function hasToken(list: string, token: string): boolean {
  let start = 1;
  for (;;) {
    const [comma] = string.find(list, ",", start, true);
    if (string.lower(trim(string.sub(list, start, comma !== undefined ? comma - 1 : list.length))) === token) return true;
    if (comma === undefined) return false;
    start = comma + 1;
  }
}

/**
 * Why the response header block (without its final CRLF CRLF) refuses the upgrade (§4.1: status 101,
 * Upgrade websocket, Connection upgrade, the Accept of our key, a subprotocol we offered, no extension),
 * or "" when it is accepted. Header names without case; each of those at most once.
 */
function refusal<C>(c: WsClient<C>, block: string): string {
  const code = string.sub(block, 10, 12);
  const sp = string.sub(block, 13, 13);
  let status = 0;
  for (let i = 1; i <= 3; i++) {
    const d = string.byte(code, i);
    status = d !== undefined && d >= 48 && d <= 57 ? status * 10 + d - 48 : -1000;
  }
  if (string.sub(block, 1, 9) !== "HTTP/1.1 " || status < 0 || (sp !== " " && sp !== "\r" && sp !== "")) return "not an HTTP/1.1 response";
  c.status = status;
  if (c.status !== 101) return "HTTP status " + code;
  let upgrade: string | undefined;
  let connection: string | undefined;
  let accept: string | undefined;
  let protocol: string | undefined;
  let extensions = false;
  let [eol] = string.find(block, "\r\n", 1, true);
  while (eol !== undefined) {
    const [next] = string.find(block, "\r\n", eol + 2, true);
    const line = string.sub(block, eol + 2, next !== undefined ? next - 1 : block.length);
    eol = next;
    const [colon] = string.find(line, ":", 1, true);
    const b = string.byte(line, 1);
    if (colon === undefined || b === 32 || b === 9) return "malformed header line";
    const name = string.lower(string.sub(line, 1, colon - 1));
    const value = trim(string.sub(line, colon + 1));
    if (name === "upgrade" || name === "connection" || name === "sec-websocket-accept" || name === "sec-websocket-protocol") {
      if ((name === "upgrade" && upgrade !== undefined) || (name === "connection" && connection !== undefined) || (name === "sec-websocket-accept" && accept !== undefined) || (name === "sec-websocket-protocol" && protocol !== undefined)) return "header " + name + " twice";
      if (name === "upgrade") upgrade = value;
      else if (name === "connection") connection = value;
      else if (name === "sec-websocket-accept") accept = value;
      else protocol = value;
    } else if (name === "sec-websocket-extensions") extensions = true;
  }
  if (upgrade === undefined || string.lower(upgrade) !== "websocket") return "no Upgrade: websocket";
  if (connection === undefined || !hasToken(connection, "upgrade")) return "no Connection: Upgrade";
  if (accept !== c.hooks.base64(c.ctx, c.hooks.sha1(c.ctx, c.key + GUID))) return "Sec-WebSocket-Accept mismatch";
  if (extensions) return "an extension not offered";
  if (protocol === undefined) return c.protocols.length > 0 ? "no subprotocol chosen" : "";
  for (let i = 0; i < c.protocols.length; i++) {
    if (c.protocols[i] === protocol) {
      c.protocol = protocol;
      return "";
    }
  }
  return "subprotocol " + protocol + " not offered";
}

/** Handshake bytes: the response header block is looked for in them; returns where the frames start in bytes (0: not yet). */
function handshake<C>(c: WsClient<C>, bytes: string): number {
  const had = c.hs.length;
  // Never more than maxResponse bytes at hand: the rest of a long chunk stays where it is.
  const buf = c.hs + string.sub(bytes, 1, c.maxResponse - had);
  const [end] = string.find(buf, "\r\n\r\n", had > 3 ? had - 3 : 1, true);
  if (end === undefined) {
    if (buf.length >= c.maxResponse) fail(c, 1006, "response header too large");
    else c.hs = buf;
    return 0;
  }
  c.hs = "";
  const why = refusal(c, string.sub(buf, 1, end - 1));
  if (why !== "") {
    fail(c, 1006, why);
    return 0;
  }
  c.state = 2;
  c.pingAt = c.now;
  c.hooks.opened(c.ctx, c.protocol);
  return end + 4 - had;
}

/** Pushes a piece of the message: pieces are joined while the newest is as long as the one below, so they stay few. */
function push<C>(c: WsClient<C>, piece: string): void {
  const p = c.parts;
  p[p.length] = piece;
  while (p.length > 1 && p[p.length - 1].length >= p[p.length - 2].length) {
    const top = table.remove(p) as string;
    p[p.length - 1] = p[p.length - 1] + top;
  }
}

/**
 * Is s well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF)? Run
 * on a whole message, so a character split across frames or TCP chunks is judged whole (§8.1).
 */
function utf8Ok(s: string): boolean {
  let i = 1;
  for (;;) {
    const b = string.byte(s, i);
    if (b === undefined) return true;
    // ASCII, most of an OCPP-J message: one byte, no more tests.
    if (b < 0x80) i = i + 1;
    else {
      let k = 0;
      let lo = 0x80;
      let hi = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) k = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        k = 2;
        if (b === 0xe0) lo = 0xa0;
        if (b === 0xed) hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        k = 3;
        if (b === 0xf0) lo = 0x90;
        if (b === 0xf4) hi = 0x8f;
      } else return false;
      for (let j = 1; j <= k; j++) {
        const d = string.byte(s, i + j);
        if (d === undefined || d < (j === 1 ? lo : 0x80) || d > (j === 1 ? hi : 0xbf)) return false;
      }
      i = i + k + 1;
    }
  }
}

/** A frame header read: why it breaks the protocol, or "" (then its payload is awaited). */
function frameStart<C>(c: WsClient<C>, b0: number, masked: boolean, len: number): string {
  const [fin, rsv, op] = wsBits(b0);
  if (rsv !== 0) return "reserved bits set";
  if (masked) return "masked frame from the server";
  if (op >= 8) {
    if (op !== WS_CLOSE && op !== WS_PING && op !== WS_PONG) return "unknown opcode";
    if (!fin) return "fragmented control frame";
    if (len < 0 || len > WS_MAX_CONTROL) return "control frame too long";
    c.ctl = "";
  } else if (op === WS_TEXT || op === WS_BINARY) {
    if (c.msgOp !== 0) return "a new message inside a fragmented one";
    c.msgOp = op;
  } else if (op !== WS_CONT) return "unknown opcode";
  else if (c.msgOp === 0) return "continuation without a message";
  if (op < 8 && (len < 0 || c.size + len > c.maxMessage)) return "too big";
  c.op = op;
  c.fin = fin;
  c.left = len;
  return "";
}

/** Is code one a Close frame may carry (§7.4: 1000-1014 but 1004-1006, or 3000-4999)? */
function validCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** A Close frame received (payload p). */
function closeReceived<C>(c: WsClient<C>, p: string): void {
  let code = 1005;
  if (p.length === 1) return fail(c, 1002, "close frame of one byte");
  if (p.length >= 2) code = (string.byte(p, 1) as number) * 256 + (string.byte(p, 2) as number);
  if (p.length >= 2 && !validCode(code)) return fail(c, 1002, "invalid close code");
  const reason = string.sub(p, 3);
  if (c.utf8 && !utf8Ok(reason)) return fail(c, 1007, "close reason not UTF-8");
  // §5.5.1: answered with a Close of the same code, unless ours went first.
  if (c.state === 2) {
    sendFrame(c, true, WS_CLOSE, closePayload(code, ""));
    c.at = c.now;
  }
  // §7.1.1: the server closes TCP first; nothing more is read (wsTick bounds the wait).
  reset(c);
  c.state = 5;
  c.code = code;
  c.reason = reason;
}

/** A frame's payload is all there. */
function frameEnd<C>(c: WsClient<C>): void {
  c.left = -1;
  const op = c.op;
  if (op >= 8) {
    const p = c.ctl;
    c.ctl = "";
    if (op === WS_CLOSE) closeReceived(c, p);
    else if (op === WS_PING && c.state === 2) sendFrame(c, true, WS_PONG, p);
    else if (op === WS_PONG && c.pingData !== "" && p === c.pingData) c.pingData = "";
    return;
  }
  if (!c.fin) return;
  const data = table.concat(c.parts);
  const binary = c.msgOp === WS_BINARY;
  c.parts = [];
  c.size = 0;
  c.msgOp = 0;
  if (!binary && c.utf8 && !utf8Ok(data)) return fail(c, 1007, "text message not UTF-8");
  pcall(c.hooks.message, c.ctx, data, binary);
}

/** Frames in bytes from at on, while the connection is open or closing. */
function frames<C>(c: WsClient<C>, bytes: string, at: number): void {
  const n = bytes.length;
  while (at <= n && (c.state === 2 || c.state === 3)) {
    if (c.left < 0) {
      // A header is 14 bytes at most: never more than that is taken from the chunk.
      const had = c.hdr.length;
      const h = c.hdr + string.sub(bytes, at, at + 13 - had);
      const [size, b0, masked, len] = wsHeader(h, 1);
      if (size === 0) {
        c.hdr = h;
        return;
      }
      c.hdr = "";
      at = at + size - had;
      const why = frameStart(c, b0, masked, len);
      if (why !== "") return fail(c, why === "too big" ? 1009 : 1002, why === "too big" ? "message too big" : why);
      if (c.left === 0) frameEnd(c);
    } else {
      const take = c.left < n - at + 1 ? c.left : n - at + 1;
      const piece = string.sub(bytes, at, at + take - 1);
      at = at + take;
      c.left = c.left - take;
      if (c.op >= 8) c.ctl = c.ctl + piece;
      else {
        push(c, piece);
        c.size = c.size + take;
      }
      if (c.left === 0) frameEnd(c);
    }
  }
}

/** Bytes received from the connection. */
function wsData<C>(c: WsClient<C>, bytes: string): void {
  if (c.state === 1) {
    const at = handshake(c, bytes);
    if (at > 0) frames(c, bytes, at);
  } else if (c.state === 2 || c.state === 3) frames(c, bytes, 1);
}

/** The connection ended or failed (not after shut): after both Closes, the close completed (§7.1.4). */
function wsLost<C>(c: WsClient<C>): void {
  if (c.state === 5) finish(c, c.code, c.reason, false);
  else finish(c, 1006, c.state === 1 ? "connection lost during the handshake" : "connection lost", false);
}

/** At least once a second: timeouts of the handshakes (and of the server's TCP close), and our pings. */
function wsTick<C>(c: WsClient<C>, uptime: number): void {
  c.now = uptime;
  if (c.state === 1 && uptime - c.at >= c.openS) fail(c, 1006, "handshake timed out");
  else if (c.state === 3 && uptime - c.at >= c.closeS) finish(c, 1006, "close timed out", true);
  // §7.1.1: the server kept TCP open past closeS: we close it; the Closes were exchanged all the same.
  else if (c.state === 5 && uptime - c.at >= c.closeS) finish(c, c.code, c.reason, true);
  else if (c.state === 2 && c.pingS > 0) {
    if (c.pingData !== "" && uptime - c.pingAt >= c.pongS) finish(c, 1006, "no pong", true);
    else if (c.pingData === "" && uptime - c.pingAt >= c.pingS) {
      c.pings = c.pings >= 999999 ? 1 : c.pings + 1;
      c.pingData = string.format("%d", c.pings);
      c.pingAt = uptime;
      sendFrame(c, true, WS_PING, c.pingData);
    }
  }
}

/**
 * Sends one message made of the parts in order (text, or binary); false when not open. Longer than
 * `fragment` bytes: in fragments of that size. Each frame is written as its header and the masked
 * slices of the parts it covers: no part is joined to another.
 */
function wsSend<C>(c: WsClient<C>, parts: string[], binary: boolean): boolean {
  if (c.state !== 2) return false;
  let total = 0;
  for (let i = 0; i < parts.length; i++) total = total + parts[i].length;
  const size = c.fragment > 0 ? c.fragment : total;
  let op = binary ? WS_BINARY : WS_TEXT;
  // The part and the offset in it where the next frame starts.
  let k = 0;
  let off = 0;
  let sent = 0;
  for (;;) {
    const len = total - sent < size ? total - sent : size;
    const key = randomBytes(c, 4);
    const out = [wsFrameHeader(sent + len >= total, op, len, key)];
    let pos = 0;
    while (pos < len) {
      const part = parts[k];
      const n = part.length - off < len - pos ? part.length - off : len - pos;
      // nonneg: a position in the frame.
      if (n > 0) out[out.length] = wsMask(off === 0 && n === part.length ? part : string.sub(part, off + 1, off + n), key, pos % 4);
      pos = pos + n;
      off = off + n;
      if (off >= part.length) {
        k = k + 1;
        off = 0;
      }
    }
    c.hooks.write(c.ctx, out);
    sent = sent + len;
    op = WS_CONT;
    if (sent >= total) return true;
  }
}

/**
 * Starts the closing handshake with code (1000 normal; one a Close may not carry, §7.4, goes as 1000)
 * and a short reason (cut to 123 bytes); before the open, just drops the connection.
 */
function wsClose<C>(c: WsClient<C>, code: number, reason: string): void {
  if (c.state === 1) finish(c, 1006, "closed before the open", true);
  else if (c.state === 2) {
    sendFrame(c, true, WS_CLOSE, closePayload(validCode(code) ? code : 1000, reason));
    c.state = 3;
    c.at = c.now;
  }
}

/** Bytes the session holds of what it received (response headers, a frame header, a message, a control payload). */
function wsHeld<C>(c: WsClient<C>): number {
  let n = c.hs.length + c.hdr.length + c.ctl.length;
  for (let i = 0; i < c.parts.length; i++) n = n + c.parts[i].length;
  return n;
}

export { wsClient, wsStart, wsData, wsLost, wsTick, wsSend, wsClose, wsHeld };
