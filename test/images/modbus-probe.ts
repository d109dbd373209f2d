// Test image: hal/lib/modbus.ts (the Modbus RTU master codec) and hal/lib/meter-sdm.ts (the meter
// poller) behind the line protocol, so the same fixtures run on every runtime. Bytes travel as
// lower-case hex.
// "C<hex>": the CRC of the bytes -> "crc <2 bytes hex, as sent>".
// "Q<slave>\t<fn>\t<addr>\t<count>": mbRequest -> "req <hex>" or "req none".
// "P<slave>\t<fn>\t<count>\t<hex>": mbParse over the bytes, response after response -> a line each:
//   "ok <size> <data hex>", "exc <code>", "bad <result> <size>" (then it stops), last "more <bytes left>".
// "V<kind>\t<dec>\t<swap 0|1>\t<hex>": mbValue of the bytes -> "val <n>" or "val none".
// "G<baud>": sdmGapMs -> "gap <ms>" or "gap none".
// "N<slave>\t<timeoutMs>\t<gapMs>\t<retries>\t<periodMs>\t<staleAfter>\t<maxRegs>\t<table>[\t<baud>]": a new poller
//   (empty fields: the defaults; table "" the SDM630's, else "name,fn,addr,kind,dec,swap;…") -> "OK"/"ERR".
// "D<hex>": sdmFeed; "T<ms>": sdmTick; "M<phases>": sdmReading -> "reading <Wh> <W> <dA,…> <dV,…>".
// Every poller command then lists a line per write, "send <hex>", and last
// "state <state> <held> <stale 0|1> <failedCycles> <errors> <cycles> <lastError>" and
// "vals <name>=<value or ->,…" over the table in order.

import { mbCrc, mbParse, mbRequest, mbValue, MB_EXCEPTION, MB_MORE, MB_OK } from "../../hal/lib/modbus";
import { SdmPoller, sdmPoller, sdmFeed, sdmTick, sdmValue, sdmReading, sdmHeld, sdmGapMs, SdmRegister, SdmOptions } from "../../hal/lib/meter-sdm";
import { fields, hex, unhex } from "./probe-text";

const out: string[] = [];
let poller: SdmPoller<string> | undefined;

function num(s: string): number {
  return tonumber(s) as number;
}

function int(n: number): string {
  return string.format("%d", n);
}

function write(_ctx: string, bytes: string): void {
  out[out.length] = "send " + hex(bytes);
}

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

function parseAll(rest: string): string {
  const f = fields(rest, 4);
  const s = unhex(f[3]);
  const slave = num(f[0]);
  const fn = num(f[1]);
  const count = num(f[2]);
  const lines: string[] = [];
  let at = 1;
  for (;;) {
    const [res, size, code] = mbParse(s, at, slave, fn, count);
    if (res === MB_OK) lines[lines.length] = "ok " + int(size) + " " + hex(string.sub(s, at + 3, at + size - 3));
    else if (res === MB_EXCEPTION) lines[lines.length] = "exc " + int(code);
    else if (res === MB_MORE) {
      lines[lines.length] = "more " + int(s.length - at + 1);
      break;
    } else {
      lines[lines.length] = "bad " + int(res) + " " + int(size);
      break;
    }
    at = at + size;
  }
  return table.concat(lines, "\n");
}

function newPoller(rest: string): string {
  const f = fields(rest, 9);
  const o: SdmOptions = { slave: num(f[0]) };
  if (f[1] !== "") o.timeoutMs = num(f[1]);
  if (f[2] !== "") o.gapMs = num(f[2]);
  if (f[3] !== "") o.retries = num(f[3]);
  if (f[4] !== "") o.periodMs = num(f[4]);
  if (f[5] !== "") o.staleAfter = num(f[5]);
  if (f[6] !== "") o.maxRegs = num(f[6]);
  if (f.length > 8 && f[8] !== "") o.baud = num(f[8]);
  if (f[7] !== "") {
    const regs: SdmRegister[] = [];
    const items = split(f[7], ";");
    for (let i = 0; i < items.length; i++) {
      const g = split(items[i], ",");
      regs[regs.length] = { name: g[0], fn: num(g[1]), addr: num(g[2]), kind: g[3], dec: num(g[4]), swap: g[5] === "1" };
    }
    o.registers = regs;
  }
  poller = sdmPoller<string>(o, "probe", write);
  return poller !== undefined ? "OK" : "ERR";
}

function status(p: SdmPoller<string>): void {
  out[out.length] = "state " + int(p.state) + " " + int(sdmHeld(p)) + (p.stale ? " 1 " : " 0 ") + int(p.failedCycles) + " " + int(p.errors) + " " + int(p.cycles) + " " + int(p.lastError);
  const vals: string[] = [];
  for (let i = 0; i < p.registers.length; i++) {
    const v = sdmValue(p, p.registers[i].name);
    vals[vals.length] = p.registers[i].name + "=" + (v !== undefined ? int(v) : "-");
  }
  out[out.length] = "vals " + table.concat(vals, ",");
}

export function event(line: string): string {
  const op = string.sub(line, 1, 1);
  const rest = string.sub(line, 2);
  if (op === "C") {
    const s = unhex(rest);
    return "crc " + hex(mbCrc(s, 1, s.length));
  }
  if (op === "Q") {
    const f = fields(rest, 4);
    const r = mbRequest(num(f[0]), num(f[1]), num(f[2]), num(f[3]));
    return "req " + (r !== undefined ? hex(r) : "none");
  }
  if (op === "P") return parseAll(rest);
  if (op === "V") {
    const f = fields(rest, 4);
    const v = mbValue(unhex(f[3]), 1, f[0], num(f[1]), f[2] === "1");
    return "val " + (v !== undefined ? int(v) : "none");
  }
  let head = "";
  if (op === "G") {
    const g = sdmGapMs(num(rest));
    return "gap " + (g !== undefined ? int(g) : "none");
  }
  if (op === "N") head = newPoller(rest);
  else if (poller !== undefined) {
    const p = poller;
    if (op === "D") sdmFeed(p, unhex(rest));
    else if (op === "T") sdmTick(p, num(rest));
    else if (op === "M") {
      const r = sdmReading(p, num(rest));
      const cur: string[] = [];
      const volt: string[] = [];
      for (let i = 0; i < r.currentDa.length; i++) {
        cur[cur.length] = int(r.currentDa[i]);
        volt[volt.length] = int(r.voltageDv[i]);
      }
      head = "reading " + int(r.energyWh) + " " + int(r.powerW) + " " + table.concat(cur, ",") + " " + table.concat(volt, ",");
    }
  }
  if (poller !== undefined) status(poller);
  const r = (head !== "" ? head + "\n" : "") + table.concat(out, "\n");
  for (let i = out.length; i >= 1; i--) table.remove(out);
  return r;
}
