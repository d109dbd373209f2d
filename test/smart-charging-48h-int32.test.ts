// The 48-hour smart-charging scenario (test/sc-48h-scenario.ts) on lua5.3-int32.
import { scenario48h } from "./sc-48h-scenario";

// fengari runs Lua about ten times slower than the wasm VMs: 12 virtual hours (a Weekly period boundary, 48 EMS
// changes, the power cut at hour 6) keep CI within its time.
scenario48h(["lua5.3-int32"], 12);
