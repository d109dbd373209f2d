// Lua side of the LuatOS emulation: the modules the port reads (websocket, sys, fskv, io, os, crypto,
// rtos, mcu, log, gpio, pwm, adc, uart), each typed against hal/luatos/luatos.d.ts, so a function the
// port may call and this file lacks is a type error. Installed as Lua globals before the port's chunk
// loads (sim/runtimes/lua-harness.ts); `io` and `os` replace the VM's standard ones, as on LuatOS.
//
// The quirks kept (hal/FIRMWARES.md): wsc:headers' table form percent-encodes '*', '-', '.', '_' and
// space in values and refuses a name + value over 256 B, the string form is sent as it is (at most
// 1023 B); wsc:send always sets FIN (opt 1: binary, else text), refuses 65535 B and more, and answers
// false whether the frame went out or not (the stored sources push `ret == 0` of a byte count; true
// only when TCP refused a frame, which the emulation does not model); wsc:close() releases the client
// without an event; received frames come one by one with FIN and opcode (the Node side, driver.ts,
// keeps the 8 KB receive buffer, pings no open link and checks neither Sec-WebSocket-Accept nor the
// subprotocol). fskv: keys 1..63 B,
// values at most 4095 B, kept in the flash mirror as "fskv:<key>". Files: /luadb/ is read-only; a
// rename replaces its target (LittleFS). mcu.ticks() is a 32-bit millisecond counter shown signed,
// as on LuatOS's 32-bit VM (it starts where the runner's clock line puts it). os.time() counts from
// 2000-01-01 until the network time comes ("ntp" input) or an RTC was kept over a restart.
// At boot the firmware runs /luadb/main.lua, the build's generated start file as LuaTools uploaded it:
// `sys = require("sys")`, the image and the port by require from the script area, provision.txt
// (/luadb/provision.txt) applied once and recorded by /provisioned (the script area is read-only, so
// the file stays), the port's boardRun with the wiring, then sys.run().
//
// sys tasks are coroutines as in sys.lua (taskInit resumes the new task at once; wait and waitUntil
// yield it until a sys timer or a publish resumes it).
// Not emulated (the port uses none of them): the digests and
// HMACs of crypto (md5, sha*, hmac_*; base64, trng and crc16_modbus are), fskv tables and sub-keys,
// gpio debounce.
//
// Board inputs (Node → here, after "<ms>\t"; sim/boards/README.md):
//   ws <id>\tconack | ws <id>\trecv\t<fin>\t<opcode>\t<bytes> | ws <id>\tsent | ws <id>\tdisconnect |
//   ws <id>\terror;  gpio <pin>\t<0|1>;  adc <channel>\t<mV> (a level held: the pilot's peak-hold output) |
//   adc <channel>\t<high mV>\t<low mV>\t<high µs> (a 1 kHz PWM seen directly: each adc.get reads the level
//   of its instant, ADC_READ_US after the last read of the same ms, the first PILOT_PHASE_US into the
//   period);  uart <id>\t<bytes>;  seed <n> (trng);
//   ntp <epoch> (the network's time reached the module).
// Board effects: ws <id>\tconnect\t<url>\t<header string>\t<keepalive s> | ws <id>\tsend\t<opcode>\t<bytes> |
//   ws <id>\tclose;  gpio <pin>\t<0|1>;  pwm <channel>\t<Hz>\t<duty>\t<precision> | pwm <channel>\tclose;
//   uart <id>\t<bytes>;  print <text> (log);  restart (rtos.reboot).

import type { Firmware } from "../../../firmware/entry";
import type {
  AdcModule, CryptoModule, FskvModule, GpioModule, IoFile, IoModule, LogModule, McuModule, OsModule, PwmModule, RtosModule,
  SysModule, UartModule, WebsocketClient, WebsocketEvent, WebsocketModule,
} from "../../../hal/luatos/luatos";
import { idiv } from "../../../firmware/arith";
import { mbCrc } from "../../../hal/lib/modbus";
import * as codec from "../emu-codec";
import { callback, disarmTimer, Emu, EmuTimer, emit, emuEvent, emuFlashBytes, int, armTimer, newEmu } from "../emu-core";
import type { Emulation } from "../emu-core";
// One local for the paged-file functions (a chunk takes at most 50 on the boards' Lua 5.1).
import * as pages from "../emu-core";

/** The script area LuaTools writes (LuaDB, read-only), and the start file the firmware runs from it. */
const SCRIPTS = "/luadb/";
/** 2000-01-01: where an RTC never set starts. */
const RTC_RESET = 946684800;
const FSKV = "fskv:";
const FSKV_TOTAL = 65536;

function dec(n: number): string {
  return string.format("%d", n);
}

// ---- crypto ----

interface Rng {
  seed: number;
}

function cryptoModule(rng: Rng): CryptoModule {
  const none = (): string => error("crypto digests are not emulated (the port uses none)");
  return {
    md5: none, hmac_md5: none, sha1: none, hmac_sha1: none, sha256: none, hmac_sha256: none, sha512: none, hmac_sha512: none,
    base64_encode: (s) => codec.base64Encode(s),
    // A bad character: an empty result.
    base64_decode: (s) => {
      const r = codec.base64Decode(s);
      return r !== undefined ? r : "";
    },
    crc16_modbus: (s) => {
      const c = mbCrc(s, 1, s.length);
      return (string.byte(c, 1) as number) + (string.byte(c, 2) as number) * 256;
    },
    crc16: (method, s) => {
      if (method !== "MODBUS") error("crypto.crc16: only MODBUS is emulated");
      const c = mbCrc(s, 1, s.length);
      return (string.byte(c, 1) as number) + (string.byte(c, 2) as number) * 256;
    },
    crc32: () => error("crypto.crc32 is not emulated"),
    trng: (len) => {
      const out: string[] = [];
      for (let i = 0; i < len; i++) {
        // ZX81 LCG, exact in every number type. nonneg: the seed stays in [0, 65537).
        rng.seed = (rng.seed * 75 + 74) % 65537;
        // nonneg: seed >= 0.
        out[out.length] = string.char(rng.seed % 256);
      }
      return table.concat(out);
    },
  };
}

// ---- sys ----

type Fn4 = (this: void, a: unknown, b: unknown, c: unknown, d: unknown) => void;

interface SysTimer {
  t: EmuTimer;
  fn: Fn4;
}

interface Sys {
  next: number;
  timers: { [id: string]: SysTimer | undefined };
  subs: { [topic: string]: Fn4[] | undefined };
}

function sysStart(e: Emu, s: Sys, fn: Fn4, ms: number, repeat: boolean, args: unknown[]): number {
  if (ms < 1) error("sys timer: ms must be > 0");
  if (args.length > 4) error("sys timer: more than 4 arguments are not emulated");
  s.next = s.next + 1;
  const id = s.next;
  const key = dec(id);
  const t: EmuTimer = { due: 0, interval: ms, repeat, running: false, fn: undefined, seq: 0 };
  t.fn = () => {
    if (!repeat) s.timers[key] = undefined;
    fn(args[0], args[1], args[2], args[3]);
  };
  s.timers[key] = { t, fn };
  armTimer(e, t, ms);
  return id;
}

/** A coroutine (a sys task). */
interface Co {
  readonly __co: unique symbol;
}

/** Lua's coroutine library, which sys.lua's tasks are made of (the emulation is built with it allowed, sim/boards/build.ts). */
declare const coroutine: {
  create(this: void, fn: Fn4): Co;
  resume(this: void, co: Co, ...args: unknown[]): LuaMultiReturn<[boolean, unknown]>;
  running(this: void): LuaMultiReturn<[Co | undefined, boolean | undefined]>;
  yield(this: void, ...args: unknown[]): LuaMultiReturn<unknown[]>;
};

function sysModule(e: Emu, s: Sys): SysModule {
  const stop = (id: number | Fn4) => {
    for (const [k, v] of pairs(s.timers)) {
      const st = v as SysTimer;
      if ((type(id) === "number" && k === dec(id as number)) || st.fn === id) {
        disarmTimer(e, st.t);
        s.timers[k as string] = undefined;
      }
    }
  };
  const subscribe = (topic: string, fn: Fn4) => {
    const subs = s.subs[topic] !== undefined ? (s.subs[topic] as Fn4[]) : [];
    subs[subs.length] = fn;
    s.subs[topic] = subs;
  };
  const unsubscribe = (topic: string, fn: Fn4) => {
    const subs = s.subs[topic];
    if (subs === undefined) return;
    for (let i = subs.length - 1; i >= 0; i--) if (subs[i] === fn) table.remove(subs, i + 1);
  };
  // sys.lua's tasks are coroutines: taskInit resumes the new one at once, wait and waitUntil yield it
  // until a timer or a publish resumes it; an error in a task is raised (sys.coresume).
  const resume = (co: Co, a?: unknown, b?: unknown, c?: unknown, d?: unknown, f?: unknown) => {
    const [ok, err] = coroutine.resume(co, a, b, c, d, f);
    if (!ok) error(err as string);
  };
  const task = (what: string): Co => {
    const [co, main] = coroutine.running();
    if (co === undefined || main === true) return error("sys." + what + " outside a task");
    return co;
  };
  return {
    taskInit: ((fn: Fn4, a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
      const co = coroutine.create(fn);
      resume(co, a, b, c, d);
      return co;
    }) as unknown as SysModule["taskInit"],
    wait: (ms) => {
      if (ms <= 0) error("The wait time cannot be negative!");
      const co = task("wait");
      sysStart(e, s, () => resume(co), ms, false, []);
      return coroutine.yield();
    },
    waitUntil: (topic, ms) => {
      const co = task("waitUntil");
      let done = false;
      let timer = 0;
      const got: Fn4 = (a, b, c, d) => {
        if (done) return;
        done = true;
        unsubscribe(topic, got);
        if (timer !== 0) stop(timer);
        resume(co, true, a, b, c, d);
      };
      subscribe(topic, got);
      if (ms !== undefined) {
        timer = sysStart(e, s, () => {
          if (done) return;
          done = true;
          unsubscribe(topic, got);
          resume(co, false);
        }, ms, false, []);
      }
      return coroutine.yield() as LuaMultiReturn<[boolean, ...unknown[]]>;
    },
    publish: (topic, ...data) => {
      if (s.subs[topic] === undefined) return;
      // Delivered from the loop, as sys.lua's message queue does, to the subscribers of that moment.
      const t: EmuTimer = { due: 0, interval: 0, repeat: false, running: false, fn: undefined, seq: 0 };
      t.fn = () => {
        const subs = s.subs[topic];
        if (subs === undefined) return;
        const now: Fn4[] = [];
        for (let i = 0; i < subs.length; i++) now[i] = subs[i];
        for (let i = 0; i < now.length; i++) now[i](data[0], data[1], data[2], data[3]);
      };
      armTimer(e, t, 0);
    },
    subscribe: (topic, fn) => subscribe(topic, fn as Fn4),
    unsubscribe: (topic, fn) => unsubscribe(topic, fn as unknown as Fn4),
    timerStart: (fn, ms, ...args) => sysStart(e, s, fn as unknown as Fn4, ms, false, args),
    timerLoopStart: (fn, ms, ...args) => sysStart(e, s, fn as unknown as Fn4, ms, true, args),
    timerStop: (id) => stop(id as number | Fn4),
    // The scheduler's loop, which main.lua ends with: here the event function is the loop, so
    // sys.run() returns to it (nothing follows it in main.lua).
    run: () => undefined,
  };
}

// ---- files: io, os, fskv ----

function readOnly(path: string): boolean {
  return string.sub(path, 1, SCRIPTS.length) === SCRIPTS;
}

// Files are emu-core's pages (newEmu(true)): an append copies at most a page, a read joins only the
// pages it covers; a record (fskv, a saved file) is written whole.

function removeFile(e: Emu, name: string): void {
  pages.filePut(e, name, undefined);
  emit(e, "fdel", [name]);
}

/** A file's whole text, or undefined: for what the firmware reads or writes whole. */
function fileText(e: Emu, name: string): string | undefined {
  const f = pages.filePages(e, name);
  return f !== undefined ? table.concat(f) : undefined;
}


function ioFile(e: Emu, name: string, append: boolean, writes: boolean, reads: boolean): IoFile {
  let pos = 0;
  let open = true;
  const f: IoFile = {
    read: (fmt) => {
      if (!open || !reads) return error("file not open for reading");
      const cur = pages.filePages(e, name) as string[];
      const size = pages.fileSize(cur);
      if (type(fmt) === "number") {
        const n = fmt as number;
        if (pos >= size && n > 0) return undefined;
        const s = pages.fileRead(cur, pos + 1, pos + n);
        pos = pos + s.length;
        return s;
      }
      if (fmt === "a" || fmt === "*a") {
        const s = pages.fileRead(cur, pos + 1, size);
        pos = size;
        return s;
      }
      if (pos >= size) return undefined;
      const rest = pages.fileRead(cur, pos + 1, size);
      const [nl] = string.find(rest, "\n", 1, true);
      pos = nl !== undefined ? pos + nl : size;
      return nl !== undefined ? string.sub(rest, 1, nl - 1) : rest;
    },
    write: (...data) => {
      if (!open || !writes) return $multi(undefined, "file not open for writing");
      for (let i = 0; i < data.length; i++) {
        const d = data[i];
        const s = type(d) === "number" ? tostring(d as unknown as string) : (d as string);
        if (append) {
          pages.fileAppend(e, name, s);
          pos = pages.fileSize(pages.filePages(e, name) as string[]);
          emit(e, "fapp", [name, s]);
        } else {
          const cur = fileText(e, name) as string;
          const next = string.sub(cur, 1, pos) + string.rep("\0", pos - cur.length) + s + string.sub(cur, pos + s.length + 1);
          pages.filePut(e, name, next);
          pos = pos + s.length;
          emit(e, "fput", [name, next]);
        }
      }
      return $multi(f);
    },
    seek: (whence, offset) => {
      if (!open) return $multi(undefined, "file closed");
      const size = pages.fileSize(pages.filePages(e, name) as string[]);
      const w = whence !== undefined ? whence : "cur";
      const to = (w === "set" ? 0 : w === "end" ? size : pos) + (offset !== undefined ? offset : 0);
      if (to < 0) return $multi(undefined, "Invalid argument");
      pos = to;
      return $multi(pos);
    },
    flush: () => $multi(f),
    close: () => {
      if (!open) return $multi(undefined, "file already closed");
      open = false;
      return $multi(true as const);
    },
  };
  return f;
}

function ioModule(e: Emu): IoModule {
  const writeFile = (path: string, data: string): boolean => {
    if (readOnly(path)) return false;
    pages.filePut(e, path, data);
    emit(e, "fput", [path, data]);
    return true;
  };
  return {
    open: (path, mode) => {
      const m = mode !== undefined ? mode : "r";
      const kind = string.sub(m, 1, 1);
      const [plus] = string.find(m, "+", 1, true);
      const exists = pages.filePages(e, path) !== undefined;
      if (kind !== "r" && kind !== "w" && kind !== "a") return $multi(undefined, "invalid mode");
      if (kind === "r" && !exists) return $multi(undefined, path + ": No such file or directory");
      if (kind !== "r" && readOnly(path)) return $multi(undefined, path + ": Read-only file system");
      if (kind === "w" || !exists) writeFile(path, "");
      return $multi(ioFile(e, path, kind === "a", kind !== "r" || plus !== undefined, kind === "r" || plus !== undefined));
    },
    exists: (path) => pages.filePages(e, path) !== undefined,
    fileSize: (path) => {
      const f = pages.filePages(e, path);
      return f !== undefined ? pages.fileSize(f) : undefined;
    },
    readFile: (path) => fileText(e, path),
    writeFile,
    mkdir: () => $multi(true, 0),
  };
}

function osModule(e: Emu): OsModule {
  return {
    remove: (path) => {
      if (pages.filePages(e, path) === undefined || readOnly(path)) return $multi(undefined, path + ": No such file or directory");
      removeFile(e, path);
      return $multi(true as const);
    },
    rename: (from, to) => {
      const v = fileText(e, from);
      if (v === undefined || readOnly(from) || readOnly(to)) return $multi(undefined, from + ": No such file or directory");
      // LittleFS: the target is replaced in one step.
      pages.filePut(e, from, undefined);
      pages.filePut(e, to, v);
      emit(e, "fren", [from, to]);
      return $multi(true as const);
    },
    time: () => (e.rtc >= 0 ? e.rtc + idiv(e.now - e.rtcAt, 1000) : RTC_RESET + idiv(e.now, 1000)),
  };
}

interface Kv {
  ready: boolean;
}

function fskvModule(e: Emu, kv: Kv): FskvModule {
  return {
    init: () => {
      kv.ready = true;
      return true;
    },
    set: (key, value) => {
      if (!kv.ready || key.length < 1 || key.length > 63) return false;
      const t = type(value);
      if (t !== "string" && t !== "number" && t !== "boolean") return error("fskv tables are not emulated");
      const s = t === "string" ? "s" + (value as string) : t === "number" ? "n" + tostring(value as unknown as string) : value === true ? "b1" : "b0";
      if (s.length - 1 > 4095) return false;
      pages.filePut(e, FSKV + key, s);
      emit(e, "fput", [FSKV + key, s]);
      return true;
    },
    get: (key, skey) => {
      if (skey !== undefined) error("fskv sub-keys are not emulated");
      const s = kv.ready ? fileText(e, FSKV + key) : undefined;
      if (s === undefined) return undefined;
      const tag = string.sub(s, 1, 1);
      const v = string.sub(s, 2);
      return tag === "s" ? v : tag === "n" ? tonumber(v) : v === "1";
    },
    del: (key) => {
      if (!kv.ready || pages.filePages(e, FSKV + key) === undefined) return false;
      removeFile(e, FSKV + key);
      return true;
    },
    clear: () => {
      const keys: string[] = [];
      for (const [k] of pairs(e.paged as { [name: string]: string[] })) if (string.sub(k as string, 1, FSKV.length) === FSKV) keys[keys.length] = k as string;
      for (let i = 0; i < keys.length; i++) removeFile(e, keys[i]);
      return true;
    },
    status: () => {
      let used = 0;
      let n = 0;
      for (const [k, v] of pairs(e.paged as { [name: string]: string[] })) {
        if (string.sub(k as string, 1, FSKV.length) === FSKV) {
          used = used + (k as string).length + pages.fileSize(v as string[]);
          n = n + 1;
        }
      }
      return $multi(used, FSKV_TOTAL, n);
    },
  };
}

// ---- rtos, mcu, log ----

function rtosModule(e: Emu): RtosModule {
  let peak = 0;
  return {
    meminfo: () => {
      const used = math.floor(collectgarbage("count") * 1024);
      peak = math.max(peak, used);
      return $multi(1048576, used, peak);
    },
    reboot: () => {
      emit(e, "restart", []);
      e.dead = true;
    },
    version: () => "V-EMU",
    bsp: () => "EMU",
  };
}

function mcuModule(e: Emu): McuModule {
  return {
    ticks: () => {
      // float: virtual ms stay below 2^53 (exact in PUC 5.3's integers and doubles); shown as a signed 32-bit counter.
      const t = idiv(e.usBase, 1000) + e.now + 2147483648;
      // float: as above.
      return t - math.floor(t / 4294967296) * 4294967296 - 2147483648;
    },
    hz: () => 1000,
    unique_id: () => "",
  };
}

function logModule(e: Emu): LogModule {
  const line = (level: string, tag: string, args: unknown[]) => {
    const parts: string[] = [level + "/" + tag];
    for (let i = 0; i < args.length; i++) parts[parts.length] = tostring(args[i] as string);
    emit(e, "print", [table.concat(parts, " ")]);
  };
  return {
    info: (tag, ...args) => line("I", tag, args),
    warn: (tag, ...args) => line("W", tag, args),
    error: (tag, ...args) => line("E", tag, args),
    debug: (tag, ...args) => line("D", tag, args),
  };
}

// ---- gpio, pwm, adc, uart ----

interface Pins {
  level: { [pin: string]: number };
  irq: { [pin: string]: ((this: void, level: number) => void) | undefined };
  output: { [pin: string]: boolean };
  adc: { [channel: string]: number };
  /** A channel on a PWM without a peak hold: its low level (mV) and the high phase (µs of each 1000). */
  adcLow: { [channel: string]: number | undefined };
  adcHighUs: { [channel: string]: number };
  adcOpen: { [channel: string]: boolean };
  /** The ms of the last adc.get and the reads in it (back-to-back reads move through the period). */
  readMs: number;
  readsInMs: number;
}

/** One ADC conversion, µs. */
const ADC_READ_US = 20;
/**
 * Where in the PWM period the first read of a poll falls. The poll timer and the PWM run off one
 * clock, so every poll samples the same instant: the worst case, fixed.
 */
const PILOT_PHASE_US = 250;

function gpioModule(e: Emu, pins: Pins): GpioModule {
  const write = (pin: number, level: number) => {
    const k = dec(pin);
    if (pins.output[k] !== true) error("gpio " + k + " is not an output");
    const v = level !== 0 ? 1 : 0;
    pins.level[k] = v;
    emit(e, "gpio", [k, dec(v)]);
  };
  const read = (pin: number): number => {
    const v = pins.level[dec(pin)];
    return v !== undefined ? v : 0;
  };
  const setup = (pin: number, mode: number | undefined | ((this: void, level: number) => void)): unknown => {
    const k = dec(pin);
    pins.irq[k] = undefined;
    if (type(mode) === "number") {
      pins.output[k] = true;
      write(pin, mode as number);
      return (level: number) => write(pin, level);
    }
    pins.output[k] = false;
    if (type(mode) === "function") pins.irq[k] = mode as (this: void, level: number) => void;
    return () => read(pin);
  };
  return {
    setup: setup as GpioModule["setup"],
    set: write,
    get: read,
    close: (pin) => {
      pins.output[dec(pin)] = false;
      pins.irq[dec(pin)] = undefined;
    },
    debounce: () => undefined,
    LOW: 0, HIGH: 1, PULLUP: 1, PULLDOWN: 2, RISING: 0, FALLING: 1, BOTH: 2,
  };
}

/** An input's level as the hardware moved it, and its interrupt when one is set. */
function gpioInput(e: Emu, pins: Pins, pin: number, level: number): void {
  const k = dec(pin);
  const was = pins.level[k];
  pins.level[k] = level;
  const fn = pins.irq[k];
  if (fn !== undefined && was !== level) callback(e, () => fn(level));
}

function pwmModule(e: Emu): PwmModule {
  return {
    open: (ch, hz, duty, pulses, precision) => {
      const p = precision !== undefined ? precision : 100;
      if (hz < 1 || hz > 1000000 || duty < 0 || duty > p || (pulses !== undefined && pulses !== 0)) return false;
      emit(e, "pwm", [dec(ch), dec(hz), dec(duty), dec(p)]);
      return true;
    },
    close: (ch) => emit(e, "pwm", [dec(ch), "close"]),
  };
}

function adcModule(e: Emu, pins: Pins): AdcModule {
  const get = (ch: number): number => {
    const k = dec(ch);
    const v = pins.adcOpen[k] === true ? pins.adc[k] : undefined;
    if (v === undefined) return -1;
    const low = pins.adcLow[k];
    if (low === undefined) return v;
    if (pins.readMs !== e.now) {
      pins.readMs = e.now;
      pins.readsInMs = 0;
    }
    // nonneg: the phase and the read count are >= 0.
    const at = (PILOT_PHASE_US + pins.readsInMs * ADC_READ_US) % 1000;
    pins.readsInMs = pins.readsInMs + 1;
    return at < pins.adcHighUs[k] ? v : low;
  };
  return {
    open: (ch) => {
      pins.adcOpen[dec(ch)] = true;
      return true;
    },
    read: (ch) => $multi(get(ch), get(ch)),
    get,
    close: (ch) => {
      pins.adcOpen[dec(ch)] = false;
    },
    CH_CPU: 10,
    CH_VBAT: 11,
  };
}

interface Uart {
  /** Per UART id: received bytes not yet read, the buffer's size, the callbacks. */
  rx: { [id: string]: string };
  size: { [id: string]: number };
  onReceive: { [id: string]: ((this: void, id: number, len: number) => void) | undefined };
  onSent: { [id: string]: ((this: void, id: number, len: number) => void) | undefined };
}

function uartModule(e: Emu, u: Uart): UartModule {
  return {
    setup: (id, _baud, _databits, _stopbits, _parity, _bitOrder, buffSize) => {
      u.rx[dec(id)] = "";
      u.size[dec(id)] = buffSize !== undefined ? buffSize : 1024;
      return 0;
    },
    write: (id, data, len) => {
      const s = len !== undefined ? string.sub(data, 1, len) : data;
      if (u.rx[dec(id)] === undefined) error("uart " + dec(id) + " is not set up");
      emit(e, "uart", [dec(id), s]);
      const fn = u.onSent[dec(id)];
      if (fn !== undefined) {
        const t: EmuTimer = { due: 0, interval: 0, repeat: false, running: false, fn: () => fn(id, 0), seq: 0 };
        armTimer(e, t, 1);
      }
      return s.length;
    },
    read: (id, len) => {
      const buf = u.rx[dec(id)];
      if (buf === undefined) return "";
      u.rx[dec(id)] = string.sub(buf, len + 1);
      return string.sub(buf, 1, len);
    },
    close: (id) => {
      rawset(u.rx, dec(id), undefined);
    },
    on: (id, event, fn) => {
      if (event === "receive") u.onReceive[dec(id)] = fn;
      else u.onSent[dec(id)] = fn;
    },
    exist: (id) => id >= 0 && id <= 3,
    NONE: 0, EVEN: 1, ODD: 2, LSB: 0, MSB: 1,
  };
}

/** Bytes on a UART's RX line: into its buffer (what does not fit is lost), then its receive callback. */
function uartInput(e: Emu, u: Uart, id: number, bytes: string): void {
  const k = dec(id);
  const buf = u.rx[k];
  if (buf === undefined) return;
  const room = u.size[k] - buf.length;
  u.rx[k] = buf + string.sub(bytes, 1, room > 0 ? room : 0);
  const fn = u.onReceive[k];
  if (fn !== undefined) callback(e, () => fn(id, u.rx[k].length));
}

// ---- websocket ----

type WsCallback = (this: void, c: WebsocketClient, event: WebsocketEvent, data: string | undefined, fin: number | undefined, opcode: number | undefined) => void;

interface WsC {
  id: string;
  obj: WebsocketClient;
  url: string;
  keepalive: number;
  headers: string;
  cb: WsCallback | undefined;
  /** 0 idle, 1 connecting, 2 open, 3 released. */
  state: number;
  reconnect: boolean;
  reconnectMs: number;
  timer: EmuTimer;
}

interface Ws {
  seq: number;
  clients: { [id: string]: WsC | undefined };
}

/** The table form of wsc:headers, as luat_lib_websocket.c writes it: "name:" and the value with '*', '-', '.', '_' and ' ' percent-encoded. */
function tableHeaders(t: { [name: string]: string }): string | undefined {
  const out: string[] = [];
  let n = 0;
  for (const [k, v] of pairs(t)) {
    const name = k as string;
    const value = tostring(v as string);
    if (name.length === 0 || value.length === 0 || name.length + value.length > 256 || n + name.length + 1 + value.length * 2 > 1024) return undefined;
    out[out.length] = name + ":";
    for (let i = 1; i <= value.length; i++) {
      const c = string.byte(value, i) as number;
      out[out.length] = c === 42 || c === 45 || c === 46 || c === 95 || c === 32 ? string.format("%%%02X", c) : string.char(c);
    }
    out[out.length] = "\r\n";
    n = string.len(table.concat(out));
  }
  return table.concat(out);
}

function wsConnect(e: Emu, c: WsC): boolean {
  if (c.state !== 0) return false;
  c.state = 1;
  emit(e, "ws", [c.id, "connect", c.url, c.headers, dec(c.keepalive)]);
  return true;
}

function wsClient(e: Emu, ws: Ws, url: string, keepalive: number): WebsocketClient {
  ws.seq = ws.seq + 1;
  const c: WsC = {
    id: dec(ws.seq), obj: undefined as unknown as WebsocketClient, url, keepalive, headers: "", cb: undefined,
    state: 0, reconnect: false, reconnectMs: 3000, timer: { due: 0, interval: 0, repeat: false, running: false, fn: undefined, seq: 0 },
  };
  c.timer.fn = () => {
    if (c.state === 0) wsConnect(e, c);
  };
  const live = () => {
    if (c.state === 3) error("websocket client used after close()");
  };
  c.obj = {
    on: (fn) => {
      live();
      c.cb = fn;
    },
    headers: (h) => {
      live();
      if (type(h) === "string") {
        if ((h as string).length > 1023) return undefined;
        c.headers = h as string;
        return true;
      }
      const s = tableHeaders(h as { [name: string]: string });
      if (s === undefined) return undefined;
      c.headers = s;
      return true;
    },
    connect: () => {
      live();
      return wsConnect(e, c);
    },
    send: (data, _fin, opt) => {
      live();
      if (c.state !== 2 || data.length >= 65535) return false;
      // The module sets FIN on every frame; the byte count it got back turns into false.
      emit(e, "ws", [c.id, "send", opt === 1 ? "2" : "1", data]);
      return false;
    },
    ready: () => c.state === 2,
    autoreconn: (enable, ms) => {
      live();
      c.reconnect = enable;
      c.reconnectMs = ms !== undefined ? math.max(ms, 1000) : 3000;
    },
    close: () => {
      if (c.state === 3) return;
      if (c.state === 1 || c.state === 2) emit(e, "ws", [c.id, "close"]);
      disarmTimer(e, c.timer);
      c.state = 3;
      c.cb = undefined;
      ws.clients[c.id] = undefined;
    },
  } as WebsocketClient;
  ws.clients[c.id] = c;
  return c.obj;
}

function wsInput(e: Emu, ws: Ws, f: string[]): void {
  const c = ws.clients[f[0]];
  if (c === undefined) return;
  const what = f[1];
  const cb = c.cb;
  if (what === "conack") {
    if (c.state !== 1) return;
    c.state = 2;
    if (cb !== undefined) cb(c.obj, "conack", undefined, undefined, undefined);
  } else if (what === "recv") {
    if (c.state === 2 && cb !== undefined) cb(c.obj, "recv", f[4] !== undefined ? f[4] : "", int(f[2]), int(f[3]));
  } else if (what === "sent") {
    if (c.state === 2 && cb !== undefined) cb(c.obj, "sent", undefined, undefined, undefined);
  } else if (what === "disconnect" || what === "error") {
    if (c.state !== 1 && c.state !== 2) return;
    c.state = 0;
    if (c.reconnect) armTimer(e, c.timer, c.reconnectMs);
    if (cb !== undefined) cb(c.obj, what, undefined, undefined, undefined);
  }
}

function websocketModule(e: Emu, ws: Ws): WebsocketModule {
  return {
    create: (_adapter, url, keepaliveS) => {
      if (string.sub(url, 1, 5) !== "ws://" && string.sub(url, 1, 6) !== "wss://") return undefined;
      return wsClient(e, ws, url, keepaliveS !== undefined ? keepaliveS : 60);
    },
  };
}

// ---- the emulation ----

export function emulate(fw: Firmware): Emulation {
  const e = newEmu(true);
  const pins: Pins = { level: {}, irq: {}, output: {}, adc: {}, adcLow: {}, adcHighUs: {}, adcOpen: {}, readMs: -1, readsInMs: 0 };
  const u: Uart = { rx: {}, size: {}, onReceive: {}, onSent: {} };
  const ws: Ws = { seq: 0, clients: {} };
  const rng: Rng = { seed: 1 };
  const s: Sys = { next: 0, timers: {}, subs: {} };
  const kv: Kv = { ready: false };
  e.handle = (kind, f) => {
    if (kind === "ws") wsInput(e, ws, f);
    else if (kind === "uart") uartInput(e, u, int(f[0]), f[1] !== undefined ? f[1] : "");
    else if (kind === "gpio") gpioInput(e, pins, int(f[0]), int(f[1]));
    else if (kind === "adc") {
      pins.adc[f[0]] = int(f[1]);
      pins.adcLow[f[0]] = f[2] !== undefined ? int(f[2]) : undefined;
      pins.adcHighUs[f[0]] = int(f[3]);
    }
    else if (kind === "seed") rng.seed = int(f[0]);
    else if (kind === "ntp") {
      e.rtc = int(f[0]);
      e.rtcAt = e.now;
      emit(e, "rtc", [f[0]]);
    } else error("unknown input " + kind);
  };
  const sys = sysModule(e, s);
  // The modules require finds: sys (the firmware's own sys.lua), and the scripts in LuaDB: the image
  // and the port, whose chunks the harness ran when it loaded them.
  const scripts: { [name: string]: ((this: void) => unknown) | undefined } = { sys: () => sys, ocpp: () => fw };
  // LuatOS's require: the standard one, its searcher looking in the script area (LuaDB) for
  // <name>.luac / <name>.lua, a module loaded once (package.loaded); an unknown name raises
  // "module '<name>' not found" as require does.
  const loaded: { [name: string]: unknown } = {};
  const requireFn = (name: string): unknown => {
    const have = loaded[name];
    if (have !== undefined) return have;
    let f = scripts[name];
    // Any other script uploaded into LuaDB (an OEM's network.lua), compiled from the file.
    const text = f === undefined ? pages.fileText(e, SCRIPTS + name + ".lua") : undefined;
    if (text !== undefined) {
      const [chunk, err] = pages.compileText(text, "@" + SCRIPTS + name + ".lua");
      if (chunk === undefined) return error(err as string);
      f = chunk as (this: void) => unknown;
    }
    if (f === undefined) return error("module '" + name + "' not found: no " + SCRIPTS + name + ".luac or .lua");
    const m = f();
    loaded[name] = m !== undefined ? m : true;
    return loaded[name];
  };
  const globals: { [name: string]: unknown } = {
    require: requireFn,
    websocket: websocketModule(e, ws),
    sys,
    fskv: fskvModule(e, kv),
    io: ioModule(e),
    os: osModule(e),
    crypto: cryptoModule(rng),
    rtos: rtosModule(e),
    mcu: mcuModule(e),
    log: logModule(e),
    gpio: gpioModule(e, pins),
    pwm: pwmModule(e),
    adc: adcModule(e, pins),
    uart: uartModule(e, u),
  };
  return {
    globals,
    attach: (boardRun) => {
      const port = { boardRun };
      scripts["hal-luatos"] = () => port;
      return emuEvent(e, () => pages.runStartFile(e, SCRIPTS + "main.lua"));
    },
    flashBytes: () => emuFlashBytes(e),
  };
}
