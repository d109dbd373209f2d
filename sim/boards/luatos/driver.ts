// Node side of the LuatOS emulation: the websocket module's client on the wire (./ws-socket.ts),
// and the board's hardware on its pins: two EVSEs (sim/boards/hardware.ts), each pilot on its own
// ADC channel in mV and its own PWM channel, and two simulated SDM630s (sim/boards/modbus-slave.ts)
// at addresses 1 and 2 on one RS-485 UART, whose direction LuatOS's UART driver switches itself
// (uart.setup's rs485 pin): a request reaches every meter, the addressed one answers after its line
// time. The network's time reaches the module at power-on ("ntp"), as a cellular module's does,
// unless the driver is made without it.

import type { BoardConfig } from "../../../hal/board-config";
import { answerOnBus, applyOutput, EvseHardware, EvseHardwareSpec, feedInputs, offerOfPwm, PILOT_VOLTS } from "../hardware";
import { Sdm630Slave } from "../modbus-slave";
import type { PortDriver, PortRunner } from "../port-runner";
import { LuatosWsSocket } from "./ws-socket";

/**
 * The emulated board's wiring: EVSE 1 with contactor and lock feedback and its plug read from the
 * pilot, EVSE 2 with a plug-detect input and no feedback contacts (they follow the commands).
 */
export const LUATOS_BOARD: BoardConfig = {
  evses: [
    { relay: 10, relayFeedback: 11, pilotPwm: 0, pilotAdc: 0, lock: 12, lockFeedback: 13, plug: -1, meterAddress: 1 },
    { relay: 20, relayFeedback: -1, pilotPwm: 1, pilotAdc: 1, lock: -1, lockFeedback: -1, plug: 21, meterAddress: 2 },
  ],
  meter: { uart: 1, baud: 9600, dePin: 22, txPin: -1, rxPin: -1, periodMs: 1000 },
  // The divider gives 200 mV a volt of the pilot's positive level: thresholds halfway between +12/+9/+6/+3/0 V.
  pilotLevels: [2100, 1500, 900, 300],
  tickMs: 1000,
};

/** The ADC's reading (mV) of a pilot positive level, on LUATOS_BOARD's divider. */
export function mvOfVolts(volts: number): number {
  return Math.round(volts * 200);
}


export interface LuatosDriverOptions {
  /** Network time at power-on (default true); false: os.time() stays unset, the port keeps the CSMS's time. */
  ntp?: boolean;
  /** Epoch seconds at virtual ms 0 (default: the wall clock when the driver was made). */
  epoch?: number;
  /**
   * A peak-hold circuit on each pilot ADC input, as docs/porting.md requires (default true): the ADC
   * reads the PWM's positive level. false: the ADC sees the PWM itself, a read in the low phase -12 V.
   */
  peakHold?: boolean;
}

export class LuatosDriver implements PortDriver {
  readonly config: BoardConfig;
  /** LuaTools writes the scripts (main.lua, provision.txt) into the read-only LuaDB area. */
  readonly upload = { dir: "/luadb/", readOnly: true };
  readonly hw: EvseHardware[];
  readonly meters: Sdm630Slave[];
  /** The port's outputs as it last wrote them, by pin; the PWM channels as last opened. */
  readonly outputs = new Map<number, number>();
  readonly pwm = new Map<number, { hz: number; duty: number; precision: number }>();
  /** Headers of every connect, in order (the raw string the port gave). */
  readonly handshakes: string[] = [];
  /** Frames the port sent (opcode, payload), and how each connection ended, in order. */
  readonly sent: { opcode: number; payload: string }[] = [];
  readonly ends: string[] = [];
  private readonly sockets = new Map<string, LuatosWsSocket>();
  private fedPins = new Map<number, number>();
  private fedAdc = new Map<number, string>();
  private readonly epoch: number;
  private readonly ntp: boolean;
  private readonly peakHold: boolean;

  constructor(
    private readonly runner: PortRunner,
    private readonly log: (line: string) => void = () => undefined,
    opts: LuatosDriverOptions = {},
    config: BoardConfig = LUATOS_BOARD,
    spec: EvseHardwareSpec = { phases: 3, maxCurrentA: 32 },
  ) {
    this.config = config;
    this.ntp = opts.ntp ?? true;
    this.peakHold = opts.peakHold ?? true;
    this.epoch = opts.epoch ?? Math.floor(Date.now() / 1000);
    this.hw = config.evses.map(() => new EvseHardware(spec));
    this.meters = config.evses.map((e, i) => new Sdm630Slave(e.meterAddress, () => this.hw[i].meterValues()));
  }

  powerOn(): void {
    this.fedPins = new Map();
    this.fedAdc = new Map();
    this.outputs.clear();
    this.pwm.clear();
    if (this.ntp) this.runner.feed("ntp", [String(this.epoch + Math.floor(this.runner.now / 1000))]);
    this.sync(0);
  }

  powerOff(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const hw of this.hw) hw.powerOff();
  }

  sync(ms: number): void {
    this.config.evses.forEach((p, i) => {
      const hw = this.hw[i];
      hw.step(ms);
      feedInputs(this.runner, this.fedPins, p, hw);
      const adc = this.pilotAdc(p.pilotPwm, mvOfVolts(PILOT_VOLTS[hw.pilot()]));
      const key = adc.join(",");
      if (this.fedAdc.get(p.pilotAdc) !== key) {
        this.fedAdc.set(p.pilotAdc, key);
        this.runner.feed("adc", [String(p.pilotAdc), ...adc]);
      }
    });
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
        this.pwmEffect(Number(f[0]), f.slice(1));
        return true;
      case "uart":
        this.uart(Number(f[0]), f[1]);
        return true;
    }
    return false;
  }

  /**
   * The pilot ADC input's fields: the positive level held, or without a peak hold the PWM as it is:
   * its positive level, the -12 V of the low phase (below the ADC's range: 0 mV) and the µs of each
   * 1 ms period the positive level lasts (all of it on a steady +12 V).
   */
  private pilotAdc(pwmChannel: number, mv: number): string[] {
    if (this.peakHold) return [String(mv)];
    const pwm = this.pwm.get(pwmChannel);
    const highUs = pwm === undefined || pwm.duty >= pwm.precision ? 1000 : Math.floor((pwm.duty * 1000) / pwm.precision);
    return [String(mv), "0", String(highUs)];
  }

  /** The cable of an EVSE, or of every EVSE when none is named: plug or pull it. */
  setPlugged(on: boolean, evseId?: number): void {
    this.hw.forEach((hw, i) => {
      if (evseId !== undefined && evseId !== i + 1) return;
      hw.plugged = on;
      hw.follow();
    });
    this.sync(0);
  }

  private gpio(pin: number, level: number): void {
    this.outputs.set(pin, level);
    applyOutput(this.config.evses, this.hw, pin, level);
  }

  private pwmEffect(ch: number, f: string[]): void {
    const i = this.config.evses.findIndex((p) => p.pilotPwm === ch);
    let da = 0;
    if (f[0] === "close") this.pwm.delete(ch);
    else {
      const [hz, duty, precision] = f.map(Number);
      this.pwm.set(ch, { hz, duty, precision });
      // 100 % is a steady +12 V, no offer.
      da = offerOfPwm(hz, (duty * 100) / precision);
    }
    if (i < 0) return;
    const hw = this.hw[i];
    if (da !== hw.offerDa) this.log(`pilot ${i + 1}: ${da / 10} A`);
    hw.offerDa = da;
    hw.follow();
  }

  /** A request on the bus: every meter hears it, the addressed one answers after the line time. */
  private uart(id: number, bytes: string): void {
    if (id !== this.config.meter.uart) return;
    answerOnBus(this.runner, this.meters, bytes, this.config.meter.baud, (answer) => this.runner.feed("uart", [String(id), answer]));
  }

  private wsEffect(f: string[]): void {
    const [id, what] = f;
    if (what === "connect") this.connect(id, f[2], f[3]);
    else if (what === "send") {
      const opcode = Number(f[2]);
      this.sent.push({ opcode, payload: f[3] });
      if (opcode === 1) this.runner.log("frame-out", f[3]);
      this.sockets.get(id)?.send(opcode, Buffer.from(f[3], "latin1"));
    } else if (what === "close") {
      this.sockets.get(id)?.close();
      this.sockets.delete(id);
    }
  }

  private connect(id: string, url: string, headers: string): void {
    this.handshakes.push(headers);
    this.log(`websocket ${id}: connect ${url}`);
    let s: LuatosWsSocket;
    try {
      s = new LuatosWsSocket(
        url,
        headers,
        {
          conack: () => this.runner.feed("ws", [id, "conack"]),
          recv: (fin, opcode, payload) => {
            const bytes = payload.toString("latin1");
            if (opcode !== 2) this.runner.log("frame-in", bytes);
            this.runner.feed("ws", [id, "recv", String(fin), String(opcode), bytes]);
          },
          sent: () => this.runner.feed("ws", [id, "sent"]),
          end: (event, why) => {
            this.sockets.delete(id);
            this.ends.push(`${event}: ${why}`);
            this.log(`websocket ${id}: ${event} (${why})`);
            this.runner.feed("ws", [id, event]);
          },
        },
      );
    } catch (e) {
      this.runner.at(this.runner.now, () => this.runner.feed("ws", [id, "error"]));
      this.log(`websocket ${id}: ${(e as Error).message}`);
      return;
    }
    this.sockets.set(id, s);
  }
}
