// A simulated Eastron SDM630 on the RS-485 bus of an emulated board: a Modbus RTU slave that answers
// 0x04 Read Input Registers (and 0x03 alike) from the meter's live values, as IEEE-754 single floats,
// high word first, with a correct CRC-16/MODBUS. Registers it does not have read as 0.0 (as the
// SDM630 does for reserved addresses); a request for another address gets no answer; a request
// with a bad CRC, none (the real meter stays silent too).

/** The meter's values now: V and A per phase (L1..L3), W in all, kWh imported, Hz. */
export interface MeterValues {
  voltageV: number[];
  currentA: number[];
  powerW: number;
  energyKwh: number;
  frequencyHz: number;
}

export function crc16(bytes: Buffer): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** The float at an SDM630 input register address (0-based, even: the high word). */
function registerValue(v: MeterValues, addr: number): number {
  if (addr <= 0x0004) return v.voltageV[addr / 2] ?? 0;
  if (addr <= 0x000a) return v.currentA[(addr - 6) / 2] ?? 0;
  if (addr === 0x0034) return v.powerW;
  if (addr === 0x0046) return v.frequencyHz;
  if (addr === 0x0048) return v.energyKwh;
  return 0;
}

export class Sdm630Slave {
  /** Requests answered and refused (bad CRC or another slave's), for tests. */
  answered = 0;
  ignored = 0;
  private buf = Buffer.alloc(0);

  constructor(
    readonly address: number,
    private readonly values: () => MeterValues,
  ) {}

  /** Bytes from the bus: the response to a whole request, or undefined (none yet, or none due). */
  receive(bytes: Buffer): Buffer | undefined {
    this.buf = Buffer.concat([this.buf, bytes]);
    if (this.buf.length < 8) return undefined;
    // A read request is 8 bytes; anything else on the line is dropped with it (the meter resyncs on silence).
    const req = this.buf.subarray(0, 8);
    this.buf = Buffer.alloc(0);
    if (crc16(req.subarray(0, 6)) !== req.readUInt16LE(6) || req[0] !== this.address || (req[1] !== 3 && req[1] !== 4)) {
      this.ignored++;
      return undefined;
    }
    const start = req.readUInt16BE(2);
    const count = req.readUInt16BE(4);
    if (count < 1 || count > 125) return this.exception(req[1], 3);
    const data = Buffer.alloc(count * 2);
    const vals = this.values();
    for (let r = 0; r < count; r += 2) {
      const f = Buffer.alloc(4);
      f.writeFloatBE(registerValue(vals, start + r), 0);
      f.copy(data, r * 2, 0, Math.min(4, (count - r) * 2));
    }
    this.answered++;
    return this.frame(Buffer.concat([Buffer.from([this.address, req[1], count * 2]), data]));
  }

  private exception(fn: number, code: number): Buffer {
    return this.frame(Buffer.from([this.address, fn + 0x80, code]));
  }

  private frame(body: Buffer): Buffer {
    const crc = Buffer.alloc(2);
    crc.writeUInt16LE(crc16(body), 0);
    return Buffer.concat([body, crc]);
  }
}
