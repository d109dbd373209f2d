// Random numbers on NodeMCU ESP32: the WebSocket key and masking keys (RFC 6455 §10.3: unpredictable)
// and the HAL's random(n).
//
// dev-esp32 has no node.random (components/modules/node.c) and none of the declared modules reads the
// ESP32's hardware RNG, so the port keeps its own generator: a SHA-1 hash chain (crypto.new_hash, in C)
// over a pool seeded at start with what differs between boards and boots (chip id, free heap, the wall
// clock's µs, node.uptime(), the pilot ADCs' noise) and stirred on every event with the µs of the
// wall clock at that moment (time.get()'s usec: when a TCP segment, a UART byte or a timer callback is
// handled varies by microseconds). Output blocks are SHA-1(pool, counter), and the pool moves on after
// each block, so earlier outputs cannot be recomputed from a later pool. Events are collected in a short
// buffer and hashed in when it is full or before output is drawn.

import type { NodeMcuEsp32 } from "./nodemcu-esp32";

declare const crypto: NodeMcuEsp32["crypto"];

/** Bytes of events collected before they are hashed into the pool. */
const STIR_BYTES = 64;

export interface Entropy {
  pool: string;
  /** Events not hashed in yet. */
  acc: string;
  /** The current output block and the next byte to take from it (1-based; past its end: a new block). */
  block: string;
  at: number;
  counter: number;
}

function sha1(s: string): string {
  const h = crypto.new_hash("SHA1");
  h.update(s);
  return h.finalize();
}

function entropyNew(seed: string): Entropy {
  return { pool: sha1(seed), acc: "", block: "", at: 1, counter: 0 };
}

/** An event's bytes (e.g. the µs it happened at). */
function entropyStir(e: Entropy, s: string): void {
  e.acc = e.acc + s;
  if (e.acc.length >= STIR_BYTES) {
    e.pool = sha1(e.pool + e.acc);
    e.acc = "";
  }
}

function nextByte(e: Entropy): number {
  if (e.at > e.block.length) {
    if (e.acc !== "") {
      e.pool = sha1(e.pool + e.acc);
      e.acc = "";
    }
    e.counter = e.counter >= 999999999 ? 0 : e.counter + 1;
    const tag = string.format("%d", e.counter);
    e.block = sha1(e.pool + "o" + tag);
    e.pool = sha1(e.pool + "n" + tag);
    e.at = 1;
  }
  const b = string.byte(e.block, e.at) as number;
  e.at = e.at + 1;
  return b;
}

/** Uniform integer in [0, n), 1 <= n <= 2^24 (larger n is taken as 2^24): whole bytes, rejecting the uneven top. */
function entropyInt(e: Entropy, n: number): number {
  const m = n > 16777216 ? 16777216 : n;
  const span = m <= 256 ? 256 : m <= 65536 ? 65536 : 16777216;
  // nonneg: span and m are positive.
  const limit = span - (span % m);
  for (;;) {
    let v = nextByte(e);
    if (span > 256) v = v * 256 + nextByte(e);
    if (span > 65536) v = v * 256 + nextByte(e);
    // nonneg: v and m are non-negative.
    if (v < limit) return v % m;
  }
}

export { entropyNew, entropyStir, entropyInt };
