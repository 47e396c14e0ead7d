/**
 * What sandgate needs of a WebSocket, duck-typed: {@link WebSocketLike} (the
 * standard one of Deno, Bun, Node ≥ 22, workerd and browsers, or the `ws`
 * package's), the events it reports and the {@link WebSocketFactory} that
 * opens one. No runtime is touched here.
 *
 * @module
 */

/** `WebSocket.OPEN`. */
export const OPEN = 1;

/**
 * The events a {@link WebSocketLike} reports, read duck-typed: `data` of a
 * message, `code` / `reason` of a close.
 */
export interface WebSocketEventLike {
  /** A message's data: an `ArrayBuffer` (binaryType `"arraybuffer"`), a view or a string. */
  readonly data?: unknown;
  /** A close's code. */
  readonly code?: number;
  /** A close's reason. */
  readonly reason?: string;
}

/**
 * What sandgate needs of a WebSocket: the standard one (Deno, Bun, Node ≥ 22,
 * workerd, browsers) or the `ws` package's. With `pause()` / `resume()` (the
 * `ws` package) a slow reader stops reading from the TCP socket.
 */
export interface WebSocketLike {
  /** `1` when open. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Set to `"arraybuffer"` by sandgate. */
  binaryType: string;
  /** Sends a binary message. */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens to `open`, `message`, `error` and `close`. */
  addEventListener(type: string, listener: (event: never) => void): void;
  /** Stops reading from the network (optional; the `ws` package has it). */
  pause?(): void;
  /** Resumes reading (optional). */
  resume?(): void;
  /**
   * Drops the TCP connection at once (optional; the `ws` package has it): used
   * when a server does not answer the closing handshake in time.
   */
  terminate?(): void;
}

/**
 * Opens a WebSocket: `headers` carries `X-PTY-Token` (and `Authorization`)
 * for runtimes whose WebSocket can send headers; the token is also in the URL.
 *
 * @example The `ws` package on Node 20
 * ```ts ignore
 * import WebSocket from "ws";
 * import { Tensorlake, type WebSocketFactory } from "@sandgate/sdk";
 * const webSocket: WebSocketFactory = (url, init) => new WebSocket(url, init);
 * const tensorlake = new Tensorlake({ webSocket });
 * ```
 */
export type WebSocketFactory = (
  url: string,
  init: { headers: Record<string, string> },
) => WebSocketLike | Promise<WebSocketLike>;

/** A message's bytes (binary messages only; a string is `undefined`). */
export function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return undefined;
}

/** Starts the closing handshake unless the socket is already closing; never throws. */
export function closeQuietly(socket: WebSocketLike | undefined): void {
  try {
    if (socket && socket.readyState <= OPEN) socket.close(1000, "client disconnect");
  } catch { /* already closed */ }
}
