// The emulated board: the Node half of hal/sim. It feeds the image inputs over the line protocol
// and carries out the effects it returns: transport, flash storage, contactors, locks, pilot PWM,
// RTC, reboot. Each EVSE has a meter and an EV (sim/ev.ts) that plugs in, answers the pilot's offer
// and draws current while the contactor is closed.
//
// Time is the board's: `advance(s)` moves uptime in virtual seconds (tests), or a wall-clock
// interval calls it (the simulator). A power cycle throws the VM away and keeps the storage, the
// meters' registers, the EVs and the cables.

import * as fs from "node:fs";
import * as path from "node:path";
import { ImageRuntime, loadImage, RuntimeName } from "./runtimes/image";
import { Ev, EvSpec, evSpecError, PHASE_VOLTAGE_DV } from "./ev";
import type { MeterReading } from "../hal/hal";
import { NetTransport, OfflineNet } from "./net-transport";

export interface TransportEvents {
  onOpen(): void;
  onClose(): void;
  /** One text frame as a byte string (UTF-8 bytes, one char per byte). */
  onMessage(frame: string): void;
}

/** The WebSocket seen from the board. Frames are byte strings (one char per byte). */
export interface Transport {
  connect(url: string, subprotocol: string, auth: string | undefined, pingIntervalS: number, ev: TransportEvents): void;
  send(frame: string): void;
  disconnect(): void;
}

export interface BoardLog {
  (kind: "log" | "effect" | "frame-in" | "frame-out", text: string, level?: number): void;
}

/** Flash storage: key/value byte strings, optionally mirrored to a JSON file so state survives a restart. */
export class FlashStore {
  readonly data = new Map<string, string>();
  constructor(private readonly file?: string) {
    if (file !== undefined && fs.existsSync(file)) {
      let obj: unknown;
      try {
        obj = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`${file}: flash file is not readable JSON (${(e as Error).message})`);
      }
      if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error(`${file}: flash file must hold an object of strings`);
      for (const [k, v] of Object.entries(obj)) {
        if (typeof v !== "string") throw new Error(`${file}: flash record ${k} is not a string`);
        this.data.set(k, v);
      }
    }
  }
  set(k: string, v: string | undefined): void {
    if (v === undefined) this.data.delete(k);
    else this.data.set(k, v);
    if (this.file !== undefined) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.data), null, 1));
    }
  }
}

export function escField(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}

export function unescField(s: string): string {
  return s.replace(/\\(\\|t|n)/g, (_m, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : "\\"));
}

export interface BoardOptions {
  root: string;
  config: string;
  runtime: RuntimeName;
  /** A specific image chunk (source or bytecode) instead of the build's; the HAL chunk of the same kind beside it (sim/runtimes/image.ts). */
  imageFile?: string;
  /** Loads the image instead of loadImage (tests: a probe firmware behind the real HAL). */
  loadImage?: () => Promise<ImageRuntime>;
  transport: Transport;
  /** The raw TCP byte stream (the EMS's MQTT broker); none: every netopen fails (closed on the next macrotask). */
  net?: NetTransport;
  store?: FlashStore;
  /** Wall-clock epoch seconds at uptime 0; undefined: the board has no RTC. */
  rtcEpoch?: number;
  log?: BoardLog;
  /** Values provisioned at the first power-on, like a factory would (identity, password, CSMS URL). */
  provision?: Record<string, string>;
  seed?: number;
}

/** A connector's wiring, as the build config gives it. */
export interface ConnectorSpec {
  phases: 1 | 3;
  maxCurrentA: number;
}

/** One EVSE of the topology: its connectors, or just how many (each then three-phase, 32 A). */
export type EvseTopology = number | { connectors: ConnectorSpec[] };

const DEFAULT_CONNECTOR: ConnectorSpec = { phases: 3, maxCurrentA: 32 };

/** Hardware faults a test injects: the contactor cannot open once closed, the lock stays where it is. */
export interface Faults {
  relayWelded: boolean;
  lockStuck: boolean;
}

export interface EvseState {
  readonly connectors: ConnectorSpec[];
  /** Phases wired to the EVSE (its meter's phases): the most any connector has. */
  readonly phases: number;
  /** What the firmware last asked of the contactor. */
  relayCommand: boolean;
  /** The contactor's real state, as its feedback contact reports it. */
  relayClosed: boolean;
  /** The pilot's current offer in 0.1 A, clamped to the EVSE's rating (0: none). */
  offerDa: number;
  /** Per connector: what the firmware last asked of the lock, and where the lock really is. */
  lockCommand: boolean[];
  locked: boolean[];
  plugged: boolean[];
  /** Control pilot state "A", "B" or "C" as the firmware was last told. */
  pilot: string;
  /** The EV of this EVSE; plugged in when any connector is. */
  readonly ev: Ev;
  /** The meter's energy register in Wh, fractions kept: it reports whole Wh. A hardware register, it survives reboots. */
  energyWh: number;
  faults: Faults;
  /** What the meter reports now, in the HAL's integer units; pushed to the image on every change. */
  reading: MeterReading;
  /** The meter line the image last got. */
  meterLine: string;
}

/** An EVSE as the Control API shows it: pilot, offer, contactor, meter in A and V, the EV. */
export interface EvseView {
  pilot: string;
  offeredA: number;
  relayClosed: boolean;
  powerW: number;
  energyWh: number;
  /** The SoC the meter reports: -1 without an EV plugged in. */
  socPercent: number;
  currentA: number[];
  voltageV: number[];
  ev: EvSpec & { connectorId: number | null };
}

/** The bytes of a JS string (UTF-8), one char per byte: how the image holds every string. */
function bytes(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

export class Board {
  image!: ImageRuntime;
  uptime = 0;
  readonly store: FlashStore;
  /** Epoch seconds at uptime 0 as last set by the firmware (RTC); undefined until known. */
  rtcBase: number | undefined;
  evses: EvseState[] = [];
  connected = false;
  /** Whether the image's byte stream (netopen) is connected. */
  netConnected = false;
  rebootRequested = false;
  bootCount = 0;
  private readonly opts: BoardOptions;
  private readonly net: NetTransport;
  /** Bumped by every netopen and power cycle: events of an older socket never reach the image. */
  private netGen = 0;
  /** Bumped at a power cycle: a connect's late events (a socket's open or close) belong to the old image. */
  private wsGen = 0;
  /** Input lines waiting for the image: an effect's consequence (relay feedback, …) goes after the rest of its call's effects. */
  private readonly queue: [string, string][] = [];
  private feeding = false;

  constructor(opts: BoardOptions) {
    this.opts = opts;
    this.net = opts.net ?? new OfflineNet();
    this.store = opts.store ?? new FlashStore();
    this.rtcBase = opts.rtcEpoch;
  }

  /** Powers the board up: loads the image, hands it the flash and the hardware's state, starts the firmware. */
  async powerOn(topology: EvseTopology[]): Promise<void> {
    this.powerLost = false;
    this.flashWrites = 0;
    this.image = await (this.opts.loadImage?.() ?? loadImage(this.opts.root, this.opts.config, this.opts.runtime, this.opts.imageFile));
    this.bootCount++;
    this.rebootRequested = false;
    if (this.evses.length === 0) this.evses = topology.map(newEvse);
    for (const [k, v] of this.store.data) this.feed("store", `${escField(k)}\t${escField(v)}`);
    // The hardware as it is: the image reads it through the HAL from start on (no station yet to tell).
    this.evses.forEach((e, i) => {
      // A fresh image has no reading yet: the meter goes over even when unchanged.
      e.meterLine = "";
      this.pushMeter(i + 1);
      this.feed("pilot", `${i + 1}\t${e.pilot}`);
      this.feed("relay", `${i + 1}\t${e.relayClosed ? 1 : 0}`);
      e.locked.forEach((l, j) => this.feed("lock", `${i + 1}\t${j + 1}\t${l ? 1 : 0}`));
    });
    const rtc = this.rtcBase === undefined ? "-" : String(this.rtcBase + this.uptime);
    this.feed("start", `${rtc}\t${this.opts.seed ?? this.bootCount}`);
    // The control pilot is read at power-up: a cable still plugged in is reported before anything else.
    this.evses.forEach((e, i) => {
      e.plugged.forEach((p, j) => p && this.feed("input", `plug\t${i + 1}\t${j + 1}`));
      if (e.pilot !== "A") this.feed("pilot", `${i + 1}\t${e.pilot}`);
    });
    if (this.bootCount === 1) for (const [k, v] of Object.entries(this.opts.provision ?? {})) this.feed("prov", `${escField(k)}\t${escField(v)}`);
    this.feed("tick", "");
  }

  /**
   * Power cycle: the VM and the connection go; flash, the RTC, the meter's register, the EVs and
   * the cables stay. The MCU's outputs drop: the contactor opens (unless welded), the PWM stops.
   */
  async powerCycle(): Promise<void> {
    // Also a socket still opening: its late onOpen must not reach the new image.
    this.connected = false;
    this.wsGen++;
    this.opts.transport.disconnect();
    // The byte stream goes too; whatever its socket still reports belongs to the old image.
    this.netGen++;
    this.netConnected = false;
    this.net.close();
    this.image.close();
    this.queue.length = 0;
    if (this.rtcBase !== undefined) this.rtcBase = this.rtcBase + this.uptime;
    this.uptime = 0;
    this.evses.forEach((e) => {
      e.relayCommand = false;
      e.relayClosed = e.faults.relayWelded && e.relayClosed;
      e.offerDa = 0;
      this.follow(e);
      e.pilot = pilotOf(e);
    });
    await this.powerOn(this.evses.map((e) => ({ connectors: e.connectors })));
  }

  /**
   * Fault injection: the power fails during the n-th flash write from now (save, erase or append;
   * 1 = the next), after `bytes` bytes of an append have reached the flash (a save is atomic: all or
   * nothing, as a board's write-and-rename gives). From then on the MCU does nothing until
   * powerCycle(). `powerLost` tells a test the moment came.
   */
  powerLossAt: { writes: number; bytes: number } | undefined;
  powerLost = false;
  /** Flash writes carried out since power-up (a test counts them to pick where to cut). */
  flashWrites = 0;
  /** Bytes appended to flash files since the board was made (the journal's flash use). */
  appendedBytes = 0;

  /** True when this write is where the power fails (and then it is done in part or not at all). */
  private cutHere(): boolean {
    this.flashWrites++;
    const at = this.powerLossAt;
    if (at === undefined) return false;
    at.writes--;
    if (at.writes > 0) return false;
    this.powerLossAt = undefined;
    this.powerLost = true;
    return true;
  }

  /** Sends one input line and carries out the effects; lines fed meanwhile wait their turn. */
  feed(kind: string, rest: string): void {
    if (this.powerLost) return;
    this.queue.push([kind, rest]);
    if (this.feeding) return;
    this.feeding = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const out = this.image.event(`${this.uptime}\t${next[0]}\t${next[1]}`);
        for (let pos = 0; pos < out.length && !this.powerLost; ) {
          const nl = out.indexOf("\n", pos);
          const line = out.slice(pos, nl < 0 ? out.length : nl);
          pos = nl < 0 ? out.length : nl + 1;
          if (line.startsWith("appendn\t")) {
            // "appendn <key> <n>", the n bytes raw, a newline.
            const f = line.split("\t");
            const n = Number(f[2]);
            this.append(unescField(f[1]), out.slice(pos, pos + n));
            pos += n + 1;
          } else if (line !== "") this.effect(line);
        }
        if (this.powerLost) this.queue.length = 0;
      }
    } catch (e) {
      this.queue.length = 0;
      throw e;
    } finally {
      this.feeding = false;
    }
  }

  /**
   * Moves time forward second by second. Each second the meter books the energy of the second
   * that passed, the EVs follow what their EVSE offers now (pilot, current), and the firmware ticks.
   */
  advance(seconds: number): void {
    for (let i = 0; i < seconds && !this.powerLost; i++) {
      this.uptime++;
      // The readings go with the tick (one call a second), unless a pilot change comes first: the
      // firmware may read the meter on it, so the readings then go ahead of it.
      const readings: string[] = [];
      this.evses.forEach((e, j) => {
        e.energyWh += e.ev.run(1);
        this.follow(e);
        this.pushMeter(j + 1, readings);
        if (pilotOf(e) !== e.pilot) {
          for (const r of readings.splice(0)) this.feed("meter", r);
          this.pushPilot(j + 1);
        }
      });
      this.feed("tick", readings.join("\n"));
    }
  }

  frameIn(frame: string): void {
    this.opts.log?.("frame-in", frame);
    this.feed("frame", frame);
  }

  /** A cable plugged in: plug detection, then the pilot goes to B (the EV is there). */
  plug(evseId: number, connectorId = 1): void {
    const e = this.evses[evseId - 1];
    e.plugged[connectorId - 1] = true;
    // The EV's SoC is on the meter before the firmware hears of the plug.
    this.pushMeter(evseId);
    this.feed("input", `plug\t${evseId}\t${connectorId}`);
    this.pushPilot(evseId);
  }

  /** A cable pulled: the EV stops drawing at once and the pilot drops to A (no connector left), then plug detection. */
  unplug(evseId: number, connectorId = 1): void {
    const e = this.evses[evseId - 1];
    e.plugged[connectorId - 1] = false;
    if (connectorOf(e) === undefined) {
      e.ev.stop();
      this.pushMeter(evseId);
      this.pushPilot(evseId);
    }
    this.feed("input", `unplug\t${evseId}\t${connectorId}`);
  }

  /** A card presented at the EVSE's reader (type: IdTokenEnumType). */
  presentToken(evseId: number, idToken: string, type = "ISO14443"): void {
    if (!/^[A-Za-z0-9]+$/.test(type)) throw new RangeError(`bad token type ${JSON.stringify(type)}`);
    this.feed("token", `${evseId}\t${type}\t${escField(bytes(idToken))}`);
  }

  /** Changes the EVSE's EV (before plugging it in, or while it charges: it follows from the next second). */
  setEv(evseId: number, spec: Partial<EvSpec>): void {
    const bad = evSpecError(spec);
    if (bad !== undefined) throw new RangeError(bad);
    const e = this.evses[evseId - 1];
    for (const k of ["capacityWh", "socPercent", "maxPowerW", "phases"] as const) if (spec[k] !== undefined) (e.ev.spec[k] as number) = spec[k];
    this.pushMeter(evseId);
  }

  /** Injects (or clears) hardware faults; the feedback contacts follow at once. */
  setFaults(evseId: number, faults: Partial<Faults>): void {
    const e = this.evses[evseId - 1];
    Object.assign(e.faults, faults);
    this.settleRelay(evseId);
    e.locked.forEach((_l, j) => this.settleLock(evseId, j + 1));
  }

  evseView(evseId: number): EvseView {
    const e = this.evses[evseId - 1];
    const c = connectorOf(e);
    const r = e.reading;
    return {
      pilot: e.pilot,
      offeredA: Math.min(e.offerDa, (c ?? maxConnector(e)).maxCurrentA * 10) / 10,
      relayClosed: e.relayClosed,
      powerW: r.powerW,
      energyWh: r.energyWh,
      socPercent: r.socPercent,
      currentA: r.currentDa.map((d) => d / 10),
      voltageV: r.voltageDv.map((d) => d / 10),
      ev: { ...e.ev.spec, socPercent: Math.round(e.ev.spec.socPercent * 100) / 100, connectorId: e.plugged.indexOf(true) + 1 || null },
    };
  }

  /** The EV's draw for the coming second from what the EVSE gives it now. */
  private follow(e: EvseState): void {
    const c = connectorOf(e);
    if (c === undefined) e.ev.stop();
    else e.ev.follow({ offerDa: e.offerDa, relayClosed: e.relayClosed, phases: c.phases, maxCurrentA: c.maxCurrentA });
  }

  /** Feeds the meter's reading when it changed (or adds it to `later`, for the tick to carry). */
  private pushMeter(evseId: number, later?: string[]): void {
    const e = this.evses[evseId - 1];
    const r = readingOf(e);
    const line = `${evseId}\t${r.energyWh}\t${r.powerW}\t${r.currentDa.join(",")}\t${r.voltageDv.join(",")}\t${r.socPercent}`;
    e.reading = r;
    if (line === e.meterLine) return;
    e.meterLine = line;
    if (later !== undefined) later.push(line);
    else this.feed("meter", line);
  }

  /** Feeds the pilot state when it changed. */
  private pushPilot(evseId: number): void {
    const e = this.evses[evseId - 1];
    const p = pilotOf(e);
    if (p === e.pilot) return;
    e.pilot = p;
    this.opts.log?.("effect", `pilot ${evseId} ${p}`);
    this.feed("pilot", `${evseId}\t${p}`);
  }

  /** The contactor moves as commanded unless welded shut; a change of its feedback is an input. */
  private settleRelay(evseId: number): void {
    const e = this.evses[evseId - 1];
    const real = e.faults.relayWelded && e.relayClosed ? true : e.relayCommand;
    if (real === e.relayClosed) return;
    e.relayClosed = real;
    this.opts.log?.("effect", `relay ${evseId} ${real ? "closed" : "open"}`);
    // An open contactor cuts the current at once; a closed one lets the EV draw from the next second.
    if (!real) {
      e.ev.stop();
      this.pushMeter(evseId);
    }
    this.feed("relay", `${evseId}\t${real ? 1 : 0}`);
  }

  private settleLock(evseId: number, connectorId: number): void {
    const e = this.evses[evseId - 1];
    const real = e.faults.lockStuck ? e.locked[connectorId - 1] : e.lockCommand[connectorId - 1];
    if (real === e.locked[connectorId - 1]) return;
    e.locked[connectorId - 1] = real;
    this.feed("lock", `${evseId}\t${connectorId}\t${real ? 1 : 0}`);
  }

  private evseOf(id: string, line: string): EvseState {
    const e = this.evses[Number(id) - 1];
    if (e === undefined) throw new Error(`effect for an unknown EVSE: ${line}`);
    return e;
  }

  heapKb(full = true): number {
    return this.image.heapKb(full);
  }

  /** The flash write of an append effect; a power loss injected here keeps only its first bytes. */
  private append(key: string, bytes: string): void {
    let data = bytes;
    const at = this.powerLossAt;
    if (this.cutHere()) data = data.slice(0, Math.min(at?.bytes ?? 0, data.length));
    this.appendedBytes += data.length;
    this.store.set(key, (this.store.data.get(key) ?? "") + data);
  }

  private effect(line: string): void {
    const f = line.split("\t");
    const t = this.opts.transport;
    switch (f[0]) {
      case "send":
      case "sendx": {
        // "send" carries the frame as it is (it has no newline), "sendx" escaped.
        const raw = line.slice(f[0].length + 1);
        const frame = f[0] === "send" ? raw : unescField(raw);
        this.opts.log?.("frame-out", frame);
        t.send(frame);
        break;
      }
      case "connect": {
        const auth = f[3] === "" ? undefined : unescField(f[3]);
        this.opts.log?.("effect", `connect ${unescField(f[1])} (${f[2]})`);
        const gen = this.wsGen;
        t.connect(unescField(f[1]), f[2], auth, Number(f[4]), {
          onOpen: () => {
            if (gen !== this.wsGen) return;
            this.connected = true;
            this.feed("open", "");
          },
          onClose: () => {
            if (gen !== this.wsGen) return;
            this.connected = false;
            this.feed("close", "");
          },
          onMessage: (frame) => {
            if (gen === this.wsGen) this.frameIn(frame);
          },
        });
        break;
      }
      case "disconnect":
        t.disconnect();
        break;
      case "netopen": {
        // "netopen <host> <port> <0|1 tls>": one connection at a time, a new one replaces the old silently.
        const host = Buffer.from(unescField(f[1]), "latin1").toString("utf8");
        const port = Number(f[2]);
        const tls = f[3] === "1";
        this.opts.log?.("effect", `netopen ${host}:${f[2]}${tls ? " (TLS)" : ""}`);
        const gen = ++this.netGen;
        this.netConnected = false;
        const live = () => gen === this.netGen;
        this.net.open(host, port, tls, {
          onOpen: () => {
            if (!live()) return;
            this.netConnected = true;
            this.feed("net", "opened");
          },
          onClose: () => {
            if (!live()) return;
            // Exactly once per netopen: nothing more from this socket.
            this.netGen++;
            this.netConnected = false;
            this.feed("net", "closed");
          },
          onData: (data) => {
            if (live()) this.feed("net", `data\t${escField(data)}`);
          },
        });
        break;
      }
      case "netsend":
        this.net.send(unescField(line.slice("netsend\t".length)));
        break;
      case "netclose":
        this.opts.log?.("effect", "netclose");
        this.net.close();
        break;
      case "save":
        if (!this.cutHere()) this.store.set(unescField(f[1]), unescField(f.slice(2).join("\t")));
        break;
      case "erase":
        if (!this.cutHere()) this.store.set(unescField(f[1]), undefined);
        break;
      case "offer": {
        // The PWM generator cannot offer more than the EVSE is rated for, nor less than nothing.
        const e = this.evseOf(f[1], line);
        const da = Math.max(0, Math.min(Math.round(Number(f[2])), maxConnector(e).maxCurrentA * 10));
        if (da !== e.offerDa) this.opts.log?.("effect", `offer ${f[1]} ${da / 10} A`);
        e.offerDa = da;
        break;
      }
      case "rtc":
        this.rtcBase = Number(f[1]) - this.uptime;
        break;
      case "relay":
        this.evseOf(f[1], line).relayCommand = f[2] === "1";
        this.settleRelay(Number(f[1]));
        break;
      case "lock": {
        const e = this.evseOf(f[1], line);
        const c = Number(f[2]);
        if (!(c >= 1 && c <= e.locked.length)) throw new Error(`effect for an unknown connector: ${line}`);
        e.lockCommand[c - 1] = f[3] === "1";
        this.settleLock(Number(f[1]), c);
        break;
      }
      case "reboot":
        this.rebootRequested = true;
        this.opts.log?.("effect", "reboot requested");
        break;
      case "log":
        this.opts.log?.("log", unescField(f.slice(2).join("\t")), Number(f[1]));
        break;
      case "heap":
        break;
      default:
        throw new Error(`unknown effect from image: ${line}`);
    }
  }
}

function newEvse(t: EvseTopology): EvseState {
  const connectors = typeof t === "number" ? Array.from({ length: t }, () => ({ ...DEFAULT_CONNECTOR })) : t.connectors.map((c) => ({ phases: c.phases, maxCurrentA: c.maxCurrentA }));
  const n = connectors.length;
  const e: EvseState = {
    connectors,
    phases: Math.max(...connectors.map((c) => c.phases)),
    relayCommand: false,
    relayClosed: false,
    offerDa: 0,
    lockCommand: new Array(n).fill(false),
    locked: new Array(n).fill(false),
    plugged: new Array(n).fill(false),
    pilot: "A",
    ev: new Ev(),
    energyWh: 0,
    faults: { relayWelded: false, lockStuck: false },
    reading: { energyWh: 0, powerW: 0, currentDa: [], voltageDv: [], socPercent: -1 },
    meterLine: "",
  };
  e.reading = readingOf(e);
  return e;
}

/** The connector the EV's cable is in: the first one plugged. */
function connectorOf(e: EvseState): ConnectorSpec | undefined {
  const i = e.plugged.indexOf(true);
  return i < 0 ? undefined : e.connectors[i];
}

/** The EVSE's highest-rated connector: what an offer is clamped to. */
function maxConnector(e: EvseState): ConnectorSpec {
  return e.connectors.reduce((a, c) => (c.maxCurrentA > a.maxCurrentA ? c : a));
}

function pilotOf(e: EvseState): string {
  return connectorOf(e) === undefined ? "A" : e.ev.pilot(e.offerDa);
}

/** The meter in the HAL's integer units: whole Wh reached, W, 0.1 A and 0.1 V per wired phase, SoC or -1. */
function readingOf(e: EvseState): MeterReading {
  const ev = e.ev;
  const currentDa: number[] = [];
  const voltageDv: number[] = [];
  for (let i = 0; i < e.phases; i++) {
    currentDa.push(i < ev.drawPhases ? Math.round(ev.drawA * 10) : 0);
    voltageDv.push(PHASE_VOLTAGE_DV[i]);
  }
  return {
    // A register shows the Wh completed; the epsilon keeps a sum of float steps that is 11000 - 1e-9 at 11000.
    energyWh: Math.floor(e.energyWh + 1e-6),
    powerW: Math.round(ev.powerW()),
    currentDa,
    voltageDv,
    socPercent: connectorOf(e) === undefined ? -1 : Math.floor(ev.spec.socPercent),
  };
}
