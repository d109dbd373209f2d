// The local EMS over MQTT over TLS (EmsCtrlr.Url mqtts://host:port, profiles/ems: "TLS where the
// board has it"), on every runtime: the broker is aedes behind node's tls.createServer with a
// self-signed certificate made for the test (openssl), the board's byte stream is sim/net-transport.ts
// TcpNet told to trust that certificate (its `ca` option, beside the system's roots). The EMS plays on
// a plain port of the same broker. With the certificate trusted the station connects over TLS,
// subscribes to its limit topic and applies a limit (K12.FR.01, K11.FR.01); without it the handshake
// fails and the station never reaches the broker (nothing else is trusted in its place).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import type { EmsBroker } from "../sim/ems-broker";
import { TcpNet } from "../sim/net-transport";
import { advance, call, evse, plug, sent, token } from "./tx-harness";
import { EmsStation, settleNet, STATION_ID, until } from "./ems-harness";
import { emsStationWith } from "./ems-station";

interface TlsBroker extends EmsBroker {
  /** mqtt:// on a plain port of the same broker, for the EMS client. */
  readonly plainUrl: string;
  /** TLS connections whose handshake completed, and the handshake errors the server saw. */
  secured: number;
  tlsErrors: string[];
  /** Client ids that connected to the broker over TLS, and the topics each subscribed to. */
  tlsClients: Map<string, string[]>;
}

/** aedes on 127.0.0.1: a TLS port with this key and certificate, and a plain one. */
async function startTlsBroker(key: string, cert: string): Promise<TlsBroker> {
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const secure = new WeakSet<object>();
  const handle = (sock: net.Socket) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    broker.handle(sock);
  };
  const out = { secured: 0, tlsErrors: [] as string[], tlsClients: new Map<string, string[]>() };
  const tlsServer = tls.createServer({ key, cert }, (sock) => {
    out.secured++;
    secure.add(sock);
    handle(sock);
  });
  tlsServer.on("tlsClientError", (e: Error) => out.tlsErrors.push(e.message));
  const plain = net.createServer(handle);
  broker.on("client", (c) => {
    if (secure.has((c as unknown as { conn: object }).conn)) out.tlsClients.set(c.id, []);
  });
  broker.on("subscribe", (subs, c) => {
    if (c !== null && out.tlsClients.has(c.id)) out.tlsClients.get(c.id)!.push(...subs.map((s) => s.topic));
  });
  const listen = (s: net.Server) =>
    new Promise<number>((resolve, reject) => {
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port));
    });
  const port = await listen(tlsServer);
  const plainPort = await listen(plain);
  let closing: Promise<void> | undefined;
  return Object.assign(out, {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    plainUrl: `mqtt://127.0.0.1:${plainPort}`,
    close: () => {
      closing ??= (async () => {
        const stopped = Promise.all([tlsServer, plain].map((s) => new Promise<void>((r) => s.close(() => r()))));
        await new Promise<void>((r) => broker.close(() => r()));
        for (const s of sockets) s.destroy();
        await stopped;
      })();
      return closing;
    },
  });
}

/** A self-signed certificate for 127.0.0.1 (and localhost), made by the openssl command line. */
let pki: { key: string; cert: string };
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ems-tls-"));
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`openssl could not make the test certificate: ${r.error?.message ?? r.stderr}`);
  pki = { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8") };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const stations: EmsStation[] = [];
afterEach(async () => {
  for (const t of stations.splice(0)) await t.close();
});

const connected = (t: EmsStation) => {
  const r = call(t, "GetVariables", { getVariableData: [{ component: { name: "EmsCtrlr" }, variable: { name: "Connected" } }] });
  return (r.getVariableResult as { attributeValue?: string }[])[0].attributeValue;
};

describe.each(RUNTIMES)("local EMS over TLS (mqtts://) on %s", (runtime) => {
  it("a broker whose certificate the board trusts: the station connects over TLS, subscribes to ems/<id>/limit, publishes its meter and applies a limit at once (K11.FR.01), told to the CSMS (K11.FR.02)", async () => {
    const broker = await startTlsBroker(pki.key, pki.cert);
    const netLog: string[] = [];
    const t = await emsStationWith(runtime, { broker, emsUrl: broker.plainUrl, net: new TcpNet({ ca: [pki.cert], log: (l) => netLog.push(l) }) });
    stations.push(t);
    await until(t, () => t.ems.lastMeter(STATION_ID) !== undefined, 30, `the first meter message over TLS (net: ${netLog.join("; ")})`);
    expect(connected(t)).toBe("true");
    expect(broker.secured).toBeGreaterThan(0);
    expect(broker.tlsErrors).toEqual([]);
    // The station's MQTT session is the TLS one, subscribed to its limit topic.
    const subs = [...broker.tlsClients.values()].flat();
    expect(subs).toContain(`ems/${STATION_ID}/limit`);
    plug(t, 1);
    token(t, "OK-TLS1", 1);
    await advance(t, 3);
    expect(evse(t, 1).offerDa).toBe(320);
    await sent(t);
    await t.ems.publishLimit(STATION_ID, { limitA: 12 });
    await settleNet(t, () => evse(t, 1).offerDa === 120, "the EMS limit over TLS on the offer");
    expect((await sent(t, "NotifyChargingLimit")).map((f) => f[3])).toEqual([{ chargingLimit: { chargingLimitSource: "EMS" } }]);
    await t.ems.clearLimit(STATION_ID);
    await settleNet(t, () => evse(t, 1).offerDa === 320, "the limit lifted");
  });

  it("a broker whose self-signed certificate the board does not trust: the TLS handshake fails, the station never reaches the broker and keeps trying (Connected false)", async () => {
    const broker = await startTlsBroker(pki.key, pki.cert);
    const netLog: string[] = [];
    const tcp = new TcpNet({ log: (l) => netLog.push(l) });
    const t = await emsStationWith(runtime, { broker, emsUrl: broker.plainUrl, net: tcp });
    stations.push(t);
    await until(t, () => netLog.length >= 2, 90, "two failed attempts");
    expect(connected(t)).toBe("false");
    expect(broker.tlsClients.size).toBe(0);
    expect(netLog[0]).toMatch(/TLS.*failed: .*certificate/);
    expect(t.ems.lastMeter(STATION_ID)).toBeUndefined();
    expect(tcp.attempts).toBeGreaterThanOrEqual(2);
  });
});
