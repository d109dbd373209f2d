// The authorization block (profiles/authorization) on every runtime, driven by a test-only block
// (test/images/auth-driver.ts) in place of the transactions block: a token at a reader becomes an
// `authorize` request, and each `authorized` answer is logged for the test to read. The full Part 6
// C flows need the transactions block; these tests check the part each TC asks of authorization.

import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../build/cli";
import { ROOT, transpileEntry } from "../build/compile";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { escField } from "../sim/board";
import { bootAccepted, Frame, NOW_ISO, TestStation } from "./harness";

const NAME = "test-auth";
const FILE = path.join(ROOT, "build", "out", `${NAME}.json`);
const ENTRIES = 3;
const BYTES = 160;
const IMAGE = (t: string) => path.join(ROOT, "build", "out", NAME, t, "ocpp-auth.lua");

beforeAll(() => {
  const core = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "configs", "core.json"), "utf8"));
  // The driver stands in for the transactions block (it turns tokens into authorize requests): not both.
  const blocks = (core.blocks as string[]).filter((b) => b !== "transactions");
  const cfg = { ...core, $schema: undefined, name: NAME, blocks, bounds: { ...core.bounds, authCacheEntries: ENTRIES, authCacheBytes: BYTES } };
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  fs.writeFileSync(FILE, JSON.stringify(cfg));
  for (const t of ["lua5.1", "lua5.3"] as const) buildImage(FILE, t, undefined);
  // The build's generated image plus the driver block (node imports this file; Lua runs its bundle).
  const gen = path.join(ROOT, "build", "gen", NAME, "image.ts");
  const src = fs.readFileSync(gen, "utf8");
  if (!src.includes("authDriver")) {
    const patched = src
      .replace(`import { SCHEMAS }`, `import { authDriver } from "../../../test/images/auth-driver";\nimport { SCHEMAS }`)
      .replace(/blocks: \[([^\]]*)\]/, "blocks: [$1, authDriver]");
    fs.writeFileSync(gen, patched);
  }
  for (const t of ["lua5.1", "lua5.3"] as const) fs.writeFileSync(IMAGE(t), transpileEntry(gen, t), "latin1");
}, 240000);

const start = (runtime: RuntimeName) =>
  bootAccepted(runtime, { config: NAME, configFile: FILE, imageFile: runtime === "node" ? undefined : IMAGE(runtime === "lua5.1" ? "lua5.1" : "lua5.3") });

interface Answer {
  ref: number;
  evse: number;
  token: string;
  info: { status: string; groupIdToken?: { idToken: string; type: string }; evseId?: number[] };
}

/** The `authorized` answers logged since the last call (consumed). */
function answers(t: TestStation): Answer[] {
  const out: Answer[] = [];
  const rest: string[] = [];
  for (const l of t.logs) {
    const m = /^AUTHORIZED (\d+) (\d+) (\S*) (.*)$/.exec(l);
    if (m) out.push({ ref: Number(m[1]), evse: Number(m[2]), token: m[3], info: JSON.parse(m[4]) });
    else rest.push(l);
  }
  t.logs.length = 0;
  t.logs.push(...rest);
  return out;
}

async function present(t: TestStation, token: string, evse = 1, type = "ISO14443"): Promise<void> {
  t.board.feed("token", `${evse}\t${type}\t${escField(token)}`);
  await t.settle();
}

function authorizeCalls(t: TestStation): Frame[] {
  return t.csms.takeCalls().filter((c) => c[2] === "Authorize");
}

async function set(t: TestStation, component: string, variable: string, value: string): Promise<void> {
  const r = t.csms.call("SetVariables", { setVariableData: [{ component: { name: component }, variable: { name: variable }, attributeValue: value }] });
  expect((r[2] as { setVariableResult: { attributeStatus: string }[] }).setVariableResult[0].attributeStatus).toBe("Accepted");
  await t.settle();
}

async function get(t: TestStation, component: string, variable: string): Promise<string> {
  const r = t.csms.call("GetVariables", { getVariableData: [{ component: { name: component }, variable: { name: variable } }] });
  return (r[2] as { getVariableResult: { attributeValue: string }[] }).getVariableResult[0].attributeValue;
}

/** Presents a token that goes to the CSMS and answers its Authorize with idTokenInfo. */
async function authorizeOnline(t: TestStation, token: string, info: object, evse = 1): Promise<Answer> {
  await present(t, token, evse);
  const calls = authorizeCalls(t);
  expect(calls.length).toBe(1);
  expect(calls[0][3]).toEqual({ idToken: { idToken: token, type: "ISO14443" } });
  t.csms.reply(calls[0], { idTokenInfo: info });
  await t.settle();
  const a = answers(t);
  expect(a.length).toBe(1);
  return a[0];
}

/** Presents a token expected to be decided without the CSMS, at once. */
async function authorizeLocal(t: TestStation, token: string, evse = 1, type = "ISO14443"): Promise<Answer> {
  await present(t, token, evse, type);
  expect(authorizeCalls(t)).toEqual([]);
  const a = answers(t);
  expect(a.length).toBe(1);
  return a[0];
}

async function goOffline(t: TestStation): Promise<void> {
  t.csms.reachable = false;
  t.csms.drop();
  await t.settle();
}

describe.each(RUNTIMES)("authorization on %s", (runtime) => {
  it("TC_C_02/06/07/56 C01: the CSMS's status comes back as given, with the request's ref and EVSE", async () => {
    const t = await start(runtime);
    for (const status of ["Invalid", "Blocked", "Expired", "Unknown", "Accepted"]) {
      const a = await authorizeOnline(t, `tok-${status}`, { status }, 2);
      expect(a.info.status).toBe(status);
      expect(a.evse).toBe(2);
      expect(a.token).toBe(`tok-${status}`);
    }
  });

  it("TC_C_39 C09: the groupIdToken is reported (also a MasterPassGroupId group, C16: the caller compares it)", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "MasterPassGroupId", "POLICE");
    const a = await authorizeOnline(t, "t1", { status: "Accepted", groupIdToken: { idToken: "POLICE", type: "Central" } });
    expect(a.info).toEqual({ status: "Accepted", groupIdToken: { idToken: "POLICE", type: "Central" } });
  });

  it("C01.FR.21: a token the CSMS limits to other EVSEs is not accepted at this one", async () => {
    const t = await start(runtime);
    const a = await authorizeOnline(t, "t1", { status: "Accepted", evseId: [2] }, 1);
    expect(a.info.status).toBe("NotAllowedTypeEVSE");
    const b = await authorizeOnline(t, "t2", { status: "Accepted", evseId: [2] }, 2);
    expect(b.info.status).toBe("Accepted");
  });

  it("TC_C_08/C_13 C12.FR.02: with LocalPreAuthorize a cached Accepted is answered at once, no Authorize", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "t1", { status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
    // Case-insensitive identifiers (IdTokenType): the same card read in lower case.
    const a = await authorizeLocal(t, "T1");
    expect(a.info).toEqual({ status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
  });

  it("TC_E_52_CS C01.FR.05: with DisableRemoteAuthorization no Authorize goes out: a token the cache does not know is Unknown, a cached Accepted one is taken", async () => {
    const t = await start(runtime);
    await authorizeOnline(t, "t1", { status: "Accepted" });
    await set(t, "AuthCtrlr", "DisableRemoteAuthorization", "true");
    expect((await authorizeLocal(t, "stranger")).info.status).toBe("Unknown");
    expect((await authorizeLocal(t, "t1")).info.status).toBe("Accepted");
  });

  it("TC_C_36: without LocalPreAuthorize a cached Accepted is still asked", async () => {
    const t = await start(runtime);
    await authorizeOnline(t, "t1", { status: "Accepted" });
    const a = await authorizeOnline(t, "t1", { status: "Invalid" });
    expect(a.info.status).toBe("Invalid");
  });

  it("TC_C_41 E07.FR.01(b), C09.FR.07: to end an authorization a valid cached token (its group with it) is answered at once, without LocalPreAuthorize; an unknown one is asked (C09.FR.05)", async () => {
    const t = await start(runtime);
    await authorizeOnline(t, "t1", { status: "Accepted", groupIdToken: { idToken: "FLEET", type: "Central" } });
    const a = await authorizeLocal(t, "STOP|t1");
    expect(a.token).toBe("t1");
    expect(a.info).toEqual({ status: "Accepted", groupIdToken: { idToken: "FLEET", type: "Central" } });
    await present(t, "STOP|t2");
    expect(authorizeCalls(t).map((c) => c[3])).toEqual([{ idToken: { idToken: "t2", type: "ISO14443" } }]);
    // Offline too, whatever LocalAuthorizeOffline says (it is about starting); t2's Authorize is decided as offline.
    await set(t, "AuthCtrlr", "LocalAuthorizeOffline", "false");
    await goOffline(t);
    answers(t);
    expect((await authorizeLocal(t, "STOP|t1")).info.status).toBe("Accepted");
    expect((await authorizeLocal(t, "t1")).info.status).toBe("Unknown");
  });

  it("TC_C_09/C_12 C10.FR.03, C12.FR.05: a cached refusal is asked again; an Accepted answer updates the cache", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "t1", { status: "Invalid" });
    const a = await authorizeOnline(t, "t1", { status: "Accepted" });
    expect(a.info.status).toBe("Accepted");
    expect((await authorizeLocal(t, "t1")).info.status).toBe("Accepted");
  });

  it("TC_C_57: with AuthCacheCtrlr.DisablePostAuthorize a cached refusal is answered without Authorize", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await set(t, "AuthCacheCtrlr", "DisablePostAuthorize", "true");
    await authorizeOnline(t, "t1", { status: "Blocked" });
    expect((await authorizeLocal(t, "t1")).info.status).toBe("Blocked");
  });

  it("TC_C_38 C10.FR.11, C11.FR.04: with the cache disabled nothing is cached and ClearCache is Rejected", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await set(t, "AuthCacheCtrlr", "Enabled", "false");
    await authorizeOnline(t, "t1", { status: "Accepted" });
    await authorizeOnline(t, "t1", { status: "Accepted" });
    expect(t.csms.call("ClearCache", {})[2]).toEqual({ status: "Rejected" });
  });

  it("TC_C_37 C11.FR.03: ClearCache Accepted empties the cache", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "t1", { status: "Accepted" });
    expect(Number(await get(t, "AuthCacheCtrlr", "Storage"))).toBeGreaterThan(0);
    expect(t.csms.call("ClearCache", {})[2]).toEqual({ status: "Accepted" });
    expect(await get(t, "AuthCacheCtrlr", "Storage")).toBe("0");
    await authorizeOnline(t, "t1", { status: "Accepted" });
  });

  it("TC_C_46 C10.FR.10 (errata): an entry expires LifeTime seconds after its last idTokenInfo update", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await set(t, "AuthCacheCtrlr", "LifeTime", "60");
    await authorizeOnline(t, "t1", { status: "Accepted" });
    t.board.advance(40);
    await t.settle();
    await authorizeLocal(t, "t1"); // a use does not extend it: only an update does
    t.board.advance(21);
    await t.settle();
    await authorizeOnline(t, "t1", { status: "Accepted" });
    t.board.advance(59);
    await t.settle();
    expect((await authorizeLocal(t, "t1")).info.status).toBe("Accepted");
  });

  it("C10.FR.13 (errata): cacheExpiryDateTime in the past is not stored; a future one expires the entry then", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    // The station's clock was set from the boot answer's currentTime (ClockCtrlr.TimeSource Heartbeat).
    const now = Date.parse(NOW_ISO) / 1000;
    const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");
    const a = await authorizeOnline(t, "prepaid", { status: "Accepted", cacheExpiryDateTime: iso(now - 10) });
    expect(a.info.status).toBe("Accepted");
    await authorizeOnline(t, "prepaid", { status: "Accepted", cacheExpiryDateTime: iso(now + 30) });
    expect((await authorizeLocal(t, "prepaid")).info.status).toBe("Accepted");
    t.board.advance(35);
    await t.settle();
    await authorizeOnline(t, "prepaid", { status: "Accepted" });
  });

  it("C10.FR.07: a full cache (entries) evicts refusals first, then the least recently used; FIFO evicts the oldest", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await set(t, "AuthCacheCtrlr", "DisablePostAuthorize", "true");
    await authorizeOnline(t, "a", { status: "Accepted" });
    await authorizeOnline(t, "b", { status: "Accepted" });
    await authorizeOnline(t, "x", { status: "Invalid" });
    await authorizeOnline(t, "c", { status: "Accepted" }); // evicts x (refused) although a is older
    await authorizeLocal(t, "a"); // a used: b is now least recently used
    await authorizeOnline(t, "d", { status: "Accepted" }); // evicts b
    await authorizeLocal(t, "a");
    await authorizeLocal(t, "c");
    await authorizeLocal(t, "d");
    await authorizeOnline(t, "b", { status: "Accepted" }); // evicts a: a, c, d were used in that order
    await authorizeOnline(t, "x", { status: "Accepted" }); // evicts c: left d, b, x
    await set(t, "AuthCacheCtrlr", "Policy", "FIFO");
    // Under FIFO a use moves nothing: d, inserted first, goes first although b was used after it.
    await authorizeLocal(t, "d");
    await authorizeOnline(t, "e", { status: "Accepted" }); // FIFO: evicts d
    await authorizeLocal(t, "b");
    await authorizeLocal(t, "x");
    await authorizeLocal(t, "e");
    await authorizeOnline(t, "d", { status: "Accepted" });
  });

  it("C10.FR.07: the cache stays within bounds.authCacheBytes, AuthCacheCtrlr.Storage reports it", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "a", { status: "Accepted" });
    await authorizeOnline(t, "b", { status: "Accepted" });
    const small = Number(await get(t, "AuthCacheCtrlr", "Storage"));
    const long = "G".repeat(36);
    await authorizeOnline(t, "c".repeat(36), { status: "Accepted", groupIdToken: { idToken: long, type: "Central" } });
    const used = Number(await get(t, "AuthCacheCtrlr", "Storage"));
    expect(used).toBeLessThanOrEqual(BYTES);
    // Its maxLimit is the bound (the generated device-model record: key|flags|type|unit|min|max|...).
    expect(fs.readFileSync(path.join(ROOT, "build", "gen", NAME, "model.ts"), "utf8")).toContain(`AuthCacheCtrlr/Storage|RD|integer|B|0|${BYTES}|`);
    expect(used).toBeGreaterThan(small);
    // Two entries only, under the entry bound: bytes made a evict (the least recently used).
    await authorizeLocal(t, "b");
    await authorizeLocal(t, "c".repeat(36));
    await authorizeOnline(t, "a", { status: "Accepted" });
    const r = t.csms.call("GetVariables", { getVariableData: [{ component: { name: "AuthCacheCtrlr" }, variable: { name: "Storage" }, attributeType: "Actual" }] });
    expect((r[2] as { getVariableResult: { attributeStatus: string }[] }).getVariableResult[0].attributeStatus).toBe("Accepted");
  });

  it("offline: LocalAuthorizeOffline decides with cached Accepted entries; cached refusals stand; unknown ids are Unknown", async () => {
    const t = await start(runtime);
    await authorizeOnline(t, "good", { status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
    await authorizeOnline(t, "bad", { status: "Blocked" });
    await goOffline(t);
    expect((await authorizeLocal(t, "good")).info).toEqual({ status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
    expect((await authorizeLocal(t, "bad")).info.status).toBe("Blocked");
    expect((await authorizeLocal(t, "stranger")).info.status).toBe("Unknown");
    t.csms.reachable = true;
    t.board.advance(120);
    await t.settle();
    await set(t, "AuthCtrlr", "LocalAuthorizeOffline", "false");
    await goOffline(t);
    expect((await authorizeLocal(t, "good")).info.status).toBe("Unknown");
  });

  it("TC_C_26 C15.FR.08, C15.FR.01: offline, OfflineTxForUnknownIdEnabled accepts an unknown id and does not cache it", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "OfflineTxForUnknownIdEnabled", "true");
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "bad", { status: "Invalid" });
    await goOffline(t);
    expect((await authorizeLocal(t, "stranger")).info.status).toBe("Accepted");
    // C13.FR.04: known but not Accepted is no unknown id.
    expect((await authorizeLocal(t, "bad")).info.status).toBe("Invalid");
    t.csms.reachable = true;
    t.board.advance(120);
    await t.settle();
    expect(t.csms.open).toBe(true);
    await authorizeOnline(t, "stranger", { status: "Invalid" });
  });

  it("an Authorize without answer (MessageTimeout) is decided by the offline rules", async () => {
    const t = await start(runtime);
    await authorizeOnline(t, "good", { status: "Accepted" });
    await present(t, "good");
    expect(authorizeCalls(t).length).toBe(1);
    t.board.advance(29);
    await t.settle();
    expect(answers(t)).toEqual([]);
    t.board.advance(2);
    await t.settle();
    const a = answers(t);
    expect(a.map((x) => x.info.status)).toEqual(["Accepted"]);
    await present(t, "stranger");
    expect(authorizeCalls(t).length).toBe(1);
    t.board.advance(31);
    await t.settle();
    expect(answers(t).map((x) => x.info.status)).toEqual(["Unknown"]);
  });

  it("a connection lost while Authorize is outstanding is decided offline at once", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "OfflineTxForUnknownIdEnabled", "true");
    await present(t, "stranger");
    expect(authorizeCalls(t).length).toBe(1);
    await goOffline(t);
    expect(answers(t).map((x) => x.info.status)).toEqual(["Accepted"]);
  });

  it("TC_C_33/C_34 C10.FR.05, C12.FR.06: idTokenInfo from a TransactionEventResponse updates the cache", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "t1", { status: "Accepted" });
    await present(t, "TI|t1|Invalid");
    expect(answers(t)).toEqual([]);
    await authorizeOnline(t, "t1", { status: "Invalid" });
    // A token the cache did not know is added (C10.FR.01), with its group.
    await present(t, "TI|t2|Accepted|G");
    expect((await authorizeLocal(t, "t2")).info).toEqual({ status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
  });

  it("C01.FR.01, C02, C03.FR.01: AuthCtrlr.Enabled false, NoAuthorization and Central tokens are Accepted without Authorize, and not cached", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    expect((await authorizeLocal(t, "", 1, "NoAuthorization")).info).toEqual({ status: "Accepted" });
    expect((await authorizeLocal(t, "remote-1", 1, "Central")).info).toEqual({ status: "Accepted" });
    await present(t, "TI|remote-1|Accepted", 1, "Central");
    expect(await get(t, "AuthCacheCtrlr", "Storage")).toBe("0");
    await set(t, "AuthCtrlr", "Enabled", "false");
    expect((await authorizeLocal(t, "anyone")).info).toEqual({ status: "Accepted" });
  });

  const journalPersists = !fs.readFileSync(path.join(ROOT, "firmware", "journal.ts"), "utf8").includes("PLACEHOLDER");
  it.skipIf(!journalPersists)("TC_C_32 C10.FR.02: the cache survives a power cycle (journal)", async () => {
    const t = await start(runtime);
    await set(t, "AuthCtrlr", "LocalPreAuthorize", "true");
    await authorizeOnline(t, "t1", { status: "Accepted" });
    await authorizeOnline(t, "t2", { status: "Accepted" });
    expect(t.csms.call("ClearCache", {})[2]).toEqual({ status: "Accepted" });
    await authorizeOnline(t, "t3", { status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
    await t.board.powerCycle();
    await t.settle();
    const [boot] = t.csms.takeCalls();
    t.csms.reply(boot, { status: "Accepted", interval: 300, currentTime: "2026-11-24T10:00:00Z" });
    await t.settle();
    t.csms.take();
    t.logs.length = 0;
    expect((await authorizeLocal(t, "t3")).info).toEqual({ status: "Accepted", groupIdToken: { idToken: "G", type: "Central" } });
    await authorizeOnline(t, "t1", { status: "Accepted" });
  });
});
