// Node side of LuatOS's websocket module on the wire: a client written here over a raw TCP (or TLS)
// socket, because the `ws` package would hide what the module shows its Lua callback (fragments
// one by one) and check what the module does not.
//
// As the module does (components/network/websocket/luat_websocket.c; hal/FIRMWARES.md):
// - the request: "GET <path> HTTP/1.1", "Host: <host>" (no port), the port's raw header string as it
//   is, then Upgrade, Connection, a FIXED Sec-WebSocket-Key and the version; the answer is taken on
//   "HTTP/1.1 101" and its blank line alone: no Sec-WebSocket-Accept check, no subprotocol check
//   (anything else: the "error" event);
// - one receive buffer of 8192 bytes: a frame whose header and payload do not fit it, or a 64-bit
//   length, drops the connection ("disconnect"), as does a Close frame (no Close is sent back) or an
//   unknown opcode;
// - text, binary and continuation frames go up one by one with FIN and opcode (current builds, issue
//   #9: the stored sources refuse a continuation frame); a Ping is answered with a Pong;
// - frames out: FIN always set, masked with the module's fixed key 00 01 02 03; "sent" once the socket
//   took the bytes;
// - no Ping of its own on an open link: the stored luat_websocket_ping returns unless the state is 0
//   (connecting), and the open state is 1, whatever create's keepalive says (hal/FIRMWARES.md).
// wss:// goes over TLS without checking the server's certificate (network_init_tls(netc, 0)).

import * as net from "node:net";
import * as tls from "node:tls";

/** The module's receive buffer (WEBSOCKET_RECV_BUF_LEN_MAX of current builds without PSRAM). */
export const RECV_BUFFER = 8192;
const KEY = "w4v7O6xFTi36lq3RNcgctw==";
const MASK = Buffer.from([0, 1, 2, 3]);

export interface WsSocketEvents {
  conack(): void;
  recv(fin: number, opcode: number, payload: Buffer): void;
  sent(): void;
  /** The connection ended or never came up (once; not after close()). */
  end(event: "disconnect" | "error", why: string): void;
}

/** host, port and path as luat_websocket_set_connopts takes them apart. */
export function parseWsUrl(url: string): { tls: boolean; host: string; port: number; path: string } | undefined {
  const m = /^(wss?):\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (m === null) return undefined;
  const secure = m[1] === "wss";
  return { tls: secure, host: m[2], port: m[3] !== undefined ? Number(m[3]) : secure ? 443 : 80, path: m[4] ?? "/" };
}

/** One frame as the module writes it: FIN, opcode, mask bit, 7- or 16-bit length, fixed mask, masked payload. */
export function moduleFrame(opcode: number, payload: Buffer): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i] ^ MASK[i % 4];
  return Buffer.concat([head, MASK, body]);
}

export class LuatosWsSocket {
  private readonly sock: net.Socket;
  private buf = Buffer.alloc(0);
  private open = false;
  private done = false;

  constructor(
    url: string,
    headers: string,
    private readonly events: WsSocketEvents,
  ) {
    const u = parseWsUrl(url);
    if (u === undefined) throw new Error(`not a ws:// or wss:// URL: ${url}`);
    const request = `GET ${u.path} HTTP/1.1\r\nHost: ${u.host}\r\n${headers}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const onConnect = () => this.sock.write(Buffer.from(request, "latin1"));
    this.sock = u.tls ? tls.connect({ host: u.host, port: u.port, servername: u.host, rejectUnauthorized: false }, onConnect) : net.connect({ host: u.host, port: u.port }, onConnect);
    this.sock.on("data", (d: Buffer) => this.data(d));
    this.sock.on("error", (e: Error) => this.finish("disconnect", e.message));
    this.sock.on("close", () => this.finish("disconnect", "connection closed"));
  }

  /** One frame out (text 1, binary 2), FIN set. */
  send(opcode: number, payload: Buffer): void {
    if (this.open) this.write(opcode, payload, () => this.events.sent());
  }

  /** wsc:close(): the socket goes, no event follows. */
  close(): void {
    this.done = true;
    this.stop();
  }

  private write(opcode: number, payload: Buffer, then?: () => void): void {
    this.sock.write(moduleFrame(opcode, payload), () => {
      if (!this.done) then?.();
    });
  }

  private stop(): void {
    this.sock.removeAllListeners("data");
    this.sock.on("error", () => undefined);
    this.sock.destroy();
  }

  private finish(event: "disconnect" | "error", why: string): void {
    if (this.done) return;
    this.done = true;
    this.stop();
    this.events.end(event, why);
  }

  private data(d: Buffer): void {
    if (this.done) return;
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.open) {
      if (this.buf.length < 12) return;
      if (this.buf.subarray(0, 12).toString("latin1") !== "HTTP/1.1 101") {
        this.finish("error", `handshake refused: ${this.buf.subarray(0, this.buf.indexOf("\r\n") > 0 ? this.buf.indexOf("\r\n") : 40).toString("latin1")}`);
        return;
      }
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.buf.length > RECV_BUFFER) this.finish("disconnect", "handshake answer over the receive buffer");
        return;
      }
      this.buf = this.buf.subarray(end + 4);
      this.open = true;
      this.events.conack();
    }
    while (!this.done && this.buf.length >= 2) {
      const b0 = this.buf[0];
      const len7 = this.buf[1] & 0x7f;
      if (len7 === 127) return this.finish("disconnect", "a frame with a 64-bit length");
      const head = len7 === 126 ? 4 : 2;
      if (this.buf.length < head) return;
      const plen = len7 === 126 ? this.buf.readUInt16BE(2) : len7;
      if (head + plen > RECV_BUFFER) return this.finish("disconnect", `a frame of ${head + plen} bytes over the ${RECV_BUFFER}-byte receive buffer`);
      if (this.buf.length < head + plen) return;
      const payload = Buffer.from(this.buf.subarray(head, head + plen));
      this.buf = this.buf.subarray(head + plen);
      const opcode = b0 & 0x0f;
      const fin = b0 & 0x80 ? 1 : 0;
      if (opcode <= 2) this.events.recv(fin, opcode, payload);
      else if (opcode === 0x9) this.write(0xa, Buffer.alloc(0));
      else if (opcode === 0x8) return this.finish("disconnect", "the server sent Close");
      else if (opcode !== 0xa) return this.finish("disconnect", `unknown opcode ${opcode}`);
    }
  }
}
