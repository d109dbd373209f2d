// The simulator's HAL: a thin shim beside the image that speaks a line protocol with Node.
//
// Its own bundle (hal-sim.lua, built with `--board sim`): it takes the image's entry-point table
// (firmware/entry.ts Firmware) and drives it, so the image stays board-neutral. Node (sim/board.ts)
// is the emulated hardware. Each call of `event(line)` carries one input
// "<uptime>\t<kind>\t<fields…>"; the returned string holds the effects the firmware produced, one
// per line ending in "\n", fields split by tabs. Only byte strings cross, so the same shim works in every Lua VM
// and in Node. Values that may hold tabs or newlines are escaped (\\, \t, \n).
//
// Inputs (Node → image), after "<uptime>\t":
//   start  <rtc epoch or ->\t<seed>        store / prov  <key>\t<value>     open, close, heap
//   tick   [<meter line>\n<meter line>…]  (the readings of the second that passed, as "meter" gives them)
//   frame  <text>                          input  plug|unplug\t<evse>\t<connector>
//   pilot  <evse>\t<A..F>                  relay  <evse>\t<0|1>  (the contactor's feedback contact)
//   lock   <evse>\t<connector>\t<0|1>  (the lock's feedback)
//   meter  <evse>\t<Wh>\t<W>\t<dA,dA,dA>\t<dV,dV,dV>\t<SoC % or -1>  (integers; one dA and dV per wired phase)
//   token  <evse>\t<IdTokenEnumType>\t<idToken>
//   net    opened | closed | data\t<bytes, escaped>  (the second transport: a TCP stream to an EMS broker)
// pilot, relay and lock change what the HAL reads back and then call the firmware's input entry
// point; meter only changes what readMeter returns. Before start they only set the state.
// Effects (image → Node): connect, send / sendx, disconnect, netopen <host>\t<port>\t<0|1 tls>,
//   netsend <bytes, escaped>, netclose, rtc, save, erase, appendn, log, reboot,
//   relay <evse>\t<0|1> and lock <evse>\t<connector>\t<0|1> (commands: the feedback comes back as
//   an input once the hardware moved), offer <evse>\t<0.1 A per phase, 0: no PWM>, heap.
//   appendn <key>\t<n> is followed by the n bytes appended, raw, and a newline.

import type { Hal, MeterReading } from "../hal";
import type { Firmware } from "../../firmware/entry";
import type { Station } from "../../firmware/station";
import { escapeField, unescapeField } from "../../firmware/fields";

/**
 * An integer the firmware handed the board (ids, levels, epoch seconds, intervals) as decimal text on
 * every VM. Not json.ts fmtNum: that would bundle the whole JSON codec into the HAL.
 */
function int(n: number): string {
  // float: 2^31 is a float on 32-bit VMs; an integer compares with it exactly.
  if (n > -2147483648 && n < 2147483648) return string.format("%d", n);
  return string.format("%.0f", n);
}

function esc(s: string): string {
  const out: string[] = [];
  escapeField(s, out);
  return out.length === 1 ? out[0] : table.concat(out);
}

/** Splits at tabs, at most max fields; the last field keeps any further tabs. */
function fields(line: string, max: number): string[] {
  const out: string[] = [];
  let start = 1;
  while (out.length < max - 1) {
    const [t] = string.find(line, "\t", start, true);
    if (t === undefined) break;
    out[out.length] = string.sub(line, start, t - 1);
    start = t + 1;
  }
  out[out.length] = string.sub(line, start);
  return out;
}

function num(s: string | undefined): number {
  if (s === undefined) return 0;
  const n = tonumber(s);
  return n === undefined ? 0 : n;
}

/** Integers from a comma-separated field. */
function nums(s: string | undefined): number[] {
  const out: number[] = [];
  if (s === undefined || s === "") return out;
  let start = 1;
  for (;;) {
    const [c] = string.find(s, ",", start, true);
    if (c === undefined) break;
    out[out.length] = num(string.sub(s, start, c - 1));
    start = c + 1;
  }
  out[out.length] = num(string.sub(s, start));
  return out;
}

interface Erased {
  pages: string[];
  bytes: number;
}

interface Board {
  uptime: number;
  rtc: number | undefined;
  seed: number;
  /** Flash files as pages of at most PAGE bytes (a saved value is one page of its own size). */
  files: { [key: string]: string[] };
  /** Bytes held in files: flash, not RAM (the footprint bench takes it off the heap). */
  flashBytes: number;
  /**
   * Erased or rewritten files' pages until the GC takes them (weak values): flash a board erases
   * frees no RAM, so the heap figures keep them off while the heap holds them. The last four at most
   * (a VM without weak tables never lets them go).
   */
  erased: { [k: number]: Erased | undefined };
  erasedCount: number;
  meters: MeterReading[];
  /** Per EVSE: pilot state and contactor feedback as Node last reported them. */
  pilot: string[];
  relay: boolean[];
  /** Per "evse/connector": plugged, and the lock's feedback, as Node last reported them. */
  plugged: { [k: string]: boolean };
  locked: { [k: string]: boolean };
  out: string[];
  st: Station | undefined;
}

/** Page size of the simulated flash: the most one append copies in the VM's heap. */
const PAGE = 512;

/** The board of this VM: one per VM, so the footprint bench can ask how much flash it holds. */
let current: Board | undefined;

/** Bytes of simulated flash the board holds in the VM's heap, erased pages not yet collected included (0 before a board is made). */
export function simFlashBytes(): number {
  if (current === undefined) return 0;
  let n = current.flashBytes;
  for (const [, e] of pairs(current.erased)) n = n + (e as Erased).bytes;
  return n;
}

function put(b: Board, key: string, pages: string[] | undefined): void {
  const old = b.files[key];
  if (old !== undefined) {
    let n = 0;
    for (let i = 0; i < old.length; i++) n = n + old[i].length;
    // Counted as erased before it stops counting as flash: the bench samples the heap less the flash
    // between any two instructions, and must never see the pages as the firmware's.
    b.erasedCount = b.erasedCount + 1;
    b.erased[b.erasedCount] = { pages: old, bytes: n };
    b.erased[b.erasedCount - 4] = undefined;
    b.flashBytes = b.flashBytes - n;
  }
  if (pages !== undefined) for (let i = 0; i < pages.length; i++) b.flashBytes = b.flashBytes + pages[i].length;
  b.files[key] = pages as string[];
}

function makeHal(b: Board): Hal {
  const emitLine = (line: string) => {
    b.out[b.out.length] = line;
    b.out[b.out.length] = "\n";
  };
  return {
    connect: (url, subprotocol, auth, ping) =>
      emitLine("connect\t" + esc(url) + "\t" + subprotocol + "\t" + (auth !== undefined ? esc(auth) : "") + "\t" + int(ping)),
    send: (parts) => {
      // Frames from the JSON encoder hold no raw newline: the parts go out as they are, unjoined.
      let plain = true;
      for (let i = 0; i < parts.length && plain; i++) {
        const [nl] = string.find(parts[i], "\n", 1, true);
        plain = nl === undefined;
      }
      if (plain) {
        b.out[b.out.length] = "send\t";
        for (let i = 0; i < parts.length; i++) b.out[b.out.length] = parts[i];
        b.out[b.out.length] = "\n";
      } else {
        emitLine("sendx\t" + esc(table.concat(parts)));
      }
    },
    disconnect: () => emitLine("disconnect"),
    netOpen: (host, port, tls) => emitLine("netopen\t" + esc(host) + "\t" + int(port) + "\t" + (tls ? "1" : "0")),
    netSend: (parts) => emitLine("netsend\t" + esc(parts.length === 1 ? parts[0] : table.concat(parts))),
    netClose: () => emitLine("netclose"),
    uptime: () => b.uptime,
    rtcEpoch: () => b.rtc === undefined ? undefined : b.rtc,
    setRtcEpoch: (epoch) => {
      emitLine("rtc\t" + int(epoch));
    },
    random: (n) => {
      // ZX81 LCG: small products stay exact with 32-bit integers and with single floats.
      // nonneg: seed starts positive and stays in [0, 65537); n > 0.
      b.seed = (b.seed * 75 + 74) % 65537;
      return b.seed % n;
    },
    load: (key) => {
      const f = b.files[key];
      return f === undefined ? undefined : f.length === 1 ? f[0] : table.concat(f);
    },
    save: (key, value) => {
      put(b, key, [value]);
      emitLine("save\t" + esc(key) + "\t" + esc(value));
    },
    erase: (key) => {
      put(b, key, undefined);
      emitLine("erase\t" + esc(key));
    },
    append: (key, parts) => {
      let f = b.files[key];
      if (f === undefined) {
        f = [];
        b.files[key] = f;
      }
      // Pages of PAGE bytes: the last one is filled up, then new ones; each page is joined once
      // from its pieces, so an append copies no more than it writes (plus the last page).
      let n = 0;
      let page: string[] = [];
      let fill = 0;
      let slot = f.length;
      if (slot > 0 && f[slot - 1].length < PAGE) {
        slot = slot - 1;
        page[0] = f[slot];
        fill = f[slot].length;
      }
      // Where the new bytes begin: they go to Node from the pages, not as the parts (a slot each).
      const first = slot;
      const skip = fill;
      for (let i = 0; i < parts.length; i++) {
        const data = parts[i];
        n = n + data.length;
        let at = 1;
        while (at <= data.length) {
          const take = math.min(PAGE - fill, data.length - at + 1);
          page[page.length] = take === data.length ? data : string.sub(data, at, at + take - 1);
          fill = fill + take;
          at = at + take;
          if (fill === PAGE) {
            // Flash counted as each page is stored (see put): the page it replaces is the one begun earlier.
            const was = f[slot];
            f[slot] = table.concat(page);
            b.flashBytes = b.flashBytes + PAGE - (was !== undefined ? was.length : 0);
            slot = slot + 1;
            page = [];
            fill = 0;
          }
        }
      }
      if (fill > 0) {
        const was = f[slot];
        f[slot] = table.concat(page);
        b.flashBytes = b.flashBytes + fill - (was !== undefined ? was.length : 0);
      }
      const last = fill > 0 ? slot : slot - 1;
      // "appendn <key> <n>", then the n bytes raw and a newline: no escaped copy of them in the VM.
      const o = b.out;
      o[o.length] = "appendn\t";
      escapeField(key, o);
      o[o.length] = "\t" + int(n) + "\n";
      for (let k = first; n > 0 && k <= last; k++) o[o.length] = k === first && skip > 0 ? string.sub(f[k], skip + 1) : f[k];
      o[o.length] = "\n";
      return true;
    },
    read: (key, offset, length) => {
      const f = b.files[key];
      if (f === undefined) return undefined;
      const out: string[] = [];
      let pos = 0;
      for (let i = 0; i < f.length && pos < offset + length; i++) {
        const n = f[i].length;
        if (pos + n > offset) out[out.length] = string.sub(f[i], math.max(offset - pos, 0) + 1, offset + length - pos);
        pos = pos + n;
      }
      return out.length === 1 ? out[0] : table.concat(out);
    },
    size: (key) => {
      const f = b.files[key];
      let n = 0;
      if (f !== undefined) for (let i = 0; i < f.length; i++) n = n + f[i].length;
      return n;
    },
    // The feedback changes when the hardware has moved: Node answers with a relay/lock input.
    setRelay: (evseId, closed) => emitLine("relay\t" + int(evseId) + "\t" + (closed ? "1" : "0")),
    relayClosed: (evseId) => b.relay[evseId - 1] === true,
    readMeter: (evseId) => {
      const m = b.meters[evseId - 1];
      return m !== undefined ? m : { energyWh: 0, powerW: 0, currentDa: [0], voltageDv: [0], socPercent: -1 };
    },
    pilotState: (evseId) => {
      const p = b.pilot[evseId - 1];
      return p !== undefined ? p : "A";
    },
    setPilotOffer: (evseId, deciAmps) => emitLine("offer\t" + int(evseId) + "\t" + int(deciAmps)),
    setLock: (evseId, connectorId, locked) => emitLine("lock\t" + int(evseId) + "\t" + int(connectorId) + "\t" + (locked ? "1" : "0")),
    lockState: (evseId, connectorId) => b.locked[int(evseId) + "/" + int(connectorId)] === true,
    plugged: (evseId, connectorId) => b.plugged[int(evseId) + "/" + int(connectorId)] === true,
    reboot: () => emitLine("reboot"),
    log: (level, msg) => emitLine("log\t" + int(level) + "\t" + esc(msg)),
  };
}

/** A meter reading "<evse>\t<Wh>\t<W>\t<dA,dA,dA>\t<dV,dV,dV>\t<soc or -1>": what readMeter returns from now on. */
function meter(b: Board, line: string): void {
  const a = fields(line, 6);
  b.meters[num(a[0]) - 1] = { energyWh: num(a[1]), powerW: num(a[2]), currentDa: nums(a[3]), voltageDv: nums(a[4]), socPercent: num(a[5]) };
}

/**
 * A fresh simulated board running the image `fw`: the single entry point the simulator calls. It
 * returns its effect lines as a table of pieces (the harness hands them to Node one by one), so a
 * large frame is never joined in Lua.
 */
export function simBoard(fw: Firmware): (line: string) => string[] {
  const b: Board = { uptime: 0, rtc: undefined, seed: 1, files: {}, flashBytes: 0, erased: setmetatable({}, { __mode: "v" }), erasedCount: 0, meters: [], pilot: [], relay: [], plugged: {}, locked: {}, out: [], st: undefined };
  current = b;
  const hal = makeHal(b);
  return (line: string) => {
    const f = fields(line, 3);
    b.uptime = num(f[0]);
    const kind = f[1];
    const rest = f[2] !== undefined ? f[2] : "";
    const st = b.st;
    if (kind === "frame") {
      fw.frame(st, rest);
    } else if (kind === "tick") {
      // "tick[\t<meter>\n<meter>…]": the readings of the second that passed come with its tick, one
      // call a second instead of one per EVSE more (the long scenarios' time goes to the bridge).
      let at = 1;
      while (at <= rest.length) {
        const [nl] = string.find(rest, "\n", at, true);
        meter(b, string.sub(rest, at, nl === undefined ? rest.length : nl - 1));
        at = nl === undefined ? rest.length + 1 : nl + 1;
      }
      fw.tick(st);
    } else if (kind === "store") {
      const kv = fields(rest, 2);
      put(b, unescapeField(kv[0]), [unescapeField(kv[1])]);
    } else if (kind === "start") {
      const a = fields(rest, 2);
      b.rtc = a[0] === "-" ? undefined : num(a[0]);
      b.seed = num(a[1]) + 1;
      b.st = fw.start(hal);
    } else if (kind === "prov") {
      const kv = fields(rest, 2);
      fw.provision(st, unescapeField(kv[0]), unescapeField(kv[1]));
    } else if (kind === "open") {
      fw.opened(st);
    } else if (kind === "close") {
      fw.closed(st);
    } else if (kind === "input") {
      const a = fields(rest, 3);
      const ev = a[0];
      if (ev === "plug" || ev === "unplug") b.plugged[a[1] + "/" + a[2]] = ev === "plug";
      fw.input(st, ev, num(a[1]), num(a[2]));
    } else if (kind === "pilot") {
      // "<evse>\t<A..F>": the pilot state changed; the firmware reads it back through the HAL.
      const a = fields(rest, 2);
      b.pilot[num(a[0]) - 1] = a[1];
      fw.input(st, "pilot", num(a[0]), 0);
    } else if (kind === "relay") {
      // "<evse>\t<0|1>": the contactor's feedback contact changed.
      const a = fields(rest, 2);
      b.relay[num(a[0]) - 1] = a[1] === "1";
      fw.input(st, "relay", num(a[0]), 0);
    } else if (kind === "lock") {
      // "<evse>\t<connector>\t<0|1>": the lock's feedback changed.
      const a = fields(rest, 3);
      b.locked[a[0] + "/" + a[1]] = a[2] === "1";
      fw.input(st, "lock", num(a[0]), num(a[1]));
    } else if (kind === "token") {
      // "<evse>\t<type>\t<idToken>": a card presented at the EVSE's reader.
      const a = fields(rest, 3);
      fw.token(st, num(a[0]), unescapeField(a[2]), a[1]);
    } else if (kind === "meter") {
      meter(b, rest);
    } else if (kind === "net") {
      // "opened" | "closed" | "data\t<bytes>": the second transport (an image without a net entry ignores it).
      const a = fields(rest, 2);
      if (fw.net !== undefined) fw.net(st, a[0], a[1] !== undefined ? unescapeField(a[1]) : "");
    } else if (kind === "heap") {
      b.out[b.out.length] = "heap\t" + string.format("%.3f", collectgarbage("count"));
      b.out[b.out.length] = "\n";
    }
    // Handed over, not kept: the output is garbage as soon as Node has read it.
    const out = b.out;
    b.out = [];
    return out;
  };
}
