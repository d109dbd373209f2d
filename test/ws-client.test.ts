// hal/lib/ws-client.ts (an RFC 6455 client session over a byte stream) and hal/lib/websocket.ts (its
// frame codec) on every runtime (test/images/ws-client-probe.ts):
// (1) a conformance table against raw byte fixtures built here by hand: the opening handshake and its
//     refusals, masking, the three length forms, fragmentation both ways, control frames interleaved,
//     ping/pong, the close handshake, every protocol error and the size bound;
// (2) the `ws` package as the oracle: a real WebSocketServer on 127.0.0.1, the probe's bytes pumped
//     over a real TCP socket (node:net), messages of many sizes both ways, pings, close from each side;
// (3) seeded random byte streams fed to an open session: no error, buffers within the bound, a clean end;
// (4) the codec's round trip: frames made here read by ws's Receiver, frames made by ws's Sender read here.
// SHA-1 is the test's (node:crypto), handed to the probe per handshake; base64 is the probe's own.

import * as crypto from "node:crypto";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as wsPackage from "ws";
import { WebSocket, WebSocketServer } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import type { LuaVm } from "../sim/runtimes/lua-vm";
import { loadProbes, Probe } from "./probe";

let probes: Partial<Record<RuntimeName, Probe>> = {};
const vms: Partial<Record<RuntimeName, LuaVm>> = {};

beforeAll(async () => {
  probes = await loadProbes("ws-client-probe", () => import("./images/ws-client-probe"), vms);
}, 120000);

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const hex = (b: Buffer | string) => (typeof b === "string" ? Buffer.from(b, "latin1") : b).toString("hex");
const acceptOf = (key: string) => crypto.createHash("sha1").update(key + GUID).digest("base64");

// ---- what the probe answers ----

interface Step {
  head: string;
  /** Each write: its parts apart. */
  writes: Buffer[][];
  shuts: number;
  opens: string[];
  msgs: { binary: boolean; data: Buffer }[];
  closed: { code: number; reason: string }[];
  state: number;
  held: number;
}

function parse(out: string): Step {
  const s: Step = { head: "", writes: [], shuts: 0, opens: [], msgs: [], closed: [], state: -1, held: -1 };
  const lines = out.split("\n");
  if (/^(OK|NO|ERR)$/.test(lines[0])) s.head = lines.shift() as string;
  for (const l of lines) {
    const sp = l.indexOf(" ");
    const k = sp < 0 ? l : l.slice(0, sp);
    const rest = sp < 0 ? "" : l.slice(sp + 1);
    if (k === "send") s.writes.push(rest.split(".").map((h) => Buffer.from(h, "hex")));
    else if (k === "shut") s.shuts++;
    else if (k === "open") s.opens.push(rest);
    else if (k === "msg") s.msgs.push({ binary: rest[0] === "1", data: Buffer.from(rest.slice(2), "hex") });
    else if (k === "closed") {
      const [code, reason] = rest.split(" ");
      s.closed.push({ code: Number(code), reason: Buffer.from(reason ?? "", "hex").toString("latin1") });
    } else if (k === "state") {
      const [st, held] = rest.split(" ");
      s.state = Number(st);
      s.held = Number(held);
    } else if (l !== "") throw new Error(`unexpected probe line: ${l}`);
  }
  return s;
}

/** All bytes the session wrote in a step, joined. */
const bytesOf = (s: Step) => Buffer.concat(s.writes.flat());

// ---- frames, decoded and built here independently of the library ----

interface Frame {
  fin: boolean;
  rsv: number;
  op: number;
  masked: boolean;
  key: Buffer;
  /** The 7-bit length field: the length form used (<126, 126, 127). */
  len7: number;
  payload: Buffer;
}

/** Every frame in b (which must end with a whole frame), masked payloads unmasked. */
function decodeFrames(b: Buffer): Frame[] {
  const out: Frame[] = [];
  let at = 0;
  while (at < b.length) {
    const b0 = b[at];
    const b1 = b[at + 1];
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    let len = len7;
    let p = at + 2;
    if (len7 === 126) {
      len = b.readUInt16BE(p);
      p += 2;
    } else if (len7 === 127) {
      len = Number(b.readBigUInt64BE(p));
      p += 8;
    }
    const key = masked ? b.subarray(p, p + 4) : Buffer.alloc(0);
    if (masked) p += 4;
    if (p + len > b.length) throw new Error("partial frame");
    const payload = Buffer.from(b.subarray(p, p + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    out.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, op: b0 & 0x0f, masked, key: Buffer.from(key), len7, payload });
    at = p + len;
  }
  return out;
}

/** A frame as a server sends it (unmasked unless mask given), in the shortest length form unless form says. */
function frame(op: number, payload: Buffer | string, o: { fin?: boolean; rsv?: number; mask?: Buffer; form?: 7 | 16 | 64; len?: bigint } = {}): Buffer {
  const p = typeof payload === "string" ? Buffer.from(payload, "latin1") : payload;
  const len = o.len ?? BigInt(p.length);
  const form = o.form ?? (len < 126n ? 7 : len < 65536n ? 16 : 64);
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | op;
  const m = o.mask !== undefined ? 0x80 : 0;
  let h: Buffer;
  if (form === 7) h = Buffer.from([b0, m | Number(len)]);
  else if (form === 16) {
    h = Buffer.alloc(4);
    h[0] = b0;
    h[1] = m | 126;
    h.writeUInt16BE(Number(len), 2);
  } else {
    h = Buffer.alloc(10);
    h[0] = b0;
    h[1] = m | 127;
    h.writeBigUInt64BE(len, 2);
  }
  if (o.mask === undefined) return Buffer.concat([h, p]);
  const q = Buffer.from(p);
  for (let i = 0; i < q.length; i++) q[i] ^= o.mask[i & 3];
  return Buffer.concat([h, o.mask, q]);
}

const closeFrame = (code: number, reason = "") => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return frame(8, Buffer.concat([b, Buffer.from(reason, "latin1")]));
};

/** A deterministic pseudo-random source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const text = (n: number, seed = n) => {
  const r = rng(seed + 7);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(32 + Math.floor(r() * 95));
  return Buffer.from(s, "latin1");
};
const binary = (n: number, seed = n) => {
  const r = rng(seed + 11);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
};

// ---- sessions ----

interface Opts {
  url?: string;
  protocols?: string[];
  headers?: string[];
  maxMessage?: number;
  maxResponse?: number;
  fragment?: number;
  pingS?: number;
  pongS?: number;
  openS?: number;
  closeS?: number;
  utf8?: boolean;
}

function newLine(o: Opts): string {
  const f = [
    o.url ?? "ws://csms.example:9000/ocpp/CP001", (o.protocols ?? ["ocpp2.0.1"]).join(","), (o.headers ?? []).join("|"),
    o.maxMessage ?? 100000, o.maxResponse ?? 2048, o.fragment ?? 0, o.pingS ?? 0, o.pongS ?? 10, o.openS ?? 10, o.closeS ?? 10, o.utf8 === true ? 1 : 0,
  ];
  return "N" + f.join("\t");
}

/** The opening handshake request: its request line and headers (names in lower case). */
function request(b: Buffer): { line: string; headers: Map<string, string> } {
  const s = b.toString("latin1");
  expect(s.endsWith("\r\n\r\n")).toBe(true);
  const lines = s.slice(0, -4).split("\r\n");
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(":");
    expect(headers.has(l.slice(0, c).toLowerCase())).toBe(false);
    headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
  }
  return { line: lines[0], headers };
}

/** A response to the handshake; protocol null: no Sec-WebSocket-Protocol. */
function response(accept: string | undefined, extra: string[] = [], status = "101 Switching Protocols", protocol: string | null = "ocpp2.0.1"): string {
  const h = [`HTTP/1.1 ${status}`, "Upgrade: websocket", "Connection: Upgrade"];
  if (accept !== undefined) h.push(`Sec-WebSocket-Accept: ${accept}`);
  if (protocol !== null) h.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return [...h, ...extra].join("\r\n") + "\r\n\r\n";
}

describe.each(RUNTIMES)("WebSocket client on %s", (runtime) => {
  const run = (line: string) => parse((probes[runtime] as Probe)(line));
  const data = (b: Buffer | string) => run("D" + hex(b));

  /** A new session started at uptime t0: the request sent, the key's digest handed to the probe. Returns the key. */
  function start(o: Opts = {}, t0 = 1): string {
    expect(run(newLine(o)).head).toBe("OK");
    const s = run(`S${t0}`);
    expect(s.writes.length).toBe(1);
    const key = request(bytesOf(s)).headers.get("sec-websocket-key") as string;
    run(`H${hex(key + GUID)}\t${crypto.createHash("sha1").update(key + GUID).digest("hex")}`);
    return key;
  }

  /** A session open: started and answered 101 with the right Accept. */
  function open(o: Opts = {}, t0 = 1): void {
    const key = start(o, t0);
    const s = data(response(acceptOf(key), [], undefined, o.protocols?.length === 0 ? null : (o.protocols ?? ["ocpp2.0.1"])[0]));
    expect(s.opens.length).toBe(1);
    expect(s.state).toBe(2);
  }

  /** The session failed with code: a Close of that code sent (unless none is expected), the socket shut, closed reported once. */
  function failedWith(s: Step, code: number, reason?: RegExp, closeSent = true): void {
    if (closeSent) {
      const f = decodeFrames(bytesOf(s));
      expect(f.length).toBe(1);
      expect(f[0]).toMatchObject({ op: 8, fin: true, masked: true });
      expect(f[0].payload.readUInt16BE(0)).toBe(code);
    } else expect(s.writes).toEqual([]);
    expect(s.shuts).toBe(1);
    expect(s.closed.length).toBe(1);
    expect(s.closed[0].code).toBe(closeSent ? code : 1006);
    if (reason !== undefined) expect(s.closed[0].reason).toMatch(reason);
    expect(s.state).toBe(4);
    expect(s.held).toBe(0);
  }

  it("URLs: ws:// on 80 and wss:// on 443 by default (Host without the port), a port and a path; anything else refused", () => {
    for (const [url, line, host] of [
      ["ws://csms.example", "GET / HTTP/1.1", "csms.example"],
      ["wss://csms.example/ocpp/CP1", "GET /ocpp/CP1 HTTP/1.1", "csms.example"],
      ["ws://10.0.0.7:9000/a/b?c=d", "GET /a/b?c=d HTTP/1.1", "10.0.0.7:9000"],
      ["wss://h:443/x", "GET /x HTTP/1.1", "h"],
      ["ws://h:443/x", "GET /x HTTP/1.1", "h:443"],
    ]) {
      expect(run(newLine({ url })).head).toBe("OK");
      const r = request(bytesOf(run("S1")));
      expect(r.line).toBe(line);
      expect(r.headers.get("host")).toBe(host);
    }
    for (const url of ["http://x/", "ws://", "ws://:80/", "ws://x:0/", "ws://x:70000", "ws://x:1a/", "ws://x:/", "wss:/x"]) expect(run(newLine({ url })).head, url).toBe("ERR");
    expect(run(newLine({ headers: ["X-A: b\rc"] })).head).toBe("ERR");
    expect(run(newLine({ headers: ["X-A: b\nc"] })).head).toBe("ERR");
  });

  it("the opening handshake: GET with Host, Upgrade, Connection, a fresh random 16-byte key, version 13, the subprotocols and the extra headers", () => {
    expect(run(newLine({ protocols: ["ocpp2.0.1", "ocpp1.6"], headers: ["Authorization: Basic Q1AwMDE6c2VjcmV0"] })).head).toBe("OK");
    const keys = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const s = run(`S${i + 1}`);
      expect(s.writes.length).toBe(1);
      expect(s.state).toBe(1);
      const r = request(bytesOf(s));
      expect(r.line).toBe("GET /ocpp/CP001 HTTP/1.1");
      expect(r.headers.get("host")).toBe("csms.example:9000");
      expect(r.headers.get("upgrade")).toBe("websocket");
      expect(r.headers.get("connection")).toBe("Upgrade");
      expect(r.headers.get("sec-websocket-version")).toBe("13");
      expect(r.headers.get("sec-websocket-protocol")).toBe("ocpp2.0.1, ocpp1.6");
      expect(r.headers.get("authorization")).toBe("Basic Q1AwMDE6c2VjcmV0");
      const key = r.headers.get("sec-websocket-key") as string;
      // Base64 of exactly 16 bytes (the probe's encoder, checked against Node's).
      expect(key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(key, "base64").length).toBe(16);
      expect(Buffer.from(key, "base64").toString("base64")).toBe(key);
      keys.add(key);
    }
    expect(keys.size).toBe(4);
    // No subprotocol offered: no header for it.
    run(newLine({ protocols: [] }));
    expect(request(bytesOf(run("S1"))).headers.has("sec-websocket-protocol")).toBe(false);
  });

  it("a 101 with the Accept of our key opens: split across chunks (byte by byte), header names in any case, a frame right behind it", () => {
    const key = start();
    const resp = ["HTTP/1.1 101 Switching Protocols", "upgrade: WebSocket", "CONNECTION: keep-alive, Upgrade", `sec-websocket-accept: ${acceptOf(key)}`, "Sec-Websocket-Protocol: ocpp2.0.1", "Server: test", "", ""].join("\r\n");
    const all = Buffer.concat([Buffer.from(resp, "latin1"), frame(1, "[2,\"1\",\"Heartbeat\",{}]")]);
    const opens: string[] = [];
    const msgs: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const s = data(all.subarray(i, i + 1));
      opens.push(...s.opens);
      msgs.push(...s.msgs.map((m) => m.data.toString("latin1")));
      expect(s.writes).toEqual([]);
      expect(s.held).toBeLessThanOrEqual(resp.length);
    }
    expect(opens).toEqual(["ocpp2.0.1"]);
    expect(msgs).toEqual(['[2,"1","Heartbeat",{}]']);
    // Response and frames in one chunk.
    const key2 = start({}, 5);
    const s = data(Buffer.concat([Buffer.from(response(acceptOf(key2)), "latin1"), frame(1, "a"), frame(2, "bc")]));
    expect(s.opens).toEqual(["ocpp2.0.1"]);
    expect(s.msgs).toEqual([{ binary: false, data: Buffer.from("a") }, { binary: true, data: Buffer.from("bc") }]);
    // The second subprotocol offered, chosen.
    const key3 = start({ protocols: ["ocpp2.1", "ocpp2.0.1"] });
    expect(data(response(acceptOf(key3), [], undefined, "ocpp2.0.1")).opens).toEqual(["ocpp2.0.1"]);
    // None offered, none chosen.
    const key4 = start({ protocols: [] });
    expect(data(response(acceptOf(key4), [], undefined, null)).opens).toEqual([""]);
  });

  const refusals: [string, (key: string) => string, RegExp, Opts?][] = [
    ["an Accept of another key", () => response(acceptOf("dGhlIHNhbXBsZSBub25jZQ==")), /Accept/],
    ["an Accept of our key without the GUID", (k) => response(crypto.createHash("sha1").update(k).digest("base64")), /Accept/],
    ["no Accept", () => response(undefined), /Accept/],
    ["two Accepts", (k) => response(acceptOf(k), [`Sec-WebSocket-Accept: ${acceptOf(k)}`]), /twice/],
    ["a subprotocol not offered", (k) => response(acceptOf(k), [], undefined, "ocpp1.6"), /subprotocol/],
    ["no subprotocol chosen", (k) => response(acceptOf(k), [], undefined, null), /subprotocol/],
    ["a subprotocol when none was offered", (k) => response(acceptOf(k), [], undefined, "ocpp2.0.1"), /subprotocol/, { protocols: [] }],
    ["status 401", (k) => response(acceptOf(k), [], "401 Unauthorized"), /401/],
    ["status 200", (k) => response(acceptOf(k), [], "200 OK"), /200/],
    ["status 302 without headers", () => "HTTP/1.1 302 Found\r\n\r\n", /302/],
    ["HTTP/1.0", (k) => response(acceptOf(k)).replace("HTTP/1.1", "HTTP/1.0"), /HTTP/],
    ["a status that is no number", (k) => response(acceptOf(k), [], "1x1 Switching Protocols"), /HTTP/],
    ["no Upgrade header", (k) => response(acceptOf(k)).replace("Upgrade: websocket\r\n", ""), /Upgrade/],
    ["Upgrade: h2c", (k) => response(acceptOf(k)).replace("Upgrade: websocket", "Upgrade: h2c"), /Upgrade/],
    ["Connection: keep-alive", (k) => response(acceptOf(k)).replace("Connection: Upgrade", "Connection: keep-alive"), /Connection/],
    ["an extension not offered", (k) => response(acceptOf(k), ["Sec-WebSocket-Extensions: permessage-deflate"]), /extension/],
    ["a malformed header line", (k) => response(acceptOf(k), ["no colon here"]), /malformed/],
  ];

  it.each(refusals)("refused: %s (closed 1006, never opened)", (_name, answer, why, o) => {
    const key = start(o ?? {});
    const s = data(answer(key));
    expect(s.opens).toEqual([]);
    failedWith(s, 1006, why, false);
    // Nothing more from it.
    expect(data(frame(1, "x")).msgs).toEqual([]);
  });

  it("a response header block beyond maxResponse is refused before it ends, never held past the bound", () => {
    start({ maxResponse: 256 });
    const long = "HTTP/1.1 101 Switching Protocols\r\n" + "X-Pad: " + "a".repeat(400) + "\r\n";
    let closed: Step | undefined;
    for (let i = 0; i < long.length && closed === undefined; i += 50) {
      const s = data(long.slice(i, i + 50));
      expect(s.held).toBeLessThanOrEqual(256);
      if (s.closed.length > 0) closed = s;
    }
    expect(closed).toBeDefined();
    failedWith(closed as Step, 1006, /too large/, false);
    // In one chunk with frames after the limit: refused as well.
    start({ maxResponse: 256 });
    failedWith(data(long + "\r\n" + "x".repeat(1000)), 1006, /too large/, false);
  });

  it("client frames are masked, each with a fresh key; the payload unmasks to the message", () => {
    open();
    const keys = new Set<string>();
    for (const m of ["hello", "", "a", "[2,\"19\",\"Heartbeat\",{}]", "x".repeat(300)]) {
      const s = run(`M0\t${hex(m)}`);
      expect(s.head).toBe("OK");
      const f = decodeFrames(bytesOf(s));
      expect(f.length).toBe(1);
      expect(f[0]).toMatchObject({ fin: true, rsv: 0, op: 1, masked: true });
      expect(f[0].payload.toString("latin1")).toBe(m);
      if (m.length > 4) expect(bytesOf(s).includes(Buffer.from(m))).toBe(false);
      keys.add(hex(f[0].key));
    }
    expect(keys.size).toBe(5);
    const b = run(`M1\t${hex(binary(40))}`);
    expect(decodeFrames(bytesOf(b))[0]).toMatchObject({ op: 2, payload: binary(40) });
  });

  it("the length forms sent: 7 bits up to 125, 16 bits (126) up to 65535, 64 bits (127) beyond", () => {
    open();
    for (const [n, len7] of [[0, 0], [125, 125], [126, 126], [65535, 126], [65536, 127], [70000, 127]]) {
      const f = decodeFrames(bytesOf(run(`M1\t${hex(binary(n))}`)));
      expect(f.length).toBe(1);
      expect(f[0].len7).toBe(len7);
      expect(f[0].payload.equals(binary(n))).toBe(true);
    }
  });

  it("the length forms received: 7, 16 and 64 bits, also with the header in pieces", () => {
    open();
    for (const n of [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000]) {
      const s = data(frame(2, binary(n)));
      expect(s.msgs.length, `${n}`).toBe(1);
      expect(s.msgs[0].data.equals(binary(n))).toBe(true);
    }
    // A longer form than needed is read as well.
    expect(data(frame(1, "abc", { form: 64 })).msgs[0].data.toString()).toBe("abc");
    expect(data(frame(1, "abc", { form: 16 })).msgs[0].data.toString()).toBe("abc");
    // Header and payload byte by byte.
    const f = frame(1, text(70000));
    const msgs: Buffer[] = [];
    for (let i = 0; i < 12; i++) msgs.push(...data(f.subarray(i, i + 1)).msgs.map((m) => m.data));
    msgs.push(...data(f.subarray(12)).msgs.map((m) => m.data));
    expect(msgs.length).toBe(1);
    expect(msgs[0].equals(text(70000))).toBe(true);
  });

  it("fragmented messages received, with ping, pong and a fragment of each kind between; a ping answered at once with its payload", () => {
    open();
    const s1 = data(frame(1, "Hel", { fin: false }));
    expect(s1.msgs).toEqual([]);
    expect(s1.held).toBe(3);
    const s2 = data(frame(9, "p1"));
    const pong = decodeFrames(bytesOf(s2));
    expect(pong.length).toBe(1);
    expect(pong[0]).toMatchObject({ fin: true, op: 10, masked: true, payload: Buffer.from("p1") });
    const s3 = data(Buffer.concat([frame(0, "lo ", { fin: false }), frame(10, "unsolicited"), frame(0, "", { fin: false })]));
    expect(s3.writes).toEqual([]);
    expect(s3.msgs).toEqual([]);
    const s4 = data(frame(0, "world"));
    expect(s4.msgs).toEqual([{ binary: false, data: Buffer.from("Hello world") }]);
    expect(s4.held).toBe(0);
    // Binary, in many fragments delivered in one chunk, a ping with an empty payload in the middle.
    const parts = [binary(100, 1), binary(1, 2), binary(300, 3), binary(126, 4)];
    const chunk = Buffer.concat([frame(2, parts[0], { fin: false }), frame(0, parts[1], { fin: false }), frame(9, ""), frame(0, parts[2], { fin: false }), frame(0, parts[3])]);
    const s5 = data(chunk);
    expect(s5.msgs).toEqual([{ binary: true, data: Buffer.concat(parts) }]);
    expect(decodeFrames(bytesOf(s5))).toMatchObject([{ op: 10, payload: Buffer.alloc(0) }]);
    // 125 bytes of ping payload: the most a control frame may carry.
    expect(decodeFrames(bytesOf(data(frame(9, binary(125)))))[0].payload.equals(binary(125))).toBe(true);
    expect(data(frame(1, "still open")).msgs.length).toBe(1);
  });

  it("a long message sent in fragments of the configured size, the parts masked apart and never joined", () => {
    open({ fragment: 10 });
    const parts = ["abc", "defghijklmnop", "", "qrstuvwxy"];
    const s = run("M0\t" + parts.map((p) => hex(p)).join("\t"));
    expect(s.head).toBe("OK");
    expect(s.writes.length).toBe(3);
    const f = decodeFrames(bytesOf(s));
    expect(f.map((x) => [x.op, x.fin, x.payload.toString()])).toEqual([
      [1, false, "abcdefghij"],
      [0, false, "klmnopqrst"],
      [0, true, "uvwxy"],
    ]);
    // Each write is the header then one piece per part the frame covers (here: 2, 2 and 1).
    expect(s.writes.map((w) => w.length)).toEqual([3, 3, 2]);
    expect(s.writes[0][1].length).toBe(3);
    expect(s.writes[0][2].length).toBe(7);
    expect(new Set(f.map((x) => hex(x.key))).size).toBe(3);
    // Exactly the fragment size: one frame; one byte more: two.
    expect(decodeFrames(bytesOf(run(`M1\t${hex(binary(10))}`))).map((x) => [x.op, x.fin])).toEqual([[2, true]]);
    expect(decodeFrames(bytesOf(run(`M1\t${hex(binary(11))}`))).map((x) => [x.op, x.fin, x.payload.length])).toEqual([[2, false, 10], [0, true, 1]]);
    // A message in many parts across many fragments comes out whole.
    const big = text(1000);
    const cuts = [0, 7, 8, 333, 512, 999, 1000];
    const slices = cuts.slice(1).map((e, i) => big.subarray(cuts[i], e));
    const m = decodeFrames(bytesOf(run("M0\t" + slices.map((p) => hex(p)).join("\t"))));
    expect(m.length).toBe(100);
    expect(Buffer.concat(m.map((x) => x.payload)).equals(big)).toBe(true);
    expect(m.slice(1).every((x) => x.op === 0)).toBe(true);
  });

  it("our pings at pingS: a pong with the same payload keeps the connection, another pong does not; no pong within pongS closes it", () => {
    open({ pingS: 5, pongS: 3 }, 100);
    for (let t = 101; t < 105; t++) expect(run(`T${t}`).writes).toEqual([]);
    const p = decodeFrames(bytesOf(run("T105")));
    expect(p).toMatchObject([{ op: 9, fin: true, masked: true }]);
    expect(data(frame(10, p[0].payload)).writes).toEqual([]);
    // Answered: the next one 5 s later; a pong with another payload does not answer it.
    for (let t = 106; t < 110; t++) expect(run(`T${t}`).writes).toEqual([]);
    const q = decodeFrames(bytesOf(run("T110")));
    expect(q).toMatchObject([{ op: 9 }]);
    expect(q[0].payload.equals(p[0].payload)).toBe(false);
    data(frame(10, "other"));
    expect(run("T111").closed).toEqual([]);
    expect(run("T112").closed).toEqual([]);
    const s = run("T113");
    expect(s.closed).toEqual([{ code: 1006, reason: "no pong" }]);
    expect(s.shuts).toBe(1);
    expect(s.state).toBe(4);
    // pingS 0: never a ping.
    open({ pingS: 0 }, 1);
    for (let t = 2; t < 100; t++) expect(run(`T${t}`).writes).toEqual([]);
  });

  it("closed by the server: its Close echoed with the same code (none for none); the server's TCP close awaited (§7.1.1), then its code and reason reported", () => {
    for (const [code, reason] of [[1000, "bye"], [1001, ""], [4000, "app"], [3999, "x"]] as [number, string][]) {
      open();
      const s = data(closeFrame(code, reason));
      const f = decodeFrames(bytesOf(s));
      expect(f).toMatchObject([{ op: 8, fin: true, masked: true }]);
      expect(f[0].payload.readUInt16BE(0)).toBe(code);
      // The socket is left to the server to close.
      expect(s.shuts).toBe(0);
      expect(s.closed).toEqual([]);
      expect(s.state).toBe(5);
      expect(s.held).toBe(0);
      // Nothing more is read, sent or answered.
      const after = data(Buffer.concat([frame(1, "after"), frame(9, "p"), closeFrame(1000)]));
      expect([after.msgs, after.writes, after.closed, after.shuts]).toEqual([[], [], [], 0]);
      expect(run(`M0\t${hex("x")}`).head).toBe("NO");
      expect(run(`X1000\t`).writes).toEqual([]);
      // The server's TCP close ends it, with the server's code and reason; once.
      const l = run("L");
      expect(l.closed).toEqual([{ code, reason }]);
      expect(l.shuts).toBe(0);
      expect(l.state).toBe(4);
      expect(run("L").closed).toEqual([]);
    }
    open();
    const e = data(frame(8, ""));
    expect(decodeFrames(bytesOf(e))).toMatchObject([{ op: 8, payload: Buffer.alloc(0) }]);
    expect(e.closed).toEqual([]);
    expect(run("L").closed).toEqual([{ code: 1005, reason: "" }]);
    // A Close in the middle of a fragmented message.
    open();
    data(frame(1, "part", { fin: false }));
    expect(data(closeFrame(1000)).state).toBe(5);
    expect(run("L").closed).toEqual([{ code: 1000, reason: "" }]);
    // The server never closes TCP: we close it closeS seconds after its Close, not before; the
    // Closes were exchanged, so its code and reason are reported all the same.
    open({ closeS: 4 }, 10);
    run("T20");
    expect(data(closeFrame(4001, "bye")).state).toBe(5);
    for (let t = 21; t < 24; t++) {
      const w = run(`T${t}`);
      expect([w.closed, w.shuts, w.writes, w.state]).toEqual([[], 0, [], 5]);
    }
    const to = run("T24");
    expect(to.shuts).toBe(1);
    expect(to.writes).toEqual([]);
    expect(to.closed).toEqual([{ code: 4001, reason: "bye" }]);
    expect(to.state).toBe(4);
    expect(run("L").closed).toEqual([]);
    expect(run("T40").shuts).toBe(0);
  });

  it("closed by us: a Close with our code and reason; ended when the server's Close comes (messages before it delivered), or after closeS", () => {
    open({ closeS: 4 }, 10);
    const s = run(`X1000\t${hex("done")}`);
    const f = decodeFrames(bytesOf(s));
    expect(f).toMatchObject([{ op: 8, fin: true, masked: true }]);
    expect(f[0].payload.readUInt16BE(0)).toBe(1000);
    expect(f[0].payload.subarray(2).toString()).toBe("done");
    expect(s.state).toBe(3);
    expect(s.shuts).toBe(0);
    // Nothing more may be sent; a second close sends nothing.
    expect(run(`M0\t${hex("x")}`).head).toBe("NO");
    expect(run(`X1000\t`).writes).toEqual([]);
    // A message still in flight is delivered; a ping is not answered any more.
    const m = data(Buffer.concat([frame(1, "late"), frame(9, "p")]));
    expect(m.msgs.length).toBe(1);
    expect(m.writes).toEqual([]);
    // The server's Close: not answered (ours went first); the server's TCP close awaited (§7.1.1).
    const e = data(closeFrame(1000, "ok"));
    expect(e.writes).toEqual([]);
    expect(e.shuts).toBe(0);
    expect(e.closed).toEqual([]);
    expect(e.state).toBe(5);
    expect(run("T12").closed).toEqual([]);
    const l = run("L");
    expect(l.shuts).toBe(0);
    expect(l.closed).toEqual([{ code: 1000, reason: "ok" }]);
    // The server answers but keeps TCP open: closed by us closeS after our Close, with its code.
    open({ closeS: 4 }, 10);
    run(`X1000\t`);
    run("T12");
    expect(data(closeFrame(1000)).state).toBe(5);
    expect(run("T13").shuts).toBe(0);
    const late = run("T14");
    expect(late.shuts).toBe(1);
    expect(late.closed).toEqual([{ code: 1000, reason: "" }]);
    // The server never answers.
    open({ closeS: 4 }, 10);
    run(`X4001\t${hex("going")}`);
    for (let t = 11; t < 14; t++) expect(run(`T${t}`).closed).toEqual([]);
    const to = run("T14");
    expect(to.closed).toEqual([{ code: 1006, reason: "close timed out" }]);
    expect(to.shuts).toBe(1);
    // A reason too long for a control frame is cut to fit.
    open();
    const long = decodeFrames(bytesOf(run(`X1000\t${hex("r".repeat(200))}`)));
    expect(long[0].payload.length).toBe(125);
    // A code no Close may carry goes as 1000.
    for (const code of [1005, 1006, 999, 70000]) {
      open();
      expect(decodeFrames(bytesOf(run(`X${code}\t`)))[0].payload.readUInt16BE(0)).toBe(1000);
    }
    // Before the handshake ends: just dropped.
    start();
    const d = run(`X1000\t`);
    expect(d.writes).toEqual([]);
    expect(d.shuts).toBe(1);
    expect(d.closed.map((c) => c.code)).toEqual([1006]);
  });

  const protocolErrors: [string, Buffer, number?][] = [
    ["a masked frame from the server", frame(1, "hi", { mask: Buffer.from([1, 2, 3, 4]) })],
    ["RSV1 set", frame(1, "hi", { rsv: 4 })],
    ["RSV2 set", frame(1, "hi", { rsv: 2 })],
    ["RSV3 set on a ping", frame(9, "hi", { rsv: 1 })],
    ["opcode 3", frame(3, "hi")],
    ["opcode 7", frame(7, "hi")],
    ["opcode 11", frame(11, "")],
    ["opcode 15", frame(15, "")],
    ["a fragmented ping", frame(9, "hi", { fin: false })],
    ["a fragmented close", frame(8, "\x03\xe8", { fin: false })],
    ["a ping of 126 bytes", frame(9, binary(126))],
    ["a close of 126 bytes", frame(8, Buffer.concat([Buffer.from([3, 232]), binary(124)]))],
    ["a pong announcing 2^32 bytes", frame(10, "", { len: 2n ** 32n })],
    ["a continuation without a message", frame(0, "hi")],
    ["a text frame inside a fragmented message", Buffer.concat([frame(1, "a", { fin: false }), frame(1, "b")])],
    ["a binary frame inside a fragmented message", Buffer.concat([frame(2, "a", { fin: false }), frame(2, "b")])],
    ["a close of one byte", frame(8, "\x03")],
    ["close code 999", closeFrame(999)],
    ["close code 1005", closeFrame(1005)],
    ["close code 1006", closeFrame(1006)],
    ["close code 1015", closeFrame(1015)],
    ["close code 5000", closeFrame(5000)],
    ["a message announced beyond maxMessage", frame(2, "", { len: 100001n }), 1009],
    ["fragments adding up beyond maxMessage", Buffer.concat([frame(2, binary(60000), { fin: false }), frame(0, "", { len: 40001n })]), 1009],
    ["a length of 2^63", frame(1, "", { len: 2n ** 63n }), 1009],
    ["a length of 2^32", frame(1, "", { len: 2n ** 32n }), 1009],
  ];

  it.each(protocolErrors)("failed: %s (Close sent with 1002 / 1009, the socket shut, nothing kept)", (_name, bytes, code = 1002) => {
    open();
    const s = data(bytes);
    expect(s.msgs).toEqual([]);
    failedWith(s, code);
    expect(data(frame(1, "x")).msgs).toEqual([]);
  });

  it("a too-big message is refused at its header: no payload byte arrived yet, nothing buffered, and what follows is not read", () => {
    open({ maxMessage: 1000 });
    expect(data(frame(1, binary(1000))).msgs.length).toBe(1);
    const head = frame(2, binary(1001)).subarray(0, 4);
    const s = data(head);
    failedWith(s, 1009, /too big/);
  });

  it("UTF-8 checked when asked: invalid text (also split across fragments) or close reason -> 1007; unchecked it is delivered", () => {
    const bad = [Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xff])];
    for (const b of bad) {
      open({ utf8: true });
      failedWith(data(frame(1, b)), 1007, /UTF-8/);
    }
    open({ utf8: true });
    const good = Buffer.from("Grüße € 𝄞", "utf8");
    expect(data(Buffer.concat([frame(1, good.subarray(0, 3), { fin: false }), frame(0, good.subarray(3))])).msgs[0].data.equals(good)).toBe(true);
    // Binary is not checked.
    expect(data(frame(2, Buffer.from([0xff]))).msgs.length).toBe(1);
    failedWith(data(Buffer.concat([frame(1, Buffer.from([0xe2]), { fin: false }), frame(0, Buffer.from([0x28, 0xa1]))])), 1007);
    open({ utf8: true });
    failedWith(data(Buffer.concat([Buffer.from([0x88, 4, 3, 232]), Buffer.from([0xc3, 0x28])])), 1007);
    open({ utf8: false });
    expect(data(frame(1, Buffer.from([0xff]))).msgs[0].data).toEqual(Buffer.from([0xff]));
  });

  it("the connection lost or the handshake too slow: closed 1006 once, no Close sent; nothing sent or received afterwards", () => {
    open();
    const l = run("L");
    expect(l.closed).toEqual([{ code: 1006, reason: "connection lost" }]);
    expect(l.shuts).toBe(0);
    expect(l.writes).toEqual([]);
    expect(run("L").closed).toEqual([]);
    expect(run(`M0\t${hex("x")}`).head).toBe("NO");
    start({ openS: 5 }, 20);
    for (let t = 21; t < 25; t++) expect(run(`T${t}`).closed).toEqual([]);
    const to = run("T25");
    expect(to.closed).toEqual([{ code: 1006, reason: "handshake timed out" }]);
    expect(to.shuts).toBe(1);
    expect(run(`M0\t${hex("x")}`).head).toBe("NO");
    // A session starts again on the same client.
    const key = start({}, 30);
    expect(data(response(acceptOf(key))).opens.length).toBe(1);
  });
});

// ---- (3) random input ----

describe.each(RUNTIMES)("WebSocket client on %s: random byte streams", (runtime) => {
  const run = (line: string) => parse((probes[runtime] as Probe)(line));
  const MAX = 512;

  /** A random stream: frame headers of every kind (any length form, lengths near and far past the bound), payloads, noise. */
  function stream(r: () => number): Buffer {
    const out: Buffer[] = [];
    const n = 1 + Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      const kind = r();
      if (kind < 0.15) out.push(binary(Math.floor(r() * 40), Math.floor(r() * 1e9)));
      // At times a well-formed Close from the server (echoed, then its TCP close awaited).
      else if (kind < 0.2) out.push(closeFrame([1000, 1001, 4000][Math.floor(r() * 3)], "bye".slice(0, Math.floor(r() * 4))));
      else {
        // Mostly well-formed: FIN and opcode from the usual ones, at times reserved bits or odd opcodes.
        const ops = [0, 1, 2, 8, 9, 10];
        const op = r() < 0.9 ? ops[Math.floor(r() * ops.length)] : Math.floor(r() * 16);
        const fin = r() < 0.7;
        const rsv = r() < 0.05 ? 1 + Math.floor(r() * 7) : 0;
        const lenKind = r();
        const len = lenKind < 0.6 ? Math.floor(r() * 130) : lenKind < 0.85 ? Math.floor(r() * 700) : lenKind < 0.95 ? Math.floor(r() * 70000) : Math.floor(r() * 2 ** 40);
        const form = r() < 0.1 ? 64 : undefined;
        let payload = binary(Math.min(len, 800), Math.floor(r() * 1e9));
        if (op === 8 && r() < 0.5 && payload.length >= 2) payload.writeUInt16BE([1000, 1001, 1002, 3000, 4999, 999, 1005][Math.floor(r() * 7)]);
        if (r() < 0.2) payload = payload.subarray(0, Math.floor(r() * payload.length));
        const mask = r() < 0.05 ? Buffer.from([1, 2, 3, 4]) : undefined;
        const f = frame(op, payload, { fin, rsv, mask, form, len: BigInt(len) });
        out.push(f.subarray(0, Math.min(f.length, 2 + 8 + 4 + payload.length)));
      }
    }
    return Buffer.concat(out);
  }

  it("never raise, never hold more than the bound, and end closed (a Close of the failure's code sent first) or open and intact", () => {
    const r = rng(runtime.length * 7919 + 17);
    const streams = runtime.startsWith("lua5.3-") ? 60 : 150;
    expect(run(newLine({ maxMessage: MAX, utf8: true })).head).toBe("OK");
    const vm = vms[runtime];
    let baseline = 0;
    let ended = 0;
    let failures = 0;
    let echoes = 0;
    for (let k = 0; k < streams; k++) {
      const s0 = run(`S${k + 1}`);
      const key = request(bytesOf(s0)).headers.get("sec-websocket-key") as string;
      run(`H${hex(key + GUID)}\t${crypto.createHash("sha1").update(key + GUID).digest("hex")}`);
      expect(run("D" + hex(response(acceptOf(key)))).state).toBe(2);
      if (k === 1 && vm !== undefined && (runtime === "lua5.1" || runtime === "lua5.3")) baseline = vm.heapKb(true);
      const bytes = stream(r);
      let closed: { code: number; reason: string }[] = [];
      let state = 2;
      // The code of our echo of the server's Close (state 5: its TCP close awaited).
      let echoed = 0;
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + Math.floor(r() * 200);
        const s = run("D" + hex(bytes.subarray(at, at + n)));
        at += n;
        expect(s.held).toBeLessThanOrEqual(MAX + 125 + 13);
        for (const m of s.msgs) expect(m.data.length).toBeLessThanOrEqual(MAX);
        if (state === 5) expect([s.writes, s.msgs, s.closed, s.shuts, s.state]).toEqual([[], [], [], 0, 5]);
        else if (s.state === 5) {
          // The server's Close: echoed last, the socket left open, nothing held, no closed yet.
          expect([s.closed, s.shuts, s.held]).toEqual([[], 0, 0]);
          const f = decodeFrames(bytesOf(s));
          const last = f[f.length - 1];
          expect(last.op).toBe(8);
          echoed = last.payload.length >= 2 ? last.payload.readUInt16BE(0) : 1005;
          echoes++;
        } else if (s.closed.length > 0) {
          expect(closed).toEqual([]);
          closed = s.closed;
          expect(s.shuts).toBe(1);
          expect(s.held).toBe(0);
          // The last thing written is a Close with the failure's code.
          const f = decodeFrames(bytesOf(s));
          const last = f[f.length - 1];
          expect(last.op).toBe(8);
          expect(last.payload.readUInt16BE(0)).toBe(closed[0].code);
          expect([1002, 1007, 1009]).toContain(closed[0].code);
          failures++;
        } else if (s.writes.length > 0) {
          // Only pongs, each a whole masked frame.
          for (const f of decodeFrames(bytesOf(s))) expect(f).toMatchObject({ op: 10, masked: true, fin: true });
        }
        state = s.state;
      }
      if (state === 4) ended++;
      else if (state === 5) {
        // The server's TCP close ends it with the code echoed.
        const l = run("L");
        expect(l.closed.map((c) => c.code)).toEqual([echoed]);
        expect(l.shuts).toBe(0);
        ended++;
      } else {
        expect(state).toBe(2);
        expect(closed).toEqual([]);
        // Intact: the connection lost now ends it once, with nothing left held.
        const l = run("L");
        expect(l.closed.map((c) => c.code)).toEqual([1006]);
        expect(l.held).toBe(0);
      }
    }
    // The streams reach both ends, and the failures among them.
    expect(ended).toBeGreaterThan(streams / 10);
    expect(ended).toBeLessThan(streams);
    expect(failures).toBeGreaterThan(0);
    expect(echoes).toBeGreaterThan(0);
    if (baseline > 0) expect((vm as LuaVm).heapKb(true) - baseline).toBeLessThan(8);
  }, 300000);
});

// ---- (2) the ws package as the oracle, over real TCP ----

interface Live {
  run: (line: string) => Step;
  sock: net.Socket;
  server: WebSocket;
  msgs: { binary: boolean; data: Buffer }[];
  closed: { code: number; reason: string }[];
  opened: string[];
  serverMsgs: { binary: boolean; data: Buffer }[];
  serverPongs: Buffer[];
  serverClose: { code: number; reason: string }[];
  shut: boolean;
  lost: boolean;
}

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let wssPort = 0;
const serverSockets: WebSocket[] = [];
async function wsServer(): Promise<number> {
  if (wssPort !== 0) return wssPort;
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (offered) => (offered.has("ocpp2.0.1") ? "ocpp2.0.1" : false), maxPayload: 1 << 20 });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  wss.on("connection", (ws) => serverSockets.push(ws));
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  wssPort = (wss.address() as AddressInfo).port;
  return wssPort;
}

describe.each(RUNTIMES)("WebSocket client on %s against the ws package over TCP", (runtime) => {
  /** A session over a real socket to the ws server; every output of the probe is acted on at once. */
  async function connect(o: Opts = {}): Promise<Live> {
    const port = await wsServer();
    const before = serverSockets.length;
    const live = await dial(port, o);
    await until(() => live.opened.length > 0 && serverSockets.length > before, "the open");
    live.server = serverSockets[serverSockets.length - 1];
    live.server.on("message", (d: Buffer, isBinary: boolean) => live.serverMsgs.push({ binary: isBinary, data: Buffer.from(d) }));
    live.server.on("pong", (d: Buffer) => live.serverPongs.push(Buffer.from(d)));
    live.server.on("close", (code: number, reason: Buffer) => live.serverClose.push({ code, reason: reason.toString() }));
    expect(live.opened).toEqual(["ocpp2.0.1"]);
    expect(live.server.protocol).toBe("ocpp2.0.1");
    return live;
  }

  /** The probe's client over a real socket to a server on port, its handshake sent. */
  async function dial(port: number, o: Opts): Promise<Live> {
    const probe = probes[runtime] as Probe;
    const before = serverSockets.length;
    const sock = net.connect(port, "127.0.0.1");
    cleanups.push(() => sock.destroy());
    await new Promise<void>((r, j) => sock.once("connect", () => r()).once("error", j));
    const live = { sock, msgs: [], closed: [], opened: [], serverMsgs: [], serverPongs: [], serverClose: [], shut: false, lost: false } as unknown as Live;
    const act = (s: Step) => {
      for (const w of s.writes) {
        const b = Buffer.concat(w);
        if (b.subarray(0, 4).toString("latin1") === "GET ") {
          const key = request(b).headers.get("sec-websocket-key") as string;
          probe(`H${hex(key + GUID)}\t${crypto.createHash("sha1").update(key + GUID).digest("hex")}`);
        }
        sock.write(b);
      }
      if (s.shuts > 0) {
        live.shut = true;
        sock.end();
      }
      live.opened.push(...s.opens);
      live.msgs.push(...s.msgs);
      live.closed.push(...s.closed);
      return s;
    };
    live.run = (line) => act(parse(probe(line)));
    sock.on("data", (d: Buffer) => live.run("D" + d.toString("hex")));
    sock.on("close", () => {
      live.lost = true;
      live.run("L");
    });
    expect(live.run(newLine({ url: `ws://127.0.0.1:${port}/ocpp/CP001`, headers: ["Authorization: Basic Q1AwMDE6cHc="], ...o })).head).toBe("OK");
    live.run("S1");
    return live;
  }

  /** A ws server that answers the handshake wrongly: a subprotocol chosen, or its headers changed. */
  async function badServer(protocol: string, headers: (h: string[]) => void = () => undefined): Promise<{ port: number; opened: WebSocket[] }> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => protocol });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    wss.on("headers", headers);
    const opened: WebSocket[] = [];
    wss.on("connection", (ws) => opened.push(ws));
    cleanups.push(() => {
      for (const c of wss.clients) c.terminate();
      return new Promise<void>((r) => wss.close(() => r()));
    });
    return { port: (wss.address() as AddressInfo).port, opened };
  }

  it.each([
    ["a subprotocol it was not offered (chat)", "chat", undefined, /subprotocol/],
    ["an Accept of another key", "ocpp2.0.1", (h: string[]) => {
      const i = h.findIndex((l) => /^Sec-WebSocket-Accept:/i.test(l));
      h[i] = `Sec-WebSocket-Accept: ${crypto.createHash("sha1").update("dGhlIHNhbXBsZSBub25jZQ==" + GUID).digest("base64")}`;
    }, /Accept/],
  ] as [string, string, ((h: string[]) => void) | undefined, RegExp][])("a ws server answering with %s: refused, closed 1006, never opened, the socket shut", async (_name, protocol, headers, why) => {
    const bad = await badServer(protocol, headers);
    const live = await dial(bad.port, {});
    await until(() => live.closed.length > 0, "the refusal");
    expect(live.opened).toEqual([]);
    expect(live.closed[0].code).toBe(1006);
    expect(live.closed[0].reason).toMatch(why);
    expect(live.shut).toBe(true);
    // The socket's end reaches the probe here, not the next test's session.
    await until(() => live.lost, "the socket's end");
    expect(live.closed.length).toBe(1);
  }, 60000);

  const SIZES = [0, 1, 125, 126, 127, 1000, 4097, 65535, 65536, 70000];

  it("messages of every length form both ways, whole and fragmented (a ping from the server between fragments), closed by the server", async () => {
    const live = await connect({ fragment: 4096 });
    // Client to server: text and binary, in up to three parts; above 4096 bytes in fragments.
    for (const [i, n] of SIZES.entries()) {
      const isBin = i % 2 === 1;
      const m = isBin ? binary(n) : text(n);
      const cut = [Math.floor(n / 3), Math.floor((2 * n) / 3)];
      const parts = [m.subarray(0, cut[0]), m.subarray(cut[0], cut[1]), m.subarray(cut[1])];
      expect(live.run(`M${isBin ? 1 : 0}\t` + parts.map((p) => hex(p)).join("\t")).head).toBe("OK");
      await until(() => live.serverMsgs.length === i + 1, `message ${n} at the server`);
      expect(live.serverMsgs[i].binary).toBe(isBin);
      expect(live.serverMsgs[i].data.equals(m), `${n} bytes to the server`).toBe(true);
    }
    // Server to client.
    for (const [i, n] of SIZES.entries()) {
      const isBin = i % 2 === 0;
      const m = isBin ? binary(n, 3) : text(n, 3);
      live.server.send(m, { binary: isBin });
      await until(() => live.msgs.length === i + 1, `message ${n} at the client`);
      expect(live.msgs[i].binary).toBe(isBin);
      expect(live.msgs[i].data.equals(m), `${n} bytes to the client`).toBe(true);
    }
    // Fragmented by the server, its ping in between.
    const a = text(3000, 1);
    const b = text(70000, 2);
    const c = text(5, 3);
    live.server.send(a, { binary: false, fin: false });
    live.server.send(b, { binary: false, fin: false });
    live.server.ping(Buffer.from("abc"));
    live.server.send(c, { binary: false, fin: true });
    await until(() => live.msgs.length === SIZES.length + 1 && live.serverPongs.length === 1, "the fragmented message and the pong");
    expect(live.msgs[SIZES.length].data.equals(Buffer.concat([a, b, c]))).toBe(true);
    expect(live.serverPongs[0].toString()).toBe("abc");
    // Closed by the server: the echo has its code; ws then closes TCP (§7.1.1: the server first), and
    // only that ends the client's session, with the server's code and reason.
    live.server.close(4001, "bye");
    await until(() => live.closed.length > 0 && live.serverClose.length > 0, "the close");
    expect(live.closed).toEqual([{ code: 4001, reason: "bye" }]);
    // Our echo: the same code, no reason.
    expect(live.serverClose).toEqual([{ code: 4001, reason: "" }]);
    expect(live.lost).toBe(true);
    expect(live.shut).toBe(false);
    expect(live.closed.length).toBe(1);
  }, 120000);

  it("closed by the client: the server sees our code and reason and answers; our pings answered by ws keep the connection", async () => {
    const live = await connect({ pingS: 2, pongS: 2 });
    for (let t = 2; t <= 12; t++) {
      live.run(`T${t}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(live.closed).toEqual([]);
    live.run(`M0\t${hex("after pings")}`);
    await until(() => live.serverMsgs.length === 1, "the message");
    live.run(`X1000\t${hex("done")}`);
    await until(() => live.closed.length > 0 && live.serverClose.length > 0, "the close");
    expect(live.serverClose).toEqual([{ code: 1000, reason: "done" }]);
    // ws echoes our code and reason, then closes TCP: the client waited for that (§7.1.1).
    expect(live.closed).toEqual([{ code: 1000, reason: "done" }]);
    expect(live.lost).toBe(true);
    expect(live.shut).toBe(false);
  }, 60000);

  it.each([
    ["the server's Close, echoed", false],
    ["our Close, answered", true],
  ])("a raw server that keeps TCP open after %s: the client closes it closeS later, not before", async (_name, ours) => {
    // A hand-written server: the 101, then Closes as the test says, and never a FIN of its own.
    let peer: net.Socket | undefined;
    let request = Buffer.alloc(0);
    let got = Buffer.alloc(0);
    let ended = false;
    const srv = net.createServer((c) => {
      peer = c;
      c.on("data", (d: Buffer) => {
        if (request.indexOf("\r\n\r\n") < 0) {
          request = Buffer.concat([request, d]);
          const end = request.indexOf("\r\n\r\n");
          if (end < 0) return;
          const key = /sec-websocket-key: *(\S+)/i.exec(request.subarray(0, end).toString("latin1"))?.[1] as string;
          c.write(response(acceptOf(key)));
        } else got = Buffer.concat([got, d]);
      });
      c.on("end", () => (ended = true));
      c.on("error", () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
    cleanups.push(() => peer?.destroy());
    const live = await dial((srv.address() as AddressInfo).port, { closeS: 5 });
    await until(() => live.opened.length > 0, "the open");
    live.run("T10");
    if (ours) live.run(`X1000\t`);
    else peer?.write(closeFrame(1001, "away"));
    // A Close of ours (the echo, or ours first) reaches the server: 2 + 4 + 2 bytes.
    await until(() => got.length >= 8, "our Close at the server");
    expect(decodeFrames(got)).toMatchObject([{ op: 8, masked: true }]);
    if (ours) peer?.write(closeFrame(1000, "ok"));
    await new Promise((r) => setTimeout(r, 100));
    for (let t = 11; t < 15; t++) {
      live.run(`T${t}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Both Closes went, the socket is still open: the client waits for the server's FIN (§7.1.1).
    expect([live.closed, live.shut, ended, live.lost]).toEqual([[], false, false, false]);
    live.run("T15");
    expect(live.shut).toBe(true);
    expect(live.closed).toEqual([ours ? { code: 1000, reason: "ok" } : { code: 1001, reason: "away" }]);
    await until(() => ended, "the client's FIN at the server");
    expect(got.length).toBe(8);
    // The socket's end reaches the probe here, not the next test's session.
    await until(() => live.lost, "the socket's end");
    expect(live.closed.length).toBe(1);
  }, 60000);

  it("a protocol error from a real peer: the ws server's frame too big for us -> Close 1009 reaches the server", async () => {
    const live = await connect({ maxMessage: 1000 });
    live.server.send(text(1001));
    await until(() => live.closed.length > 0 && live.serverClose.length > 0, "the close");
    expect(live.closed.map((c) => c.code)).toEqual([1009]);
    expect(live.serverClose.map((c) => c.code)).toEqual([1009]);
  }, 60000);
});

// ---- (4) the codec against ws's Receiver and Sender ----

interface WsReceiver {
  on(ev: "message", f: (d: Buffer | Buffer[], isBinary: boolean) => void): void;
  on(ev: "ping" | "pong", f: (d: Buffer) => void): void;
  on(ev: "conclude", f: (code: number, reason: Buffer) => void): void;
  on(ev: "error", f: (e: Error) => void): void;
  write(b: Buffer): void;
}
// Not in @types/ws: the package exports them all the same.
const wsLib = wsPackage as unknown as {
  Receiver: new (o: { isServer: boolean; maxPayload: number }) => WsReceiver;
  Sender: { frame(data: Buffer, o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

describe.each(RUNTIMES)("the frame codec on %s against ws's Receiver and Sender", (runtime) => {
  const probe = (line: string) => (probes[runtime] as Probe)(line);
  const gen = (fin: boolean, op: number, key: Buffer, parts: Buffer[]) => {
    const out = probe(`G${fin ? 1 : 0}\t${op}\t${hex(key)}\t` + parts.map((p) => hex(p)).join("\t"));
    expect(out.startsWith("bytes ")).toBe(true);
    return Buffer.from(out.slice(6), "hex");
  };

  it("frames generated here (masked, every length form, fragments, control frames) are read by ws's Receiver", async () => {
    const rx = new wsLib.Receiver({ isServer: true, maxPayload: 0 });
    const got: string[] = [];
    rx.on("message", (d, isBinary) => got.push(`msg ${isBinary ? 1 : 0} ${hex(Buffer.isBuffer(d) ? d : Buffer.concat(d))}`));
    rx.on("ping", (d) => got.push(`ping ${hex(d)}`));
    rx.on("pong", (d) => got.push(`pong ${hex(d)}`));
    rx.on("conclude", (code, reason) => got.push(`close ${code} ${reason.toString()}`));
    rx.on("error", (e) => got.push(`error ${e.message}`));
    const want: string[] = [];
    let k = 0;
    const key = () => Buffer.from([k * 37 + 1, k * 11 + 2, k * 5 + 200, k++ * 3]);
    for (const n of [0, 1, 2, 3, 4, 5, 125, 126, 127, 65535, 65536]) {
      const m = binary(n, n + 1);
      const parts = n > 3 ? [m.subarray(0, 1), m.subarray(1, 3), m.subarray(3)] : [m];
      rx.write(gen(true, 2, key(), parts));
      want.push(`msg 1 ${hex(m)}`);
    }
    const t = text(200);
    rx.write(gen(false, 1, key(), [t.subarray(0, 50)]));
    rx.write(gen(true, 9, key(), [Buffer.from("ping!")]));
    rx.write(gen(false, 0, key(), [t.subarray(50, 51), t.subarray(51, 150)]));
    rx.write(gen(true, 10, key(), []));
    rx.write(gen(true, 0, key(), [t.subarray(150)]));
    want.push(`ping ${hex("ping!")}`, `pong `, `msg 0 ${hex(t)}`);
    rx.write(gen(true, 8, key(), [Buffer.from([0x03, 0xe9]), Buffer.from("going")]));
    want.push("close 1001 going");
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(got).toEqual(want);
  });

  it("frames generated by ws's Sender (masked or not, every length form) are read here; incomplete ones wait, long ones are refused", () => {
    for (const n of [0, 1, 125, 126, 127, 65535, 65536]) {
      for (const mask of [false, true]) {
        const m = binary(n, n + 5);
        const bytes = Buffer.concat(wsLib.Sender.frame(Buffer.from(m), { fin: n % 2 === 0, opcode: n % 3 === 0 ? 1 : 2, mask, readOnly: true, rsv1: false }));
        const out = probe(`F100000\t${hex(bytes)}`).split("\n");
        expect(out).toEqual([`frame ${n % 2 === 0 ? 1 : 0} 0 ${n % 3 === 0 ? 1 : 2} ${mask ? 1 : 0} ${hex(m)}`, "rest 0"]);
        // Cut short: nothing yet, all of it left.
        const cut = bytes.subarray(0, bytes.length - 1);
        expect(probe(`F100000\t${hex(cut)}`)).toBe(`rest ${cut.length}`);
        // Longer than allowed: refused from the header alone.
        if (n > 0) expect(probe(`F${n - 1}\t${hex(bytes.subarray(0, 14))}`)).toBe("toolong");
      }
    }
    // Several frames back to back, control and RSV bits as they are.
    const seq = Buffer.concat([
      ...wsLib.Sender.frame(Buffer.from("ab"), { fin: false, opcode: 1, mask: false, readOnly: true, rsv1: false }),
      ...wsLib.Sender.frame(Buffer.from("p"), { fin: true, opcode: 9, mask: true, readOnly: true, rsv1: false }),
      ...wsLib.Sender.frame(Buffer.from("c"), { fin: true, opcode: 0, mask: false, readOnly: true, rsv1: true }),
    ]);
    expect(probe(`F100\t${hex(seq)}00`).split("\n")).toEqual([`frame 0 0 1 0 ${hex("ab")}`, `frame 1 0 9 1 ${hex("p")}`, `frame 1 4 0 0 ${hex("c")}`, "rest 1"]);
  });
});
