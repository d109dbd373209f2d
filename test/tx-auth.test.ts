// Part 6 test cases C (authorization, with its cache), and E/F/G cases on the same image, run on
// every runtime: the real authorization block and the real transactions block together
// (test/tx-auth-harness.ts), against the schema-strict scripted CSMS. Each test follows its TC's
// steps and checks its Tool validations, plus energy (relay) and lock where they matter. Where the
// errata 2025-09 changes a TC, the errata is followed (said in a comment).
//
// The TxStartPoint of a test is chosen so that the TC's conditional TransactionEvent steps are
// taken: "Authorized" or "EVConnected" where a step validates triggerReason Authorized, the default
// PowerPathClosed elsewhere (then the start is ChargingStateChanged/SuspendedEVSE, as the OCTT's
// EnergyTransferStarted step 7 says).

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { Frame } from "./harness";
import { advance, evse, pilot, plug, sent, TE, token, unplug } from "./tx-harness";
import { authorizeReqs, back, cacheToken, down, known, reboot, setVar, statusesOf, tesOf, trig, txAuthStation, TxAuthStation } from "./tx-auth-harness";

const PPC = { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const EVC = { "TxCtrlr/TxStartPoint": "EVConnected", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const AUTHD = { "TxCtrlr/TxStartPoint": "Authorized", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const PRE = { "AuthCacheCtrlr/Enabled": "true", "AuthCtrlr/LocalPreAuthorize": "true" };
/** <Configured message timeout>: the OCTT waits this long before ending a "SHALL NOT send" case. */
const MESSAGE_TIMEOUT = 30;
const iso = (id: string) => ({ idToken: id, type: "ISO14443" });

/** EVConnectedPreSession on EVSE 1: the cable in, its StatusNotification Occupied; the CALLs sent. */
async function connect(t: TxAuthStation): Promise<Frame[]> {
  plug(t);
  const c = await sent(t);
  expect(statusesOf(c)).toMatchObject([{ connectorStatus: "Occupied", evseId: 1, connectorId: 1 }]);
  return c;
}

/** Advances until an event with this chargingState came (at most `max` s); the events meanwhile. */
async function until(t: TxAuthStation, state: string, max = 15): Promise<TE[]> {
  const l: TE[] = [];
  for (let i = 0; i < max && !l.some((e) => e.transactionInfo.chargingState === state); i++) {
    await advance(t, 1);
    l.push(...tesOf(await sent(t)));
  }
  return l;
}

describe.each(RUNTIMES)("Part 6 authorization with transactions on %s", (runtime) => {
  // ---- C01: the CSMS refuses a locally presented token ----
  // TC_C_06_CS answers "Locked", TC_C_02_CS "Invalid/Unknown": AuthorizationStatusEnumType has
  // neither Locked nor a combined value; the TC names (AuthorizationBlocked) give Blocked and Invalid.
  const refusals: [string, string][] = [
    ["TC_C_02_CS", "Invalid"],
    ["TC_C_06_CS", "Blocked"],
    ["TC_C_07_CS", "Expired"],
    ["TC_C_56_CS", "Unknown"],
  ];
  for (const [tc, status] of refusals) {
    it(`${tc}: local start, Authorize answered ${status}: no TransactionEvent within the message timeout, no energy`, async () => {
      const t = await txAuthStation(runtime, PPC);
      const id = `TOK${status.toUpperCase()}`;
      if (status !== "Unknown") known(t, id, status);
      const c = await connect(t);
      expect(tesOf(c)).toEqual([]);
      const wh = evse(t).reading.energyWh;
      token(t, id);
      const calls = await sent(t);
      // Step 1: the AuthorizeRequest with the presented idToken.
      expect(authorizeReqs(calls)).toEqual([{ idToken: iso(id) }]);
      await advance(t, MESSAGE_TIMEOUT);
      calls.push(...(await sent(t)));
      // C01.FR.02 (E02.FR.20): no TransactionEventRequest after the AuthorizeRequest.
      expect(tesOf(calls)).toEqual([]);
      expect(evse(t).relayClosed).toBe(false);
      expect(evse(t).offerDa).toBe(0);
      expect(evse(t).reading.energyWh).toBe(wh);
    });
  }

  it("TC_C_04_CS: local stop with a different idToken (Accepted, no common group): the transaction is not stopped", async () => {
    const t = await txAuthStation(runtime, PPC);
    known(t, "DRIVER04", "Accepted");
    known(t, "OTHER04", "Accepted");
    await connect(t);
    token(t, "DRIVER04");
    await advance(t, 2);
    expect(trig(tesOf(await sent(t)))).toEqual(["Started/ChargingStateChanged/SuspendedEVSE", "Updated/ChargingStateChanged/Charging"]);
    expect(evse(t).relayClosed).toBe(true);
    token(t, "OTHER04");
    const calls = await sent(t);
    // Step 1: the different idToken goes to the CSMS (it is in no cache, has no group).
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("OTHER04") }]);
    await advance(t, MESSAGE_TIMEOUT);
    calls.push(...(await sent(t)));
    // No TransactionEventRequest with an idToken after the different idToken; no Ended.
    expect(tesOf(calls).filter((e) => e.idToken !== undefined)).toEqual([]);
    expect(tesOf(calls).filter((e) => e.eventType === "Ended")).toEqual([]);
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).locked[0]).toBe(true);
  });

  // ---- C12: authorization through the cache ----

  it("TC_C_08_CS: a cached Accepted idToken (LocalPreAuthorize) starts at once, no AuthorizeRequest; energy transfer starts", async () => {
    const t = await txAuthStation(runtime, { ...PPC, ...PRE });
    known(t, "CACHED08", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED08"))).toEqual([{ idToken: iso("CACHED08") }]);
    await connect(t);
    token(t, "CACHED08");
    await advance(t, 2);
    const calls = await sent(t);
    // C12.FR.02: no AuthorizeRequest; the TransactionEventRequest carries the idToken.
    expect(authorizeReqs(calls)).toEqual([]);
    const l = tesOf(calls);
    // EnergyTransferStarted steps 7 and 9.
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/SuspendedEVSE", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].idToken).toEqual(iso("CACHED08"));
    // C12.FR.04, post scenario: energy transfer is started.
    expect(evse(t).relayClosed).toBe(true);
    const wh = evse(t).reading.energyWh;
    await advance(t, 3);
    expect(evse(t).reading.energyWh).toBeGreaterThan(wh);
  });

  const cachedRefusals: [string, string][] = [
    ["TC_C_09_CS", "Invalid"],
    // TC_C_10_CS answers "Restricted", no AuthorizationStatusEnumType value: its purpose is Blocked.
    ["TC_C_10_CS", "Blocked"],
    ["TC_C_11_CS", "Expired"],
  ];
  for (const [tc, status] of cachedRefusals) {
    it(`${tc}: a cached ${status} idToken is asked again (AuthorizeRequest), refused again: no transaction, no energy`, async () => {
      const t = await txAuthStation(runtime, { ...PPC, ...PRE, "AuthCacheCtrlr/DisablePostAuthorize": "false" });
      const id = `CACHED${status.toUpperCase()}`;
      known(t, id, status);
      const pre = await cacheToken(t, id);
      expect(authorizeReqs(pre)).toEqual([{ idToken: iso(id) }]);
      expect(tesOf(pre)).toEqual([]);
      await connect(t);
      token(t, id);
      const calls = await sent(t);
      // Step 1, C10.FR.03 / C12.FR.05: online, a cached status other than Accepted is checked with the CSMS.
      expect(authorizeReqs(calls)).toEqual([{ idToken: iso(id) }]);
      await advance(t, MESSAGE_TIMEOUT);
      calls.push(...(await sent(t)));
      expect(tesOf(calls)).toEqual([]);
      expect(evse(t).relayClosed).toBe(false);
    });
  }

  it("TC_C_12_CS: a cached Invalid idToken the CSMS now accepts: AuthorizeRequest, then the transaction and the energy transfer start", async () => {
    const t = await txAuthStation(runtime, { ...PPC, ...PRE, "AuthCacheCtrlr/DisablePostAuthorize": "false" });
    known(t, "CACHED12", "Invalid");
    expect(authorizeReqs(await cacheToken(t, "CACHED12"))).toHaveLength(1);
    known(t, "CACHED12", "Accepted");
    await connect(t);
    token(t, "CACHED12");
    await advance(t, 2);
    const calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("CACHED12") }]);
    // The AuthorizeRequest precedes the transaction's first event.
    expect(calls.findIndex((f) => f[2] === "Authorize")).toBeLessThan(calls.findIndex((f) => f[2] === "TransactionEvent"));
    const l = tesOf(calls);
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/SuspendedEVSE", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].idToken).toEqual(iso("CACHED12"));
    expect(evse(t).relayClosed).toBe(true);
  });

  it("TC_C_13_CS: a cached Accepted idToken before the cable (TxStartPoint Authorized): Started, Authorized, with the idToken, no AuthorizeRequest; energy only once the EV is connected", async () => {
    const t = await txAuthStation(runtime, { ...AUTHD, ...PRE });
    known(t, "CACHED13", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED13"))).toHaveLength(1);
    token(t, "CACHED13");
    let calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([]);
    let l = tesOf(calls);
    // Step 1: triggerReason Authorized, the idToken, eventType Started (no transaction before).
    expect(trig(l)).toEqual(["Started/Authorized/Idle"]);
    expect(l[0].idToken).toEqual(iso("CACHED13"));
    await advance(t, 3);
    expect(evse(t).relayClosed).toBe(false);
    // Steps 3, 4: EVConnectedPreSession, EnergyTransferStarted (part 1: CablePluggedIn, EVConnected).
    plug(t);
    calls = await sent(t);
    expect(statusesOf(calls)).toMatchObject([{ connectorStatus: "Occupied", evseId: 1, connectorId: 1 }]);
    l = tesOf(calls);
    expect(trig(l)).toEqual(["Updated/CablePluggedIn/EVConnected", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].evse).toEqual({ id: 1, connectorId: 1 });
    expect(evse(t).relayClosed).toBe(true);
  });

  it("TC_C_14_CS: a cached idToken of the MasterPassGroupId starts nothing (C12.FR.09) and stops the running transaction: StopAuthorized, its idToken, MasterPass", async () => {
    const t = await txAuthStation(runtime, { ...PPC, ...PRE, "AuthCtrlr/MasterPassGroupId": "POLICE14" });
    known(t, "MASTER14", "Accepted", "POLICE14");
    known(t, "DRIVER14", "Accepted");
    // Memory state: the master pass is cached (it went to the CSMS once); it never started a transaction.
    const pre = await cacheToken(t, "MASTER14");
    expect(authorizeReqs(pre)).toEqual([{ idToken: iso("MASTER14") }]);
    expect(tesOf(pre)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
    // EnergyTransferStarted with another driver's token.
    await connect(t);
    token(t, "DRIVER14");
    await advance(t, 2);
    expect(trig(tesOf(await sent(t))).at(-1)).toBe("Updated/ChargingStateChanged/Charging");
    token(t, "MASTER14");
    const calls = await sent(t);
    // Cached Accepted under LocalPreAuthorize: no AuthorizeRequest.
    expect(authorizeReqs(calls)).toEqual([]);
    const l = tesOf(calls);
    // Step 2: triggerReason StopAuthorized, the master pass's idToken; Ended: stoppedReason MasterPass.
    expect(l).toHaveLength(1);
    expect(l[0].triggerReason).toBe("StopAuthorized");
    expect(l[0].idToken).toEqual(iso("MASTER14"));
    if (l[0].eventType === "Ended") expect(l[0].transactionInfo.stoppedReason).toBe("MasterPass");
    expect(evse(t).relayClosed).toBe(false);
  });

  it("TC_C_57_CS: with DisablePostAuthorize a cached Invalid idToken is refused without AuthorizeRequest", async () => {
    const t = await txAuthStation(runtime, { ...PPC, ...PRE, "AuthCacheCtrlr/DisablePostAuthorize": "true" });
    known(t, "CACHED57", "Invalid");
    expect(authorizeReqs(await cacheToken(t, "CACHED57"))).toHaveLength(1);
    await connect(t);
    token(t, "CACHED57");
    await advance(t, MESSAGE_TIMEOUT);
    const calls = await sent(t);
    // Step 1: no AuthorizeRequest, and the authorization is refused.
    expect(authorizeReqs(calls)).toEqual([]);
    expect(tesOf(calls)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
  });

  // ---- C15 / C13: offline ----

  it("TC_C_26_CS: offline, an unknown idToken starts (OfflineTxForUnknownIdEnabled); found Invalid online (StopTxOnInvalidId false, MaxEnergyOnInvalidId 0): SuspendedEVSE; then stopped by its token", async () => {
    const t = await txAuthStation(runtime, {
      ...PPC,
      ...PRE,
      "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true",
      "AuthCtrlr/LocalAuthorizeOffline": "true",
      "TxCtrlr/MaxEnergyOnInvalidId": "0",
      "TxCtrlr/StopTxOnInvalidId": "false",
      "OCPPCommCtrlr/RetryBackOffWaitMinimum": "20",
      "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
    });
    known(t, "UNKNOWN26", "Invalid");
    // StartOfflineTransaction: the line down, the idToken, then the EV.
    await down(t);
    token(t, "UNKNOWN26");
    await advance(t, 1);
    plug(t);
    await advance(t, 5);
    // C15.FR.08: accepted offline: energy flows.
    expect(evse(t).relayClosed).toBe(true);
    const calls = await back(t);
    // Errata 6.2.34, step 1: the connector's status after the reconnect: Occupied.
    expect(statusesOf(calls).filter((s) => s.evseId === 1).map((s) => s.connectorStatus)).toContain("Occupied");
    const l = tesOf(calls);
    // C15.FR.02: the queued events, all offline true, come first (the queue is emptied in order).
    const queued = l.filter((e) => e.offline === true);
    const live = l.filter((e) => e.offline !== true);
    expect(queued.length).toBeGreaterThan(0);
    expect(l.slice(0, queued.length)).toEqual(queued);
    expect(queued[0]).toMatchObject({ eventType: "Started", idToken: iso("UNKNOWN26") });
    // One of them SuspendedEVSE.
    expect(queued.some((e) => e.transactionInfo.chargingState === "SuspendedEVSE")).toBe(true);
    // C15.FR.06: idTokenInfo Invalid, StopTxOnInvalidId false: energy stops, Updated ChargingStateChanged SuspendedEVSE; the transaction goes on.
    expect(trig(live)).toEqual(["Updated/ChargingStateChanged/SuspendedEVSE"]);
    expect(evse(t).relayClosed).toBe(false);
    // Errata 6.2.34, steps 3-5: Reusable States StopAuthorized (the idToken that started it), EVConnectedPostSession, EVDisconnected.
    token(t, "UNKNOWN26");
    const stop = tesOf(await sent(t));
    expect(stop.map((e) => e.triggerReason)).toContain("StopAuthorized");
    expect(stop.at(-1)).toMatchObject({ eventType: "Ended", transactionInfo: { chargingState: "EVConnected", stoppedReason: "Local" } });
    unplug(t);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Available", evseId: 1, connectorId: 1 }]);
  });

  // ---- C10 / C11: the cache itself ----

  it("TC_C_32_CS: the cache persists over a power cycle: the cached idToken starts (TxStartPoint Authorized) without AuthorizeRequest", async () => {
    const t = await txAuthStation(runtime, { ...AUTHD, ...PRE });
    known(t, "CACHED32", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED32"))).toHaveLength(1);
    // Step 1: Reusable State Booted: after BootNotification every connector is reported Available.
    const booted = await reboot(t);
    expect(statusesOf(booted).map((s) => `${s.evseId}/${s.connectorId}/${s.connectorStatus}`).sort()).toEqual(["1/1/Available", "2/1/Available"]);
    token(t, "CACHED32");
    let calls = await sent(t);
    // C10.FR.02: still cached (LocalPreAuthorize): no AuthorizeRequest.
    expect(authorizeReqs(calls)).toEqual([]);
    const l = tesOf(calls);
    // Step 2: triggerReason Authorized with the idToken.
    expect(trig(l)).toEqual(["Started/Authorized/Idle"]);
    expect(l[0].idToken).toEqual(iso("CACHED32"));
    // Steps 4, 5: EVConnectedPreSession, EnergyTransferStarted.
    plug(t);
    calls = await sent(t);
    expect(trig(tesOf(calls)).at(-1)).toBe("Updated/ChargingStateChanged/Charging");
    expect(evse(t).relayClosed).toBe(true);
  });

  it("TC_C_33_CS: an AuthorizeResponse Accepted is cached: the same idToken in the next session goes without AuthorizeRequest (TxStartPoint EVConnected)", async () => {
    const t = await txAuthStation(runtime, { ...EVC, ...PRE });
    known(t, "VALID33", "Accepted");
    let calls = await connect(t);
    expect(trig(tesOf(calls))).toEqual(["Started/CablePluggedIn/EVConnected"]);
    token(t, "VALID33");
    await advance(t, 2);
    calls = await sent(t);
    // Step 1: AuthorizeRequest; step 3: Updated, Authorized, the idToken; step 5: energy.
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("VALID33") }]);
    let l = tesOf(calls);
    expect(trig(l)).toEqual(["Updated/Authorized/-", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].idToken).toEqual(iso("VALID33"));
    // Steps 6-8: StopAuthorized, EVConnectedPostSession, EVDisconnected.
    token(t, "VALID33");
    expect(tesOf(await sent(t)).at(-1)).toMatchObject({ eventType: "Ended", triggerReason: "StopAuthorized" });
    unplug(t);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Available" }]);
    // Step 10: EVConnectedPreSession again; the same idToken: step 13's answer is Invalid.
    known(t, "VALID33", "Invalid");
    calls = await connect(t);
    expect(trig(tesOf(calls))).toEqual(["Started/CablePluggedIn/EVConnected"]);
    token(t, "VALID33");
    calls = await sent(t);
    // C10.FR.04 / C12.FR.02: cached Accepted: no AuthorizeRequest. Step 12: Updated, Authorized, the idToken.
    expect(authorizeReqs(calls)).toEqual([]);
    l = tesOf(calls);
    expect(l[0]).toMatchObject({ eventType: "Updated", triggerReason: "Authorized", idToken: iso("VALID33") });
  });

  it("TC_C_34_CS: a TransactionEventResponse Invalid updates the cache: deauthorized, then the same idToken is asked with AuthorizeRequest", async () => {
    // Errata 6.2.28: StopTxOnInvalidId true, MaxEnergyOnInvalidId 0; steps Authorized (cached, Invalid), Deauthorized, EVDisconnected, Authorized (Invalid).
    const t = await txAuthStation(runtime, { ...PPC, ...PRE, "TxCtrlr/StopTxOnInvalidId": "true", "TxCtrlr/MaxEnergyOnInvalidId": "0" });
    known(t, "VALID34", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "VALID34"))).toHaveLength(1);
    known(t, "VALID34", "Invalid");
    // Step 1: Authorized with the cached idToken: no AuthorizeRequest; the first TransactionEventRequest
    // (PowerPathClosed: once the EV is connected) carries the idToken, answered Invalid.
    token(t, "VALID34");
    let calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([]);
    plug(t);
    calls.push(...(await sent(t)));
    const l = tesOf(calls);
    expect(l[0]).toMatchObject({ eventType: "Started", idToken: iso("VALID34") });
    // Step 2: Deauthorized: triggerReason Deauthorized, EVConnected or SuspendedEVSE; TxStopPoint has Authorized: Ended, DeAuthorized.
    const de = l.filter((e) => e.triggerReason === "Deauthorized");
    expect(de).toHaveLength(1);
    expect(["EVConnected", "SuspendedEVSE"]).toContain(de[0].transactionInfo.chargingState);
    expect(de[0]).toMatchObject({ eventType: "Ended", transactionInfo: { stoppedReason: "DeAuthorized" } });
    expect(evse(t).relayClosed).toBe(false);
    // Deauthorized steps 5, 6: the connector still locked: UnlockConnector.
    if (evse(t).locked[0]) {
      const r = t.csms.call("UnlockConnector", { evseId: 1, connectorId: 1 });
      expect(r[2]).toEqual({ status: "Unlocked" });
      await advance(t, 1);
    }
    expect(evse(t).locked[0]).toBe(false);
    // Step 3: EVDisconnected.
    unplug(t);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Available", evseId: 1, connectorId: 1 }]);
    // Step 6: Authorized: C10.FR.05 the cache says Invalid now: C10.FR.03, an AuthorizeRequest (answered Invalid).
    token(t, "VALID34");
    calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("VALID34") }]);
    await advance(t, 5);
    calls.push(...(await sent(t)));
    expect(tesOf(calls)).toEqual([]);
  });

  it("TC_C_36_CS: LocalPreAuthorize false: a cached Accepted idToken is still sent in an AuthorizeRequest; Invalid authorizes nothing", async () => {
    const t = await txAuthStation(runtime, { ...PPC, "AuthCacheCtrlr/Enabled": "true", "AuthCtrlr/LocalPreAuthorize": "false" });
    known(t, "CACHED36", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED36"))).toHaveLength(1);
    known(t, "CACHED36", "Invalid");
    token(t, "CACHED36");
    const calls = await sent(t);
    // Step 1.
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("CACHED36") }]);
    // The refusal stands: a cable afterwards starts nothing.
    plug(t);
    await advance(t, 5);
    calls.push(...(await sent(t)));
    expect(tesOf(calls)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
  });

  it("TC_C_37_CS: ClearCache Accepted: the formerly cached idToken is sent in an AuthorizeRequest again (TxStartPoint EVConnected)", async () => {
    // LocalPreAuthorize true (TC_C_08's setting): a token still cached would go without AuthorizeRequest, so step 5 tells.
    const t = await txAuthStation(runtime, { ...EVC, ...PRE });
    known(t, "CACHED37", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED37"))).toHaveLength(1);
    // Step 2.
    expect(t.csms.call("ClearCache", {})[2]).toEqual({ status: "Accepted" });
    // Steps 3, 4.
    expect(trig(tesOf(await connect(t)))).toEqual(["Started/CablePluggedIn/EVConnected"]);
    token(t, "CACHED37");
    await advance(t, 2);
    const calls = await sent(t);
    // Step 5: AuthorizeRequest; step 7: triggerReason Authorized; step 9: energy.
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("CACHED37") }]);
    const l = tesOf(calls);
    expect(l[0]).toMatchObject({ triggerReason: "Authorized", idToken: iso("CACHED37") });
    expect(trig(l).at(-1)).toBe("Updated/ChargingStateChanged/Charging");
    expect(evse(t).relayClosed).toBe(true);
  });

  it("TC_C_38_CS: ClearCache with AuthCacheCtrlr.Enabled false is Rejected", async () => {
    const t = await txAuthStation(runtime, { ...PPC, ...PRE });
    known(t, "CACHED38", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED38"))).toHaveLength(1);
    setVar(t, "AuthCacheCtrlr", "Enabled", "false");
    // Step 2 (C11.FR.04).
    expect(t.csms.call("ClearCache", {})[2]).toEqual({ status: "Rejected" });
  });

  it("TC_C_46_CS: after AuthCacheLifeTime the cached idToken has expired: Authorized (local) sends an AuthorizeRequest", async () => {
    // Errata (C10.FR.08/10): the lifetime counts from the entry's last update (here the Ended event's answer); either reading expires it here.
    const t = await txAuthStation(runtime, { ...PPC, ...PRE, "AuthCacheCtrlr/LifeTime": "60" });
    known(t, "CACHED46", "Accepted");
    expect(authorizeReqs(await cacheToken(t, "CACHED46"))).toHaveLength(1);
    await connect(t);
    // Step 1: wait <Configured Transaction Duration> (= LifeTime) seconds.
    await advance(t, 61);
    await sent(t);
    // Step 2: Reusable State Authorized: the idToken is no longer cached: AuthorizeRequest.
    token(t, "CACHED46");
    await advance(t, 2);
    const calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("CACHED46") }]);
    expect(trig(tesOf(calls)).at(-1)).toBe("Updated/ChargingStateChanged/Charging");
  });

  // ---- C09: groups ----

  it("TC_C_39_CS: another idToken of the same group stops the transaction: AuthorizeRequest, then StopAuthorized with that idToken (TxStartPoint EVConnected)", async () => {
    const t = await txAuthStation(runtime, EVC);
    known(t, "VALID39", "Accepted", "GROUP39");
    known(t, "VALID39B", "Accepted", "GROUP39");
    expect(trig(tesOf(await connect(t)))).toEqual(["Started/CablePluggedIn/EVConnected"]);
    token(t, "VALID39");
    await advance(t, 2);
    let calls = await sent(t);
    // Step 1: AuthorizeRequest; step 3: triggerReason Authorized, the idToken, Updated (already started).
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("VALID39") }]);
    let l = tesOf(calls);
    expect(l[0]).toMatchObject({ eventType: "Updated", triggerReason: "Authorized", idToken: iso("VALID39") });
    expect(trig(l).at(-1)).toBe("Updated/ChargingStateChanged/Charging");
    expect(evse(t).relayClosed).toBe(true);
    token(t, "VALID39B");
    calls = await sent(t);
    // Step 6: AuthorizeRequest for the other idToken (not cached: C09.FR.05).
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("VALID39B") }]);
    l = tesOf(calls);
    // Step 8: triggerReason StopAuthorized, with the idToken that stopped it (E07.FR.02; the TC's
    // "valid_idtoken" there is the second one, as TC_C_39_CSMS step 8 shows).
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ triggerReason: "StopAuthorized", idToken: iso("VALID39B") });
    // TxStopPoint Authorized: Ended, Local (EVConnectedPostSession per errata 6.2.117).
    expect(l[0]).toMatchObject({ eventType: "Ended", transactionInfo: { chargingState: "EVConnected", stoppedReason: "Local" } });
    expect(evse(t).relayClosed).toBe(false);
    expect(evse(t).locked[0]).toBe(false);
    unplug(t);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Available", evseId: 1, connectorId: 1 }]);
  });

  it("TC_C_41_CS: two cached idTokens of one group: the first starts, the second stops (StopAuthorized), neither with an AuthorizeRequest (C09.FR.07)", async () => {
    const t = await txAuthStation(runtime, { ...EVC, ...PRE });
    known(t, "VALID41", "Accepted", "GROUP41");
    known(t, "VALID41B", "Accepted", "GROUP41");
    expect(authorizeReqs(await cacheToken(t, "VALID41"))).toHaveLength(1);
    expect(authorizeReqs(await cacheToken(t, "VALID41B"))).toHaveLength(1);
    expect(trig(tesOf(await connect(t)))).toEqual(["Started/CablePluggedIn/EVConnected"]);
    token(t, "VALID41");
    await advance(t, 2);
    let calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([]);
    let l = tesOf(calls);
    // Step 1: triggerReason Authorized, the idToken, Updated.
    expect(l[0]).toMatchObject({ eventType: "Updated", triggerReason: "Authorized", idToken: iso("VALID41") });
    expect(evse(t).relayClosed).toBe(true);
    token(t, "VALID41B");
    calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([]);
    l = tesOf(calls);
    // Step 4: StopAuthorized with the idToken that stopped it (E07.FR.02).
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ eventType: "Ended", triggerReason: "StopAuthorized", idToken: iso("VALID41B"), transactionInfo: { stoppedReason: "Local" } });
    expect(evse(t).relayClosed).toBe(false);
  });

  // ---- E09, E03 ----

  for (const unlock of [true, false]) {
    const tc = unlock ? "TC_E_24_CS" : "TC_E_25_CS";
    it(`${tc}: EV-side disconnect while suspended (StopTxOnEVSideDisconnect true, UnlockOnEVSideDisconnect ${unlock}): EVCommunicationLost, Idle; ${unlock ? "unlocked at once" : "locked until the starting idToken comes back"}; unplug: Available`, async () => {
      const t = await txAuthStation(runtime, { ...PPC, "TxCtrlr/StopTxOnEVSideDisconnect": "true", "OCPPCommCtrlr/UnlockOnEVSideDisconnect": String(unlock) });
      const id = `VALID${tc.slice(5, 7)}`;
      known(t, id, "Accepted");
      // EnergyTransferSuspended: the EV charges, its battery fills, it suspends.
      t.board.setEv(1, { socPercent: 99.99 });
      await connect(t);
      token(t, id);
      const l = await until(t, "SuspendedEV");
      expect(trig(l)).toContain("Updated/ChargingStateChanged/Charging");
      expect(trig(l).at(-1)).toBe("Updated/ChargingStateChanged/SuspendedEV");
      expect(evse(t).locked[0]).toBe(true);
      // The cable pulled at the EV end.
      pilot(t, "A");
      const calls = await sent(t);
      const ev = tesOf(calls);
      // Step 1: triggerReason EVCommunicationLost, chargingState Idle; E09.FR.01 deauthorized (TxStopPoint EVConnected: Ended).
      expect(ev).toHaveLength(1);
      expect(ev[0]).toMatchObject({ triggerReason: "EVCommunicationLost", transactionInfo: { chargingState: "Idle" } });
      expect(evse(t).relayClosed).toBe(false);
      await advance(t, 5);
      if (unlock) {
        // E09.FR.02.
        expect(evse(t).locked[0]).toBe(false);
      } else {
        // E09.FR.03: locked until the EV driver's authorization: the idToken that started the transaction.
        expect(evse(t).locked[0]).toBe(true);
        token(t, id);
        await advance(t, 1);
        expect(evse(t).locked[0]).toBe(false);
        expect(tesOf(await sent(t))).toEqual([]);
      }
      // The cable out at the station's side. Step 3: StatusNotification Available.
      unplug(t);
      const after = await sent(t);
      expect(statusesOf(after)).toMatchObject([{ connectorStatus: "Available", evseId: 1, connectorId: 1 }]);
      expect(tesOf(after)).toEqual([]);
    });
  }

  it("TC_E_38_CS: authorized first, then an EV that does not ask for energy: ChargingStateChanged, SuspendedEV; no energy", async () => {
    const t = await txAuthStation(runtime, PPC);
    known(t, "VALID38", "Accepted");
    // Reusable State Authorized.
    token(t, "VALID38");
    let calls = await sent(t);
    expect(authorizeReqs(calls)).toEqual([{ idToken: iso("VALID38") }]);
    expect(tesOf(calls)).toEqual([]);
    t.board.setEv(1, { socPercent: 100 });
    const wh = evse(t).reading.energyWh;
    // Step 1: EVConnectedPreSession.
    calls = await connect(t);
    await advance(t, 5);
    calls.push(...(await sent(t)));
    const l = tesOf(calls);
    expect(l[0].eventType).toBe("Started");
    expect(["CablePluggedIn", "ChargingStateChanged"]).toContain(l[0].triggerReason);
    expect(["EVConnected", "SuspendedEVSE"]).toContain(l[0].transactionInfo.chargingState);
    expect(l[0].evse).toEqual({ id: 1, connectorId: 1 });
    expect(l[0].idToken).toEqual(iso("VALID38"));
    // Step 2: triggerReason ChargingStateChanged, chargingState SuspendedEV.
    expect(l.filter((e) => e.triggerReason === "ChargingStateChanged" && e.transactionInfo.chargingState === "SuspendedEV")).toHaveLength(1);
    expect(l.filter((e) => e.transactionInfo.chargingState === "Charging")).toEqual([]);
    expect(evse(t).reading.energyWh).toBe(wh);
  });

  // ---- F06, G01 ----

  it("TC_F_20_CS: TriggerMessage Heartbeat: Accepted, then a HeartbeatRequest (after the response)", async () => {
    const t = await txAuthStation(runtime);
    await sent(t);
    t.csms.deliver(JSON.stringify([2, "f20", "TriggerMessage", { requestedMessage: "Heartbeat" }]));
    const frames = t.csms.take();
    await t.settle();
    frames.push(...t.csms.take());
    const answer = frames.findIndex((f) => f[0] === 3 && f[1] === "f20");
    const hb = frames.findIndex((f) => f[0] === 2 && f[2] === "Heartbeat");
    // Step 2: status Accepted (F06.FR.05); step 3 (F06.FR.10), after the response (F06.FR.04).
    expect(answer).toBeGreaterThanOrEqual(0);
    expect(frames[answer][2]).toEqual({ status: "Accepted" });
    expect(hb).toBeGreaterThan(answer);
    expect(frames[hb][3]).toEqual({});
    expect(frames.filter((f) => f[0] === 2 && f[2] === "Heartbeat")).toHaveLength(1);
  });

  it("TC_G_01_CS: a cable plugged in: StatusNotification Occupied with its evseId and connectorId (socket and fixed cable)", async () => {
    const t = await txAuthStation(runtime, PPC);
    plug(t, 1);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Occupied", evseId: 1, connectorId: 1 }]);
    plug(t, 2);
    const s = statusesOf(await sent(t));
    expect(s).toMatchObject([{ connectorStatus: "Occupied", evseId: 2, connectorId: 1 }]);
    expect(typeof s[0].timestamp).toBe("string");
  });

  it("TC_G_02_CS: from EVConnectedPreSession the cable pulled: StatusNotification Available with its evseId and connectorId", async () => {
    const t = await txAuthStation(runtime, PPC);
    await connect(t);
    plug(t, 2);
    await sent(t);
    unplug(t, 1);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Available", evseId: 1, connectorId: 1 }]);
    unplug(t, 2);
    expect(statusesOf(await sent(t))).toMatchObject([{ connectorStatus: "Available", evseId: 2, connectorId: 1 }]);
  });
});
