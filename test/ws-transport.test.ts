// The simulator's WebSocket transport tells why each connection attempt failed or ended: the firmware
// only learns "closed", so the log is the one place a wrong password differs from a dead host.

import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { WsTransport } from "../sim/ws-transport";
import { EmbeddedCsms } from "../sim/csms";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

function portOf(s: net.Server): number {
  return (s.address() as AddressInfo).port;
}

async function listening<T extends net.Server>(s: T): Promise<T> {
  const sockets = new Set<net.Socket>();
  s.on("connection", (c: net.Socket) => sockets.add(c));
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => {
    for (const c of sockets) c.destroy();
    return new Promise<void>((r) => s.close(() => r()));
  });
  return s;
}

/** A WebSocket server on a free port; `choose` is what it answers to the offered subprotocols. */
async function wsServer(choose: (offered: Set<string>) => string | false, onConnection?: (ws: import("ws").WebSocket) => void): Promise<number> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: choose });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  if (onConnection !== undefined) wss.on("connection", onConnection);
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  return (wss.address() as AddressInfo).port;
}

/** An HTTP server that answers every WebSocket upgrade with this status. */
async function upgradeAnswer(status: number, text: string): Promise<number> {
  const s = http.createServer((_q, res) => res.writeHead(404).end());
  s.on("upgrade", (_req, socket: net.Socket) => socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
  return portOf(await listening(s));
}

interface Outcome {
  log: string[];
  opened: boolean;
  closes: number;
  errors: unknown[];
}

/** One connect through a fresh transport; resolves once the board heard onClose (and the log line). */
async function attempt(url: string, opts: { handshakeTimeoutS?: number; auth?: string; down?: boolean } = {}): Promise<Outcome> {
  const o: Outcome = { log: [], opened: false, closes: 0, errors: [] };
  const t = new WsTransport({ handshakeTimeoutS: opts.handshakeTimeoutS, log: (l) => o.log.push(l), onError: (e) => o.errors.push(e) });
  cleanups.push(() => t.close());
  if (opts.down === true) t.setDown(true);
  await new Promise<void>((resolve) => {
    t.connect(url, "ocpp2.0.1", opts.auth, 0, {
      onOpen: () => (o.opened = true),
      onClose: () => {
        o.closes++;
        resolve();
      },
      onMessage: () => undefined,
    });
  });
  // A second onClose would arrive on a later turn.
  await new Promise((r) => setTimeout(r, 20));
  return o;
}

/** The one log line of an attempt that never opened. */
function failure(o: Outcome): string {
  expect(o.opened).toBe(false);
  expect(o.closes).toBe(1);
  expect(o.errors).toEqual([]);
  expect(o.log).toHaveLength(1);
  return o.log[0];
}

describe.concurrent("ws-transport: the reason of every failed attempt is in the log", () => {
  const seen = new Map<string, string>();
  afterAll(() => {
    // Distinct reasons read distinctly: no two of the cases below share a line.
    expect(new Set(seen.values()).size).toBe(seen.size);
  });

  it("connection refused", async () => {
    const s = await listening(net.createServer());
    const port = portOf(s);
    await new Promise<void>((r) => s.close(() => r()));
    const line = failure(await attempt(`ws://127.0.0.1:${port}/ocpp/CP1`));
    expect(line).toBe(`connection failed: connection refused by 127.0.0.1:${port} (ECONNREFUSED: nothing listens there)`);
    seen.set("refused", line);
  });

  it("DNS failure of an unresolvable host", async () => {
    const line = failure(await attempt("ws://nohost.invalid/ocpp/CP1"));
    // ENOTFOUND with a resolver that answers, EAI_AGAIN without one: both are the lookup failing.
    expect(line).toMatch(/^connection failed: DNS lookup of nohost\.invalid failed \((ENOTFOUND|EAI_AGAIN)/);
    seen.set("dns", line);
  });

  it("timeout: a server that accepts TCP and never answers the handshake", async () => {
    const s = await listening(net.createServer(() => undefined));
    const t0 = Date.now();
    const line = failure(await attempt(`ws://127.0.0.1:${portOf(s)}/ocpp/CP1`, { handshakeTimeoutS: 1 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(line).toBe("connection failed: timeout: no answer to the opening handshake within 1 s");
    seen.set("timeout", line);
  });

  it("TLS error: wss:// to a plain TCP server", async () => {
    const s = await listening(net.createServer((c) => c.end("HTTP/1.1 400 Bad Request\r\n\r\n")));
    const line = failure(await attempt(`wss://127.0.0.1:${portOf(s)}/ocpp/CP1`));
    expect(line).toMatch(/^connection failed: TLS error: wrong version number \((ERR_SSL_WRONG_VERSION_NUMBER|EPROTO)\)$/);
    seen.set("tls-version", line);
  });

  it("TLS error: a CSMS certificate nobody vouches for (self-signed)", async () => {
    const dir = path.join(__dirname, "fixtures");
    const s = https.createServer({ key: fs.readFileSync(path.join(dir, "selfsigned-test-only.key")), cert: fs.readFileSync(path.join(dir, "selfsigned-test-only.crt")) });
    s.on("upgrade", (_q, socket: net.Socket) => socket.destroy());
    await listening(s);
    const line = failure(await attempt(`wss://localhost:${portOf(s)}/ocpp/CP1`));
    expect(line).toMatch(/^connection failed: TLS error: .*certificate.* \([A-Z_]+\)$/);
    seen.set("tls-cert", line);
  });

  it("HTTP 401 on the upgrade: the embedded CSMS refuses a wrong Basic-auth password (A00.FR.207)", async () => {
    const csms = new EmbeddedCsms({ password: "right-password-0001" });
    await csms.start(0);
    cleanups.push(() => csms.stop());
    const line = failure(await attempt(`${csms.url}/CP1`, { auth: "CP1:wrong-password-001" }));
    expect(line).toBe("connection failed: HTTP 401 Unauthorized on the WebSocket upgrade: identity or password refused");
    expect(csms.connections.map((c) => c.password)).toEqual(["wrong-password-001"]);
    // The right password gets in: the 401 was about the password, not the CSMS.
    const ok = new WsTransport({ log: () => undefined });
    cleanups.push(() => ok.close());
    await new Promise<void>((resolve, reject) =>
      ok.connect(`${csms.url}/CP1`, "ocpp2.0.1", "CP1:right-password-0001", 0, { onOpen: () => resolve(), onClose: () => reject(new Error("refused")), onMessage: () => undefined }),
    );
    seen.set("401", line);
  });

  it("HTTP 404 on the upgrade", async () => {
    const line = failure(await attempt(`ws://127.0.0.1:${await upgradeAnswer(404, "Not Found")}/wrong/CP1`));
    expect(line).toBe("connection failed: HTTP 404 Not Found on the WebSocket upgrade: no such endpoint (check the URL path)");
    seen.set("404", line);
  });

  it("HTTP 503 on the upgrade", async () => {
    const line = failure(await attempt(`ws://127.0.0.1:${await upgradeAnswer(503, "Service Unavailable")}/ocpp/CP1`));
    expect(line).toBe("connection failed: HTTP 503 Service Unavailable on the WebSocket upgrade");
    seen.set("503", line);
  });

  it("subprotocol not accepted: the server picks none (Part 4 §3.2)", async () => {
    const port = await wsServer(() => false);
    const line = failure(await attempt(`ws://127.0.0.1:${port}/ocpp/CP1`));
    expect(line).toBe("connection failed: subprotocol not accepted: asked for ocpp2.0.1, the server chose none");
    seen.set("proto-none", line);
  });

  it("subprotocol not accepted: the server picks another one", async () => {
    const port = await wsServer(() => "ocpp1.6");
    const line = failure(await attempt(`ws://127.0.0.1:${port}/ocpp/CP1`));
    expect(line).toBe("connection failed: subprotocol not accepted: asked for ocpp2.0.1, the server chose 'ocpp1.6'");
    seen.set("proto-other", line);
  });

  it("closed by the server with a code and reason, after it opened", async () => {
    const port = await wsServer(
      () => "ocpp2.0.1",
      (ws) => ws.close(4001, "station replaced"),
    );
    const o = await attempt(`ws://127.0.0.1:${port}/ocpp/CP1`);
    expect(o.opened).toBe(true);
    expect(o.closes).toBe(1);
    expect(o.log).toEqual(['connection closed by the CSMS: 4001 "station replaced"']);
    seen.set("closed", o.log[0]);
  });

  it("lost without a close frame, after it opened", async () => {
    const port = await wsServer(
      () => "ocpp2.0.1",
      (ws) => setTimeout(() => ws.terminate(), 20),
    );
    const o = await attempt(`ws://127.0.0.1:${port}/ocpp/CP1`);
    expect(o.opened).toBe(true);
    expect(o.log).toEqual(["connection lost: closed without a close frame (1006)"]);
    seen.set("lost", o.log[0]);
  });

  it("network down (simulated) and a malformed URL", async () => {
    const down = failure(await attempt("ws://127.0.0.1:9/ocpp/CP1", { down: true }));
    expect(down).toBe("connection failed: network down (simulated)");
    seen.set("down", down);
    // A URL the firmware holds but ws cannot parse is a failed connection, not a firmware error.
    const bad = failure(await attempt("ws://[bad/ocpp/CP1"));
    expect(bad).toBe("connection failed: invalid URL ws://[bad/ocpp/CP1");
    seen.set("url", bad);
  });
});
