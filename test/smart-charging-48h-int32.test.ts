// The 48-hour smart-charging scenario (test/sc-48h-scenario.ts) on lua5.3-int32: a file of its own, so
// the slower fengari runtime runs beside the others.
import { scenario48h } from "./sc-48h-scenario";

scenario48h(["lua5.3-int32"]);
