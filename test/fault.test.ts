// Fault containment in the core: a block that throws is logged and answered InternalError; the
// station, its other blocks and the board's loop carry on (unit test on the TypeScript itself).

import { describe, expect, it } from "vitest";
import type { Hal } from "../hal/hal";
import { IDLE_EVSE } from "./idle-evse";
import { firmware, stationFrame, stationOpened, stationTick } from "../firmware/entry";
import type { Block, Image, Station } from "../firmware/station";

function fakeHal(now: { t: number }, sent: string[], logs: string[]): Hal {
  const store: Record<string, string> = {};
  return {
    connect: () => undefined,
    send: (parts) => sent.push(parts.join("")),
    disconnect: () => undefined,
    uptime: () => now.t,
    rtcEpoch: () => 1795000000,
    setRtcEpoch: () => undefined,
    random: () => 0,
    load: (k) => store[k],
    save: (k, v) => {
      store[k] = v;
    },
    erase: (k) => {
      delete store[k];
    },
    ...IDLE_EVSE,
    append: () => false,
    read: () => undefined,
    size: () => 0,
    reboot: () => undefined,
    log: (_level, msg) => logs.push(msg),
  };
}

describe("fault containment", () => {
  it("a throwing hook or handler does not stop the station", () => {
    const now = { t: 0 };
    const sent: string[] = [];
    const logs: string[] = [];
    let healthyTicks = 0;
    const faulty: Block = {
      name: "faulty",
      handlers: { Reset: () => { throw "boom in handler"; } },
      on: { tick: () => { throw "boom in tick"; } },
    };
    const healthy: Block = { name: "healthy", on: { tick: () => { healthyTicks++; } } };
    const img: Image = {
      identity: { vendorName: "V", model: "M" },
      evses: [1],
      bounds: { maxFrameBytes: 4096, maxJsonDepth: 8, callQueueLength: 4, journalBytes: 16384, authCacheEntries: 4, authCacheBytes: 512 },
      blocks: [faulty, healthy],
      schemas: {},
      model: { data: "\nOCPPCommCtrlr/MessageTimeout[Default]|RW|integer|s|||30" },
    };
    const st = firmware(img).start(fakeHal(now, sent, logs)) as Station;
    stationOpened(st);
    st.registration = "Accepted";
    for (let i = 0; i < 3; i++) {
      now.t++;
      stationTick(st);
    }
    expect(healthyTicks).toBe(3);
    expect(logs.filter((l) => l.includes("faulty on tick failed")).length).toBe(3);
    stationFrame(st, '[2,"r1","Reset",{"type":"Immediate"}]');
    expect(JSON.parse(sent[sent.length - 1])).toEqual([4, "r1", "InternalError", "handler failed", {}]);
    stationFrame(st, '[2,"r2","Nope",{}]');
    expect(JSON.parse(sent[sent.length - 1]).slice(0, 3)).toEqual([4, "r2", "NotImplemented"]);
  });
});
