// The 48-hour smart-charging scenario (test/sc-48h-scenario.ts) on node, lua5.1, lua5.3.
import { scenario48h } from "./sc-48h-scenario";

scenario48h(["node", "lua5.1", "lua5.3"]);
