// The OCPP-J connection (Part 4 §3, §5.3): URL, Basic auth, reconnect with randomized back-off.

import { modelGet, modelInt } from "./model";
import { Station } from "./station";

/**
 * A board that reports neither open nor close for this long has lost the attempt (a TCP connect or
 * TLS handshake hanging on a half-dead network): it is abandoned and the back-off goes on.
 */
const CONNECT_TIMEOUT_S = 60;

// RFC 3986 unreserved characters pass; everything else in the identity is percent-encoded (Part 4 §3.1.1).
function percentEncode(s: string): string {
  const out: string[] = [];
  for (let i = 1; i <= s.length; i++) {
    const c = string.byte(s, i) as number;
    const plain = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126;
    out[out.length] = plain ? string.char(c) : string.format("%%%02X", c);
  }
  return table.concat(out);
}

/** Asks the board to open the WebSocket to CSMS URL + "/" + identity, subprotocol ocpp2.0.1. */
function connect(st: Station): void {
  const url = modelGet(st, "Internal/CsmsUrl");
  const id = modelGet(st, "SecurityCtrlr/Identity");
  if (url === undefined || id === undefined || url === "" || id === "") {
    st.hal.log(1, "no CSMS URL or identity provisioned");
    return;
  }
  const pw = modelGet(st, "SecurityCtrlr/BasicAuthPassword");
  // Security profile 1 (Part 4 §6.3): HTTP Basic auth with the identity as user name.
  const auth = pw !== undefined && pw !== "" ? id + ":" + pw : undefined;
  const sep = string.byte(url, url.length) === 47 ? "" : "/";
  st.connecting = true;
  st.connectingSince = st.hal.uptime();
  st.hal.connect(url + sep + percentEncode(id), "ocpp2.0.1", auth, modelInt(st, "OCPPCommCtrlr/WebSocketPingInterval"));
}

/**
 * Part 4 §5.3: the first retry waits RetryBackOffWaitMinimum plus up to RetryBackOffRandomRange;
 * each failed attempt doubles the wait, at most RetryBackOffRepeatTimes times.
 */
function scheduleReconnect(st: Station): void {
  let wait = modelInt(st, "OCPPCommCtrlr/RetryBackOffWaitMinimum");
  const doublings = math.min(st.retries, modelInt(st, "OCPPCommCtrlr/RetryBackOffRepeatTimes"));
  // Doubling stops past a day: 3600 s doubled 20 times would wrap a 32-bit integer.
  for (let i = 0; i < doublings && wait < 86400; i++) wait = wait * 2;
  const range = modelInt(st, "OCPPCommCtrlr/RetryBackOffRandomRange");
  if (range > 0) wait = wait + st.hal.random(range + 1);
  st.retries = st.retries + 1;
  st.reconnectAt = st.hal.uptime() + wait;
}

export function connectionTick(st: Station): void {
  const now = st.hal.uptime();
  if (st.connecting && now - st.connectingSince >= CONNECT_TIMEOUT_S) {
    st.hal.log(2, "connection attempt timed out");
    st.connecting = false;
    st.hal.disconnect();
    scheduleReconnect(st);
  }
  if (!st.online && !st.connecting && now >= st.reconnectAt) connect(st);
}

export { connect, scheduleReconnect };
