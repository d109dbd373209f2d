// Test image: firmware/mqtt-client.ts behind the line protocol, on a HAL that records what the client
// does, so the client's session logic is scripted on every runtime. Bytes travel as lower-case hex.
// "N<url>\t<clientId>\t<user>\t<password>\t<keepAliveS>\t<maxPacket>": a client subscribing to
//   "ems/cs/limit" at QoS 1 (user/password "" none) -> "OK" / "ERR" (no such URL)
// "T<uptime>": a tick; "O": opened; "C": closed; "D<hex>": data; "P<qos>\t<topic>\t<payload hex>":
//   mqttSend -> "OK"/"NO" first; "S": mqttStop.
// Every answer then lists what the client did, a line each: "open <host> <port> <0|1>", "send <hex>",
// "close", "msg <topic> <payload hex>", "up", "down"; and last "state <n>".

import type { Hal } from "../../hal/hal";
import { MqttClient, mqttClient, mqttNet, mqttSend, mqttStop, mqttTick } from "../../firmware/mqtt-client";
import type { Ctx } from "../../firmware/station";
import type { Image } from "../../firmware/station";
import { fields, hex, unhex } from "./probe-text";

const out: string[] = [];
let now = 0;
let seed = 1;
let client: MqttClient | undefined;

/** What the client uses of the HAL (methods: called with the HAL as self, as on a board). */
interface ProbeHal {
  uptime(): number;
  random(n: number): number;
  log(level: number, msg: string): void;
  netOpen(host: string, port: number, tls: boolean): void;
  netSend(parts: string[]): void;
  netClose(): void;
}

const probeHal: ProbeHal = {
  uptime: () => now,
  random: (n: number) => {
    // nonneg: seed and n are positive.
    seed = (seed * 75 + 74) % 65537;
    // nonneg: as above.
    return seed % n;
  },
  log: (_level: number, _msg: string) => {},
  netOpen: (host: string, port: number, tls: boolean) => {
    out[out.length] = "open " + host + " " + string.format("%d", port) + " " + (tls ? "1" : "0");
  },
  netSend: (parts: string[]) => {
    out[out.length] = "send " + hex(table.concat(parts));
  },
  netClose: () => {
    out[out.length] = "close";
  },
};

const ctx: Ctx = { hal: probeHal as unknown as Hal, img: {} as unknown as Image };

function onMessage(this: void, _ctx: Ctx, topic: string, payload: string): void {
  out[out.length] = "msg " + topic + " " + hex(payload);
}

function onState(this: void, _ctx: Ctx, up: boolean): void {
  out[out.length] = up ? "up" : "down";
}

export function event(line: string): string {
  const op = string.sub(line, 1, 1);
  const rest = string.sub(line, 2);
  let head = "";
  if (op === "N") {
    const f = fields(rest, 8);
    client = mqttClient(f[0], f[1], f[2] !== "" ? f[2] : undefined, f[3] !== "" ? f[3] : undefined, tonumber(f[4]) as number, [["ems/cs/limit", 1]], tonumber(f[5]) as number, onMessage, onState);
    head = client !== undefined ? "OK" : "ERR";
  } else if (client !== undefined) {
    const c = client;
    if (op === "T") {
      now = tonumber(rest) as number;
      mqttTick(ctx, c, now);
    } else if (op === "O") mqttNet(ctx, c, "opened", "");
    else if (op === "C") mqttNet(ctx, c, "closed", "");
    else if (op === "D") mqttNet(ctx, c, "data", unhex(rest));
    else if (op === "P") {
      const f = fields(rest, 8);
      head = mqttSend(ctx, c, f[1], unhex(f[2]), tonumber(f[0]) as number) ? "OK" : "NO";
    } else if (op === "S") mqttStop(ctx, c);
  }
  if (client !== undefined) out[out.length] = "state " + string.format("%d", client.state);
  const r = (head !== "" ? head + "\n" : "") + table.concat(out, "\n");
  for (let i = out.length; i >= 1; i--) table.remove(out);
  return r;
}
