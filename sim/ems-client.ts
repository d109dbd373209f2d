// The local EMS as the simulator plays it: an MQTT client (the `mqtt` package) on the station's
// broker that publishes limits to ems/<stationId>/limit and keeps the last meter message each
// station published to ems/<stationId>/meter.

import { connect, MqttClient } from "mqtt";

/** A limit for the station: in W or in A (one of them), valid for validS seconds (absent: until replaced). */
export interface EmsLimit {
  limitW?: number;
  limitA?: number;
  validS?: number;
}

export const limitTopic = (stationId: string): string => `ems/${stationId}/limit`;
export const meterTopic = (stationId: string): string => `ems/${stationId}/meter`;

const METER_TOPIC = /^ems\/([^/]+)\/meter$/;

/** A station id that can stand as one topic level: not empty, no '/', '+', '#' or NUL. */
function checkStationId(stationId: string): void {
  if (stationId.length === 0 || /[/+#\u0000]/.test(stationId)) throw new RangeError(`station id ${JSON.stringify(stationId)} cannot be a topic level (no '/', '+', '#')`);
}

export interface EmsClientOptions {
  /** MQTT client id (default ocpp-sim-ems-<random>). */
  clientId?: string;
  /** Connection trouble, one line per change (default: silent). */
  log?: (line: string) => void;
}

export class EmsClient {
  readonly url: string;
  private readonly client: MqttClient;
  private readonly meters = new Map<string, unknown>();
  private readonly subscribed: Promise<void>;
  private lastError = "";
  private closed: Promise<void> | undefined;

  /** Connects (in the background, reconnecting as needed) and subscribes to ems/+/meter. */
  constructor(url: string, opts: EmsClientOptions = {}) {
    this.url = url;
    const log = opts.log;
    this.client = connect(url, {
      protocolVersion: 4,
      clientId: opts.clientId ?? `ocpp-sim-ems-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      // Subscribed on every connect below (a clean session keeps nothing).
      resubscribe: false,
      reconnectPeriod: 2000,
      connectTimeout: 10000,
    });
    this.client.on("error", (e: Error) => {
      if (e.message === this.lastError) return;
      this.lastError = e.message;
      log?.(`EMS client: ${url}: ${e.message}`);
    });
    let subscribed: () => void = () => undefined;
    this.subscribed = new Promise<void>((r) => (subscribed = r));
    this.client.on("connect", () => {
      if (this.lastError !== "") log?.(`EMS client: connected to ${url}`);
      this.lastError = "";
      this.client.subscribe("ems/+/meter", { qos: 1 }, (e) => {
        if (e === null || e === undefined) subscribed();
        else if (this.closed === undefined) log?.(`EMS client: ${url}: subscribe to ems/+/meter failed: ${e.message}`);
      });
    });
    this.client.on("message", (topic: string, payload: Buffer) => {
      const m = METER_TOPIC.exec(topic);
      if (m === null) return;
      try {
        this.meters.set(m[1], JSON.parse(payload.toString("utf8")));
      } catch {
        log?.(`EMS client: ${topic}: payload is not JSON, ignored`);
      }
    });
  }

  /** Whether the client is connected to the broker now. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** Resolves once connected and subscribed to the meter topics (the first time); rejects after timeoutS (default 10). */
  ready(timeoutS = 10): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`EMS broker ${this.url}: no connection within ${timeoutS} s${this.lastError !== "" ? ` (${this.lastError})` : ""}`)), timeoutS * 1000);
      void this.subscribed.then(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Publishes the limit as given (JSON, QoS 1, not retained) to ems/<stationId>/limit; resolves with the topic on the broker's PUBACK. */
  async publishLimit(stationId: string, limit: EmsLimit): Promise<string> {
    return this.publish(stationId, JSON.stringify(limit));
  }

  /** Publishes {} to ems/<stationId>/limit: no EMS limit any more. */
  async clearLimit(stationId: string): Promise<string> {
    return this.publish(stationId, "{}");
  }

  /** The last JSON the station published to ems/<stationId>/meter, parsed; undefined before any. */
  lastMeter(stationId: string): unknown {
    return this.meters.get(stationId);
  }

  /** Disconnects for good (in-flight publishes are dropped). */
  close(): Promise<void> {
    this.closed ??= this.client.endAsync(true).catch(() => undefined);
    return this.closed;
  }

  /** Publishes payload as it is to the station's limit topic (QoS 1); resolves with the topic on the broker's PUBACK. */
  async publish(stationId: string, payload: string): Promise<string> {
    checkStationId(stationId);
    if (this.closed !== undefined) throw new Error("EMS client closed");
    const topic = limitTopic(stationId);
    await this.client.publishAsync(topic, payload, { qos: 1, retain: false });
    return topic;
  }
}
