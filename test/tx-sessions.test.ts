// Transactions (E01–E10): start and stop points, triggerReason, chargingState, seqNo and the fields
// sent once, driven by the simulated board on every runtime. Part 6 test cases by id.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { ACCEPT, advance, evse, flush, meter, pilot, plug, sent, TE, tes, token, txStation, unplug } from "./tx-harness";

const PPC = { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const trig = (l: TE[]) => { const r = l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.chargingState ?? "-"}`); if (process.env.TXDEBUG) console.log(JSON.stringify(r)); return r; };

describe.each(RUNTIMES)("transactions on %s", (runtime) => {
  it("a welded contactor and a pilot in state F make the EVSE Faulted (StatusNotification) until the hardware agrees again", async () => {
    const t = await txStation(runtime, PPC);
    const statuses = async () => (await sent(t)).filter((f) => f[2] === "StatusNotification").map((f) => (f[3] as { connectorStatus: string }).connectorStatus);
    plug(t);
    token(t, "OK1");
    await advance(t, 3);
    expect(evse(t).relayClosed).toBe(true);
    await statuses();
    t.board.setFaults(1, { relayWelded: true });
    token(t, "OK1");
    // Commanded open, still closed: Faulted once the feedback has lagged for the grace period.
    await advance(t, 1);
    expect(await statuses()).toEqual([]);
    await advance(t, 4);
    expect(await statuses()).toEqual(["Faulted"]);
    expect(t.logs.some((l) => l.includes("EVSE 1 faulted"))).toBe(true);
    t.board.setFaults(1, { relayWelded: false });
    await advance(t, 2);
    expect(evse(t).relayClosed).toBe(false);
    expect(await statuses()).toEqual(["Occupied"]);
    // IEC 61851 F: the EVSE is not available.
    pilot(t, "F");
    await advance(t, 1);
    expect(await statuses()).toEqual(["Faulted"]);
    pilot(t, "B");
    await advance(t, 1);
    expect(await statuses()).toEqual(["Occupied"]);
  });

  it("TC_E_03_CS / TC_E_15_CS: cable first, local start and stop with the same token (TxStartPoint PowerPathClosed)", async () => {
    const t = await txStation(runtime, PPC);
    plug(t);
    const first = await sent(t);
    // E02: the plug-in alone is reported as Occupied; PowerPathClosed needs the authorization too.
    expect(first.map((f) => f[2])).toEqual(["StatusNotification"]);
    expect((first[0][3] as { connectorStatus: string }).connectorStatus).toBe("Occupied");
    meter(t, 1000, 0, [0, 0, 0], [2301, 2302, 2303], 40);
    token(t, "OK1");
    let l = await tes(t);
    // E01.FR.05: Started on authorization, before the contactor closes; the power path closing is the
    // start point, not the authorization (EnergyTransferStarted step 7: ChargingStateChanged, SuspendedEVSE).
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/SuspendedEVSE"]);
    const s = l[0];
    expect(s.seqNo).toBe(0);
    expect(s.idToken).toEqual({ idToken: "OK1", type: "ISO14443" });
    expect(s.evse).toEqual({ id: 1, connectorId: 1 });
    expect(s.offline).toBeUndefined();
    // E01.FR.09: Transaction.Begin sample of TxStartedMeasurands (default: the energy register).
    expect(s.meterValue![0].sampledValue).toEqual([{ value: 1000, context: "Transaction.Begin", measurand: "Energy.Active.Import.Register", unitOfMeasure: { unit: "Wh" } }]);
    expect(s.transactionInfo.transactionId.length).toBeLessThanOrEqual(36);
    // IEC 61851-1 Annex A: the PWM offers 32 A (state B2); the contactor waits for the EV to ask (C2).
    expect(evse(t).offerDa).toBe(320);
    expect(evse(t).relayClosed).toBe(false);
    // A socket is locked while the transaction runs.
    expect(evse(t).locked[0]).toBe(true);
    // The EV answers the offer (state C): the contactor closes, the EV draws on three phases.
    await advance(t, 1);
    expect(evse(t).relayClosed).toBe(true);
    l = await tes(t);
    expect(trig(l)).toEqual(["Updated/ChargingStateChanged/Charging"]);
    // The idToken and evse went once.
    expect(l[0].seqNo).toBe(1);
    expect(l[0].idToken).toBeUndefined();
    expect(l[0].evse).toBeUndefined();
    await advance(t, 5);
    await tes(t);
    token(t, "ok1");
    l = await tes(t);
    // TC_E_15_CS: one Ended, StopAuthorized, Local, with the stopping token (E07.FR.02); tokens compare case-insensitively.
    expect(trig(l)).toEqual(["Ended/StopAuthorized/EVConnected"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Local");
    expect(l[0].idToken?.idToken).toBe("ok1");
    expect(l[0].transactionInfo.transactionId).toBe(s.transactionInfo.transactionId);
    expect(l[0].meterValue!.at(-1)!.sampledValue[0]).toMatchObject({ value: evse(t).reading.energyWh, context: "Transaction.End" });
    expect(evse(t).reading.energyWh).toBeGreaterThan(0);
    expect(evse(t).relayClosed).toBe(false);
    expect(evse(t).offerDa).toBe(0);
    expect(evse(t).locked[0]).toBe(false);
    // TC_E_06_CS: the same token stops without asking the authorization (E07.FR.01).
    expect(t.logs.filter((x) => x.startsWith("auth-table:"))).toEqual(["auth-table: OK1 Accepted"]);
    unplug(t);
    const after = await sent(t);
    expect(after.map((f) => f[2])).toEqual(["StatusNotification"]);
    expect((after[0][3] as { connectorStatus: string }).connectorStatus).toBe("Available");
  });

  it("E01.FR.19: an EV that does not take the offer is SuspendedEV after a moment; seqNo counts every event", async () => {
    const t = await txStation(runtime, PPC);
    t.board.setEv(1, { socPercent: 100 });
    plug(t);
    token(t, "OK1");
    await advance(t, 4);
    const l = await tes(t);
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/SuspendedEVSE", "Updated/ChargingStateChanged/SuspendedEV"]);
    expect(l.map((e) => e.seqNo)).toEqual([0, 1]);
  });

  it("TC_E_04_CS / TC_E_01_CS: authorization first: no event until the cable (PowerPathClosed), then Started by CablePluggedIn with idToken and evse", async () => {
    const t = await txStation(runtime, PPC);
    token(t, "OK2");
    expect(await tes(t)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
    plug(t);
    const l = await tes(t);
    // The EV answers the offer at once (its pilot goes from B straight to C).
    expect(trig(l)).toEqual(["Started/CablePluggedIn/SuspendedEVSE", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].idToken?.idToken).toBe("OK2");
    expect(l[0].evse).toEqual({ id: 1, connectorId: 1 });
  });

  it("E02.FR.20: a refused token sends nothing and closes nothing", async () => {
    const t = await txStation(runtime, PPC);
    plug(t);
    token(t, "BAD1");
    expect(await tes(t)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
  });

  it("TC_E_09_CS / TC_E_03_CS: TxStartPoint EVConnected: Started at the plug-in, then Authorized with the idToken, then Charging", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "EVConnected", "TxCtrlr/TxStopPoint": "EVConnected" });
    plug(t);
    let l = await tes(t);
    expect(trig(l)).toEqual(["Started/CablePluggedIn/EVConnected"]);
    expect(l[0].evse).toEqual({ id: 1, connectorId: 1 });
    expect(l[0].idToken).toBeUndefined();
    // No energy before authorization, and no lock: nobody owns the cable yet (F05.FR.02 applies to authorized transactions).
    expect(evse(t).relayClosed).toBe(false);
    expect(evse(t).locked[0]).toBe(false);
    token(t, "OK3");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(true);
    l = await tes(t);
    expect(trig(l)).toEqual(["Updated/Authorized/-", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].idToken?.idToken).toBe("OK3");
    expect(l.map((e) => e.seqNo)).toEqual([1, 2]);
    // Config E local stop (E07 other stop points): StopAuthorized, then EVConnected; the Ended comes with the unplug, Local.
    token(t, "OK3");
    l = await tes(t);
    expect(trig(l)).toEqual(["Updated/StopAuthorized/EVConnected"]);
    expect(evse(t).relayClosed).toBe(false);
    // E07 scenario step 2: the energy stops and the cable is unlocked (not permanently attached).
    expect(evse(t).locked[0]).toBe(false);
    unplug(t);
    l = await tes(t);
    // TC_E_14_CS
    expect(trig(l)).toEqual(["Ended/EVCommunicationLost/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Local");
    expect(l[0].seqNo).toBe(4);
  });

  it("TC_E_10_CS / TC_J_08_CS: TxStartPoint Authorized: Started without evse; the plug-in event carries evse and Transaction.Begin", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "Authorized", "TxCtrlr/TxStopPoint": "Authorized" });
    token(t, "OK4");
    let l = await tes(t);
    expect(trig(l)).toEqual(["Started/Authorized/Idle"]);
    expect(l[0].idToken?.idToken).toBe("OK4");
    expect(l[0].evse).toBeUndefined();
    expect(l[0].meterValue).toBeUndefined();
    plug(t);
    l = await tes(t);
    expect(trig(l)).toEqual(["Updated/CablePluggedIn/EVConnected", "Updated/ChargingStateChanged/Charging"]);
    expect(l[0].evse).toEqual({ id: 1, connectorId: 1 });
    expect(l[0].meterValue![0].sampledValue[0]).toMatchObject({ value: evse(t).reading.energyWh, context: "Transaction.Begin" });
  });

  it("TC_E_02_CS: TxStartPoint EnergyTransfer: Started only when energy flows, with idToken, evse and Charging", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "EnergyTransfer", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" });
    token(t, "OK5");
    expect(await tes(t)).toEqual([]);
    // The contactor closes with the cable; the EV asks for energy (C): that starts the transaction.
    plug(t);
    const l = await tes(t);
    expect(evse(t).relayClosed).toBe(true);
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/Charging"]);
    expect(l[0].idToken?.idToken).toBe("OK5");
    expect(l[0].evse).toEqual({ id: 1, connectorId: 1 });
  });

  it("TC_E_22_CS: TxStopPoint EnergyTransfer: the EV suspending ends the transaction, StoppedByEV", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "EnergyTransfer" });
    t.board.setEv(1, { socPercent: 99.99 });
    plug(t);
    token(t, "OK6");
    await advance(t, 1);
    await tes(t);
    // The battery fills up: the EV goes back to B and stops drawing.
    await advance(t, 3);
    const l = await tes(t);
    // TC_E_22_CS (errata 6.2.50): an Ended event says EVConnected: the EV is still plugged, no energy flows.
    expect(trig(l)).toEqual(["Ended/ChargingStateChanged/EVConnected"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("StoppedByEV");
  });

  for (const point of ["PowerPathClosed", "EnergyTransfer"]) {
    it(`${point === "PowerPathClosed" ? "TC_E_07_CS" : "TC_E_08_CS"}: TxStopPoint ${point}: the local stop ends the transaction at once, StopAuthorized, Local`, async () => {
      const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": point });
      plug(t);
      token(t, "OK07");
      await advance(t, 3);
      expect(evse(t).relayClosed).toBe(true);
      await tes(t);
      token(t, "OK07");
      const l = await tes(t);
      expect(trig(l)).toEqual(["Ended/StopAuthorized/EVConnected"]);
      expect(l[0].transactionInfo.stoppedReason).toBe("Local");
      expect(evse(t).relayClosed).toBe(false);
    });
  }

  it("TC_E_37_CS: TxStopPoint PowerPathClosed, the EV suspended then gone (StopTxOnEVSideDisconnect false): Ended, EVCommunicationLost, Idle", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "PowerPathClosed", "TxCtrlr/StopTxOnEVSideDisconnect": "false" });
    t.board.setEv(1, { socPercent: 100 });
    plug(t);
    token(t, "OK37");
    await advance(t, 5);
    expect(trig(await tes(t)).at(-1)).toBe("Updated/ChargingStateChanged/SuspendedEV");
    pilot(t, "A");
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/EVCommunicationLost/Idle"]);
    expect(["EVDisconnected", "StoppedByEV"]).toContain(l[0].transactionInfo.stoppedReason);
  });

  it("TC_E_17_CS: EV-side disconnect with StopTxOnEVSideDisconnect: Ended, EVCommunicationLost, Idle, EVDisconnected", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "Authorized", "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false" });
    plug(t);
    token(t, "OK7");
    await advance(t, 1);
    await tes(t);
    pilot(t, "A");
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/EVCommunicationLost/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("EVDisconnected");
    expect(evse(t).relayClosed).toBe(false);
    // E09.FR.03: UnlockOnEVSideDisconnect false: the cable stays locked until its driver comes back;
    // another (valid) card neither frees it nor starts anything on it.
    await advance(t, 5);
    expect(evse(t).locked[0]).toBe(true);
    pilot(t, "B");
    token(t, "OK-OTHER7");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(true);
    // At the station's own reader the card goes to a free EVSE, not to the held one.
    plug(t, 2);
    token(t, "OK-OTHER7b", 0);
    expect((await tes(t)).map((e) => `${e.eventType}/${e.evse?.id}`)).toEqual(["Started/2"]);
    await advance(t, 2);
    await tes(t);
    expect(await tes(t)).toEqual([]);
    token(t, "OK7");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(false);
    expect(await tes(t)).toEqual([]);
  });

  it("E09.FR.03 with a stop point that keeps the transaction (TxStopPoint EnergyTransfer, EV suspended): deauthorized, the cable stays locked for its owner; the owner's card lets it go", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EnergyTransfer", "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false" });
    t.board.setEv(1, { socPercent: 100 });
    plug(t);
    token(t, "OK7c");
    await advance(t, 5);
    expect(trig(await tes(t)).at(-1)).toBe("Updated/ChargingStateChanged/SuspendedEV");
    pilot(t, "A");
    await advance(t, 2);
    // Still running (no stop point met), no longer authorized, no energy, and locked.
    expect(trig(await tes(t))[0]).toBe("Updated/EVCommunicationLost/Idle");
    expect(evse(t).relayClosed).toBe(false);
    expect(evse(t).locked[0]).toBe(true);
    token(t, "OK-OTHER7c");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(true);
    token(t, "OK7c");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(false);
  });

  it("the limit hook (smart charging's composite limit, K08): the pilot offer follows it; below 6 A the energy pauses (SuspendedEVSE); -1 lifts it", async () => {
    const t = await txStation(runtime, PPC);
    plug(t);
    token(t, "OK-CAP");
    await advance(t, 3);
    await tes(t);
    expect(evse(t).offerDa).toBe(320);
    token(t, "CAP100");
    await advance(t, 3);
    expect(evse(t).offerDa).toBe(100);
    expect(evse(t).relayClosed).toBe(true);
    // The EV follows the offer: about 10 A per phase.
    expect(evse(t).ev.drawA).toBeLessThanOrEqual(10);
    expect(await tes(t)).toEqual([]);
    token(t, "CAP59");
    await advance(t, 1);
    expect(evse(t).offerDa).toBe(0);
    expect(evse(t).relayClosed).toBe(false);
    expect(trig(await tes(t))).toEqual(["Updated/ChargingStateChanged/SuspendedEVSE"]);
    token(t, "CAP-1");
    await advance(t, 3);
    expect(evse(t).offerDa).toBe(320);
    expect(trig(await tes(t)).at(-1)).toBe("Updated/ChargingStateChanged/Charging");
  });

  it("IEC 61851-1 Annex A: the contactor opens when the EV stops asking (C→B, SuspendedEV) with the offer kept, and closes when it asks again", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxUpdatedInterval": "5" });
    plug(t);
    token(t, "OK61851");
    await advance(t, 2);
    expect(trig(await tes(t))).toContain("Updated/ChargingStateChanged/Charging");
    expect(evse(t).relayClosed).toBe(true);
    // E02.FR.18: the phases in use, once the energy flows (the contactor closed at the EV's request, the meter shows them).
    await advance(t, 6);
    expect((await tes(t)).map((e) => e.numberOfPhasesUsed)).toContain(3);
    // The battery full: the EV opens S2 (state B), the offer stays, the contactor opens within the same second.
    t.board.setEv(1, { socPercent: 100 });
    await advance(t, 1);
    expect(evse(t).pilot).toBe("B");
    expect(evse(t).offerDa).toBe(320);
    expect(evse(t).relayClosed).toBe(false);
    await advance(t, 5);
    expect(trig(await tes(t))).toContain("Updated/ChargingStateChanged/SuspendedEV");
    // The EV asks again (state C): the contactor closes, the energy flows.
    t.board.setEv(1, { socPercent: 50 });
    await advance(t, 2);
    expect(evse(t).relayClosed).toBe(true);
    expect(trig(await tes(t))).toContain("Updated/ChargingStateChanged/Charging");
  });

  it("TxStartPoint EnergyTransfer: the socket is locked before the contactor closes for the EV to start drawing", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "EnergyTransfer", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" });
    plug(t);
    token(t, "OK7d");
    await flush(t);
    // The offer made, the socket locked; the contactor waits for the EV's request (IEC 61851-1 C2).
    expect(evse(t).offerDa).toBe(320);
    expect(evse(t).locked[0]).toBe(true);
    expect(evse(t).relayCommand).toBe(false);
    await advance(t, 2);
    expect(trig(await tes(t))[0]).toBe("Started/ChargingStateChanged/Charging");
    expect(evse(t).relayCommand).toBe(true);
    expect(evse(t).locked[0]).toBe(true);
  });

  it("E09.FR.02: with UnlockOnEVSideDisconnect the cable is let go when the EV side leaves", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "Authorized", "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "true" });
    plug(t);
    token(t, "OK7b");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(true);
    pilot(t, "A");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(false);
  });

  it("TC_E_26_CS: EV-side disconnect without StopTxOnEVSideDisconnect (E10): suspended, resumed on replug without a new authorization", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/StopTxOnEVSideDisconnect": "false", "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false" });
    plug(t);
    token(t, "OK8");
    await advance(t, 1);
    await tes(t);
    pilot(t, "A");
    let l = await tes(t);
    expect(trig(l)).toEqual(["Updated/EVCommunicationLost/Idle"]);
    expect(evse(t).relayClosed).toBe(false);
    // E10.FR.01: the socket stays locked.
    expect(evse(t).locked[0]).toBe(true);
    pilot(t, "C");
    l = await tes(t);
    expect(trig(l)).toEqual(["Updated/CablePluggedIn/EVConnected", "Updated/ChargingStateChanged/Charging"]);
    expect(evse(t).relayClosed).toBe(true);
  });

  it("TC_E_27_CS: fixed cable, EV gone without StopTxOnEVSideDisconnect: the connector is Available, EVConnectionTimeOut deauthorizes (E10.FR.02): Ended, EVConnectTimeout, Timeout", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/StopTxOnEVSideDisconnect": "false", "OCPPCommCtrlr/UnlockOnEVSideDisconnect": "false", "TxCtrlr/EVConnectionTimeOut": "30" });
    // EVSE 2 has a fixed cable (cType2): its plug-in is the EV's.
    plug(t, 2);
    token(t, "OK27", 2);
    await advance(t, 1);
    await sent(t);
    unplug(t, 2);
    let calls = await sent(t);
    expect(trig(calls.filter((f) => f[2] === "TransactionEvent").map((f) => f[3] as TE))).toEqual(["Updated/EVCommunicationLost/Idle"]);
    // Step 3: the cable is free again while the transaction waits for the EV.
    expect(calls.filter((f) => f[2] === "StatusNotification").map((f) => (f[3] as { connectorStatus: string }).connectorStatus)).toEqual(["Available"]);
    await advance(t, 29);
    expect(await tes(t)).toEqual([]);
    await advance(t, 2);
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/EVConnectTimeout/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Timeout");
  });

  it("TC_E_26_CS with a fixed cable: the EV back within EVConnectionTimeOut resumes the transaction, the connector Occupied again", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/StopTxOnEVSideDisconnect": "false", "TxCtrlr/EVConnectionTimeOut": "30" });
    plug(t, 2);
    token(t, "OK28", 2);
    await advance(t, 1);
    await sent(t);
    unplug(t, 2);
    await sent(t);
    await advance(t, 10);
    plug(t, 2);
    const calls = await sent(t);
    expect(calls.filter((f) => f[2] === "StatusNotification").map((f) => (f[3] as { connectorStatus: string }).connectorStatus)).toEqual(["Occupied"]);
    expect(trig(calls.filter((f) => f[2] === "TransactionEvent").map((f) => f[3] as TE))[0]).toBe("Updated/CablePluggedIn/EVConnected");
    await advance(t, 40);
    expect((await tes(t)).filter((e) => e.eventType === "Ended")).toEqual([]);
  });

  it("TC_E_20_CS: TxStopPoint EVConnected, StopTxOnEVSideDisconnect false: the EV-side unplug ends it, EVDisconnected", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStopPoint": "EVConnected", "TxCtrlr/StopTxOnEVSideDisconnect": "false" });
    plug(t);
    token(t, "OK9");
    await tes(t);
    pilot(t, "A");
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/EVCommunicationLost/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("EVDisconnected");
  });

  it("unplug while charging (Config P): Ended, EVCommunicationLost, Idle, EVDisconnected; the connector is Available", async () => {
    const t = await txStation(runtime, PPC);
    plug(t);
    token(t, "OK10");
    await sent(t);
    unplug(t);
    const calls = await sent(t);
    const l = calls.filter((f) => f[2] === "TransactionEvent").map((f) => f[3] as TE);
    expect(trig(l)).toEqual(["Ended/EVCommunicationLost/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("EVDisconnected");
    expect(calls.filter((f) => f[2] === "StatusNotification").map((f) => (f[3] as { connectorStatus: string }).connectorStatus)).toEqual(["Available"]);
  });

  it("TC_E_39_CS / TC_E_05_CS: no cable within EVConnectionTimeOut ends the transaction (EVConnectTimeout, Timeout); the EVSE is usable again", async () => {
    const t = await txStation(runtime, { "TxCtrlr/TxStartPoint": "Authorized", "TxCtrlr/TxStopPoint": "Authorized", "TxCtrlr/EVConnectionTimeOut": "20" });
    token(t, "OK11");
    const started = await tes(t);
    expect(trig(started)).toEqual(["Started/Authorized/Idle"]);
    await advance(t, 19);
    expect(await tes(t)).toEqual([]);
    await advance(t, 1);
    const l = await tes(t);
    // chargingState goes with a change only (Idle already).
    expect(trig(l)).toEqual(["Ended/EVConnectTimeout/Idle"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Timeout");
    token(t, "OK11");
    const again = await tes(t);
    expect(trig(again)).toEqual(["Started/Authorized/Idle"]);
    expect(again[0].transactionInfo.transactionId).not.toBe(l[0].transactionInfo.transactionId);
    expect(again[0].seqNo).toBe(0);
  });

  it("C01.FR.26: an authorization without a transaction also ends after EVConnectionTimeOut: the later cable starts nothing", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/EVConnectionTimeOut": "10" });
    token(t, "OK12");
    await advance(t, 11);
    plug(t);
    expect(await tes(t)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
  });

  it("E07.FR.01b: another token of the same group stops (after asking the authorization); another group does not", async () => {
    const t = await txStation(runtime, PPC);
    plug(t);
    token(t, "GRP1");
    await tes(t);
    token(t, "OK13");
    expect(await tes(t)).toEqual([]);
    token(t, "GRP2");
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/StopAuthorized/EVConnected"]);
    expect(l[0].idToken?.idToken).toBe("GRP2");
  });

  it("E05.FR.10: an Invalid idTokenInfo in the TransactionEventResponse deauthorizes (StopTxOnInvalidId): Ended, Deauthorized, DeAuthorized; the cache is told", async () => {
    const t = await txStation(runtime, PPC);
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
    plug(t);
    token(t, "OK14");
    const l = await tes(t);
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/SuspendedEVSE", "Ended/Deauthorized/EVConnected"]);
    expect(l[1].transactionInfo.stoppedReason).toBe("DeAuthorized");
    expect(evse(t).relayClosed).toBe(false);
    expect(t.logs).toContain("tokenInfo OK14 Invalid");
    // E05.FR.11: the cable stays locked until the owner presents the card again.
    await advance(t, 2);
    expect(evse(t).locked[0]).toBe(true);
    token(t, "OK14");
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(false);
  });

  it("E05.FR.11 / F05: UnlockConnector lets a held cable go (no transaction runs on it); the owner's card then starts a new session", async () => {
    const t = await txStation(runtime, PPC);
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
    plug(t);
    token(t, "OK14u");
    await tes(t);
    expect(evse(t).locked[0]).toBe(true);
    t.csms.deliver(JSON.stringify([2, "u1", "UnlockConnector", { evseId: 1, connectorId: 1 }]));
    await advance(t, 1);
    expect(evse(t).locked[0]).toBe(false);
    t.teAnswer = ACCEPT;
    token(t, "OK14u");
    expect(trig(await tes(t))).toEqual(["Started/ChargingStateChanged/SuspendedEVSE"]);
  });

  it("E05.FR.02: with StopTxOnInvalidId false the transaction stays, energy stops: ChargingStateChanged SuspendedEVSE", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/StopTxOnInvalidId": "false" });
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Blocked" } } : {});
    plug(t);
    token(t, "OK15");
    const l = await tes(t);
    // The Started event's answer comes before the EV could draw: energy never flows, the EVSE holds it back.
    expect(trig(l)).toEqual(["Started/ChargingStateChanged/SuspendedEVSE"]);
    expect(evse(t).relayClosed).toBe(false);
    expect(evse(t).locked[0]).toBe(true);
  });

  it("E05.FR.03: MaxEnergyOnInvalidId: energy flows until the transaction has delivered that much", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/StopTxOnInvalidId": "false", "TxCtrlr/MaxEnergyOnInvalidId": "20" });
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
    plug(t);
    token(t, "OK16");
    await advance(t, 1);
    const [started] = await tes(t);
    // Counted from the transaction's start (the register in Started), not from the refusal.
    const from = started.meterValue![0].sampledValue[0].value;
    // About 3 Wh a second at 11 kW.
    let closedUntil = from;
    for (let i = 0; i < 20 && evse(t).relayClosed; i++) {
      closedUntil = evse(t).reading.energyWh;
      await advance(t, 1);
    }
    expect(evse(t).relayClosed).toBe(false);
    expect(closedUntil - from).toBeGreaterThanOrEqual(17);
    expect(evse(t).reading.energyWh - from).toBeLessThan(30);
    expect(trig(await tes(t)).at(-1)).toBe("Updated/ChargingStateChanged/SuspendedEVSE");
  });

  it("TC_C_45_CS / C16.FR.03: a master pass authorizes no transaction", async () => {
    const t = await txStation(runtime, { ...PPC, "AuthCtrlr/MasterPassGroupId": "POLICE" });
    token(t, "MASTER-1");
    plug(t);
    await advance(t, 5);
    expect(await tes(t)).toEqual([]);
    expect(evse(t).relayClosed).toBe(false);
  });

  it("TC_C_49_CS / C16.FR.02: a master pass (no UI) stops every ongoing transaction: StopAuthorized with its idToken, MasterPass", async () => {
    const t = await txStation(runtime, { ...PPC, "AuthCtrlr/MasterPassGroupId": "POLICE" });
    plug(t, 1);
    plug(t, 2);
    token(t, "OK45a", 1);
    token(t, "OK45b", 2);
    await advance(t, 2);
    await tes(t);
    token(t, "MASTER-1", 1);
    const l = await tes(t);
    expect(trig(l)).toEqual(["Ended/StopAuthorized/EVConnected", "Ended/StopAuthorized/EVConnected"]);
    for (const e of l) {
      expect(e.transactionInfo.stoppedReason).toBe("MasterPass");
      expect(e.idToken?.idToken).toBe("MASTER-1");
    }
    expect(evse(t, 1).relayClosed).toBe(false);
    // Without a MasterPassGroupId the same group is an ordinary one: the card starts and stops as any other.
    const u = await txStation(runtime, PPC);
    plug(u);
    token(u, "MASTER-2");
    expect(trig(await tes(u))).toEqual(["Started/ChargingStateChanged/SuspendedEVSE"]);
  });

  it("E05.FR.02: MaxEnergyOnInvalidId already delivered when the refusal comes (a late answer): energy stops at once", async () => {
    const t = await txStation(runtime, { ...PPC, "TxCtrlr/StopTxOnInvalidId": "false", "TxCtrlr/MaxEnergyOnInvalidId": "20", "OCPPCommCtrlr/MessageAttempts[TransactionEvent]": "3", "OCPPCommCtrlr/MessageAttemptInterval[TransactionEvent]": "5" });
    // The Started event goes unanswered: about 3 Wh a second flow meanwhile; its resend is refused.
    t.teAnswer = undefined;
    plug(t);
    token(t, "OK16b");
    await advance(t, 2);
    t.teAnswer = (te) => (te.idToken !== undefined ? { idTokenInfo: { status: "Invalid" } } : {});
    await tes(t);
    let s = 0;
    let resent = -1;
    while (evse(t).relayClosed && s < 60) {
      await advance(t, 1);
      s++;
      if (resent < 0 && (await tes(t)).some((e) => e.eventType === "Started")) resent = s;
    }
    // The resend after MessageTimeout (30) + interval (5) brings the refusal; 100 Wh and more have
    // flowed by then, so the energy stops in the same second (not 20 Wh later).
    expect(resent).toBeGreaterThanOrEqual(30);
    expect(s).toBe(resent);
  });

  it("E01.FR.14: two EVSEs run their own transactions with their own ids; the fixed cable of EVSE 2 is never locked, offered 16 A", async () => {
    const t = await txStation(runtime, PPC);
    plug(t, 1);
    plug(t, 2);
    token(t, "OK17", 1);
    token(t, "OK18", 2);
    const l = (await tes(t)).filter((e) => e.eventType === "Started");
    expect(l.map((e) => e.evse?.id)).toEqual([1, 2]);
    expect(l[0].transactionInfo.transactionId).not.toBe(l[1].transactionInfo.transactionId);
    expect(evse(t, 2).offerDa).toBe(160);
    expect(evse(t, 2).locked[0]).toBe(false);
  });
});
