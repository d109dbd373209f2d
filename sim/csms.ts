// An embedded CSMS on ocpp-rpc in strict mode, with every raw frame a station sends judged by the official OCPP 2.0.1 schemas.
//
// Small on purpose: it answers the core messages, authorizes from a token list, follows transactions
// from their TransactionEvents, records everything it sees, and lets tests and a person (control API,
// console) change the boot and authorize answers, start and stop transactions and call the station.
//
// Strict mode alone is not enough to judge a station: ocpp-rpc checks CALL payloads and the
// CALLRESULTs to its own CALLs (against its bundled draft-07 copies of the schemas), but not
// CALLERRORs (errorCode, description length, details), message-id length, the element count of a
// frame, answers to ids it no longer waits for, empty frames (which it ignores) or binary frames.
// So the raw WebSocket frames of both directions are also fed to a WireCheck (sim/wire-check.ts).

import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type WebSocket from "ws";
import { schemaErrors, WireCheck } from "./wire-check";
import { DEFAULT_TOKENS, IdToken, IdTokenInfo, TokenEntry } from "./csms-tokens";
import { TransactionTracker } from "./csms-transactions";

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
export type AuthorizeOverride = "Accepted" | "Invalid";

/** The CALLs a CSMS may send a station in OCPP 2.0.1 (Part 2 §"Messages", CSMS → Charging Station). */
export const CSMS_ACTIONS = [
  "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile", "ClearDisplayMessage",
  "ClearVariableMonitoring", "CostUpdated", "CustomerInformation", "DataTransfer", "DeleteCertificate", "GetBaseReport",
  "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages", "GetInstalledCertificateIds", "GetLocalListVersion",
  "GetLog", "GetMonitoringReport", "GetReport", "GetTransactionStatus", "GetVariables", "InstallCertificate", "PublishFirmware",
  "RequestStartTransaction", "RequestStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile",
  "SetDisplayMessage", "SetMonitoringBase", "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring", "SetVariables",
  "TriggerMessage", "UnlockConnector", "UnpublishFirmware", "UpdateFirmware",
];

/** A request the CSMS refuses to send: "invalid" (bad action or payload), "station" (none or unknown connected), "unknown" (no such transaction). */
export class CsmsRequestError extends Error {
  constructor(
    readonly kind: "invalid" | "station" | "unknown",
    message: string,
  ) {
    super(message);
  }
}

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

/** A frame that broke the rules of OCPP-J or the official schemas. */
export interface CsmsViolation {
  time: string;
  identity: string;
  /** "schema": the raw frame judged by sim/wire-check.ts; "strict": ocpp-rpc strict mode; "socket": a WebSocket protocol error. */
  check: "schema" | "strict" | "socket";
  /** true: a frame this CSMS sent (a bug in a handler); false: the station's (a firmware bug). */
  outbound: boolean;
  /** The action concerned, when known. */
  method: string | undefined;
  error: string;
  /** The frame as it crossed the wire (shortened), when there was one. */
  frame?: string;
}

export interface EmbeddedCsmsOptions {
  bootStatus?: BootStatus;
  /** BootNotificationResponse.interval: heartbeat interval when Accepted, retry wait otherwise. */
  bootInterval?: number;
  /** Timeout of CSMS→station CALLs, ms. */
  callTimeoutMs?: number;
  /** When set, a station presenting another Basic-auth password (or none) is refused with HTTP 401. */
  password?: string;
  /** The tokens Authorize and TransactionEvent are answered from (default DEFAULT_TOKENS). */
  tokens?: TokenEntry[];
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
  /** Every rule a frame broke, both directions (also emitted as "violation"): a station frame here is a firmware bug. */
  readonly violations: CsmsViolation[] = [];
  bootInterval: number;
  /** Answers for the next BootNotifications, consumed first; then bootStatus. */
  bootPlan: BootStatus[] = [];
  tokens: TokenEntry[];
  /** When set, every token gets this status, whatever the list says. */
  authorizeOverride: AuthorizeOverride | undefined;
  /** Transactions as the TransactionEvents tell them. */
  readonly transactions = new TransactionTracker();
  private remoteStartId = 0;
  /** Tokens this CSMS sent in a RequestStartTransaction: accepted when the station presents them back. */
  private readonly issued = new Set<string>();
  private status: BootStatus;
  private readonly callTimeoutMs: number;
  private readonly password: string | undefined;
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
    this.password = opts.password;
    this.tokens = opts.tokens ?? DEFAULT_TOKENS;
    const now = () => new Date().toISOString();
    this.handlers.set("BootNotification", () => {
      const status = this.bootPlan.shift() ?? this.status;
      return { status, interval: this.bootInterval, currentTime: now() };
    });
    this.handlers.set("Heartbeat", () => ({ currentTime: now() }));
    this.handlers.set("StatusNotification", () => ({}));
    this.handlers.set("NotifyReport", () => ({}));
    // A04: the station's critical security events, shown as they come.
    this.handlers.set("SecurityEventNotification", (p) => {
      this.emit("log", `security event ${String(p.type)}${p.techInfo !== undefined ? ` (${String(p.techInfo)})` : ""} at ${String(p.timestamp)}`);
      return {};
    });
    this.handlers.set("Authorize", (p) => {
      const t = p.idToken as IdToken;
      const idTokenInfo = this.idTokenInfo(t);
      this.emit("log", `AUTH ${t.idToken} (${t.type}) ${idTokenInfo.status}`);
      return { idTokenInfo };
    });
    this.handlers.set("TransactionEvent", (p, identity) => {
      const t = p.idToken as IdToken | undefined;
      const idTokenInfo = t === undefined ? undefined : this.idTokenInfo(t);
      const { line } = this.transactions.observe(identity, p, idTokenInfo?.status);
      this.emit("log", line);
      return idTokenInfo === undefined ? {} : { idTokenInfo };
    });
  }

  /** What this CSMS says of a token: the override, then the list, then tokens it issued itself; anything else is Unknown. */
  idTokenInfo(t: IdToken): IdTokenInfo {
    const entry = this.tokens.find((e) => e.idToken === t.idToken && e.type === t.type);
    const group = entry?.groupIdToken === undefined ? {} : { groupIdToken: { ...entry.groupIdToken } };
    if (this.authorizeOverride !== undefined) return { status: this.authorizeOverride, ...group };
    if (entry !== undefined) return { status: entry.status, ...group };
    // No card to check: the station runs without authorization (C01 is not involved).
    if (t.type === "NoAuthorization" || this.issued.has(`${t.type}/${t.idToken}`)) return { status: "Accepted" };
    return { status: "Unknown" };
  }

  /** The station a request goes to: the one named (connected), or the only one connected. */
  station(identity?: string): string {
    if (identity !== undefined) {
      if (!this.clients.has(identity)) throw new CsmsRequestError("station", `station ${identity} is not connected`);
      return identity;
    }
    const ids = this.connected;
    if (ids.length === 0) throw new CsmsRequestError("station", "no station is connected");
    if (ids.length > 1) throw new CsmsRequestError("station", `several stations are connected (${ids.join(", ")}): name one`);
    return ids[0];
  }

  /**
   * Sends any CSMS→station CALL after checking the action and the payload against the official
   * request schema (CsmsRequestError "invalid" otherwise); resolves with the station's CALLRESULT
   * payload, rejects with ocpp-rpc's error on CALLERROR or timeout.
   */
  async callChecked(identity: string | undefined, action: string, payload: unknown): Promise<unknown> {
    if (!CSMS_ACTIONS.includes(action)) throw new CsmsRequestError("invalid", `${action} is not a message a CSMS sends to a station`);
    const errors = schemaErrors(`${action}Request`, payload);
    if (errors.length > 0) throw new CsmsRequestError("invalid", errors.join("; "));
    const id = this.station(identity);
    this.emit("log", `CALL ${action} → ${id}`);
    return this.call(id, action, payload);
  }

  /** RequestStartTransaction (F01/F02) with a fresh remoteStartId; a bare idToken string takes its type from the list, else Central. */
  async remoteStart(identity: string | undefined, evseId: number | undefined, token: string | IdToken): Promise<{ remoteStartId: number; response: unknown }> {
    const idToken = typeof token === "string" ? { idToken: token, type: this.tokens.find((e) => e.idToken === token)?.type ?? "Central" } : token;
    const remoteStartId = ++this.remoteStartId;
    const payload: Record<string, unknown> = { idToken, remoteStartId };
    if (evseId !== undefined) payload.evseId = evseId;
    // Validated before it is remembered: a refused request issues nothing.
    const errors = schemaErrors("RequestStartTransactionRequest", payload);
    if (errors.length > 0) throw new CsmsRequestError("invalid", errors.join("; "));
    this.issued.add(`${idToken.type}/${idToken.idToken}`);
    const response = await this.callChecked(identity, "RequestStartTransaction", payload);
    return { remoteStartId, response };
  }

  /** RequestStopTransaction (F03) of a transaction, named by its id or by the EVSE it runs on. */
  async remoteStop(identity: string | undefined, target: { transactionId: string } | { evseId: number }): Promise<{ transactionId: string; response: unknown }> {
    const id = this.station(identity);
    let transactionId: string;
    if ("transactionId" in target) transactionId = target.transactionId;
    else {
      const tx = this.transactions.onEvse(id, target.evseId);
      if (tx === undefined) throw new CsmsRequestError("unknown", `no transaction is running on EVSE ${target.evseId} of ${id}`);
      transactionId = tx.transactionId;
    }
    const response = await this.callChecked(id, "RequestStopTransaction", { transactionId });
    return { transactionId, response };
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
    server.auth((accept, reject, hs) => {
      // Any identity is welcome; what it presented is recorded for the tests (security profile 1).
      const password = hs.password === undefined ? undefined : hs.password.toString("utf8");
      this.connections.push({
        time: new Date().toISOString(),
        identity: hs.identity,
        password,
        protocol: hs.protocols.has("ocpp2.0.1") ? "ocpp2.0.1" : undefined,
        endpoint: hs.endpoint,
      });
      // A00.FR.207 (security profile 1): the CSMS checks the password; a wrong one gets 401 on the upgrade.
      if (this.password !== undefined && password !== this.password) reject(401, "Unauthorized");
      else accept({ identity: hs.identity });
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

  private violation(v: Omit<CsmsViolation, "time">): void {
    const rec: CsmsViolation = { time: new Date().toISOString(), ...v };
    this.violations.push(rec);
    this.emit("violation", rec);
  }

  /**
   * Feeds the raw frames of one connection to a WireCheck: what this CSMS sends (ocpp-rpc's
   * outbound "message" is the exact text given to the socket) and what the station sends (read
   * off the socket itself, before ocpp-rpc decodes, drops or interprets anything).
   */
  private tap(client: RpcClientLike, identity: string): void {
    const ws = (client as unknown as { _ws?: WebSocket })._ws;
    // ocpp-rpc is pinned; should its socket move, judging must fail loudly rather than stop.
    if (ws === undefined || typeof ws.on !== "function") throw new Error("ocpp-rpc client without its WebSocket (_ws): the wire tap needs it");
    const check = new WireCheck();
    client.on("message", ({ message, outbound }: { message: string; outbound: boolean }) => {
      if (outbound) check.csmsFrame(message);
    });
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
      } catch {
        this.violation({ check: "schema", identity, outbound: false, method: undefined, error: "frame is not valid UTF-8 (Part 4 §4.1.2)", frame: buf.toString("hex").slice(0, 300) });
        return;
      }
      const errors = check.stationFrame(text);
      // OCPP-J messages are JSON text (Part 4 §4.1.2): a binary frame is not one, whatever it holds.
      if (isBinary) errors.unshift("binary WebSocket frame; OCPP-J frames are text");
      if (errors.length > 0) this.violation({ check: "schema", identity, outbound: false, method: actionOf(text), error: errors.join("; "), frame: text.slice(0, 300) });
    });
  }

  private attach(client: RpcClientLike): void {
    const identity = client.identity;
    const prev = this.clients.get(identity);
    this.clients.set(identity, client);
    // A station that reconnects replaces its old socket (Part 4 §3.3: the newest connection wins).
    if (prev !== undefined && prev !== client) prev.close({ force: true }).catch(() => undefined);
    const stamp = () => new Date().toISOString();
    this.tap(client, identity);
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
      this.violation({ check: "strict", identity, method: f.method, outbound: f.outbound, error: f.error.message });
    });
    // ws refuses what breaks RFC 6455 (invalid UTF-8 in a text frame, an unmasked frame, ...) and closes.
    client.on("socketError", (e: Error & { code?: string }) => {
      if (typeof e.code === "string" && e.code.startsWith("WS_ERR_")) this.violation({ check: "socket", identity, method: undefined, outbound: false, error: `${e.code}: ${e.message}` });
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

/** The action of a CALL frame's text, when it is one. */
function actionOf(text: string): string | undefined {
  try {
    const f = JSON.parse(text) as unknown;
    if (Array.isArray(f) && f[0] === 2 && typeof f[2] === "string") return f[2];
  } catch {
    // Not JSON: no action.
  }
  return undefined;
}
