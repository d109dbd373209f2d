// Scenario harness: a station image on any runtime, wired to a scripted CSMS over a fake socket,
// in virtual time. The same scenario runs on every runtime (RUNTIMES: node, lua5.1, lua5.3, lua5.3-int32, lua5.3-f32).

import { Board, ConnectorSpec, FlashStore, Transport, TransportEvents } from "../sim/board";
import { ROOT } from "../build/compile";
import { RuntimeName } from "../sim/runtimes/image";
import { WireCheck } from "../sim/wire-check";
import type { NetTransport } from "../sim/net-transport";

/**
 * Every schema or framing violation in a frame a station sent, in any scenario: the frame's send
 * throws, and test/setup.ts fails the test afterwards as well (in case the throw was swallowed).
 */
export const wireViolations: string[] = [];

export type Frame = unknown[];

/** The CSMS end of the socket: frames the station sent, and ways to answer or call it. */
export class ScriptedCsms implements Transport {
  sent: string[] = [];
  connects: { url: string; subprotocol: string; auth: string | undefined }[] = [];
  ev: TransportEvents | undefined;
  /** When false, connection attempts fail (network down). */
  reachable = true;
  /** When true, connection attempts neither open nor fail: the board never reports back. */
  hanging = false;
  open = false;
  private callSeq = 0;
  /** Judges every frame the station sends against the official schemas (sim/wire-check.ts). */
  readonly wire = new WireCheck();

  connect(url: string, subprotocol: string, auth: string | undefined, _ping: number, ev: TransportEvents): void {
    this.connects.push({ url, subprotocol, auth });
    this.ev = ev;
    // Answer on the next turn, like a real socket, never inside the image's own event.
    if (this.hanging) return;
    queueMicrotask(() => {
      if (this.reachable) {
        this.open = true;
        ev.onOpen();
      } else ev.onClose();
    });
  }
  /** CALLs answered automatically (on the next turn) by action; the frames are still recorded. */
  autoReply: Record<string, unknown> = {};
  /**
   * SecurityEventNotification (A04) frames, parsed. While `securityAside` is true (the default) they
   * are answered on the next turn and kept here instead of in `sent`, like a CSMS that takes security
   * events on a channel of their own: scenarios about something else see the frames they are about.
   */
  security: Frame[] = [];
  securityAside = true;

  send(frame: string): void {
    if (!this.open) throw new Error("station sent on a closed socket: " + frame);
    this.sent.push(frame);
    // Every frame the station sends must be valid UTF-8 (fatal decoding throws otherwise) and valid OCPP.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(frame, "latin1"));
    const bad = this.wire.stationFrame(text);
    if (bad.length > 0) {
      const msg = `station sent an invalid frame ${text.slice(0, 300)}: ${bad.join("; ")}`;
      wireViolations.push(msg);
      throw new Error(msg);
    }
    const f = JSON.parse(text) as Frame;
    if (this.securityAside && f[0] === 2 && f[2] === "SecurityEventNotification") {
      this.sent.pop();
      this.security.push(f);
      queueMicrotask(() => {
        if (this.open) this.reply(f, {});
      });
      return;
    }
    if (f[0] === 2 && (f[2] as string) in this.autoReply) {
      const payload = this.autoReply[f[2] as string];
      queueMicrotask(() => {
        if (this.open) this.reply(f, typeof payload === "function" ? (payload as (f: Frame) => unknown)(f) : payload);
      });
    }
  }
  disconnect(): void {
    this.open = false;
  }
  /** Drops the connection from the network side. */
  drop(): void {
    if (!this.open) return;
    this.open = false;
    this.ev?.onClose();
  }

  /** Parsed frames the station sent, oldest first, and forgets them. */
  take(): Frame[] {
    // Every frame the station sends must be valid UTF-8 (fatal decoding throws otherwise).
    const utf8 = new TextDecoder("utf-8", { fatal: true });
    const out = this.sent.map((s) => JSON.parse(utf8.decode(Buffer.from(s, "latin1"))) as Frame);
    this.sent = [];
    return out;
  }

  /** CALLs among the frames sent so far (consumed). */
  takeCalls(): Frame[] {
    return this.take().filter((f) => f[0] === 2);
  }

  /** Delivers a raw frame (a JS string, encoded as UTF-8) to the station. */
  deliver(text: string): void {
    this.wire.csmsFrame(text);
    this.ev!.onMessage(Buffer.from(text, "utf8").toString("latin1"));
  }
  /** Delivers raw bytes to the station. */
  deliverBytes(bytes: Buffer): void {
    this.wire.csmsFrame(bytes.toString("utf8"));
    this.ev!.onMessage(bytes.toString("latin1"));
  }

  reply(call: Frame, payload: unknown): void {
    this.deliver(JSON.stringify([3, call[1], payload]));
  }

  /** Sends a CALL and returns the station's answer frame (CALLRESULT or CALLERROR). */
  call(action: string, payload: unknown): Frame {
    const id = `csms-${++this.callSeq}`;
    this.deliver(JSON.stringify([2, id, action, payload]));
    const frames = this.take();
    const answer = frames.find((f) => (f[0] === 3 || f[0] === 4) && f[1] === id);
    if (answer === undefined) throw new Error(`no answer to ${action}: ${JSON.stringify(frames)}`);
    // Anything else the station sent stays readable.
    this.sent = frames.filter((f) => f !== answer).map((f) => Buffer.from(JSON.stringify(f), "utf8").toString("latin1"));
    return answer;
  }
}

export interface TestStation {
  board: Board;
  csms: ScriptedCsms;
  logs: string[];
  /** Lets queued socket events (open/close) reach the station. */
  settle(): Promise<void>;
}

export const EPOCH = 1795000000; // 2026-11-18T...Z, within 32 bits until 2038

export interface StationOptions {
  /** Config name under build/configs (default core). */
  config?: string;
  /** The config file, when it is not build/configs/<config>.json. */
  configFile?: string;
  /** A specific Lua chunk to run (e.g. stripped bytecode). */
  imageFile?: string;
  store?: FlashStore;
  /** Epoch seconds of the board's RTC at power-up; null: the board has no RTC (default EPOCH). */
  rtc?: number | null;
  /** More values provisioned at the first power-on (beside URL, identity and password). */
  provision?: Record<string, string>;
  /** The CSMS end (a ScriptedCsms subclass, e.g. one that injects faults). */
  csms?: ScriptedCsms;
  /** The board's second transport (a TCP stream to an EMS broker); none: every netopen fails. */
  net?: NetTransport;
}

export async function startStation(runtime: RuntimeName, options: string | StationOptions = {}): Promise<TestStation> {
  const opts: StationOptions = typeof options === "string" ? { config: options } : options;
  const config = opts.config ?? "core";
  const csms = opts.csms ?? new ScriptedCsms();
  const logs: string[] = [];
  const board = new Board({
    root: ROOT,
    config,
    runtime,
    imageFile: opts.imageFile,
    transport: csms,
    net: opts.net,
    store: opts.store,
    rtcEpoch: opts.rtc === null ? undefined : (opts.rtc ?? EPOCH),
    provision: { "Internal/CsmsUrl": "ws://csms.test/ocpp", "SecurityCtrlr/Identity": "CP 1", "SecurityCtrlr/BasicAuthPassword": "secretpass1234567", ...opts.provision },
    log: (kind, text) => {
      if (kind === "log") logs.push(text);
    },
  });
  const cfgFile = opts.configFile ?? `${ROOT}/build/configs/${config}.json`;
  const cfg = JSON.parse(require("node:fs").readFileSync(cfgFile, "utf8")) as { evses: { connectors: ConnectorSpec[] }[] };
  await board.powerOn(cfg.evses);
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  await settle();
  return { board, csms, logs, settle };
}

/** Boots a station to Accepted and consumes the boot and status frames. */
export const NOW_ISO = "2026-11-24T10:00:00Z";

/** Boots a station to Accepted; StatusNotification and Heartbeat are answered automatically. */
export async function bootAccepted(runtime: RuntimeName, options: string | StationOptions = {}, interval = 300): Promise<TestStation> {
  const t = await startStation(runtime, options);
  t.csms.autoReply = { StatusNotification: {}, Heartbeat: () => ({ currentTime: NOW_ISO }) };
  const [boot] = t.csms.takeCalls();
  if (boot === undefined || boot[2] !== "BootNotification") throw new Error("no BootNotification");
  t.csms.reply(boot, { status: "Accepted", interval, currentTime: NOW_ISO });
  await t.settle();
  t.csms.take();
  return t;
}
