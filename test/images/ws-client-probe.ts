// Test image: hal/lib/ws-client.ts (a WebSocket client session) and hal/lib/websocket.ts (its frame
// codec) behind the line protocol, so the same scripted scenarios run on every runtime. Bytes travel as
// lower-case hex.
// "N<url>\t<protocols, comma-separated>\t<header lines, |-separated>\t<maxMessage>\t<maxResponse>\t
//   <fragment>\t<pingS>\t<pongS>\t<openS>\t<closeS>\t<utf8 0|1>": a new session -> "OK" / "ERR"
// "S<uptime>": wsStart; "D<hex>": wsData; "L": wsLost; "T<uptime>": wsTick;
// "M<0 text|1 binary>\t<part hex>\t<part hex>…": wsSend -> "OK"/"NO" first; "X<code>\t<reason hex>": wsClose;
// "R<seed>": the random source reseeded;
// "H<input hex>\t<digest hex>": the SHA-1 digest of that input, as the test computed it (node:crypto);
//   it replaces the one registered before.
//   The session's sha1 hook answers only what the test registered (20 zero bytes otherwise), so the
//   Accept check is the library's own: it must hash exactly key + GUID for the answer to match.
// "G<fin 0|1>\t<opcode>\t<key hex, empty: unmasked>\t<part hex>…": wsFrame -> "bytes <hex>".
// "F<maxLen>\t<hex>": wsParse over the bytes, frame after frame -> "frame <fin 0|1> <rsv> <opcode>
//   <masked 0|1> <payload hex>" each, then "rest <bytes left>" or "toolong".
// Every answer of a session command then lists what the session did, a line each: "send <hex>.<hex>…"
// (one write, its parts apart), "shut", "open <protocol>", "msg <0|1 binary> <hex>",
// "closed <code> <reason hex>"; and last "state <n> <bytes held>".

import { WsClient, wsClient, wsClose, wsData, wsHeld, wsLost, wsSend, wsStart, wsTick, WsHooks } from "../../hal/lib/ws-client";
import { wsFrame, wsParse } from "../../hal/lib/websocket";
import { idiv } from "../../firmware/arith";
import { fields, hex, unhex } from "./probe-text";

const out: string[] = [];
let seed = 1;
let client: WsClient<string> | undefined;
let digests: { [input: string]: string } = {};

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 with padding (RFC 4648): the board's encoder in a real port. */
function base64(s: string): string {
  const parts: string[] = [];
  for (let i = 1; i <= s.length; i += 3) {
    const a = string.byte(s, i) as number;
    const b = string.byte(s, i + 1);
    const c = string.byte(s, i + 2);
    const n = a * 65536 + (b !== undefined ? b : 0) * 256 + (c !== undefined ? c : 0);
    const d0 = idiv(n, 262144);
    const d1 = idiv(n - d0 * 262144, 4096);
    const d2 = idiv(n - d0 * 262144 - d1 * 4096, 64);
    const d3 = n - d0 * 262144 - d1 * 4096 - d2 * 64;
    parts[parts.length] = string.sub(B64, d0 + 1, d0 + 1) + string.sub(B64, d1 + 1, d1 + 1);
    parts[parts.length] = b !== undefined ? string.sub(B64, d2 + 1, d2 + 1) : "=";
    parts[parts.length] = c !== undefined ? string.sub(B64, d3 + 1, d3 + 1) : "=";
  }
  return table.concat(parts);
}

const hooks: WsHooks<string> = {
  write: (_ctx: string, parts: string[]) => {
    const h: string[] = [];
    for (let i = 0; i < parts.length; i++) h[h.length] = hex(parts[i]);
    out[out.length] = "send " + table.concat(h, ".");
  },
  shut: (_ctx: string) => {
    out[out.length] = "shut";
  },
  opened: (_ctx: string, protocol: string) => {
    out[out.length] = "open " + protocol;
  },
  message: (_ctx: string, data: string, binary: boolean) => {
    out[out.length] = "msg " + (binary ? "1 " : "0 ") + hex(data);
  },
  closed: (_ctx: string, code: number, reason: string) => {
    out[out.length] = "closed " + string.format("%d", code) + " " + hex(reason);
  },
  random: (_ctx: string, n: number) => {
    // nonneg: seed and n are positive.
    seed = (seed * 75 + 74) % 65537;
    // nonneg: as above.
    return seed % n;
  },
  sha1: (_ctx: string, s: string) => {
    const d = rawget(digests, s);
    return d !== undefined ? d : string.rep(string.char(0), 20);
  },
  base64: (_ctx: string, s: string) => base64(s),
};

/** s split at sep (plain); "" gives no items. */
function split(s: string, sep: string): string[] {
  const items: string[] = [];
  if (s === "") return items;
  let start = 1;
  for (;;) {
    const [at] = string.find(s, sep, start, true);
    if (at === undefined) break;
    items[items.length] = string.sub(s, start, at - 1);
    start = at + 1;
  }
  items[items.length] = string.sub(s, start);
  return items;
}

function num(s: string): number {
  return tonumber(s) as number;
}

/** The codec's commands (no session). */
function codec(op: string, rest: string): string {
  if (op === "G") {
    const f = fields(rest, 1000);
    const parts: string[] = [];
    for (let i = 3; i < f.length; i++) parts[parts.length] = unhex(f[i]);
    return "bytes " + hex(table.concat(wsFrame(f[0] === "1", num(f[1]), parts, unhex(f[2]))));
  }
  const f = fields(rest, 2);
  const s = unhex(f[1]);
  const lines: string[] = [];
  let at = 1;
  for (;;) {
    const [fr, size] = wsParse(s, at, num(f[0]));
    if (size < 0) {
      lines[lines.length] = "toolong";
      break;
    }
    if (fr === undefined) {
      lines[lines.length] = "rest " + string.format("%d", s.length - at + 1);
      break;
    }
    lines[lines.length] = "frame " + (fr.fin ? "1 " : "0 ") + string.format("%d %d ", fr.rsv, fr.opcode) + (fr.masked ? "1 " : "0 ") + hex(fr.payload);
    at = at + size;
  }
  return table.concat(lines, "\n");
}

export function event(line: string): string {
  const op = string.sub(line, 1, 1);
  const rest = string.sub(line, 2);
  if (op === "G" || op === "F") return codec(op, rest);
  let head = "";
  if (op === "N") {
    const f = fields(rest, 11);
    client = wsClient<string>(f[0], {
      protocols: split(f[1], ","), headers: split(f[2], "|"), maxMessage: num(f[3]), maxResponse: num(f[4]), fragment: num(f[5]),
      pingS: num(f[6]), pongS: num(f[7]), openS: num(f[8]), closeS: num(f[9]), utf8: f[10] === "1",
    }, "probe", hooks);
    head = client !== undefined ? "OK" : "ERR";
  } else if (op === "R") seed = num(rest);
  else if (op === "H") {
    const f = fields(rest, 2);
    // Only the latest: a test running many sessions keeps one.
    digests = {};
    digests[unhex(f[0])] = unhex(f[1]);
  } else if (client !== undefined) {
    const c = client;
    if (op === "S") wsStart(c, num(rest));
    else if (op === "D") wsData(c, unhex(rest));
    else if (op === "L") wsLost(c);
    else if (op === "T") wsTick(c, num(rest));
    else if (op === "M") {
      const f = fields(rest, 1000);
      const parts: string[] = [];
      for (let i = 1; i < f.length; i++) parts[parts.length] = unhex(f[i]);
      head = wsSend(c, parts, f[0] === "1") ? "OK" : "NO";
    } else if (op === "X") {
      const f = fields(rest, 2);
      wsClose(c, num(f[0]), unhex(f[1]));
    }
  }
  if (client !== undefined) out[out.length] = "state " + string.format("%d %d", client.state, wsHeld(client));
  const r = (head !== "" ? head + "\n" : "") + table.concat(out, "\n");
  for (let i = out.length; i >= 1; i--) table.remove(out);
  return r;
}
