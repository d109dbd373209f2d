// The hardware abstraction: the only door between the portable core and a board.
//
// The core calls these functions and never blocks in them; the board calls the image's entry
// points (the Firmware table of firmware/entry.ts, docs/porting.md) for everything that happens
// outside. Each board (hal/sim, later the NodeMCU and LuatOS ports) implements this table once.

export interface MeterReading {
  /** Energy.Active.Import.Register, integer Wh (32-bit safe up to 2.1 GWh). */
  energyWh: number;
  /** Power.Active.Import, integer W. */
  powerW: number;
  /** Current.Import, A (decimal). */
  currentA: number;
  /** Voltage, V (decimal). */
  voltageV: number;
}

export interface Hal {
  // ---- transport: one OCPP-J WebSocket ----
  /** Opens the WebSocket; the board later calls stationOpened or stationClosed. auth is "user:password" or undefined (Part 4 §6.3: Basic auth). */
  connect(url: string, subprotocol: string, auth: string | undefined, pingIntervalS: number): void;
  /**
   * Sends one text frame made of these parts, in order. A board writes them out one after another
   * (the WebSocket header needs only their total length), so a large frame is never joined in RAM.
   */
  send(parts: string[]): void;
  /** Closes the WebSocket. */
  disconnect(): void;

  // ---- time ----
  /** Monotonic integer seconds since power-up. */
  uptime(): number;
  /** Battery-backed wall clock in epoch seconds, or undefined when the board has none or it was never set. */
  rtcEpoch(): number | undefined;
  setRtcEpoch(epoch: number): void;
  /** Uniform integer in [0, n). */
  random(n: number): number;

  // ---- storage: small key/value records in flash ----
  load(key: string): string | undefined;
  save(key: string, value: string): void;
  erase(key: string): void;

  // ---- per-EVSE hardware ----
  setRelay(evseId: number, closed: boolean): void;
  readMeter(evseId: number): MeterReading;
  setLock(evseId: number, connectorId: number, locked: boolean): void;

  // ---- system ----
  reboot(): void;
  /** level: 1 error, 2 warning, 3 info, 4 debug. */
  log(level: number, msg: string): void;
}
