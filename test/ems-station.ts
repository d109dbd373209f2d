// A station with the local EMS (test/ems-harness.ts) set up in ways emsStation() does not offer:
// another image (an OEM config with its own device model), a board without an RTC whose CSMS is out
// of reach (no time known, ever), a given byte-stream transport (TLS with a test CA) and a broker of
// the test's own. The EMS client, the CSMS's automatic answers and close() are those of emsStation().

import { RuntimeName } from "../sim/runtimes/image";
import { EmsBroker, startEmsBroker } from "../sim/ems-broker";
import { EmsClient } from "../sim/ems-client";
import { TcpNet } from "../sim/net-transport";
import { bootAccepted, Frame, NOW_ISO, ScriptedCsms, startStation, TestStation } from "./harness";
import { ACCEPT, TE } from "./tx-harness";
import { EMS_CONFIG, EMS_FILE, EmsStation } from "./ems-harness";

export interface EmsStationOptions {
  /** The image (default the EMS tests' image, test/ems-harness.ts). */
  config?: string;
  configFile?: string;
  /** More device-model values provisioned at the first power-on. */
  provision?: Record<string, string>;
  /** The broker (default a fresh embedded one); closed by close(). */
  broker?: EmsBroker;
  /** EmsCtrlr.Url (default the broker's URL). */
  stationUrl?: string;
  /** Where the EMS client connects (default the broker's URL). */
  emsUrl?: string;
  /** The board's byte stream (default a TcpNet trusting the system's roots only). */
  net?: TcpNet;
  /** Epoch of the board's RTC at power-up; null: no RTC (test/harness.ts). */
  rtc?: number | null;
  /** The CSMS out of reach from the start: never booted, so no time from it either. */
  offline?: boolean;
}

export async function emsStationWith(runtime: RuntimeName, o: EmsStationOptions = {}): Promise<EmsStation> {
  const broker = o.broker ?? (await startEmsBroker());
  const net = o.net ?? new TcpNet({ log: () => undefined });
  const opts = {
    config: o.config ?? EMS_CONFIG,
    configFile: o.configFile ?? EMS_FILE,
    net,
    rtc: o.rtc,
    provision: { "EmsCtrlr/Url": o.stationUrl ?? broker.url, ...o.provision },
  };
  let s: TestStation;
  if (o.offline === true) {
    const csms = new ScriptedCsms();
    csms.reachable = false;
    s = await startStation(runtime, { ...opts, csms });
    s.csms.autoReply = { StatusNotification: {}, Heartbeat: () => ({ currentTime: NOW_ISO }) };
  } else s = await bootAccepted(runtime, opts);
  const t = s as EmsStation;
  t.broker = broker;
  t.net = net;
  t.ems = new EmsClient(o.emsUrl ?? broker.url);
  await t.ems.ready();
  t.calls = [];
  t.teAnswer = ACCEPT;
  t.csms.autoReply.MeterValues = {};
  t.csms.autoReply.ReportChargingProfiles = {};
  t.csms.autoReply.NotifyChargingLimit = {};
  t.csms.autoReply.ClearedChargingLimit = {};
  t.csms.autoReply.NotifyReport = {};
  t.csms.autoReply.TransactionEvent = (f: Frame) => {
    const a = t.teAnswer;
    return a === undefined ? undefined : a(f[3] as TE);
  };
  t.close = async () => {
    t.net.dispose();
    await t.ems.close();
    await t.broker.close();
  };
  return t;
}
