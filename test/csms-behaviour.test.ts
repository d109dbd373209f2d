// The embedded CSMS as a QA engineer drives it (issue #7 §8): authorization from a token list or an
// override, the boot answer, remote start/stop, any CSMS request through the control API, and the
// transactions it follows from TransactionEvents. The station is a scripted fake (a plain `ws`
// client speaking OCPP-J), so every frame the CSMS sends can be checked against the official schemas.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedCsms, EmbeddedCsmsOptions } from "../sim/csms";
import { ControlApi, SimControl } from "../sim/api";
import { schemaErrors } from "../sim/wire-check";
import { DEFAULT_TOKENS, parseTokens, readTokens } from "../sim/csms-tokens";
import { CommandError, parseCommand, runCommand, startConsole } from "../sim/console";
import { parseArgs, UsageError } from "../sim/cli";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

interface Station {
  csms: EmbeddedCsms;
  /** Base URL of a Control API over this CSMS. */
  api: string;
  /** Log lines the CSMS emitted. */
  log: string[];
  /** Sends a CALL and resolves with the CSMS's answer frame. */
  call(action: string, payload: unknown): Promise<unknown[]>;
  /** The next CALL the CSMS sends. */
  nextCall(): Promise<unknown[]>;
  answer(frame: unknown[]): void;
}

let stations = 0;

/** A CSMS with a Control API over it, and a fake station connected to it. */
async function setup(opts: EmbeddedCsmsOptions = {}, connect = true): Promise<Station> {
  const csms = new EmbeddedCsms(opts);
  await csms.start(0);
  cleanups.push(() => csms.stop());
  const log: string[] = [];
  csms.on("log", (l: string) => log.push(l));
  // The CSMS routes only need the CSMS (and idle(), which every route awaits).
  const sim = { csms, idle: async () => undefined } as unknown as SimControl;
  const control = new ControlApi(sim);
  const port = await control.listen(0);
  cleanups.push(() => control.close());
  const got: unknown[][] = [];
  let wake: (() => void) | undefined;
  let ws: WebSocket | undefined;
  if (connect) {
    const w = new WebSocket(`${csms.url}/FAKE${++stations}`, ["ocpp2.0.1"]);
    ws = w;
    cleanups.push(() => w.terminate());
    await new Promise<void>((resolve, reject) => {
      w.once("open", () => resolve());
      w.once("error", reject);
    });
    w.on("message", (d) => {
      got.push(JSON.parse(String(d)) as unknown[]);
      wake?.();
    });
  }
  let cursor = 0;
  const take = async (match: (f: unknown[]) => boolean): Promise<unknown[]> => {
    for (;;) {
      while (cursor >= got.length) await new Promise<void>((r) => (wake = r));
      const f = got[cursor++];
      if (match(f)) return f;
    }
  };
  let seq = 0;
  return {
    csms,
    api: `http://127.0.0.1:${port}`,
    log,
    call: async (action, payload) => {
      const id = `m${++seq}`;
      ws!.send(JSON.stringify([2, id, action, payload]));
      return take((f) => f[1] === id);
    },
    nextCall: () => take((f) => f[0] === 2),
    answer: (frame) => ws!.send(JSON.stringify(frame)),
  };
}

async function post(s: Station, route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${s.api}${route}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function get(s: Station, route: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${s.api}${route}`)).json()) as Record<string, unknown>;
}

/** Authorize as the station sends it; returns the idTokenInfo, after checking the answer against AuthorizeResponse. */
async function authorize(s: Station, idToken: string, type = "ISO14443"): Promise<Record<string, unknown>> {
  const f = await s.call("Authorize", { idToken: { idToken, type } });
  expect(f[0]).toBe(3);
  expect(schemaErrors("AuthorizeResponse", f[2])).toEqual([]);
  return (f[2] as { idTokenInfo: Record<string, unknown> }).idTokenInfo;
}

const BOOT = { reason: "PowerUp", chargingStation: { model: "M", vendorName: "V" } };

describe("embedded CSMS: authorization (C01) from the token list", () => {
  it("answers each listed token with its status and group; an unlisted token (or a listed one of another type) is Unknown", async () => {
    const s = await setup();
    expect(await authorize(s, "04A1B2C3")).toEqual({ status: "Accepted", groupIdToken: { idToken: "FLEET01", type: "Central" } });
    expect(await authorize(s, "04BAD000")).toEqual({ status: "Invalid" });
    expect(await authorize(s, "04B10C00")).toEqual({ status: "Blocked" });
    expect(await authorize(s, "DEADBEEF")).toEqual({ status: "Unknown" });
    expect(await authorize(s, "04A1B2C3", "ISO15693")).toEqual({ status: "Unknown" });
    expect(s.log).toContain("AUTH 04B10C00 (ISO14443) Blocked");
    expect(s.csms.violations).toEqual([]);
  });

  it("a token list given as an option (what --tokens FILE loads) replaces the default one", async () => {
    const s = await setup({ tokens: [{ idToken: "CARD1", type: "KeyCode", status: "Expired" }] });
    expect(await authorize(s, "CARD1", "KeyCode")).toEqual({ status: "Expired" });
    expect(await authorize(s, "04A1B2C3")).toEqual({ status: "Unknown" });
  });

  it("the override answers every token Accepted or Invalid until set back to the list", async () => {
    const s = await setup();
    expect((await post(s, "/api/csms/authorize", { status: "Invalid" })).body).toMatchObject({ authorize: "Invalid" });
    // The group still travels with a listed token.
    expect(await authorize(s, "04A1B2C3")).toEqual({ status: "Invalid", groupIdToken: { idToken: "FLEET01", type: "Central" } });
    await post(s, "/api/csms/authorize", { status: "Accepted" });
    expect(await authorize(s, "DEADBEEF")).toEqual({ status: "Accepted" });
    expect(await authorize(s, "04B10C00")).toEqual({ status: "Accepted" });
    await post(s, "/api/csms/authorize", { status: "list" });
    expect(await authorize(s, "04B10C00")).toEqual({ status: "Blocked" });
    expect((await post(s, "/api/csms/authorize", { status: "Blocked" })).status).toBe(400);
  });
});

describe("token list files (--tokens)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csms-tokens-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, v: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof v === "string" ? v : JSON.stringify(v));
    return f;
  };

  it("reads a valid list and refuses what the schemas' enums do not allow, naming the entry", () => {
    const good = [{ idToken: "A", type: "ISO14443", status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } }];
    expect(readTokens(file("good.json", good))).toEqual(good);
    expect(() => parseTokens([{ idToken: "A", type: "ISO14443", status: "Fine" }])).toThrow(/\[0\]\.status: must be one of Accepted, Blocked/);
    expect(() => parseTokens([{ idToken: "A", type: "Card", status: "Accepted" }])).toThrow(/\[0\]\.type/);
    expect(() => parseTokens([{ idToken: "A".repeat(37), type: "ISO14443", status: "Accepted" }])).toThrow(/36/);
    expect(() => parseTokens([good[0], { idToken: "B", type: "ISO14443", status: "Accepted", groupIdToken: { idToken: "G" } }])).toThrow(/\[1\]\.groupIdToken\.type/);
    expect(() => parseTokens([{ idToken: "A", type: "ISO14443", status: "Accepted", expiry: 1 }])).toThrow(/unknown field expiry/);
    expect(() => readTokens(file("bad.json", "[{"))).toThrow(/bad\.json/);
    // Every default entry is valid, and its idTokenInfo passes the official schema.
    expect(parseTokens(DEFAULT_TOKENS)).toEqual(DEFAULT_TOKENS);
  });

  it("the command line loads the file for the embedded CSMS and refuses it with an external CSMS", () => {
    const f = file("cli.json", [{ idToken: "X1", type: "Local", status: "Blocked" }]);
    expect(parseArgs(["--tokens", f])).toMatchObject({ embeddedCsms: { tokens: [{ idToken: "X1", type: "Local", status: "Blocked" }] } });
    expect(() => parseArgs(["--tokens", f, "--csms", "ws://x"])).toThrow(UsageError);
    expect(() => parseArgs(["--tokens", path.join(dir, "missing.json")])).toThrow(/--tokens: .*missing\.json/);
  });
});

describe("embedded CSMS: boot answer set by QA (B01-B03)", () => {
  it("the next BootNotifications get the status and interval QA set", async () => {
    const s = await setup();
    expect((await post(s, "/api/csms/boot", { status: "Pending", interval: 7 })).body).toMatchObject({ boot: { status: "Pending", interval: 7 } });
    const pending = await s.call("BootNotification", BOOT);
    expect(pending[2]).toMatchObject({ status: "Pending", interval: 7 });
    await post(s, "/api/csms/boot", { status: "Rejected" });
    expect((await s.call("BootNotification", BOOT))[2]).toMatchObject({ status: "Rejected", interval: 7 });
    await post(s, "/api/csms/boot", { status: "Accepted", interval: 60 });
    const accepted = await s.call("BootNotification", BOOT);
    expect(accepted[2]).toMatchObject({ status: "Accepted", interval: 60 });
    expect(schemaErrors("BootNotificationResponse", accepted[2])).toEqual([]);
    expect((await post(s, "/api/csms/boot", { status: "accepted" })).status).toBe(400);
    expect((await post(s, "/api/csms/boot", { status: "Accepted", interval: 0 })).status).toBe(400);
  });
});

describe("embedded CSMS: remote start and stop (F01-F03)", () => {
  it("start sends a schema-valid RequestStartTransaction with a fresh remoteStartId and returns the station's answer", async () => {
    const s = await setup();
    const started = post(s, "/api/csms/start", { evseId: 2, idToken: "04A1B2C3" });
    const call = await s.nextCall();
    expect(call[2]).toBe("RequestStartTransaction");
    expect(schemaErrors("RequestStartTransactionRequest", call[3])).toEqual([]);
    // The type of a listed token comes from the list.
    expect(call[3]).toEqual({ idToken: { idToken: "04A1B2C3", type: "ISO14443" }, remoteStartId: 1, evseId: 2 });
    s.answer([3, call[1], { status: "Accepted" }]);
    expect(await started).toEqual({ status: 200, body: { remoteStartId: 1, response: { status: "Accepted" } } });

    // An unlisted token goes as Central, and the CSMS accepts it when the station presents it back.
    const second = post(s, "/api/csms/start", { idToken: "REMOTE9" });
    const call2 = await s.nextCall();
    expect(call2[3]).toEqual({ idToken: { idToken: "REMOTE9", type: "Central" }, remoteStartId: 2 });
    s.answer([3, call2[1], { status: "Rejected" }]);
    expect((await second).body).toEqual({ remoteStartId: 2, response: { status: "Rejected" } });
    expect(await authorize(s, "REMOTE9", "Central")).toEqual({ status: "Accepted" });

    expect((await post(s, "/api/csms/start", { evseId: 1 })).status).toBe(400);
    expect((await post(s, "/api/csms/start", { evseId: 0, idToken: "X" })).status).toBe(400);
    expect(s.csms.violations).toEqual([]);
  });

  it("stop by transactionId or by EVSE sends a schema-valid RequestStopTransaction; a CALLERROR is a 502", async () => {
    const s = await setup();
    await s.call("TransactionEvent", { eventType: "Started", timestamp: new Date().toISOString(), triggerReason: "Authorized", seqNo: 0, transactionInfo: { transactionId: "tx-7" }, evse: { id: 2, connectorId: 1 } });
    const byEvse = post(s, "/api/csms/stop", { evseId: 2 });
    const call = await s.nextCall();
    expect([call[2], call[3]]).toEqual(["RequestStopTransaction", { transactionId: "tx-7" }]);
    expect(schemaErrors("RequestStopTransactionRequest", call[3])).toEqual([]);
    s.answer([3, call[1], { status: "Accepted" }]);
    expect((await byEvse).body).toEqual({ transactionId: "tx-7", response: { status: "Accepted" } });

    const byId = post(s, "/api/csms/stop", { transactionId: "other" });
    const call2 = await s.nextCall();
    expect(call2[3]).toEqual({ transactionId: "other" });
    s.answer([4, call2[1], "NotSupported", "no", {}]);
    const refused = await byId;
    expect(refused.status).toBe(502);
    expect(String(refused.body.error)).toMatch(/CALLERROR NotSupported/);

    expect((await post(s, "/api/csms/stop", { evseId: 1 })).status).toBe(404);
    expect((await post(s, "/api/csms/stop", {})).status).toBe(400);
  });
});

describe("embedded CSMS: POST /api/csms/call sends any CSMS request", () => {
  it("refuses an action a CSMS does not send or a payload the request schema refuses, with the reason (400)", async () => {
    const s = await setup();
    const notCsms = await post(s, "/api/csms/call", { action: "Heartbeat", payload: {} });
    expect(notCsms.status).toBe(400);
    expect(String(notCsms.body.error)).toMatch(/not a message a CSMS sends/);
    const bad = await post(s, "/api/csms/call", { action: "Reset", payload: { type: "Later" } });
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toMatch(/^ResetRequest\/type: must be equal to one of the allowed values/);
    const missing = await post(s, "/api/csms/call", { action: "GetVariables", payload: {} });
    expect(String(missing.body.error)).toMatch(/required property 'getVariableData'/);
    expect((await post(s, "/api/csms/call", { payload: {} })).status).toBe(400);
  });

  it("sends a valid request and returns the station's answer", async () => {
    const s = await setup();
    const answered = post(s, "/api/csms/call", { action: "TriggerMessage", payload: { requestedMessage: "Heartbeat" } });
    const call = await s.nextCall();
    expect([call[2], call[3]]).toEqual(["TriggerMessage", { requestedMessage: "Heartbeat" }]);
    s.answer([3, call[1], { status: "Accepted" }]);
    expect(await answered).toEqual({ status: 200, body: { action: "TriggerMessage", response: { status: "Accepted" } } });
  });

  it("409 with no station connected, and with no embedded CSMS", async () => {
    const s = await setup({}, false);
    const none = await post(s, "/api/csms/call", { action: "TriggerMessage", payload: { requestedMessage: "Heartbeat" } });
    expect(none.status).toBe(409);
    expect(String(none.body.error)).toMatch(/no station is connected/);
    const external = new ControlApi({ idle: async () => undefined } as unknown as SimControl);
    const port = await external.listen(0);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/csms/transactions`);
      expect(r.status).toBe(409);
    } finally {
      await external.close();
    }
  });
});

describe("embedded CSMS: transactions followed from TransactionEvents (E01-E07)", () => {
  const ts = () => new Date().toISOString();
  const energy = (value: number, unit?: string) => ({ value, measurand: "Energy.Active.Import.Register", ...(unit === undefined ? {} : { unitOfMeasure: { unit } }) });

  it("tracks evse, token, seqNo, chargingState and energy, answers idTokenInfo from the list and logs one line per event", async () => {
    const s = await setup();
    const started = await s.call("TransactionEvent", {
      eventType: "Started", timestamp: ts(), triggerReason: "CablePluggedIn", seqNo: 0,
      transactionInfo: { transactionId: "1a2b", chargingState: "EVConnected" }, evse: { id: 1, connectorId: 1 },
      meterValue: [{ timestamp: ts(), sampledValue: [energy(0)] }],
    });
    // No idToken in the event: no idTokenInfo in the answer.
    expect(started[2]).toEqual({});
    const authorized = await s.call("TransactionEvent", {
      eventType: "Updated", timestamp: ts(), triggerReason: "Authorized", seqNo: 1,
      transactionInfo: { transactionId: "1a2b" }, idToken: { idToken: "04BAD000", type: "ISO14443" },
    });
    // E05: the CSMS tells the station what it thinks of the token in TransactionEventResponse.
    expect(authorized[2]).toEqual({ idTokenInfo: { status: "Invalid" } });
    expect(schemaErrors("TransactionEventResponse", authorized[2])).toEqual([]);
    await s.call("TransactionEvent", {
      eventType: "Updated", timestamp: ts(), triggerReason: "ChargingStateChanged", seqNo: 2,
      transactionInfo: { transactionId: "1a2b", chargingState: "Charging" },
      meterValue: [{ timestamp: ts(), sampledValue: [
        { value: 2466, measurand: "Power.Active.Import", phase: "L1" }, { value: 2467, measurand: "Power.Active.Import", phase: "L2" },
        { value: 2467, measurand: "Power.Active.Import", phase: "L3" }, energy(1.234, "kWh"), { value: 41, measurand: "SoC", unitOfMeasure: { unit: "Percent" } },
      ] }],
    });
    let txs = (await get(s, "/api/csms/transactions")).transactions as Record<string, unknown>[];
    expect(txs).toEqual([expect.objectContaining({
      transactionId: "1a2b", evseId: 1, connectorId: 1, idToken: { idToken: "04BAD000", type: "ISO14443" }, tokenStatus: "Invalid",
      eventType: "Updated", seqNo: 2, seqNoGaps: 0, chargingState: "Charging", energyWh: 1234, powerW: 7400, socPercent: 41, active: true,
    })]);
    // seqNo 4 after 2: one event missing.
    await s.call("TransactionEvent", {
      eventType: "Ended", timestamp: ts(), triggerReason: "EVCommunicationLost", seqNo: 4,
      transactionInfo: { transactionId: "1a2b", stoppedReason: "EVDisconnected", chargingState: "Idle" },
      meterValue: [{ timestamp: ts(), sampledValue: [energy(2500)] }],
    });
    txs = (await get(s, "/api/csms/transactions")).transactions as Record<string, unknown>[];
    expect(txs[0]).toMatchObject({ eventType: "Ended", active: false, stoppedReason: "EVDisconnected", energyWh: 2500, seqNoGaps: 1 });
    expect(s.log).toEqual([
      "TX 1a2b Started evse 1 EVConnected 0.000 kWh CablePluggedIn",
      "TX 1a2b Updated token 04BAD000 Invalid Authorized",
      "TX 1a2b Updated Charging 7.4 kW 1.234 kWh SoC 41 % ChargingStateChanged",
      "TX 1a2b Ended Idle EVDisconnected 2.500 kWh EVCommunicationLost (seqNo 4 after 2)",
    ]);
    expect(s.csms.violations).toEqual([]);
  });

  it("links a remote start's remoteStartId, and a NoAuthorization token is Accepted", async () => {
    const s = await setup();
    const r = await s.call("TransactionEvent", {
      eventType: "Started", timestamp: ts(), triggerReason: "RemoteStart", seqNo: 0,
      transactionInfo: { transactionId: "t9", remoteStartId: 5 }, evse: { id: 2 }, idToken: { idToken: "", type: "NoAuthorization" },
    });
    expect(r[2]).toEqual({ idTokenInfo: { status: "Accepted" } });
    expect(s.csms.transactions.list()[0]).toMatchObject({ remoteStartId: 5, evseId: 2 });
    expect(s.log[0]).toBe("TX t9 Started evse 2 token \"\" Accepted remoteStartId 5 RemoteStart");
  });
});

describe("console commands", () => {
  it("parses every command, case-insensitively, with its arguments", () => {
    expect(parseCommand("boot pending 10")).toEqual({ cmd: "boot", status: "Pending", interval: 10 });
    expect(parseCommand("  BOOT Accepted ")).toEqual({ cmd: "boot", status: "Accepted" });
    expect(parseCommand("authorize invalid")).toEqual({ cmd: "authorize", status: "Invalid" });
    expect(parseCommand("authorize list")).toEqual({ cmd: "authorize", status: "list" });
    expect(parseCommand("start 2 04A1B2C3")).toEqual({ cmd: "start", evseId: 2, idToken: "04A1B2C3" });
    expect(parseCommand("stop 1a2b")).toEqual({ cmd: "stop", target: "1a2b" });
    expect(parseCommand('call Reset {"type": "Immediate"}')).toEqual({ cmd: "call", action: "Reset", payload: { type: "Immediate" } });
    expect(parseCommand("call ClearCache")).toEqual({ cmd: "call", action: "ClearCache", payload: {} });
    expect(parseCommand("status")).toEqual({ cmd: "status" });
    expect(parseCommand("help")).toEqual({ cmd: "help" });
    expect(parseCommand("")).toEqual({ cmd: "none" });
  });

  it("refuses malformed commands with a usage hint", () => {
    for (const bad of ["boot maybe", "boot accepted soon", "authorize blocked", "start 0 X", "start 1", "stop", "stop 1 2", "call Reset {", "status now", "frobnicate"]) {
      expect(() => parseCommand(bad), bad).toThrow(CommandError);
    }
  });

  it("runs commands against the CSMS: settings, a remote start to the station, status", async () => {
    const s = await setup();
    await runCommand(parseCommand("boot rejected 9"), s.csms);
    expect([s.csms.bootStatus, s.csms.bootInterval]).toEqual(["Rejected", 9]);
    await runCommand(parseCommand("authorize accepted"), s.csms);
    expect(s.csms.authorizeOverride).toBe("Accepted");
    const out = runCommand(parseCommand("start 1 04D5E6F7"), s.csms);
    const call = await s.nextCall();
    expect(call[3]).toEqual({ idToken: { idToken: "04D5E6F7", type: "ISO14443" }, remoteStartId: 1, evseId: 1 });
    s.answer([3, call[1], { status: "Accepted", transactionId: "rs1" }]);
    expect(await out).toEqual(['start: remoteStartId 1 → {"status":"Accepted","transactionId":"rs1"}']);
    await s.call("TransactionEvent", { eventType: "Started", timestamp: new Date().toISOString(), triggerReason: "RemoteStart", seqNo: 0, transactionInfo: { transactionId: "rs1", remoteStartId: 1 }, evse: { id: 1 } });
    // "stop 1": no transaction has id "1", so it is EVSE 1's.
    const stop = runCommand(parseCommand("stop 1"), s.csms);
    const call2 = await s.nextCall();
    expect(call2[3]).toEqual({ transactionId: "rs1" });
    s.answer([3, call2[1], { status: "Accepted" }]);
    await stop;
    const status = await runCommand(parseCommand("status"), s.csms);
    expect(status[0]).toMatch(/^boot Rejected interval 9 s; authorize Accepted; stations FAKE\d+$/);
    expect(status[1]).toBe("  TX rs1 active evse 1 token - seqNo 0");
  });

  it("starts no console when stdin is not a TTY (CI)", () => {
    const csms = new EmbeddedCsms();
    expect(startConsole(csms, () => undefined, { isTTY: false } as unknown as NodeJS.ReadStream)).toBeUndefined();
  });
});

describe("the simulator with its embedded CSMS (node runtime)", () => {
  it("B02: QA holds the station Pending, triggers a BootNotification through /api/csms/call, and lets it in", async () => {
    const { startSimulator } = await import("../sim/simulator");
    const lines: string[] = [];
    const sim = await startSimulator({ runtime: "node", apiPort: 0, out: (l) => lines.push(l), err: (l) => lines.push(l), embeddedCsms: { bootStatus: "Pending", bootInterval: 60 } });
    cleanups.push(() => sim.stop());
    const api = `http://127.0.0.1:${sim.apiPort}`;
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(ok(), what).toBe(true);
    };
    // The token list is printed at start.
    expect(lines.join("\n")).toContain("04A1B2C3     ISO14443   Accepted  group FLEET01");
    await until("boot answered Pending", () => sim.tracker.bootStatus === "Pending");
    const csmsState = (await (await fetch(`${api}/api/csms`)).json()) as { stations: string[]; boot: unknown };
    expect(csmsState).toMatchObject({ stations: ["CP001"], boot: { status: "Pending", interval: 60 } });
    const boot = await fetch(`${api}/api/csms/boot`, { method: "POST", body: JSON.stringify({ status: "Accepted", interval: 300 }) });
    expect(boot.status).toBe(200);
    // The firmware's own answer to TriggerMessage (F06), sent while Pending (B02.FR.02).
    const trig = await fetch(`${api}/api/csms/call`, { method: "POST", body: JSON.stringify({ action: "TriggerMessage", payload: { requestedMessage: "BootNotification" } }) });
    expect(await trig.json()).toEqual({ action: "TriggerMessage", response: { status: "Accepted" } });
    await until("boot answered Accepted after the trigger", () => sim.tracker.bootStatus === "Accepted");
    expect(sim.csms!.violations).toEqual([]);
  });
});
