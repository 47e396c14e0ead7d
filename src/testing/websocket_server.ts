/**
 * The server side of RFC 6455 WebSockets over a raw `node:http` upgrade
 * socket, for `serve()`: the opening handshake (§4.2.2, `Sec-WebSocket-Accept`
 * = base64 SHA-1 of the key and the GUID), masked client frames, fragmented
 * messages, ping/pong and the closing handshake (§5, §7). Test tooling only:
 * no extensions, no subprotocols.
 *
 * A hostile client cannot crash it or grow its memory without bound: unmasked
 * frames, reserved bits, fragmented or long control frames, stray
 * continuations and unknown opcodes fail the connection (1002); messages over
 * 16 MiB, by length field or by fragments (at most 4096 of them), fail it
 * with 1009; pongs are skipped while the client is not reading, and a client
 * with 32 MiB unread is cut off.
 *
 * @module
 */
import type { PeerHandlers, PeerSocket } from "./pty_shell.ts";

/** The raw socket `node:http` hands to an `upgrade` listener (minimal shape). */
export interface RawSocket {
  write(data: Uint8Array | string): boolean;
  end(): void;
  destroy(): void;
  setNoDelay?(noDelay?: boolean): void;
  readonly writableLength: number;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "close" | "end", listener: () => void): void;
  on(event: "error", listener: (error: unknown) => void): void;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Largest message accepted from a client (a hostile one must not grow memory). */
const MAX_MESSAGE = 16 * 1024 * 1024;
/** Most frames one fragmented message may take (empty continuations would grow a list). */
const MAX_FRAGMENTS = 4096;
/** Largest control frame payload (RFC 6455 §5.5). */
const MAX_CONTROL_PAYLOAD = 125;
/**
 * Unsent bytes above which a pong is skipped: a client that does not read
 * gets no pong backlog (RFC 6455 §5.5.3 allows answering only the latest ping).
 */
const PONG_SKIP_ABOVE = 64 * 1024;
/** Unsent bytes above which the client is cut off (it is not reading at all). */
const MAX_UNSENT = 32 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 1_000;
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  426: "Upgrade Required",
  500: "Internal Server Error",
};

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  let binary = "";
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Answers an upgrade request with a plain HTTP response and closes the socket. */
export async function refuseUpgrade(socket: RawSocket, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const lines = [
    `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? "Error"}`,
    `content-length: ${body.byteLength}`,
    "connection: close",
  ];
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") lines.push(`${name}: ${value}`);
  });
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  socket.write(body);
  socket.end();
}

/** Completes the handshake and runs the framing; `accept` attaches the application. */
export async function acceptUpgrade(
  socket: RawSocket,
  headers: Headers,
  head: Uint8Array,
  accept: (peer: PeerSocket) => PeerHandlers,
): Promise<void> {
  const key = headers.get("sec-websocket-key");
  if (!key || headers.get("upgrade")?.toLowerCase() !== "websocket") {
    await refuseUpgrade(socket, new Response("not a WebSocket upgrade", { status: 400 }));
    return;
  }
  socket.setNoDelay?.(true);
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${await acceptKey(key)}\r\n\r\n`,
  );
  new FramedSocket(socket, accept, head);
}

function frameHeader(opcode: number, length: number): Uint8Array {
  if (length < 126) return new Uint8Array([0x80 | opcode, length]);
  if (length < 65536) return new Uint8Array([0x80 | opcode, 126, length >> 8, length & 0xff]);
  const header = new Uint8Array(10);
  header[0] = 0x80 | opcode;
  header[1] = 127;
  new DataView(header.buffer).setBigUint64(2, BigInt(length));
  return header;
}

class FramedSocket {
  readonly #socket: RawSocket;
  readonly #handlers: PeerHandlers;
  /** Received bytes not parsed yet, as chunks (joined once a whole frame is there). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Bytes the next frame needs before parsing is worth a try. */
  #need = 2;
  #fragments: Uint8Array[] = [];
  #fragmentBytes = 0;
  #closeSent = false;
  #failed = false;
  #ended = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: RawSocket, accept: (peer: PeerSocket) => PeerHandlers, head: Uint8Array) {
    this.#socket = socket;
    this.#handlers = accept({
      get bufferedAmount() {
        return socket.writableLength;
      },
      send: (message) => this.#send(0x2, message),
      close: (code, reason) => this.#close(code, reason),
    });
    socket.on("data", (chunk) => this.#receive(chunk));
    socket.on("close", () => this.#end());
    socket.on("error", () => socket.destroy());
    if (head.byteLength > 0) this.#receive(head);
  }

  #send(opcode: number, payload: Uint8Array): void {
    if (this.#closeSent || this.#ended) return;
    if (this.#socket.writableLength > MAX_UNSENT) {
      // The client stopped reading long ago: nothing more is queued for it.
      this.#socket.destroy();
      return;
    }
    this.#socket.write(frameHeader(opcode, payload.byteLength));
    this.#socket.write(payload);
  }

  #close(code: number, reason: string): void {
    if (this.#closeSent || this.#ended) return;
    const text = new TextEncoder().encode(reason).subarray(0, 123);
    const payload = new Uint8Array(2 + text.byteLength);
    new DataView(payload.buffer).setUint16(0, code);
    payload.set(text, 2);
    this.#send(0x8, payload);
    this.#closeSent = true;
    // The client answers with its close frame; a client that does not is cut off.
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), CLOSE_TIMEOUT_MS);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#closeTimer);
    this.#pending = [];
    this.#fragments = [];
    this.#handlers.closed();
  }

  /** A protocol violation: close with `code`, and ignore whatever the client sends after. */
  #fail(code: number, reason: string): void {
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#fragments = [];
    this.#fragmentBytes = 0;
    this.#close(code, reason);
    // RFC 6455 §7.1.7: after a violation the connection is closed, not kept for a reply.
    this.#socket.end();
  }

  #receive(chunk: Uint8Array): void {
    if (this.#ended || this.#failed) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    // A large frame arrives in many chunks: join them once, not once per chunk.
    if (this.#pendingBytes < this.#need) return;
    const joined = this.#pending.length === 1
      ? this.#pending[0]!
      : concat(this.#pending, this.#pendingBytes);
    let offset = 0;
    this.#need = 2;
    while (!this.#ended && !this.#failed) {
      const frame = this.#parse(joined, offset);
      if (typeof frame === "number") {
        this.#need = frame;
        break;
      }
      if (frame === "invalid") return;
      offset = frame.next;
      this.#frame(frame.fin, frame.opcode, frame.payload);
    }
    if (this.#failed || this.#ended) return;
    const rest = joined.slice(offset);
    this.#pending = rest.byteLength > 0 ? [rest] : [];
    this.#pendingBytes = rest.byteLength;
  }

  /** One frame at `offset`, the bytes needed from `offset` when incomplete, or `"invalid"`. */
  #parse(
    data: Uint8Array,
    offset: number,
  ):
    | { fin: boolean; opcode: number; payload: Uint8Array; next: number }
    | number
    | "invalid" {
    const available = data.byteLength - offset;
    if (available < 2) return 2;
    const b0 = data[offset]!;
    const b1 = data[offset + 1]!;
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if ((b0 & 0x70) !== 0) return this.#invalid(1002, "reserved bits set (no extensions)");
    if ((b1 & 0x80) === 0) return this.#invalid(1002, "client frames must be masked");
    if (opcode >= 0x8 && !fin) return this.#invalid(1002, "fragmented control frame");
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (available < 4) return 4;
      length = (data[offset + 2]! << 8) | data[offset + 3]!;
      header = 4;
    } else if (length === 127) {
      if (available < 10) return 10;
      const big = new DataView(data.buffer, data.byteOffset + offset + 2, 8).getBigUint64(0);
      if (big > BigInt(MAX_MESSAGE)) return this.#invalid(1009, "message too big");
      length = Number(big);
      header = 10;
    }
    if (opcode >= 0x8 && length > MAX_CONTROL_PAYLOAD) {
      return this.#invalid(1002, "control frame too long");
    }
    if (length > MAX_MESSAGE || this.#fragmentBytes + length > MAX_MESSAGE) {
      return this.#invalid(1009, "message too big");
    }
    const total = header + 4 + length;
    if (available < total) return total;
    const at = offset + header;
    const mask = data.subarray(at, at + 4);
    const payload = data.slice(at + 4, at + 4 + length);
    for (let i = 0; i < payload.byteLength; i++) payload[i]! ^= mask[i & 3]!;
    return { fin, opcode, payload, next: offset + total };
  }

  #invalid(code: number, reason: string): "invalid" {
    this.#fail(code, reason);
    return "invalid";
  }

  #frame(fin: boolean, opcode: number, payload: Uint8Array): void {
    if (opcode === 0x8) {
      if (!this.#closeSent) {
        const code = payload.byteLength >= 2 ? payload.subarray(0, 2) : new Uint8Array(0);
        this.#send(0x8, code);
        this.#closeSent = true;
      }
      this.#socket.end();
      this.#end();
      return;
    }
    if (opcode === 0x9) {
      if (this.#socket.writableLength <= PONG_SKIP_ABOVE) this.#send(0xa, payload);
      return;
    }
    if (opcode === 0xa) return;
    if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
      const continuing = this.#fragments.length > 0;
      if (opcode === 0x0 && !continuing) return this.#fail(1002, "continuation without a message");
      if (opcode !== 0x0 && continuing) {
        return this.#fail(1002, "new message inside a fragmented one");
      }
      if (this.#fragments.length >= MAX_FRAGMENTS) return this.#fail(1009, "too many fragments");
      this.#fragments.push(payload);
      this.#fragmentBytes += payload.byteLength;
      if (!fin) return;
      const message = this.#fragments.length === 1
        ? this.#fragments[0]!
        : concat(this.#fragments, this.#fragmentBytes);
      this.#fragments = [];
      this.#fragmentBytes = 0;
      if (!this.#closeSent) this.#handlers.message(message);
      return;
    }
    this.#fail(1002, "unknown opcode");
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
