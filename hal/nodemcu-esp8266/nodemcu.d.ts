// NodeMCU firmware for the ESP8266, `dev` branch (Lua 5.1; Lua 5.3 on builds made with LUA=53): the
// C modules a port's HAL needs, typed so that a call the firmware does not have is a type error.
//
// A module file on purpose: it exports types only, no globals. tsconfig.firmware.json includes
// hal/**/*.ts, so global declarations here would be seen by the firmware core and would merge with
// the other firmwares' (three different `websocket`s). A port declares the globals it uses itself:
//
//   import type { NodeMcuEsp8266 } from "./nodemcu";
//   declare const tmr: NodeMcuEsp8266["tmr"];
//   declare const websocket: NodeMcuEsp8266["websocket"];
//
// `import type` is erased by TSTL; `tmr.create()` then reads the Lua global `tmr`.
// How TSTL calls (tsconfig `noImplicitSelf`): a module table is a `/** @noSelf */` interface, so
// `tmr.create()` stays a `.` call; an object (timer, socket, client, file, hasher) is an interface
// of method signatures, so `t.start()` is emitted as `t:start()`. Callbacks are `this: void`
// functions: the firmware calls them without a self.
//
// Sources: https://nodemcu.readthedocs.io/en/dev/modules/<module>/ and
// https://github.com/nodemcu/nodemcu-firmware/tree/dev/app/modules (function maps checked there).

/** A callback the firmware calls with the given arguments (no self). */
type Cb<A extends unknown[]> = (this: void, ...args: A) => void;

// ---------------------------------------------------------------------------------------------
// websocket — https://nodemcu.readthedocs.io/en/dev/modules/websocket/
// source: app/modules/websocket.c, app/websocket/websocketclient.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface WebsocketModule {
  /** A new client; reusable after a close (callbacks kept). Call `ws:close()` before dropping it. */
  createClient(): WebsocketClient;
}

/** A websocket client: RFC 6455, answers pings, pings itself every 30 s, reassembles fragments. */
export interface WebsocketClient {
  /**
   * Extra request headers. Sent by default: `User-Agent: ESP8266` and `Sec-WebSocket-Protocol: chat`;
   * a header given here with the same name (case-insensitive) replaces the default one.
   */
  config(params: { headers?: { [name: string]: string } }): void;
  /** Connected: the 101 response arrived with the right Sec-WebSocket-Accept (the subprotocol is not checked). */
  on(event: "connection", fn: Cb<[ws: WebsocketClient]> | undefined): void;
  /** A whole message (fragments joined by the module); opcode 1 text, 2 binary. */
  on(event: "receive", fn: Cb<[ws: WebsocketClient, msg: string, opcode: number]> | undefined): void;
  /**
   * Closed, or failed to open (also for every error). status 0: closed by us or gracefully; -1..-4 bad
   * URL; -5 DNS failed; -6 server closed; -7 bad Sec-WebSocket-Accept; -8..-16 out of memory or bad
   * FIN sequence; -17 not 101 Switching Protocols; -18 connect timeout (10 s); -19 no pong to 2
   * pings; -99..-999 espconn errors. The server's close code is not passed on.
   */
  on(event: "close", fn: Cb<[ws: WebsocketClient, status: number]> | undefined): void;
  /** ws:// or wss:// (TLS as in the tls module: ~25-30 KB heap for the handshake). */
  connect(url: string): void;
  /**
   * One frame, sent whole (FIN set, masked). opcode default 1 (text). Raises when not connected.
   * The length goes through an unsigned short: keep a message under 65536 bytes.
   */
  send(message: string, opcode?: number): void;
  /** Close frame, then the TCP connection after 5 s at most; harmless when not connected. */
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// tmr — https://nodemcu.readthedocs.io/en/dev/modules/tmr/   source: app/modules/tmr.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface TmrModule {
  /** A timer object (the static timers 0-6 were removed in 2019). */
  create(): TmrTimer;
  /** System counter in µs, 31 bits: wraps to 0 after 2^31 µs (~35.8 minutes). */
  now(): number;
  /** Uptime in seconds, 31 bits (wraps after ~68 years). */
  time(): number;
  /** Busy-waits µs: blocks everything, WiFi included. Only for very short peripheral delays. */
  delay(us: number): void;
  /** Software watchdog: restart unless re-armed within timeout_s; negative disables. */
  softwd(timeoutS: number): void;
  /** Feeds the system watchdog. */
  wdclr(): void;
  /** CPU cycle counter (32 bits, wraps; negative when bit 31 is set). */
  ccount(): number;
  /** One-shot: unregisters itself after firing. */
  readonly ALARM_SINGLE: number;
  /** Fires once, then waits for `t:start()`. */
  readonly ALARM_SEMI: number;
  /** Repeats until stopped. */
  readonly ALARM_AUTO: number;
}

/** A timer from `tmr.create()`. Intervals 1..6870947 ms (1:54:30.947). */
export interface TmrTimer {
  /** register + start; true if started. */
  alarm(intervalMs: number, mode: number, fn: Cb<[t: TmrTimer]>): boolean;
  /** Configures, does not start. */
  register(intervalMs: number, mode: number, fn: Cb<[t: TmrTimer]>): void;
  /** Starts or restarts; true if started. */
  start(): boolean;
  /** Stops without unregistering; true if it was running. */
  stop(): boolean;
  /** Stops and drops the callback (not needed for ALARM_SINGLE after it fired). */
  unregister(): void;
  /** Changes the interval of a registered timer. */
  interval(intervalMs: number): void;
  /** running, mode; nil when not registered. */
  state(): LuaMultiReturn<[boolean, number] | [undefined]>;
}

// ---------------------------------------------------------------------------------------------
// file — https://nodemcu.readthedocs.io/en/dev/modules/file/   source: app/modules/file.c
// SPIFFS: flat, names up to 31 bytes; rename onto an existing name fails (SPIFFS_ERR_CONFLICTING_NAME,
// https://github.com/pellepl/spiffs/blob/master/src/spiffs_hydrogen.c): remove the target first.
// ---------------------------------------------------------------------------------------------

export type FileMode = "r" | "w" | "a" | "r+" | "w+" | "a+";

/** @noSelf */
export interface FileModule {
  /** A file object, or nil (read modes: no such file). Several may be open (SPIFFS_MAX_OPEN_FILES). */
  open(name: string, mode?: FileMode): FileObj | undefined;
  /** Writes the whole file ("w+"); true, or nil on error. */
  putcontents(name: string, contents: string): true | undefined;
  /** The whole file, or nil if it does not exist (it is read into RAM at once). */
  getcontents(name: string): string | undefined;
  /** Removes a file (it must not be open). */
  remove(name: string): void;
  /** true on success, false on error (e.g. `newName` exists). */
  rename(oldName: string, newName: string): boolean;
  exists(name: string): boolean;
  /** remaining, used, total bytes. */
  fsinfo(): LuaMultiReturn<[number, number, number]>;
  /** name → size in bytes; `pattern` is a Lua pattern. */
  list(pattern?: string): LuaTable<string, number>;
  /** Erases the whole file system (seconds). */
  format(): void;
}

/** An open file (object model of the file module). */
export interface FileObj {
  /**
   * Up to n bytes (default and safe chunk 1024; allocates 2n on the heap), or up to and including the
   * single character given; nil at EOF.
   */
  read(nOrChar?: number | string): string | undefined;
  /** Up to and including the next "\n" (at most 1024 bytes); nil at EOF. */
  readline(): string | undefined;
  /** true, or nil on error. */
  write(s: string): true | undefined;
  writeline(s: string): true | undefined;
  /** Pending writes to flash (close flushes too). */
  flush(): void;
  /** New position from the start, or nil on error; whence defaults to "cur", offset to 0. */
  seek(whence?: "set" | "cur" | "end", offset?: number): number | undefined;
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// node — https://nodemcu.readthedocs.io/en/dev/modules/node/   source: app/modules/node.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface NodeModule {
  /** Restarts the chip (does not return to Lua normally). */
  restart(): void;
  /** Free heap in bytes (fragmented: an allocation this large may still fail). ~44 KB for a port. */
  heap(): number;
  chipid(): number;
  flashid(): number;
  /** Flash size in bytes. */
  flashsize(): number;
  /** rawcode, reason (0 power-on, 1 hw WDT, 2 exception, 3 sw WDT, 4 sw restart, 5 deep-sleep wake, 6 external) [, exccause, epc1, epc2, epc3, excvaddr, depc]. */
  bootreason(): LuaMultiReturn<number[]>;
  /** Build/hardware information by group ("lfs", "hw", "sw_version", "build_config"). */
  info(group: "lfs" | "hw" | "sw_version" | "build_config"): { [key: string]: number | string | boolean };
  /** Integer in [1, u] or [l, u] from the hardware RNG. */
  random(l: number, u?: number): number;
  /** The Lua Flash Store. */
  readonly LFS: NodeLfs;
  /** Runs fn(priority) as a new task after the current one (priority: node.task.*_PRIORITY). */
  readonly task: NodeTask;
  /** CPU clock in MHz (80 or 160). */
  getcpufreq(): number;
  /** Replaces the handler of uncaught errors (default: print and restart after 2 s). */
  setonerror(fn?: Cb<[message: string]>): void;
  /** Compiles name.lua to name.lc. */
  compile(name: string): void;
  /** Deep sleep for us µs (0: until reset). */
  dsleep(us: number, option?: number, instant?: number): void;
}

/** @noSelf */
export interface NodeLfs {
  /** A module's loader function from LFS, or nil. */
  get(moduleName: string): ((this: void, ...args: unknown[]) => unknown) | undefined;
  /** Loads an LFS image file and reboots; returns an error message if the image is bad. */
  reload(imageName: string): string | undefined;
  /** The module names in LFS. */
  list(): string[] | undefined;
  /** Build time of the LFS image (Unix seconds), via the table's __index. */
  readonly time: number | undefined;
  /** lfs_mapped, lfs_base, lfs_size, lfs_used, via the table's __index. */
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
// net — https://nodemcu.readthedocs.io/en/dev/modules/net/   source: app/modules/net.c
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface NetModule {
  /** A TCP client socket (TLS is the tls module's createConnection). */
  createConnection(): NetSocket;
  readonly dns: NetDns;
}

/** @noSelf */
export interface NetDns {
  /** fn(nil, ip string | nil). */
  resolve(host: string, fn: Cb<[sk: undefined, ip: string | undefined]>): void;
}

/** A TCP client socket. */
export interface NetSocket {
  /** Port, then IP address or host name (resolved by the module). */
  connect(port: number, host: string): void;
  on(event: "connection", fn: Cb<[sck: NetSocket]> | undefined): void;
  /** Fired once per TCP segment (≤ 1460 bytes): a message may arrive in pieces. */
  on(event: "receive", fn: Cb<[sck: NetSocket, data: string]> | undefined): void;
  on(event: "sent", fn: Cb<[sck: NetSocket]> | undefined): void;
  /** err: the error code; with a "reconnection" handler set, only normal closes come here. */
  on(event: "disconnection" | "reconnection", fn: Cb<[sck: NetSocket, err: number]> | undefined): void;
  /**
   * Queues data; fn is called when it was sent. Several send() calls in a row are not guaranteed to
   * work: send the next chunk from the "sent" callback.
   */
  send(data: string, fn?: Cb<[sck: NetSocket]>): void;
  close(): void;
  /** Throttles receiving. */
  hold(): void;
  unhold(): void;
  /** port, ip; nil, nil when not connected. */
  getpeer(): LuaMultiReturn<[number, string] | [undefined, undefined]>;
}

// ---------------------------------------------------------------------------------------------
// tls — https://nodemcu.readthedocs.io/en/dev/modules/tls/   source: app/modules/tls.c
// mbedTLS, TLS 1.2; handshake needs 25-30 KB of heap; fragments of at most 4 KiB by default (the
// whole ServerHello with the certificate chain must fit); older module docs also state no SNI.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface TlsModule {
  createConnection(): TlsSocket;
  readonly cert: TlsCert;
}

/** @noSelf */
export interface TlsCert {
  /**
   * Server certificate verification. A function(index) returning the CA PEM(s) one by one (nil
   * ends) is the current interface; true/false or a PEM string (stored to flash) is deprecated.
   * Default at boot: off.
   */
  verify(arg: boolean | string | ((this: void, index: number) => string | undefined)): boolean;
  /**
   * Client certificate (mutual TLS): a function(index) returning certificate then key PEM, or the
   * deprecated true/false/PEM string ("CERTIFICATE" then "RSA PRIVATE KEY", stored to flash).
   */
  auth(arg: boolean | string | ((this: void, index: number) => string | undefined)): boolean;
}

/** A TLS client socket (same events as net plus "dns"). */
export interface TlsSocket {
  connect(port: number, host: string): void;
  on(event: "connection", fn: Cb<[sck: TlsSocket]> | undefined): void;
  on(event: "receive", fn: Cb<[sck: TlsSocket, data: string]> | undefined): void;
  on(event: "sent", fn: Cb<[sck: TlsSocket]> | undefined): void;
  on(event: "disconnection", fn: Cb<[sck: TlsSocket]> | undefined): void;
  /** reason: the connection error, as a string. */
  on(event: "reconnection", fn: Cb<[sck: TlsSocket, reason: string]> | undefined): void;
  on(event: "dns", fn: Cb<[sck: TlsSocket, ip: string | undefined]> | undefined): void;
  /** As net: wait for "sent" before the next send. */
  send(data: string): void;
  close(): void;
  hold(): void;
  unhold(): void;
  /** ip, port (note: the reverse order of net's getpeer); nil, nil when not connected. */
  getpeer(): LuaMultiReturn<[string, number] | [undefined, undefined]>;
}

// ---------------------------------------------------------------------------------------------
// crypto — https://nodemcu.readthedocs.io/en/dev/modules/crypto/   source: app/modules/crypto.c
// ---------------------------------------------------------------------------------------------

/** MD2 only in builds that enable it. */
export type HashAlgo = "MD5" | "SHA1" | "SHA256" | "SHA384" | "SHA512";

/** @noSelf */
export interface CryptoModule {
  /** Binary digest (not hex). */
  hash(algo: HashAlgo, data: string): string;
  /** Binary HMAC of data with key. */
  hmac(algo: HashAlgo, data: string, key: string): string;
  new_hash(algo: HashAlgo): CryptoHasher;
  new_hmac(algo: HashAlgo, key: string): CryptoHasher;
  /** Lowercase hex of a binary string. */
  toHex(data: string): string;
}

/** A streaming digest. */
export interface CryptoHasher {
  update(data: string): void;
  /** Binary digest. */
  finalize(): string;
}

// ---------------------------------------------------------------------------------------------
// encoder — https://nodemcu.readthedocs.io/en/dev/modules/encoder/
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface EncoderModule {
  toBase64(data: string): string;
  /** Raises on invalid input. */
  fromBase64(b64: string): string;
  /** Lowercase hex. */
  toHex(data: string): string;
  fromHex(hex: string): string;
}

// ---------------------------------------------------------------------------------------------
// bit — https://nodemcu.readthedocs.io/en/dev/modules/bit/ (the subset bans bitwise operators)
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface BitModule {
  band(a: number, ...b: number[]): number;
  bor(a: number, ...b: number[]): number;
  bxor(a: number, ...b: number[]): number;
  bnot(a: number): number;
  lshift(a: number, n: number): number;
  /** Logical shift. */
  rshift(a: number, n: number): number;
  arshift(a: number, n: number): number;
  /** 1 << n. */
  bit(n: number): number;
  isset(a: number, n: number): boolean;
}

// ---------------------------------------------------------------------------------------------
// gpio — https://nodemcu.readthedocs.io/en/dev/modules/gpio/   Pins are NodeMCU I/O indexes 0..12
// (D0 = GPIO16, 1 = GPIO5, 2 = GPIO4, ...), not GPIO numbers; index 0 has no interrupt/PWM.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface GpioModule {
  /** mode: OUTPUT, OPENDRAIN, INPUT or INT; pullup: PULLUP or FLOAT (default). */
  mode(pin: number, mode: number, pullup?: number): void;
  /** 0 or 1. */
  read(pin: number): number;
  write(pin: number, level: number): void;
  /**
   * Interrupt on pins 1-12 (the pin in INT mode). fn(level, when µs on the tmr.now() base,
   * eventcount elided); "none" or no type removes it.
   */
  trig(pin: number, type?: "up" | "down" | "both" | "low" | "high" | "none", fn?: Cb<[level: number, when: number, eventcount: number]>): void;
  readonly OUTPUT: number;
  readonly OPENDRAIN: number;
  readonly INPUT: number;
  readonly INT: number;
  readonly PULLUP: number;
  readonly FLOAT: number;
  readonly HIGH: number;
  readonly LOW: number;
}

// ---------------------------------------------------------------------------------------------
// pwm — https://nodemcu.readthedocs.io/en/dev/modules/pwm/   Software PWM: at most 6 pins (1-12),
// one frequency for all of them, 1..1000 Hz, duty 0..1023 (10 bits).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface PwmModule {
  setup(pin: number, clockHz: number, duty: number): void;
  start(pin: number): void;
  stop(pin: number): void;
  /** duty 0..1023. */
  setduty(pin: number, duty: number): void;
  getduty(pin: number): number;
  /** 1..1000 Hz; changes every PWM pin (one frequency for the system). */
  setclock(pin: number, clockHz: number): void;
  getclock(pin: number): number;
  /** Leaves PWM mode. */
  close(pin: number): void;
}

// ---------------------------------------------------------------------------------------------
// adc — https://nodemcu.readthedocs.io/en/dev/modules/adc/   One 10-bit channel (TOUT), 0..1.0 V.
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface AdcModule {
  /** channel 0 only: 0..1023. Only in INIT_ADC mode (see force_init_mode). */
  read(channel: 0): number;
  /** Supply voltage in mV (only in INIT_VDD33 mode, TOUT unconnected). */
  readvdd33(): number;
  /** Sets the ADC mode stored in flash (INIT_ADC: TOUT, INIT_VDD33: supply); true if it changed: restart then. */
  force_init_mode(mode: number): boolean;
  readonly INIT_ADC: number;
  readonly INIT_VDD33: number;
}

// ---------------------------------------------------------------------------------------------
// uart — https://nodemcu.readthedocs.io/en/dev/modules/uart/   UART 1 is transmit-only: receiving
// (a Modbus meter) needs UART 0, shared with the console (uart.alt(1) moves it to GPIO13/15).
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface UartModule {
  /** Returns the baud rate set. echo 0 disables the console echo. */
  setup(id: 0 | 1, baud: number, databits: 5 | 6 | 7 | 8, parity: number, stopbits: number, echo?: 0 | 1): number;
  /** 1: UART 0 on GPIO13 (RX) / GPIO15 (TX), 0: standard pins. */
  alt(on: 0 | 1): void;
  /**
   * UART 0 data callback: every byte (0), every n ≤ 255 bytes, or at a given end character.
   * runInput 0 keeps the data away from the Lua interpreter (binary safe). No fn: unregisters.
   */
  on(event: "data", countOrEndChar?: number | string, fn?: Cb<[data: string]>, runInput?: 0 | 1): void;
  /** Strings, or numbers sent as single bytes. */
  write(id: 0 | 1, ...data: (string | number)[]): void;
  /** baud, databits, parity, stopbits. */
  getconfig(id: 0 | 1): LuaMultiReturn<[number, number, number, number]>;
  readonly PARITY_NONE: number;
  readonly PARITY_EVEN: number;
  readonly PARITY_ODD: number;
  readonly STOPBITS_1: number;
  readonly STOPBITS_1_5: number;
  readonly STOPBITS_2: number;
}

// ---------------------------------------------------------------------------------------------
// rtctime — https://nodemcu.readthedocs.io/en/dev/modules/rtctime/ (survives deep sleep, not power loss)
// sntp — https://nodemcu.readthedocs.io/en/dev/modules/sntp/
// sjson — https://nodemcu.readthedocs.io/en/dev/modules/sjson/
// ---------------------------------------------------------------------------------------------

/** @noSelf */
export interface RtctimeModule {
  /** Sets the clock: epoch seconds (+ µs, + rate). */
  set(sec: number, usec?: number, rate?: number): void;
  /** sec, usec, rate; 0, 0 when never set. */
  get(): LuaMultiReturn<[number, number, number]>;
  /** UTC calendar fields of an epoch. */
  epoch2cal(sec: number): { year: number; mon: number; day: number; hour: number; min: number; sec: number; yday: number; wday: number };
}

/** @noSelf */
export interface SntpModule {
  /** Queries the server(s) and sets rtctime; fn(sec, usec, server, info), errFn(code, text). */
  sync(
    server?: string | string[],
    fn?: Cb<[sec: number, usec: number, server: string, info: unknown]>,
    errFn?: Cb<[code: number, text: string]>,
    autorepeat?: 0 | 1,
  ): void;
}

/** @noSelf */
export interface SjsonModule {
  /** Raises on tables it cannot encode. */
  encode(value: object, opts?: { depth?: number; null?: unknown }): string;
  /** Raises on invalid JSON. */
  decode(json: string, opts?: { metatable?: object; null?: unknown }): unknown;
}

// ---------------------------------------------------------------------------------------------
// Every global a port may use, by its Lua name.
// ---------------------------------------------------------------------------------------------

export interface NodeMcuEsp8266 {
  websocket: WebsocketModule;
  tmr: TmrModule;
  file: FileModule;
  node: NodeModule;
  net: NetModule;
  tls: TlsModule;
  crypto: CryptoModule;
  encoder: EncoderModule;
  bit: BitModule;
  gpio: GpioModule;
  pwm: PwmModule;
  adc: AdcModule;
  uart: UartModule;
  rtctime: RtctimeModule;
  sntp: SntpModule;
  sjson: SjsonModule;
  /** Lua's print: the serial console (or node.output's redirect). */
  print: (this: void, ...args: (string | number | boolean | undefined)[]) => void;
}
