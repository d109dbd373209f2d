// Node side of the NodeMCU ESP32 emulation: the net module's TCP sockets over real ones (node:net), so
// the port's own WebSocket client talks to a real WebSocket server byte for byte; and the board's
// hardware on its pins: EVSEs (sim/boards/hardware.ts) with their pilots on ledc channels and ADC
// channels, contactor and lock feedback on inputs, and simulated SDM630s (sim/boards/modbus-slave.ts),
// one per EVSE, on one RS-485 bus (UART 2, direction driven by the UART in RS-485 half-duplex mode).
//
// net: a send is acknowledged ("sent") once the socket took the bytes; an end by the peer is err 0, a
// socket error -14 (lwIP ERR_RST), a refused or failed connect -11 (ERR_CONN). The WebSocket frames on
// the wire are read here only to log them (frame-out / frame-in): the bytes pass unchanged.

import * as net from "node:net";
import type { BoardConfig, EvsePins } from "../../../hal/board-config";
import { answerOnBus, applyOutput, EvseHardware, feedInputs, offerOfPwm, PILOT_VOLTS } from "../hardware";
import { Sdm630Slave } from "../modbus-slave";
import type { PortDriver, PortRunner } from "../port-runner";

/**
 * The emulated board's wiring (ESP32 GPIO numbers, ADC1 channels): two EVSEs, each with contactor and
 * lock feedback, plug detection from the pilot; the meters on UART 2 (GPIO 17/16, DE on GPIO 4). The
 * pins are core.json's (the build checks them: ADC1 channels 6 and 7 are GPIO 34 and 35, no other use).
 */
export const ESP32_BOARD: BoardConfig = {
  evses: [
    { relay: 25, relayFeedback: 27, pilotPwm: 32, pilotAdc: 6, lock: 21, lockFeedback: 22, plug: -1, meterAddress: 1 },
    { relay: 26, relayFeedback: 13, pilotPwm: 33, pilotAdc: 7, lock: 18, lockFeedback: 19, plug: -1, meterAddress: 2 },
  ],
  meter: { uart: 2, baud: 9600, dePin: 4, txPin: 17, rxPin: 16, periodMs: 1000 },
  // The divider gives +12 V as 3800 of 4095: thresholds halfway between +12/+9/+6/+3/0 V.
  pilotLevels: [3325, 2375, 1425, 475],
  tickMs: 1000,
};

/** The 12-bit ADC's reading of a pilot positive level on ESP32_BOARD's divider. */
export function adcOfVolts(volts: number): number {
  return Math.round((volts * 3800) / 12);
}

/** uart.MODE_RS485_HALF_DUPLEX in the emulation. */
const MODE_RS485 = 1;

/** A WebSocket frame reader for the log: one direction of the stream, after the HTTP head. */
class FrameLog {
  private buf = Buffer.alloc(0);
  private head = true;
  private parts: Buffer[] = [];

  constructor(private readonly out: (text: string) => void) {}

  push(bytes: Buffer): void {
    this.buf = Buffer.concat([this.buf, bytes]);
    if (this.head) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.buf = this.buf.subarray(end + 4);
      this.head = false;
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const op = this.buf[0] & 0x0f;
      const fin = (this.buf[0] & 0x80) !== 0;
      const masked = (this.buf[1] & 0x80) !== 0;
      let len = this.buf[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      const key = masked ? this.buf.subarray(at, at + 4) : undefined;
      if (masked) at += 4;
      if (this.buf.length < at + len) return;
      const payload = Buffer.from(this.buf.subarray(at, at + len));
      if (key !== undefined) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i % 4];
      this.buf = this.buf.subarray(at + len);
      if (op === 0 || op === 1) {
        this.parts.push(payload);
        if (fin) {
          this.out(Buffer.concat(this.parts).toString("latin1"));
          this.parts = [];
        }
      }
    }
  }
}

interface Socket {
  sock: net.Socket;
  out: FrameLog;
  in: FrameLog;
}

export class NodeMcuEsp32Driver implements PortDriver {
  readonly config: BoardConfig;
  /** The package goes onto SPIFFS (init.lua, provision.txt), as the OEM uploads it. */
  readonly upload = { dir: "", readOnly: false };
  readonly hw: EvseHardware[];
  readonly meters: Sdm630Slave[];
  /** The port's outputs as it last wrote them, by pin. */
  readonly outputs = new Map<number, number>();
  /** Per EVSE: the pilot's ledc duty (of 2^bits), its frequency and whether the channel runs. */
  readonly pilots: { duty: number; full: number; hz: number; running: boolean }[];
  /** The meter UART's baud and mode as the port set them. */
  uartBaud = 0;
  uartMode = 0;
  /** Requests the meters could not hear (wrong baud, the transceiver never driven). */
  busLost = 0;
  /** Tests: the peer acknowledges nothing from now on (its TCP window closed): no "sent" reaches the port. */
  holdAcks = false;
  /** Bytes the port sent on its sockets, and the most one send carried. */
  netBytes = 0;
  netLargestSend = 0;
  private readonly sockets = new Map<string, Socket>();
  private fedPins = new Map<number, number>();
  private fedAdc = new Map<number, number>();

  constructor(
    private readonly runner: PortRunner,
    private readonly log: (line: string) => void = () => undefined,
    config: BoardConfig = ESP32_BOARD,
    spec = { phases: 3 as 1 | 3, maxCurrentA: 32 },
  ) {
    this.config = config;
    this.hw = config.evses.map(() => new EvseHardware(spec));
    this.meters = config.evses.map((p, i) => new Sdm630Slave(p.meterAddress, () => this.hw[i].meterValues()));
    this.pilots = config.evses.map(() => ({ duty: 0, full: 8192, hz: 0, running: false }));
  }

  powerOn(): void {
    this.fedPins = new Map();
    this.fedAdc = new Map();
    this.outputs.clear();
    for (const p of this.pilots) p.running = false;
    this.sync(0);
  }

  powerOff(): void {
    for (const s of this.sockets.values()) {
      s.sock.removeAllListeners();
      s.sock.on("error", () => undefined);
      s.sock.destroy();
    }
    this.sockets.clear();
    for (const hw of this.hw) hw.powerOff();
    for (const p of this.pilots) p.running = false;
  }

  sync(ms: number): void {
    this.hw.forEach((hw, i) => {
      hw.step(ms);
      const p = this.config.evses[i];
      feedInputs(this.runner, this.fedPins, p, hw);
      const adc = adcOfVolts(PILOT_VOLTS[hw.pilot()]);
      if (this.fedAdc.get(p.pilotAdc) !== adc) {
        this.fedAdc.set(p.pilotAdc, adc);
        this.runner.feed("adc", [String(p.pilotAdc), String(adc)]);
      }
    });
  }

  effect(kind: string, f: string[]): boolean {
    switch (kind) {
      case "net":
        this.netEffect(f);
        return true;
      case "gpio":
        this.gpio(Number(f[0]), Number(f[1]));
        return true;
      case "ledc":
        this.ledc(Number(f[0]), Number(f[1]), Number(f[2]), Number(f[3]), f[4] === "1");
        return true;
      case "uartcfg":
        if (Number(f[0]) === this.config.meter.uart) {
          this.uartBaud = Number(f[1]);
          this.uartMode = Number(f[2]);
        }
        return true;
      case "uart":
        if (Number(f[0]) === this.config.meter.uart) this.uart(f[1]);
        return true;
    }
    return false;
  }

  /** The cable of an EVSE: plug or pull it. */
  /** The cable of an EVSE, or of every EVSE when none is named: plug or pull it. */
  setPlugged(on: boolean, evseId?: number): void {
    this.hw.forEach((hw, i) => {
      if (evseId !== undefined && evseId !== i + 1) return;
      hw.plugged = on;
      hw.follow();
    });
    this.sync(0);
  }

  private evseOfPin(pin: number, field: keyof EvsePins): number {
    return this.config.evses.findIndex((p) => p[field] === pin);
  }

  private gpio(pin: number, level: number): void {
    this.outputs.set(pin, level);
    applyOutput(this.config.evses, this.hw, pin, level);
  }

  private ledc(pin: number, hz: number, duty: number, bits: number, running: boolean): void {
    const i = this.evseOfPin(pin, "pilotPwm");
    if (i < 0) return;
    const p = this.pilots[i];
    Object.assign(p, { duty, full: 2 ** bits, hz, running });
    // The EV reads a 1 kHz PWM (IEC 61851-1: 1000 Hz ± 2 %); a stopped channel or 100 % is no offer.
    const percent = (duty * 100) / p.full;
    const da = offerOfPwm(hz, percent, running);
    if (da !== this.hw[i].offerDa) this.log(`pilot ${i + 1}: duty ${percent.toFixed(2)} % = ${da / 10} A`);
    this.hw[i].offerDa = da;
    this.hw[i].follow();
  }

  /** A request on the bus: heard at the right baud with the transceiver driven; the addressed meter answers after its line time. */
  private uart(bytes: string): void {
    const m = this.config.meter;
    if (this.uartBaud !== m.baud || (m.dePin >= 0 && this.uartMode !== MODE_RS485)) {
      this.busLost++;
      return;
    }
    answerOnBus(this.runner, this.meters, bytes, m.baud, (answer) => this.runner.feed("uart", [String(m.uart), answer]));
  }

  private netEffect(f: string[]): void {
    const [id, what] = f;
    if (what === "connect") this.connect(id, f[2], Number(f[3]));
    else if (what === "send") {
      const s = this.sockets.get(id);
      const data = Buffer.from(f[2], "latin1");
      this.netBytes += data.length;
      this.netLargestSend = Math.max(this.netLargestSend, data.length);
      if (s === undefined) return;
      s.out.push(data);
      s.sock.write(data, () => {
        if (this.sockets.get(id) === s && !this.holdAcks) this.runner.feed("net", [id, "sent", String(data.length)]);
      });
    } else if (what === "close") {
      const s = this.sockets.get(id);
      if (s === undefined) return;
      this.sockets.delete(id);
      s.sock.end();
    }
  }

  private connect(id: string, host: string, port: number): void {
    this.log(`net ${id}: connect ${host}:${port}`);
    const sock = net.createConnection({ host, port });
    const s: Socket = { sock, out: new FrameLog((t) => this.runner.log("frame-out", t)), in: new FrameLog((t) => this.runner.log("frame-in", t)) };
    this.sockets.set(id, s);
    let connected = false;
    let err = 0;
    sock.on("connect", () => {
      connected = true;
      this.runner.feed("net", [id, "connected"]);
    });
    sock.on("data", (data: Buffer) => {
      if (this.sockets.get(id) !== s) return;
      s.in.push(data);
      this.runner.feed("net", [id, "recv", data.toString("latin1")]);
    });
    sock.on("error", (e: Error) => {
      this.log(`net ${id}: ${e.message}`);
      err = connected ? -14 : -11;
    });
    sock.on("close", () => {
      if (this.sockets.get(id) !== s) return;
      this.sockets.delete(id);
      this.log(`net ${id}: closed (${err})`);
      this.runner.feed("net", [id, "closed", String(err)]);
    });
  }
}
