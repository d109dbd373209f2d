// A test image (test/images/<name>.ts, a line-protocol `event(line)`) on every runtime: node runs its
// TypeScript, the Lua runtimes its bundle, so one fixture table checks every VM.

import * as path from "node:path";
import { ROOT, transpileEntry } from "../build/compile";
import { RUNTIMES, RuntimeName } from "../sim/runtimes/image";
import { createLuaVm, LuaVm } from "../sim/runtimes/lua-vm";

export type Probe = (line: string) => string;

/** The image's event entry per runtime; node's from load() (the module, imported by the caller). The Lua VMs go into vms when given. */
export async function loadProbes(name: string, load: () => Promise<unknown>, vms?: Partial<Record<RuntimeName, LuaVm>>): Promise<Partial<Record<RuntimeName, Probe>>> {
  const entry = path.join(ROOT, "test/images", `${name}.ts`);
  const src = { "lua5.1": transpileEntry(entry, "lua5.1"), "lua5.3": transpileEntry(entry, "lua5.3") };
  const probes: Partial<Record<RuntimeName, Probe>> = {};
  for (const r of RUNTIMES) {
    if (r === "node") {
      probes[r] = ((await load()) as { event: Probe }).event;
    } else {
      const vm = createLuaVm(r);
      vm.loadImage(src[r === "lua5.1" ? "lua5.1" : "lua5.3"], `=${name}`);
      if (vms !== undefined) vms[r] = vm;
      probes[r] = (line) => vm.event(line);
    }
  }
  return probes;
}
