// The board's WebSocket on the `ws` package: OCPP-J subprotocol, Basic auth, pings, and a switch that takes the network down.
//
// Every event reaches the board on a later turn of the event loop, never inside connect() or
// send(): those run inside the image's own event call, and the image must not be re-entered.

import WebSocket from "ws";
import type { Transport, TransportEvents } from "./board";

export interface WsTransportOptions {
  /** Seconds to wait for the opening handshake before the attempt counts as failed. */
  handshakeTimeoutS?: number;
  /** A board callback threw (a firmware error); the socket carries on. Default: console.error. */
  onError?: (err: unknown) => void;
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
    const a: Attempt = { ws: undefined, ev, closed: false, silenced: false, pingTimer: undefined, awaitingPong: false };
    this.cur = a;
    if (this.down) {
      // No network: the attempt fails at once (on the next turn, like a refused TCP connect).
      setImmediate(() => this.finish(a));
      return;
    }
    // The firmware hands over byte strings; URL and credentials are UTF-8 bytes.
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.Authorization = "Basic " + Buffer.from(auth, "latin1").toString("base64");
    let ws: WebSocket;
    try {
      ws = new WebSocket(Buffer.from(url, "latin1").toString("utf8"), [subprotocol], {
        headers,
        handshakeTimeout: (this.opts.handshakeTimeoutS ?? 15) * 1000,
        perMessageDeflate: false,
      });
    } catch (e) {
      // A malformed URL throws synchronously: report it as a failed connection.
      this.report(e);
      setImmediate(() => this.finish(a));
      return;
    }
    a.ws = ws;
    ws.on("open", () => {
      if (a.silenced || a.closed) return;
      if (ws.protocol !== subprotocol) {
        // Part 4 §3.2: a CSMS that does not agree on the subprotocol is not one we can talk to.
        ws.close(1002, "subprotocol not agreed");
        return;
      }
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
    // 'error' is always followed by 'close' in ws; listening keeps it from becoming an uncaught exception.
    ws.on("error", () => undefined);
    ws.on("close", () => this.finish(a));
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
    if (!a.silenced) this.deliver(a, () => a.ev.onClose());
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
