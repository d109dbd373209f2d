// ocpp-sim: command line for the simulator (argument parsing, SIGINT), run by `npm start` and sim/bin/ocpp-sim.js.

import * as path from "node:path";
import { configHasEms, DEFAULT_CONFIG, EMS_NEEDS_BLOCK, SimOptions, startSimulator } from "./simulator";
import { RUNTIMES, RuntimeName } from "./runtimes/image";
import { journalCommand } from "./journal-dump";
import { readTokens } from "./csms-tokens";
import { startConsole } from "./console";
import { PORT_BOARDS, startPortSimulator } from "./boards/port-sim";

export const USAGE = `usage: ocpp-sim [options]
  --csms URL            CSMS base URL, the station appends /<id> (default: an embedded CSMS on a free port)
  --id ID               station identity (default CP001)
  --password PW         Basic-auth password (security profile 1)
  --evses N             EVSE count (overrides the config's topology)
  --connectors N        connectors per EVSE (overrides the config's topology)
  --runtime R           ${RUNTIMES.join(" | ")} (default: the config's target, lua5.1 or lua5.3)
  --api-port PORT       start the control API on 127.0.0.1:PORT
  --state-dir DIR       keep flash storage in DIR/<id>-flash.json across restarts
  --log-format F        text | json (json: one line per OCPP frame on stdout)
  --config FILE         OEM build config (default build/configs/core.json)
  --speed N             virtual time runs N times faster than the wall clock (1 to 1000, default 1)
  --tokens FILE         embedded CSMS token list, JSON [{ idToken, type, status, groupIdToken? }]
                        (default: a built-in list printed at start)
  --board B             sim (default: the simulator's own HAL) | ${Object.keys(PORT_BOARDS).join(" | ")}: the board's
                        port, run unchanged on its emulated firmware modules (sim/boards/README.md);
                        with a port only --csms, --id, --password, --runtime, --state-dir, --config,
                        --speed, --tokens and --plugged apply
  --plugged             with a port: the EV's cable is in from power-up (then "start 1 <token>" in the
                        console charges)
  --ems URL             the local EMS's MQTT broker, mqtt:// or mqtts:// (builds with the ems block;
                        default for them: an embedded broker on a free port)
  --help                this text
   or: ocpp-sim journal --state-dir DIR [--id ID]   prints the station's flash journal as JSON`;

export class UsageError extends Error {}

const VALUED = ["csms", "id", "password", "evses", "connectors", "runtime", "api-port", "state-dir", "log-format", "config", "speed", "tokens", "ems", "board"];
/** Options of the simulator's own board that a port's emulated board does not have. */
const SIM_BOARD_ONLY = ["evses", "connectors", "api-port", "log-format", "ems"];

function count(v: string, opt: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${opt} must be an integer from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

/** Parses argv (without node and script) into simulator options; "help" when --help was asked for. */
export function parseArgs(argv: string[]): SimOptions | "help" {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return "help";
    if (a === "--plugged") {
      raw.plugged = "1";
      continue;
    }
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    // Both "--opt value" and "--opt=value".
    const eq = a.indexOf("=");
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (!VALUED.includes(name)) throw new UsageError(`unknown option --${name}`);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (name in raw) throw new UsageError(`--${name} given twice`);
    raw[name] = value;
  }
  const o: SimOptions = {};
  if (raw.csms !== undefined) {
    if (!/^wss?:\/\/./.test(raw.csms)) throw new UsageError(`--csms must be a ws:// or wss:// URL, got '${raw.csms}'`);
    o.csms = raw.csms;
  }
  if (raw.id !== undefined) {
    if (raw.id.length === 0 || raw.id.length > 48) throw new UsageError("--id must be 1 to 48 characters");
    o.id = raw.id;
  }
  if (raw.password !== undefined) o.password = raw.password;
  if (raw.evses !== undefined) o.evses = count(raw.evses, "evses", 1, 32);
  if (raw.connectors !== undefined) o.connectors = count(raw.connectors, "connectors", 1, 8);
  if (raw.runtime !== undefined) {
    if (!RUNTIMES.includes(raw.runtime as RuntimeName)) throw new UsageError(`--runtime must be one of ${RUNTIMES.join(", ")}`);
    o.runtime = raw.runtime as RuntimeName;
  }
  if (raw["api-port"] !== undefined) o.apiPort = count(raw["api-port"], "api-port", 0, 65535);
  if (raw["state-dir"] !== undefined) o.stateDir = raw["state-dir"];
  if (raw["log-format"] !== undefined) {
    if (raw["log-format"] !== "text" && raw["log-format"] !== "json") throw new UsageError("--log-format must be text or json");
    o.logFormat = raw["log-format"];
  }
  if (raw.config !== undefined) o.config = raw.config;
  if (raw.speed !== undefined) o.speed = count(raw.speed, "speed", 1, 1000);
  if (raw.tokens !== undefined) {
    if (o.csms !== undefined) throw new UsageError("--tokens is for the embedded CSMS, not with --csms");
    try {
      o.embeddedCsms = { tokens: readTokens(raw.tokens) };
    } catch (e) {
      throw new UsageError(`--tokens: ${(e as Error).message}`);
    }
  }
  if (raw.ems !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(raw.ems);
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== "mqtt:" && u.protocol !== "mqtts:") || u.hostname === "") throw new UsageError(`--ems must be an mqtt:// or mqtts:// URL, got '${raw.ems}'`);
    const file = path.resolve(o.config ?? DEFAULT_CONFIG);
    let has: boolean;
    try {
      has = configHasEms(file);
    } catch (e) {
      throw new UsageError(`--ems: cannot read the config ${file}: ${(e as Error).message}`);
    }
    if (!has) throw new UsageError(EMS_NEEDS_BLOCK);
    o.ems = raw.ems;
  }
  if (raw.board !== undefined && raw.board !== "sim") {
    if (PORT_BOARDS[raw.board] === undefined) throw new UsageError(`--board must be sim or one of ${Object.keys(PORT_BOARDS).join(", ")}`);
    const extra = SIM_BOARD_ONLY.filter((k) => raw[k] !== undefined);
    if (extra.length > 0) throw new UsageError(`--${extra[0]} is for --board sim, not a port's emulated board`);
    o.board = raw.board;
  }
  if (raw.plugged !== undefined) {
    if (o.board === undefined) throw new UsageError("--plugged is for a port's board (--board), not the simulator's own");
    o.plugged = true;
  }
  return o;
}

/** Runs the simulator until SIGINT/SIGTERM; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "journal") return journalCommand(argv.slice(1));
  let opts: SimOptions | "help";
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`ocpp-sim: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (opts.board !== undefined) return runPort(opts.board, opts);
  let sim;
  try {
    sim = await startSimulator(opts);
  } catch (e) {
    process.stderr.write(`ocpp-sim: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
  const handle = sim;
  // Only on a terminal: with no stdin (CI) or a pipe there is no console.
  const embedded = handle.csms;
  const closeConsole = embedded === undefined ? undefined : startConsole(embedded, (line) => (opts.logFormat === "json" ? process.stderr : process.stdout).write(line + "\n"));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) return;
      stopping = true;
      closeConsole?.();
      process.stderr.write(`ocpp-sim: ${sig}, stopping\n`);
      handle
        .stop()
        .then(() => resolve(0))
        .catch((e) => {
          process.stderr.write(`ocpp-sim: stop failed: ${String(e)}\n`);
          resolve(1);
        });
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
}

/** `--board <port>`: the port on its emulated board until SIGINT/SIGTERM. */
async function runPort(board: string, opts: SimOptions): Promise<number> {
  let handle;
  try {
    handle = await startPortSimulator(board, opts);
  } catch (e) {
    process.stderr.write(`ocpp-sim: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
  const h = handle;
  const closeConsole = h.csms === undefined ? undefined : startConsole(h.csms, (line) => process.stdout.write(line + "\n"));
  return new Promise<number>((resolve) => {
    const onSignal = (sig: string) => {
      closeConsole?.();
      process.stderr.write(`ocpp-sim: ${sig}, stopping\n`);
      h.stop().then(() => resolve(0), () => resolve(1));
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
}

/** Entry for `tsx sim/cli.ts` and the bin launcher: exits with main's code. */
export function run(argv: string[]): void {
  // `ocpp-sim --log-format json | head`: a closed stdout ends the simulator quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  main(argv).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`ocpp-sim: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) run(process.argv.slice(2));
