// Test image: the Firmware table (firmware/entry.ts) of a build whose only block raises in every hook
// and handler, for the entry-point guard tests on every runtime.

import { firmware } from "../../firmware/entry";
import type { Block } from "../../firmware/station";

const raise = (what: string) => (): never => error("block " + what + " raised");

const faulty: Block = {
  name: "faulty",
  handlers: { GetVariables: raise("handler") },
  on: { start: raise("start hook"), connected: raise("connected hook"), tick: raise("tick hook"), plug: raise("plug hook"), disconnected: raise("disconnected hook") },
};

const fw = firmware({
  identity: { vendorName: "V", model: "M" },
  evses: [1],
  bounds: { maxFrameBytes: 4096, maxJsonDepth: 8, callQueueLength: 4, journalBytes: 16384, authCacheEntries: 4, authCacheBytes: 512 },
  blocks: [faulty],
  schemas: {},
  model: { data: "\nSecurityCtrlr/Identity|RWPBI|string||1|48||" },
});

export const start = fw.start;
export const provision = fw.provision;
export const opened = fw.opened;
export const closed = fw.closed;
export const frame = fw.frame;
export const tick = fw.tick;
export const input = fw.input;
