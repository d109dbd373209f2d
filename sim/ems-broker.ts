// The simulator's embedded MQTT 3.1.1 broker (aedes) for the local EMS: the station's MQTT client
// and the simulator's EMS client (sim/ems-client.ts) meet there when no --ems broker is given.

import * as net from "node:net";
import type { AddressInfo } from "node:net";

export interface EmsBroker {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Stops listening, drops every client, ends the broker. */
  close(): Promise<void>;
}

/** Starts aedes on 127.0.0.1 (port 0: a free one). */
export async function startEmsBroker(port = 0, host = "127.0.0.1"): Promise<EmsBroker> {
  // aedes 1.x is an ES module: loaded with import(), as sim/runtimes/image.ts loads the generated image.
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    // A client that breaks the protocol or vanishes is the broker's business, not a crash of the simulator.
    sock.on("error", () => undefined);
    broker.handle(sock);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((r) => broker.close(() => r()));
    throw e;
  }
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        await new Promise<void>((r) => broker.close(() => r()));
        // Connections that never sent CONNECT are no client of the broker's: they go here.
        for (const s of sockets) s.destroy();
        await stopped;
      })();
      return closing;
    },
  };
}
