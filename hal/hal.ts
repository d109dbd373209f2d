// The hardware abstraction: the only door between the portable core and a board.
//
// The core calls these functions and never blocks in them; the board calls the image's entry
// points (the Firmware table of firmware/entry.ts, docs/porting.md) for everything that happens
// outside. Each board (hal/sim, later the NodeMCU and LuatOS ports) implements this table once.

/**
 * One reading of an EVSE's energy meter. Integers only, in the units a meter register gives, so
 * every VM (32-bit integers, single floats) carries them exactly; the core formats the decimals.
 */
export interface MeterReading {
  /** Energy.Active.Import.Register, integer Wh (32-bit safe up to 2.1 GWh). */
  energyWh: number;
  /** Power.Active.Import, integer W (sum of the phases). */
  powerW: number;
  /** Current.Import per phase L1, L2, L3 in 0.1 A; as many entries as the EVSE has phases wired. */
  currentDa: number[];
  /** Voltage per phase (L-N) in 0.1 V; same length as currentDa. */
  voltageDv: number[];
  /** The EV's state of charge in whole percent, or -1 when the EV does not report one. */
  socPercent: number;
}

/** The second transport's functions (Hal.netOpen …) on a board that has them. */
export interface NetHal {
  netOpen(host: string, port: number, tls: boolean): void;
  netSend(parts: string[]): void;
  netClose(): void;
}

export interface Hal {
  // ---- transport: one OCPP-J WebSocket ----
  /** Opens the WebSocket; the board later calls the image's opened or closed entry. auth is "user:password" or undefined (HTTP Basic authentication, Part 2 A00.FR.202-204). */
  connect(url: string, subprotocol: string, auth: string | undefined, pingIntervalS: number): void;
  /**
   * Sends one text frame made of these parts, in order. A board writes them out one after another
   * (the WebSocket header needs only their total length), so a large frame is never joined in RAM.
   */
  send(parts: string[]): void;
  /** Closes the WebSocket. */
  disconnect(): void;

  // ---- second transport (optional): one TCP byte stream, for a local EMS over MQTT (profiles/ems) ----
  /**
   * Opens a TCP connection (over TLS when tls and the board has it; one at a time: an open replaces the
   * last, and no "closed" comes any more for it, nor for an earlier netClose); the board later calls the
   * image's `net` entry point with "opened" or "closed", then "data".
   */
  netOpen?(host: string, port: number, tls: boolean): void;
  /** Writes these bytes, in order, to the open connection. */
  netSend?(parts: string[]): void;
  /** Closes the connection: the board then reports "closed" once. */
  netClose?(): void;

  // ---- time ----
  /** Monotonic integer seconds since power-up. */
  uptime(): number;
  /** Battery-backed wall clock in epoch seconds, or undefined when the board has none or it was never set. */
  rtcEpoch(): number | undefined;
  setRtcEpoch(epoch: number): void;
  /** Uniform integer in [0, n). */
  random(n: number): number;

  // ---- storage: named byte files in flash ----
  /** The whole file, or undefined when absent (small records: settings, counters). */
  load(key: string): string | undefined;
  /** Replaces the file; on a board with rename, written aside and renamed, so it is never torn. */
  save(key: string, value: string): void;
  erase(key: string): void;
  /**
   * Appends the parts, one after the other, at the end of the file (creating it): the journal's
   * only write (a record in pieces: its header, body and checksum are never joined in RAM). Returns
   * false when the write failed (flash full, I/O error). A power loss may leave any prefix of the bytes.
   */
  append(key: string, parts: string[]): boolean;
  /** Bytes [offset, offset + length) of the file (fewer at its end), or undefined when absent; offset from 0. */
  read(key: string, offset: number, length: number): string | undefined;
  /** Length of the file in bytes, 0 when absent. */
  size(key: string): number;

  // ---- per-EVSE hardware (IEC 61851) ----
  /** Closes or opens the contactor of an EVSE. */
  setRelay(evseId: number, closed: boolean): void;
  /** The contactor's feedback contact: true when it is really closed (a welded relay shows here). */
  relayClosed(evseId: number): boolean;
  readMeter(evseId: number): MeterReading;
  /** Control pilot state seen on the EVSE: "A" (no EV), "B" (EV connected), "C"/"D" (EV wants energy), "E", "F" (fault). */
  pilotState(evseId: number): string;
  /**
   * The current offered to the EV through the pilot's PWM duty cycle, in 0.1 A per phase; 0 offers
   * nothing (no PWM: the EV must not draw). The board clamps it to its hardware limits.
   */
  setPilotOffer(evseId: number, deciAmps: number): void;
  setLock(evseId: number, connectorId: number, locked: boolean): void;
  /** The lock's feedback: true when the connector is really locked. */
  lockState(evseId: number, connectorId: number): boolean;
  /** Is a cable plugged into this connector (plug detection / proximity)? */
  plugged(evseId: number, connectorId: number): boolean;

  // ---- system ----
  reboot(): void;
  /** level: 1 error, 2 warning, 3 info, 4 debug. */
  log(level: number, msg: string): void;
}
