// Control API routes that drive the embedded CSMS: boot and authorize answers, remote start/stop, any CSMS request, the transactions it follows.
//
// Requests go to the one connected station unless the body names another ("station").
// Station answers: CALLRESULT → 200 { response }; CALLERROR → 502 { error: code, description, details }; no answer → 504.

import { ApiError, ApiRequest, Route } from "./api";
import { CsmsRequestError, EmbeddedCsms } from "./csms";

function csmsOf(r: ApiRequest): EmbeddedCsms {
  if (r.sim.csms === undefined) throw new ApiError(409, "no embedded CSMS: the simulator runs against an external one (--csms)");
  return r.sim.csms;
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0) throw new ApiError(400, `bad ${what}: ${JSON.stringify(v)} (a non-empty string)`);
  return v;
}

function posInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 2147483647) throw new ApiError(400, `bad ${what}: ${JSON.stringify(v)} (a positive integer)`);
  return v;
}

/** Runs a CSMS request, turning its refusals and the station's errors into HTTP answers. */
async function station<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof CsmsRequestError) throw new ApiError(e.kind === "invalid" ? 400 : e.kind === "station" ? 409 : 404, e.message);
    const err = e as Error & { rpcErrorCode?: string; details?: unknown };
    if (typeof err.rpcErrorCode === "string") throw new ApiError(502, `station answered CALLERROR ${err.rpcErrorCode}: ${err.message} ${JSON.stringify(err.details ?? {})}`);
    if (err?.name === "TimeoutError") throw new ApiError(504, `station did not answer: ${err.message}`);
    throw e;
  }
}

function settings(c: EmbeddedCsms): unknown {
  return {
    boot: { status: c.bootStatus, interval: c.bootInterval },
    authorize: c.authorizeOverride ?? "list",
    tokens: c.tokens,
    stations: c.connected,
  };
}

/** The routes, added to the Control API's table (sim/api.ts). */
export const CSMS_ROUTES: Route[] = [
  { method: "GET", path: "/api/csms", handler: (r) => settings(csmsOf(r)) },
  {
    method: "POST",
    path: "/api/csms/boot",
    handler: (r) => {
      const c = csmsOf(r);
      const s = r.body.status;
      if (s !== "Accepted" && s !== "Pending" && s !== "Rejected") throw new ApiError(400, `bad status: ${JSON.stringify(s)} (Accepted | Pending | Rejected)`);
      // B02/B03: the interval is also the wait before a Pending or Rejected station boots again.
      const interval = r.body.interval === undefined ? c.bootInterval : posInt(r.body.interval, "interval");
      c.bootStatus = s;
      c.bootInterval = interval;
      return settings(c);
    },
  },
  {
    method: "POST",
    path: "/api/csms/authorize",
    handler: (r) => {
      const c = csmsOf(r);
      const s = r.body.status;
      if (s !== "Accepted" && s !== "Invalid" && s !== "list" && s !== null) throw new ApiError(400, `bad status: ${JSON.stringify(s)} (Accepted | Invalid | "list" to answer from the token list)`);
      c.authorizeOverride = s === "Accepted" || s === "Invalid" ? s : undefined;
      return settings(c);
    },
  },
  {
    method: "POST",
    path: "/api/csms/start",
    handler: (r) => {
      const c = csmsOf(r);
      const evseId = r.body.evseId === undefined ? undefined : posInt(r.body.evseId, "evseId");
      const idToken = optString(r.body.idToken, "idToken");
      if (idToken === undefined) throw new ApiError(400, "idToken is required");
      const type = optString(r.body.type, "type");
      const stationId = optString(r.body.station, "station");
      return station(() => c.remoteStart(stationId, evseId, type === undefined ? idToken : { idToken, type }));
    },
  },
  {
    method: "POST",
    path: "/api/csms/stop",
    handler: (r) => {
      const c = csmsOf(r);
      const stationId = optString(r.body.station, "station");
      const transactionId = optString(r.body.transactionId, "transactionId");
      if (transactionId !== undefined) return station(() => c.remoteStop(stationId, { transactionId }));
      if (r.body.evseId === undefined) throw new ApiError(400, "transactionId or evseId is required");
      const evseId = posInt(r.body.evseId, "evseId");
      return station(() => c.remoteStop(stationId, { evseId }));
    },
  },
  {
    method: "POST",
    path: "/api/csms/call",
    handler: async (r) => {
      const c = csmsOf(r);
      const action = optString(r.body.action, "action");
      if (action === undefined) throw new ApiError(400, "action is required");
      const stationId = optString(r.body.station, "station");
      const response = await station(() => c.callChecked(stationId, action, r.body.payload ?? {}));
      return { action, response };
    },
  },
  { method: "GET", path: "/api/csms/transactions", handler: (r) => ({ transactions: csmsOf(r).transactions.list() }) },
];
