// The simulator's Control API: HTTP JSON on 127.0.0.1 (node:http) over a route table, plus the wire tracker that derives state from frames.
//
// The reported OCPP state (registration, connector status) is what crossed the wire, not what the
// firmware holds inside: the API shows what a CSMS would believe, which is what tests care about.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Board } from "./board";
import { evSpecError } from "./ev";
import type { EmbeddedCsms } from "./csms";
import { CSMS_ROUTES } from "./csms-api";
import type { EmsLimit } from "./ems-client";

/** One OCPP frame, parsed, with what the tracker knows about it. */
export interface FrameInfo {
  dir: "in" | "out";
  time: Date;
  /** Board uptime (virtual seconds) when the frame crossed. */
  uptime: number;
  /** The parsed frame, or the text when it is not JSON. */
  frame: unknown;
  type: number | undefined;
  id: string | undefined;
  /** For CALLs their action; for responses the action of the CALL they answer, when known. */
  action: string | undefined;
}

/** A transaction as the station reported it: the TransactionEvent frames it sent. */
export interface TxState {
  transactionId: string | null;
  chargingState: string | null;
}

/** Follows the frames in both directions: CALL ids to actions, the last boot answer, connector statuses, transactions. */
export class WireTracker {
  /** Last BootNotification CALLRESULT status seen, or "none". */
  bootStatus = "none";
  /** "evseId/connectorId" → last connectorStatus the station reported. */
  readonly connectorStatus = new Map<string, string>();
  /**
   * EVSE id → its transaction: Started sets id and charging state, Updated the charging state,
   * Ended clears both. Kept across reboots, as the CSMS keeps its transactions.
   */
  readonly transactions = new Map<number, TxState>();
  readonly frames: FrameInfo[] = [];
  /** Frames kept in `frames` (oldest dropped first), so a long run does not grow without bound. */
  maxFrames = 10000;
  private readonly stationCalls = new Map<string, string>();
  private readonly csmsCalls = new Map<string, string>();
  /** transactionId → EVSE id: only a transaction's first event must name its EVSE. */
  private readonly txEvse = new Map<string, number>();

  /** A reboot: the new image has registered nothing and reported nothing yet. */
  reset(): void {
    this.bootStatus = "none";
    this.connectorStatus.clear();
    this.stationCalls.clear();
    this.csmsCalls.clear();
  }

  /** Records one frame (a byte string: UTF-8 bytes, one char per byte) and returns what it is. */
  observe(dir: "in" | "out", bytes: string, uptime: number): FrameInfo {
    const text = Buffer.from(bytes, "latin1").toString("utf8");
    let frame: unknown = text;
    try {
      frame = JSON.parse(text);
    } catch {
      // Not JSON: kept as text; the firmware answers it with a CALLERROR.
    }
    const info: FrameInfo = { dir, time: new Date(), uptime, frame, type: undefined, id: undefined, action: undefined };
    if (Array.isArray(frame) && typeof frame[0] === "number" && typeof frame[1] === "string") {
      const [type, id] = frame as [number, string];
      info.type = type;
      info.id = id;
      // CALLs from the station are answered by the CSMS and vice versa.
      const mine = dir === "out" ? this.stationCalls : this.csmsCalls;
      const theirs = dir === "out" ? this.csmsCalls : this.stationCalls;
      if (type === 2 && typeof frame[2] === "string") {
        info.action = frame[2];
        mine.set(id, frame[2]);
        if (mine.size > 1000) mine.delete(mine.keys().next().value as string);
        if (dir === "out" && frame[2] === "StatusNotification") this.noteStatus(frame[3]);
        if (dir === "out" && frame[2] === "TransactionEvent") this.noteTransaction(frame[3]);
      } else if (type === 3 || type === 4) {
        info.action = theirs.get(id);
        theirs.delete(id);
        if (dir === "in" && type === 3 && info.action === "BootNotification") {
          const p = frame[2] as { status?: unknown } | undefined;
          if (p !== null && typeof p === "object" && typeof p.status === "string") this.bootStatus = p.status;
        }
      }
    }
    this.frames.push(info);
    if (this.frames.length > this.maxFrames) this.frames.splice(0, this.frames.length - this.maxFrames);
    return info;
  }

  status(evseId: number, connectorId: number): string {
    return this.connectorStatus.get(`${evseId}/${connectorId}`) ?? "Unknown";
  }

  transaction(evseId: number): TxState {
    return this.transactions.get(evseId) ?? { transactionId: null, chargingState: null };
  }

  private noteTransaction(p: unknown): void {
    if (p === null || typeof p !== "object") return;
    const t = p as { eventType?: unknown; evse?: { id?: unknown }; transactionInfo?: { transactionId?: unknown; chargingState?: unknown } };
    const id = t.transactionInfo?.transactionId;
    if (typeof id !== "string") return;
    const evseId = typeof t.evse?.id === "number" ? t.evse.id : this.txEvse.get(id);
    if (evseId === undefined) return;
    const cs = typeof t.transactionInfo?.chargingState === "string" ? t.transactionInfo.chargingState : undefined;
    const now = this.transaction(evseId);
    if (t.eventType === "Ended") {
      this.txEvse.delete(id);
      if (now.transactionId === id) this.transactions.delete(evseId);
      return;
    }
    this.txEvse.set(id, evseId);
    if (t.eventType === "Started" || t.eventType === "Updated") {
      // An Updated for a transaction whose Started this tracker missed (it began before a restart) still names it.
      const fresh = now.transactionId !== id;
      this.transactions.set(evseId, { transactionId: id, chargingState: cs ?? (fresh ? null : now.chargingState) });
    }
  }

  private noteStatus(p: unknown): void {
    if (p === null || typeof p !== "object") return;
    const s = p as { evseId?: unknown; connectorId?: unknown; connectorStatus?: unknown };
    if (typeof s.evseId === "number" && typeof s.connectorId === "number" && typeof s.connectorStatus === "string") {
      this.connectorStatus.set(`${s.evseId}/${s.connectorId}`, s.connectorStatus);
    }
  }
}

/** The local EMS of a build with the ems block, bound to this station's id (sim/ems-client.ts). */
export interface SimEms {
  /** The broker URL the station was provisioned with. */
  readonly url: string;
  /** Publishes the limit to ems/<id>/limit; resolves with the topic once the broker has it. */
  publishLimit(limit: EmsLimit): Promise<string>;
  /** Publishes {} to ems/<id>/limit (no EMS limit); resolves with the topic. */
  clearLimit(): Promise<string>;
  /** The last message the station published to ems/<id>/meter, parsed; undefined before any. */
  lastMeter(): unknown;
}

/** What the API drives: the simulator implements it. */
export interface SimControl {
  readonly board: Board;
  readonly tracker: WireTracker;
  readonly runtime: string;
  /** Lua heap (KB, after a full GC) of the image loaded and not started; undefined without a Lua heap of its own. */
  readonly codeKb?: number;
  /** How many frames the embedded CSMS found invalid so far; undefined with an external CSMS. */
  wireViolations?: () => number;
  /** The embedded CSMS (routes in sim/csms-api.ts); undefined with an external CSMS. */
  csms?: EmbeddedCsms;
  /** The EMS client; undefined when the build has no ems block. */
  ems?: SimEms;
  networkDown(): void;
  networkUp(): void;
  /** Reboot with the flash kept. */
  powerCycle(): Promise<void>;
  /** Resolves when the board is not in the middle of a power cycle (its image is usable). */
  idle(): Promise<void>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiRequest {
  params: Record<string, string>;
  /** Parsed JSON body ({} when empty). */
  body: Record<string, unknown>;
  query: URLSearchParams;
  sim: SimControl;
}

export type RouteHandler = (req: ApiRequest) => unknown | Promise<unknown>;

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path with :name segments, e.g. /api/evse/:evseId/plug. */
  path: string;
  handler: RouteHandler;
}

const MAX_BODY = 64 * 1024;

/** A positive integer path or body value, or a 400. */
function intParam(v: unknown, what: string, max: number): number {
  const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : typeof v === "number" ? v : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ApiError(400, `bad ${what}: ${JSON.stringify(v)} (1..${max})`);
  return n;
}

function evseParam(req: ApiRequest): number {
  return intParam(req.params.evseId, "evseId", req.sim.board.evses.length);
}

function connectorParam(req: ApiRequest, evseId: number): number {
  const c = req.body.connectorId;
  if (c === undefined) return 1;
  return intParam(c, "connectorId", req.sim.board.evses[evseId - 1].plugged.length);
}

export function stateOf(sim: SimControl): unknown {
  const b = sim.board;
  return {
    connection: b.connected ? "connected" : "disconnected",
    bootStatus: sim.tracker.bootStatus,
    evses: b.evses.map((e, i) => {
      const v = b.evseView(i + 1);
      return {
        id: i + 1,
        relay: e.relayClosed ? "closed" : "open",
        // L1 alone, as before the meter had phases.
        meter: { energyWh: v.energyWh, powerW: v.powerW, currentA: v.currentA[0], voltageV: v.voltageV[0] },
        connectors: e.plugged.map((plugged, j) => ({ id: j + 1, status: sim.tracker.status(i + 1, j + 1), plugged, locked: e.locked[j] })),
        ...v,
        ...sim.tracker.transaction(i + 1),
      };
    }),
    heap: heapOf(b, sim.codeKb),
    // Frames the embedded CSMS found breaking OCPP-J or the official schemas; null with an external CSMS.
    wireViolations: sim.wireViolations === undefined ? null : sim.wireViolations(),
    runtime: sim.runtime,
    uptime: b.uptime,
    // The station's own meter message carries each EVSE's composite limit.
    ...(sim.ems === undefined ? {} : { ems: { url: sim.ems.url, meter: sim.ems.lastMeter() ?? null } }),
  };
}

/** Kilobytes to one decimal. */
function kb(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * The image's Lua heap: live now (garbage included), after a full GC, right after loading (code and
 * constants, before start) and the difference (what the running firmware holds). All null where the
 * runtime has no Lua heap of its own to count (node, fengari: their objects live in the JS heap).
 */
function heapOf(b: Board, codeKb: number | undefined): { liveKb: number | null; afterGcKb: number | null; codeKb: number | null; dynamicKb: number | null } {
  if (!b.image.ownHeap || codeKb === undefined) return { liveKb: null, afterGcKb: null, codeKb: null, dynamicKb: null };
  const live = b.heapKb(false);
  const after = b.heapKb(true);
  return { liveKb: kb(live), afterGcKb: kb(after), codeKb: kb(codeKb), dynamicKb: kb(after - codeKb) };
}

function plugRoute(r: Parameters<Route["handler"]>[0], plugged: boolean): unknown {
  const e = evseParam(r);
  const c = connectorParam(r, e);
  if (plugged) r.sim.board.plug(e, c);
  else r.sim.board.unplug(e, c);
  return { ok: true, evseId: e, connectorId: c };
}

const TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"];

/** Rejects a body with fields other than these. */
function onlyFields(body: Record<string, unknown>, names: string[]): void {
  for (const k of Object.keys(body)) if (!names.includes(k)) throw new ApiError(400, `unknown field ${JSON.stringify(k)} (${names.join(", ")})`);
}

/** A card at the EVSE's reader: idToken as IdTokenType.idToken (1..36 characters), type an IdTokenEnumType. */
function tokenRoute(r: ApiRequest): unknown {
  const e = evseParam(r);
  onlyFields(r.body, ["idToken", "type"]);
  const { idToken, type = "ISO14443" } = r.body;
  if (typeof idToken !== "string" || idToken.length === 0 || idToken.length > 36) throw new ApiError(400, "idToken must be a string of 1 to 36 characters");
  if (typeof type !== "string" || !TOKEN_TYPES.includes(type)) throw new ApiError(400, `type must be one of ${TOKEN_TYPES.join(", ")}`);
  r.sim.board.presentToken(e, idToken, type);
  return { ok: true, evseId: e, idToken, type };
}

/** The EVSE's EV: any of socPercent, capacityWh, maxPowerW, phases. */
function evRoute(r: ApiRequest): unknown {
  const e = evseParam(r);
  onlyFields(r.body, ["socPercent", "capacityWh", "maxPowerW", "phases"]);
  if (Object.keys(r.body).length === 0) throw new ApiError(400, "give at least one of socPercent, capacityWh, maxPowerW, phases");
  const bad = evSpecError(r.body);
  if (bad !== undefined) throw new ApiError(400, bad);
  r.sim.board.setEv(e, r.body);
  return { ok: true, evseId: e, ev: r.sim.board.evseView(e).ev };
}

/** How long a limit route waits for the broker's PUBACK. */
export const EMS_PUBLISH_TIMEOUT_MS = 5000;

function emsOf(r: ApiRequest): SimEms {
  if (r.sim.ems === undefined) throw new ApiError(404, "no EMS in this build (a config with the ems block)");
  return r.sim.ems;
}

/** Waits for a publish, 504 when the broker does not acknowledge it in time. */
async function published(p: Promise<string>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new ApiError(504, `the EMS broker did not acknowledge the publish within ${EMS_PUBLISH_TIMEOUT_MS / 1000} s`)), EMS_PUBLISH_TIMEOUT_MS);
  });
  try {
    return { published: true, topic: await Promise.race([p, late]) };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(502, `EMS publish failed: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** A limit from the local EMS: exactly one of limitW, limitA (a finite number >= 0), optional validS (integer >= 1). */
function emsLimitRoute(r: ApiRequest): Promise<unknown> {
  const ems = emsOf(r);
  onlyFields(r.body, ["limitW", "limitA", "validS"]);
  const { limitW, limitA, validS } = r.body;
  if ((limitW === undefined) === (limitA === undefined)) throw new ApiError(400, "give exactly one of limitW, limitA");
  const [name, value] = limitW !== undefined ? ["limitW", limitW] : ["limitA", limitA];
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new ApiError(400, `${name} must be a finite number >= 0, got ${JSON.stringify(value)}`);
  if (validS !== undefined && !(typeof validS === "number" && Number.isInteger(validS) && validS >= 1)) throw new ApiError(400, `validS must be an integer >= 1, got ${JSON.stringify(validS)}`);
  const limit: EmsLimit = name === "limitW" ? { limitW: value } : { limitA: value };
  if (validS !== undefined) limit.validS = validS;
  return published(ems.publishLimit(limit));
}

/** The routes of the Control API; add more with ControlApi.route(). */
export const ROUTES: Route[] = [
  { method: "GET", path: "/api/state", handler: (r) => stateOf(r.sim) },
  { method: "POST", path: "/api/evse/:evseId/plug", handler: (r) => plugRoute(r, true) },
  { method: "POST", path: "/api/evse/:evseId/unplug", handler: (r) => plugRoute(r, false) },
  { method: "POST", path: "/api/evse/:evseId/token", handler: tokenRoute },
  { method: "POST", path: "/api/evse/:evseId/ev", handler: evRoute },
  {
    method: "POST",
    path: "/api/network/down",
    handler: (r) => {
      r.sim.networkDown();
      return { ok: true, network: "down" };
    },
  },
  {
    method: "POST",
    path: "/api/network/up",
    handler: (r) => {
      r.sim.networkUp();
      return { ok: true, network: "up" };
    },
  },
  { method: "POST", path: "/api/ems/limit", handler: emsLimitRoute },
  {
    method: "DELETE",
    path: "/api/ems/limit",
    handler: (r) => {
      const ems = emsOf(r);
      if (Object.keys(r.body).length > 0) throw new ApiError(400, "DELETE /api/ems/limit takes no body fields");
      return published(ems.clearLimit());
    },
  },
  {
    method: "POST",
    path: "/api/power-cycle",
    handler: async (r) => {
      await r.sim.powerCycle();
      return { ok: true };
    },
  },
];

interface CompiledRoute extends Route {
  re: RegExp;
  names: string[];
}

function compileRoute(r: Route): CompiledRoute {
  const names: string[] = [];
  const re = r.path
    .split("/")
    .map((seg) => {
      if (seg.startsWith(":")) {
        names.push(seg.slice(1));
        return "([^/]+)";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { ...r, re: new RegExp(`^${re}$`), names };
}

export class ControlApi {
  private readonly routes: CompiledRoute[] = [];
  private server: http.Server | undefined;
  port = 0;

  constructor(
    private readonly sim: SimControl,
    routes: Route[] = [...ROUTES, ...CSMS_ROUTES],
  ) {
    for (const r of routes) this.route(r);
  }

  route(r: Route): void {
    this.routes.push(compileRoute(r));
  }

  async listen(port: number, host = "127.0.0.1"): Promise<number> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => this.send(res, 500, { error: String((e as Error)?.message ?? e) }));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
    res.end(text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    let route: CompiledRoute | undefined;
    let m: RegExpExecArray | null = null;
    for (const r of this.routes) {
      if (r.method !== req.method) continue;
      m = r.re.exec(path);
      if (m !== null) {
        route = r;
        break;
      }
    }
    if (route === undefined || m === null) {
      req.resume();
      this.send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      return;
    }
    try {
      const raw = await readBody(req);
      let body: Record<string, unknown> = {};
      if (raw.trim().length > 0) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new ApiError(400, "body is not JSON");
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new ApiError(400, "body must be a JSON object");
        body = parsed as Record<string, unknown>;
      }
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m![i + 1]);
        } catch {
          throw new ApiError(400, `bad ${n}: not URL-encoded`);
        }
      });
      // Never touch the board while a power cycle swaps its image.
      await this.sim.idle();
      const out = await route.handler({ params, body, query: url.searchParams, sim: this.sim });
      this.send(res, 200, out ?? { ok: true });
    } catch (e) {
      if (e instanceof ApiError) this.send(res, e.status, { error: e.message });
      else this.send(res, 500, { error: String((e as Error)?.message ?? e) });
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        // Stop buffering but keep reading, so the 413 can still be sent on this connection.
        reject(new ApiError(413, "body too large"));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
