// The embedded CSMS judges every raw frame a station sends by the official 2.0.1 schemas and Part 4
// framing (sim/wire-check.ts), beyond what ocpp-rpc strict mode checks. Proved with a fake station:
// a plain `ws` client speaking ocpp2.0.1 that sends deliberately broken frames.

import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { CsmsViolation, EmbeddedCsms } from "../sim/csms";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

interface Fake {
  csms: EmbeddedCsms;
  ws: WebSocket;
  /** Frames the CSMS sent to the fake station, parsed. */
  got: unknown[][];
  /** Resolves with the next CALL the CSMS sends. */
  nextCall(): Promise<unknown[]>;
  /** Sends a text frame and waits until the CSMS has handled it (a following Heartbeat is answered). */
  send(text: string | Buffer, binary?: boolean): Promise<void>;
}

async function fakeStation(identity: string): Promise<Fake> {
  const csms = new EmbeddedCsms();
  await csms.start(0);
  cleanups.push(() => csms.stop());
  const ws = new WebSocket(`${csms.url}/${identity}`, ["ocpp2.0.1"]);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const got: unknown[][] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (d) => {
    got.push(JSON.parse(String(d)) as unknown[]);
    wake?.();
  });
  // Frames are consumed in order through a cursor, so none is lost when several arrive at once.
  let cursor = 0;
  const next = async (): Promise<unknown[]> => {
    while (cursor >= got.length) await new Promise<void>((r) => (wake = r));
    return got[cursor++];
  };
  let seq = 0;
  const send = async (text: string | Buffer, binary = false) => {
    ws.send(text, { binary });
    // The CSMS reads frames in order: once it answers a Heartbeat sent after, it has judged this one.
    const id = `sync-${++seq}`;
    ws.send(JSON.stringify([2, id, "Heartbeat", {}]));
    while ((await next())[1] !== id) {
      // Answers to the frame under test come first.
    }
  };
  const nextCall = async (): Promise<unknown[]> => {
    for (;;) {
      const f = await next();
      if (f[0] === 2) return f;
    }
  };
  return { csms, ws, got, nextCall, send };
}

/** A CSMS call's outcome, handled at once (a rejection must not wait unhandled while the test sends). */
function settled(p: Promise<unknown>): Promise<{ ok: unknown } | { error: unknown }> {
  return p.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
}

/** The violations the wire tap (not strict mode) found. */
function bySchema(v: CsmsViolation[]): CsmsViolation[] {
  return v.filter((x) => x.check === "schema");
}

describe("embedded CSMS: the wire tap judges every station frame", () => {
  it("valid CALLs, CALLRESULTs and CALLERRORs pass without a violation", async () => {
    const f = await fakeStation("TAP-OK");
    await f.send(JSON.stringify([2, "b1", "BootNotification", { reason: "PowerUp", chargingStation: { model: "M", vendorName: "V" } }]));
    expect(f.got.find((x) => x[1] === "b1")).toEqual([3, "b1", expect.objectContaining({ status: "Accepted" })]);
    // A CSMS CALL answered with a valid CALLRESULT, another with a valid CALLERROR.
    const answered = settled(f.csms.call("TAP-OK", "GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }));
    const call = await f.nextCall();
    await f.send(JSON.stringify([3, call[1], { getVariableResult: [{ attributeStatus: "Accepted", attributeValue: "300", component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }]));
    expect(await answered).toMatchObject({ ok: { getVariableResult: [{ attributeValue: "300" }] } });
    const refused = settled(f.csms.call("TAP-OK", "DataTransfer", { vendorId: "x" }));
    const call2 = await f.nextCall();
    await f.send(JSON.stringify([4, call2[1], "NotSupported", "no DataTransfer here", {}]));
    expect(await refused).toMatchObject({ error: { rpcErrorCode: "NotSupported" } });
    expect(f.csms.violations).toEqual([]);
  });

  it("catches what strict mode catches: a CALL and a CALLRESULT breaking the schemas (additionalProperties:false, required)", async () => {
    const f = await fakeStation("TAP-SCHEMA");
    await f.send(JSON.stringify([2, "b1", "BootNotification", { reason: "PowerUp", chargingStation: { model: "M", vendorName: "V" }, extra: 1 }]));
    const answered = settled(f.csms.call("TAP-SCHEMA", "GetVariables", { getVariableData: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }));
    const call = await f.nextCall();
    // attributeStatus missing.
    await f.send(JSON.stringify([3, call[1], { getVariableResult: [{ component: { name: "OCPPCommCtrlr" }, variable: { name: "HeartbeatInterval" } }] }]));
    expect(await answered).toHaveProperty("error");
    const wire = bySchema(f.csms.violations);
    expect(wire).toEqual([
      expect.objectContaining({ identity: "TAP-SCHEMA", outbound: false, method: "BootNotification", error: expect.stringMatching(/^BootNotificationRequest: must NOT have additional properties/) }),
      expect.objectContaining({ identity: "TAP-SCHEMA", outbound: false, error: expect.stringMatching(/^GetVariablesResponse\/getVariableResult\/0: must have required property 'attributeStatus'/) }),
    ]);
    expect(wire[1].frame).toContain(`[3,"${String(call[1])}"`);
    // Strict mode saw these two as well.
    expect(f.csms.violations.filter((v) => v.check === "strict").map((v) => v.method)).toEqual(["BootNotification", "GetVariables"]);
  });

  it("catches what strict mode lets through: CALLERROR contents, message-id length, element count, unknown ids, empty and binary frames", async () => {
    const f = await fakeStation("TAP-GAPS");
    const refused = settled(f.csms.call("TAP-GAPS", "DataTransfer", { vendorId: "x" }));
    const call = await f.nextCall();
    // Part 4 §4.3: errorCode from the fixed list, errorDetails a JSON object.
    await f.send(JSON.stringify([4, call[1], "Oops", "bad", "not an object"]));
    expect(await refused).toHaveProperty("error");
    await f.send(JSON.stringify([2, "x".repeat(37), "Heartbeat", {}]));
    await f.send(JSON.stringify([2, "h2", "Heartbeat", {}, "surplus"]));
    await f.send(JSON.stringify([3, "never-sent", {}]));
    await f.send("");
    await f.send(Buffer.from(JSON.stringify([2, "h3", "Heartbeat", {}])), true);
    const errors = bySchema(f.csms.violations).map((v) => v.error);
    expect(errors).toEqual([
      'unknown errorCode "Oops"; errorDetails must be a JSON object',
      expect.stringMatching(/^message id must be a string of 1 to 36 characters/),
      "CALL must be [2, id, action, payload]",
      "CALLRESULT to a message id the CSMS never sent (or already answered): never-sent",
      expect.stringMatching(/^not JSON/),
      "binary WebSocket frame; OCPP-J frames are text",
    ]);
    // None of these is a strict-mode failure: without the tap they would pass unseen.
    expect(f.csms.violations.filter((v) => v.check === "strict")).toEqual([]);
    expect(f.csms.violations.every((v) => v.outbound === false && v.identity === "TAP-GAPS")).toBe(true);
  });

  it("a text frame that is not UTF-8 is a violation (Part 4 §4.1.2), and a 'violation' event is emitted", async () => {
    const f = await fakeStation("TAP-UTF8");
    const events: CsmsViolation[] = [];
    f.csms.on("violation", (v: CsmsViolation) => events.push(v));
    const closed = new Promise<number>((r) => f.ws.once("close", (code) => r(code)));
    // ws lets a client send raw bytes as a text frame; the CSMS's ws refuses them and closes (1007).
    f.ws.send(Buffer.from([0x5b, 0x32, 0x2c, 0x22, 0xff, 0x22, 0x5d]), { binary: false });
    expect(await closed).toBe(1007);
    await new Promise((r) => setTimeout(r, 50));
    expect(f.csms.violations).toEqual([expect.objectContaining({ check: "socket", outbound: false, error: expect.stringMatching(/^WS_ERR_INVALID_UTF8/) })]);
    expect(events).toEqual(f.csms.violations);
  });
});
