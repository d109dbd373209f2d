// ChangeAvailability (G03/G04), Reset (B11/B12) and UnlockConnector (F05) on every runtime, against
// the scripted CSMS. A transaction is simulated by the test-only block test/blocks/test-tx (a token "TX"
// at an EVSE starts one on its connector 1, "END" ends it; stopTx requests show in the logs): what
// these blocks see of a real one (connectors.ts "tx"), without the transactions block.

import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../build/cli";
import { ROOT } from "../build/compile";
import { RUNTIMES } from "../sim/runtimes/image";
import { bootAccepted, Frame, NOW_ISO, TestStation } from "./harness";

const NAME = "test-avail-reset";
const FILE = path.join(ROOT, "build", "out", `${NAME}.json`);

beforeAll(() => {
  const core = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "configs", "core.json"), "utf8"));
  // The smallest journal: the availability records see it compact (their dump) within a few dozen changes.
  const cfg = { ...core, $schema: undefined, name: NAME, blocks: [...core.blocks.filter((b: string) => b !== "transactions"), "../test/blocks/test-tx"], bounds: { ...core.bounds, journalBytes: 1024 } };
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  fs.writeFileSync(FILE, JSON.stringify(cfg));
  for (const t of ["lua5.1", "lua5.3"] as const) buildImage(FILE, t, undefined);
});

const boot = (runtime: (typeof RUNTIMES)[number]) => bootAccepted(runtime, { config: NAME, configFile: FILE });

/** "evse.connector:status" of the StatusNotifications among the frames. */
const statuses = (frames: Frame[]) =>
  frames
    .filter((f) => f[0] === 2 && f[2] === "StatusNotification")
    .map((f) => {
      const p = f[3] as { evseId: number; connectorId: number; connectorStatus: string };
      return `${p.evseId}.${p.connectorId}:${p.connectorStatus}`;
    });

/** Sends a CALL; returns the CALLRESULT payload (fails on a CALLERROR). */
function call(t: TestStation, action: string, payload: unknown): Record<string, unknown> {
  const r = t.csms.call(action, payload);
  expect(r[0], JSON.stringify(r)).toBe(3);
  return r[2] as Record<string, unknown>;
}

async function step(t: TestStation, seconds = 1): Promise<Frame[]> {
  t.board.advance(seconds);
  await t.settle();
  return t.csms.take();
}

async function token(t: TestStation, evseId: number, id: string): Promise<void> {
  t.board.presentToken(evseId, id);
  await t.settle();
}

function availabilityState(t: TestStation, component: Record<string, unknown>): string {
  const r = call(t, "GetVariables", { getVariableData: [{ component, variable: { name: "AvailabilityState" } }] });
  return (r.getVariableResult as { attributeValue: string }[])[0].attributeValue;
}

/** Power-cycles after the reboot the firmware asked for; returns the BootNotification, answered Accepted, and what followed. */
async function rebootAccepted(t: TestStation): Promise<{ reason: string; after: Frame[] }> {
  expect(t.board.rebootRequested).toBe(true);
  await t.board.powerCycle();
  await t.settle();
  const [bn] = t.csms.takeCalls();
  expect(bn[2]).toBe("BootNotification");
  t.csms.reply(bn, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
  await t.settle();
  return { reason: (bn[3] as { reason: string }).reason, after: [...t.csms.take(), ...(await step(t))] };
}

describe.each(RUNTIMES)("ChangeAvailability on %s", (runtime) => {
  it("TC_G_03_CS / TC_G_04_CS / TC_G_09_CS / TC_G_10_CS: an EVSE Inoperative, again, then Operative (G03.FR.03/04/06/07)", async () => {
    const t = await boot(runtime);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["1.1:Unavailable"]);
    expect(availabilityState(t, { name: "EVSE", evse: { id: 1 } })).toBe("Unavailable");
    expect(availabilityState(t, { name: "EVSE", evse: { id: 2 } })).toBe("Available");
    // TC_G_10: already Inoperative: Accepted, its statuses told again.
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["1.1:Unavailable"]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 1 } })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["1.1:Available"]);
    // TC_G_09: Operative already.
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2 } })).toEqual({ status: "Accepted" });
  });

  it("TC_G_05_CS / TC_G_06_CS / TC_G_12_CS / TC_G_13_CS: the station Inoperative, again, then Operative (G04)", async () => {
    const t = await boot(runtime);
    expect(availabilityState(t, { name: "ChargingStation" })).toBe("Available");
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative" })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["1.1:Unavailable", "2.1:Unavailable"]);
    expect(availabilityState(t, { name: "ChargingStation" })).toBe("Unavailable");
    // TC_G_13 step 3: Unavailable again for every connector, though nothing changed.
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative" })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["1.1:Unavailable", "2.1:Unavailable"]);
    // A cable plugged into an Unavailable connector changes nothing on the wire.
    t.board.plug(2);
    expect(statuses(await step(t))).toEqual([]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative" })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["1.1:Available", "2.1:Occupied"]);
    expect(availabilityState(t, { name: "ChargingStation" })).toBe("Available");
  });

  it("TC_G_07_CS / TC_G_08_CS / TC_G_15_CS / TC_G_16_CS: a connector, its state kept apart from its EVSE's (G03 NOTE 1)", async () => {
    const t = await boot(runtime);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["2.1:Unavailable"]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Accepted" });
    t.csms.take();
    // The EVSE Inoperative then Operative again: the connector stays Inoperative.
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2 } })).toEqual({ status: "Accepted" });
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2 } })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual([]);
    expect(availabilityState(t, { name: "Connector", evse: { id: 2, connectorId: 1 } })).toBe("Unavailable");
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Accepted" });
    expect(statuses(await step(t))).toEqual(["2.1:Available"]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Accepted" });
  });

  it("an EVSE or connector the station does not have is Rejected (G03.FR.02)", async () => {
    const t = await boot(runtime);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 3 } })).toEqual({ status: "Rejected" });
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1, connectorId: 2 } })).toEqual({ status: "Rejected" });
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 0, connectorId: 1 } })).toEqual({ status: "Rejected" });
    expect(statuses(await step(t))).toEqual([]);
  });

  it("TC_G_11_CS: an EVSE with a transaction is Scheduled, Unavailable the moment it ends, cable still in (G03.FR.05, G01.FR.05)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await token(t, 1, "TX");
    expect(statuses(await step(t))).toEqual(["1.1:Occupied"]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } })).toEqual({ status: "Scheduled" });
    expect(statuses(await step(t, 3))).toEqual([]);
    expect(availabilityState(t, { name: "EVSE", evse: { id: 1 } })).toBe("Occupied");
    await token(t, 1, "END");
    expect(statuses(t.csms.take())).toEqual(["1.1:Unavailable"]);
    t.board.unplug(1);
    expect(statuses(await step(t))).toEqual([]);
  });

  it("TC_G_14_CS: the station with a transaction on one EVSE: Scheduled, the idle EVSE Unavailable at once, the busy one after (G04.FR.06/07)", async () => {
    const t = await boot(runtime);
    await token(t, 1, "TX");
    expect(statuses(await step(t))).toEqual(["1.1:Occupied"]);
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative" })).toEqual({ status: "Scheduled" });
    expect(statuses(await step(t))).toEqual(["2.1:Unavailable"]);
    expect(availabilityState(t, { name: "ChargingStation" })).toBe("Available");
    await token(t, 1, "END");
    expect(statuses(t.csms.take())).toEqual(["1.1:Unavailable"]);
    expect(availabilityState(t, { name: "ChargingStation" })).toBe("Unavailable");
  });

  it("TC_G_17_CS: a connector with a transaction is Scheduled; Operative before the end cancels it", async () => {
    const t = await boot(runtime);
    await token(t, 2, "TX");
    t.csms.take();
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Scheduled" });
    expect(call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Accepted" });
    await token(t, 2, "END");
    expect(statuses(t.csms.take())).toEqual(["2.1:Available"]);
    await token(t, 2, "TX");
    t.csms.take();
    expect(call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } })).toEqual({ status: "Scheduled" });
    await token(t, 2, "END");
    expect(statuses(t.csms.take())).toEqual(["2.1:Unavailable"]);
  });

  it("TC_G_18_CS / TC_G_19_CS / TC_G_21_CS: EVSE, connector and station states survive a power cycle (G03.FR.08, G04.FR.09)", async () => {
    const t = await boot(runtime);
    call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } });
    call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } });
    await step(t);
    t.board.advance(1);
    await t.board.powerCycle();
    await t.settle();
    const [bn] = t.csms.takeCalls();
    t.csms.reply(bn, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    expect(statuses([...t.csms.take(), ...(await step(t))])).toEqual(["1.1:Unavailable", "2.1:Unavailable"]);
    // Operative again is kept too: the EVSE is Available after the next power cycle, the connector not.
    call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 1 } });
    call(t, "ChangeAvailability", { operationalStatus: "Inoperative" });
    await step(t);
    await t.board.powerCycle();
    await t.settle();
    const [bn2] = t.csms.takeCalls();
    t.csms.reply(bn2, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    expect(statuses([...t.csms.take(), ...(await step(t))])).toEqual(["1.1:Unavailable", "2.1:Unavailable"]);
    expect(availabilityState(t, { name: "ChargingStation" })).toBe("Unavailable");
    call(t, "ChangeAvailability", { operationalStatus: "Operative" });
    expect(statuses(await step(t))).toEqual(["1.1:Available"]);
  });

  it("the states survive the journal's compaction (the owner's dump) and a power cycle after it", async () => {
    const t = await boot(runtime);
    call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 1 } });
    for (let i = 0; i < 40; i++) {
      call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } });
      call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2, connectorId: 1 } });
    }
    call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } });
    await step(t);
    // The pointer counts compactions ("segment:generation").
    expect(Number(t.board.store.data.get("jp")?.split(":")[1])).toBeGreaterThan(0);
    await t.board.powerCycle();
    await t.settle();
    const [bn] = t.csms.takeCalls();
    t.csms.reply(bn, { status: "Accepted", interval: 300, currentTime: NOW_ISO });
    await t.settle();
    expect(statuses([...t.csms.take(), ...(await step(t))])).toEqual(["1.1:Unavailable", "2.1:Unavailable"]);
    call(t, "ChangeAvailability", { operationalStatus: "Operative", evse: { id: 2, connectorId: 1 } });
    expect(statuses(await step(t))).toEqual(["2.1:Available"]);
  });
});

describe.each(RUNTIMES)("Reset on %s", (runtime) => {
  it("TC_B_20_CS: OnIdle without a transaction: Accepted, reboot, BootNotification RemoteReset (B11.FR.03/04)", async () => {
    const t = await boot(runtime);
    expect(call(t, "Reset", { type: "OnIdle" })).toEqual({ status: "Accepted" });
    // The response goes out before the reboot.
    expect(t.board.rebootRequested).toBe(false);
    await step(t);
    const { reason, after } = await rebootAccepted(t);
    expect(reason).toBe("RemoteReset");
    expect(statuses(after)).toEqual(["1.1:Available", "2.1:Available"]);
  });

  it("TC_B_21_CS: OnIdle with a transaction: Scheduled, reboot as soon as it ended (cable still in), ScheduledReset (B12.FR.01/03)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await token(t, 1, "TX");
    t.csms.take();
    expect(call(t, "Reset", { type: "OnIdle" })).toEqual({ status: "Scheduled" });
    // B12 scenario 3a: the Available EVSE is made Unavailable while the reset waits; the busy one stays Occupied.
    expect(statuses(await step(t, 5))).toEqual(["2.1:Unavailable"]);
    // A cable plugged there meanwhile leaves it Unavailable (no Occupied, no new transaction).
    t.board.plug(2);
    expect(statuses(await step(t))).toEqual([]);
    expect(t.board.rebootRequested).toBe(false);
    // OnIdle ends nothing itself.
    expect(t.logs.filter((l) => l.startsWith("stopTx"))).toEqual([]);
    await token(t, 1, "END");
    await step(t);
    const { reason, after } = await rebootAccepted(t);
    expect(reason).toBe("ScheduledReset");
    expect(statuses(after)).toEqual(["1.1:Occupied", "2.1:Occupied"]);
  });

  it("OnIdle while a cable is held by its lock, no transaction: Scheduled until the lock opens (errata 2.14, B11 idle)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await lockClosed(t, 1, 1);
    expect(call(t, "Reset", { type: "OnIdle" })).toEqual({ status: "Scheduled" });
    await step(t, 3);
    expect(t.board.rebootRequested).toBe(false);
    // The lock opens (as the transactions block would open it when the EV side lets go).
    const e = t.board.evses[0];
    e.lockCommand[0] = false;
    e.locked[0] = false;
    t.board.feed("lock", "1\t1\t0");
    await step(t);
    const { reason } = await rebootAccepted(t);
    expect(reason).toBe("ScheduledReset");
  });

  it("TC_B_22_CS: Immediate with a transaction: Accepted, every transaction ended with ImmediateReset/ResetCommand, then RemoteReset (B12.FR.02/04)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await token(t, 1, "TX");
    t.csms.take();
    expect(call(t, "Reset", { type: "Immediate" })).toEqual({ status: "Accepted" });
    expect(t.logs.filter((l) => l.startsWith("stopTx"))).toEqual(["stopTx 0 ImmediateReset ResetCommand"]);
    await step(t);
    const { reason, after } = await rebootAccepted(t);
    expect(reason).toBe("RemoteReset");
    expect(statuses(after)).toEqual(["1.1:Occupied", "2.1:Available"]);
  });

  it("Immediate waits a bounded moment for the outbox (B12.FR.05): until the outstanding call is answered, at most MessageTimeout", async () => {
    const t = await boot(runtime);
    // A Heartbeat the CSMS does not answer keeps the outbox busy.
    t.csms.autoReply = { StatusNotification: {} };
    expect(call(t, "TriggerMessage", { requestedMessage: "Heartbeat" })).toEqual({ status: "Accepted" });
    const [hb] = t.csms.takeCalls();
    expect(hb[2]).toBe("Heartbeat");
    expect(call(t, "Reset", { type: "Immediate" })).toEqual({ status: "Accepted" });
    await step(t, 3);
    expect(t.board.rebootRequested).toBe(false);
    t.csms.reply(hb, { currentTime: NOW_ISO });
    await step(t);
    expect(t.board.rebootRequested).toBe(true);
    // Never answered: the reboot comes after MessageTimeout (30 s by default) all the same.
    const u = await boot(runtime);
    u.csms.autoReply = { StatusNotification: {} };
    call(u, "TriggerMessage", { requestedMessage: "Heartbeat" });
    call(u, "Reset", { type: "Immediate" });
    await step(u, 20);
    expect(u.board.rebootRequested).toBe(false);
    await step(u, 15);
    expect(u.board.rebootRequested).toBe(true);
  });

  it("TC_B_23_CS: an Unavailable connector stays so across the reset (B11.FR.02, B12.FR.06)", async () => {
    const t = await boot(runtime);
    call(t, "ChangeAvailability", { operationalStatus: "Inoperative", evse: { id: 2, connectorId: 1 } });
    await step(t);
    expect(call(t, "Reset", { type: "OnIdle" })).toEqual({ status: "Accepted" });
    await step(t);
    const { reason, after } = await rebootAccepted(t);
    expect(reason).toBe("RemoteReset");
    expect(statuses(after)).toEqual(["1.1:Available", "2.1:Unavailable"]);
  });

  it("TC_B_28_CS / TC_B_29_CS: a single EVSE cannot be reset: Rejected, with or without a transaction (B11.FR.09, B12.FR.09)", async () => {
    const t = await boot(runtime);
    expect(call(t, "Reset", { type: "OnIdle", evseId: 1 })).toEqual({ status: "Rejected" });
    await token(t, 1, "TX");
    expect(call(t, "Reset", { type: "OnIdle", evseId: 1 })).toEqual({ status: "Rejected" });
    expect(call(t, "Reset", { type: "Immediate", evseId: 1 })).toEqual({ status: "Rejected" });
    await step(t, 2);
    expect(t.board.rebootRequested).toBe(false);
    expect(t.logs.filter((l) => l.startsWith("stopTx"))).toEqual([]);
  });
});

/** Records the lock commands the image gives the board ("lock\t<evse>\t<connector>\t<0|1>"). */
function lockCommands(t: TestStation): string[] {
  const seen: string[] = [];
  const b = t.board as unknown as { effect: (line: string) => void };
  const effect = b.effect.bind(t.board);
  b.effect = (line: string) => {
    if (line.startsWith("lock\t")) seen.push(line);
    effect(line);
  };
  return seen;
}

/** The connector's lock closed, as a transaction would have left it: the board and the image's feedback agree. */
async function lockClosed(t: TestStation, evseId: number, connectorId: number): Promise<void> {
  const e = t.board.evses[evseId - 1];
  e.lockCommand[connectorId - 1] = true;
  e.locked[connectorId - 1] = true;
  t.board.feed("lock", `${evseId}\t${connectorId}\t1`);
  await t.settle();
}

/** Sends a CALL and waits up to `seconds` virtual seconds for its answer: when it came, and what. */
async function callLater(t: TestStation, action: string, payload: unknown, seconds: number): Promise<{ at: number; payload: unknown }> {
  const id = `later-${action}`;
  t.csms.deliver(JSON.stringify([2, id, action, payload]));
  for (let s = 0; ; s++) {
    await t.settle();
    const frames = t.csms.take();
    const a = frames.find((f) => (f[0] === 3 || f[0] === 4) && f[1] === id);
    if (a !== undefined) return { at: s, payload: a[0] === 3 ? a[2] : a };
    if (s >= seconds) throw new Error(`no answer to ${action} within ${seconds} s`);
    t.board.advance(1);
  }
}

describe.each(RUNTIMES)("UnlockConnector on %s", (runtime) => {
  it("TC_F_06_CS / TC_F_07_CS: no transaction: the unlock is commanded, with or without a cable, and Unlocked (F05.FR.04/06)", async () => {
    const t = await boot(runtime);
    const locks = lockCommands(t);
    t.board.plug(1);
    await t.settle();
    expect(call(t, "UnlockConnector", { evseId: 1, connectorId: 1 })).toEqual({ status: "Unlocked" });
    // F05.FR.06: no cable in EVSE 2, the lock is still told to open.
    expect(call(t, "UnlockConnector", { evseId: 2, connectorId: 1 })).toEqual({ status: "Unlocked" });
    expect(locks).toEqual(["lock\t1\t1\t0", "lock\t2\t1\t0"]);
  });

  it("UnlockFailed when the lock's feedback still says locked after 5 s: a stuck lock (F05.FR.05)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await lockClosed(t, 1, 1);
    t.board.setFaults(1, { lockStuck: true });
    const locks = lockCommands(t);
    const answer = await callLater(t, "UnlockConnector", { evseId: 1, connectorId: 1 }, 5);
    expect(answer.at).toBe(5);
    expect(answer.payload).toEqual({ status: "UnlockFailed" });
    expect(locks).toEqual(["lock\t1\t1\t0"]);
    expect(t.board.evses[0].locked[0]).toBe(true);
  });

  it("a closed lock that opens is Unlocked once its feedback says so, and CALLs wait for that answer (F05.FR.04, F06.FR.04)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await lockClosed(t, 1, 1);
    const answer = await callLater(t, "UnlockConnector", { evseId: 1, connectorId: 1 }, 5);
    // The board's feedback follows the command within the same second.
    expect(answer.at).toBe(0);
    expect(answer.payload).toEqual({ status: "Unlocked" });
    expect(t.board.evses[0].locked[0]).toBe(false);
  });

  it("TC_F_05_CS: a transaction runs on it: OngoingAuthorizedTransaction, lock and transaction untouched (F05.FR.02)", async () => {
    const t = await boot(runtime);
    t.board.plug(1);
    await token(t, 1, "TX");
    await lockClosed(t, 1, 1);
    const locks = lockCommands(t);
    expect(call(t, "UnlockConnector", { evseId: 1, connectorId: 1 })).toEqual({ status: "OngoingAuthorizedTransaction" });
    expect(locks).toEqual([]);
    expect(t.board.evses[0].locked[0]).toBe(true);
    expect(t.logs.filter((l) => l.startsWith("stopTx"))).toEqual([]);
  });

  it("TC_F_10_CS: an unknown connector or EVSE is UnknownConnector (F05.FR.03)", async () => {
    const t = await boot(runtime);
    const locks = lockCommands(t);
    expect(call(t, "UnlockConnector", { evseId: 1, connectorId: 999 })).toEqual({ status: "UnknownConnector" });
    expect(call(t, "UnlockConnector", { evseId: 3, connectorId: 1 })).toEqual({ status: "UnknownConnector" });
    expect(call(t, "UnlockConnector", { evseId: 0, connectorId: 1 })).toEqual({ status: "UnknownConnector" });
    expect(locks).toEqual([]);
  });
});
