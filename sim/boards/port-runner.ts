// Node side of every board emulation (sim/boards/README.md): runs one image + port + module
// emulation in a Lua VM on a virtual millisecond clock, carries out the common effects (files,
// print, restart, the next timer) and hands the board's own to its driver (sim/boards/<board>/driver.ts).
//
// Time: `advance(ms)` runs, in time order, the VM's timers (the "due" it last reported) and the
// events Node scheduled (`at`: a meter's answer after its line time), the hardware stepped between
// them (`driver.sync`). Network events come when they come and enter at the current virtual time.
// Flash: the VM holds the files; every change comes as an effect and is kept here (a FlashStore:
// --state-dir's JSON file), so a power cycle reloads them into a fresh VM. A power loss can be cut
// in after any effect (`cutAfter`): the effects after it never happened.

import * as fs from "node:fs";
import * as path from "node:path";
import { readBoardManifest } from "../../build/compile";
import { PROVISION_FILE } from "../../build/start-file";
import type { BoardConfig } from "../../hal/board-config";
import { escField, FlashStore, unescField } from "../board";
import { buildDir, ImageRuntime, loadPort } from "../runtimes/image";
import type { LuaRuntimeName } from "../runtimes/lua-vm";

export type PortLog = (kind: "log" | "effect" | "frame-in" | "frame-out", text: string) => void;

/** A board's Node half: its own effects and inputs, its hardware, its sockets. */
export interface PortDriver {
  /** The board's wiring: what the derived config's "board" section holds (sim/boards/build.ts), so the generated start file hands it to boardRun. */
  readonly config: BoardConfig;
  /**
   * Where the firmware's upload tool puts the package's files (the start file, provision.txt): dir ""
   * on NodeMCU's SPIFFS, writable, kept in the flash store; "/luadb/" in LuatOS's script area,
   * read-only, kept apart from the store (and over power cycles) as LuaTools wrote it.
   */
  readonly upload: { dir: string; readOnly: boolean };
  /** One effect of the board's own modules (fields unescaped); false when it is not one. */
  effect(kind: string, f: string[]): boolean;
  /** Before boot: the inputs as the hardware holds them (runner.feed). */
  powerOn(): void;
  /** Virtual time moved by ms: the hardware follows; changed inputs are fed. */
  sync(ms: number): void;
  /** The VM goes (power cycle, power loss, restart): outputs drop, sockets go without events. */
  powerOff(): void;
}

export interface PortRunnerOptions {
  root: string;
  config: string;
  runtime: LuaRuntimeName;
  board: string;
  store?: FlashStore;
  log?: PortLog;
  /** Device-model values a unit is provisioned with: uploaded with the start file before the first boot, as the provisioning file it applies. */
  provision?: Record<string, string>;
  /** That file's name as the firmware sees it (default: the driver's upload dir + build/start-file.ts PROVISION_FILE): "Component/Variable=value" lines. */
  provisionFile?: string;
  /** µs of the board's counter at boot (default 0; tests start it near its wrap). */
  usBase?: number;
}

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
}

export class PortRunner {
  image!: ImageRuntime;
  driver!: PortDriver;
  /** Virtual ms since the runner was made (monotonic over power cycles); the VM counts from bootAt. */
  now = 0;
  bootAt = 0;
  readonly store: FlashStore;
  bootCount = 0;
  /** The power went (cutAfter): nothing runs until powerCycle. */
  powerLost = false;
  /** A VM is loaded: between powerOn and a power cycle or close (inputs before that only set the hardware). */
  live = false;
  /** Cuts the power right after the first effect it returns true for. */
  cutAfter: ((kind: string, f: string[]) => boolean) | undefined;
  /** Every print of the port, in order. */
  readonly prints: string[] = [];
  /** A read-only script area (LuatOS's LuaDB): name → bytes, as uploaded; fed before the flash at every power-on. */
  readonly scripts = new Map<string, string>();
  private luaDue: number | undefined;
  private scheduled: Scheduled[] = [];
  private seq = 0;
  private readonly lines: string[] = [];
  private feeding = false;
  private restartAsked = false;
  /** The RTC over a soft restart: epoch at the restart, or undefined. */
  private rtcAt: { epoch: number; now: number } | undefined;
  private rtcKept: number | undefined;

  constructor(private readonly opts: PortRunnerOptions) {
    this.store = opts.store ?? new FlashStore();
  }

  /** The board this runner emulates. */
  get board(): string {
    return this.opts.board;
  }

  attach(driver: PortDriver): void {
    this.driver = driver;
  }

  /** Powers up: a fresh VM, the flash, the hardware's inputs, then the port's boardRun. */
  powerOn(): void {
    this.bootAt = this.now;
    this.luaDue = undefined;
    this.scheduled = [];
    this.powerLost = false;
    this.restartAsked = false;
    this.rtcAt = undefined;
    this.image = loadPort(this.opts.root, this.opts.config, this.opts.runtime, this.opts.board);
    this.live = true;
    this.bootCount++;
    if (this.bootCount === 1) this.upload();
    this.feed("clock", [String(this.opts.usBase ?? 0)]);
    this.feed("seed", [String(this.bootCount)]);
    if (this.rtcKept !== undefined) this.feed("rtc", [String(this.rtcKept)]);
    this.rtcKept = undefined;
    for (const [name, bytes] of this.scripts) this.feed("file", [name, bytes]);
    for (const [name, bytes] of this.store.data) this.feed("file", [name, bytes]);
    this.driver.powerOn();
    // The firmware runs its start file: it loads the image and the port, provisions, calls boardRun.
    this.feed("boot", []);
  }

  /**
   * What the OEM puts on the board with the firmware, before the runner's first power-on: the build's
   * generated start file (build/out/<config>/<target>/init.lua or main.lua, sim/boards/build.ts) and,
   * with `provision`, the unit's provisioning file; each where the board's upload tool writes it.
   */
  private upload(): void {
    const { root, config, runtime, board } = this.opts;
    const start = readBoardManifest(root, board).start;
    if (start === undefined) throw new Error(`board ${board} has no start file (hal/${board}/board.json)`);
    const up = this.driver.upload;
    const put = (name: string, bytes: string) => {
      if (up.readOnly && name.startsWith(up.dir)) this.scripts.set(name, bytes);
      else this.store.set(name, bytes);
    };
    put(up.dir + start, fs.readFileSync(path.join(buildDir(root, config, runtime), start), "latin1"));
    if (this.opts.provision !== undefined) {
      const text = Object.entries(this.opts.provision).map(([k, v]) => `${k}=${v}\n`).join("");
      put(this.opts.provisionFile ?? up.dir + PROVISION_FILE, text);
    }
  }

  /** Power off and on: the VM, the sockets and the outputs go; flash and the hardware stay. */
  powerCycle(): void {
    this.shutdown();
    this.rtcKept = undefined;
    this.powerOn();
  }

  private shutdown(): void {
    this.live = false;
    this.driver.powerOff();
    this.image.close();
    this.lines.length = 0;
  }

  /** A soft restart (node.restart): as a power cycle, but the RTC keeps running. */
  private restart(): void {
    const rtc = this.rtcAt;
    this.shutdown();
    this.rtcKept = rtc === undefined ? undefined : rtc.epoch + Math.floor((this.now - rtc.now) / 1000);
    this.opts.log?.("effect", "restart");
    this.powerOn();
  }

  /** Schedules fn at virtual ms `at` (runner time; dropped by a power cycle). */
  at(at: number, fn: () => void): void {
    this.scheduled.push({ at, seq: ++this.seq, fn });
    this.scheduled.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** Moves virtual time by ms, running every timer and scheduled event on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    while (!this.powerLost) {
      const node = this.scheduled[0];
      const lua = this.luaDue ?? Infinity;
      const next = Math.min(lua, node?.at ?? Infinity);
      if (next > target) break;
      this.moveTo(Math.max(next, this.now));
      if (node !== undefined && node.at <= lua) {
        this.scheduled.shift();
        node.fn();
      } else this.feed("time", []);
    }
    if (!this.powerLost) this.moveTo(target);
  }

  private moveTo(t: number): void {
    const dt = t - this.now;
    this.now = t;
    this.driver.sync(dt);
  }

  /** Sends one input line (fields escaped here); lines fed meanwhile wait their turn. */
  feed(kind: string, fields: string[]): void {
    if (this.powerLost || !this.live) return;
    this.lines.push(`${kind}\t${fields.map(escField).join("\t")}`);
    if (this.feeding) return;
    this.feeding = true;
    try {
      for (let line = this.lines.shift(); line !== undefined; line = this.lines.shift()) {
        const out = this.image.event(`${this.now - this.bootAt}\t${line}`);
        for (const l of out.split("\n")) {
          if (l === "" || this.powerLost) continue;
          const f = l.split("\t").map(unescField);
          this.effect(f[0], f.slice(1));
          if (this.cutAfter?.(f[0], f.slice(1))) {
            this.cutAfter = undefined;
            this.powerLost = true;
            this.opts.log?.("effect", "power lost");
          }
        }
        if (this.powerLost) {
          this.lines.length = 0;
          break;
        }
        if (this.restartAsked) {
          this.restartAsked = false;
          this.restart();
          continue;
        }
        this.driver.sync(0);
      }
    } finally {
      this.feeding = false;
    }
  }

  private effect(kind: string, f: string[]): void {
    switch (kind) {
      case "due":
        this.luaDue = f[0] === "-" ? undefined : this.bootAt + Number(f[0]);
        return;
      case "print":
        this.prints.push(f[0]);
        this.opts.log?.("log", f[0]);
        return;
      case "restart":
        this.restartAsked = true;
        return;
      case "rtc":
        this.rtcAt = { epoch: Number(f[0]), now: this.now };
        return;
      case "fput":
        this.store.set(f[0], f[1]);
        return;
      case "fapp":
        this.store.set(f[0], (this.store.data.get(f[0]) ?? "") + f[1]);
        return;
      case "fdel":
        this.store.set(f[0], undefined);
        return;
      case "fren": {
        const v = this.store.data.get(f[0]);
        this.store.set(f[0], undefined);
        this.store.set(f[1], v);
        return;
      }
    }
    if (!this.driver.effect(kind, f)) throw new Error(`unknown effect from the ${this.opts.board} emulation: ${kind}`);
  }

  /** A line for the simulator's log (frames, effects). */
  log(kind: "log" | "effect" | "frame-in" | "frame-out", text: string): void {
    this.opts.log?.(kind, text);
  }

  heapKb(full = true): number {
    return this.image.heapKb(full);
  }

  close(): void {
    if (this.live) this.shutdown();
  }
}
