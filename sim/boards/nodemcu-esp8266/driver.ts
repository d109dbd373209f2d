// Node side of the NodeMCU ESP8266 emulation: the websocket module's client over a real WebSocket
// (the `ws` package), and the board's hardware on its pins: one EVSE (sim/boards/hardware.ts), its
// pilot on the ADC, and a simulated SDM630 (sim/boards/modbus-slave.ts) on UART 0 behind an RS-485
// transceiver switched by the DE pin.
//
// The websocket module's quirks kept here: the request headers are the ones the Lua side built
// (defaults `User-Agent: ESP8266` and `Sec-WebSocket-Protocol: chat` unless replaced by name); it
// joins fragments (ws does), pings every 30 s of virtual time; close status 0 for a close by either
// side, -5 DNS, -17 no 101, -18 connect timeout (10 s), -99 any other socket error (a URL it cannot
// parse and a close while connecting are the Lua side's: reported there, inside the call). Where it differs:
// ws refuses a 101 whose subprotocol is not the one asked for, which the module does not check, and
// an unanswered ping does not close the connection here (virtual time runs ahead of the network's).

import WebSocket from "ws";
import type { BoardConfig } from "../../../hal/board-config";
import { applyOutput, EvseHardware, feedInputs, offerOfPwm, PILOT_VOLTS, TURNAROUND_MS } from "../hardware";
import { Sdm630Slave } from "../modbus-slave";
import type { PortDriver, PortRunner } from "../port-runner";

/** The emulated board's wiring (NodeMCU D-pin indexes), with the pilot divider's ADC levels. */
export const ESP8266_BOARD: BoardConfig = {
  evses: [{ relay: 1, relayFeedback: 2, pilotPwm: 5, pilotAdc: 0, lock: 6, lockFeedback: 3, plug: -1, meterAddress: 1 }],
  meter: { uart: 0, baud: 9600, dePin: 0, txPin: 8, rxPin: 7, periodMs: 1000 },
  // The divider gives +12 V as 950 of 1023 (79.2 a volt): thresholds halfway between +12/+9/+6/+3/0 V.
  pilotLevels: [831, 594, 356, 119],
  tickMs: 1000,
};

/** The ADC's reading of a pilot positive level, on ESP8266_BOARD's divider. */
export function adcOfVolts(volts: number): number {
  return Math.round((volts * 950) / 12);
}

const PING_MS = 30000;

interface Socket {
  ws: WebSocket;
  opened: boolean;
  closedByUs: boolean;
  status: number;
  ping: NodeJS.Timeout | undefined;
}

export class NodeMcuEsp8266Driver implements PortDriver {
  readonly config: BoardConfig;
  /** The package goes onto SPIFFS (init.lua, provision.txt), as the OEM uploads it. */
  readonly upload = { dir: "", readOnly: false };
  readonly hw: EvseHardware;
  readonly meter: Sdm630Slave;
  /** The port's outputs as it last wrote them, by pin. */
  readonly outputs = new Map<number, number>();
  pilotDuty = 1023;
  pilotRunning = false;
  pilotHz = 0;
  /** Requests the meter never saw because the RS-485 driver was off, and answers lost to a driver still on. */
  busLost = 0;
  /** The longest the port kept the RS-485 driver on after writing a request, ms of virtual time. */
  deHeldMs = 0;
  /** The meter's silence between the end of a request and the start of its answer, ms. */
  turnaroundMs = TURNAROUND_MS;
  private requestAt: number | undefined;
  /** Connects the port asked for, and closes reported to it. */
  connects = 0;
  closes = 0;
  private readonly sockets = new Map<string, Socket>();
  /** The inputs as last fed (pin → level; the ADC). */
  private fedPins = new Map<number, number>();
  private fedAdc = -1;

  constructor(
    private readonly runner: PortRunner,
    private readonly log: (line: string) => void = () => undefined,
    config: BoardConfig = ESP8266_BOARD,
    spec = { phases: 3 as 1 | 3, maxCurrentA: 32 },
  ) {
    this.config = config;
    this.hw = new EvseHardware(spec);
    this.meter = new Sdm630Slave(config.evses[0].meterAddress, () => this.hw.meterValues());
  }

  private get pins() {
    return this.config.evses[0];
  }

  powerOn(): void {
    this.fedPins = new Map();
    this.fedAdc = -1;
    this.outputs.clear();
    this.pilotRunning = false;
    this.sync(0);
  }

  powerOff(): void {
    for (const s of this.sockets.values()) {
      clearInterval(s.ping);
      s.ws.removeAllListeners();
      s.ws.on("error", () => undefined);
      s.ws.terminate();
    }
    this.sockets.clear();
    this.hw.powerOff();
    this.pilotRunning = false;
  }

  sync(ms: number): void {
    const hw = this.hw;
    hw.step(ms);
    feedInputs(this.runner, this.fedPins, this.pins, hw);
    const adc = adcOfVolts(PILOT_VOLTS[hw.pilot()]);
    if (adc !== this.fedAdc) {
      this.fedAdc = adc;
      this.runner.feed("adc", [String(adc)]);
    }
  }

  effect(kind: string, f: string[]): boolean {
    switch (kind) {
      case "ws":
        this.wsEffect(f);
        return true;
      case "gpio":
        this.gpio(Number(f[0]), Number(f[1]));
        return true;
      case "pwm":
        this.pwm(Number(f[0]), Number(f[1]), Number(f[2]), f[3] === "1");
        return true;
      case "uart":
        this.uart(f[1]);
        return true;
    }
    return false;
  }

  /** The cable: plug or pull it. */
  setPlugged(on: boolean): void {
    this.hw.plugged = on;
    this.hw.follow();
    this.sync(0);
  }

  private gpio(pin: number, level: number): void {
    this.outputs.set(pin, level);
    if (pin === this.config.meter.dePin && level === 0 && this.requestAt !== undefined) {
      this.deHeldMs = Math.max(this.deHeldMs, this.runner.now - this.requestAt);
      this.requestAt = undefined;
    }
    applyOutput([this.pins], [this.hw], pin, level);
  }

  private pwm(pin: number, hz: number, duty: number, running: boolean): void {
    if (pin !== this.pins.pilotPwm) return;
    this.pilotHz = hz;
    this.pilotDuty = duty;
    this.pilotRunning = running;
    // A stopped PWM is no offer.
    const percent = (duty * 100) / 1023;
    const da = offerOfPwm(hz, percent, running);
    if (da !== this.hw.offerDa) this.log(`pilot duty ${percent.toFixed(1)} % = ${da / 10} A`);
    this.hw.offerDa = da;
    this.hw.follow();
  }

  /**
   * Bytes the port wrote to UART 0: on the bus only while DE is on; the meter's answer starts
   * turnaroundMs after the request's line time and is heard only when the transceiver's driver is off
   * when it starts and when it ends (a driver still on into the answer loses it).
   */
  private uart(bytes: string): void {
    const de = this.config.meter.dePin;
    if (de >= 0 && this.outputs.get(de) !== 1) {
      this.busLost++;
      return;
    }
    if (de >= 0) this.requestAt = this.runner.now;
    const answer = this.meter.receive(Buffer.from(bytes, "latin1"));
    if (answer === undefined) return;
    const byteMs = 10000 / this.config.meter.baud;
    const start = this.runner.now + Math.floor(bytes.length * byteMs + this.turnaroundMs);
    const end = this.runner.now + Math.ceil(bytes.length * byteMs + this.turnaroundMs + answer.length * byteMs);
    let heard = true;
    this.runner.at(start, () => {
      if (de >= 0 && this.outputs.get(de) === 1) heard = false;
    });
    this.runner.at(end, () => {
      if (!heard || (de >= 0 && this.outputs.get(de) === 1)) {
        this.busLost++;
        return;
      }
      this.runner.feed("uart", [answer.toString("latin1")]);
    });
  }

  private wsEffect(f: string[]): void {
    const [id, what] = f;
    if (what === "connect") this.connect(id, f[2], f[3]);
    else if (what === "send") {
      const s = this.sockets.get(id);
      if (s === undefined || s.ws.readyState !== WebSocket.OPEN) return;
      if (f[2] === "1") this.runner.log("frame-out", f[3]);
      s.ws.send(Buffer.from(f[3], "latin1"), { binary: f[2] === "2" });
    } else if (what === "close") {
      const s = this.sockets.get(id);
      if (s === undefined) return;
      s.closedByUs = true;
      if (s.ws.readyState === WebSocket.CONNECTING) s.ws.terminate();
      else s.ws.close(1000);
    }
  }

  private connect(id: string, url: string, headerText: string): void {
    this.connects++;
    const headers: Record<string, string> = {};
    let protocols: string[] = [];
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "sec-websocket-protocol") protocols = value.split(",").map((s) => s.trim());
      else headers[name] = Buffer.from(value, "latin1").toString("utf8");
    }
    this.log(`websocket ${id}: connect ${url} (${protocols.join(",")})`);
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, protocols, { headers, handshakeTimeout: 10000 });
    } catch {
      // A URL the module took but ws refuses: reported as a close, as the module's own URL errors are.
      this.runner.at(this.runner.now, () => {
        this.closes++;
        this.runner.feed("ws", [id, "closed", "-1"]);
      });
      return;
    }
    const s: Socket = { ws, opened: false, closedByUs: false, status: -99, ping: undefined };
    this.sockets.set(id, s);
    let lastPing = this.runner.now;
    ws.on("open", () => {
      s.opened = true;
      s.status = 0;
      this.runner.feed("ws", [id, "open"]);
      // The module's own ping every 30 s: checked against virtual time as the network events come in.
      s.ping = setInterval(() => {
        if (this.runner.now - lastPing >= PING_MS && ws.readyState === WebSocket.OPEN) {
          lastPing = this.runner.now;
          ws.ping();
        }
      }, 50);
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const text = data.toString("latin1");
      if (!isBinary) this.runner.log("frame-in", text);
      this.runner.feed("ws", [id, "recv", isBinary ? "2" : "1", text]);
    });
    ws.on("unexpected-response", (_req, res) => {
      this.log(`websocket ${id}: HTTP ${res.statusCode} instead of 101`);
      s.status = -17;
      ws.terminate();
    });
    ws.on("error", (err: Error & { code?: string }) => {
      this.log(`websocket ${id}: ${err.message}`);
      if (s.opened) return;
      if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") s.status = -5;
      else if (/timeout/i.test(err.message)) s.status = -18;
      else if (s.status === -99 || s.status === 0) s.status = -99;
    });
    ws.on("close", (code: number) => {
      clearInterval(s.ping);
      if (this.sockets.get(id) !== s) return;
      this.sockets.delete(id);
      this.log(`websocket ${id}: closed (${s.opened ? `code ${code}` : "never opened"})`);
      this.closes++;
      this.runner.feed("ws", [id, "closed", String(s.opened || s.closedByUs ? 0 : s.status)]);
    });
  }
}
