// The interactive console of `npm start`: one line command at a time on a TTY's stdin drives the embedded CSMS.

import * as readline from "node:readline";
import type { EmbeddedCsms } from "./csms";
import { formatTokens } from "./csms-tokens";

export const CONSOLE_HELP = `console commands (embedded CSMS):
  boot accepted|pending|rejected [interval]   answer to the next BootNotifications (interval in s)
  authorize accepted|invalid|list             answer every token so, or from the token list again
  start <evse> <token>                        RequestStartTransaction on an EVSE with an idToken
  stop <transactionId|evse>                   RequestStopTransaction of a transaction, or of the one on an EVSE
  call <Action> [json]                        send any CSMS request, e.g. call Reset {"type":"Immediate"}
  status                                      boot and authorize settings, stations, transactions
  tokens                                      the token list
  help                                        this text`;

export type Command =
  | { cmd: "boot"; status: "Accepted" | "Pending" | "Rejected"; interval?: number }
  | { cmd: "authorize"; status: "Accepted" | "Invalid" | "list" }
  | { cmd: "start"; evseId: number; idToken: string }
  | { cmd: "stop"; target: string }
  | { cmd: "call"; action: string; payload: unknown }
  | { cmd: "status" }
  | { cmd: "tokens" }
  | { cmd: "help" }
  | { cmd: "none" };

export class CommandError extends Error {}

function word<T extends string>(v: string | undefined, options: readonly T[], what: string): T {
  const hit = options.find((o) => o.toLowerCase() === (v ?? "").toLowerCase());
  if (hit === undefined) throw new CommandError(`${what}: ${options.map((o) => o.toLowerCase()).join("|")}`);
  return hit;
}

function positive(v: string | undefined, what: string): number {
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 2147483647) throw new CommandError(`${what} must be a positive integer, got '${v ?? ""}'`);
  return Number(v);
}

/** Parses one console line; throws CommandError with a usage hint. */
export function parseCommand(line: string): Command {
  const trimmed = line.trim();
  if (trimmed.length === 0) return { cmd: "none" };
  const [head, ...rest] = trimmed.split(/\s+/);
  const args = (n: number, usage: string) => {
    if (rest.length > n) throw new CommandError(`usage: ${usage}`);
  };
  switch (head.toLowerCase()) {
    case "boot": {
      args(2, "boot accepted|pending|rejected [interval]");
      const status = word(rest[0], ["Accepted", "Pending", "Rejected"] as const, "usage: boot");
      return rest[1] === undefined ? { cmd: "boot", status } : { cmd: "boot", status, interval: positive(rest[1], "interval") };
    }
    case "authorize":
    case "auth":
      args(1, "authorize accepted|invalid|list");
      return { cmd: "authorize", status: word(rest[0], ["Accepted", "Invalid", "list"] as const, "usage: authorize") };
    case "start":
      args(2, "start <evse> <token>");
      if (rest[1] === undefined) throw new CommandError("usage: start <evse> <token>");
      return { cmd: "start", evseId: positive(rest[0], "evse"), idToken: rest[1] };
    case "stop":
      args(1, "stop <transactionId|evse>");
      if (rest[0] === undefined) throw new CommandError("usage: stop <transactionId|evse>");
      return { cmd: "stop", target: rest[0] };
    case "call": {
      if (rest[0] === undefined) throw new CommandError("usage: call <Action> [json]");
      // The payload is the rest of the line as written (JSON may hold spaces).
      const json = trimmed.slice(trimmed.indexOf(rest[0]) + rest[0].length).trim();
      let payload: unknown = {};
      if (json.length > 0) {
        try {
          payload = JSON.parse(json);
        } catch (e) {
          throw new CommandError(`call: payload is not JSON: ${(e as Error).message}`);
        }
      }
      return { cmd: "call", action: rest[0], payload };
    }
    case "status":
    case "tokens":
    case "help":
      args(0, head.toLowerCase());
      return { cmd: head.toLowerCase() as "status" | "tokens" | "help" };
    default:
      throw new CommandError(`unknown command '${head}' (help lists them)`);
  }
}

/** Runs one parsed command against the CSMS; resolves with the lines to print. */
export async function runCommand(c: Command, csms: EmbeddedCsms): Promise<string[]> {
  switch (c.cmd) {
    case "none":
      return [];
    case "help":
      return CONSOLE_HELP.split("\n");
    case "tokens":
      return ["tokens:", ...formatTokens(csms.tokens)];
    case "boot":
      csms.bootStatus = c.status;
      if (c.interval !== undefined) csms.bootInterval = c.interval;
      return [`boot: next BootNotifications get ${c.status}, interval ${csms.bootInterval} s`];
    case "authorize":
      csms.authorizeOverride = c.status === "list" ? undefined : c.status;
      return [c.status === "list" ? "authorize: from the token list" : `authorize: every token ${c.status}`];
    case "start": {
      const r = await csms.remoteStart(undefined, c.evseId, c.idToken);
      return [`start: remoteStartId ${r.remoteStartId} → ${JSON.stringify(r.response)}`];
    }
    case "stop": {
      const id = csms.station();
      // A transaction id wins over an EVSE number that happens to read the same.
      const byId = csms.transactions.get(id, c.target) !== undefined || !/^[0-9]+$/.test(c.target);
      const r = await csms.remoteStop(id, byId ? { transactionId: c.target } : { evseId: Number(c.target) });
      return [`stop: ${r.transactionId} → ${JSON.stringify(r.response)}`];
    }
    case "call": {
      const r = await csms.callChecked(undefined, c.action, c.payload);
      return [`call: ${c.action} → ${JSON.stringify(r)}`];
    }
    case "status": {
      const txs = csms.transactions.list();
      return [
        `boot ${csms.bootStatus} interval ${csms.bootInterval} s; authorize ${csms.authorizeOverride ?? "from the token list"}; stations ${csms.connected.join(", ") || "none"}`,
        ...(txs.length === 0
          ? ["no transactions"]
          : txs.map((t) =>
              [
                `  TX ${t.transactionId} ${t.active ? "active" : "ended"} evse ${t.evseId ?? "?"} token ${t.idToken?.idToken ?? "-"} seqNo ${t.seqNo}`,
                t.chargingState,
                t.powerW === undefined ? undefined : `${(t.powerW / 1000).toFixed(1)} kW`,
                t.energyWh === undefined ? undefined : `${(t.energyWh / 1000).toFixed(3)} kWh`,
                t.stoppedReason,
              ]
                .filter((x) => x !== undefined)
                .join(" "),
            )),
      ];
    }
  }
}

/**
 * Reads commands from stdin when it is a TTY (never in CI, where there is no stdin); returns a
 * closer, or undefined when no console was started.
 */
export function startConsole(csms: EmbeddedCsms, print: (line: string) => void, input: NodeJS.ReadStream = process.stdin): (() => void) | undefined {
  if (input.isTTY !== true) return undefined;
  const rl = readline.createInterface({ input, terminal: false });
  print("console: type help for the commands");
  rl.on("line", (line) => {
    let cmd: Command;
    try {
      cmd = parseCommand(line);
    } catch (e) {
      print(`console: ${(e as Error).message}`);
      return;
    }
    runCommand(cmd, csms).then(
      (lines) => lines.forEach(print),
      (e: Error & { rpcErrorCode?: string }) => print(`console: ${cmd.cmd} failed: ${e.rpcErrorCode === undefined ? "" : `CALLERROR ${e.rpcErrorCode}: `}${e?.message ?? String(e)}`),
    );
  });
  return () => rl.close();
}
