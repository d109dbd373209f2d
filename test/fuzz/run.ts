// Runs fuzz frames through a station booted Accepted (test/harness.ts) and judges each reply by the
// oracle. Every frame the station sends is also schema-checked by the harness (sim/wire-check.ts).

import { RuntimeName } from "../../sim/runtimes/image";
import { WireCheck } from "../../sim/wire-check";
import { bootAccepted, Frame, NOW_ISO, TestStation, wireViolations } from "../harness";
import { buildFacts, BuildFacts } from "./build-facts";
import { checkResult, describe, Expectation, judge, Oracle, Outcome, StationFacts } from "./oracle";
import { Prng } from "./prng";
import { FrameGen, GenFrame } from "./rpc-frames";
import { OcppSchemas } from "./schemas";

export interface FuzzFailure {
  runtime: RuntimeName;
  seed: number;
  /** Frame number in the seed's sequence ("replay" for the heap round). */
  index: string;
  cls: string;
  frame: string;
  observed: string;
  expected: string;
  /** What the failure is, without the frame's particulars: failures with one signature have one cause. */
  signature: string;
}

export interface FuzzOptions {
  runtime: RuntimeName;
  seed: number;
  frames: number;
  config?: string;
  /** Check that a Heartbeat trigger still works every this many frames. */
  heartbeatEvery?: number;
  /** Frames replayed for the heap check (runtimes with their own heap only); 0: no heap check. */
  heapFrames?: number;
  /** Deliver only this frame of the sequence (to a fresh station): reproduces one failure. */
  only?: number;
}

export interface FuzzReport {
  failures: FuzzFailure[];
  frames: number;
  byClass: Record<string, number>;
  /** Time spent on the frames of each class. */
  msByClass: Record<string, number>;
  heap?: { before: number; after: number };
  ms: number;
}

const schemas = new OcppSchemas();

/** Minimal valid answers to the CALLs a station of this project sends. */
const ANSWERS: Record<string, unknown> = {
  BootNotification: { currentTime: NOW_ISO, interval: 300, status: "Accepted" },
  Heartbeat: { currentTime: NOW_ISO },
  SignCertificate: { status: "Accepted" },
  DataTransfer: { status: "Rejected" },
  Authorize: { idTokenInfo: { status: "Accepted" } },
  TransactionEvent: {},
};

/** A frame as readable text: the UTF-8 as a JSON string, or hex when it is not UTF-8; long ones cut. */
export function showFrame(b: Buffer): string {
  let s: string;
  try {
    s = JSON.stringify(new TextDecoder("utf-8", { fatal: true }).decode(b));
  } catch {
    s = "hex:" + b.toString("hex");
  }
  return s.length > 400 ? `${s.slice(0, 400)}… (${b.length} bytes)` : s;
}

const norm = (s: string) => s.replace(/\d+/g, "N").slice(0, 90);

class Session {
  readonly failures: FuzzFailure[] = [];
  private readonly oracle: Oracle;
  private readonly timing: Prng;
  private held: Frame | undefined;
  /** The requestId of the report whose NotifyReport is held. */
  private heldReport: number | undefined;

  constructor(
    readonly t: TestStation,
    readonly opts: FuzzOptions,
    readonly facts: StationFacts,
  ) {
    this.oracle = new Oracle(schemas, facts);
    this.timing = new Prng(opts.seed ^ 0x5bd1e995);
  }

  fail(index: string, cls: string, bytes: Buffer | undefined, observed: string, expected: string, signature: string): void {
    this.failures.push({ runtime: this.opts.runtime, seed: this.opts.seed, index, cls, frame: bytes === undefined ? "" : showFrame(bytes), observed, expected, signature });
  }

  /** Station frames sent since the last call, parsed (the harness already required valid UTF-8 and JSON). */
  private take(): Frame[] {
    try {
      return this.t.csms.take();
    } catch (e) {
      this.t.csms.sent = [];
      return [[0, `unreadable frame from the station: ${(e as Error).message}`]];
    }
  }

  /** Delivers bytes; returns the error that escaped the image's event, if any. */
  private deliver(bytes: Buffer): string | undefined {
    try {
      this.t.csms.deliverBytes(bytes);
      return undefined;
    } catch (e) {
      // The harness throws on a frame the wire check refuses: reported as that violation, not as an escape.
      if (wireViolations.includes((e as Error).message)) return undefined;
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  }

  /**
   * Answers every CALL the station sends until it stops; returns them, and what went wrong: a reply
   * (type 3/4) while no CALL from the CSMS was pending, or an error that escaped.
   */
  drain(calls: Frame[], problems: string[]): Frame[] {
    const all: Frame[] = [];
    for (let n = 0; calls.length > 0; n++) {
      if (n > 500) {
        problems.push("the station keeps sending CALLs");
        break;
      }
      const c = calls.shift()!;
      all.push(c);
      if (c === this.held) continue;
      const esc = this.deliver(Buffer.from(JSON.stringify([3, c[1], ANSWERS[c[2] as string] ?? {}]), "utf8"));
      if (esc !== undefined) problems.push(`error escaped on the answer to ${c[2] as string}: ${esc}`);
      for (const f of this.take()) {
        if (f[0] === 2) calls.push(f);
        else problems.push(`unsolicited frame after answering ${c[2] as string}: ${JSON.stringify(f).slice(0, 200)}`);
      }
    }
    problems.push(...wireViolations.splice(0));
    return all;
  }

  /** Each frame is judged on its own: forget the CALL ids of earlier frames (their answers were due already). */
  private freshWire(exp: Expectation, bytes: Buffer): WireCheck {
    const wire = new WireCheck();
    (this.t.csms as unknown as { wire: WireCheck }).wire = wire;
    // The wire check learns ids from frames JSON.parse reads; for the others, from the oracle.
    let parsed = true;
    try {
      JSON.parse(bytes.toString("utf8"));
    } catch {
      parsed = false;
    }
    if (!parsed) {
      for (const a of exp.alts) if (a.kind === "result") wire.csmsCall(a.id, exp.call?.action ?? "?");
      for (const a of exp.alts) if (a.kind === "error") for (const id of a.ids) if (id !== "-1") wire.csmsCall(id, "?");
    }
    return wire;
  }

  /**
   * A CALL the station has sent and the CSMS not answered, held back: a triggered Heartbeat, or the
   * first NotifyReport of a ConfigurationInventory report (which every station supports, B07.FR.12).
   */
  private holdCall(action: "Heartbeat" | "NotifyReport", problems: string[]): Frame | undefined {
    const id = `hold-${this.timing.int(0, 1e9)}`;
    const rid = this.timing.int(1, 1e6);
    const call = action === "Heartbeat" ? ["TriggerMessage", { requestedMessage: "Heartbeat" }] : ["GetBaseReport", { requestId: rid, reportBase: "ConfigurationInventory" }];
    this.deliver(Buffer.from(JSON.stringify([2, id, ...call])));
    const out = this.take();
    const held = out.find((f) => f[0] === 2 && f[2] === action);
    if (held === undefined) {
      problems.push(`no ${action} after ${call[0] as string}: ${JSON.stringify(out).slice(0, 200)}`);
      return undefined;
    }
    this.held = held;
    this.heldReport = action === "NotifyReport" ? rid : undefined;
    this.drain(out.filter((f) => f[0] === 2), problems);
    return held;
  }

  /** The frame delivered just before (a byte-identical next frame is a retry). */
  private lastBytes: Buffer | undefined;

  runFrame(f: GenFrame, index: string): void {
    const problems: string[] = [];
    let bytes = f.bytes;
    let held: Frame | undefined;
    if (f.toOutstanding !== undefined) {
      held = this.holdCall(f.hold ?? "Heartbeat", problems);
      if (held !== undefined) bytes = f.toOutstanding(held[1] as string);
    }
    const exp = this.oracle.expect(bytes);
    this.freshWire(exp, bytes);
    const escaped = this.deliver(bytes);
    const out = this.take();
    const replies = out.filter((x) => x[0] !== 2);
    const calls = out.filter((x) => x[0] === 2);
    if (escaped !== undefined) problems.push(`error escaped the image: ${escaped}`);
    problems.push(...wireViolations.splice(0));
    const mismatch = judge(exp, replies);
    if (mismatch !== undefined) problems.push(mismatch);
    else if (exp.call !== undefined && replies.length === 1 && replies[0][0] === 3) {
      const c = checkResult(exp.call, replies[0][2]);
      if (c !== undefined) problems.push(c);
    }
    if (held !== undefined) {
      // Finish the held CALL properly (ignored if the frame already did) and carry on.
      this.held = undefined;
      const esc = this.deliver(Buffer.from(JSON.stringify([3, held[1], ANSWERS[held[2] as string] ?? {}])));
      if (esc !== undefined) problems.push(`error escaped on a late ${held[2] as string} answer: ${esc}`);
      const more = this.take();
      calls.push(...more.filter((x) => x[0] === 2));
      for (const x of more) if (x[0] !== 2) problems.push(`reply to a CALLRESULT: ${JSON.stringify(x).slice(0, 200)}`);
    }
    const sent = this.drain(calls, problems);
    // Errata to Part 4 §4.1.4: the same frame again as the last one answered is a retry (frames that
    // get no answer, a stray response, may come between); its answer is repeated and the report it
    // started is not started twice.
    const retry = this.lastBytes !== undefined && Buffer.compare(bytes, this.lastBytes) === 0;
    if (replies.length > 0) this.lastBytes = bytes;
    if (!retry) this.checkReports(exp, replies, sent, problems);
    this.heldReport = undefined;
    if (!this.t.csms.open) problems.push("the station closed the connection");
    if (problems.length > 0) {
      const observed = replies.length === 0 ? "no reply" : replies.map((x) => JSON.stringify(x).slice(0, 300)).join(" ");
      this.fail(index, f.cls, bytes, `${observed}${problems.length > 1 || mismatch === undefined ? ` [${problems.join("; ")}]` : ""}`, `${describe(exp.alts)} — ${exp.rule}`, this.signature(exp, replies, problems, mismatch));
    }
  }

  /** B07.FR.04, B08.FR.04: an Accepted report request is followed by NotifyReports carrying its requestId. */
  private checkReports(exp: Expectation, replies: Frame[], sent: Frame[], problems: string[]): void {
    const call = exp.call;
    if (call === undefined || (call.action !== "GetBaseReport" && call.action !== "GetReport")) return;
    if (replies.length !== 1 || replies[0][0] !== 3 || (replies[0][2] as { status?: string }).status !== "Accepted") return;
    const reports = sent.filter((c) => c[2] === "NotifyReport").map((c) => (c[3] as { requestId: number }).requestId);
    const rid = call.payload.requestId as number;
    // Parts of a report that was running when this request came in may follow too.
    const own = reports.filter((x) => x !== this.heldReport || x === rid);
    if (own.length === 0) problems.push("Accepted report request without NotifyReport (B07.FR.03, B08.FR.03)");
    else if (Number.isInteger(rid) && Math.abs(rid) <= 2147483647 && own.some((x) => x !== rid)) problems.push(`NotifyReport requestId ${own.join(",")} for requestId ${rid} (B07.FR.04, B08.FR.04)`);
  }

  private signature(exp: Expectation, replies: Frame[], problems: string[], mismatch: string | undefined): string {
    const callId = exp.call?.id ?? exp.alts.flatMap((a: Outcome) => (a.kind === "result" ? [a.id] : a.kind === "error" ? a.ids.filter((i) => i !== "-1") : []))[0];
    const idClass = (id: unknown) => (id === "-1" ? "-1" : id === callId ? "<id>" : "<other id>");
    // The id in a description ("duplicate message id X") is the frame's, not the cause.
    const text = (d: unknown) => {
      const t = String(d);
      return norm(typeof callId === "string" && callId.length > 0 && t.endsWith(callId) ? t.slice(0, -callId.length) + "<id>" : t);
    };
    const seen = replies.map((r) => (r[0] === 3 ? `CALLRESULT ${idClass(r[1])}` : `CALLERROR ${idClass(r[1])} ${String(r[2])} "${text(r[3])}"`)).join(" + ") || "no reply";
    const want = [...new Set(exp.alts.map((a) => (a.kind === "none" ? "no reply" : a.kind === "result" ? "CALLRESULT" : "CALLERROR")))].join(" or ");
    const other = problems.filter((p) => p !== mismatch).map((p) => norm(p.replace(/"[^"]*"/g, '"…"'))).join("; ");
    return mismatch !== undefined ? `${seen} where ${want}${other ? `; ${other}` : ""}` : other;
  }

  /** The station still works: a Heartbeat trigger is Accepted and a Heartbeat follows (F06). */
  heartbeat(index: string): void {
    const problems: string[] = [];
    const id = `hb-${index}`;
    (this.t.csms as unknown as { wire: WireCheck }).wire = new WireCheck();
    const esc = this.deliver(Buffer.from(JSON.stringify([2, id, "TriggerMessage", { requestedMessage: "Heartbeat" }])));
    if (esc !== undefined) problems.push(`error escaped: ${esc}`);
    const out = this.take();
    const ans = out.find((f) => f[0] !== 2);
    if (ans === undefined || ans[0] !== 3 || ans[1] !== id || (ans[2] as { status?: string }).status !== "Accepted") problems.push(`TriggerMessage Heartbeat answered ${JSON.stringify(ans)}`);
    const sent = this.drain(out.filter((f) => f[0] === 2), problems);
    if (!sent.some((c) => c[2] === "Heartbeat")) problems.push("no Heartbeat after an Accepted trigger");
    if (problems.length > 0) this.fail(index, "heartbeat-check", undefined, problems.join("; "), "TriggerMessage Heartbeat Accepted, then a Heartbeat", `station stopped working: ${norm(problems[0])}`);
  }

  /** Lets virtual time pass now and then (ticks, timeouts, heartbeats), answering what the station sends. */
  tick(): void {
    if (!this.timing.chance(0.02)) return;
    const problems: string[] = [];
    try {
      this.t.board.advance(this.timing.int(1, 5));
    } catch (e) {
      problems.push(`error escaped a tick: ${(e as Error).message}`);
    }
    this.drain(this.take().filter((f) => f[0] === 2), problems);
    if (problems.length > 0) this.fail("tick", "tick", undefined, problems.join("; "), "nothing wrong", norm(problems[0]));
  }
}

/** The station's own limits (DeviceDataCtrlr ItemsPerMessage / BytesPerMessage), asked like a CSMS would. */
function reportedLimits(t: TestStation): Pick<StationFacts, "itemsPerMessage" | "bytesPerMessage"> {
  const names = ["GetVariables", "SetVariables", "GetReport"];
  const ask = names.flatMap((instance) => ["ItemsPerMessage", "BytesPerMessage"].map((v) => ({ component: { name: "DeviceDataCtrlr" }, variable: { name: v, instance } })));
  const ans = t.csms.call("GetVariables", { getVariableData: ask });
  const out = { itemsPerMessage: {} as Record<string, number>, bytesPerMessage: {} as Record<string, number> };
  for (const r of (ans[2] as { getVariableResult: { attributeStatus: string; attributeValue?: string; variable: { name: string; instance?: string } }[] }).getVariableResult) {
    if (r.attributeStatus !== "Accepted" || r.variable.instance === undefined) continue;
    (r.variable.name === "ItemsPerMessage" ? out.itemsPerMessage : out.bytesPerMessage)[r.variable.instance] = Number(r.attributeValue);
  }
  return out;
}

type Writable = { component: { name: string; evse?: { id: number; connectorId?: number } }; variable: { name: string; instance?: string }; attributeValue: string };

/** The ReadWrite variables' values now, to put them back before each heap measurement. */
function writableSnapshot(t: TestStation, facts: BuildFacts): Writable[] {
  const items: Omit<Writable, "attributeValue">[] = [];
  for (const v of facts.variables) {
    if (v.mutability !== "ReadWrite") continue;
    const variable = v.instance === undefined ? { name: v.variable } : { name: v.variable, instance: v.instance };
    if (v.per === "evse") facts.evses.forEach((_n, i) => items.push({ component: { name: v.component, evse: { id: i + 1 } }, variable }));
    else if (v.per === "connector") facts.evses.forEach((n, i) => { for (let c = 1; c <= n; c++) items.push({ component: { name: v.component, evse: { id: i + 1, connectorId: c } }, variable }); });
    else items.push({ component: { name: v.component }, variable });
  }
  const out: Writable[] = [];
  for (const it of items) {
    const r = (t.csms.call("GetVariables", { getVariableData: [it] })[2] as { getVariableResult: { attributeStatus: string; attributeValue?: string }[] }).getVariableResult[0];
    if (r.attributeStatus === "Accepted" && r.attributeValue !== undefined) out.push({ ...it, attributeValue: r.attributeValue });
  }
  return out;
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const config = opts.config ?? "core";
  const build = buildFacts(config);
  const t = await bootAccepted(opts.runtime, config);
  t.csms.autoReply = {};
  const facts: StationFacts = { handled: new Set(build.handled), maxFrameBytes: build.maxFrameBytes, ...reportedLimits(t) };
  const heapCheck = (opts.heapFrames ?? 0) > 0 && t.board.image.ownHeap && opts.only === undefined;
  const snapshot = heapCheck ? writableSnapshot(t, build) : [];
  const s = new Session(t, opts, facts);
  const every = opts.heartbeatEvery ?? 200;
  const byClass: Record<string, number> = {};
  const msByClass: Record<string, number> = {};
  const run = async (n: number, label: (i: number) => string, count: boolean) => {
    const gen = new FrameGen(opts.seed, build, schemas);
    for (let i = 0; i < n; i++) {
      const f = gen.next();
      if (opts.only !== undefined && i !== opts.only) continue;
      const t0 = performance.now();
      s.runFrame(f, label(i));
      if (count) {
        byClass[f.cls] = (byClass[f.cls] ?? 0) + 1;
        msByClass[f.cls] = (msByClass[f.cls] ?? 0) + performance.now() - t0;
      }
      s.tick();
      if ((i + 1) % every === 0) {
        s.heartbeat(label(i));
        await t.settle();
      }
      if (!t.csms.open) break;
    }
    s.heartbeat(label(n));
  };
  await run(opts.only !== undefined ? opts.only + 1 : opts.frames, String, true);
  let heap: FuzzReport["heap"];
  if (heapCheck && t.csms.open) {
    // The same frames twice from the same device-model values: after a full GC the heap must be back
    // at its level. Measured from the end of a first replay, not of the run, so that what the VM
    // keeps sized to its peak (the string table shrinks only below a quarter full) peaked alike.
    const replay = async (label: string) => {
      await run(Math.min(opts.heapFrames!, opts.frames), (i) => `${label} ${i}`, false);
      for (const w of snapshot) t.csms.call("SetVariables", { setVariableData: [w] });
      s.heartbeat(label);
    };
    // Full GCs until the heap stops shrinking: each one halves what the VM sized to a recent peak
    // (Lua 5.1's concatenation buffer, the string table) only once.
    const settledHeap = () => {
      let kb = t.board.heapKb(true);
      for (let i = 0; i < 10; i++) {
        const next = t.board.heapKb(true);
        if (next > kb - 0.01) return next;
        kb = next;
      }
      return kb;
    };
    await replay("replay");
    const before = settledHeap();
    await replay("second replay");
    heap = { before, after: settledHeap() };
  }
  t.board.image.close();
  return { failures: s.failures, frames: opts.frames, byClass, msByClass, heap, ms: Date.now() - started };
}

/** Failures grouped by signature (one cause each), the first example of each, most frequent first. */
export function distinct(failures: FuzzFailure[]): { signature: string; count: number; runtimes: string[]; classes: string[]; example: FuzzFailure }[] {
  const groups = new Map<string, { signature: string; count: number; runtimes: Set<string>; classes: Set<string>; example: FuzzFailure }>();
  for (const f of failures) {
    let g = groups.get(f.signature);
    if (g === undefined) groups.set(f.signature, (g = { signature: f.signature, count: 0, runtimes: new Set(), classes: new Set(), example: f }));
    g.count++;
    g.runtimes.add(f.runtime);
    g.classes.add(f.cls);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count).map((g) => ({ ...g, runtimes: [...g.runtimes], classes: [...g.classes] }));
}

export function formatFailures(failures: FuzzFailure[], max = 40): string {
  const groups = distinct(failures);
  const lines = [`${failures.length} failing frame(s), ${groups.length} distinct:`];
  for (const g of groups.slice(0, max)) {
    const e = g.example;
    lines.push(
      `- ${g.signature}\n    ${g.count}× on ${g.runtimes.join(",")} (${g.classes.join(",")}); e.g. seed ${e.seed} frame ${e.index} on ${e.runtime}: ${e.frame}\n    observed: ${e.observed}\n    expected: ${e.expected}`,
    );
  }
  if (groups.length > max) lines.push(`… ${groups.length - max} more`);
  return lines.join("\n");
}

