// The simulator's side of the local EMS over MQTT: the board's raw TCP byte stream (sim/net-transport.ts)
// against a real broker, the board's netopen / netsend / netclose effects and "net" inputs (a scripted
// stand-in image behind sim/board.ts), the embedded aedes broker (sim/ems-broker.ts), the EMS client
// (sim/ems-client.ts), --ems on the command line and the Control API's EMS routes.

import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mp from "mqtt-packet";
import { connect, MqttClient } from "mqtt";
import { Board, escField, Transport, unescField } from "../sim/board";
import type { ImageRuntime } from "../sim/runtimes/image";
import { NetEvents, OfflineNet, TcpNet } from "../sim/net-transport";
import { EmsBroker, startEmsBroker } from "../sim/ems-broker";
import { EmsClient, EmsLimit } from "../sim/ems-client";
import { ControlApi, SimControl, SimEms, stateOf, WireTracker } from "../sim/api";
import { parseArgs, USAGE, UsageError } from "../sim/cli";
import { EMS_NEEDS_BLOCK, PROVISION_KEYS, startSimulator } from "../sim/simulator";
import { ROOT } from "../build/compile";

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until cond() holds (polling each macrotask), at most ms. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** An MQTT 3.1.1 packet as the byte string the firmware holds (one char per byte). */
const packet = (p: object): string => mp.generate(p as mp.Packet, { protocolVersion: 4 }).toString("latin1");

/** Parses a byte stream into MQTT packets. */
function parser(): { push(bytes: string): void; packets: mp.Packet[] } {
  const packets: mp.Packet[] = [];
  const p = mp.parser({ protocolVersion: 4 });
  p.on("packet", (x: mp.Packet) => packets.push(x));
  p.on("error", (e: Error) => {
    throw e;
  });
  return { push: (b) => void p.parse(Buffer.from(b, "latin1")), packets };
}

const CONNECT = (clientId: string) => packet({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId, clean: true, keepalive: 0 });
const CONNACK = "\x20\x02\x00\x00";

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Events of one open(), with whether each came from inside an open/send/close call. */
function recorder() {
  const events: string[] = [];
  let inside = false;
  const reentered: string[] = [];
  const ev: NetEvents = {
    onOpen: () => {
      if (inside) reentered.push("open");
      events.push("open");
    },
    onClose: () => {
      if (inside) reentered.push("close");
      events.push("close");
    },
    onData: (b) => {
      if (inside) reentered.push("data");
      events.push(`data:${b}`);
    },
  };
  return {
    ev,
    events,
    reentered,
    data: () =>
      events
        .filter((e) => e.startsWith("data:"))
        .map((e) => e.slice(5))
        .join(""),
    /** Runs fn as the board would: inside the image's call. */
    inside(fn: () => void): void {
      inside = true;
      try {
        fn();
      } finally {
        inside = false;
      }
    },
  };
}

let broker: EmsBroker;
let brokerPort: number;
beforeAll(async () => {
  broker = await startEmsBroker();
  brokerPort = broker.port;
});
afterAll(() => broker?.close());

/** A plain mqtt.js client on the broker, closed after the test. */
const clients: MqttClient[] = [];
async function mqttClient(url = broker.url): Promise<MqttClient> {
  const c = connect(url, { protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

describe("embedded broker (aedes)", () => {
  it("listens on 127.0.0.1 on a free port and says so in its URL", () => {
    expect(broker.url).toBe(`mqtt://127.0.0.1:${brokerPort}`);
    expect(brokerPort).toBeGreaterThan(0);
  });

  it("close() ends it: clients are dropped, the port is free again", async () => {
    const b = await startEmsBroker();
    const c = connect(b.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await new Promise<void>((r) => c.once("connect", () => r()));
    const closed = new Promise<void>((r) => c.once("close", () => r()));
    // A raw socket that never sends CONNECT must not keep the server open either.
    const raw = net.connect(b.port, "127.0.0.1");
    await new Promise<void>((r) => raw.once("connect", () => r()));
    await b.close();
    await closed;
    await c.endAsync(true);
    raw.destroy();
    const again = net.connect(b.port, "127.0.0.1");
    const err = await new Promise<string>((r) => again.once("error", (e: NodeJS.ErrnoException) => r(e.code ?? "")));
    expect(err).toBe("ECONNREFUSED");
  });
});

describe("TcpNet: the board's byte stream on a real socket", () => {
  it("opens, carries an MQTT CONNECT out and the CONNACK back, and a close() brings one onClose", async () => {
    const lines: string[] = [];
    const tcp = new TcpNet({ log: (l) => lines.push(l) });
    const r = recorder();
    r.inside(() => tcp.open("127.0.0.1", brokerPort, false, r.ev));
    expect(r.events).toEqual([]);
    await until(() => r.events.includes("open"), "onOpen");
    expect(tcp.isOpen).toBe(true);
    r.inside(() => tcp.send(CONNECT("tcpnet-1")));
    await until(() => r.data().length >= 4, "CONNACK");
    expect(r.data()).toBe(CONNACK);
    r.inside(() => tcp.close());
    r.inside(() => tcp.close());
    await until(() => r.events.includes("close"), "onClose");
    await sleep(50);
    expect(r.events.filter((e) => e === "close")).toHaveLength(1);
    expect(r.events[r.events.length - 1]).toBe("close");
    // Never from inside open/send/close: the board is feeding the image then.
    expect(r.reentered).toEqual([]);
    expect(tcp.isOpen).toBe(false);
    // Closed by the board: nothing to explain.
    expect(lines).toEqual([]);
  });

  it("a connect to a port nothing listens on gives onClose (once, later), and says why", async () => {
    const lines: string[] = [];
    const tcp = new TcpNet({ log: (l) => lines.push(l) });
    const r = recorder();
    const port = await closedPort();
    r.inside(() => tcp.open("127.0.0.1", port, false, r.ev));
    await until(() => r.events.includes("close"), "onClose");
    await sleep(50);
    expect(r.events).toEqual(["close"]);
    expect(r.reentered).toEqual([]);
    expect(lines.join("\n")).toMatch(/failed: connection refused/);
  });

  it("a bad port fails the same way, on a later turn", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const r = recorder();
    r.inside(() => tcp.open("127.0.0.1", 70000, false, r.ev));
    expect(r.events).toEqual([]);
    await until(() => r.events.includes("close"), "onClose");
    expect(r.events).toEqual(["close"]);
  });

  it("TLS against a plain MQTT port fails the handshake: onClose, never onOpen", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const r = recorder();
    tcp.open("127.0.0.1", brokerPort, true, r.ev);
    await until(() => r.events.includes("close"), "onClose");
    await sleep(50);
    expect(r.events).toEqual(["close"]);
  });

  it("the peer closing gives onClose once; send() while not connected is ignored", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const r = recorder();
    tcp.send("ignored");
    tcp.open("127.0.0.1", brokerPort, false, r.ev);
    tcp.send("too early: ignored");
    await until(() => r.events.includes("open"), "onOpen");
    // A second CONNECT is a protocol violation: the broker drops the connection.
    tcp.send(CONNECT("tcpnet-2") + CONNECT("tcpnet-2"));
    await until(() => r.events.includes("close"), "onClose");
    expect(r.data()).toBe(CONNACK);
    tcp.send("after the end: ignored");
    tcp.close();
    await sleep(50);
    expect(r.events.filter((e) => e === "close")).toHaveLength(1);
  });

  it("an open() while a connection exists closes the old one silently", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const a = recorder();
    const b = recorder();
    tcp.open("127.0.0.1", brokerPort, false, a.ev);
    await until(() => a.events.includes("open"), "first onOpen");
    tcp.open("127.0.0.1", brokerPort, false, b.ev);
    await until(() => b.events.includes("open"), "second onOpen");
    tcp.send(CONNECT("tcpnet-3"));
    await until(() => b.data().length >= 4, "CONNACK on the second");
    await sleep(50);
    expect(a.events).toEqual(["open"]);
    tcp.dispose();
    await sleep(50);
    expect(b.events.filter((e) => e === "close")).toEqual([]);
  });

  it("OfflineNet: every open fails on the next macrotask", async () => {
    const r = recorder();
    const off = new OfflineNet();
    r.inside(() => off.open("127.0.0.1", 1883, false, r.ev));
    expect(r.events).toEqual([]);
    await tick();
    expect(r.events).toEqual(["close"]);
  });
});

// ---- the board's effects --------------------------------------------------------------------

const NO_NETWORK: Transport = { connect: () => undefined, send: () => undefined, disconnect: () => undefined };

/** A stand-in image: records every input line; returns the effect lines queued with emit() on its next event. */
class ScriptedImage implements ImageRuntime {
  readonly runtime = "node" as const;
  readonly ownHeap = false;
  readonly inputs: string[] = [];
  closed = false;
  private pending = "";
  private busy = false;
  event(line: string): string {
    if (this.closed) throw new Error("event on a closed image");
    if (this.busy) throw new Error("image re-entered");
    this.busy = true;
    try {
      // "<uptime>\t<kind>\t<rest>": kept as "<kind>\t<rest>".
      this.inputs.push(line.slice(line.indexOf("\t") + 1));
      const out = this.pending;
      this.pending = "";
      return out;
    } finally {
      this.busy = false;
    }
  }
  heapKb(): number {
    return 0;
  }
  close(): void {
    this.closed = true;
  }
  queue(...lines: string[]): void {
    this.pending += lines.map((l) => l + "\n").join("");
  }
  /** The "net" inputs, without the kind. */
  net(): string[] {
    return this.inputs.filter((l) => l.startsWith("net\t")).map((l) => l.slice(4));
  }
}

async function scriptedBoard(netT: TcpNet | undefined) {
  const images: ScriptedImage[] = [];
  const effects: string[] = [];
  const board = new Board({
    root: ROOT,
    config: "core",
    runtime: "node",
    transport: NO_NETWORK,
    net: netT,
    loadImage: async () => {
      const img = new ScriptedImage();
      images.push(img);
      return img;
    },
    log: (kind, text) => kind === "effect" && effects.push(text),
  });
  await board.powerOn([1]);
  const image = () => images[images.length - 1];
  return {
    board,
    images,
    image,
    effects,
    /** The image returns these effect lines for the next input (fed now). */
    emit(...lines: string[]): void {
      image().queue(...lines);
      board.feed("x", "");
    },
    /** The bytes received so far, unescaped and joined. */
    received(img = image()): string {
      return img
        .net()
        .filter((l) => l.startsWith("data\t"))
        .map((l) => unescField(l.slice(5)))
        .join("");
    },
  };
}

describe("board: netopen / netsend / netclose and the net input", () => {
  it("carries an MQTT session: CONNECT, SUBSCRIBE, a limit from the EMS client, the station's meter, netclose → closed once", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const s = await scriptedBoard(tcp);
    const ems = new EmsClient(broker.url);
    try {
      await ems.ready();
      s.emit(`netopen\t${escField("127.0.0.1")}\t${brokerPort}\t0`);
      expect(s.image().net()).toEqual([]);
      await until(() => s.image().net().includes("opened"), "net opened");
      expect(s.board.netConnected).toBe(true);
      const p = parser();
      s.emit(`netsend\t${escField(CONNECT("board-1"))}`);
      await until(() => s.received().length >= 4, "CONNACK");
      p.push(s.received());
      expect(p.packets[0]).toMatchObject({ cmd: "connack", returnCode: 0 });
      s.emit(`netsend\t${escField(packet({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "ems/CP1/limit", qos: 1 }] }))}`);
      await until(() => s.received().length >= 9, "SUBACK");
      // A limit whose PUBLISH has a tab, a newline and a backslash among its bytes: the escaping round-trips.
      const limit: EmsLimit = { limitW: 7400, validS: 9 };
      expect(await ems.publishLimit("CP1", limit)).toBe("ems/CP1/limit");
      await until(() => parser2(s.received()).some((x) => x.cmd === "publish"), "PUBLISH");
      const pub = parser2(s.received()).find((x) => x.cmd === "publish") as mp.IPublishPacket;
      expect(pub.topic).toBe("ems/CP1/limit");
      expect(pub.qos).toBe(1);
      expect(pub.retain).toBe(false);
      expect(JSON.parse(pub.payload.toString())).toEqual(limit);
      // The station publishes its meter (bytes with \t, \n and \\ in them): the EMS client keeps it.
      const meter = { powerW: 7360, evses: [{ evseId: 1, powerW: 7360, energyWh: 10, limitA: 10 }], note: "a\tb\nc\\d" };
      const meterPkt = packet({ cmd: "publish", topic: "ems/CP1/meter", payload: Buffer.from(JSON.stringify(meter)), qos: 0, retain: false });
      expect(meterPkt).toMatch(/[\t\n\\]/);
      s.emit(`netsend\t${escField(meterPkt)}`);
      await until(() => ems.lastMeter("CP1") !== undefined, "the meter at the EMS client");
      expect(ems.lastMeter("CP1")).toEqual(meter);
      s.emit("netclose");
      await until(() => s.image().net().includes("closed"), "net closed");
      await sleep(50);
      expect(s.image().net().filter((l) => l === "closed")).toHaveLength(1);
      expect(s.board.netConnected).toBe(false);
      // One effect line for the open and one for the close, none per send.
      expect(s.effects.filter((e) => e.startsWith("net"))).toEqual([`netopen 127.0.0.1:${brokerPort}`, "netclose"]);
    } finally {
      await ems.close();
      tcp.dispose();
    }
  });

  it("a failed connect is reported closed, once", async () => {
    const s = await scriptedBoard(new TcpNet({ log: () => undefined }));
    s.emit(`netopen\t127.0.0.1\t${await closedPort()}\t0`);
    await until(() => s.image().net().length > 0, "net closed");
    await sleep(50);
    expect(s.image().net()).toEqual(["closed"]);
  });

  it("without a net transport, netopen is answered closed on the next macrotask; netsend and netclose do nothing", async () => {
    const s = await scriptedBoard(undefined);
    s.emit(`netopen\tbroker.example\t1883\t1`, `netsend\t${escField(CONNECT("x"))}`);
    expect(s.image().net()).toEqual([]);
    await tick();
    expect(s.image().net()).toEqual(["closed"]);
    s.emit("netclose");
    await sleep(20);
    expect(s.image().net()).toEqual(["closed"]);
    expect(s.effects).toContain("netopen broker.example:1883 (TLS)");
  });

  it("a second netopen replaces the first: only the new socket's events reach the image", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const s = await scriptedBoard(tcp);
    try {
      s.emit(`netopen\t127.0.0.1\t${brokerPort}\t0`);
      await until(() => s.image().net().includes("opened"), "first opened");
      s.emit(`netopen\t127.0.0.1\t${brokerPort}\t0`);
      await until(() => s.image().net().filter((l) => l === "opened").length === 2, "second opened");
      await sleep(50);
      expect(s.image().net()).toEqual(["opened", "opened"]);
    } finally {
      tcp.dispose();
    }
  });

  it("a power cycle closes the socket; nothing of it reaches the new image, even an open still pending", async () => {
    const tcp = new TcpNet({ log: () => undefined });
    const s = await scriptedBoard(tcp);
    try {
      // Connected, then the power goes.
      s.emit(`netopen\t127.0.0.1\t${brokerPort}\t0`);
      await until(() => s.image().net().includes("opened"), "opened");
      s.emit(`netsend\t${escField(CONNECT("board-pc"))}`);
      const old = s.image();
      await s.board.powerCycle();
      expect(old.closed).toBe(true);
      expect(s.images).toHaveLength(2);
      await sleep(100);
      expect(s.image().net()).toEqual([]);
      expect(s.board.netConnected).toBe(false);
      expect(tcp.isOpen).toBe(false);
      // Opening, then the power goes before the connection is up.
      s.emit(`netopen\t127.0.0.1\t${brokerPort}\t0`);
      await s.board.powerCycle();
      await sleep(100);
      expect(s.images).toHaveLength(3);
      expect(s.image().net()).toEqual([]);
      expect(s.images[1].net()).toEqual([]);
      // The new image's own connection works.
      s.emit(`netopen\t127.0.0.1\t${brokerPort}\t0`);
      await until(() => s.image().net().includes("opened"), "opened after the power cycle");
    } finally {
      tcp.dispose();
    }
  });
});

/** All the packets in a byte stream (a fresh parser each time). */
function parser2(bytes: string): mp.Packet[] {
  const p = parser();
  p.push(bytes);
  return p.packets;
}

// ---- the EMS client -------------------------------------------------------------------------

describe("EMS client (mqtt)", () => {
  let ems: EmsClient;
  beforeAll(async () => {
    ems = new EmsClient(broker.url);
    await ems.ready();
  });
  afterAll(() => ems?.close());

  it("publishLimit publishes the JSON as given, QoS 1, not retained; clearLimit publishes {}", async () => {
    const sub = await mqttClient();
    const got: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
    sub.on("message", (topic, payload, pkt) => got.push({ topic, payload: payload.toString(), qos: pkt.qos, retain: pkt.retain }));
    await sub.subscribeAsync("ems/+/limit", { qos: 1 });
    expect(await ems.publishLimit("CP7", { limitA: 16, validS: 60 })).toBe("ems/CP7/limit");
    expect(await ems.publishLimit("CP7", { limitW: 0 })).toBe("ems/CP7/limit");
    expect(await ems.clearLimit("CP7")).toBe("ems/CP7/limit");
    await until(() => got.length === 3, "three limits");
    expect(got).toEqual([
      { topic: "ems/CP7/limit", payload: '{"limitA":16,"validS":60}', qos: 1, retain: false },
      { topic: "ems/CP7/limit", payload: '{"limitW":0}', qos: 1, retain: false },
      { topic: "ems/CP7/limit", payload: "{}", qos: 1, retain: false },
    ]);
  });

  it("keeps the last JSON each station published to ems/<id>/meter; what is not JSON is ignored", async () => {
    const station = await mqttClient();
    expect(ems.lastMeter("CP8")).toBeUndefined();
    const m1 = { powerW: 11000, evses: [{ evseId: 1, powerW: 11000, energyWh: 5, limitA: 16 }] };
    await station.publishAsync("ems/CP8/meter", JSON.stringify(m1), { qos: 1 });
    await until(() => ems.lastMeter("CP8") !== undefined, "meter CP8");
    expect(ems.lastMeter("CP8")).toEqual(m1);
    await station.publishAsync("ems/CP8/meter", "not json", { qos: 1 });
    await station.publishAsync("ems/CP9/meter", "[1,2]", { qos: 1 });
    await until(() => ems.lastMeter("CP9") !== undefined, "meter CP9");
    expect(ems.lastMeter("CP8")).toEqual(m1);
    expect(ems.lastMeter("CP9")).toEqual([1, 2]);
  });

  it("refuses a station id that is no single topic level", async () => {
    for (const id of ["", "a/b", "a+", "#"]) await expect(ems.publishLimit(id, { limitW: 1 })).rejects.toThrow(/topic level/);
  });

  it("after the broker restarts, the client reconnects and subscribes again", async () => {
    const b1 = await startEmsBroker();
    const c = new EmsClient(b1.url);
    let b2: EmsBroker | undefined;
    try {
      await c.ready();
      await b1.close();
      await until(() => !c.connected, "disconnected");
      b2 = await startEmsBroker(b1.port);
      await until(() => c.connected, "reconnected", 10000);
      const station = await mqttClient(b2.url);
      await until(
        () => {
          void station.publishAsync("ems/CPR/meter", '{"powerW":1}', { qos: 0 });
          return c.lastMeter("CPR") !== undefined;
        },
        "the meter after the reconnect",
        5000,
      );
      expect(c.lastMeter("CPR")).toEqual({ powerW: 1 });
    } finally {
      await c.close();
      await b2?.close();
    }
  }, 20000);

  it("ready() rejects when the broker cannot be reached", async () => {
    const c = new EmsClient(`mqtt://127.0.0.1:${await closedPort()}`);
    try {
      await expect(c.ready(0.3)).rejects.toThrow(/no connection within/);
      expect(c.connected).toBe(false);
    } finally {
      await c.close();
    }
  });
});

// ---- command line ---------------------------------------------------------------------------

describe("--ems on the command line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-ems-"));
  const withEms = path.join(dir, "with-ems.json");
  const core = JSON.parse(fs.readFileSync(path.join(ROOT, "build/configs/core.json"), "utf8")) as { blocks: string[] };
  const withoutEms = path.join(dir, "without-ems.json");
  fs.writeFileSync(withEms, JSON.stringify({ ...core, name: "core-ems", blocks: [...core.blocks.filter((b) => b !== "ems"), "ems"] }));
  fs.writeFileSync(withoutEms, JSON.stringify({ ...core, name: "core-no-ems", blocks: core.blocks.filter((b) => b !== "ems") }));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("takes an mqtt:// or mqtts:// URL for a build with the ems block", () => {
    expect(parseArgs(["--config", withEms, "--ems", "mqtt://10.0.0.5:1883"])).toEqual({ config: withEms, ems: "mqtt://10.0.0.5:1883" });
    expect(parseArgs(["--ems=mqtts://ems.example:8883", "--config", withEms])).toEqual({ config: withEms, ems: "mqtts://ems.example:8883" });
    expect(USAGE).toMatch(/--ems URL/);
  });

  it.each(["ws://10.0.0.5:1883", "http://x", "mqtt://", "10.0.0.5:1883", "mqtt:/x"])("refuses %s", (url) => {
    expect(() => parseArgs(["--config", withEms, "--ems", url])).toThrow(/--ems must be an mqtt:\/\/ or mqtts:\/\/ URL/);
  });

  it("refuses --ems with a config without the ems block", () => {
    expect(() => parseArgs(["--config", withoutEms, "--ems", "mqtt://127.0.0.1:1883"])).toThrow(UsageError);
    expect(() => parseArgs(["--ems", "mqtt://127.0.0.1:1883", "--config", withoutEms])).toThrow(EMS_NEEDS_BLOCK);
    expect(() => parseArgs(["--config", path.join(dir, "missing.json"), "--ems", "mqtt://127.0.0.1:1883"])).toThrow(/--ems: cannot read the config/);
  });

  it("startSimulator refuses ems on a build without the block, before starting anything", async () => {
    await expect(startSimulator({ config: withoutEms, runtime: "node", ems: "mqtt://127.0.0.1:1", out: () => undefined, err: () => undefined })).rejects.toThrow(EMS_NEEDS_BLOCK);
  });

  it("provisions the broker URL as EmsCtrlr/Url", () => {
    expect(PROVISION_KEYS.emsUrl).toBe("EmsCtrlr/Url");
  });
});

// ---- Control API ----------------------------------------------------------------------------

describe("Control API: /api/ems/limit and the state's ems member", () => {
  let api: ControlApi;
  let port: number;
  let board: Board;
  const published: (EmsLimit | "clear")[] = [];
  let meter: unknown;
  let failNext: Error | undefined;
  const fakeEms: SimEms = {
    url: "mqtt://127.0.0.1:18830",
    publishLimit: async (l) => {
      if (failNext !== undefined) {
        const e = failNext;
        failNext = undefined;
        throw e;
      }
      published.push(l);
      return "ems/CP1/limit";
    },
    clearLimit: async () => {
      published.push("clear");
      return "ems/CP1/limit";
    },
    lastMeter: () => meter,
  };
  const sim: { -readonly [K in keyof SimControl]: SimControl[K] } = {} as SimControl;

  beforeAll(async () => {
    board = (await scriptedBoard(undefined)).board;
    Object.assign(sim, {
      board,
      tracker: new WireTracker(),
      runtime: "node",
      networkDown: () => undefined,
      networkUp: () => undefined,
      powerCycle: async () => undefined,
      idle: async () => undefined,
    });
    api = new ControlApi(sim);
    port = await api.listen(0);
  });
  afterAll(() => api?.close());
  afterEach(() => {
    sim.ems = undefined;
    published.length = 0;
    meter = undefined;
  });

  async function call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, {
      method,
      headers: body === undefined ? undefined : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  it("without an EMS: 404 no EMS in this build, and no ems in the state", async () => {
    for (const [m, body] of [
      ["POST", { limitW: 1000 }],
      ["DELETE", undefined],
    ] as const) {
      const r = await call(m, "/api/ems/limit", body);
      expect(r.status).toBe(404);
      expect(r.json.error).toMatch(/no EMS in this build/);
    }
    expect((await call("GET", "/api/state")).json).not.toHaveProperty("ems");
  });

  it("POST publishes a limit in W or A, validS passed on", async () => {
    sim.ems = fakeEms;
    expect(await call("POST", "/api/ems/limit", { limitW: 7400 })).toEqual({ status: 200, json: { published: true, topic: "ems/CP1/limit" } });
    expect((await call("POST", "/api/ems/limit", { limitA: 16, validS: 60 })).status).toBe(200);
    expect((await call("POST", "/api/ems/limit", { limitA: 0 })).status).toBe(200);
    expect(published).toEqual([{ limitW: 7400 }, { limitA: 16, validS: 60 }, { limitA: 0 }]);
  });

  it.each([
    [{}, /exactly one of limitW, limitA/],
    [{ limitW: 1000, limitA: 16 }, /exactly one of limitW, limitA/],
    [{ validS: 60 }, /exactly one of limitW, limitA/],
    [{ limitW: -1 }, /limitW must be a finite number >= 0/],
    [{ limitA: "16" }, /limitA must be a finite number >= 0/],
    [{ limitA: null }, /limitA must be a finite number >= 0/],
    ['{"limitW": 1e400}', /limitW must be a finite number >= 0/],
    [{ limitW: 1000, validS: 0 }, /validS must be an integer >= 1/],
    [{ limitW: 1000, validS: 1.5 }, /validS must be an integer >= 1/],
    [{ limitW: 1000, validS: "60" }, /validS must be an integer >= 1/],
    [{ limitW: 1000, unit: "W" }, /unknown field "unit"/],
    ["[1]", /JSON object/],
  ])("POST refuses %j with 400 and the reason", async (body, reason) => {
    sim.ems = fakeEms;
    const r = await call("POST", "/api/ems/limit", body);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(reason);
    expect(published).toEqual([]);
  });

  it("a publish the client cannot make is a 502 with its reason", async () => {
    sim.ems = fakeEms;
    failNext = new Error("client disconnecting");
    const r = await call("POST", "/api/ems/limit", { limitW: 10 });
    expect(r).toEqual({ status: 502, json: { error: "EMS publish failed: client disconnecting" } });
  });

  it("DELETE publishes {} (clears); a body is refused", async () => {
    sim.ems = fakeEms;
    expect(await call("DELETE", "/api/ems/limit")).toEqual({ status: 200, json: { published: true, topic: "ems/CP1/limit" } });
    expect(published).toEqual(["clear"]);
    expect((await call("DELETE", "/api/ems/limit", { limitW: 1 })).status).toBe(400);
  });

  it("GET /api/state shows the broker URL and the station's last meter message (null before any)", async () => {
    sim.ems = fakeEms;
    expect((await call("GET", "/api/state")).json.ems).toEqual({ url: "mqtt://127.0.0.1:18830", meter: null });
    meter = { powerW: 7360, evses: [{ evseId: 1, powerW: 7360, energyWh: 12, limitA: 10 }] };
    expect((await call("GET", "/api/state")).json.ems).toEqual({ url: "mqtt://127.0.0.1:18830", meter });
    expect((stateOf(sim) as { ems: unknown }).ems).toEqual({ url: "mqtt://127.0.0.1:18830", meter });
  });

  it("end to end: the route through a real EMS client reaches a subscriber on the broker", async () => {
    const client = new EmsClient(broker.url);
    try {
      await client.ready();
      sim.ems = { url: broker.url, publishLimit: (l) => client.publishLimit("CP5", l), clearLimit: () => client.clearLimit("CP5"), lastMeter: () => client.lastMeter("CP5") };
      const sub = await mqttClient();
      const got: string[] = [];
      sub.on("message", (_t, payload) => got.push(payload.toString()));
      await sub.subscribeAsync("ems/CP5/limit", { qos: 1 });
      expect(await call("POST", "/api/ems/limit", { limitW: 4200, validS: 900 })).toEqual({ status: 200, json: { published: true, topic: "ems/CP5/limit" } });
      expect((await call("DELETE", "/api/ems/limit")).status).toBe(200);
      await until(() => got.length === 2, "two messages");
      expect(got).toEqual(['{"limitW":4200,"validS":900}', "{}"]);
    } finally {
      await client.close();
    }
  });
});
