// Transactions (E01–E10): start and stop points, triggerReason, chargingState, seqNo and the fields
// sent once, driven by the simulated board on every runtime. Part 6 test cases by id.

import { beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { buildTxImage, evse, meter, pilot, plug, sent, tes, token, txStation, unplug, advance, TE } from "./tx-harness";

beforeAll(() => buildTxImage());

const PPC = { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const trig = (l: TE[]) => l.map((e) => `${e.eventType}/${e.triggerReason}/${e.transactionInfo.chargingState ?? "-"}`);

describe.each(RUNTIMES)("transactions on %s", (runtime) => {
  it("TC_E_03_CS / TC_E_15_CS: cable first, local start and stop with the same token (TxStartPoint PowerPathClosed)", async () => {
    const t = await txStation(runtime, PPC);
    meter(t, 1000, 0, [0, 0, 0], [2301, 2302, 2303]);
    plug(t);
    const first = await sent(t);
    // E02: the plug-in alone is reported as Occupied; PowerPathClosed needs the authorization too.
    expect(first.map((f) => f[2])).toEqual(["StatusNotification"]);
    expect((first[0][3] as { connectorStatus: string }).connectorStatus).toBe("Occupied");
    token(t, "OK1");
    let l = await tes(t);
    // E01.FR.05: Started on authorization; the relay closes after it, reported in an event of its own (E03.FR.12).
    expect(trig(l)).toEqual(["Started/Authorized/SuspendedEVSE", "Updated/ChargingStateChanged/SuspendedEV"]);
    const s = l[0];
    expect(s.seqNo).toBe(0);
    expect(l[1].seqNo).toBe(1);
    expect(s.idToken).toEqual({ idToken: "OK1", type: "ISO14443" });
    expect(l[1].idToken).toBeUndefined();
    expect(s.evse).toEqual({ id: 1, connectorId: 1 });
    expect(l[1].evse).toBeUndefined();
    expect(s.offline).toBeUndefined();
    // E01.FR.09: Transaction.Begin sample of TxStartedMeasurands (default: the energy register).
    expect(s.meterValue![0].sampledValue).toEqual([{ value: 1000, context: "Transaction.Begin", measurand: "Energy.Active.Import.Register", unitOfMeasure: { unit: "Wh" } }]);
    expect(s.transactionInfo.transactionId.length).toBeLessThanOrEqual(36);
    expect(evse(t).relayClosed).toBe(true);
    expect(evse(t).offerDa).toBe(320);
    // A socket is locked while the transaction runs.
    expect(evse(t).locked[0]).toBe(true);
    meter(t, 1100, 7000, [100, 100, 100], [2300, 2300, 2300]);
    pilot(t, "C");
    l = await tes(t);
    expect(trig(l)).toEqual(["Updated/ChargingStateChanged/Charging"]);
    // E02.FR.18: the phases in use when energy flows.
    expect(l[0].numberOfPhasesUsed).toBe(3);
    expect(l[0].seqNo).toBe(2);
    meter(t, 2500, 7000, [100, 100, 100], [2300, 2300, 2300]);
    token(t, "ok1");
    l = await tes(t);
    // TC_E_15_CS: one Ended, StopAuthorized, Local, with the stopping token (E07.FR.02); tokens compare case-insensitively.
    expect(trig(l)).toEqual(["Ended/StopAuthorized/EVConnected"]);
    expect(l[0].transactionInfo.stoppedReason).toBe("Local");
    expect(l[0].idToken?.idToken).toBe("ok1");
    expect(l[0].seqNo).toBe(3);
    expect(l[0].transactionInfo.transactionId).toBe(s.transactionInfo.transactionId);
    expect(l[0].meterValue!.at(-1)!.sampledValue[0]).toMatchObject({ value: 2500, context: "Transaction.End" });
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
});
