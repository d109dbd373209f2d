// firmware/mqtt-client.ts on every runtime (test/images/mqtt-client-probe.ts): the session a scripted
// broker sees, with mqtt-packet (protocolVersion 4) reading what the client sends and writing what the
// broker answers. Connect and CONNACK, subscribe, messages whole or in pieces, an oversized packet
// skipped, a malformed one closing, keep-alive, QoS 1 both ways, timeouts and back-off.

import { beforeAll, describe, expect, it } from "vitest";
import * as mp from "mqtt-packet";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { loadProbes, Probe } from "./probe";

let probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  probes = await loadProbes("mqtt-client-probe", () => import("./images/mqtt-client-probe"));
}, 120000);

const hex = (b: Buffer) => b.toString("hex");
const gen = (p: Record<string, unknown>) => hex(mp.generate({ ...p } as unknown as mp.Packet));

/** What one probe call answered: its first line (OK/NO/ERR or an action), the actions, the state. */
interface Step {
  head: string;
  opens: string[];
  sent: mp.Packet[];
  closes: number;
  msgs: [string, string][];
  ups: string[];
  state: number;
}

function parse(out: string): Step {
  const s: Step = { head: "", opens: [], sent: [], closes: 0, msgs: [], ups: [], state: -1 };
  const lines = out.split("\n");
  if (/^(OK|NO|ERR)$/.test(lines[0])) s.head = lines.shift() as string;
  for (const l of lines) {
    const [k, ...rest] = l.split(" ");
    if (k === "open") s.opens.push(rest.join(" "));
    else if (k === "send") {
      const parser = mp.parser({ protocolVersion: 4 });
      const got: mp.Packet[] = [];
      parser.on("packet", (p) => got.push(p));
      parser.on("error", (e) => {
        throw e;
      });
      parser.parse(Buffer.from(rest[0], "hex"));
      expect(got.length).toBe(1);
      s.sent.push(got[0]);
    } else if (k === "close") s.closes++;
    else if (k === "msg") s.msgs.push([rest[0], Buffer.from(rest[1], "hex").toString("latin1")]);
    else if (k === "up" || k === "down") s.ups.push(k);
    else if (k === "state") s.state = Number(rest[0]);
  }
  return s;
}

describe.each(RUNTIMES)("MQTT client on %s", (runtime) => {
  const run = (line: string) => parse((probes[runtime] as Probe)(line));
  /** A client connected and subscribed at uptime t0; returns the SUBSCRIBE's packet id. */
  function connect(url = "mqtt://broker.local:1883", user = "", pass = "", keepAlive = 60, maxPacket = 512, t0 = 1): number {
    expect(run(`N${url}\tcs\t${user}\t${pass}\t${keepAlive}\t${maxPacket}`).head).toBe("OK");
    const o = run(`T${t0}`);
    expect(o.opens.length).toBe(1);
    run("O");
    const ack = run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false }));
    expect(ack.ups).toEqual(["up"]);
    expect(ack.sent[0].cmd).toBe("subscribe");
    return (ack.sent[0] as mp.ISubscribePacket).messageId as number;
  }

  it("URLs: mqtt:// on 1883 by default, mqtts:// on 8883 over TLS, a port given; anything else refused", () => {
    for (const [url, open] of [
      ["mqtt://broker.local", "broker.local 1883 0"],
      ["mqtts://broker.local", "broker.local 8883 1"],
      ["mqtt://10.0.0.7:1884/", "10.0.0.7 1884 0"],
    ]) {
      expect(run(`N${url}\tcs\t\t\t60\t512`).head).toBe("OK");
      expect(run("T100").opens).toEqual([open]);
    }
    for (const url of ["http://x:1883", "mqtt://", "mqtt://x:0", "mqtt://x:70000", "mqtt://x:1a", "mqtt://x:18.5"]) expect(run(`N${url}\tcs\t\t\t60\t512`).head, url).toBe("ERR");
  });

  it("CONNECT with the client id, keep-alive, clean session and credentials; after CONNACK the SUBSCRIBE at QoS 1", () => {
    expect(run("Nmqtt://b\tcs\tuser1\tpw1\t30\t512").head).toBe("OK");
    expect(run("T5").opens).toEqual(["b 1883 0"]);
    const c = run("O");
    expect(c.sent.length).toBe(1);
    expect(c.sent[0]).toMatchObject({ cmd: "connect", clientId: "cs", keepalive: 30, clean: true, username: "user1", protocolVersion: 4 });
    expect(String((c.sent[0] as mp.IConnectPacket).password)).toBe("pw1");
    expect(c.state).toBe(2);
    const a = run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false }));
    expect(a.state).toBe(3);
    expect(a.sent[0]).toMatchObject({ cmd: "subscribe", subscriptions: [{ topic: "ems/cs/limit", qos: 1 }] });
  });

  it("a refused CONNACK closes and retries after 1, 2, 4 … 64 s (plus up to 1 s); a connect that never opens times out after 15 s", () => {
    run("Nmqtt://b\tcs\t\t\t60\t512");
    let t = 10;
    expect(run(`T${t}`).opens.length).toBe(1);
    run("O");
    const r = run("D" + gen({ cmd: "connack", returnCode: 5, sessionPresent: false }));
    expect(r.closes).toBe(1);
    expect(r.state).toBe(0);
    // The waits grow: each attempt here fails by timing out (no opened within 15 s).
    const waits: number[] = [];
    let last = t;
    for (let i = 0; i < 9; i++) {
      let opened = false;
      while (!opened) {
        t++;
        opened = run(`T${t}`).opens.length > 0;
      }
      waits.push(t - last);
      const start = t;
      let closed = 0;
      while (closed === 0) {
        t++;
        closed = run(`T${t}`).closes;
      }
      expect(t - start).toBe(15);
      last = t;
    }
    const base = [1, 2, 4, 8, 16, 32, 64, 64, 64];
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(base[i]);
      expect(w).toBeLessThanOrEqual(base[i] + 1);
    });
  });

  it("a PUBLISH at QoS 1 is handled then acknowledged; at QoS 0 not; a packet in pieces (byte by byte) is taken when whole", () => {
    connect();
    const q1 = run("D" + gen({ cmd: "publish", topic: "ems/cs/limit", payload: Buffer.from('{"limitW":7000}'), qos: 1, messageId: 77, retain: false, dup: false }));
    expect(q1.msgs).toEqual([["ems/cs/limit", '{"limitW":7000}']]);
    expect(q1.sent).toMatchObject([{ cmd: "puback", messageId: 77 }]);
    const q0 = gen({ cmd: "publish", topic: "ems/cs/limit", payload: Buffer.from("{}"), qos: 0, retain: false, dup: false });
    const msgs: [string, string][] = [];
    for (let i = 0; i < q0.length; i += 2) {
      const s = run("D" + q0.slice(i, i + 2));
      msgs.push(...s.msgs);
      expect(s.sent).toEqual([]);
    }
    expect(msgs).toEqual([["ems/cs/limit", "{}"]]);
    // Two packets in one chunk: both.
    const two = run("D" + q0 + q0);
    expect(two.msgs.length).toBe(2);
  });

  it("a packet above maxPacket is skipped without being kept, in pieces too, and the next one is read", () => {
    connect("mqtt://b", "", "", 60, 128);
    const big = gen({ cmd: "publish", topic: "ems/cs/limit", payload: Buffer.alloc(1000, 65), qos: 0, retain: false, dup: false });
    const small = gen({ cmd: "publish", topic: "ems/cs/limit", payload: Buffer.from('{"limitA":16}'), qos: 0, retain: false, dup: false });
    const all = big + small;
    const msgs: [string, string][] = [];
    let closes = 0;
    for (let i = 0; i < all.length; i += 200) {
      const s = run("D" + all.slice(i, i + 200));
      msgs.push(...s.msgs);
      closes += s.closes;
    }
    expect(closes).toBe(0);
    expect(msgs).toEqual([["ems/cs/limit", '{"limitA":16}']]);
  });

  it("a malformed packet (reserved type 0) closes the connection (MQTT-4.8.0-1); so does a first packet that is no CONNACK", () => {
    connect();
    const r = run("D0000");
    expect(r.closes).toBe(1);
    expect(r.ups).toEqual(["down"]);
    expect(r.state).toBe(0);
    run("Nmqtt://b\tcs\t\t\t60\t512");
    run("T1");
    run("O");
    const s = run("D" + gen({ cmd: "pingresp" }));
    expect(s.closes).toBe(1);
  });

  it("keep-alive: a PINGREQ three quarters into an idle period; a PINGRESP keeps the session, silence for a whole period ends it", () => {
    connect("mqtt://b", "", "", 60, 512, 1);
    let pings = 0;
    let t = 1;
    for (; t < 46; t++) pings += run(`T${t}`).sent.filter((p) => p.cmd === "pingreq").length;
    expect(pings).toBe(0);
    const p = run(`T${t}`);
    expect(p.sent.map((x) => x.cmd)).toEqual(["pingreq"]);
    run("D" + gen({ cmd: "pingresp" }));
    // Answered: the next one a period later, then no answer.
    let closes = 0;
    let second = 0;
    for (t = t + 1; t < 46 + 45 + 61 && closes === 0; t++) {
      const s = run(`T${t}`);
      if (s.sent.some((x) => x.cmd === "pingreq")) second = t;
      closes += s.closes;
    }
    expect(second).toBe(46 + 45);
    expect(closes).toBe(1);
    expect(t - 1 - second).toBe(60);
  });

  it("QoS 1 of its own: one in flight at a time, sent again with DUP after a reconnect, cleared by its PUBACK; nothing is sent while down", () => {
    connect();
    const a = run("P1\tems/cs/meter\t" + Buffer.from("m1").toString("hex"));
    expect(a.head).toBe("OK");
    const pub = a.sent[0] as mp.IPublishPacket;
    expect(pub).toMatchObject({ cmd: "publish", topic: "ems/cs/meter", qos: 1, dup: false });
    expect(run("P1\tems/cs/meter\t" + Buffer.from("m2").toString("hex")).head).toBe("NO");
    expect(run("P0\tems/cs/meter\t" + Buffer.from("m3").toString("hex")).head).toBe("OK");
    // The connection drops: nothing can be sent; after the reconnect the QoS 1 message goes again with DUP.
    expect(run("C").ups).toEqual(["down"]);
    expect(run("P0\tems/cs/meter\t00").head).toBe("NO");
    let t = 2;
    while (run(`T${t}`).opens.length === 0) t++;
    run("O");
    const again = run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false }));
    expect(again.sent.map((x) => x.cmd)).toEqual(["subscribe", "publish"]);
    expect(again.sent[1]).toMatchObject({ qos: 1, dup: true, messageId: pub.messageId, payload: Buffer.from("m1") });
    run("D" + gen({ cmd: "puback", messageId: pub.messageId }));
    expect(run("P1\tems/cs/meter\t00").head).toBe("OK");
  });

  it("a close reported while waiting changes nothing; stop sends DISCONNECT, closes, and never connects again", () => {
    connect();
    run("C");
    const idle = run("C");
    expect(idle.ups).toEqual([]);
    expect(idle.state).toBe(0);
    let t = 2;
    while (run(`T${t}`).opens.length === 0) t++;
    run("O");
    run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false }));
    const s = run("S");
    expect(s.sent.map((x) => x.cmd)).toEqual(["disconnect"]);
    expect(s.closes).toBe(1);
    expect(s.state).toBe(4);
    for (let k = t + 1; k < t + 200; k++) expect(run(`T${k}`).opens).toEqual([]);
  });

  it("a silent broker is found out even while the client publishes every 10 s: PINGREQ three quarters into a period without hearing from it, then closed", () => {
    connect("mqtt://b", "", "", 60, 512, 1);
    let t = 1;
    let ping = 0;
    let closed = 0;
    for (t = 2; t < 200 && closed === 0; t++) {
      if (t % 10 === 0) run("P0\tems/cs/meter\t00");
      const s = run(`T${t}`);
      if (s.sent.some((x) => x.cmd === "pingreq")) ping = t;
      closed += s.closes;
    }
    expect(ping).toBe(1 + 45);
    expect(closed).toBe(1);
    expect(t - 1).toBe(ping + 60);
  });

  it("an oversized PUBLISH at QoS 1 is acknowledged although skipped; QoS 2 from the server or a second CONNACK closes the connection", () => {
    connect("mqtt://b", "", "", 60, 128);
    const big = run("D" + gen({ cmd: "publish", topic: "ems/cs/limit", payload: Buffer.alloc(500, 66), qos: 1, messageId: 4242, retain: false, dup: false }));
    expect(big.msgs).toEqual([]);
    expect(big.sent).toMatchObject([{ cmd: "puback", messageId: 4242 }]);
    expect(big.closes).toBe(0);
    const q2 = run("D" + gen({ cmd: "publish", topic: "ems/cs/limit", payload: Buffer.from("{}"), qos: 2, messageId: 9, retain: false, dup: false }));
    expect(q2.msgs).toEqual([]);
    expect(q2.closes).toBe(1);
    connect("mqtt://b", "", "", 60, 512, 500);
    expect(run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false })).closes).toBe(1);
  });

  it("a session that drops right after its CONNACK does not reset the back-off; one that lasted a keep-alive period does", () => {
    run("Nmqtt://b\tcs\t\t\t60\t512");
    let t = 1;
    const opens: number[] = [];
    for (; opens.length < 5 && t < 1000; t++) {
      const s = run(`T${t}`);
      if (s.opens.length > 0) {
        opens.push(t);
        run("O");
        run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false }));
        run("C");
      }
    }
    const gaps = opens.slice(1).map((o, i) => o - opens[i]);
    // 1, 2, 4, 8 s (plus up to 1 s): growing, not every second.
    expect(gaps[3]).toBeGreaterThanOrEqual(8);
    // Up for 60 s, then dropped: the next attempt after 1 s again.
    while (run(`T${t}`).opens.length === 0) t++;
    run("O");
    run("D" + gen({ cmd: "connack", returnCode: 0, sessionPresent: false }));
    const up = t;
    for (t = up + 1; t <= up + 61; t++) {
      const s = run(`T${t}`);
      if (s.sent.some((x) => x.cmd === "pingreq")) run("D" + gen({ cmd: "pingresp" }));
    }
    run("C");
    let next = t;
    while (run(`T${next}`).opens.length === 0) next++;
    expect(next - t).toBeLessThanOrEqual(2);
  });
});
