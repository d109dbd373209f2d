// The emulated board: the Node half of hal/sim. It feeds the image inputs over the line protocol
// and carries out the effects it returns: transport, flash storage, relays, locks, RTC, reboot.
//
// Time is the board's: `advance(s)` moves uptime in virtual seconds (tests), or a wall-clock
// interval calls it (the simulator). A power cycle throws the VM away and keeps the storage.

import * as fs from "node:fs";
import * as path from "node:path";
import { ImageRuntime, loadImage, RuntimeName } from "./runtimes/image";

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
  transport: Transport;
  store?: FlashStore;
  /** Wall-clock epoch seconds at uptime 0; undefined: the board has no RTC. */
  rtcEpoch?: number;
  log?: BoardLog;
  /** Values provisioned at the first power-on, like a factory would (identity, password, CSMS URL). */
  provision?: Record<string, string>;
  seed?: number;
}

export interface EvseState {
  relayClosed: boolean;
  /** The pilot's current offer in 0.1 A (0: none). */
  offerDa: number;
  locked: boolean[];
  plugged: boolean[];
  meter: { energyWh: number; powerW: number; currentA: number; voltageV: number };
}

export class Board {
  image!: ImageRuntime;
  uptime = 0;
  readonly store: FlashStore;
  /** Epoch seconds at uptime 0 as last set by the firmware (RTC); undefined until known. */
  rtcBase: number | undefined;
  evses: EvseState[] = [];
  connected = false;
  rebootRequested = false;
  bootCount = 0;
  private readonly opts: BoardOptions;

  constructor(opts: BoardOptions) {
    this.opts = opts;
    this.store = opts.store ?? new FlashStore();
    this.rtcBase = opts.rtcEpoch;
  }

  /** Powers the board up: loads the image, hands it the flash contents, starts the firmware. */
  async powerOn(evseConnectors: number[]): Promise<void> {
    this.image = await loadImage(this.opts.root, this.opts.config, this.opts.runtime, this.opts.imageFile);
    this.bootCount++;
    this.rebootRequested = false;
    if (this.evses.length === 0) {
      this.evses = evseConnectors.map((n) => ({
        relayClosed: false,
        offerDa: 0,
        locked: new Array(n).fill(false),
        plugged: new Array(n).fill(false),
        meter: { energyWh: 0, powerW: 0, currentA: 0, voltageV: 230 },
      }));
    }
    for (const [k, v] of this.store.data) this.feed("store", `${escField(k)}\t${escField(v)}`);
    this.evses.forEach((_e, i) => this.pushMeter(i + 1));
    const rtc = this.rtcBase === undefined ? "-" : String(this.rtcBase + this.uptime);
    this.feed("start", `${rtc}\t${this.opts.seed ?? this.bootCount}`);
    // The control pilot is read at power-up: a cable still plugged in is reported before anything else.
    this.evses.forEach((e, i) => e.plugged.forEach((p, j) => p && this.feed("input", `plug\t${i + 1}\t${j + 1}`)));
    if (this.bootCount === 1) for (const [k, v] of Object.entries(this.opts.provision ?? {})) this.feed("prov", `${escField(k)}\t${escField(v)}`);
    this.feed("tick", "");
  }

  /** Power cycle: the VM and the connection go, flash and the RTC stay. */
  async powerCycle(): Promise<void> {
    // Also a socket still opening: its late onOpen must not reach the new image.
    this.connected = false;
    this.opts.transport.disconnect();
    this.image.close();
    if (this.rtcBase !== undefined) this.rtcBase = this.rtcBase + this.uptime;
    this.uptime = 0;
    this.evses.forEach((e) => (e.relayClosed = false));
    await this.powerOn(this.evses.map((e) => e.plugged.length));
  }

  /** Sends one input line and carries out the effects. */
  feed(kind: string, rest: string): void {
    const out = this.image.event(`${this.uptime}\t${kind}\t${rest}`);
    if (out.length > 0) for (const line of out.split("\n")) if (line !== "") this.effect(line);
  }

  /** Moves time forward second by second, ticking the firmware each second. */
  advance(seconds: number): void {
    for (let i = 0; i < seconds; i++) {
      this.uptime++;
      this.feed("tick", "");
    }
  }

  frameIn(frame: string): void {
    this.opts.log?.("frame-in", frame);
    this.feed("frame", frame);
  }

  plug(evseId: number, connectorId = 1): void {
    this.evses[evseId - 1].plugged[connectorId - 1] = true;
    this.feed("input", `plug\t${evseId}\t${connectorId}`);
  }

  unplug(evseId: number, connectorId = 1): void {
    this.evses[evseId - 1].plugged[connectorId - 1] = false;
    this.feed("input", `unplug\t${evseId}\t${connectorId}`);
  }

  setMeter(evseId: number, m: Partial<EvseState["meter"]>): void {
    Object.assign(this.evses[evseId - 1].meter, m);
    this.pushMeter(evseId);
  }

  private pushMeter(evseId: number): void {
    const m = this.evses[evseId - 1].meter;
    this.feed("meter", `${evseId}\t${Math.round(m.energyWh)}\t${Math.round(m.powerW)}\t${Math.round(m.currentA * 10)}\t${Math.round(m.voltageV * 10)}\t-1`);
  }

  heapKb(full = true): number {
    return this.image.heapKb(full);
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
        t.connect(unescField(f[1]), f[2], auth, Number(f[4]), {
          onOpen: () => {
            this.connected = true;
            this.feed("open", "");
          },
          onClose: () => {
            this.connected = false;
            this.feed("close", "");
          },
          onMessage: (frame) => this.frameIn(frame),
        });
        break;
      }
      case "disconnect":
        t.disconnect();
        break;
      case "save":
        this.store.set(unescField(f[1]), unescField(f.slice(2).join("\t")));
        break;
      case "erase":
        this.store.set(unescField(f[1]), undefined);
        break;
      case "append": {
        const k = unescField(f[1]);
        this.store.set(k, (this.store.data.get(k) ?? "") + unescField(f.slice(2).join("\t")));
        break;
      }
      case "offer":
        this.evses[Number(f[1]) - 1].offerDa = Number(f[2]);
        break;
      case "rtc":
        this.rtcBase = Number(f[1]) - this.uptime;
        break;
      case "relay":
        this.evses[Number(f[1]) - 1].relayClosed = f[2] === "1";
        this.opts.log?.("effect", `relay ${f[1]} ${f[2] === "1" ? "closed" : "open"}`);
        break;
      case "lock":
        this.evses[Number(f[1]) - 1].locked[Number(f[2]) - 1] = f[3] === "1";
        break;
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
