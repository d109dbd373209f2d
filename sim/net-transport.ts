// The board's raw TCP byte stream (node:net, node:tls): the second transport of the image, which
// its MQTT client runs over to reach the local EMS's broker (effects netopen / netsend / netclose,
// input kind "net"; sim/board.ts).
//
// Like the WebSocket transport (sim/ws-transport.ts), every event reaches the board on a later
// turn of the event loop, never inside open(), send() or close(): those run inside the image's own
// event call, and the image must not be re-entered. Bytes cross as byte strings (one char per
// byte, latin1) in both directions.

import * as net from "node:net";
import * as tls from "node:tls";

export interface NetEvents {
  /** The connection is up (TCP connected; with TLS, the handshake done). */
  onOpen(): void;
  /** The connection closed, or the attempt failed: once per open(), unless superseded by another open(). */
  onClose(): void;
  /** A chunk received, as a byte string (one char per byte). */
  onData(bytes: string): void;
}

/** One TCP connection at a time, as the board sees it. */
export interface NetTransport {
  /** Opens a connection (TLS when tls); one still there is closed first, silently (no onClose for it). */
  open(host: string, port: number, tls: boolean, ev: NetEvents): void;
  /** Writes bytes (one char per byte); ignored while not connected. */
  send(bytes: string): void;
  /** Closes the connection after what was sent; its onClose follows once. */
  close(): void;
}

/** No network for the byte stream: every open() fails on the next macrotask. */
export class OfflineNet implements NetTransport {
  constructor(private readonly onError: (err: unknown) => void = (e) => console.error("net:", e)) {}

  open(_host: string, _port: number, _tls: boolean, ev: NetEvents): void {
    setImmediate(() => {
      try {
        ev.onClose();
      } catch (e) {
        this.onError(e);
      }
    });
  }

  send(): void {
    // Not connected, ever.
  }

  close(): void {
    // Nothing open: the onClose of the last open() is already on its way.
  }
}

export interface TcpNetOptions {
  /** Seconds a connection (with TLS, its handshake too) may take before the attempt counts as failed (default 15). */
  connectTimeoutS?: number;
  /** A board callback threw (a firmware error); the socket carries on. Default: console.error. */
  onError?: (err: unknown) => void;
  /** Why each attempt failed or each connection ended, one line each. Default: console.error. */
  log?: (line: string) => void;
  /** Extra CA certificates (PEM) to trust for TLS, beside the system's (tests). */
  ca?: string[];
}

/** One open() call: its socket and where it stands. */
interface Conn {
  sock: net.Socket | undefined;
  ev: NetEvents;
  target: string;
  opened: boolean;
  /** onClose delivered (or due: the socket is gone). */
  closed: boolean;
  /** The board closed it (close()): its onClose is still delivered. */
  closing: boolean;
  /** Superseded by a newer open() or disposed: no more events. */
  silenced: boolean;
  timer: NodeJS.Timeout | undefined;
  error: (Error & { code?: string }) | undefined;
  /** Set when this side ended it (timeout). */
  local: string | undefined;
}

/** Trusted roots: the system's store where this Node can read it (22.15+), with Node's bundled roots; undefined: Node's default. */
function systemCa(extra: string[] | undefined): string[] | undefined {
  const get = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  let roots: string[] | undefined;
  if (typeof get === "function") {
    try {
      roots = [...get("default"), ...get("system")];
    } catch {
      roots = undefined;
    }
  }
  if (extra === undefined || extra.length === 0) return roots;
  return [...(roots ?? tls.rootCertificates), ...extra];
}

/** The board's byte stream on a real TCP (or TLS) socket. */
export class TcpNet implements NetTransport {
  private cur: Conn | undefined;
  private disposed = false;
  private readonly opts: TcpNetOptions;
  /** Connection attempts so far. */
  attempts = 0;

  constructor(opts: TcpNetOptions = {}) {
    this.opts = opts;
  }

  /** Whether a connection is up now. */
  get isOpen(): boolean {
    return this.cur !== undefined && this.cur.opened && !this.cur.closed;
  }

  open(host: string, port: number, useTls: boolean, ev: NetEvents): void {
    this.attempts++;
    if (this.cur !== undefined) this.drop(this.cur);
    const target = `${host}:${port}${useTls ? " (TLS)" : ""}`;
    const c: Conn = { sock: undefined, ev, target, opened: false, closed: false, closing: false, silenced: false, timer: undefined, error: undefined, local: undefined };
    this.cur = c;
    if (this.disposed) {
      c.local = "transport closed";
      setImmediate(() => this.finish(c));
      return;
    }
    let sock: net.Socket;
    try {
      if (useTls) {
        sock = tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ca: systemCa(this.opts.ca) });
      } else {
        sock = net.connect({ host, port });
      }
    } catch (e) {
      // A bad port or host throws at once: a failed connection, told on a later turn.
      c.error = e as Error;
      setImmediate(() => this.finish(c));
      return;
    }
    c.sock = sock;
    sock.setNoDelay(true);
    c.timer = setTimeout(
      () => {
        if (c.opened || c.closed) return;
        c.local = `no connection within ${this.opts.connectTimeoutS ?? 15} s`;
        sock.destroy();
      },
      (this.opts.connectTimeoutS ?? 15) * 1000,
    );
    c.timer.unref();
    sock.once(useTls ? "secureConnect" : "connect", () => {
      this.clearTimer(c);
      if (c.silenced || c.closed || c.closing) return;
      c.opened = true;
      this.deliver(() => c.ev.onOpen());
    });
    sock.on("data", (b: Buffer) => {
      if (c.silenced || c.closed || c.closing || !c.opened) return;
      this.deliver(() => c.ev.onData(b.toString("latin1")));
    });
    // 'error' is always followed by 'close'; the first one is the reason worth telling.
    sock.on("error", (e: Error) => {
      if (c.error === undefined) c.error = e;
    });
    sock.on("close", () => this.finish(c));
  }

  send(bytes: string): void {
    const c = this.cur;
    // Bytes sent into a socket that is not (or no longer) up are lost, as on a real link.
    if (c === undefined || !c.opened || c.closed || c.closing || c.sock === undefined || c.sock.destroyed) return;
    c.sock.write(Buffer.from(bytes, "latin1"));
  }

  close(): void {
    const c = this.cur;
    if (c === undefined || c.closed || c.closing) return;
    c.closing = true;
    this.clearTimer(c);
    // What was written goes out first (an MQTT DISCONNECT), then the socket goes; its 'close' brings onClose.
    if (c.sock === undefined) return; // a failed attempt: its finish() is already scheduled
    if (c.opened) c.sock.destroySoon();
    else c.sock.destroy();
  }

  /** Closes everything for good, telling nobody (simulator shutdown); a later open() fails. */
  dispose(): void {
    this.disposed = true;
    if (this.cur !== undefined) this.drop(this.cur);
    this.cur = undefined;
  }

  private clearTimer(c: Conn): void {
    if (c.timer !== undefined) clearTimeout(c.timer);
    c.timer = undefined;
  }

  /** Ends a connection without telling the board. */
  private drop(c: Conn): void {
    c.silenced = true;
    this.clearTimer(c);
    if (c.sock !== undefined && !c.sock.destroyed) c.sock.destroy();
    if (this.cur === c) this.cur = undefined;
  }

  /** The attempt failed or the socket closed: onClose, exactly once, unless superseded. */
  private finish(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    this.clearTimer(c);
    if (this.cur === c) this.cur = undefined;
    if (c.silenced) return;
    if (!c.closing) this.say(this.describe(c));
    this.deliver(() => c.ev.onClose());
  }

  private describe(c: Conn): string {
    const what = c.opened ? `connection to ${c.target} lost` : `connection to ${c.target} failed`;
    if (c.local !== undefined) return `${what}: ${c.local}`;
    const e = c.error;
    if (e === undefined) return c.opened ? `connection to ${c.target} closed by the peer` : `${what}: closed before it was up`;
    const code = e.code ?? "";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME" || code === "EAI_FAIL") return `${what}: DNS lookup failed (${code})`;
    if (code === "ECONNREFUSED") return `${what}: connection refused (ECONNREFUSED: nothing listens there)`;
    return `${what}: ${e.message.replace(/\s+/g, " ").trim()}${code !== "" && !e.message.includes(code) ? ` (${code})` : ""}`;
  }

  private say(line: string): void {
    if (this.opts.log !== undefined) this.opts.log(line);
    else console.error("net:", line);
  }

  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (this.opts.onError !== undefined) this.opts.onError(e);
      else console.error("net:", e);
    }
  }
}
