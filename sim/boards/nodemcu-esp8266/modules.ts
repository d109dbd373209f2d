// Lua side of the NodeMCU ESP8266 emulation: the firmware's modules the port reads (websocket, tmr,
// file, node, encoder, gpio, pwm, adc, uart, rtctime, print), each typed against its interface in
// hal/nodemcu-esp8266/nodemcu.d.ts, so a function the port may call and this file lacks is a type
// error. Installed as Lua globals before the port's chunk loads (sim/runtimes/lua-harness.ts).
// Not emulated: net, tls, crypto, sntp, sjson, bit (the port does not use them), gpio interrupts'
// eventcount, the watchdog, deep sleep (a restart here), node.LFS.reload, file.list patterns,
// tmr.delay's busy wait (no virtual time passes). At boot the firmware runs init.lua from SPIFFS, the
// build's generated start file as the package holds it, which finds the image and the port in LFS
// (../nodemcu-common.ts), applies provision.txt once and calls the port's boardRun with the wiring. Files are kept as pages (emu-core
// newEmu(true)), so the emulation's copies of a journal do not weigh in the port's heap. node.heap() is a constant 44000 (the
// typical free heap of a port, issue #9), not a measure.
//
// Board inputs (Node → here, after "<ms>\t"; sim/boards/README.md):
//   ws <id>\topen | ws <id>\trecv\t<opcode>\t<bytes> | ws <id>\tclosed\t<status>
//   uart <bytes>       gpio <pin>\t<0|1>       adc <0..1023>       seed <n> (node.random)
// Board effects: ws <id>\tconnect\t<url>\t<"Name: value\r\n"…> | ws <id>\tsend\t<opcode>\t<bytes> |
//   ws <id>\tclose; gpio <pin>\t<0|1>; pwm <pin>\t<Hz>\t<duty>\t<0|1 running>; uart <id>\t<bytes>;
//   rtc <epoch> (so a soft restart keeps it).

import type { Firmware } from "../../../firmware/entry";
import type {
  AdcModule, FileMode, FileModule, FileObj, GpioModule, NodeModule, PwmModule, RtctimeModule,
  TmrModule, UartModule, WebsocketClient, WebsocketModule,
} from "../../../hal/nodemcu-esp8266/nodemcu";
import { idiv } from "../../../firmware/arith";
import { callback, Emu, emit, emuFlashBytes, int, newEmu } from "../emu-core";
import type { Emulation } from "../emu-core";
// One local for the shared NodeMCU parts (the chunk stays under Lua 5.1's 50 locals).
import * as nm from "../nodemcu-common";
import type { FlashIndex, Lfs, TmrKind } from "../nodemcu-common";
// One local for the paged files' helpers: the module's main chunk stays under Lua 5.1's 50 locals.
import * as pages from "../emu-core";

/** SPIFFS: the size reported by fsinfo (a 4 MB module's usual SPIFFS). */
const FS_TOTAL = 3000000;
const BOARD = "nodemcu-esp8266";

// ---- file (SPIFFS) ----

/** A file's pages: it exists (checked by open). */
function pagesOf(e: Emu, name: string): string[] {
  const f = pages.filePages(e, name);
  if (f === undefined) return error("file removed");
  return f;
}

function fileObj(e: Emu, name: string, mode: FileMode): FileObj {
  let pos = 0;
  let open = true;
  const appendOnly = mode === "a" || mode === "a+";
  const writes = mode !== "r";
  const reads = mode === "r" || mode === "r+" || mode === "w+" || mode === "a+";
  const check = (w: boolean) => {
    if (!open) error("file closed");
    if (w ? !writes : !reads) error("file not opened for " + (w ? "writing" : "reading"));
  };
  const write = (s: string): true => {
    check(true);
    const size = pages.fileSize(pagesOf(e, name));
    if (appendOnly || pos === size) {
      pages.fileAppend(e, name, s);
      pos = size + s.length;
      emit(e, "fapp", [name, s]);
      return true;
    }
    // Overwriting inside the file (never done by the port): the whole file rewritten.
    const cur = table.concat(pagesOf(e, name));
    pages.filePut(e, name, string.sub(cur, 1, pos) + s + string.sub(cur, pos + s.length + 1));
    pos = pos + s.length;
    emit(e, "fput", [name, table.concat(pagesOf(e, name))]);
    return true;
  };
  const read = (n: number | string | undefined): string | undefined => {
    check(false);
    const f = pagesOf(e, name);
    if (pos >= pages.fileSize(f)) return undefined;
    let last = pos + (typeof n === "number" ? n : 1024);
    if (typeof n === "string") {
      const [at] = string.find(pages.fileRead(f, pos + 1, pos + 1024), n, 1, true);
      last = at !== undefined ? pos + at : pos + 1024;
    }
    const s = pages.fileRead(f, pos + 1, last);
    pos = pos + s.length;
    return s;
  };
  return {
    read: (n) => read(n),
    readline: () => read("\n"),
    write: (s) => write(s),
    writeline: (s) => write(s + "\n"),
    flush: () => check(true),
    seek: (whence, offset) => {
      if (!open) error("file closed");
      const size = pages.fileSize(pagesOf(e, name));
      const base = whence === "set" ? 0 : whence === "end" ? size : pos;
      const to = base + (offset !== undefined ? offset : 0);
      if (to < 0 || to > size) return undefined;
      pos = to;
      return pos;
    },
    close: () => {
      open = false;
    },
  };
}

function fileModule(e: Emu): FileModule {
  const spiffs = nm.spiffsFiles(e, FS_TOTAL);
  const open = (name: string, mode?: FileMode): FileObj | undefined => {
    const m = mode !== undefined ? mode : "r";
    if (name.length === 0 || name.length > nm.MAX_NAME) return undefined;
    const exists = pages.filePages(e, name) !== undefined;
    if ((m === "r" || m === "r+") && !exists) return undefined;
    if (m === "w" || m === "w+" || !exists) {
      pages.filePut(e, name, "");
      emit(e, "fput", [name, ""]);
    }
    return fileObj(e, name, m);
  };
  return {
    open,
    putcontents: (name, contents) => {
      const f = open(name, "w+");
      if (f === undefined) return undefined;
      f.write(contents);
      f.close();
      return true;
    },
    getcontents: (name) => {
      const f = pages.filePages(e, name);
      return f === undefined ? undefined : table.concat(f);
    },
    remove: spiffs.remove,
    rename: spiffs.rename,
    exists: spiffs.exists,
    fsinfo: spiffs.fsinfo,
    list: (pattern) => {
      if (pattern !== undefined) error("file.list: patterns are not emulated");
      return spiffs.list();
    },
    format: spiffs.format,
  };
}

// ---- tmr ----

const ALARM_SINGLE = 0;
const ALARM_SEMI = 1;
const ALARM_AUTO = 2;

const TMR: TmrKind = { single: ALARM_SINGLE, semi: ALARM_SEMI, auto: ALARM_AUTO, strict: false, rangeError: "invalid timer interval" };

/** The µs counter: 31 bits, wrapping. */
function nowUs(e: Emu): number {
  // float: virtual µs stay below 2^53, exact on the emulation's VMs (PUC 5.1 doubles, PUC 5.3 64-bit integers).
  const us = e.usBase + e.now * 1000;
  // float: as above.
  return us - math.floor(us / 2147483648) * 2147483648;
}

function tmrModule(e: Emu): TmrModule {
  return {
    create: () => nm.tmrTimer(e, TMR),
    now: () => nowUs(e),
    time: () => idiv(e.now, 1000),
    // A busy wait on the chip: the port's callback goes on afterwards as if no time had passed.
    delay: (us) => {
      if (us <= 0) error("wrong arg range");
    },
    softwd: () => undefined,
    wdclr: () => undefined,
    ccount: () => nowUs(e),
    ALARM_SINGLE,
    ALARM_SEMI,
    ALARM_AUTO,
  };
}

// ---- node ----

interface Rng {
  seed: number;
}

function nodeModule(e: Emu, rng: Rng, lfs: Lfs): NodeModule & { flashindex: FlashIndex } {
  return {
    restart: () => {
      emit(e, "restart", []);
      e.dead = true;
    },
    heap: () => 44000,
    chipid: () => 1234567,
    flashid: () => 1458400,
    flashsize: () => 4194304,
    bootreason: () => $multi(2, 0),
    info: () => ({}),
    random: (l, u) => {
      const lo = u !== undefined ? l : 1;
      const hi = u !== undefined ? u : l;
      // ZX81 LCG, exact in every number type. nonneg: the seed stays in [0, 65537).
      rng.seed = (rng.seed * 75 + 74) % 65537;
      // nonneg: seed in [0, 65537), hi >= lo.
      return lo + (rng.seed % (hi - lo + 1));
    },
    LFS: nm.lfsModule(lfs),
    flashindex: nm.flashindex(lfs),
    task: { post: nm.taskPost(e) as unknown as NodeModule["task"]["post"], LOW_PRIORITY: 0, MEDIUM_PRIORITY: 1, HIGH_PRIORITY: 2 },
    getcpufreq: () => 80,
    setonerror: () => undefined,
    compile: () => error("node.compile is not emulated"),
    dsleep: () => {
      emit(e, "restart", []);
      e.dead = true;
    },
  };
}

// ---- gpio, pwm, adc ----

interface Pins {
  /** Levels: inputs as Node set them, outputs as written. */
  level: { [pin: string]: number };
  trig: { [pin: string]: { type: string; fn: (this: void, level: number, when: number, count: number) => void } | undefined };
  adc: number;
}

function pinKey(pin: number): string {
  return string.format("%d", pin);
}

function gpioModule(e: Emu, pins: Pins): GpioModule {
  return {
    mode: () => undefined,
    read: (pin) => {
      const v = pins.level[pinKey(pin)];
      return v !== undefined ? v : 0;
    },
    write: (pin, level) => {
      const v = level !== 0 ? 1 : 0;
      pins.level[pinKey(pin)] = v;
      emit(e, "gpio", [pinKey(pin), pinKey(v)]);
    },
    trig: (pin, type, fn) => {
      pins.trig[pinKey(pin)] = type === undefined || type === "none" || fn === undefined ? undefined : { type, fn };
    },
    OUTPUT: 1,
    OPENDRAIN: 4,
    INPUT: 0,
    INT: 2,
    PULLUP: 1,
    FLOAT: 0,
    HIGH: 1,
    LOW: 0,
  };
}

/** An input pin changed: its level, and an interrupt when one is armed for that edge. */
function gpioInput(e: Emu, pins: Pins, pin: number, level: number): void {
  const k = pinKey(pin);
  const was = pins.level[k];
  pins.level[k] = level;
  const t = pins.trig[k];
  if (t === undefined || was === level) return;
  const up = level === 1;
  const fire = t.type === "both" || (t.type === "up" && up) || (t.type === "down" && !up) || (t.type === "high" && up) || (t.type === "low" && !up);
  if (fire) t.fn(level, nowUs(e), 1);
}

interface PwmPin {
  hz: number;
  duty: number;
  on: boolean;
}

function pwmModule(e: Emu): PwmModule {
  const pwm: { [pin: string]: PwmPin | undefined } = {};
  const get = (pin: number): PwmPin => {
    const p = pwm[pinKey(pin)];
    if (p === undefined) return error("pwm pin not set up");
    return p;
  };
  const show = (pin: number) => {
    const p = get(pin);
    emit(e, "pwm", [pinKey(pin), pinKey(p.hz), pinKey(p.duty), p.on ? "1" : "0"]);
  };
  const clock = (hz: number) => {
    if (hz < 1 || hz > 1000) error("wrong frequency");
    // One frequency for every PWM pin.
    for (const [, p] of pairs(pwm)) (p as PwmPin).hz = hz;
  };
  return {
    setup: (pin, hz, duty) => {
      pwm[pinKey(pin)] = { hz, duty, on: false };
      clock(hz);
      show(pin);
    },
    start: (pin) => {
      get(pin).on = true;
      show(pin);
    },
    stop: (pin) => {
      get(pin).on = false;
      show(pin);
    },
    setduty: (pin, duty) => {
      get(pin).duty = duty < 0 ? 0 : duty > 1023 ? 1023 : duty;
      show(pin);
    },
    getduty: (pin) => get(pin).duty,
    setclock: (pin, hz) => {
      clock(hz);
      show(pin);
    },
    getclock: (pin) => get(pin).hz,
    close: (pin) => {
      get(pin).on = false;
      show(pin);
      pwm[pinKey(pin)] = undefined;
    },
  };
}

function adcModule(pins: Pins): AdcModule {
  return {
    read: () => pins.adc,
    readvdd33: () => 65535,
    force_init_mode: () => false,
    INIT_ADC: 1,
    INIT_VDD33: 0,
  };
}

// ---- uart ----

interface Uart {
  count: number | string;
  fn: ((this: void, data: string) => void) | undefined;
  buf: string;
  baud: number;
}

function uartModule(e: Emu, u: Uart): UartModule {
  return {
    setup: (_id, baud) => {
      u.baud = baud;
      return baud;
    },
    alt: () => undefined,
    on: (_ev, count, fn) => {
      u.count = count !== undefined ? count : 0;
      u.fn = fn;
      u.buf = "";
    },
    write: (id, ...data) => {
      const parts: string[] = [];
      for (let i = 0; i < data.length; i++) {
        const d = data[i];
        parts[parts.length] = typeof d === "number" ? string.char(d) : d;
      }
      emit(e, "uart", [pinKey(id), table.concat(parts)]);
    },
    getconfig: () => $multi(u.baud, 8, 0, 1),
    PARITY_NONE: 0,
    PARITY_EVEN: 1,
    PARITY_ODD: 2,
    STOPBITS_1: 1,
    STOPBITS_1_5: 2,
    STOPBITS_2: 3,
  };
}

/** Bytes on the RX line, handed over as uart.on("data", count) asks: each byte (0), every n, or up to a character. */
function uartInput(e: Emu, u: Uart, bytes: string): void {
  const fn = u.fn;
  if (fn === undefined) return;
  if (u.count === 0) {
    for (let i = 1; i <= bytes.length; i++) callback(e, () => fn(string.sub(bytes, i, i)));
    return;
  }
  u.buf = u.buf + bytes;
  for (;;) {
    let n = 0;
    if (typeof u.count === "number") n = u.buf.length >= u.count ? u.count : 0;
    else {
      const [at] = string.find(u.buf, u.count, 1, true);
      n = at !== undefined ? at : 0;
    }
    if (n === 0) return;
    const chunk = string.sub(u.buf, 1, n);
    u.buf = string.sub(u.buf, n + 1);
    callback(e, () => fn(chunk));
  }
}

// ---- rtctime ----

/** The civil date of a day count since 1970-01-01 (H. Hinnant's algorithm, integers only). */
function civil(days: number): LuaMultiReturn<[number, number, number]> {
  const z = days + 719468;
  const era = idiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = idiv(doe - idiv(doe, 1460) + idiv(doe, 36524) - idiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + idiv(yoe, 4) - idiv(yoe, 100));
  const mp = idiv(5 * doy + 2, 153);
  const d = doy - idiv(153 * mp + 2, 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return $multi(yoe + era * 400 + (m <= 2 ? 1 : 0), m, d);
}

/** Days since 1970-01-01 of January 1st of a year. */
function newYear(year: number): number {
  const y = year - 1;
  const era = idiv(y, 400);
  const yoe = y - era * 400;
  // March-based year: January 1st is day 306 of the year before.
  return era * 146097 + yoe * 365 + idiv(yoe, 4) - idiv(yoe, 100) + 306 - 719468;
}

function rtcModule(e: Emu): RtctimeModule {
  return {
    set: (sec) => {
      e.rtc = sec;
      e.rtcAt = e.now;
      emit(e, "rtc", [string.format("%d", sec)]);
    },
    get: () => {
      if (e.rtc < 0) return $multi(0, 0, 0);
      const ms = e.now - e.rtcAt;
      const s = idiv(ms, 1000);
      return $multi(e.rtc + s, (ms - s * 1000) * 1000, 0);
    },
    epoch2cal: (sec) => {
      const days = idiv(sec, 86400);
      const rem = sec - days * 86400;
      const [year, mon, day] = civil(days);
      const hour = idiv(rem, 3600);
      // nonneg: days since 1970; 1970-01-01 was a Thursday (wday 5, Sunday 1).
      const wday = ((days + 4) % 7) + 1;
      return { year, mon, day, hour, min: idiv(rem - hour * 3600, 60), sec: rem - idiv(rem, 60) * 60, yday: days - newYear(year) + 1, wday };
    },
  };
}

// ---- websocket ----

interface WsState {
  seq: number;
  clients: { [id: string]: WsClient | undefined };
}

interface WsClient {
  obj: WebsocketClient;
  /** 0 idle, 1 connecting, 2 open, 3 closing. */
  state: number;
  headers: { [lower: string]: string };
  names: { [lower: string]: string };
  onConnection: ((this: void, ws: WebsocketClient) => void) | undefined;
  onReceive: ((this: void, ws: WebsocketClient, msg: string, opcode: number) => void) | undefined;
  onClose: ((this: void, ws: WebsocketClient, status: number) => void) | undefined;
}

/** ws_connect's verdict on a URL: 0, or the status its close handler gets (-1 no ws:// or wss://, -2 no host). */
function urlError(url: string): number {
  const lower = string.lower(url);
  const scheme = string.sub(lower, 1, 5) === "ws://" ? 5 : string.sub(lower, 1, 6) === "wss://" ? 6 : 0;
  if (scheme === 0) return -1;
  const c = string.sub(url, scheme + 1, scheme + 1);
  return c === "" || c === "/" || c === ":" ? -2 : 0;
}

function wsClient(e: Emu, ws: WsState): WebsocketClient {
  let id = "";
  const c: WsClient = {
    obj: undefined as unknown as WebsocketClient,
    state: 0,
    // websocketclient.c's defaults; a header of the same name (any case) replaces one.
    headers: { "user-agent": "ESP8266", "sec-websocket-protocol": "chat" },
    names: { "user-agent": "User-Agent", "sec-websocket-protocol": "Sec-WebSocket-Protocol" },
    onConnection: undefined,
    onReceive: undefined,
    onClose: undefined,
  };
  c.obj = {
    config: (params) => {
      if (params.headers === undefined) return;
      for (const [k, v] of pairs(params.headers)) {
        const lower = string.lower(k as string);
        c.headers[lower] = v as string;
        c.names[lower] = k as string;
      }
    },
    on: (event: string, fn: unknown) => {
      if (event === "connection") c.onConnection = fn as WsClient["onConnection"];
      else if (event === "receive") c.onReceive = fn as WsClient["onReceive"];
      else if (event === "close") c.onClose = fn as WsClient["onClose"];
      else error("unknown event " + event);
    },
    connect: (url) => {
      if (c.state !== 0) error("websocket already connected");
      // ws_connect's URL checks call the close handler at once, inside connect(): no scheme -1, no host -2.
      const bad = urlError(url);
      if (bad !== 0) {
        if (c.onClose !== undefined) c.onClose(c.obj, bad);
        return;
      }
      ws.seq = ws.seq + 1;
      id = string.format("%d", ws.seq);
      ws.clients[id] = c;
      c.state = 1;
      const lines: string[] = [];
      for (const [k, v] of pairs(c.headers)) lines[lines.length] = c.names[k as string] + ": " + (v as string) + "\r\n";
      emit(e, "ws", [id, "connect", url, table.concat(lines)]);
    },
    send: (msg, opcode) => {
      if (c.state !== 2) error("websocket not connected");
      // websocket.c casts the length to an unsigned short: the frame carries that many of the bytes.
      // nonneg: a length.
      const n = msg.length % 65536;
      emit(e, "ws", [id, "send", opcode !== undefined ? string.format("%d", opcode) : "1", n === msg.length ? msg : string.sub(msg, 1, n)]);
    },
    close: () => {
      if (c.state !== 1 && c.state !== 2) return;
      emit(e, "ws", [id, "close"]);
      if (c.state === 2) {
        c.state = 3;
        return;
      }
      // Still connecting (the module's DNS look-up, which the emulation does not tell apart from the
      // TCP connect): the client is freed and its close handler called inside close().
      ws.clients[id] = undefined;
      c.state = 0;
      if (c.onClose !== undefined) c.onClose(c.obj, 0);
    },
  } as WebsocketClient;
  return c.obj;
}

function wsInput(ws: WsState, f: string[]): void {
  const c = ws.clients[f[0]];
  if (c === undefined) return;
  const what = f[1];
  if (what === "open") {
    if (c.state !== 1) return;
    c.state = 2;
    if (c.onConnection !== undefined) c.onConnection(c.obj);
  } else if (what === "recv") {
    if (c.state === 2 && c.onReceive !== undefined) c.onReceive(c.obj, f[3] !== undefined ? f[3] : "", int(f[2]));
  } else if (what === "closed") {
    ws.clients[f[0]] = undefined;
    c.state = 0;
    if (c.onClose !== undefined) c.onClose(c.obj, int(f[2]));
  }
}

function websocketModule(e: Emu, ws: WsState): WebsocketModule {
  return { createClient: () => wsClient(e, ws) };
}

// ---- the emulation ----

/**
 * The image's entry points, each flagging a call made from inside another (docs/porting.md: a port
 * never calls back synchronously, e.g. fw.closed from inside hal.connect): printed as "REENTRANT".
 */
function guarded(e: Emu, fw: Firmware): Firmware {
  const out = {} as { [k: string]: unknown };
  let inside: string | undefined;
  for (const [k, v] of pairs(fw as unknown as { [k: string]: unknown })) {
    if (typeof v !== "function") {
      rawset(out, k as string, v);
      continue;
    }
    // The entry points take at most four arguments (fw.input's).
    const fn = v as (this: void, a: unknown, b: unknown, c: unknown, d: unknown) => unknown;
    const name = k as string;
    rawset(out, name, (a: unknown, b: unknown, c: unknown, d: unknown) => {
      if (inside !== undefined) emit(e, "print", ["REENTRANT: fw." + name + " called inside fw." + inside]);
      const outer = inside;
      inside = name;
      const r = fn(a, b, c, d);
      inside = outer;
      return r;
    });
  }
  return out as unknown as Firmware;
}

export function emulate(fw: Firmware): Emulation {
  const e = newEmu(true);
  const pins: Pins = { level: {}, trig: {}, adc: 1023 };
  const u: Uart = { count: 0, fn: undefined, buf: "", baud: 115200 };
  const ws: WsState = { seq: 0, clients: {} };
  const rng: Rng = { seed: 1 };
  // The image in LFS as init.lua finds it, its entry points watched for reentrant calls.
  const lfs = nm.newLfs(guarded(e, fw));
  e.handle = (kind, f) => {
    if (kind === "ws") wsInput(ws, f);
    else if (kind === "uart") uartInput(e, u, f[0]);
    else if (kind === "gpio") gpioInput(e, pins, int(f[0]), int(f[1]));
    else if (kind === "adc") pins.adc = int(f[0]);
    else if (kind === "seed") rng.seed = int(f[0]);
    else error("unknown input " + kind);
  };
  return {
    globals: {
      websocket: websocketModule(e, ws),
      tmr: tmrModule(e),
      file: fileModule(e),
      node: nodeModule(e, rng, lfs),
      encoder: nm.encoderModule(),
      gpio: gpioModule(e, pins),
      pwm: pwmModule(e),
      adc: adcModule(pins),
      uart: uartModule(e, u),
      rtctime: rtcModule(e),
      print: nm.printFn(e),
    },
    attach: nm.attachPort(e, lfs, BOARD),
    flashBytes: () => emuFlashBytes(e),
  };
}
