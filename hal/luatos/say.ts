// The HAL's log levels (1 error, 2 warning, 3 info, 4 debug) onto LuatOS's log module, tag "ocpp".

import type { LuatOS } from "./luatos";

declare const log: LuatOS["log"];

function say(level: number, msg: string): void {
  if (level <= 1) log.error("ocpp", msg);
  else if (level === 2) log.warn("ocpp", msg);
  else if (level === 3) log.info("ocpp", msg);
  else log.debug("ocpp", msg);
}

export { say };
