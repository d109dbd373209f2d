// A station with the local EMS (test/ems-harness.ts) set up in ways emsStation() does not offer:
// another image (an OEM config with its own device model), a board without an RTC whose CSMS is out
// of reach (no time known, ever), a given byte-stream transport (TLS with a test CA) and a broker of
// the test's own. The EMS client, the CSMS's automatic answers and close() are those of emsStation().

import { RuntimeName } from "../sim/runtimes/image";
import { EmsBroker, startEmsBroker } from "../sim/ems-broker";
import { TcpNet } from "../sim/net-transport";
import { bootAccepted, NOW_ISO, ScriptedCsms, startStation, TestStation } from "./harness";
import { EMS_CONFIG, EMS_FILE, EmsStation, withEms } from "./ems-harness";

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
  return withEms(s, broker, net, o.emsUrl ?? broker.url);
}
