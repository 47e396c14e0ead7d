/**
 * A hostile PTY WebSocket server of our own on 127.0.0.1: a raw `node:net`
 * server that speaks just enough RFC 6455 (the §4.2.2 handshake, unmasked
 * server frames of any opcode / length field, masked client frames) for each
 * test to script what a broken or malicious gateway does after the upgrade —
 * garbage frames, oversized length fields, a close mid-frame, a TCP reset,
 * silence. Plain HTTP requests (the SDK's follow-up `getPty` after a refused
 * handshake) go to `http`. `close()` destroys every socket.
 *
 * Also the raw client side for hostile-client tests of the emulator's server:
 * {@link rawUpgrade} opens a TCP connection and completes the handshake.
 *
 * @module
 */
import { connect, createServer, type Socket } from "node:net";
import { acceptKey } from "../../src/testing/websocket_server.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";

/** A WebSocket upgrade request the server read. */
export interface Upgrade {
  /** Path and query. */
  url: string;
  /** Headers, lower-case names. */
  headers: Record<string, string>;
}

/** What a script gets once the handshake is answered with 101. */
export interface WsPeer {
  /** The request. */
  upgrade: Upgrade;
  /** The raw TCP socket. */
  socket: Socket;
  /** Writes one server frame (unmasked). */
  frame(opcode: number, payload: Uint8Array | string, options?: { fin?: boolean }): void;
  /** Writes raw bytes. */
  raw(bytes: Uint8Array | string): void;
  /** Sends a close frame with `code` and `reason`. */
  close(code: number, reason: string): void;
  /** Client messages (payloads of data frames, unmasked), in order. */
  readonly messages: Uint8Array[];
  /** Resolves when the client's close frame arrives or the socket ends. */
  readonly ended: Promise<void>;
  /** Whether the TCP socket is gone. */
  readonly gone: boolean;
}

/** What the server does with each connection. */
export interface WsScript {
  /** Called with the upgrade request: answer 101 (default) or write your own bytes. */
  handshake?: (upgrade: Upgrade, socket: Socket) => "accept" | "custom";
  /** Runs after the 101. */
  peer?: (peer: WsPeer) => void | Promise<void>;
  /** Plain HTTP requests: default 404 JSON. */
  http?: (method: string, url: string) => { status: number; body: unknown };
}

/** A running hostile WebSocket server. */
export interface HostileWsServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every upgrade request read. */
  upgrades: Upgrade[];
  /** Every plain HTTP request line read. */
  requests: string[];
  /** Destroys every socket and closes the server. */
  close(): Promise<void>;
}

/** A server frame header for `length`, with the length field in the shortest form (or `form`). */
export function frameHeader(
  opcode: number,
  length: number | bigint,
  options: { fin?: boolean; mask?: boolean } = {},
): Uint8Array {
  const fin = options.fin === false ? 0 : 0x80;
  const maskBit = options.mask ? 0x80 : 0;
  const n = BigInt(length);
  if (n < 126n) return new Uint8Array([fin | opcode, maskBit | Number(n)]);
  if (n < 65536n) {
    return new Uint8Array([fin | opcode, maskBit | 126, Number(n >> 8n), Number(n & 0xffn)]);
  }
  const header = new Uint8Array(10);
  header[0] = fin | opcode;
  header[1] = maskBit | 127;
  new DataView(header.buffer).setBigUint64(2, n);
  return header;
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** Parses masked client frames out of `buffer`; returns the frames and the rest. */
function parseClientFrames(
  buffer: Uint8Array,
): { frames: { opcode: number; payload: Uint8Array }[]; rest: Uint8Array } {
  const frames: { opcode: number; payload: Uint8Array }[] = [];
  let at = 0;
  while (buffer.byteLength - at >= 2) {
    const b0 = buffer[at]!;
    const b1 = buffer[at + 1]!;
    let length = b1 & 0x7f;
    let p = at + 2;
    if (length === 126) {
      if (buffer.byteLength - p < 2) break;
      length = (buffer[p]! << 8) | buffer[p + 1]!;
      p += 2;
    } else if (length === 127) {
      if (buffer.byteLength - p < 8) break;
      length = Number(new DataView(buffer.buffer, buffer.byteOffset + p, 8).getBigUint64(0));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const need = (masked ? 4 : 0) + length;
    if (buffer.byteLength - p < need) break;
    const mask = masked ? buffer.subarray(p, p + 4) : new Uint8Array(4);
    if (masked) p += 4;
    const payload = buffer.slice(p, p + length);
    for (let i = 0; i < payload.byteLength; i++) payload[i]! ^= mask[i & 3]!;
    frames.push({ opcode: b0 & 0x0f, payload });
    at = p + length;
  }
  return { frames, rest: buffer.slice(at) };
}

/** Starts a hostile WebSocket server on 127.0.0.1. */
export async function startHostileWsServer(script: WsScript): Promise<HostileWsServer> {
  const sockets = new Set<Socket>();
  const upgrades: Upgrade[] = [];
  const requests: string[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head: Uint8Array = new Uint8Array(0);
    let peer: ((chunk: Uint8Array) => void) | undefined;
    socket.on("data", (chunk: Uint8Array) => {
      if (peer) return peer(chunk);
      head = join(head, chunk);
      const text = new TextDecoder().decode(head);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.byteLength > 64 * 1024) socket.destroy();
        return;
      }
      const [requestLine = "", ...lines] = text.slice(0, end).split("\r\n");
      const [method = "", url = ""] = requestLine.split(" ");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) {
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
      }
      const rest = head.slice(new TextEncoder().encode(text.slice(0, end + 4)).byteLength);
      if (headers.upgrade?.toLowerCase() !== "websocket") {
        requests.push(`${method} ${url}`);
        const answer = script.http?.(method, url) ??
          { status: 404, body: { error: "not found", code: "SESSION_NOT_FOUND" } };
        const body = JSON.stringify(answer.body);
        socket.end(
          `HTTP/1.1 ${answer.status} X\r\ncontent-type: application/json\r\n` +
            `content-length: ${new TextEncoder().encode(body).byteLength}\r\n` +
            `connection: close\r\n\r\n${body}`,
        );
        peer = () => {};
        return;
      }
      const upgrade: Upgrade = { url, headers };
      upgrades.push(upgrade);
      peer = () => {};
      if ((script.handshake?.(upgrade, socket) ?? "accept") === "custom") return;
      void (async () => {
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${await acceptKey(headers["sec-websocket-key"] ?? "")}\r\n\r\n`,
        );
        const messages: Uint8Array[] = [];
        let buffer: Uint8Array = rest;
        let gone = false;
        let resolveEnded!: () => void;
        const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
        socket.on("close", () => {
          gone = true;
          resolveEnded();
        });
        const write = (bytes: Uint8Array | string) => {
          if (!gone && !socket.destroyed) socket.write(bytesOf(bytes));
        };
        const self: WsPeer = {
          upgrade,
          socket,
          frame(opcode, payload, options) {
            const body = bytesOf(payload);
            write(join(frameHeader(opcode, body.byteLength, options), body));
          },
          raw: write,
          close(code, reason) {
            const text = new TextEncoder().encode(reason);
            const payload = new Uint8Array(2 + text.byteLength);
            new DataView(payload.buffer).setUint16(0, code);
            payload.set(text, 2);
            self.frame(0x8, payload);
          },
          messages,
          ended,
          get gone() {
            return gone;
          },
        };
        const receive = (chunk: Uint8Array) => {
          const parsed = parseClientFrames(join(buffer, chunk));
          buffer = parsed.rest;
          for (const frame of parsed.frames) {
            if (frame.opcode === 0x8) resolveEnded();
            else if (frame.opcode === 0x2 || frame.opcode === 0x1) messages.push(frame.payload);
          }
        };
        peer = receive;
        if (rest.byteLength > 0) receive(new Uint8Array(0));
        await script.peer?.(self);
      })().catch(() => socket.destroy());
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    upgrades,
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A raw TCP client that completed a WebSocket handshake with `url` (http://host:port/path). */
export interface RawClient {
  /** The socket. */
  socket: Socket;
  /** Everything received after the handshake response. */
  received(): Uint8Array;
  /** Resolves when the server closed or reset the connection. */
  closed: Promise<void>;
}

/** Opens a TCP connection to `url` and sends a WebSocket upgrade; resolves once 101 arrived. */
export async function rawUpgrade(url: string, headers: Record<string, string> = {}): Promise<
  RawClient
> {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  let data: Uint8Array = new Uint8Array(0);
  let after: Uint8Array | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  socket.on("close", () => resolveClosed());
  socket.on("error", () => socket.destroy());
  const opened = new Promise<void>((resolve, reject) => {
    socket.on("data", (chunk: Uint8Array) => {
      if (after) {
        after = join(after, chunk);
        return;
      }
      data = join(data, chunk);
      const text = new TextDecoder().decode(data);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!text.startsWith("HTTP/1.1 101")) {
        reject(new Error(`upgrade refused: ${text.split("\r\n")[0]}`));
        return;
      }
      after = data.slice(new TextEncoder().encode(text.slice(0, end + 4)).byteLength);
      resolve();
    });
    socket.on("close", () => reject(new Error("closed before the upgrade")));
  });
  opened.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.write(
    `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`,
  );
  await opened;
  return { socket, received: () => after ?? new Uint8Array(0), closed };
}

/** A masked client frame (mask key fixed: the tests need no randomness). */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; mask?: boolean } = {},
): Uint8Array {
  const body = bytesOf(payload);
  const masked = options.mask !== false;
  const header = frameHeader(opcode, body.byteLength, { ...options, mask: masked });
  if (!masked) return join(header, body);
  const key = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
  const out = new Uint8Array(body.byteLength);
  for (let i = 0; i < body.byteLength; i++) out[i] = body[i]! ^ key[i & 3]!;
  return join(join(header, key), out);
}
