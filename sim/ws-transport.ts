// The board's WebSocket on the `ws` package: OCPP-J subprotocol, Basic auth, pings, and a switch that takes the network down.
//
// Every event reaches the board on a later turn of the event loop, never inside connect() or
// send(): those run inside the image's own event call, and the image must not be re-entered.
//
// The board only learns that a connection closed; why it failed or closed is written to the log,
// one line per attempt, so a wrong password does not look like a dead host.

import * as http from "node:http";
import WebSocket from "ws";
import type { Transport, TransportEvents } from "./board";

export interface WsTransportOptions {
  /** Seconds to wait for the opening handshake before the attempt counts as failed. */
  handshakeTimeoutS?: number;
  /** A board callback threw (a firmware error); the socket carries on. Default: console.error. */
  onError?: (err: unknown) => void;
  /** Why each attempt failed or each connection ended, one line each. Default: console.error. */
  log?: (line: string) => void;
}

/** What ended one attempt, as far as the transport knows. */
interface Ending {
  url: string;
  subprotocol: string;
  handshakeTimeoutS: number;
  /** Whether the opening handshake had completed. */
  opened: boolean;
  /** The error ws reported, if any (DNS, TCP, TLS, HTTP, handshake). */
  error: (Error & { code?: string }) | undefined;
  /** Sec-WebSocket-Protocol of the server's 101 answer (null: none). */
  serverProtocol: string | null | undefined;
  /** Close code and reason from the close frame (1006: none came). */
  code: number | undefined;
  reason: string;
  /** Set when this side ended it (network down, no pong, subprotocol). */
  local: string | undefined;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH)/;

/** One line naming why a connection attempt failed or a connection ended. */
function describeEnding(e: Ending): string {
  const target = (() => {
    try {
      const u = new URL(e.url);
      return { host: u.hostname, port: u.port !== "" ? u.port : u.protocol === "wss:" ? "443" : "80", tls: u.protocol === "wss:" };
    } catch {
      return { host: e.url, port: "?", tls: false };
    }
  })();
  const failed = e.opened ? "connection lost" : "connection failed";
  if (e.local !== undefined) return `${failed}: ${e.local}`;
  const err = e.error;
  if (err !== undefined) {
    const code = err.code ?? "";
    // One line: OpenSSL's "…:SSL routines:<function>:<reason>:<file>:<line>:" reads as its reason.
    const msg = (/SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message).replace(/\s+/g, " ").trim();
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME" || code === "EAI_FAIL") {
      return `${failed}: DNS lookup of ${target.host} failed (${code}${code === "EAI_AGAIN" ? ": temporary, no DNS answer" : ": no such host"})`;
    }
    if (code === "ECONNREFUSED") return `${failed}: connection refused by ${target.host}:${target.port} (ECONNREFUSED: nothing listens there)`;
    if (code === "ETIMEDOUT") return `${failed}: TCP connect to ${target.host}:${target.port} timed out (ETIMEDOUT)`;
    if (msg === "Opening handshake has timed out") return `${failed}: timeout: no answer to the opening handshake within ${e.handshakeTimeoutS} s`;
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `${failed}: ${target.host} unreachable (${code})`;
    if (TLS_CODE.test(code) || (target.tls && /\b(SSL|TLS|certificate)\b/i.test(msg))) return `${failed}: TLS error: ${msg}${code !== "" ? ` (${code})` : ""}`;
    const status = /^Unexpected server response: (\d+)$/.exec(msg);
    if (status !== null) {
      const n = Number(status[1]);
      const hint = n === 401 ? ": identity or password refused" : n === 404 ? ": no such endpoint (check the URL path)" : "";
      const text = http.STATUS_CODES[n];
      return `${failed}: HTTP ${n}${text !== undefined ? ` ${text}` : ""} on the WebSocket upgrade${hint}`;
    }
    if (/subprotocol/i.test(msg)) {
      const chose = e.serverProtocol === null || e.serverProtocol === undefined ? "none" : `'${e.serverProtocol}'`;
      return `${failed}: subprotocol not accepted: asked for ${e.subprotocol}, the server chose ${chose}`;
    }
    if (err instanceof SyntaxError || code === "ERR_INVALID_URL") return `${failed}: invalid URL ${e.url}${/^Invalid URL/.test(msg) ? "" : ` (${msg})`}`;
    if (code === "ECONNRESET") return `${failed}: connection reset by ${target.host}:${target.port} (ECONNRESET)`;
    return `${failed}: ${msg}${code !== "" ? ` (${code})` : ""}`;
  }
  if (!e.opened) return `connection failed: closed during the opening handshake (${e.code ?? "?"})`;
  if (e.code === 1006 || e.code === undefined) return "connection lost: closed without a close frame (1006)";
  return `connection closed by the CSMS: ${e.code}${e.reason !== "" ? ` "${e.reason}"` : ""}`;
}

/** One connect() call: its socket and whether its onClose has been delivered. */
interface Attempt {
  ws: WebSocket | undefined;
  ev: TransportEvents;
  closed: boolean;
  /** Dropped by the board (disconnect) or superseded by a newer connect: no more events. */
  silenced: boolean;
  pingTimer: NodeJS.Timeout | undefined;
  awaitingPong: boolean;
  /** What is known about why it ended (see describeEnding). */
  end: Ending;
}

export class WsTransport implements Transport {
  private cur: Attempt | undefined;
  private down = false;
  private readonly opts: WsTransportOptions;
  /** Connection attempts so far (what the firmware asked for, including the failed ones). */
  attempts = 0;

  constructor(opts: WsTransportOptions = {}) {
    this.opts = opts;
  }

  get isDown(): boolean {
    return this.down;
  }

  get isOpen(): boolean {
    return this.cur !== undefined && !this.cur.closed && this.cur.ws?.readyState === WebSocket.OPEN;
  }

  connect(url: string, subprotocol: string, auth: string | undefined, pingIntervalS: number, ev: TransportEvents): void {
    this.attempts++;
    // A new connect replaces whatever the previous one left behind; the board has moved on from it.
    if (this.cur !== undefined) this.drop(this.cur);
    const handshakeTimeoutS = this.opts.handshakeTimeoutS ?? 15;
    const end: Ending = { url, subprotocol, handshakeTimeoutS, opened: false, error: undefined, serverProtocol: undefined, code: undefined, reason: "", local: undefined };
    const a: Attempt = { ws: undefined, ev, closed: false, silenced: false, pingTimer: undefined, awaitingPong: false, end };
    this.cur = a;
    if (this.down) {
      // No network: the attempt fails at once (on the next turn, like a refused TCP connect).
      end.local = "network down (simulated)";
      setImmediate(() => this.finish(a));
      return;
    }
    // The firmware hands over byte strings; URL and credentials are UTF-8 bytes.
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.Authorization = "Basic " + Buffer.from(auth, "latin1").toString("base64");
    let ws: WebSocket;
    try {
      end.url = Buffer.from(url, "latin1").toString("utf8");
      ws = new WebSocket(end.url, [subprotocol], {
        headers,
        handshakeTimeout: handshakeTimeoutS * 1000,
        perMessageDeflate: false,
      });
    } catch (e) {
      // A malformed URL throws synchronously: a failed connection (the firmware did nothing wrong).
      end.error = e as Error;
      setImmediate(() => this.finish(a));
      return;
    }
    a.ws = ws;
    ws.on("upgrade", (res: http.IncomingMessage) => {
      const p = res.headers["sec-websocket-protocol"];
      end.serverProtocol = typeof p === "string" ? p : null;
    });
    ws.on("open", () => {
      if (a.silenced || a.closed) return;
      if (ws.protocol !== subprotocol) {
        // Part 4 §3.2: a CSMS that does not agree on the subprotocol is not one we can talk to.
        end.local = `subprotocol not accepted: asked for ${subprotocol}, the server chose ${ws.protocol === "" ? "none" : `'${ws.protocol}'`}`;
        ws.close(1002, "subprotocol not agreed");
        return;
      }
      end.opened = true;
      this.startPings(a, pingIntervalS);
      this.deliver(a, () => a.ev.onOpen());
    });
    ws.on("message", (data: WebSocket.RawData) => {
      if (a.silenced || a.closed) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      this.deliver(a, () => a.ev.onMessage(buf.toString("latin1")));
    });
    ws.on("pong", () => {
      a.awaitingPong = false;
    });
    // 'error' is always followed by 'close' in ws; the first one is the reason worth telling.
    ws.on("error", (e: Error) => {
      if (end.error === undefined) end.error = e;
    });
    ws.on("close", (code: number, reason: Buffer) => {
      end.code = code;
      end.reason = reason.toString("utf8");
      this.finish(a);
    });
  }

  send(frame: string): void {
    const a = this.cur;
    // A frame sent into a socket that already died is lost, as on a real link; onClose is on its way.
    if (a === undefined || a.closed || a.ws === undefined || a.ws.readyState !== WebSocket.OPEN) return;
    a.ws.send(Buffer.from(frame, "latin1"), { binary: false });
  }

  /** The board closes the socket: no onClose follows (the board already knows, and may be rebooting). */
  disconnect(): void {
    if (this.cur !== undefined) this.drop(this.cur);
    this.cur = undefined;
  }

  /** Emulates the network going down (the socket dies without a close handshake) or coming back. */
  setDown(down: boolean): void {
    this.down = down;
    if (down && this.cur !== undefined && !this.cur.closed) {
      const a = this.cur;
      a.end.local = "network down (simulated)";
      if (a.ws !== undefined) a.ws.terminate();
      else setImmediate(() => this.finish(a));
    }
  }

  /** Closes everything for good (simulator shutdown). */
  close(): void {
    this.disconnect();
  }

  private startPings(a: Attempt, pingIntervalS: number): void {
    if (!(pingIntervalS > 0)) return;
    a.pingTimer = setInterval(() => {
      const ws = a.ws;
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
      // No pong since the last ping: the link is dead even if TCP has not noticed (RFC 6455 §5.5.2).
      if (a.awaitingPong) {
        a.end.local = `no pong within ${pingIntervalS} s: the link is dead`;
        ws.terminate();
        return;
      }
      a.awaitingPong = true;
      ws.ping();
    }, pingIntervalS * 1000);
    a.pingTimer.unref();
  }

  private stopPings(a: Attempt): void {
    if (a.pingTimer !== undefined) clearInterval(a.pingTimer);
    a.pingTimer = undefined;
  }

  /** Ends an attempt without telling the board. */
  private drop(a: Attempt): void {
    a.silenced = true;
    this.stopPings(a);
    const ws = a.ws;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    }
  }

  /** The attempt failed or its socket closed: onClose, exactly once, unless the board dropped it. */
  private finish(a: Attempt): void {
    if (a.closed) return;
    a.closed = true;
    this.stopPings(a);
    if (this.cur === a) this.cur = undefined;
    if (a.silenced) return;
    this.say(describeEnding(a.end));
    this.deliver(a, () => a.ev.onClose());
  }

  private say(line: string): void {
    if (this.opts.log !== undefined) this.opts.log(line);
    else console.error("ws-transport:", line);
  }

  private deliver(_a: Attempt, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    if (this.opts.onError !== undefined) this.opts.onError(e);
    else console.error("ws-transport:", e);
  }
}
