// An embedded CSMS on ocpp-rpc in strict mode: every frame a station sends is checked against the official OCPP 2.0.1 schemas.
//
// Small on purpose: it answers the core messages, records everything it sees, and lets tests (and
// later a dashboard) change the boot answer and call the station.

import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";

// The package's own typings describe its internals loosely; the few members used here are typed below.
const { RPCServer, createRPCError } = require("ocpp-rpc") as {
  RPCServer: new (opts: Record<string, unknown>) => RpcServerLike;
  createRPCError: (code: string, message?: string, details?: object) => Error;
};
export { createRPCError };

interface HandlerArgs {
  messageId: string;
  method: string;
  params: Record<string, unknown>;
}

interface RpcClientLike extends EventEmitter {
  identity: string;
  protocol: string | undefined;
  handle(method: string | ((a: HandlerArgs) => unknown), handler?: (a: HandlerArgs) => unknown): void;
  call(method: string, params: unknown, options?: { callTimeoutMs?: number }): Promise<unknown>;
  close(opts?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
}

interface Handshake {
  identity: string;
  password: Buffer | undefined;
  endpoint: string;
  protocols: Set<string>;
  remoteAddress: string | undefined;
}

interface RpcServerLike extends EventEmitter {
  auth(cb: (accept: (session?: Record<string, unknown>, protocol?: string) => void, reject: (code: number, msg: string) => void, hs: Handshake) => void): void;
  listen(port: number, host?: string): Promise<Server>;
  close(opts?: { code?: number; reason?: string; force?: boolean }): Promise<void>;
}

export type BootStatus = "Accepted" | "Pending" | "Rejected";

/** One CALL a station sent. */
export interface CsmsRecord {
  time: string;
  identity: string;
  action: string;
  payload: unknown;
}

/** One frame on the wire as the CSMS saw it; dir is from the station's point of view. */
export interface WireRecord {
  time: string;
  identity: string;
  dir: "in" | "out";
  frame: unknown;
}

export interface ConnectionRecord {
  time: string;
  identity: string;
  /** Basic-auth password the station presented (UTF-8), or undefined without an Authorization header. */
  password: string | undefined;
  protocol: string | undefined;
  endpoint: string;
}

export interface EmbeddedCsmsOptions {
  bootStatus?: BootStatus;
  /** BootNotificationResponse.interval: heartbeat interval when Accepted, retry wait otherwise. */
  bootInterval?: number;
  /** Timeout of CSMS→station CALLs, ms. */
  callTimeoutMs?: number;
}

export type CsmsHandler = (payload: Record<string, unknown>, identity: string) => unknown;

export class EmbeddedCsms extends EventEmitter {
  /** Every CALL stations sent, oldest first (also the ones strict mode refused). */
  readonly received: CsmsRecord[] = [];
  /** CALLs no handler knew; answered with an empty object. */
  readonly unknown: CsmsRecord[] = [];
  /** Every frame in both directions, parsed. */
  readonly wire: WireRecord[] = [];
  readonly connections: ConnectionRecord[] = [];
  /** Strict-mode schema failures, both directions: a station frame here is a firmware bug. */
  readonly violations: { time: string; identity: string; method: string; outbound: boolean; error: string }[] = [];
  bootInterval: number;
  /** Answers for the next BootNotifications, consumed first; then bootStatus. */
  bootPlan: BootStatus[] = [];
  private status: BootStatus;
  private readonly callTimeoutMs: number;
  private readonly clients = new Map<string, RpcClientLike>();
  private readonly handlers = new Map<string, CsmsHandler>();
  private server: RpcServerLike | undefined;
  private http: Server | undefined;
  private port = 0;

  constructor(opts: EmbeddedCsmsOptions = {}) {
    super();
    this.status = opts.bootStatus ?? "Accepted";
    // Short enough that a person watching `npm start` sees heartbeats within half a minute.
    this.bootInterval = opts.bootInterval ?? 30;
    this.callTimeoutMs = opts.callTimeoutMs ?? 10000;
    const now = () => new Date().toISOString();
    this.handlers.set("BootNotification", () => {
      const status = this.bootPlan.shift() ?? this.status;
      return { status, interval: this.bootInterval, currentTime: now() };
    });
    this.handlers.set("Heartbeat", () => ({ currentTime: now() }));
    this.handlers.set("StatusNotification", () => ({}));
    this.handlers.set("NotifyReport", () => ({}));
  }

  get bootStatus(): BootStatus {
    return this.status;
  }

  set bootStatus(s: BootStatus) {
    this.status = s;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ocpp`;
  }

  /** Identities connected right now. */
  get connected(): string[] {
    return [...this.clients.keys()];
  }

  /** Adds or replaces the answer to one action (the response is still schema-checked). */
  setHandler(action: string, h: CsmsHandler): void {
    this.handlers.set(action, h);
  }

  /** Listens on 127.0.0.1; port 0 picks a free one. Returns the port. */
  async start(port = 0): Promise<number> {
    if (this.server !== undefined) throw new Error("EmbeddedCsms already started");
    const server = new RPCServer({ protocols: ["ocpp2.0.1"], strictMode: true, callTimeoutMs: this.callTimeoutMs });
    this.server = server;
    server.on("error", (e: Error) => this.emit("error-log", e));
    server.auth((accept, _reject, hs) => {
      // Any identity is welcome; what it presented is recorded for the tests (security profile 1).
      this.connections.push({
        time: new Date().toISOString(),
        identity: hs.identity,
        password: hs.password === undefined ? undefined : hs.password.toString("utf8"),
        protocol: hs.protocols.has("ocpp2.0.1") ? "ocpp2.0.1" : undefined,
        endpoint: hs.endpoint,
      });
      accept({ identity: hs.identity });
    });
    server.on("client", (client: RpcClientLike) => this.attach(client));
    this.http = await server.listen(port, "127.0.0.1");
    // ocpp-rpc's upgrade handler rejects (unhandled) on a malformed percent-encoded identity, which
    // would take the whole simulator down: refuse that one client instead.
    const upgrade = (server as unknown as { handleUpgrade: (req: unknown, socket: { destroy(): void }, head: unknown) => Promise<void> }).handleUpgrade;
    this.http.removeAllListeners("upgrade");
    this.http.on("upgrade", (req, socket, head) => {
      Promise.resolve()
        .then(() => upgrade(req, socket, head))
        .catch(() => socket.destroy());
    });
    this.port = (this.http.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await server.close({ force: true }).catch(() => undefined);
    const http = this.http;
    this.http = undefined;
    if (http !== undefined && http.listening) await new Promise<void>((r) => http.close(() => r()));
    this.clients.clear();
  }

  /** Sends a CSMS→station CALL and resolves with the CALLRESULT payload; rejects with the RPC error on CALLERROR. */
  async call(identity: string, action: string, payload: unknown, opts: { callTimeoutMs?: number } = {}): Promise<unknown> {
    const c = this.clients.get(identity);
    if (c === undefined) throw new Error(`station ${identity} is not connected`);
    return c.call(action, payload, opts);
  }

  /** The CALLs received from one station (or all), by action. */
  actions(identity?: string): string[] {
    return this.received.filter((r) => identity === undefined || r.identity === identity).map((r) => r.action);
  }

  private attach(client: RpcClientLike): void {
    const identity = client.identity;
    const prev = this.clients.get(identity);
    this.clients.set(identity, client);
    // A station that reconnects replaces its old socket (Part 4 §3.3: the newest connection wins).
    if (prev !== undefined && prev !== client) prev.close({ force: true }).catch(() => undefined);
    const stamp = () => new Date().toISOString();
    client.on("message", ({ message, outbound }: { message: string; outbound: boolean }) => {
      let frame: unknown = message;
      try {
        frame = JSON.parse(message);
      } catch {
        // An unparsable frame is recorded as the text it was.
      }
      const rec: WireRecord = { time: stamp(), identity, dir: outbound ? "in" : "out", frame };
      this.wire.push(rec);
      this.emit("frame", rec);
    });
    client.on("call", ({ outbound, payload }: { outbound: boolean; payload: unknown[] }) => {
      if (outbound) return;
      const rec: CsmsRecord = { time: stamp(), identity, action: String(payload[2]), payload: payload[3] };
      this.received.push(rec);
      this.emit("message", rec);
    });
    client.on("strictValidationFailure", (f: { method: string; outbound: boolean; error: Error }) => {
      this.violations.push({ time: stamp(), identity, method: f.method, outbound: f.outbound, error: f.error.message });
    });
    client.on("close", () => {
      if (this.clients.get(identity) === client) this.clients.delete(identity);
      this.emit("disconnect", identity);
    });
    client.handle(async ({ method, params }: HandlerArgs) => {
      const h = this.handlers.get(method);
      if (h !== undefined) return h(params, identity);
      // Unknown to this CSMS: recorded; {} is a valid answer to most station messages, and strict
      // mode turns it into an InternalError CALLERROR where it is not.
      this.unknown.push({ time: stamp(), identity, action: method, payload: params });
      return {};
    });
    this.emit("connect", identity);
  }
}
