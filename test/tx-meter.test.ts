// Meter values in transactions (J02, J01.FR.22, E06.FR.11) and firmware/meter.ts formatting, on
// every runtime. Part 6 test cases by id.

import { describe, expect, it } from "vitest";
import { RUNTIMES } from "../sim/runtimes/image";
import { advance, evse, meter, plug, sent, tes, token, txStation, TE } from "./tx-harness";

const PPC = { "TxCtrlr/TxStartPoint": "PowerPathClosed", "TxCtrlr/TxStopPoint": "EVConnected,Authorized" };
const ALL = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC";
const epoch = (iso: string) => Date.parse(iso) / 1000;

describe.each(RUNTIMES)("meter values in transactions on %s", (runtime) => {
  it("TC_J_07_CS: Started carries Transaction.Begin with every TxStartedMeasurands entry, every phase, decimals exact, SoC at the EV", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxStartedMeasurands": ALL });
    plug(t);
    meter(t, 123456, 11000, [161, 160, 159], [2304, 2299, 2310], 42);
    token(t, "OK40");
    const [s] = await tes(t);
    expect(s.eventType).toBe("Started");
    const sv = s.meterValue![0].sampledValue;
    expect(sv.map((v) => [v.measurand, v.phase ?? "", v.value, v.unitOfMeasure?.unit, v.location ?? ""])).toEqual([
      ["Energy.Active.Import.Register", "", 123456, "Wh", ""],
      ["Power.Active.Import", "", 11000, "W", ""],
      ["Current.Import", "L1", 16.1, "A", ""],
      ["Current.Import", "L2", 16, "A", ""],
      ["Current.Import", "L3", 15.9, "A", ""],
      ["Voltage", "L1-N", 230.4, "V", ""],
      ["Voltage", "L2-N", 229.9, "V", ""],
      ["Voltage", "L3-N", 231, "V", ""],
      ["SoC", "", 42, "Percent", "EV"],
    ]);
    for (const v of sv) expect(v.context).toBe("Transaction.Begin");
    // The decimals on the wire are exactly the tenths (no float noise on any VM).
    expect(JSON.stringify(s.meterValue)).toContain('"value":16.1');
  });

  it("TC_J_09_CS: every TxUpdatedInterval an Updated, MeterValuePeriodic, Sample.Periodic, TxUpdatedMeasurands", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxUpdatedInterval": "10", "SampledDataCtrlr/TxUpdatedMeasurands": "Energy.Active.Import.Register,Power.Active.Import" });
    plug(t);
    token(t, "OK41");
    await tes(t);
    await advance(t, 31);
    const l = (await tes(t)).filter((e) => e.triggerReason === "MeterValuePeriodic");
    expect(l).toHaveLength(3);
    const times = l.map((e) => epoch(e.timestamp));
    expect([times[1] - times[0], times[2] - times[1]]).toEqual([10, 10]);
    for (const e of l) {
      expect(e.eventType).toBe("Updated");
      expect(e.meterValue![0].sampledValue.map((v) => `${v.measurand}:${v.context}`)).toEqual(["Energy.Active.Import.Register:Sample.Periodic", "Power.Active.Import:Sample.Periodic"]);
    }
  });

  it("TC_J_10_CS: Ended carries the TxEndedInterval samples (Sample.Periodic, TxEndedInterval apart) and one Transaction.End", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxEndedInterval": "10", "SampledDataCtrlr/TxUpdatedInterval": "0", "AlignedDataCtrlr/TxEndedMeasurands": "" });
    plug(t);
    token(t, "OK42");
    await advance(t, 35);
    token(t, "OK42");
    const [e] = (await tes(t)).filter((x) => x.eventType === "Ended");
    const mv = e.meterValue!;
    expect(mv.map((m) => m.sampledValue[0].context)).toEqual(["Sample.Periodic", "Sample.Periodic", "Sample.Periodic", "Sample.Periodic", "Transaction.End"]);
    const values = mv.map((m) => m.sampledValue[0].value);
    // J02.FR.16/17: the register as read, never rebased, increasing while the EV charges.
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(evse(t).reading.energyWh);
    expect(values[3]).toBeGreaterThan(values[0]);
    const times = mv.slice(0, 4).map((m) => epoch(m.timestamp));
    expect(times.slice(1).map((x, i) => x - times[i])).toEqual([10, 10, 10]);
  });

  it("E06.FR.11: TxEndedInterval 0: Ended carries the values taken at the start (Transaction.Begin) and at the end", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxEndedInterval": "0", "SampledDataCtrlr/TxUpdatedInterval": "0", "AlignedDataCtrlr/TxEndedMeasurands": "" });
    plug(t);
    token(t, "OK42b");
    const [s] = await tes(t);
    await advance(t, 30);
    token(t, "OK42b");
    const [e] = (await tes(t)).filter((x) => x.eventType === "Ended");
    const mv = e.meterValue!;
    expect(mv.map((m) => m.sampledValue[0].context)).toEqual(["Transaction.Begin", "Transaction.End"]);
    expect(epoch(mv[0].timestamp)).toBe(epoch(s.timestamp));
    expect(mv[1].sampledValue[0].value).toBeGreaterThan(mv[0].sampledValue[0].value);
  });

  it("J02.FR.20: the samples kept for Ended are bounded; the first stays, intermediate ones go", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxEndedInterval": "1", "SampledDataCtrlr/TxUpdatedInterval": "0" });
    plug(t);
    token(t, "OK43");
    const [s] = await tes(t);
    await advance(t, 40);
    token(t, "OK43");
    const [e] = (await tes(t)).filter((x) => x.eventType === "Ended");
    const mv = e.meterValue!;
    expect(mv).toHaveLength(13);
    expect(mv[0].sampledValue[0].value).toBe(s.meterValue![0].sampledValue[0].value);
    expect(epoch(mv[0].timestamp)).toBe(epoch(s.timestamp));
    // The latest samples are the ones kept, a second apart, up to the end.
    const times = mv.slice(1, 12).map((m) => epoch(m.timestamp));
    expect(times.slice(1).map((x, i) => x - times[i])).toEqual(Array(10).fill(1));
    expect(epoch(mv[12].timestamp) - times[10]).toBeLessThanOrEqual(1);
    expect(mv[12].sampledValue[0].context).toBe("Transaction.End");
  });

  it("TC_J_02_CS: clock-aligned values of an EVSE in a transaction go in Updated, MeterValueClock, Sample.Clock, on the interval's boundaries", async () => {
    const t = await txStation(runtime, { ...PPC, "AlignedDataCtrlr/Interval": "30", "SampledDataCtrlr/TxUpdatedInterval": "0" });
    plug(t);
    token(t, "OK44");
    await tes(t);
    await advance(t, 95);
    const l = (await tes(t)).filter((e) => e.triggerReason === "MeterValueClock");
    expect(l.length).toBeGreaterThanOrEqual(3);
    for (const e of l) {
      expect(epoch(e.meterValue![0].timestamp) % 30).toBe(0);
      expect(e.meterValue![0].sampledValue[0].context).toBe("Sample.Clock");
    }
  });

  it("TC_J_03_CS: AlignedDataCtrlr.TxEndedInterval samples in Ended, Sample.Clock, aligned; no Transaction.End without TxEndedMeasurands", async () => {
    const t = await txStation(runtime, { ...PPC, "AlignedDataCtrlr/TxEndedInterval": "20", "SampledDataCtrlr/TxEndedMeasurands": "", "SampledDataCtrlr/TxUpdatedInterval": "0" });
    plug(t);
    token(t, "OK45");
    await tes(t);
    await advance(t, 65);
    token(t, "OK45");
    const [e] = (await tes(t)).filter((x: TE) => x.eventType === "Ended");
    const mv = e.meterValue!;
    expect(mv.length).toBeGreaterThanOrEqual(3);
    for (const m of mv) {
      expect(m.sampledValue[0].context).toBe("Sample.Clock");
      expect(epoch(m.timestamp) % 20).toBe(0);
    }
  });

  it("two EVSEs due in the same second: one meter-value event a tick, the other a tick later, each on its own interval; clock-aligned ones keep the boundary", async () => {
    const t = await txStation(runtime, { ...PPC, "SampledDataCtrlr/TxUpdatedInterval": "10", "AlignedDataCtrlr/Interval": "30" });
    plug(t, 1);
    plug(t, 2);
    token(t, "OK41", 1);
    token(t, "OK42", 2);
    await tes(t);
    const frames: { at: number; te: TE }[] = [];
    for (let s = 0; s < 65; s++) {
      await advance(t, 1);
      for (const te of await tes(t)) frames.push({ at: t.board.uptime, te });
    }
    const metered = frames.filter((f) => f.te.triggerReason === "MeterValuePeriodic" || f.te.triggerReason === "MeterValueClock");
    // Never two in one tick.
    const ticks = metered.map((f) => f.at);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (const id of [frames[0].te.transactionInfo.transactionId, frames.find((f) => f.te.transactionInfo.transactionId !== frames[0].te.transactionInfo.transactionId)!.te.transactionInfo.transactionId]) {
      const mine = metered.filter((f) => f.te.transactionInfo.transactionId === id);
      const periodic = mine.filter((f) => f.te.triggerReason === "MeterValuePeriodic").map((f) => epoch(f.te.timestamp));
      expect(periodic.length).toBeGreaterThanOrEqual(5);
      for (let i = 1; i < periodic.length; i++) expect(periodic[i] - periodic[i - 1]).toBeGreaterThanOrEqual(10);
      for (let i = 1; i < periodic.length; i++) expect(periodic[i] - periodic[i - 1]).toBeLessThanOrEqual(11);
      const clock = mine.filter((f) => f.te.triggerReason === "MeterValueClock").map((f) => epoch(f.te.meterValue![0].timestamp));
      expect(clock.length).toBeGreaterThanOrEqual(2);
      for (const x of clock) expect(x % 30).toBe(0);
    }
  });

  it("TC_J_01_CS: idle EVSEs send clock-aligned MeterValues every AlignedDataCtrlr.Interval, Sample.Clock, on the boundaries, one per EVSE", async () => {
    const t = await txStation(runtime, { "AlignedDataCtrlr/Interval": "30", "AlignedDataCtrlr/Measurands": "Energy.Active.Import.Register,Voltage" });
    await advance(t, 95);
    const mv = (await sent(t, "MeterValues")).map((f) => f[3] as { evseId: number; meterValue: TE["meterValue"] });
    expect(mv.length).toBeGreaterThanOrEqual(6);
    const byEvse = [1, 2].map((e) => mv.filter((m) => m.evseId === e).map((m) => epoch(m.meterValue![0].timestamp)));
    for (const times of byEvse) {
      expect(times.length).toBeGreaterThanOrEqual(3);
      for (const x of times) expect(x % 30).toBe(0);
      expect(times.slice(1).map((x, i) => x - times[i])).toEqual(Array(times.length - 1).fill(30));
    }
    expect(byEvse[0]).toEqual(byEvse[1]);
    const sv = mv[0].meterValue![0].sampledValue;
    expect(sv.map((v) => `${v.measurand}:${v.context}:${v.phase ?? ""}`)).toEqual([
      "Energy.Active.Import.Register:Sample.Clock:", "Voltage:Sample.Clock:L1-N", "Voltage:Sample.Clock:L2-N", "Voltage:Sample.Clock:L3-N",
    ]);
  });
});
