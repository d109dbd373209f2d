// Scenario helpers for the transactions tests: an image of the core config plus the test-only
// authorization stand-in (test/blocks/auth-table: "OK*" Accepted, "GRP*" Accepted in group G1,
// anything else Invalid), board inputs, and the TransactionEvents the station sent.

import * as fs from "node:fs";
import * as path from "node:path";
import { buildImage } from "../build/cli";
import { ROOT } from "../build/compile";
import { RuntimeName } from "../sim/runtimes/image";
import { bootAccepted, Frame, TestStation } from "./harness";

export const TX_CONFIG = "test-tx";
export const TX_FILE = path.join(ROOT, "build", "out", `${TX_CONFIG}.json`);

/**
 * Builds a test image from core.json under another name and block list (both Lua versions; node runs
 * the generated TypeScript): EVSE 1 a socket rated 32 A (it locks), EVSE 2 a fixed cable rated 16 A,
 * both 3 phases. From test/global-setup.ts, once per run.
 */
export function buildCoreVariant(file: string, name: string, blocks: (core: string[]) => string[]): void {
  const core = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "configs", "core.json"), "utf8"));
  const cfg = {
    ...core,
    $schema: undefined,
    name,
    evses: [
      { maxPowerW: 22000, connectors: [{ type: "sType2", phases: 3, maxCurrentA: 32 }] },
      { maxPowerW: 11000, connectors: [{ type: "cType2", phases: 3, maxCurrentA: 16 }] },
    ],
    blocks: blocks(core.blocks as string[]),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(cfg));
  for (const t of ["lua5.1", "lua5.3"] as const) buildImage(file, t, undefined);
}

/** The transactions tests' image: the authorization stand-in and the smart-charging stand-in in place of the real blocks. */
export function buildTxImage(): void {
  buildCoreVariant(TX_FILE, TX_CONFIG, (b) => [...b.filter((x) => x !== "authorization"), "../test/blocks/auth-table", "../test/blocks/test-smart"]);
}

export interface TE {
  eventType: string;
  timestamp: string;
  triggerReason: string;
  seqNo: number;
  offline?: boolean;
  numberOfPhasesUsed?: number;
  transactionInfo: { transactionId: string; chargingState?: string; stoppedReason?: string; remoteStartId?: number };
  idToken?: { idToken: string; type: string };
  evse?: { id: number; connectorId?: number };
  meterValue?: { timestamp: string; sampledValue: { value: number; context?: string; measurand?: string; phase?: string; location?: string; unitOfMeasure?: { unit: string } }[] }[];
}

export interface TxStation extends TestStation {
  /** Every CALL the station sent since the last look, in order. */
  calls: Frame[];
  /** Answer for the next TransactionEvents: a payload, or undefined to leave them unanswered. */
  teAnswer: ((te: TE) => unknown) | undefined;
}

/** Accepted, with idTokenInfo Accepted when the event carried an idToken. */
export const ACCEPT = (te: TE) => (te.idToken !== undefined ? { idTokenInfo: { status: "Accepted" } } : {});

/** A station booted Accepted with these device-model values; TransactionEvents answered by t.teAnswer. */
export async function txStation(runtime: RuntimeName, provision: Record<string, string> = {}): Promise<TxStation> {
  const t = (await bootAccepted(runtime, { config: TX_CONFIG, configFile: TX_FILE, provision })) as TxStation;
  t.calls = [];
  t.teAnswer = ACCEPT;
  t.csms.autoReply.MeterValues = {};
  t.csms.autoReply.TransactionEvent = (f: Frame) => {
    const a = t.teAnswer;
    return a === undefined ? undefined : a(f[3] as TE);
  };
  // A scripted CSMS that leaves a call unanswered: autoReply may not answer undefined.
  const reply = t.csms.reply.bind(t.csms);
  t.csms.reply = (call: Frame, payload: unknown) => {
    if (payload !== undefined) reply(call, payload);
  };
  return t;
}

/** Lets the station and the CSMS exchange everything pending; collects the CALLs. */
export async function flush(t: TxStation): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await t.settle();
    t.calls.push(...t.csms.takeCalls());
  }
}

/** The CALLs of one action sent since the last look (consumes all calls). */
export async function sent(t: TxStation, action?: string): Promise<Frame[]> {
  await flush(t);
  const c = t.calls;
  t.calls = [];
  return action === undefined ? c : c.filter((f) => f[2] === action);
}

/** TransactionEvent payloads sent since the last look. */
export async function tes(t: TxStation): Promise<TE[]> {
  return (await sent(t, "TransactionEvent")).map((f) => f[3] as TE);
}

export async function advance(t: TxStation, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    t.board.advance(1);
    await flush(t);
  }
}

// ---- board inputs ----
export const plug = (t: TxStation, evse = 1, conn = 1) => t.board.plug(evse, conn);
export const unplug = (t: TxStation, evse = 1, conn = 1) => t.board.unplug(evse, conn);
/**
 * The pilot as the firmware sees it, fed directly: for what the simulated EV does not do by itself
 * (its cable pulled at the EV end: "A", plugged back: "C"). The board's EV model is not told.
 */
export const pilot = (t: TxStation, state: string, evse = 1) => t.board.feed("pilot", `${evse}\t${state}`);
export const token = (t: TxStation, id: string, evse = 1, type = "ISO14443") => t.board.presentToken(evse, id, type);
/**
 * Meter reading fed directly: Wh, W, per-phase 0.1 A and 0.1 V, SoC (-1 none). The board's own
 * meter replaces it as soon as its reading changes (the EV draws, a cable moves).
 */
export const meter = (t: TxStation, wh: number, w: number, da: number[] = [0], dv: number[] = [2300], soc = -1, evse = 1) =>
  t.board.feed("meter", `${evse}\t${wh}\t${w}\t${da.join(",")}\t${dv.join(",")}\t${soc}`);

/** The CSMS calls the station; returns the response payload (a CALLERROR fails). */
export function call(t: TxStation, action: string, payload: unknown): Record<string, unknown> {
  const r = t.csms.call(action, payload);
  if (r[0] !== 3) throw new Error(`${action} answered ${JSON.stringify(r)}`);
  return r[2] as Record<string, unknown>;
}

/** Sets device-model values through SetVariables (all must be Accepted). */
export function setVars(t: TxStation, vars: Record<string, string>): void {
  const setVariableData = Object.entries(vars).map(([k, v]) => {
    const [comp, rest] = k.split("/");
    const m = /^([^[]+)(?:\[(.+)\])?$/.exec(rest)!;
    return { attributeValue: v, component: { name: comp }, variable: m[2] === undefined ? { name: m[1] } : { name: m[1], instance: m[2] } };
  });
  const r = call(t, "SetVariables", { setVariableData }) as { setVariableResult: { attributeStatus: string }[] };
  for (const x of r.setVariableResult) if (x.attributeStatus !== "Accepted") throw new Error(`SetVariables: ${JSON.stringify(r)}`);
}

/** Board state of EVSE 1 (relay, offer, locks). */
export const evse = (t: TxStation, id = 1) => t.board.evses[id - 1];
