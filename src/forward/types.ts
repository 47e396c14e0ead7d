/**
 * The shapes of forwarding, shared by both providers: a byte stream to a
 * port inside a sandbox ({@link TcpConnection}, what `sandbox.connect()`
 * returns) and a local listener relaying to one ({@link Forward}, what
 * `sandbox.forward()` returns).
 *
 * @module
 */

/**
 * A duplex byte stream to a TCP port inside a sandbox: what
 * `sandbox.connect(port)` returns, on every runtime (workerd and browsers
 * included, where no listener can exist).
 *
 * Closing `writable` (`writer.close()`) says "no more bytes" to the other
 * end; `close()` ends both directions and releases what the connection
 * holds (the tunnel, or an exposure sandgate created for it). `await using`
 * calls `close()`.
 *
 * @example Talk to a service in a sandbox
 * ```ts
 * import type { TcpConnection } from "@sandgate/sdk";
 * async function ping(connection: TcpConnection): Promise<string> {
 *   const writer = connection.writable.getWriter();
 *   await writer.write(new TextEncoder().encode("PING\r\n"));
 *   const { value } = await connection.readable.getReader().read();
 *   return new TextDecoder().decode(value);
 * }
 * console.log(typeof ping);
 * ```
 */
export interface TcpConnection {
  /** Bytes from the sandbox's port. Ends when the other side closes. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the sandbox's port; `close()` on it ends the sending direction. */
  readonly writable: WritableStream<Uint8Array>;
  /** Settles once both directions are over and everything is released. */
  readonly closed: Promise<void>;
  /** Ends both directions and releases the connection's resources. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Options of `sandbox.connect(remotePort, options)`.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "@sandgate/sdk";
 * const options: ConnectOptions = { timeoutMs: 10_000 };
 * console.log(options.timeoutMs);
 * ```
 */
export interface ConnectOptions {
  /** Aborts connecting; once connected, aborting closes the connection. */
  signal?: AbortSignal;
  /** Budget for connecting (requests and handshake), in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /**
   * Tensorlake: most received bytes queued for a reader that does not keep
   * up, where the WebSocket cannot be paused (Deno's, Node's and browsers'
   * standard one); past it the connection fails with a `NetworkError`
   * instead of growing. Default 16 MiB. (Prime's TCP sockets pause instead.)
   */
  maxBufferedBytes?: number;
}

/**
 * Options of `sandbox.forward(remotePort, options)`.
 *
 * @example
 * ```ts
 * import type { ForwardOptions } from "@sandgate/sdk";
 * const options: ForwardOptions = { localPort: 15432, host: "127.0.0.1" };
 * console.log(options.localPort);
 * ```
 */
export interface ForwardOptions {
  /** Local port to listen on; `0` (the default) lets the system pick a free one. */
  localPort?: number;
  /** Local interface to listen on. Default `"127.0.0.1"` (never all interfaces unless asked). */
  host?: string;
  /** Aborting stops the forward, as `close()` does. */
  signal?: AbortSignal;
  /** Per connection, as {@link ConnectOptions.maxBufferedBytes}. Default 16 MiB. */
  maxBufferedBytes?: number;
  /**
   * Told when one forwarded connection fails (the service refused it, the
   * tunnel broke); the forward itself keeps listening.
   */
  onConnectionError?: (error: unknown) => void;
}

/**
 * Counters of a {@link Forward}, a live view.
 *
 * @example
 * ```ts
 * import type { ForwardStats } from "@sandgate/sdk";
 * const stats: ForwardStats = {
 *   connections: 1,
 *   activeConnections: 0,
 *   failedConnections: 0,
 *   bytesIn: 7,
 *   bytesOut: 14,
 * };
 * console.log(stats.bytesIn);
 * ```
 */
export interface ForwardStats {
  /** Local connections accepted. */
  readonly connections: number;
  /** Connections relaying now. */
  readonly activeConnections: number;
  /** Connections whose remote side could not be reached or broke. */
  readonly failedConnections: number;
  /** Bytes from the sandbox to local clients. */
  readonly bytesIn: number;
  /** Bytes from local clients to the sandbox. */
  readonly bytesOut: number;
}

/**
 * A running local forward: a listener on `host:port` whose connections each
 * reach `remotePort` inside the sandbox. `await using` (or `close()`) stops
 * listening, ends every connection and removes what the forward created
 * (a Prime Intellect TCP exposure it made).
 *
 * @example
 * ```ts ignore
 * await using forward = await sandbox.forward(5432, { localPort: 15432 });
 * console.log(`psql -h ${forward.host} -p ${forward.port}`);
 * ```
 */
export interface Forward {
  /** The local interface listened on. */
  readonly host: string;
  /** The local port listened on (the one picked when `localPort` was 0). */
  readonly port: number;
  /** The port inside the sandbox. */
  readonly remotePort: number;
  /** Counters (a live view). */
  readonly stats: ForwardStats;
  /** Settles once the forward has stopped and released everything. */
  readonly closed: Promise<void>;
  /**
   * Stops listening, ends every connection and releases the forward's
   * resources; rejects when a release failed (e.g. removing the exposure).
   */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
