// Removes debug info from a Lua 5.1 binary chunk exactly as `luac -s` does (ldump.c with strip=1).
//
// Lua 5.1's string.dump has no strip flag, so the dump is re-serialised here: every function prototype
// gets source = "" (size_t 0) and empty lineinfo / locvars / upvalue-name lists; everything else is copied
// byte for byte. Sizes and endianness come from the chunk header, so native (size_t = 8) dumps work too.

/** Strips a Lua 5.1 binary chunk given and returned as a binary string (char codes 0..255). */
export function stripLua51(chunk: string): string {
  const src = Buffer.from(chunk, "latin1");
  if (src.length < 12 || src.toString("latin1", 0, 4) !== "\x1bLua") throw new Error("not a Lua binary chunk");
  if (src[4] !== 0x51 || src[5] !== 0) throw new Error(`not a Lua 5.1 official-format chunk (version 0x${src[4].toString(16)})`);
  const little = src[6] === 1;
  const sizeInt = src[7], sizeSizeT = src[8], sizeInstr = src[9], sizeNum = src[10];

  const out: Buffer[] = [src.subarray(0, 12)];
  let pos = 12;

  const need = (n: number) => {
    if (pos + n > src.length) throw new Error(`truncated Lua 5.1 chunk at byte ${pos}`);
  };
  // Unsigned read of an n-byte field (counts, lengths and line numbers are never negative in a dump).
  const readUint = (n: number): number => {
    need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + src[pos + (little ? n - 1 - i : i)];
    pos += n;
    return v;
  };
  const writeUint = (v: number, n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      b[little ? i : n - 1 - i] = v % 256;
      v = Math.floor(v / 256);
    }
    out.push(b);
  };
  const copy = (n: number) => {
    need(n);
    out.push(src.subarray(pos, pos + n));
    pos += n;
  };
  const skip = (n: number) => {
    need(n);
    pos += n;
  };
  const skipString = () => skip(readUint(sizeSizeT)); // size includes the trailing NUL; 0 means NULL
  const copyInt = (): number => {
    const n = readUint(sizeInt);
    writeUint(n, sizeInt);
    return n;
  };
  const copySizeT = (): number => {
    const n = readUint(sizeSizeT);
    writeUint(n, sizeSizeT);
    return n;
  };

  const fn = (): void => {
    skipString();
    writeUint(0, sizeSizeT); // source -> NULL
    copy(2 * sizeInt + 4); // linedefined, lastlinedefined, nups, numparams, is_vararg, maxstacksize
    copy(copyInt() * sizeInstr); // code
    const nk = copyInt(); // constants
    for (let i = 0; i < nk; i++) {
      need(1);
      const t = src[pos];
      copy(1);
      if (t === 0) continue; // nil
      else if (t === 1) copy(1); // boolean
      else if (t === 3) copy(sizeNum); // number
      else if (t === 4) copy(copySizeT()); // string
      else throw new Error(`bad constant type ${t} at byte ${pos - 1}`);
    }
    const np = copyInt(); // nested prototypes
    for (let i = 0; i < np; i++) fn();
    // debug info: lineinfo, locvars (name, startpc, endpc), upvalue names -> all emptied
    skip(readUint(sizeInt) * sizeInt);
    writeUint(0, sizeInt);
    for (let i = readUint(sizeInt); i > 0; i--) {
      skipString();
      skip(2 * sizeInt);
    }
    writeUint(0, sizeInt);
    for (let i = readUint(sizeInt); i > 0; i--) skipString();
    writeUint(0, sizeInt);
  };
  fn();
  if (pos !== src.length) throw new Error(`trailing bytes after Lua 5.1 chunk (${src.length - pos})`);
  return Buffer.concat(out).toString("latin1");
}
