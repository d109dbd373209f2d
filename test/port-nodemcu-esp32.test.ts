// The NodeMCU ESP32 port (hal/nodemcu-esp32/), on the VM of its firmware: lua5.3-f32 (Lua 5.3 with
// 32-bit integers and single floats), plus PUC lua5.3 where a difference would show.
// (1) Its pure parts, each module bundled alone and called in the VM: the pilot's duty (every offer
//     6..80 A read back by the simulated EV's IEC 61851 table) and its ADC states; the wall clock's split
//     for time.set, exact through single floats where the plain epoch is not; the uptime count; the
//     meter bus taking turns between two SDM630s answered by sim/boards/modbus-slave.ts.

import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, readBoardManifest, transpileEntry } from "../build/compile";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";
import { offerOfDuty } from "../sim/boards/hardware";
import { Sdm630Slave } from "../sim/boards/modbus-slave";

const GLOBALS = readBoardManifest(ROOT, "nodemcu-esp32").globals;
const VMS = ["lua5.3-f32", "lua5.3"] as const;

/** A VM holding one module of the port as its image (__sim_image), called through eval. */
function moduleVm(runtime: (typeof VMS)[number], file: string): LuaVm {
  const vm = createLuaVm(runtime);
  vm.loadImage(transpileEntry(path.join(ROOT, "hal/nodemcu-esp32", file), "lua5.3", undefined, GLOBALS), `=${file}`);
  return vm;
}

const opened: LuaVm[] = [];
afterAll(() => opened.forEach((vm) => vm.close()));
function open(runtime: (typeof VMS)[number], file: string): LuaVm {
  const vm = moduleVm(runtime, file);
  opened.push(vm);
  return vm;
}

describe.each(VMS)("pure parts on %s", (runtime) => {
  let pilot: LuaVm;
  let clock: LuaVm;
  let meters: LuaVm;
  beforeAll(() => {
    pilot = open(runtime, "pilot.ts");
    clock = open(runtime, "clock.ts");
    meters = open(runtime, "meters.ts");
  }, 120000);

  it("pilot duty: no PWM below 6 A, IEC 61851-1 Table A.7 above, as the EV reads it back", () => {
    const duties = pilot.eval("local d = {} for a = 0, 820 do d[#d + 1] = __sim_image.pilotDuty(a) end return table.concat(d, ',')").split(",").map(Number);
    for (let da = 0; da <= 820; da++) {
      const duty = duties[da];
      expect(Number.isInteger(duty)).toBe(true);
      if (da < 60) expect(duty, `${da} dA`).toBe(8192);
      else {
        const want = Math.min(da, 800);
        // The exact value rounded: a .5 cannot occur (odd denominators against even numerators).
        expect(duty, `${da} dA`).toBe(want <= 510 ? Math.round((want * 8192) / 600) : Math.round(((want + 1600) * 8192) / 2500));
        // Never more than offered; exact to 0.1 A but where Table A.7 itself jumps: 51..52.5 A gives a
        // duty below 85 %, which an EV reads with the first formula (50.7 A at 51.1 A).
        const back = offerOfDuty((duty / 8192) * 100);
        expect(back, `${da} dA read back`).toBeLessThanOrEqual(want + 1);
        if (want <= 510 || want > 525) expect(Math.abs(back - want), `${da} dA read back`).toBeLessThanOrEqual(1);
        else expect(back, `${da} dA read back`).toBeGreaterThanOrEqual(500);
      }
    }
  });

  it("pilot states from the ADC by the OEM's thresholds, highest first", () => {
    const states = pilot.eval("local l = {3500, 2800, 2000, 1200} local s = '' for _, r in ipairs({4095, 3500, 3499, 2800, 2000, 1999, 1200, 1199, 0}) do s = s .. __sim_image.pilotOfAdc(r, l) end return s");
    expect(states).toBe("AABBCDDEE");
  });

  it("time.set's arguments: a multiple of 128 s and the rest in µs, both exact through a single float", () => {
    const epochs = [1577836800, 1764723599, 1764723600 + 127, 1893456000 + 64, 2147483647, 1700000001];
    for (const e of epochs) {
      // What luaL_checknumber makes of each argument on this VM: the integer converted to a float and back.
      const [sec, usec, secF, usecF, plainF] = clock
        .eval(`local s, u = __sim_image.rtcSplit(${e}) return s .. ',' .. u .. ',' .. math.tointeger(s + 0.0) .. ',' .. math.tointeger(u + 0.0) .. ',' .. string.format('%.0f', ${e} + 0.0)`)
        .split(",")
        .map(Number);
      expect(sec % 128).toBe(0);
      expect(sec + usec / 1e6).toBe(e);
      expect(usec).toBeLessThan(128e6);
      expect(secF).toBe(sec);
      expect(usecF).toBe(usec);
      // The plain epoch would be rounded to 128 s on a single-float VM (not on a double one).
      if (runtime === "lua5.3-f32" && e % 128 !== 0) expect(plainF).not.toBe(e);
    }
  });

  it("uptime: integer seconds counted from the loop's interval, exact over a long run", () => {
    const out = clock.eval(
      "local c = __sim_image.clockNew() for i = 1, 400000 do __sim_image.clockAdvance(c, 250) end " +
        "local c2 = __sim_image.clockNew() for i = 1, 70 do __sim_image.clockAdvance(c2, 30) end " +
        "return c.secs .. ',' .. math.type(c.secs) .. ',' .. c.ms .. ',' .. c2.secs .. ',' .. c2.ms",
    );
    // 4e5 ticks of 250 ms: 1e5 s (27.8 hours), an integer; 70 ticks of 30 ms: 2 s and 100 ms.
    expect(out).toBe("100000,integer,0,2,100");
  });

  it("the meter bus: two SDM630s read in turn, one request on the line at a time, quiet between meters", () => {
    const slaves = [1, 2].map(
      (a) => new Sdm630Slave(a, () => ({ voltageV: [230 + a, 231, 232], currentA: [16 * a, 0, 0.5], powerW: 3680 * a, energyKwh: 12.345 * a, frequencyHz: 50 })),
    );
    meters.eval(
      "sent = {} bus = __sim_image.metersNew({periodMs = 1000}, {1, 2}, 'bus', function(_, bytes) sent[#sent + 1] = bytes end) return ''",
    );
    let ms = 0;
    let inFlight = false;
    let lastEnd = -1e9;
    let lastSlave = 0;
    const requests: number[] = [];
    for (let step = 0; step < 100; step++) {
      ms += 50;
      // The bus timer, then what it sent goes to the line; each slave answers its own address.
      const sent = meters.eval("__sim_image.metersTick(bus, 50) local s = table.concat(sent, '|') sent = {} return s");
      for (const hex of sent === "" ? [] : sent.split("|")) {
        const req = Buffer.from(hex, "latin1");
        expect(inFlight, `a request while one is unanswered at ${ms} ms`).toBe(false);
        if (req[0] !== lastSlave) expect(ms - lastEnd, "quiet between two meters").toBeGreaterThanOrEqual(50);
        lastSlave = req[0];
        requests.push(req[0]);
        for (const s of slaves) {
          const res = s.receive(req);
          if (res !== undefined) {
            inFlight = true;
            // The answer arrives split in two UART callbacks.
            const lua = (b: Buffer) => b.toString("latin1").replace(/[\\']/g, (c) => "\\" + c).replace(/[\x00-\x1f\x7f-\xff]/g, (c) => "\\" + c.charCodeAt(0));
            meters.eval(`__sim_image.metersFeed(bus, '${lua(res.subarray(0, 5))}') __sim_image.metersFeed(bus, '${lua(res.subarray(5))}') return ''`);
            inFlight = false;
            lastEnd = ms;
          }
        }
      }
    }
    // 5 s: five rounds, each meter's three blocks (V..A, W, Hz..kWh) per round, meter 1 first.
    expect(requests.length).toBeGreaterThanOrEqual(24);
    expect(requests.slice(0, 12)).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    const reading = (e: number) => meters.eval(`local r = __sim_image.metersReading(bus, ${e}) return r.energyWh .. ' ' .. r.powerW .. ' ' .. table.concat(r.currentDa, ',') .. ' ' .. table.concat(r.voltageDv, ',')`);
    expect(reading(1)).toBe("12345 3680 160,0,5 2310,2310,2320");
    expect(reading(2)).toBe("24690 7360 320,0,5 2320,2310,2320");
    expect(reading(3)).toBe("0 0 0,0,0 0,0,0");
  });
});
