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
