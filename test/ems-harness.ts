// Scenario helpers for the local EMS over MQTT: the smart-charging image plus the ems block, the
// station's MQTT client on the board's TCP stream (sim/net-transport.ts) to a real broker (aedes,
// sim/ems-broker.ts), and the EMS played by an MQTT client (sim/ems-client.ts). Virtual time moves a
// second at a time while the sockets run in real time: `until` waits for both.

import * as path from "node:path";
import { ROOT } from "../build/compile";
import { RuntimeName } from "../sim/runtimes/image";
import { EmsBroker, startEmsBroker } from "../sim/ems-broker";
import { EmsClient } from "../sim/ems-client";
import { TcpNet } from "../sim/net-transport";
import { bootAccepted, Frame, TestStation } from "./harness";
import { ACCEPT, buildCoreVariant, flush, TE, TxStation } from "./tx-harness";

export const EMS_CONFIG = "test-ems";
export const EMS_FILE = path.join(ROOT, "build", "out", `${EMS_CONFIG}.json`);
/** The station's identity in the tests (test/harness.ts): its topics are ems/CP 1/…. */
export const STATION_ID = "CP 1";

/** Builds the image: from test/global-setup.ts, once per run. */
export function buildEmsImage(): void {
  buildCoreVariant(EMS_FILE, EMS_CONFIG, (b) => [...b.filter((x) => x !== "authorization"), "../test/blocks/auth-table", "smart-charging", "ems"]);
}

export interface EmsStation extends TxStation {
  broker: EmsBroker;
  ems: EmsClient;
  net: TcpNet;
  close(): Promise<void>;
}

/** A station booted Accepted, its EMS URL set to a fresh broker (unless url is given), the EMS connected. */
export async function emsStation(runtime: RuntimeName, provision: Record<string, string> = {}, url?: string): Promise<EmsStation> {
  const broker = await startEmsBroker();
  const net = new TcpNet({ log: () => undefined });
  const t = await bootAccepted(runtime, { config: EMS_CONFIG, configFile: EMS_FILE, net, provision: { "EmsCtrlr/Url": url ?? broker.url, ...provision } });
  return withEms(t, broker, net, broker.url);
}

/** The station t with its broker, byte stream and an EMS client at emsUrl: the CSMS's automatic answers, and close() ending all three. */
export async function withEms(t: TestStation, broker: EmsBroker, net: TcpNet, emsUrl: string): Promise<EmsStation> {
  const e = t as EmsStation;
  e.broker = broker;
  e.net = net;
  e.ems = new EmsClient(emsUrl);
  await e.ems.ready();
  e.calls = [];
  e.teAnswer = ACCEPT;
  e.csms.autoReply.MeterValues = {};
  e.csms.autoReply.ReportChargingProfiles = {};
  e.csms.autoReply.NotifyChargingLimit = {};
  e.csms.autoReply.ClearedChargingLimit = {};
  e.csms.autoReply.NotifyReport = {};
  e.csms.autoReply.TransactionEvent = (f: Frame) => {
    const a = e.teAnswer;
    return a === undefined ? undefined : a(f[3] as TE);
  };
  e.close = async () => {
    e.net.dispose();
    await e.ems.close();
    await e.broker.close();
  };
  return e;
}

/** Real time for the sockets. */
export const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** Moves virtual time a second at a time, giving the sockets real time, until cond holds; fails after maxS virtual seconds. */
export async function until(t: EmsStation, cond: () => boolean, maxS = 30, what = "condition"): Promise<number> {
  for (let s = 0; s <= maxS; s++) {
    for (let i = 0; i < 10 && !cond(); i++) {
      await tick();
      await flush(t);
    }
    if (cond()) return s;
    t.board.advance(1);
    await flush(t);
  }
  throw new Error(`${what} not reached within ${maxS} s`);
}

/** Real time only (no virtual second passes) until cond holds. */
export async function settleNet(t: EmsStation, cond: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) {
    await tick();
    await flush(t);
  }
  if (!cond()) throw new Error(`${what} not reached`);
}
