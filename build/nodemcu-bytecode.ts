// NodeMCU's Lua 5.1 loads bytecode in PUC Lua 5.1's format with one change: the instruction and line
// vectors start on a 4-byte boundary (counted from the end of the header), so that code loaded into
// flash can run where it lies. NodeMCU's loader skips the padding bytes (Align4 after the vector's
// count in LoadCode and LoadDebug:
// https://github.com/nodemcu/nodemcu-firmware/blob/dev/app/lua/lundump.c); unpadded PUC bytecode
// fails there ("bad constant in precompiled chunk", checked with NodeMCU's luac.cross -e).
//
// nodemcu51 rewrites the build's stripped PUC 5.1 bytecode (little-endian, int and size_t of 4 bytes,
// 8-byte numbers: what sim/runtimes compileStripped writes, and NodeMCU's float firmware reads) into
// that layout, with the main function's source set to `source` when given: luac.cross -f, which takes
// bytecode files as well as sources, names an LFS module after it ("@ocpp.lua": ocpp). Checked by hand
// against NodeMCU's own cross-compiler (dev ca8d008a): without a source name, the same bytes as
// `luac.cross -s` on the same Lua source; the image and the port load and run under `luac.cross -e`;
// `luac.cross -f` on the files names the modules. Never a dependency of the build.

import { BuildError } from "./compile";

const HEADER = 12;

export function nodemcu51(dump: string, source?: string): string {
  if (dump.length < HEADER || dump.slice(0, 5) !== "\x1bLuaQ") throw new BuildError("not Lua 5.1 bytecode");
  // Format 0, little-endian, int 4, size_t 4, Instruction 4, lua_Number 8, floating point.
  if (dump.slice(5, HEADER) !== "\x00\x01\x04\x04\x04\x08\x00") throw new BuildError("Lua 5.1 bytecode of another machine (NodeMCU wants little-endian, 4-byte ints, 8-byte floats)");
  let at = HEADER;
  const out: string[] = [dump.slice(0, HEADER)];
  let written = 0;
  const copy = (n: number) => {
    if (at + n > dump.length) throw new BuildError("truncated Lua 5.1 bytecode");
    out.push(dump.slice(at, at + n));
    at += n;
    written += n;
  };
  const int32 = (i: number) => (dump.charCodeAt(i) | (dump.charCodeAt(i + 1) << 8) | (dump.charCodeAt(i + 2) << 16) | (dump.charCodeAt(i + 3) << 24)) >>> 0;
  const int = () => {
    const v = int32(at);
    copy(4);
    return v;
  };
  const align = () => {
    const pad = (4 - (written % 4)) % 4;
    out.push("\0".repeat(pad));
    written += pad;
  };
  const str = () => copy(int());
  const fn = (main: boolean): void => {
    if (main && source !== undefined) {
      // The main function's source names the module in an LFS image built from the bytecode.
      const len = source.length + 1;
      out.push(String.fromCharCode(len & 255, (len >> 8) & 255, (len >> 16) & 255, len >>> 24), source, "\0");
      written += 4 + len;
      at += 4 + int32(at);
    } else str();
    copy(8 + 4); // linedefined, lastlinedefined; nups, numparams, is_vararg, maxstacksize
    const code = int();
    align();
    copy(code * 4);
    const nk = int();
    for (let i = 0; i < nk; i++) {
      const t = dump.charCodeAt(at);
      copy(1);
      if (t === 1) copy(1); // boolean
      else if (t === 3) copy(8); // number
      else if (t === 4) str();
      else if (t !== 0) throw new BuildError(`bad constant type ${t} in Lua 5.1 bytecode`);
    }
    const np = int();
    for (let i = 0; i < np; i++) fn(false);
    const lines = int();
    align();
    copy(lines * 4);
    const locals = int();
    for (let i = 0; i < locals; i++) {
      str();
      copy(8);
    }
    const ups = int();
    for (let i = 0; i < ups; i++) str();
  };
  fn(true);
  if (at !== dump.length) throw new BuildError("trailing bytes after Lua 5.1 bytecode");
  return out.join("");
}

// NodeMCU's Lua 5.3 (app/lua53: the ESP32's dev-esp32, and ESP8266 builds with LUA=53) has a bytecode
// format of its own, LUAC_FORMAT 10 (https://github.com/nodemcu/nodemcu-firmware/blob/dev/app/lua53/ldump.c
// and lundump.c): 4-byte int, Instruction, lua_Integer and lua_Number (single floats); counts and
// sizes in a multi-byte encoding (7 bits a byte, most significant first); constants and string
// lengths tagged with a type in bits 4..6 of their first byte (LUAU_T*); a function's prototypes
// before its code; upvalues behind a "names kept" byte. nodemcu53 rewrites the build's stripped PUC
// 5.3 bytecode (4-byte int and size_t, 8-byte lua_Integer and lua_Number) into it, fully stripped
// (NodeMCU's `luac.cross -s` keeps the line information), the main function named after `source` as
// for nodemcu51. A float constant is rounded to single precision and an integer constant past 32 bits
// becomes a float, as NodeMCU's own compiler reads such numerals (the subset writes no hex numeral
// that wide). Checked by hand against NodeMCU's luac.cross (dev ca8d008a): the fixture's chunk and
// the core image with the ESP32 port load and run under `luac.cross -e` as its own bytecode does.

const LUAU_TNIL = 0x00;
const LUAU_TBOOLEAN = 0x10;
const LUAU_TNUMFLT = 0x20;
const LUAU_TNUMPINT = 0x30;
const LUAU_TNUMNINT = 0x40;
const LUAU_TSSTRING = 0x50;
const LUAU_TLSTRING = 0x60;

/** DumpInt: 0..2^31-1, 7 bits a byte, most significant first, the high bit on all but the last. */
function mbe(x: number): number[] {
  const out = [x % 128];
  for (x = Math.floor(x / 128); x > 0; x = Math.floor(x / 128)) out.unshift(0x80 + (x % 128));
  return out;
}

/** DumpIntTT: the same with a type in bits 4..6 of the first byte (a leading byte when they are taken); negative integers as -(y + 1), typed LUAU_TNUMNINT. */
function mbeTyped(tt: number, y: number): number[] {
  const out = mbe(y < 0 ? -(y + 1) : y);
  if ((out[0] & 0x70) !== 0) out.unshift(0x80);
  out[0] |= y >= 0 ? tt : LUAU_TNUMNINT;
  return out;
}

function bytes(list: number[]): string {
  return String.fromCharCode(...list);
}

function float32(x: number): string {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return b.toString("latin1");
}

export function nodemcu53(dump: string, source?: string): string {
  const HEAD = "\x1bLuaS\x00\x19\x93\r\n\x1a\n\x04\x04\x04\x08\x08";
  if (dump.slice(0, HEAD.length) !== HEAD) throw new BuildError("not the build's Lua 5.3 bytecode (4-byte int and size_t, 8-byte integers and floats)");
  const buf = Buffer.from(dump, "latin1");
  let at = HEAD.length + 16; // LUAC_INT, LUAC_NUM
  const out: string[] = ["\x1bLuaS\x0a\x19\x93\r\n\x1a\n\x04\x04\x04\x04", bytes([LUAU_TNUMFLT]), float32(370.5)];
  const need = (n: number) => {
    if (at + n > buf.length) throw new BuildError("truncated Lua 5.3 bytecode");
  };
  const byte = () => {
    need(1);
    return buf[at++];
  };
  const int = () => {
    need(4);
    const v = buf.readInt32LE(at);
    at += 4;
    return v;
  };
  /** A PUC string: its bytes, or undefined for NULL; long: a long string (LUA_TLNGSTR) as PUC typed it. */
  const str = (): string | undefined => {
    let size = byte();
    if (size === 0xff) {
      need(4);
      size = buf.readUInt32LE(at);
      at += 4;
    }
    if (size === 0) return undefined;
    need(size - 1);
    at += size - 1;
    return dump.slice(at - size + 1, at);
  };
  const string = (s: string | undefined, long = false) => {
    if (s === undefined) out.push(bytes([LUAU_TSSTRING]));
    else out.push(bytes(mbeTyped(long ? LUAU_TLSTRING : LUAU_TSSTRING, s.length + 1)), s);
  };
  const fn = (main: boolean): void => {
    const src = str();
    // Stripped: no source; the main function named as NodeMCU's compiler names it (the LFS module name).
    string(main && source !== undefined ? source : src);
    out.push(bytes([...mbe(int()), ...mbe(int())]));
    need(3);
    out.push(dump.slice(at, at + 3)); // numparams, is_vararg, maxstacksize
    at += 3;
    const ncode = int();
    need(ncode * 4);
    const code = dump.slice(at, at + ncode * 4);
    at += ncode * 4;
    const consts: string[] = [];
    const nk = int();
    for (let i = 0; i < nk; i++) {
      const t = byte();
      if (t === 0) consts.push(bytes([LUAU_TNIL]));
      else if (t === 1) consts.push(bytes([LUAU_TBOOLEAN + byte()]));
      else if (t === 3) {
        need(8);
        consts.push(bytes([LUAU_TNUMFLT]) + float32(buf.readDoubleLE(at)));
        at += 8;
      } else if (t === 0x13) {
        need(8);
        const v = buf.readBigInt64LE(at);
        at += 8;
        // Past 32 bits NodeMCU's lexer reads a decimal numeral as a float (Lua 5.3 §3.1), e.g. the 2^31 of hal/sim's int().
        if (v < -2147483648n || v > 2147483647n) consts.push(bytes([LUAU_TNUMFLT]) + float32(Number(v)));
        else consts.push(bytes(mbeTyped(LUAU_TNUMPINT, Number(v))));
      } else if (t === 4 || t === 0x14) {
        const s = str() as string;
        consts.push(bytes(mbeTyped(t === 0x14 ? LUAU_TLSTRING : LUAU_TSSTRING, s.length + 1)) + s);
      } else throw new BuildError(`bad constant type ${t} in Lua 5.3 bytecode`);
    }
    const nup = int();
    need(nup * 2);
    const ups = dump.slice(at, at + nup * 2); // instack, idx
    at += nup * 2;
    // Prototypes first, then code, constants, upvalues (names stripped), no debug information.
    const np = int();
    out.push(bytes(mbe(np)));
    for (let i = 0; i < np; i++) fn(false);
    out.push(bytes(mbe(ncode)), code, bytes(mbe(nk)), ...consts, bytes([0, ...mbe(nup)]), ups, bytes([0, 0]));
    if (int() !== 0) throw new BuildError("Lua 5.3 bytecode with line information: not stripped");
    if (int() !== 0) throw new BuildError("Lua 5.3 bytecode with local names: not stripped");
    if (int() !== 0) throw new BuildError("Lua 5.3 bytecode with upvalue names: not stripped");
  };
  out.push(dump.slice(at, at + 1)); // the main function's upvalue count
  at += 1;
  fn(true);
  if (at !== buf.length) throw new BuildError("trailing bytes after Lua 5.3 bytecode");
  return out.join("");
}
