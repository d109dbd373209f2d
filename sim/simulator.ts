// The desktop simulator: builds a config, boots it on an emulated board over a real WebSocket, in wall-clock time, with a live log and an optional Control API.
//
// startSimulator() is what the CLI (sim/cli.ts) runs and what tests call in-process.

import * as fs from "node:fs";
import * as path from "node:path";
import { Board, FlashStore } from "./board";
import { WsTransport } from "./ws-transport";
import { CsmsViolation, EmbeddedCsms, EmbeddedCsmsOptions } from "./csms";
import { formatTokens } from "./csms-tokens";
import { ControlApi, FrameInfo, SimControl, WireTracker } from "./api";
import { TcpNet } from "./net-transport";
import { EmsBroker, startEmsBroker } from "./ems-broker";
import { EmsClient } from "./ems-client";
import { buildDir, loadImage, RuntimeName, RUNTIMES } from "./runtimes/image";
import { compile, halFile, ROOT } from "../build/compile";
import { BuildConfig, loadConfig } from "../build/config";
import { generate } from "../build/generate";

export type LogFormat = "text" | "json";

export interface SimOptions {
  /** CSMS base URL (the station appends "/" + id); default: an embedded CSMS on a free port. */
  csms?: string;
  id?: string;
  password?: string;
  /** Topology override: EVSE count and connectors per EVSE (a derived config is built). */
  evses?: number;
  connectors?: number;
  /** Where the firmware runs; default: the config's target (lua5.1 or lua5.3). */
  runtime?: RuntimeName;
  apiPort?: number;
  /** Flash storage lives in DIR/<id>-flash.json, so state survives a restart. */
  stateDir?: string;
  logFormat?: LogFormat;
  /** OEM build config file; default build/configs/core.json. */
  config?: string;
  /** Where log lines go (default stdout / stderr). */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Virtual seconds per wall-clock second (default 1): the board still ticks every virtual second. */
  speed?: number;
  /** For the embedded CSMS started when csms is not given. */
  embeddedCsms?: EmbeddedCsmsOptions;
  /** The EMS's MQTT broker (mqtt:// or mqtts:// URL), for a build with the ems block; default: an embedded broker on a free port. */
  ems?: string;
  /** A port's emulated board (sim/boards/port-sim.ts PORT_BOARDS) instead of the simulator's own HAL; the CLI runs it with startPortSimulator. */
  board?: string;
  /** With a port's board: the EV's cable is in from power-up. */
  plugged?: boolean;
}

/** The local EMS of a build with the ems block: the broker the station was provisioned with and the simulator's client on it. */
export interface SimEmsHandle {
  url: string;
  client: EmsClient;
  /** The embedded broker, when the simulator started one (no --ems). */
  broker?: EmsBroker;
}

export interface SimHandle {
  board: Board;
  /** The embedded CSMS, when the simulator started one. */
  csms?: EmbeddedCsms;
  apiPort?: number;
  /** The CSMS base URL the station was provisioned with. */
  csmsUrl: string;
  transport: WsTransport;
  /** The board's byte stream (builds with the ems block). */
  net?: TcpNet;
  /** The local EMS (builds with the ems block). */
  ems?: SimEmsHandle;
  tracker: WireTracker;
  config: BuildConfig;
  /** Firmware or board errors caught while running (each also logged). */
  errors: unknown[];
  powerCycle(): Promise<void>;
  stop(): Promise<void>;
}

/** Device-model keys the board provisions at every start (firmware/model.ts key syntax "Component/Variable"). */
export const PROVISION_KEYS = { url: "Internal/CsmsUrl", identity: "SecurityCtrlr/Identity", password: "SecurityCtrlr/BasicAuthPassword", emsUrl: "EmsCtrlr/Url" };

/** The functional block that brings the local EMS over MQTT. */
export const EMS_BLOCK = "ems";
export const EMS_NEEDS_BLOCK = "--ems needs a build with the ems block";

/**
 * Whether a config file lists the ems block, read from its JSON as it is (the build validates it
 * later): the CLI's check of --ems. Throws when the file is not readable JSON.
 */
export function configHasEms(configFile: string): boolean {
  const raw = JSON.parse(fs.readFileSync(configFile, "utf8")) as { blocks?: unknown };
  return Array.isArray(raw.blocks) && raw.blocks.includes(EMS_BLOCK);
}

export const DEFAULT_CONFIG = path.join(ROOT, "build", "configs", "core.json");

// ---- build ----------------------------------------------------------------------------------

/** Newest modification time of the files a build reads (sources, build scripts, the config). */
function newestSource(configFile: string): number {
  let newest = fs.statSync(configFile).mtimeMs;
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(ent.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of ["firmware", "hal", "profiles"]) walk(path.join(ROOT, d));
  for (const f of fs.readdirSync(path.join(ROOT, "build"))) {
    if (f.endsWith(".ts")) newest = Math.max(newest, fs.statSync(path.join(ROOT, "build", f)).mtimeMs);
  }
  return newest;
}

/** A file name for an identity, one to one: characters outside [A-Za-z0-9._-] are percent-encoded. */
export function flashName(id: string): string {
  return [...Buffer.from(id, "utf8")].map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}

/** Writes a file only when its content changes, so the build's up-to-date check stays meaningful. */
function writeIfChanged(file: string, text: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * The config actually run: the file as given, or with --evses/--connectors a derived one
 * ("<name>-sim-<E>x<C>", each EVSE and connector copied from the config's, the last one repeated)
 * written under build/gen/sim-configs/.
 */
export function simConfigFile(configFile: string, evses?: number, connectors?: number): string {
  if (evses === undefined && connectors === undefined) return configFile;
  // Validated first, so a broken config is reported against the user's file, not a derived one.
  const raw = loadConfig(configFile, ROOT) as BuildConfig & { $schema?: string };
  const n = evses ?? raw.evses.length;
  const suffix = `-sim-${n}x${connectors ?? "c"}`;
  const name = String(raw.name).slice(0, 40 - suffix.length) + suffix;
  const pick = <T>(a: T[], i: number): T => a[Math.min(i, a.length - 1)];
  const derived = {
    ...raw,
    name,
    evses: Array.from({ length: n }, (_e, i) => {
      const ev = pick(raw.evses, i);
      // Without --connectors each EVSE keeps its own connectors.
      const m = connectors ?? ev.connectors.length;
      return { ...ev, connectors: Array.from({ length: m }, (_c, j) => pick(ev.connectors, j)) };
    }),
  };
  delete derived.$schema;
  // The wiring of flashable boards has one pin set per EVSE of the user's topology; the simulator's board has none.
  delete derived.board;
  const file = path.join(ROOT, "build", "gen", "sim-configs", `${name}.json`);
  writeIfChanged(file, JSON.stringify(derived, null, 2) + "\n");
  return file;
}

/** The runtime that runs a config by default: the VM of its target (Lua 5.1 or 5.3). */
export function defaultRuntime(cfg: BuildConfig): RuntimeName {
  return cfg.target;
}

/**
 * Builds what the runtime loads: the generated sources (node) or, for the runtime's Lua version, the
 * image and the simulator's HAL with their stripped bytecode. A build newer than every source is
 * reused, like make, because a TSTL compile takes seconds and the simulator restarts often.
 */
export function buildFor(configFile: string, runtime: RuntimeName, log?: (s: string) => void): BuildConfig {
  const cfg = loadConfig(configFile, ROOT);
  if (runtime === "node") {
    generate(ROOT, cfg);
    return cfg;
  }
  const target = runtime === "lua5.1" ? "lua5.1" : "lua5.3";
  const outDir = buildDir(ROOT, cfg.name, runtime);
  const outputs = [path.join(outDir, "ocpp.lua"), path.join(outDir, "ocpp.luac"), halFile(outDir, "sim", false), halFile(outDir, "sim", true)];
  // The build is reused only when it was made from this very config: two files may share a name.
  const stampFile = path.join(outDir, "sim-config.json");
  const stamp = JSON.stringify(cfg);
  const fresh = outputs.every((f) => fs.existsSync(f)) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
  if (fresh && Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs)) >= newestSource(configFile)) return cfg;
  log?.(`building ${cfg.name} for ${target} …`);
  compile(cfg, target, outDir, "sim");
  fs.writeFileSync(stampFile, stamp);
  return cfg;
}

// ---- logging --------------------------------------------------------------------------------

function clock(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

const LEVELS: Record<number, string> = { 1: "error", 2: "warn", 3: "info", 4: "debug" };

/** One readable line for a frame: `→ [2,"id"] Action {…}`, `← [3,"id"] Action: Accepted {…}`. */
export function formatFrame(f: FrameInfo): string {
  const arrow = f.dir === "out" ? "→" : "←";
  const fr = f.frame;
  if (!Array.isArray(fr) || f.type === undefined) return `${arrow} ${typeof fr === "string" ? fr : JSON.stringify(fr)}`;
  const head = `[${f.type},${JSON.stringify(f.id)}]`;
  if (f.type === 2) return `${arrow} ${f.action} ${head} ${JSON.stringify(fr[3])}`;
  if (f.type === 3) {
    const p = fr[2] as { status?: unknown } | undefined;
    const status = p !== null && typeof p === "object" && typeof p.status === "string" ? `: ${p.status}` : "";
    return `${arrow} ${head} ${f.action ?? "?"}${status} ${JSON.stringify(p)}`;
  }
  if (f.type === 4) return `${arrow} ${head} ${f.action ?? "?"} CALLERROR ${String(fr[2])} ${JSON.stringify(fr[3])}`;
  return `${arrow} ${JSON.stringify(fr)}`;
}

/**
 * The Lua heap (KB, after a full GC) of the image loaded but not started: the control API's heap.codeKb.
 * Measured in a VM of its own, as bench/footprint.ts measures code, because collecting in the board's
 * VM would change what it later reports (Lua 5.1 halves its string buffer at every full GC).
 */
async function loadedHeapKb(config: string, runtime: RuntimeName): Promise<number | undefined> {
  const image = await loadImage(ROOT, config, runtime);
  try {
    return image.ownHeap ? image.heapKb(true) : undefined;
  } finally {
    image.close();
  }
}

/**
 * Keeps stdout for the JSON lines alone: anything else that writes there (a Lua print() through
 * emscripten, which captured console.log at load, or any library's console.log) goes to stderr.
 * Returns the writer for the JSON lines and the way back.
 */
function stdoutForJsonOnly(): { write: (line: string) => void; restore: () => void } {
  const stdout = process.stdout;
  const original = stdout.write;
  const real = original.bind(stdout) as (s: string) => boolean;
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  return {
    write: (line) => void real(line + "\n"),
    restore: () => {
      stdout.write = original;
    },
  };
}

// ---- the simulator --------------------------------------------------------------------------

/** The Control API's view of the EMS: the client bound to this station's id. */
function emsControl(ems: SimEmsHandle | undefined, id: string): SimControl["ems"] {
  if (ems === undefined) return undefined;
  const c = ems.client;
  return { url: ems.url, publishLimit: (limit) => c.publishLimit(id, limit), clearLimit: () => c.clearLimit(id), lastMeter: () => c.lastMeter(id) };
}

export async function startSimulator(opts: SimOptions = {}): Promise<SimHandle> {
  const id = opts.id ?? "CP001";
  if (opts.board !== undefined && opts.board !== "sim") throw new Error(`--board ${opts.board} runs with startPortSimulator (sim/boards/port-sim.ts)`);
  if (opts.runtime !== undefined && !RUNTIMES.includes(opts.runtime)) throw new Error(`unknown runtime ${opts.runtime} (${RUNTIMES.join(", ")})`);
  const speed = opts.speed ?? 1;
  if (!(speed >= 1 && speed <= 1000)) throw new Error(`speed must be from 1 to 1000, got ${speed}`);
  const err = opts.err ?? ((s: string) => process.stderr.write(s + "\n"));
  const format = opts.logFormat ?? "text";
  // In JSON mode stdout carries frames only; everything else is for humans, on stderr.
  const restoreStdout = format === "json" && opts.out === undefined ? stdoutForJsonOnly() : undefined;
  const out = opts.out ?? restoreStdout?.write ?? ((s: string) => process.stdout.write(s + "\n"));
  const info = format === "json" ? err : out;

  let cfg: BuildConfig;
  let runtime: RuntimeName;
  let codeKb: number | undefined;
  try {
    const configFile = simConfigFile(path.resolve(opts.config ?? DEFAULT_CONFIG), opts.evses, opts.connectors);
    const loaded = loadConfig(configFile, ROOT);
    if (opts.ems !== undefined && !loaded.blocks.includes(EMS_BLOCK)) throw new Error(EMS_NEEDS_BLOCK);
    // The config's target unless --runtime says otherwise.
    runtime = opts.runtime ?? defaultRuntime(loaded);
    cfg = buildFor(configFile, runtime, info);
    codeKb = await loadedHeapKb(cfg.name, runtime);
  } catch (e) {
    restoreStdout?.restore();
    throw e;
  }

  let csms: EmbeddedCsms | undefined;
  let csmsUrl = opts.csms;
  if (csmsUrl === undefined) {
    csms = new EmbeddedCsms(opts.embeddedCsms);
    // Loud, on stderr in both formats: a frame a strict CSMS refuses is a firmware bug.
    csms.on("violation", (v: CsmsViolation) => {
      const who = v.outbound ? "the embedded CSMS sent" : `${v.identity} sent`;
      err(`${clock(new Date())} !!! OCPP VIOLATION (${v.check}): ${who} ${v.frame ?? (v.method ?? "a frame")}: ${v.error}`);
    });
    // One readable line per Authorize and TransactionEvent; the tokens it knows are printed once.
    csms.on("log", (line: string) => info(`${clock(new Date())} CSMS ${line}`));
    info(["embedded CSMS tokens:", ...formatTokens(csms.tokens)].join("\n"));
    await csms.start(0);
    csmsUrl = csms.url;
  }

  const errors: unknown[] = [];
  const fail = (e: unknown) => {
    errors.push(e);
    err(`${clock(new Date())} ! firmware/board error: ${(e as Error)?.message ?? String(e)}`);
  };

  // The local EMS: a build with the ems block talks MQTT over the board's byte stream to --ems or an embedded broker.
  let ems: SimEmsHandle | undefined;
  let net: TcpNet | undefined;
  if (cfg.blocks.includes(EMS_BLOCK)) {
    let broker: EmsBroker | undefined;
    try {
      if (opts.ems === undefined) broker = await startEmsBroker();
      const url = opts.ems ?? broker!.url;
      const client = new EmsClient(url, { log: (line) => info(`${clock(new Date())} · ${line}`) });
      ems = { url, client, broker };
      // The embedded broker is local: the client is on it (and subscribed to the meters) before the station boots.
      if (broker !== undefined) await client.ready();
    } catch (e) {
      await ems?.client.close();
      await broker?.close();
      await csms?.stop();
      restoreStdout?.restore();
      throw e;
    }
    net = new TcpNet({ onError: fail, log: (line) => info(`${clock(new Date())} · EMS link: ${line}`) });
  }

  const tracker = new WireTracker();
  // Why a connection failed or ended: the firmware only learns that it did.
  const transport = new WsTransport({ onError: fail, log: (line) => info(`${clock(new Date())} · ${line}`) });
  // The firmware holds byte strings: UTF-8 bytes, one char per byte.
  const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
  const provision: Record<string, string> = { [PROVISION_KEYS.url]: bytes(csmsUrl), [PROVISION_KEYS.identity]: bytes(id) };
  // Without --password nothing is provisioned: a password the CSMS set earlier (and flash kept) stays.
  if (opts.password !== undefined) provision[PROVISION_KEYS.password] = bytes(opts.password);
  if (ems !== undefined) provision[PROVISION_KEYS.emsUrl] = bytes(ems.url);

  let board: Board | undefined;
  let timer: NodeJS.Timeout | undefined;
  let api: ControlApi | undefined;
  let cycling: Promise<void> | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearInterval(timer);
    await api?.close();
    await cycling?.catch(() => undefined);
    transport.close();
    net?.dispose();
    try {
      board?.image?.close();
    } catch {
      // The image may never have loaded.
    }
    await ems?.client.close();
    await ems?.broker?.close();
    await csms?.stop();
    restoreStdout?.restore();
  };

  try {
    const store = opts.stateDir !== undefined ? new FlashStore(path.join(path.resolve(opts.stateDir), `${flashName(id)}-flash.json`)) : new FlashStore();
    const b = new Board({
      root: ROOT,
      config: cfg.name,
      runtime,
      transport,
      net,
      store,
      rtcEpoch: Math.floor(Date.now() / 1000),
      provision,
      log: (kind, text, level) => {
        const now = new Date();
        if (kind === "frame-in" || kind === "frame-out") {
          const f = tracker.observe(kind === "frame-in" ? "in" : "out", text, b.uptime);
          if (format === "json") out(JSON.stringify({ dir: f.dir, time: now.toISOString(), frame: f.frame }));
          else out(`${clock(now)} ${formatFrame(f)}`);
        } else if (kind === "log") {
          info(`${clock(now)} · fw ${LEVELS[level ?? 3] ?? String(level)}: ${Buffer.from(text, "latin1").toString("utf8")}`);
        } else {
          info(`${clock(now)} · ${text}`);
        }
      },
    });
    board = b;

    const t0 = Date.now();
    const virtualNow = () => Math.floor(((Date.now() - t0) * speed) / 1000);
    let done = 0;
    const powerCycle = (): Promise<void> => {
      if (cycling !== undefined) return cycling;
      cycling = (async () => {
        info(`${clock(new Date())} · power cycle`);
        // Silences even a connection still being opened: its events belong to the old image.
        transport.disconnect();
        tracker.reset();
        await b.powerCycle();
        // Seconds that passed while the image reloaded are not replayed into the new one.
        done = virtualNow();
      })().finally(() => {
        cycling = undefined;
      });
      return cycling;
    };

    info(
      `ocpp-sim: ${id} (${cfg.name}, ${cfg.evses.map((e) => e.connectors.length).join("+")} connectors) on ${runtime} → ${csmsUrl}` +
        (csms !== undefined ? " (embedded CSMS)" : "") +
        (speed !== 1 ? `, virtual time ×${speed}` : ""),
    );
    if (ems !== undefined) info(`ocpp-sim: EMS broker ${ems.url}` + (ems.broker !== undefined ? " (embedded)" : ""));
    await b.powerOn(cfg.evses);

    // Wall-clock drive: whole elapsed virtual seconds (speed × the real ones), checked four times a
    // virtual second (at most every 10 ms); advance ticks each of them.
    timer = setInterval(() => {
      if (cycling !== undefined || stopped) return;
      const due = virtualNow();
      if (due <= done) return;
      const n = due - done;
      done = due;
      try {
        b.advance(n);
      } catch (e) {
        fail(e);
      }
      // The firmware asked for a reboot (effect "reboot"): the board power-cycles, flash kept.
      if (b.rebootRequested) powerCycle().catch(fail);
    }, Math.max(10, Math.floor(250 / speed)));

    const embedded = csms;
    const sim: SimControl = {
      board: b,
      tracker,
      runtime,
      codeKb,
      wireViolations: embedded === undefined ? undefined : () => embedded.violations.length,
      csms: embedded,
      ems: emsControl(ems, id),
      networkDown: () => {
        info(`${clock(new Date())} · network down`);
        transport.setDown(true);
      },
      networkUp: () => {
        info(`${clock(new Date())} · network up`);
        transport.setDown(false);
      },
      powerCycle,
      idle: async () => {
        while (cycling !== undefined) await cycling.catch(() => undefined);
      },
    };

    let apiPort: number | undefined;
    if (opts.apiPort !== undefined) {
      api = new ControlApi(sim);
      apiPort = await api.listen(opts.apiPort);
      info(`ocpp-sim: control API http://127.0.0.1:${apiPort}/api/state`);
    }

    return { board: b, csms, apiPort, csmsUrl, transport, net, ems, tracker, config: cfg, errors, powerCycle, stop };
  } catch (e) {
    // Nothing may outlive a failed start: the embedded CSMS, sockets, the timer.
    await stop();
    throw e;
  }
}
