// NodeMCU firmware for the ESP32, `dev-esp32` branch (ESP-IDF 4/5, Lua 5.3 as assumed by issue #9:
// 32-bit integers and 32-bit floats): the C modules a port's HAL needs, typed so that a call the
// firmware does not have is a type error.
//
// There is NO websocket and NO tls module on this firmware (no components/modules/websocket.c or
// tls.c): they are deliberately not declared. net sockets are plain TCP (`secure` 1 raises "secure connections not
// enabled" in net.c, whatever the docs say), so a port runs its own WebSocket client over net and cannot offer wss:// (security profiles 2/3).
// The standard `os` library is left out of NodeMCU target builds (docs/lua53.md): file.remove /
// file.rename instead of os.remove / os.rename. File contents go through the standard `io` library.
//
// A module file on purpose: it exports types only, no globals (tsconfig.firmware.json includes
// hal/**/*.ts, so globals here would leak into the core and clash with the other firmwares'). A port
// declares what it uses:
//
//   import type { NodeMcuEsp32 } from "./nodemcu-esp32";
//   declare const net: NodeMcuEsp32["net"];
//   declare const io: NodeMcuEsp32["io"];
//
// Module tables are `/** @noSelf */` interfaces (`net.createConnection()` stays a `.` call); objects
// are interfaces of method signatures (`sck.send(x)` is emitted `sck:send(x)`); callbacks are
// `this: void`.
//
// Sources: https://nodemcu.readthedocs.io/en/dev-esp32/modules/<module>/ and
// https://github.com/nodemcu/nodemcu-firmware/tree/dev-esp32/components/modules (function maps).

/** A callback the firmware calls with the given arguments (no self). */
type Cb<A extends unknown[]> = (this: void, ...args: A) => void;

// ---------------------------------------------------------------------------------------------
// net — https://nodemcu.readthedocs.io/en/dev-esp32/modules/net/   source: components/modules/net.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface NetModule {
  /** A TCP client (type net.TCP, the default). `secure` must be 0 or absent: 1 raises, there is no TLS (net.c). */
  createConnection(type?: number, secure?: 0): NetSocket;
  /** A TCP server; timeout 1..28800 s for an inactive client (default 30). */
  createServer(type?: number, timeoutS?: number): NetServer;
  readonly dns: NetDns;
  readonly TCP: number;
  readonly UDP: number;
}

/** @noSelf */
export interface NetDns {
  /** fn(nil, ip string | nil). */
  resolve(host: string, fn: Cb<[sk: undefined, ip: string | undefined]>): void;
  setdnsserver(ip: string, index: number): void;
  getdnsserver(index: number): string | undefined;
}

/** A TCP client socket (hold/unhold were removed upstream). */
export interface NetSocket {
  /** Port, then IP address or host name (resolved by the module). */
  connect(port: number, host: string): void;
  on(event: "connection", fn: Cb<[sck: NetSocket]> | undefined): void;
  /** Fired per received TCP segment: a message may arrive in pieces, or several at once. */
  on(event: "receive", fn: Cb<[sck: NetSocket, data: string]> | undefined): void;
  on(event: "sent", fn: Cb<[sck: NetSocket]> | undefined): void;
  /**
   * err: an lwIP error code (0 for a normal close by the peer). With a "reconnection" handler set,
   * errors go there and only normal closes to "disconnection".
   */
  on(event: "disconnection" | "reconnection", fn: Cb<[sck: NetSocket, err: number]> | undefined): void;
  /** Queues data (fn as a one-off "sent" handler). Raises on an empty string ("no data to send"). */
  send(data: string, fn?: Cb<[sck: NetSocket]>): void;
  close(): void;
  /** port, ip of the peer; nil, nil when not connected. */
  getpeer(): LuaMultiReturn<[number, string] | [undefined, undefined]>;
  /** Local port, ip; nil, nil when not connected. */
  getaddr(): LuaMultiReturn<[number, string] | [undefined, undefined]>;
}

/** A listening TCP server. */
export interface NetServer {
  listen(port: number, fn: Cb<[sck: NetSocket]>): void;
  listen(port: number, ip: string, fn: Cb<[sck: NetSocket]>): void;
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// tmr — https://nodemcu.readthedocs.io/en/dev-esp32/modules/tmr/   source: components/modules/tmr.c
// Only timer objects: no tmr.now() / tmr.time() on this branch (uptime: node.uptime()). Resolution
// is the FreeRTOS tick (10 ms at the default 100 Hz).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface TmrModule {
  create(): TmrTimer;
  /** One-shot: unregisters itself after firing. */
  readonly ALARM_SINGLE: number;
  /** Fires once, then waits for `t:start()`. */
  readonly ALARM_SEMI: number;
  /** Repeats until stopped. */
  readonly ALARM_AUTO: number;
}

/** A timer from `tmr.create()`. Intervals 1..6870947 ms. */
export interface TmrTimer {
  /** register + start; true if started. */
  alarm(intervalMs: number, mode: number, fn: Cb<[t: TmrTimer]>): boolean;
  register(intervalMs: number, mode: number, fn: Cb<[t: TmrTimer]>): void;
  /** true if started, false if it was running already; raises if not registered. */
  start(): boolean;
  /** true if it was running. */
  stop(): boolean;
  unregister(): void;
  interval(intervalMs: number): void;
  /** running, mode; nil when not registered. */
  state(): LuaMultiReturn<[boolean, number] | [undefined]>;
}

// ---------------------------------------------------------------------------------------------
// file — https://nodemcu.readthedocs.io/en/dev-esp32/modules/file/   source: components/modules/file.c
// Metadata only: contents go through io. fsinfo/format act on the default SPIFFS partition; SPIFFS
// rename onto an existing name fails (https://github.com/pellepl/spiffs/blob/master/src/spiffs_hydrogen.c).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface FileModule {
  exists(name: string): boolean;
  /** Removes a file; no result. */
  remove(name: string): void;
  /** true on success, false on error (e.g. `newName` exists on SPIFFS). */
  rename(oldName: string, newName: string): boolean;
  /** remaining, used, total bytes of the default SPIFFS partition. */
  fsinfo(): LuaMultiReturn<[number, number, number]>;
  /** name → size in bytes of a directory (default "/"). */
  list(dir?: string): LuaTable<string, number>;
  /** Erases the default SPIFFS partition. */
  format(): void;
}

// ---------------------------------------------------------------------------------------------
// io — the standard Lua 5.3 io library (https://www.lua.org/manual/5.3/manual.html#6.8), which
// dev-esp32 uses for file contents (nodemcu.readthedocs.io/en/dev-esp32/modules/file/).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface IoModule {
  /** A file handle, or nil, message, errno. Modes as C fopen ("rb", "wb", "ab", "r+b", ...). */
  open(path: string, mode?: string): LuaMultiReturn<[IoFile] | [undefined, string, number]>;
}

/** A standard Lua file handle. */
export interface IoFile {
  /** n bytes (nil at EOF), or "a" (all, "" at EOF) / "l" (a line). */
  read(format: number | "a" | "l" | "L"): string | undefined;
  /** The handle, or nil, message. */
  write(...data: (string | number)[]): LuaMultiReturn<[IoFile] | [undefined, string]>;
  /** New position from the start, or nil, message; whence default "cur", offset 0. */
  seek(whence?: "set" | "cur" | "end", offset?: number): LuaMultiReturn<[number] | [undefined, string]>;
  /** Writes buffered data to the file system. */
  flush(): LuaMultiReturn<[IoFile] | [undefined, string]>;
  close(): LuaMultiReturn<[true] | [undefined, string]>;
}

// ---------------------------------------------------------------------------------------------
// node — https://nodemcu.readthedocs.io/en/dev-esp32/modules/node/   source: components/modules/node.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface NodeModule {
  restart(): void;
  /** Free heap in bytes. */
  heap(): number;
  /**
   * Microseconds since boot, as (low, high). On a float build the first value is a lua_Number: on
   * single floats it keeps 24 bits, so seconds derived from it are approximate (but never decrease).
   */
  uptime(): LuaMultiReturn<[number, number]>;
  /** rawcode (1 power-on, 2 sw reset, 3 hw/other, 4 WDT), extended reason (IDF reset reason + 7) [, panic value]. */
  bootreason(): LuaMultiReturn<number[]>;
  /** "0x…" hex string (ESP32 only, not on S2/S3/C3). */
  chipid(): string;
  /** The IDF target, e.g. "esp32". */
  chipmodel(): string;
  info(group: "lfs" | "hw" | "sw_version" | "build_config"): { [key: string]: number | string | boolean };
  /** The Lua Flash Store. */
  readonly LFS: NodeLfs;
  readonly task: NodeTask;
  /** Replaces the handler of uncaught errors (default: print and restart after 2 s). */
  setonerror(fn?: Cb<[message: string]>): void;
  compile(name: string): void;
}

/** @noSelf */
export interface NodeLfs {
  get(moduleName: string): ((this: void, ...args: unknown[]) => unknown) | undefined;
  /** Loads an LFS image and restarts; an error message if the image is bad. */
  reload(imageName: string): string | undefined;
  list(): string[] | undefined;
  readonly time: number | undefined;
  readonly config: { lfs_mapped: number; lfs_base: number; lfs_size: number; lfs_used: number };
}

/** @noSelf */
export interface NodeTask {
  post(fn: Cb<[priority: number]>): void;
  post(priority: number, fn: Cb<[priority: number]>): void;
  readonly LOW_PRIORITY: number;
  readonly MEDIUM_PRIORITY: number;
  readonly HIGH_PRIORITY: number;
}

// ---------------------------------------------------------------------------------------------
// crypto — https://nodemcu.readthedocs.io/en/dev-esp32/modules/crypto/   source: components/modules/crypto.c
// Streaming objects only (no one-shot crypto.hash); each algorithm only if enabled in Kconfig.
// ---------------------------------------------------------------------------------------------

export type HashAlgo = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

/** @noSelf */
export interface CryptoModule {
  /** Case-insensitive algorithm name; raises "Unsupported algorithm" if not built in. */
  new_hash(algo: HashAlgo): CryptoHasher;
  /** HMAC with key (may be binary). */
  new_hmac(algo: HashAlgo, key: string): CryptoHasher;
}

export interface CryptoHasher {
  update(data: string): void;
  /** Binary digest (encoder.toHex for hex). */
  finalize(): string;
}

// ---------------------------------------------------------------------------------------------
// encoder — https://nodemcu.readthedocs.io/en/dev-esp32/modules/encoder/
// bit — https://nodemcu.readthedocs.io/en/dev-esp32/modules/bit/
// sjson — https://nodemcu.readthedocs.io/en/dev-esp32/modules/sjson/
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface EncoderModule {
  toBase64(data: string): string;
  fromBase64(b64: string): string;
  toHex(data: string): string;
  fromHex(hex: string): string;
}

/** @noSelf */
export interface BitModule {
  band(a: number, ...b: number[]): number;
  bor(a: number, ...b: number[]): number;
  bxor(a: number, ...b: number[]): number;
  bnot(a: number): number;
  lshift(a: number, n: number): number;
  rshift(a: number, n: number): number;
  arshift(a: number, n: number): number;
  bit(n: number): number;
  isset(a: number, n: number): boolean;
}

/** @noSelf */
export interface SjsonModule {
  encode(value: object, opts?: { depth?: number; null?: unknown }): string;
  decode(json: string, opts?: { metatable?: object; null?: unknown }): unknown;
}

// ---------------------------------------------------------------------------------------------
// gpio — https://nodemcu.readthedocs.io/en/dev-esp32/modules/gpio/   Pins are GPIO numbers.
// ---------------------------------------------------------------------------------------------

export interface GpioConfig {
  gpio: number | number[];
  /** gpio.IN, gpio.OUT or gpio.IN_OUT. */
  dir: number;
  /** 1: open drain (outputs). */
  opendrain?: 0 | 1;
  /** gpio.FLOATING (default), PULL_UP, PULL_DOWN, PULL_UP_DOWN. */
  pull?: number;
}

/** @noSelf */
export interface GpioModule {
  config(...cfg: GpioConfig[]): void;
  read(pin: number): number;
  write(pin: number, level: number): void;
  /** Interrupt (gpio.INTR_*); fn(pin, level) runs as a task; INTR_NONE removes it. */
  trig(pin: number, type?: number, fn?: Cb<[pin: number, level: number]>): void;
  readonly IN: number;
  readonly OUT: number;
  readonly IN_OUT: number;
  readonly FLOATING: number;
  readonly PULL_UP: number;
  readonly PULL_DOWN: number;
  readonly PULL_UP_DOWN: number;
  readonly INTR_NONE: number;
  readonly INTR_UP: number;
  readonly INTR_DOWN: number;
  readonly INTR_UP_DOWN: number;
  readonly INTR_LOW: number;
  readonly INTR_HIGH: number;
}

// ---------------------------------------------------------------------------------------------
// ledc (PWM) — https://nodemcu.readthedocs.io/en/dev-esp32/modules/ledc/   source: components/modules/ledc.c
// ---------------------------------------------------------------------------------------------

export interface LedcChannelConfig {
  gpio: number;
  /** Duty resolution in bits (default 13: duty 0..8191). */
  bits?: number;
  /** ledc.HIGH_SPEED (ESP32 only) or ledc.LOW_SPEED. */
  mode: number;
  /** ledc.TIMER_0.. (channels on one timer share its frequency). */
  timer: number;
  /** ledc.CHANNEL_0.. */
  channel: number;
  /** Hz (1 kHz for a control pilot). */
  frequency: number;
  /** Initial duty, 0..2^bits - 1. */
  duty: number;
  invert?: boolean;
}

/** @noSelf */
export interface LedcModule {
  /** Configures timer and channel and starts output; raises on an IDF error. */
  newChannel(cfg: LedcChannelConfig): LedcChannel;
  readonly HIGH_SPEED: number;
  readonly LOW_SPEED: number;
  readonly TIMER_0: number;
  readonly TIMER_1: number;
  readonly TIMER_2: number;
  readonly TIMER_10_BIT: number;
  readonly TIMER_11_BIT: number;
  readonly TIMER_12_BIT: number;
  readonly TIMER_13_BIT: number;
  readonly TIMER_14_BIT: number;
  readonly CHANNEL_0: number;
  readonly CHANNEL_1: number;
  readonly CHANNEL_2: number;
  readonly CHANNEL_3: number;
  readonly CHANNEL_4: number;
  readonly CHANNEL_5: number;
  readonly IDLE_LOW: number;
  readonly IDLE_HIGH: number;
}

export interface LedcChannel {
  /** Sets and applies the duty (0..2^bits - 1). */
  setduty(duty: number): void;
  getduty(): number;
  /** Hz, for the channel's timer. */
  setfreq(hz: number): void;
  getfreq(): number;
  /** Stops output at the idle level (ledc.IDLE_LOW / IDLE_HIGH). */
  stop(idleLevel: number): void;
  reset(): void;
  pause(): void;
  resume(): void;
}

// ---------------------------------------------------------------------------------------------
// adc — https://nodemcu.readthedocs.io/en/dev-esp32/modules/adc/   source: components/modules/adc.c
// Only ADC1 is exposed (ADC2 is unusable while WiFi runs).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface AdcModule {
  /** Sample width in bits (9..12) for adc.ADC1. */
  setwidth(adc: number, bits: number): void;
  /** Channel attenuation (adc.ATTEN_*: 11 dB reads up to ~3.3 V). */
  setup(adc: number, channel: number, atten: number): void;
  /** Raw sample; raises on a read error. */
  read(adc: number, channel: number): number;
  readonly ADC1: number;
  readonly ATTEN_0db: number;
  readonly ATTEN_2_5db: number;
  readonly ATTEN_6db: number;
  readonly ATTEN_11db: number;
}

// ---------------------------------------------------------------------------------------------
// uart — https://nodemcu.readthedocs.io/en/dev-esp32/modules/uart/   source: components/modules/uart.c
// ---------------------------------------------------------------------------------------------

export interface UartPins {
  tx: number;
  rx: number;
  cts?: number;
  rts?: number;
  tx_inverse?: boolean;
  rx_inverse?: boolean;
  flow_control?: number;
}

/** @noSelf */
export interface UartModule {
  /** Returns the baud rate set; a non-console UART takes its pins here. */
  setup(id: number, baud: number, databits: number, parity: number, stopbits: number, pins?: UartPins): number;
  /** Starts a non-console UART: no "data" callbacks before it. true on success. */
  start(id: number): boolean;
  stop(id: number): void;
  /**
   * Data callback: every byte (0), every n ≤ 255 bytes, or at an end character; fn(data) only.
   * "error" reports UART errors as text.
   */
  on(id: number, event: "data" | "error", countOrEndChar: number | string, fn: Cb<[data: string]> | undefined, runInput?: 0 | 1): void;
  /** Writes and waits until sent. Numbers are single bytes. */
  write(id: number, ...data: (string | number)[]): void;
  /** uart.MODE_UART or an RS-485 mode (MODE_RS485_HALF_DUPLEX drives RTS for the transceiver). */
  setmode(id: number, mode: number): void;
  /** baud, databits, parity, stopbits. */
  getconfig(id: number): LuaMultiReturn<[number, number, number, number]>;
  txflush(id: number): void;
  readonly PARITY_NONE: number;
  readonly PARITY_EVEN: number;
  readonly PARITY_ODD: number;
  readonly STOPBITS_1: number;
  readonly STOPBITS_1_5: number;
  readonly STOPBITS_2: number;
  readonly MODE_UART: number;
  readonly MODE_RS485_HALF_DUPLEX: number;
}

// ---------------------------------------------------------------------------------------------
// time — https://nodemcu.readthedocs.io/en/dev-esp32/modules/time/   source: components/modules/time.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface TimeModule {
  /**
   * Sets the system clock. The seconds are read with luaL_checknumber: on a single-float build an
   * epoch (> 2^24) is rounded to a multiple of 128 s on the way in.
   */
  set(sec: number, usec?: number): void;
  /** sec, usec since the epoch (integers). */
  get(): LuaMultiReturn<[number, number]>;
  /** Starts SNTP (default "pool.ntp.org"). */
  initntp(server?: string): void;
  ntpenabled(): boolean;
  ntpstop(): void;
  /** UTC calendar fields of an epoch. */
  epoch2cal(sec: number): { year: number; mon: number; day: number; hour: number; min: number; sec: number; yday: number; wday: number };
}

// ---------------------------------------------------------------------------------------------
// Every global a port may use, by its Lua name.
// ---------------------------------------------------------------------------------------------

export interface NodeMcuEsp32 {
  net: NetModule;
  tmr: TmrModule;
  file: FileModule;
  io: IoModule;
  node: NodeModule;
  crypto: CryptoModule;
  encoder: EncoderModule;
  bit: BitModule;
  sjson: SjsonModule;
  gpio: GpioModule;
  ledc: LedcModule;
  adc: AdcModule;
  uart: UartModule;
  time: TimeModule;
  print: (this: void, ...args: (string | number | boolean | undefined)[]) => void;
}
