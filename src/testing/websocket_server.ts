/**
 * The server side of RFC 6455 WebSockets over a raw `node:http` upgrade
 * socket, for `serve()`: the opening handshake (§4.2.2, `Sec-WebSocket-Accept`
 * = base64 SHA-1 of the key and the GUID), masked client frames, fragmented
 * messages, ping/pong and the closing handshake (§5, §7). Test tooling only:
 * no extensions, no subprotocols.
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
  #buffer = new Uint8Array(0);
  #fragments: Uint8Array[] = [];
  #fragmentBytes = 0;
  #closeSent = false;
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
    this.#handlers.closed();
  }

  #fail(code: number, reason: string): void {
    this.#close(code, reason);
    this.#buffer = new Uint8Array(0);
  }

  #receive(chunk: Uint8Array): void {
    if (this.#ended) return;
    const joined = new Uint8Array(this.#buffer.byteLength + chunk.byteLength);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.byteLength);
    let offset = 0;
    while (!this.#ended) {
      const frame = this.#parse(joined, offset);
      if (frame === "incomplete") break;
      if (frame === "invalid") return;
      offset = frame.next;
      this.#frame(frame.fin, frame.opcode, frame.payload);
    }
    this.#buffer = joined.slice(offset);
  }

  #parse(
    data: Uint8Array,
    offset: number,
  ):
    | { fin: boolean; opcode: number; payload: Uint8Array; next: number }
    | "incomplete"
    | "invalid" {
    if (data.byteLength - offset < 2) return "incomplete";
    const b0 = data[offset]!;
    const b1 = data[offset + 1]!;
    if ((b1 & 0x80) === 0) {
      this.#fail(1002, "client frames must be masked");
      return "invalid";
    }
    let length = b1 & 0x7f;
    let at = offset + 2;
    if (length === 126) {
      if (data.byteLength - at < 2) return "incomplete";
      length = (data[at]! << 8) | data[at + 1]!;
      at += 2;
    } else if (length === 127) {
      if (data.byteLength - at < 8) return "incomplete";
      const big = new DataView(data.buffer, data.byteOffset + at, 8).getBigUint64(0);
      if (big > BigInt(MAX_MESSAGE)) {
        this.#fail(1009, "message too big");
        return "invalid";
      }
      length = Number(big);
      at += 8;
    }
    if (length > MAX_MESSAGE) {
      this.#fail(1009, "message too big");
      return "invalid";
    }
    if (data.byteLength - at < 4 + length) return "incomplete";
    const mask = data.subarray(at, at + 4);
    const payload = data.slice(at + 4, at + 4 + length);
    for (let i = 0; i < payload.byteLength; i++) payload[i]! ^= mask[i & 3]!;
    return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, next: at + 4 + length };
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
    if (opcode === 0x9) return this.#send(0xa, payload);
    if (opcode === 0xa) return;
    if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
      this.#fragments.push(payload);
      this.#fragmentBytes += payload.byteLength;
      if (this.#fragmentBytes > MAX_MESSAGE) return this.#fail(1009, "message too big");
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
