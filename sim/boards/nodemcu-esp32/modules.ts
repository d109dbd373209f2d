// Lua side of the NodeMCU ESP32 emulation (dev-esp32): the firmware's modules the port reads (net,
// tmr, file, io, node, crypto, encoder, gpio, ledc, adc, uart, time, print), each typed against its
// interface in hal/nodemcu-esp32/nodemcu-esp32.d.ts, so a function the port may call and this file
// lacks is a type error. Installed as Lua globals before the port's chunk loads; run on lua5.3-f32,
// the ESP32's number model (32-bit integers, single floats), so node.uptime() and time.set() round as
// the firmware's do.
//
// Quirks kept (hal/FIRMWARES.md, components/modules/*.c): net.send raises on "" ("no data to send"),
// raises "buffer error" for more than the free part of lwIP's 5744-byte send buffer, keeps ONE count of
// bytes in flight (a second send before "sent" overwrites it, and "sent" fires when that count reaches
// zero); connect on a used socket and close on a closed one raise; disconnection gets err 0, errors go
// to "reconnection" when one is set. tmr modes are dev-esp32's (SINGLE 0, AUTO 1, SEMI 2). node.uptime()
// is µs as a float. time.set reads its seconds and µs as floats (luaL_checknumber: an epoch rounds to
// 128 s on single floats) and adds them as ESP-IDF's settimeofday does; time.get counts from 0 at
// power-up until set. SPIFFS (../nodemcu-common.ts, files as emu-core's pages): names of at most 31
// bytes, no rename onto an existing name; io writes reach the flash at once (no stdio buffer: a power
// loss keeps every byte written). uart delivers data only
// after uart.start, a whole arrival per callback for count 0. ledc takes duty 0..2^bits.
// Not emulated: bit, sjson (the port does not use them), net servers and UDP, DNS lookups (the driver
// connects by name), crypto hashes other than SHA1 and HMAC, gpio interrupts, time.epoch2cal.
//
// At boot the firmware runs init.lua from SPIFFS, the build's generated start file as the package holds
// it: wifi.start(), then after its boot delay the image and the port from LFS (../nodemcu-common.ts),
// provision.txt applied once and removed, the port's boardRun with the wiring.
//
// Board inputs (Node → here, after "<ms>\t"; sim/boards/README.md):
//   net <id>\tconnected | net <id>\trecv\t<bytes> | net <id>\tsent\t<n acked> | net <id>\tclosed\t<err>
//   gpio <pin>\t<0|1>    adc <channel>\t<raw>    uart <id>\t<bytes>    seed <n>
// Board effects: net <id>\tconnect\t<host>\t<port> | net <id>\tsend\t<bytes> | net <id>\tclose;
//   gpio <pin>\t<0|1>; ledc <pin>\t<Hz>\t<duty>\t<bits>\t<1 running | 0 stopped>;
//   uartcfg <id>\t<baud>\t<mode>; uart <id>\t<bytes>; rtc <epoch>.

import type { Firmware } from "../../../firmware/entry";
import type {
  AdcModule, CryptoModule, FileModule, GpioConfig, GpioModule, IoFile, IoModule, LedcChannel, LedcChannelConfig, LedcModule,
  NetModule, NetSocket, NodeModule, TimeModule, TmrModule, UartModule,
} from "../../../hal/nodemcu-esp32/nodemcu-esp32";
import { idiv } from "../../../firmware/arith";
import { Emu, emit, emuFlashBytes, int, newEmu } from "../emu-core";
import type { Emulation } from "../emu-core";
// One local for the paged files' helpers (the chunk's locals).
import * as pages from "../emu-core";
// One local for the shared NodeMCU parts (the chunk stays under Lua 5.1's 50 locals).
import * as nm from "../nodemcu-common";
import type { FlashIndex, Lfs, TmrKind } from "../nodemcu-common";
import { sha1, sha1Tables } from "./sha1";

/** SPIFFS: the size fsinfo reports. */
const FS_TOTAL = 1400000;
/** lwIP's TCP send buffer (CONFIG_LWIP_TCP_SND_BUF_DEFAULT). */
const SND_BUF = 5744;
const BOARD = "nodemcu-esp32";

function dec(n: number): string {
  return string.format("%d", n);
}

// ---- file, io (SPIFFS) ----

function fileModule(e: Emu): FileModule {
  const spiffs = nm.spiffsFiles(e, FS_TOTAL);
  return { exists: spiffs.exists, remove: spiffs.remove, rename: spiffs.rename, fsinfo: spiffs.fsinfo, list: () => spiffs.list(), format: spiffs.format };
}

interface OpenFile {
  name: string;
  pos: number;
  open: boolean;
  reads: boolean;
  writes: boolean;
  append: boolean;
}

/** A file's pages (it exists while open; removing it under an open handle raises, as indexing nil did). */
function pagesOf(e: Emu, name: string): string[] {
  const f = pages.filePages(e, name);
  if (f === undefined) return error("file removed");
  return f;
}

function ioFile(e: Emu, f: OpenFile): IoFile {
  const check = () => {
    if (!f.open) error("attempt to use a closed file");
  };
  const obj: IoFile = {
    read: (fmt) => {
      check();
      if (!f.reads) return undefined;
      const cur = pagesOf(e, f.name);
      const size = pages.fileSize(cur);
      // Lua 5.3 takes the formats with or without their old '*'.
      if (type(fmt) === "string" && string.sub(fmt as string, 1, 1) === "*") fmt = string.sub(fmt as string, 2) as typeof fmt;
      if (fmt === "a") {
        const rest = pages.fileRead(cur, f.pos + 1, size);
        f.pos = size;
        return rest;
      }
      if (f.pos >= size) return undefined;
      if (fmt === "l" || fmt === "L") {
        const rest = pages.fileRead(cur, f.pos + 1, size);
        const [nl] = string.find(rest, "\n", 1, true);
        const last = nl !== undefined ? nl : rest.length;
        const line = string.sub(rest, 1, fmt === "l" && nl !== undefined ? last - 1 : last);
        f.pos = f.pos + last;
        return line;
      }
      const s = pages.fileRead(cur, f.pos + 1, f.pos + (typeof fmt === "number" ? fmt : size));
      f.pos = f.pos + s.length;
      return s;
    },
    write: (...data) => {
      check();
      if (!f.writes) return $multi(undefined, "Bad file descriptor");
      for (let i = 0; i < data.length; i++) {
        const d = data[i];
        const s = typeof d === "number" ? dec(d) : d;
        const size = pages.fileSize(pagesOf(e, f.name));
        if (f.append || f.pos >= size) {
          pages.fileAppend(e, f.name, s);
          f.pos = size + s.length;
          if (s !== "") emit(e, "fapp", [f.name, s]);
        } else {
          const cur = table.concat(pagesOf(e, f.name));
          const next = string.sub(cur, 1, f.pos) + s + string.sub(cur, f.pos + s.length + 1);
          pages.filePut(e, f.name, next);
          f.pos = f.pos + s.length;
          emit(e, "fput", [f.name, next]);
        }
      }
      return $multi(obj);
    },
    seek: (whence, offset) => {
      check();
      const size = pages.fileSize(pagesOf(e, f.name));
      const w = whence !== undefined ? whence : "cur";
      const to = (w === "set" ? 0 : w === "end" ? size : f.pos) + (offset !== undefined ? offset : 0);
      if (to < 0) return $multi(undefined, "Invalid argument");
      f.pos = to;
      return $multi(to);
    },
    flush: () => {
      check();
      return $multi(obj);
    },
    close: () => {
      check();
      f.open = false;
      return $multi(true);
    },
  };
  return obj;
}

function ioModule(e: Emu): IoModule {
  return {
    open: (name, mode) => {
      const m = mode !== undefined ? mode : "r";
      const kind = string.sub(m, 1, 1);
      const [plus] = string.find(m, "+", 1, true);
      if (name.length === 0 || name.length > nm.MAX_NAME) return $multi(undefined, name + ": File name too long", 91);
      const exists = pages.filePages(e, name) !== undefined;
      if (kind === "r" && !exists) return $multi(undefined, name + ": No such file or directory", 2);
      if (kind !== "r" && kind !== "w" && kind !== "a") return error("bad argument #2 to 'open' (invalid mode)");
      if (kind === "w" || !exists) {
        pages.filePut(e, name, "");
        emit(e, "fput", [name, ""]);
      }
      const f: OpenFile = { name, pos: 0, open: true, reads: kind === "r" || plus !== undefined, writes: kind !== "r" || plus !== undefined, append: kind === "a" };
      return $multi(ioFile(e, f));
    },
  };
}

// ---- tmr ----

const ALARM_SINGLE = 0;
const ALARM_AUTO = 1;
const ALARM_SEMI = 2;

const TMR: TmrKind = { single: ALARM_SINGLE, semi: ALARM_SEMI, auto: ALARM_AUTO, strict: true, rangeError: "Range: 1-6870947" };

function tmrModule(e: Emu): TmrModule {
  return { create: () => nm.tmrTimer(e, TMR), ALARM_SINGLE, ALARM_SEMI, ALARM_AUTO };
}

// ---- node ----

function nodeModule(e: Emu, chip: { id: number }, lfs: Lfs): NodeModule & { flashindex: FlashIndex } {
  return {
    restart: () => {
      emit(e, "restart", []);
      e.dead = true;
    },
    heap: () => 180000,
    uptime: () => {
      // float: esp_timer_get_time() pushed with lua_pushnumber: µs as this VM's float (single on ESP32).
      return $multi(e.usBase / 1 + (e.now / 1) * 1000, 0);
    },
    bootreason: () => $multi(1, 8),
    chipid: () => "0x" + string.format("%x", chip.id),
    chipmodel: () => "esp32",
    info: () => ({}),
    LFS: nm.lfsModule(lfs),
    flashindex: nm.flashindex(lfs),
    task: { post: nm.taskPost(e) as unknown as NodeModule["task"]["post"], LOW_PRIORITY: 0, MEDIUM_PRIORITY: 1, HIGH_PRIORITY: 2 },
    setonerror: () => undefined,
    compile: () => error("node.compile is not emulated"),
  };
}

// ---- crypto ----

const cryptoModule: CryptoModule = {
  new_hash: (algo) => {
    if (string.upper(algo) !== "SHA1") return error("Unsupported algorithm: " + algo + " (only SHA1 is emulated)");
    const parts: string[] = [];
    return {
      update: (data: string) => {
        parts[parts.length] = data;
      },
      finalize: () => sha1(table.concat(parts)),
    };
  },
  new_hmac: () => error("crypto.new_hmac is not emulated"),
};

// ---- net ----

interface Sock {
  obj: NetSocket;
  /** 0 new, 1 connecting, 2 connected, 3 ended by the network (close still allowed), 4 closed. */
  state: number;
  /** net.c's count of bytes in flight (overwritten by each send), and the send buffer's unacked bytes. */
  numSend: number;
  unacked: number;
  on: { [event: string]: ((this: void, sck: NetSocket, arg: unknown) => void) | undefined };
}

interface Net {
  seq: number;
  socks: { [id: string]: Sock | undefined };
}

const NET_EVENTS = ["connection", "receive", "sent", "disconnection", "reconnection"];

function netSocket(e: Emu, net: Net): NetSocket {
  net.seq = net.seq + 1;
  const id = dec(net.seq);
  const s: Sock = { obj: undefined as unknown as NetSocket, state: 0, numSend: 0, unacked: 0, on: {} };
  s.obj = {
    connect: (port: number, host: string) => {
      if (s.state !== 0) error("already connected");
      if (port === 0) error("specify port");
      s.state = 1;
      net.socks[id] = s;
      emit(e, "net", [id, "connect", host, dec(port)]);
    },
    on: (event: string, fn: unknown) => {
      let known = false;
      for (let i = 0; i < NET_EVENTS.length; i++) if (NET_EVENTS[i] === event) known = true;
      if (!known) error("invalid callback name");
      s.on[event] = fn as Sock["on"][string];
    },
    send: (data: string, fn?: unknown) => {
      if (data === "") error("no data to send");
      s.numSend = data.length;
      if (fn !== undefined) s.on["sent"] = fn as Sock["on"][string];
      if (s.state !== 2) error("not connected");
      // netconn_write_partly without blocking: what does not fit is an error for net.c.
      if (s.unacked + data.length > SND_BUF) error("buffer error");
      s.unacked = s.unacked + data.length;
      emit(e, "net", [id, "send", data]);
    },
    close: () => {
      if (s.state === 0 || s.state === 4) error("not connected");
      const was = s.state;
      s.state = 4;
      net.socks[id] = undefined;
      if (was === 1 || was === 2) emit(e, "net", [id, "close"]);
    },
    getpeer: () => $multi(undefined, undefined),
    getaddr: () => $multi(undefined, undefined),
  } as NetSocket;
  return s.obj;
}

function netInput(net: Net, f: string[]): void {
  const s = net.socks[f[0]];
  if (s === undefined) return;
  const what = f[1];
  const fire = (event: string, arg?: unknown) => {
    const fn = s.on[event];
    if (fn !== undefined) fn(s.obj, arg);
  };
  if (what === "connected" && s.state === 1) {
    s.state = 2;
    fire("connection");
  } else if (what === "recv" && s.state === 2) fire("receive", f[2] !== undefined ? f[2] : "");
  else if (what === "sent" && s.state === 2) {
    const n = int(f[2]);
    s.unacked = s.unacked - n;
    s.numSend = s.numSend - n;
    if (s.numSend === 0) fire("sent");
  } else if (what === "closed" && (s.state === 1 || s.state === 2)) {
    s.state = 3;
    const err = int(f[2]);
    if (err !== 0 && s.on["reconnection"] !== undefined) fire("reconnection", err);
    else fire("disconnection", err);
  }
}

function netModule(e: Emu, net: Net): NetModule {
  return {
    createConnection: (type) => {
      if (type !== undefined && type !== 1) error("only TCP is emulated");
      return netSocket(e, net);
    },
    createServer: () => error("net.createServer is not emulated"),
    dns: {
      resolve: () => error("net.dns is not emulated"),
      setdnsserver: () => undefined,
      getdnsserver: () => undefined,
    },
    TCP: 1,
    UDP: 2,
  };
}

// ---- gpio, ledc, adc ----

interface Pins {
  level: { [pin: string]: number };
  adc: { [channel: string]: number };
  adcBits: number;
}

function gpioModule(e: Emu, pins: Pins): GpioModule {
  return {
    config: (...cfgs: GpioConfig[]) => {
      for (let i = 0; i < cfgs.length; i++) {
        const g = cfgs[i].gpio;
        const list = typeof g === "number" ? [g] : g;
        for (let k = 0; k < list.length; k++) if (list[k] < 0 || list[k] > 39) error("invalid pin");
      }
    },
    read: (pin) => {
      const v = pins.level[dec(pin)];
      return v !== undefined ? v : 0;
    },
    write: (pin, level) => {
      const v = level !== 0 ? 1 : 0;
      pins.level[dec(pin)] = v;
      emit(e, "gpio", [dec(pin), dec(v)]);
    },
    trig: () => error("gpio interrupts are not emulated"),
    IN: 1, OUT: 2, IN_OUT: 3, FLOATING: 0, PULL_UP: 1, PULL_DOWN: 2, PULL_UP_DOWN: 3,
    INTR_NONE: 0, INTR_UP: 1, INTR_DOWN: 2, INTR_UP_DOWN: 3, INTR_LOW: 4, INTR_HIGH: 5,
  };
}

interface Channel {
  cfg: LedcChannelConfig;
  duty: number;
  running: boolean;
}

function ledcModule(e: Emu): LedcModule {
  const timers: { [t: string]: number } = {};
  const channels: Channel[] = [];
  const show = (c: Channel) => {
    const bits = c.cfg.bits !== undefined ? c.cfg.bits : 13;
    emit(e, "ledc", [dec(c.cfg.gpio), dec(timers[dec(c.cfg.timer)]), dec(c.duty), dec(bits), c.running ? "1" : "0"]);
  };
  const maxDuty = (c: Channel) => {
    let m = 1;
    for (let i = 0; i < (c.cfg.bits !== undefined ? c.cfg.bits : 13); i++) m = m * 2;
    return m;
  };
  return {
    newChannel: (cfg) => {
      if (cfg.frequency < 1 || cfg.channel < 0 || cfg.channel > 5 || cfg.timer < 0 || cfg.timer > 3) error("channel configuration failed code 258");
      const c: Channel = { cfg, duty: cfg.duty, running: true };
      if (cfg.duty < 0 || cfg.duty > maxDuty(c)) error("channel configuration failed code 258");
      timers[dec(cfg.timer)] = cfg.frequency;
      channels[channels.length] = c;
      show(c);
      const ch: LedcChannel = {
        setduty: (duty) => {
          if (duty < 0 || duty > maxDuty(c)) error("set duty failed, code 258");
          c.duty = duty;
          c.running = true;
          show(c);
        },
        getduty: () => c.duty,
        setfreq: (hz) => {
          timers[dec(cfg.timer)] = hz;
          for (let i = 0; i < channels.length; i++) if (channels[i].cfg.timer === cfg.timer) show(channels[i]);
        },
        getfreq: () => timers[dec(cfg.timer)],
        stop: (idle) => {
          c.running = false;
          c.duty = idle === 1 ? maxDuty(c) : 0;
          show(c);
        },
        reset: () => undefined,
        pause: () => undefined,
        resume: () => undefined,
      };
      return ch;
    },
    HIGH_SPEED: 0, LOW_SPEED: 1, TIMER_0: 0, TIMER_1: 1, TIMER_2: 2,
    TIMER_10_BIT: 10, TIMER_11_BIT: 11, TIMER_12_BIT: 12, TIMER_13_BIT: 13, TIMER_14_BIT: 14,
    CHANNEL_0: 0, CHANNEL_1: 1, CHANNEL_2: 2, CHANNEL_3: 3, CHANNEL_4: 4, CHANNEL_5: 5, IDLE_LOW: 0, IDLE_HIGH: 1,
  };
}

function adcModule(pins: Pins): AdcModule {
  return {
    setwidth: (_adc, bits) => {
      if (bits < 9 || bits > 12) error("invalid width");
      pins.adcBits = bits;
    },
    setup: (_adc, channel) => {
      if (channel < 0 || channel > 7) error("invalid channel");
    },
    read: (_adc, channel) => {
      const v = pins.adc[dec(channel)];
      const full = pins.adcBits === 12 ? 4095 : pins.adcBits === 11 ? 2047 : pins.adcBits === 10 ? 1023 : 511;
      // The inputs are 12-bit readings; a narrower width drops low bits.
      return v === undefined ? 0 : idiv(v * (full + 1), 4096);
    },
    ADC1: 1, ATTEN_0db: 0, ATTEN_2_5db: 1, ATTEN_6db: 2, ATTEN_11db: 3,
  };
}

// ---- uart ----

interface Uart {
  started: boolean;
  fn: ((this: void, data: string) => void) | undefined;
  baud: number;
  mode: number;
}

function uartModule(e: Emu, uarts: { [id: string]: Uart }): UartModule {
  const get = (id: number): Uart => {
    let u = uarts[dec(id)];
    if (u === undefined) {
      u = { started: false, fn: undefined, baud: 115200, mode: 0 };
      uarts[dec(id)] = u;
    }
    return u;
  };
  return {
    setup: (id, baud) => {
      const u = get(id);
      u.baud = baud;
      emit(e, "uartcfg", [dec(id), dec(baud), dec(u.mode)]);
      return baud;
    },
    start: (id) => {
      get(id).started = true;
      return true;
    },
    stop: (id) => {
      get(id).started = false;
    },
    on: (id, event, count, fn) => {
      if (event !== "data") return;
      if (count !== 0) error("uart.on: only count 0 is emulated");
      get(id).fn = fn;
    },
    write: (id, ...data) => {
      const parts: string[] = [];
      for (let i = 0; i < data.length; i++) {
        const d = data[i];
        parts[parts.length] = typeof d === "number" ? string.char(d) : d;
      }
      emit(e, "uart", [dec(id), table.concat(parts)]);
    },
    setmode: (id, mode) => {
      const u = get(id);
      // dev-esp32 platform_uart_setmode ignores uart_set_mode's ESP_ERR_INVALID_STATE: before
      // uart.start has installed the driver, the mode is silently not set.
      if (!u.started) return;
      u.mode = mode;
      emit(e, "uartcfg", [dec(id), dec(u.baud), dec(mode)]);
    },
    getconfig: (id) => $multi(get(id).baud, 8, 0, 1),
    txflush: () => undefined,
    PARITY_NONE: 0, PARITY_EVEN: 2, PARITY_ODD: 3, STOPBITS_1: 1, STOPBITS_1_5: 2, STOPBITS_2: 3,
    MODE_UART: 0, MODE_RS485_HALF_DUPLEX: 1,
  };
}

// ---- time ----

interface Rtc {
  /** µs of the clock past its whole second when it was set (e.rtc, at e.rtcAt). */
  us: number;
}

function timeModule(e: Emu, rtc: Rtc): TimeModule {
  return {
    set: (sec, usec) => {
      // luaL_checknumber / lua_tonumber: both arrive as this VM's floats; settimeofday adds sec * 10^6 + usec.
      // float: the firmware's own conversion (an epoch rounds to 128 s on single floats).
      const s = math.floor(sec / 1);
      // float: as above; µs below 2^31.
      const u = usec !== undefined ? math.floor(usec / 1) : 0;
      const carry = idiv(u, 1000000);
      e.rtc = s + carry;
      e.rtcAt = e.now;
      rtc.us = u - carry * 1000000;
      emit(e, "rtc", [dec(e.rtc)]);
    },
    get: () => {
      // Not set: gettimeofday counts from 0 at power-up.
      const base = e.rtc < 0 ? 0 : e.rtc;
      const ms = e.rtc < 0 ? e.now : e.now - e.rtcAt;
      const us = (ms - idiv(ms, 1000) * 1000) * 1000 + (e.rtc < 0 ? 0 : rtc.us);
      const carry = idiv(us, 1000000);
      return $multi(base + idiv(ms, 1000) + carry, us - carry * 1000000);
    },
    initntp: () => undefined,
    ntpenabled: () => false,
    ntpstop: () => undefined,
    epoch2cal: () => error("time.epoch2cal is not emulated"),
  };
}

// ---- wifi ----

/**
 * The wifi calls of the generated init.lua (https://nodemcu.readthedocs.io/en/dev-esp32/modules/wifi/):
 * wifi.start() starts the interface, which joins the saved station configuration by itself; the
 * network is the host's, so nothing more happens here. Not for the port (board.json has no wifi).
 */
interface WifiModule {
  start(this: void): void;
  stop(this: void): void;
  mode(this: void, m: number, save?: boolean): number;
  getmode(this: void): number;
  STATION: number;
  SOFTAP: number;
  STATIONAP: number;
  NULLMODE: number;
}

function wifiModule(): WifiModule {
  const w = { mode: 1, started: false };
  return {
    start: () => {
      w.started = true;
    },
    stop: () => {
      w.started = false;
    },
    mode: (m) => {
      w.mode = m;
      return m;
    },
    getmode: () => w.mode,
    STATION: 1,
    SOFTAP: 2,
    STATIONAP: 3,
    NULLMODE: 0,
  };
}

// ---- the emulation ----

export function emulate(fw: Firmware): Emulation {
  // Files as pages (emu-core): an append copies at most a page, a read joins only the pages it covers.
  const e = newEmu(true);
  // Built at power-up: seconds of work in fengari that would otherwise land in the first handshake.
  sha1Tables();
  const pins: Pins = { level: {}, adc: {}, adcBits: 12 };
  const uarts: { [id: string]: Uart } = {};
  const net: Net = { seq: 0, socks: {} };
  const chip = { id: 0x2a0b1c };
  const rtc: Rtc = { us: 0 };
  const lfs = nm.newLfs(fw);
  e.handle = (kind, f) => {
    if (kind === "net") netInput(net, f);
    else if (kind === "uart") {
      const u = uarts[f[0]];
      const fn = u !== undefined ? u.fn : undefined;
      // No data callbacks before uart.start.
      if (u !== undefined && u.started && fn !== undefined) fn(f[1]);
    } else if (kind === "gpio") pins.level[f[0]] = int(f[1]);
    else if (kind === "adc") pins.adc[f[0]] = int(f[1]);
    else if (kind === "seed") chip.id = 0x2a0b1c + int(f[0]);
    else error("unknown input " + kind);
  };
  return {
    globals: {
      net: netModule(e, net),
      tmr: tmrModule(e),
      file: fileModule(e),
      io: ioModule(e),
      node: nodeModule(e, chip, lfs),
      wifi: wifiModule(),
      crypto: cryptoModule,
      encoder: nm.encoderModule(),
      gpio: gpioModule(e, pins),
      ledc: ledcModule(e),
      adc: adcModule(pins),
      uart: uartModule(e, uarts),
      time: timeModule(e, rtc),
      print: nm.printFn(e),
    },
    attach: nm.attachPort(e, lfs, BOARD),
    flashBytes: () => emuFlashBytes(e),
  };
}
