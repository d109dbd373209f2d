// Time on NodeMCU ESP32, whose Lua has 32-bit integers and SINGLE floats.
//
// Uptime: there is no tmr.now() on dev-esp32, and node.uptime() gives microseconds as a lua_Number
// (components/modules/node.c: lua_pushnumber of esp_timer_get_time()): a single float keeps 24 bits,
// so the value is already rounded when Lua sees it (to 256 µs after 36 minutes, to 2 s after 194 days,
// 8 s after 2 years) and no splitting can win the lost bits back. So the seconds are counted instead:
// the board loop's auto-reload tmr fires every tickMs, and each firing adds tickMs to an integer
// millisecond remainder that carries into integer seconds. FreeRTOS reloads an auto-reload timer from
// its previous expiry, not from when its callback ran (components/modules/tmr.c: xTimerCreate with
// pdTRUE; each expiry is posted to the Lua task), so a late callback neither drifts nor loses time;
// tickMs should be a multiple of the FreeRTOS tick (10 ms at the default 100 Hz), which the timer
// rounds it to. The count is exact integers, never a float, and monotonic.
//
// Wall clock: time.get() returns integer seconds and µs (gettimeofday), exact. time.set(sec, usec)
// reads sec through luaL_checknumber, which on single floats rounds an epoch (> 2^24) to a multiple of
// 128 s. So the epoch is split: sec = the epoch rounded down to a multiple of 128 (exactly a float:
// below 2^31 it has at most 24 significant bits), usec = the remaining 0..127 s in µs (at most
// 127 000 000 = 1984375 * 2^6: 21 significant bits, exact too). ESP-IDF's settimeofday takes
// sec * 1000000 + usec without limiting usec to a second (components/newlib/time.c), so the clock is
// set to the second. The boot time it keeps lives in RTC registers: the wall clock survives a software
// restart, not a power loss (then it restarts near 0, which reads as "not set").

import type { NodeMcuEsp32 } from "./nodemcu-esp32";
import { idiv } from "../../firmware/arith";

declare const time: NodeMcuEsp32["time"];

/** Epochs before 2020-01-01 are a clock that was never set (it counts from 0 at power-up). */
const MIN_EPOCH = 1577836800;

export interface Clock {
  /** Integer seconds since the board loop started. */
  secs: number;
  /** Milliseconds counted towards the next second (0..999). */
  ms: number;
}

function clockNew(): Clock {
  return { secs: 0, ms: 0 };
}

/** One firing of the board loop's timer, ms after the previous one. */
function clockAdvance(c: Clock, ms: number): void {
  c.ms = c.ms + ms;
  while (c.ms >= 1000) {
    c.ms = c.ms - 1000;
    c.secs = c.secs + 1;
  }
}

/** The arguments of time.set for an epoch: seconds a multiple of 128, and the rest in µs. */
function rtcSplit(epoch: number): LuaMultiReturn<[number, number]> {
  const sec = idiv(epoch, 128) * 128;
  return $multi(sec, (epoch - sec) * 1000000);
}

/** Epoch seconds of the wall clock, or undefined when it was never set since the power came. */
function rtcGet(): number | undefined {
  const [sec] = time.get();
  return sec >= MIN_EPOCH ? sec : undefined;
}

function rtcSet(epoch: number): void {
  if (epoch < MIN_EPOCH) return;
  const [sec, usec] = rtcSplit(epoch);
  time.set(sec, usec);
}

export { clockNew, clockAdvance, rtcSplit, rtcGet, rtcSet };
