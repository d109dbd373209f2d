// `ocpp-sim --board <board>`: a port running on its emulated board (sim/boards/README.md) against
// the embedded CSMS or any CSMS URL, the virtual clock driven by the wall clock (× --speed).

import * as path from "node:path";
import { ROOT } from "../../build/compile";
import type { BuildConfig } from "../../build/config";
import { FlashStore } from "../board";
import { CsmsViolation, EmbeddedCsms } from "../csms";
import { formatTokens } from "../csms-tokens";
import { DEFAULT_CONFIG, flashName, PROVISION_KEYS, SimOptions } from "../simulator";
import { buildPort, portConfigFile } from "./build";
import { PortDriver, PortLog, PortRunner } from "./port-runner";
import { NodeMcuEsp8266Driver } from "./nodemcu-esp8266/driver";
import { LuatosDriver } from "./luatos/driver";
import { NodeMcuEsp32Driver } from "./nodemcu-esp32/driver";
import { PROVISION_FILE } from "../../build/start-file";
import type { LuaRuntimeName } from "../runtimes/lua-vm";

/** A board's driver with the EV's cable in reach (the simulator plugs it in): one EVSE's, or every EVSE's when none is named. */
export interface PortBoardDriver extends PortDriver {
  setPlugged(on: boolean, evseId?: number): void;
}

export interface PortBoard {
  /** The Lua versions of its firmware, the default first. */
  runtimes: LuaRuntimeName[];
  /** EVSEs its wiring serves. */
  maxEvses: number;
  /** The provisioning file its start file applies, as the firmware names it (build/start-file.ts PROVISION_FILE; LuatOS: in /luadb/). */
  provisionFile: string;
  driver(runner: PortRunner, log: (line: string) => void): PortBoardDriver;
}

export const PORT_BOARDS: Record<string, PortBoard> = {
  "nodemcu-esp8266": {
    runtimes: ["lua5.1", "lua5.3"],
    maxEvses: 1,
    provisionFile: PROVISION_FILE,
    driver: (runner, log) => new NodeMcuEsp8266Driver(runner, log),
  },
  luatos: {
    runtimes: ["lua5.3"],
    maxEvses: 2,
    provisionFile: "/luadb/" + PROVISION_FILE,
    driver: (runner, log) => new LuatosDriver(runner, log),
  },
  // Single floats, as NodeMCU ESP32's Lua 5.3 (the build's Lua 5.3 sources, run on lua5.3-f32).
  "nodemcu-esp32": {
    runtimes: ["lua5.3-f32"],
    maxEvses: 2,
    provisionFile: PROVISION_FILE,
    driver: (runner, log) => new NodeMcuEsp32Driver(runner, log),
  },
};

export interface PortSimHandle {
  runner: PortRunner;
  driver: PortBoardDriver;
  csms?: EmbeddedCsms;
  csmsUrl: string;
  config: BuildConfig;
  /** Errors the board raised while running (each also logged). */
  errors: unknown[];
  powerCycle(): void;
  stop(): Promise<void>;
}

function clock(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

export async function startPortSimulator(board: string, opts: SimOptions = {}): Promise<PortSimHandle> {
  const spec = PORT_BOARDS[board];
  if (spec === undefined) throw new Error(`unknown board ${board} (${["sim", ...Object.keys(PORT_BOARDS)].join(", ")})`);
  const runtime = opts.runtime ?? spec.runtimes[0];
  if (runtime === "node" || !spec.runtimes.includes(runtime)) throw new Error(`--board ${board} runs on ${spec.runtimes.join(" or ")}, not ${runtime}`);
  const id = opts.id ?? "CP001";
  const speed = opts.speed ?? 1;
  const out = opts.out ?? ((s: string) => process.stdout.write(s + "\n"));
  const err = opts.err ?? ((s: string) => process.stderr.write(s + "\n"));
  const configFile = portConfigFile(path.resolve(opts.config ?? DEFAULT_CONFIG), board, spec.maxEvses);
  const cfg = buildPort(configFile, board, runtime === "lua5.1" ? "lua5.1" : "lua5.3", out);

  let csms: EmbeddedCsms | undefined;
  let csmsUrl = opts.csms;
  if (csmsUrl === undefined) {
    csms = new EmbeddedCsms(opts.embeddedCsms);
    csms.on("violation", (v: CsmsViolation) => err(`${clock(new Date())} !!! OCPP VIOLATION (${v.check}): ${v.outbound ? "the embedded CSMS" : v.identity} sent ${v.frame ?? v.method ?? "a frame"}: ${v.error}`));
    csms.on("log", (line: string) => out(`${clock(new Date())} CSMS ${line}`));
    out(["embedded CSMS tokens:", ...formatTokens(csms.tokens)].join("\n"));
    await csms.start(0);
    csmsUrl = csms.url;
  }
  const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
  const provision: Record<string, string> = { [PROVISION_KEYS.url]: bytes(csmsUrl), [PROVISION_KEYS.identity]: bytes(id) };
  if (opts.password !== undefined) provision[PROVISION_KEYS.password] = bytes(opts.password);
  const store = opts.stateDir !== undefined ? new FlashStore(path.join(path.resolve(opts.stateDir), `${flashName(id)}-${board}-flash.json`)) : new FlashStore();
  const log: PortLog = (kind, text) => {
    const t = clock(new Date());
    const s = kind === "frame-in" || kind === "frame-out" ? Buffer.from(text, "latin1").toString("utf8") : text;
    out(`${t} ${kind === "frame-in" ? "←" : kind === "frame-out" ? "→" : kind === "log" ? "· port:" : "·"} ${s}`);
  };
  // A board that already holds its files was provisioned by an earlier run.
  const runner = new PortRunner({ root: ROOT, config: cfg.name, runtime, board, store, log, provision: store.data.size === 0 ? provision : undefined, provisionFile: spec.provisionFile });
  const driver = spec.driver(runner, (line) => out(`${clock(new Date())} · ${line}`));
  runner.attach(driver);
  const errors: unknown[] = [];
  const fail = (e: unknown) => {
    errors.push(e);
    err(`${clock(new Date())} ! board error: ${(e as Error)?.message ?? String(e)}`);
  };
  out(`ocpp-sim: ${id} (${cfg.name}) on ${board}, ${runtime} → ${csmsUrl}${csms !== undefined ? " (embedded CSMS)" : ""}${speed !== 1 ? `, virtual time ×${speed}` : ""}`);
  if (opts.plugged === true) driver.setPlugged(true);
  runner.powerOn();
  const t0 = Date.now();
  let done = 0;
  const timer = setInterval(() => {
    const due = (Date.now() - t0) * speed;
    if (due <= done) return;
    try {
      runner.advance(Math.floor(due - done));
    } catch (e) {
      fail(e);
    }
    done = Math.floor(due);
  }, 10);
  let stopped = false;
  return {
    runner,
    driver,
    csms,
    csmsUrl,
    config: cfg,
    errors,
    powerCycle: () => {
      out(`${clock(new Date())} · power cycle`);
      runner.powerCycle();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      runner.close();
      await csms?.stop();
    },
  };
}
