// Integer-exact arithmetic on every runtime, the single-float one (lua5.3-f32, like NodeMCU ESP32)
// included: epoch seconds exceed 2^24, so a float quotient such as math.floor(epoch / 86400) is wrong
// there in the last minute of a day. firmware/arith.ts, firmware/time.ts and json.ts fmtNum through
// test/images/arith-probe.ts.

import { beforeAll, describe, expect, it } from "vitest";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { loadProbes, Probe } from "./probe";

let probes: Partial<Record<RuntimeName, Probe>> = {};

beforeAll(async () => {
  probes = await loadProbes("arith-probe", () => import("./images/arith-probe"));
}, 120000);

const run = (runtime: RuntimeName, cmd: string, args: (string | number)[]) => probes[runtime]!(`${cmd} ${args.join(",")}`).split(",");
const iso = (epoch: number) => new Date(epoch * 1000).toISOString().replace(".000Z", "Z");

// Seeded, so a failure reproduces.
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
}

const DAY = 86400;
const MAX = 2147483647;
// The last second, the last minute (where the float quotient rounds up to the next day) and the first
// second of days spread over 1970..2038, with the example and the 32-bit ends.
const EPOCHS: number[] = [0, 1, 59, 1795046336, 1795046399, 1795046400, MAX - 1, MAX];
for (let day = 1; day <= 24855; day += 97) for (const k of [-128, -65, -64, -60, -1, 0, 1]) EPOCHS.push(day * DAY + k);
for (const y of [2000, 2024, 2026, 2037]) for (const [m, d] of [[2, 29], [3, 1], [12, 31]]) {
  const t = Date.UTC(y, m - 1, d) / 1000;
  if (new Date(t * 1000).getUTCDate() === d) EPOCHS.push(t - 1, t, t + DAY - 1);
}
const rnd = seeded(20261118);
for (let i = 0; i < 300; i++) EPOCHS.push(rnd(MAX));

describe.each(RUNTIMES)("integer-exact time and division on %s", (runtime) => {
  it("isoTime(1795046336) is 2026-11-18T23:58:56Z, not the next day with negative seconds", () => {
    expect(run(runtime, "iso", [1795046336])).toEqual(["2026-11-18T23:58:56Z"]);
  });

  it("isoTime is right in the last minute of days over 1970..2038, at midnights, leap days and seeded random epochs", () => {
    expect(run(runtime, "iso", EPOCHS)).toEqual(EPOCHS.map(iso));
  });

  it("parseIsoTime reads back every isoTime, with offsets and fractions applied", () => {
    expect(run(runtime, "parse", EPOCHS.map(iso))).toEqual(EPOCHS.map(String));
    const cases: [string, number][] = [
      ["2026-11-18T23:58:56.999Z", 1795046336],
      ["2026-11-19T01:58:56+02:00", 1795046336],
      ["2026-11-18T20:28:56-03:30", 1795046336],
      ["2026-11-18t23:58:56z", 1795046336],
      ["2038-01-18T23:59:59-03:14", MAX - 8],
      // No zone: read as UTC (a CSMS's answer the validator let through).
      ["2026-11-18T23:58:56", 1795046336],
    ];
    expect(run(runtime, "parse", cases.map((c) => c[0]))).toEqual(cases.map((c) => String(c[1])));
  });

  it("parseIsoTime refuses what is not 32-bit epoch seconds, before a sum could wrap", () => {
    const refused = [
      "2038-01-19T03:14:08Z", // 2^31
      "2038-01-18T23:59:59-03:15", // 2^31 + 52 only through the offset
      "2038-01-20T00:00:00Z",
      "2099-12-31T23:59:59Z",
      "1969-12-31T23:59:59Z",
      "1970-01-01T00:59:59+01:00", // -1
      "2026-02-29T00:00:00Z", // no such day
      "2026-11-18 23:58:56Z",
      "2026-11-18T23:58:56.Z",
      "2026-11-18T23:58:56Zx",
    ];
    expect(run(runtime, "parse", refused)).toEqual(refused.map(() => "nil"));
    expect(run(runtime, "parse", ["2038-01-19T03:14:07Z", "1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00"])).toEqual([String(MAX), "0", "0"]);
  });

  it("idiv and imod are floor division and its remainder, exact up to 32-bit operands", () => {
    const pairs: [number, number][] = [];
    for (const b of [2, 3, 7, 60, 400, 3600, DAY, 146097, 16777215, 16777217, 1 << 29]) {
      for (const a of [0, 1, -1, b - 1, b, -b, 16777217, -16777217, 1795046336, -1795046336, MAX, -MAX - 1, MAX - 1, 2147483520]) pairs.push([a, b]);
      for (let i = 0; i < 10; i++) pairs.push([rnd(MAX) - rnd(MAX), b]);
    }
    const args = pairs.map(([a, b]) => `${a}:${b}`);
    expect(run(runtime, "idiv", args)).toEqual(pairs.map(([a, b]) => String(Math.floor(a / b))));
    expect(run(runtime, "imod", args)).toEqual(pairs.map(([a, b]) => String(a - Math.floor(a / b) * b)));
  });

  it("fmtNum prints integers without a point, and on the single-float VM floats that read back as themselves", () => {
    const same = ["0", "-5", "16777217", "2147483647", "-2147483648", "2147483648", "4294967296", "0.1", "0.5", "230.1", "12345.678", "-12499.875"];
    expect(run(runtime, "num", same)).toEqual(same);
    expect(run(runtime, "num", ["1e-7"]).map(Number)).toEqual([1e-7]);
    const floats: number[] = [1 / 3, 2 / 3, Math.PI, 1e-5, 123456.789];
    for (let i = 0; i < 100; i++) floats.push((rnd(2000000) - 1000000) / (1 + rnd(997)));
    const out = run(runtime, "num", floats.map(String));
    out.forEach((s, i) => {
      expect(s).not.toMatch(/\.0$|e\+/);
      if (runtime === "lua5.3-f32") {
        // The shortest of 7, 8 or 9 digits (NodeMCU's tostring has 7) that is the same float32 again.
        expect(Math.fround(Number(s))).toBe(Math.fround(floats[i]));
        expect(s.replace(/^-|e.*$/g, "").replace(/^0\.0*/, "").replace(".", "").length).toBeLessThanOrEqual(9);
      } else {
        expect(Math.abs(Number(s) - floats[i])).toBeLessThanOrEqual(Math.abs(floats[i]) * 1e-13);
      }
    });
  });
});
