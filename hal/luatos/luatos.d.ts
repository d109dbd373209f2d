// LuatOS (Lua 5.3; 32-bit VM — int32 and single floats — unless the BSP defines
// LUAT_CONF_VM_64bit): the libraries a port's HAL needs, typed so that a call the firmware does not
// have is a type error. Applications run as `sys` tasks (coroutines) and callbacks; main.lua ends
// with sys.run().
//
// A module file on purpose: it exports types only, no globals (tsconfig.firmware.json includes
// hal/**/*.ts, so globals here would leak into the core and clash with NodeMCU's `websocket`,
// `gpio`, ...). A port declares what it uses:
//
//   import type { LuatOS } from "./luatos";
//   declare const websocket: LuatOS["websocket"];
//   declare const sys: LuatOS["sys"];
//
// Library tables are `/** @noSelf */` interfaces (`sys.wait(10)` stays a `.` call); objects are
// interfaces of method signatures (`wsc.send(x)` is emitted `wsc:send(x)`); callbacks are `this: void`.
//
// Sources: https://wiki.luatos.com/api/<lib>.html (generated from the C sources' @api comments,
// repository openLuat/luatos-wiki, api/<lib>.md) and https://github.com/openLuat/LuatOS
// (components/network/websocket/, luat/modules/).

/** A callback the firmware calls with the given arguments (no self). */
type Cb<A extends unknown[]> = (this: void, ...args: A) => void;

// ---------------------------------------------------------------------------------------------
// websocket — https://wiki.luatos.com/api/websocket.html
// source: components/network/websocket/luat_lib_websocket.c, luat_websocket.c
// ---------------------------------------------------------------------------------------------

export type WebsocketEvent = "conack" | "recv" | "sent" | "disconnect" | "error";

/** @noSelf */
export interface WebsocketModule {
  /**
   * A client for ws:// or wss:// (port 80/443 unless given), or nil. adapter: a socket.* adapter or
   * nil for the default one. keepaliveS: ping interval base, default 60 (a ping goes after 0.75 of
   * it without traffic; builds since 2024-04-28). wss:// does not verify the server certificate
   * (network_init_tls(netc, 0)) and has no client certificate.
   */
  create(adapter: number | undefined, url: string, keepaliveS?: number, useIpv6?: boolean): WebsocketClient | undefined;
}

/**
 * A websocket client. The handshake sends a fixed Sec-WebSocket-Key and checks only "HTTP/1.1 101":
 * neither Sec-WebSocket-Accept nor the subprotocol is checked. A received frame (header included)
 * must fit the receive buffer — 4096 B in the 2023 sources, 8 KB (32 KB with PSRAM) in current
 * builds per issue #9 — and 64-bit lengths are refused: the connection is dropped.
 */
export interface WebsocketClient {
  /**
   * One callback for every event. "recv": data, fin (1 last fragment), opcode (1 text, 2 binary,
   * 0 continuation): fragments are delivered one by one, the port joins them. "conack": handshake
   * done; "sent": the frame left (TCP ack); "disconnect": closed or failed (also on a server close
   * frame). "error" is listed by issue #9 for current builds (not in the stored sources).
   */
  on(fn: Cb<[c: WebsocketClient, event: WebsocketEvent, data: string | undefined, fin: number | undefined, opcode: number | undefined]>): void;
  /**
   * Extra handshake headers. The table form percent-encodes '*', '-', '.', '_' and ' ' in values
   * ("Basic abc" → "Basic%20abc", "ocpp2.0.1" → "ocpp2%2E0%2E1") and limits name+value to 256 B:
   * pass the raw string form, "Name: value\r\n…" (at most 1023 B). true when stored.
   */
  headers(headers: string | { [name: string]: string }): boolean | undefined;
  /** Starts connecting; true if started (the outcome comes as "conack" or "disconnect"). */
  connect(): boolean;
  /**
   * One frame, masked; true if handed to TCP, false if not ready. Payload < 65535 B. opt 1: binary
   * frame, otherwise text. fin is documented (0: more fragments follow) but the stored sources
   * always set FIN.
   */
  send(data: string, fin?: 0 | 1, opt?: 0 | 1): boolean;
  /** true between "conack" and "disconnect". */
  ready(): boolean;
  /** Reconnects by itself after a disconnect, every ms (≥ 1000, default 3000). */
  autoreconn(enable: boolean, ms?: number): void;
  /** Closes and releases the client: it cannot be used again. */
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// sys — https://wiki.luatos.com/api/sys.html (the Lua library script/corelib/sys.lua)
// ---------------------------------------------------------------------------------------------

/** A task's coroutine (opaque). */
export interface SysTask {
  readonly __sysTask: never;
}

/** @noSelf */
export interface SysModule {
  /** Starts fn(...args) as a task (a coroutine); only tasks may call wait/waitUntil. */
  taskInit<A extends unknown[]>(fn: (this: void, ...args: A) => void, ...args: A): SysTask;
  /** Suspends the calling task for ms (> 0). */
  wait(ms: number): unknown;
  /** Suspends the calling task until topic is published (true, data…) or ms passed (false). */
  waitUntil(topic: string, ms?: number): LuaMultiReturn<[boolean, ...unknown[]]>;
  /** Publishes topic with data to subscribers and waiting tasks. */
  publish(topic: string, ...data: unknown[]): void;
  /** fn(data…) on every publish of topic; it is not a task (no wait inside). */
  subscribe(topic: string, fn: (this: void, ...data: any[]) => void): void;
  unsubscribe(topic: string, fn: (this: void, ...data: any[]) => void): void;
  /** One-shot timer: fn(...args) after ms (not a task); returns its id. */
  timerStart<A extends unknown[]>(fn: (this: void, ...args: A) => void, ms: number, ...args: A): number;
  /** Repeating timer every ms; returns its id. */
  timerLoopStart<A extends unknown[]>(fn: (this: void, ...args: A) => void, ms: number, ...args: A): number;
  /** Stops a timer by id (or by its function). */
  timerStop(id: number | ((this: void, ...args: any[]) => void)): void;
  /** The main loop: the last statement of main.lua; does not return. */
  run(): void;
}

// ---------------------------------------------------------------------------------------------
// fskv — https://wiki.luatos.com/api/fskv.html   source: components/fskv/luat_lib_fskv.c
// Key-value store in its own flash area, survives power loss, wear-levelled.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface FskvModule {
  /** Once before use; true on success. */
  init(): boolean;
  /** key: non-empty, ≤ 63 B; value: string/number/boolean/table (not nil), ≤ 4095 B stored. */
  set(key: string, value: string | number | boolean | object): boolean;
  /** The value, or nil. With skey: a field of a stored table. */
  get(key: string, skey?: string): unknown;
  del(key: string): boolean;
  /** Erases every key. */
  clear(): boolean;
  /** used bytes, total bytes, number of keys. */
  status(): LuaMultiReturn<[number, number, number]>;
}

// ---------------------------------------------------------------------------------------------
// io — https://wiki.luatos.com/api/io.html   The standard Lua 5.3 io library plus LuatOS helpers.
// Paths are absolute ("/data.bin"); files flashed with the script are read-only under /luadb/.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface IoModule {
  /** A file handle, or nil, message. Modes as C fopen ("rb", "wb", "ab", "r+b", ...). */
  open(path: string, mode?: string): LuaMultiReturn<[IoFile] | [undefined, string]>;
  exists(path: string): boolean;
  /** Size in bytes, or nil if there is no such file. */
  fileSize(path: string): number | undefined;
  /** The whole file (mind the RAM), or nil. */
  readFile(path: string): string | undefined;
  /** Writes (replaces) the whole file; true on success. */
  writeFile(path: string, data: string): boolean;
  /** success, low-level result. */
  mkdir(path: string): LuaMultiReturn<[boolean, number]>;
}

/** A standard Lua file handle. */
export interface IoFile {
  /** n bytes (nil at EOF), or "a"/"*a" (all) / "l"/"*l" (a line). */
  read(format: number | "a" | "l" | "*a" | "*l"): string | undefined;
  write(...data: (string | number)[]): LuaMultiReturn<[IoFile] | [undefined, string]>;
  /** New position from the start, or nil, message; whence default "cur", offset 0. */
  seek(whence?: "set" | "cur" | "end", offset?: number): LuaMultiReturn<[number] | [undefined, string]>;
  flush(): LuaMultiReturn<[IoFile] | [undefined, string]>;
  close(): LuaMultiReturn<[true] | [undefined, string]>;
}

// ---------------------------------------------------------------------------------------------
// os — the standard Lua 5.3 os library (https://www.lua.org/manual/5.3/manual.html#6.9)
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface OsModule {
  /** true, or nil, message. */
  remove(path: string): LuaMultiReturn<[true] | [undefined, string]>;
  /** true, or nil, message. */
  rename(oldPath: string, newPath: string): LuaMultiReturn<[true] | [undefined, string]>;
  /** Epoch seconds of the RTC (only meaningful once the clock was set, e.g. by NTP). */
  time(): number;
}

// ---------------------------------------------------------------------------------------------
// crypto — https://wiki.luatos.com/api/crypto.html   source: luat/modules/luat_lib_crypto.c
// Digests come back as UPPERCASE hex strings (not binary). Note the argument order (data, key).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface CryptoModule {
  md5(data: string): string;
  hmac_md5(data: string, key: string): string;
  sha1(data: string): string;
  hmac_sha1(data: string, key: string): string;
  sha256(data: string): string;
  hmac_sha256(data: string, key: string): string;
  sha512(data: string): string;
  hmac_sha512(data: string, key: string): string;
  base64_encode(data: string): string;
  base64_decode(b64: string): string;
  /** CRC-16/MODBUS of data (init 0xFFFF, poly 0xA001 reflected), as an integer. */
  crc16_modbus(data: string): number;
  /** CRC-16 by method name ("MODBUS", "CCITT", "XMODEM", ...). */
  crc16(method: string, data: string): number;
  crc32(data: string): number;
  /** len random bytes from the hardware RNG. */
  trng(len: number): string;
}

// ---------------------------------------------------------------------------------------------
// rtos — https://wiki.luatos.com/api/rtos.html   mcu — https://wiki.luatos.com/api/mcu.html
// log — https://wiki.luatos.com/api/log.html
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface RtosModule {
  /** total, used, peak used bytes of the Lua heap ("lua", the default) or the system heap ("sys"). */
  meminfo(type?: "lua" | "sys"): LuaMultiReturn<[number, number, number]>;
  reboot(): void;
  /** Firmware version, e.g. "V1107". */
  version(): string;
  /** Board support package, e.g. "EC618". */
  bsp(): string;
}

/** @noSelf */
export interface McuModule {
  /** Ticks since boot; overflows (may turn negative). */
  ticks(): number;
  /** Ticks per second (usually 1000). */
  hz(): number;
  /** The chip's unique id (binary; "" if unsupported). */
  unique_id(): string;
}

/** @noSelf */
export interface LogModule {
  info(tag: string, ...args: unknown[]): void;
  warn(tag: string, ...args: unknown[]): void;
  error(tag: string, ...args: unknown[]): void;
  debug(tag: string, ...args: unknown[]): void;
}

// ---------------------------------------------------------------------------------------------
// gpio — https://wiki.luatos.com/api/gpio.html   Pins are the chip's GPIO numbers.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface GpioModule {
  /** Output at the given level (0/1); returns a setter closure. */
  setup(pin: number, level: number, pull?: number): (this: void, level: number) => void;
  /** Input (mode nil); returns a getter closure. */
  setup(pin: number, mode: undefined, pull?: number): (this: void) => number;
  /** Interrupt: fn(level) on edges (irq default gpio.BOTH); returns a getter closure. */
  setup(pin: number, fn: Cb<[level: number]>, pull?: number, irq?: number): (this: void) => number;
  set(pin: number, level: number): void;
  get(pin: number): number;
  /** Back to high impedance, interrupt off. */
  close(pin: number): void;
  /** Debounce: ms (0 off); mode 0 report then cool down, 1 report after a stable level. */
  debounce(pin: number, ms: number, mode?: 0 | 1): void;
  readonly LOW: number;
  readonly HIGH: number;
  readonly PULLUP: number;
  readonly PULLDOWN: number;
  readonly RISING: number;
  readonly FALLING: number;
  readonly BOTH: number;
}

// ---------------------------------------------------------------------------------------------
// pwm — https://wiki.luatos.com/api/pwm.html
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface PwmModule {
  /**
   * Starts a PWM channel at hz (1..1000000) with duty 0..precision. precision 100 (default: duty in
   * %), 256 or 1000 where the chip supports it (a control pilot wants 1000). pulses 0: continuous.
   * true on success.
   */
  open(channel: number, hz: number, duty: number, pulses?: number, precision?: 100 | 256 | 1000): boolean;
  close(channel: number): void;
}

// ---------------------------------------------------------------------------------------------
// adc — https://wiki.luatos.com/api/adc.html
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface AdcModule {
  /** Opens a channel (device-specific ids from 0); true on success. */
  open(channel: number): boolean;
  /** raw value, converted value (usually mV). */
  read(channel: number): LuaMultiReturn<[number, number]>;
  /** The converted value (usually mV), -1 on failure. */
  get(channel: number): number;
  close(channel: number): void;
  readonly CH_CPU: number;
  readonly CH_VBAT: number;
}

// ---------------------------------------------------------------------------------------------
// uart — https://wiki.luatos.com/api/uart.html   Note the order: stop bits before parity.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface UartModule {
  /**
   * 0 on success. RS-485: rs485Gpio drives the transceiver direction (rs485Level: its level while
   * receiving, rs485DelayUs: TX→RX turnaround).
   */
  setup(
    id: number,
    baud?: number,
    databits?: 7 | 8,
    stopbits?: number,
    parity?: number,
    bitOrder?: number,
    buffSize?: number,
    rs485Gpio?: number,
    rs485Level?: number,
    rs485DelayUs?: number,
  ): number;
  /** Bytes queued. */
  write(id: number, data: string, len?: number): number;
  /** Up to len buffered bytes ("" when none). */
  read(id: number, len: number): string;
  close(id: number): void;
  /** "receive": fn(id, len) — read them with uart.read; "sent": fn(id) when the TX buffer is empty. */
  on(id: number, event: "receive" | "sent", fn: Cb<[id: number, len: number]>): void;
  exist(id: number): boolean;
  readonly NONE: number;
  readonly EVEN: number;
  readonly ODD: number;
  readonly LSB: number;
  readonly MSB: number;
}

// ---------------------------------------------------------------------------------------------
// Every global a port may use, by its Lua name.
// ---------------------------------------------------------------------------------------------

export interface LuatOS {
  websocket: WebsocketModule;
  sys: SysModule;
  fskv: FskvModule;
  io: IoModule;
  os: OsModule;
  crypto: CryptoModule;
  rtos: RtosModule;
  mcu: McuModule;
  log: LogModule;
  gpio: GpioModule;
  pwm: PwmModule;
  adc: AdcModule;
  uart: UartModule;
}
