// Test board: drives an image's Firmware table through every entry point with a HAL whose functions
// raise on demand, so a test can show that no entry point ever raises (firmware/entry.ts), with the
// same TypeScript on node and compiled to Lua on every VM.
//
// event("send,log") runs the whole sequence with hal.send and hal.log raising ("" none raises) and
// returns what the HAL saw, one line per piece; the last line is "done" when nothing escaped. The word
// "null" adds the frame `null` (the frame that raised in the decoder).

import type { Firmware } from "../../firmware/entry";
import type { Hal } from "../../hal/hal";

const GET_VARIABLES = "[2,\"g1\",\"GetVariables\",{\"getVariableData\":[{\"component\":{\"name\":\"OCPPCommCtrlr\"},\"variable\":{\"name\":\"HeartbeatInterval\"}}]}]";

/** Same name as hal/sim/board.ts, so the simulator's harness attaches it like the real board. */
export function simBoard(fw: Firmware): (line: string) => string[] {
  return (line: string) => {
    const out: string[] = [];
    const has = (name: string): boolean => {
      const [at] = string.find("," + line + ",", "," + name + ",", 1, true);
      return at !== undefined;
    };
    const check = (name: string): void => {
      if (has(name)) error("hal " + name + " raised");
    };
    const note = (s: string): void => {
      out[out.length] = s;
      out[out.length] = "\n";
    };
    let now = 0;
    const store: { [k: string]: string } = {};
    const hal: Hal = {
      connect: (url) => {
        check("connect");
        note("connect " + url);
      },
      send: (parts) => {
        check("send");
        note("send " + table.concat(parts));
      },
      disconnect: () => check("disconnect"),
      uptime: () => {
        check("uptime");
        return now;
      },
      rtcEpoch: () => {
        check("rtcEpoch");
        return 1795000000;
      },
      setRtcEpoch: () => check("setRtcEpoch"),
      random: () => {
        check("random");
        return 0;
      },
      load: (k) => {
        check("load");
        return store[k];
      },
      save: (k, v) => {
        check("save");
        store[k] = v;
      },
      erase: (k) => {
        check("erase");
        store[k] = undefined as unknown as string;
      },
      setRelay: () => check("setRelay"),
      readMeter: () => {
        check("readMeter");
        return { energyWh: 0, powerW: 0, currentDa: [0], voltageDv: [2300], socPercent: -1 };
      },
      relayClosed: () => {
        check("relayClosed");
        return false;
      },
      pilotState: () => {
        check("pilotState");
        return "A";
      },
      setPilotOffer: () => check("setPilotOffer"),
      lockState: () => {
        check("lockState");
        return false;
      },
      plugged: () => {
        check("plugged");
        return false;
      },
      append: (k, parts) => {
        check("append");
        const old = store[k];
        const v = table.concat(parts);
        store[k] = old !== undefined ? old + v : v;
        return true;
      },
      read: (k, off, len) => {
        check("read");
        const s = store[k];
        return s !== undefined ? string.sub(s, off + 1, off + len) : undefined;
      },
      size: (k) => {
        check("size");
        const s = store[k];
        return s !== undefined ? s.length : 0;
      },
      setLock: () => check("setLock"),
      reboot: () => check("reboot"),
      log: (_level, msg) => {
        check("log");
        note("log " + msg);
      },
    };
    const st = fw.start(hal);
    fw.provision(st, "Internal/CsmsUrl", "ws://csms.test/ocpp");
    fw.provision(st, "SecurityCtrlr/Identity", "CP1");
    now = 1;
    fw.tick(st);
    fw.opened(st);
    if (has("null")) fw.frame(st, "null");
    fw.frame(st, GET_VARIABLES);
    fw.input(st, "plug", 1, 1);
    now = 2;
    fw.tick(st);
    fw.closed(st);
    now = 3;
    fw.tick(st);
    note("done");
    return out;
  };
}
