/**
 * TCP through `node:net`, which Node, Deno and Bun all provide: a local
 * listener (what `forward()` listens with) and outgoing connections (Prime
 * Intellect's `connect()`), each connection as a {@link TcpConnection} of
 * Web streams with backpressure both ways and half-close kept
 * (`allowHalfOpen`: closing the writable sends FIN, reading goes on).
 *
 * `node:net` is imported lazily, only when a call needs it: importing the
 * library stays side-effect free and edge bundles never load it.
 *
 * @module
 */
import { NetworkError } from "../errors.ts";
import type { TcpConnection } from "./types.ts";
import { formatHostPort } from "../util/host_port.ts";

// Minimal shapes of node:net, so this file type-checks without @types/node.
/** A `node:net` socket, as used here. */
export interface NodeSocket {
  readonly destroyed: boolean;
  /** Bytes queued by `write` and not yet handed to the kernel. */
  readonly writableLength: number;
  write(chunk: Uint8Array): boolean;
  end(callback?: () => void): void;
  destroy(error?: Error): void;
  /** Destroys with a TCP RST (Node ≥ 16.17; absent elsewhere). */
  resetAndDestroy?(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay: boolean): void;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "end" | "close" | "drain" | "connect", listener: () => void): void;
  on(event: "error", listener: (error: Error & { code?: string }) => void): void;
  once(event: "drain" | "close" | "connect", listener: () => void): void;
  once(event: "error", listener: (error: Error & { code?: string }) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
}
interface NodeServer {
  listen(port: number, host: string, callback: () => void): void;
  address(): { port: number } | string | null;
  close(callback?: () => void): void;
  once(event: "error", listener: (error: Error & { code?: string }) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
}
/** The parts of `node:net` used here. */
export interface NodeNet {
  createServer(
    options: { allowHalfOpen: boolean },
    listener: (socket: NodeSocket) => void,
  ): NodeServer;
  connect(options: { host: string; port: number; allowHalfOpen: boolean }): NodeSocket;
}

/** Bytes the readable side queues before the socket is paused. */
const READ_HIGH_WATER_BYTES = 262_144; // 256 KiB
/**
 * Bytes a socket may hold unsent before a write waits for `drain`. Node's own
 * mark is 16 KiB, below one 64 KiB read: waiting on `write()`'s `false` would
 * leave one chunk in flight at a time.
 */
const WRITE_HIGH_WATER_BYTES = 1_048_576; // 1 MiB

/** `node:net`, or `undefined` where the runtime has none (browsers, workerd without compat). */
export async function loadNodeNet(): Promise<NodeNet | undefined> {
  try {
    const net = (await import("node:net")) as unknown as NodeNet & { default?: NodeNet };
    const api = typeof net.createServer === "function" ? net : net.default;
    return typeof api?.createServer === "function" ? api : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A connected `node:net` socket as a {@link TcpConnection}. The readable
 * pauses the socket while its queue is full; a write waits for `drain` when
 * the socket's buffer is; closing the writable half-closes (FIN); `close()`
 * destroys the socket.
 */
export function socketConnection(socket: NodeSocket): TcpConnection {
  const closed = new Promise<void>((resolve) => socket.once("close", resolve));
  socket.on("error", () => {}); // Reported through the streams; never unhandled.
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (chunk) => {
        try {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch {
          return; // Cancelled or errored: the socket is being destroyed.
        }
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      const end = () => {
        try {
          controller.close();
        } catch { /* already closed or errored */ }
      };
      socket.on("end", end);
      socket.on("error", (error) => {
        try {
          controller.error(new NetworkError(`connection broke: ${error.code ?? error.message}`));
        } catch { /* already closed */ }
      });
      socket.on("close", end);
    },
    pull() {
      socket.resume();
    },
    cancel() {
      socket.destroy();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: READ_HIGH_WATER_BYTES }));
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) throw new NetworkError("connection closed");
      socket.write(chunk);
      if (socket.writableLength <= WRITE_HIGH_WATER_BYTES) return;
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          socket.off("drain", done);
          socket.off("close", gone);
          resolve();
        };
        const gone = () => {
          socket.off("drain", done);
          reject(new NetworkError("connection closed"));
        };
        socket.once("drain", done);
        socket.once("close", gone);
      });
    },
    close() {
      if (socket.destroyed) return;
      return new Promise<void>((resolve) => socket.end(resolve));
    },
    abort() {
      // A reset, not a FIN: the client must not mistake a broken relay for the end of the data.
      if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
      else socket.destroy();
    },
  });
  const close = async () => {
    socket.destroy();
    await closed;
  };
  return { readable, writable, closed, close, [Symbol.asyncDispose]: close };
}

/** A listening local TCP server. */
export interface TcpListener {
  /** The interface listened on. */
  readonly host: string;
  /** The port listened on. */
  readonly port: number;
  /** Stops accepting and destroys every connection it accepted. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (`0`: a free port) and hands each accepted
 * connection to `accept`. Rejects with a `NetworkError` naming the address
 * when it cannot listen (in use, not permitted).
 */
export async function listenTcp(
  net: NodeNet,
  host: string,
  port: number,
  accept: (connection: TcpConnection) => void,
): Promise<TcpListener> {
  const sockets = new Set<NodeSocket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.setNoDelay(true);
    accept(socketConnection(socket));
  });
  const shown = formatHostPort({ host, port });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error & { code?: string }) =>
      reject(new NetworkError(`cannot listen on ${shown}: ${error.code ?? error.message}`));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  server.on("error", () => {}); // After listening, errors belong to connections.
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    host,
    port: actual,
    close: () =>
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Connects to `host:port`. Rejects with a `NetworkError` (`neverSent`) when
 * the connection is refused or the name does not resolve, or with the
 * signal's reason when it aborts first.
 */
export function connectTcp(
  net: NodeNet,
  host: string,
  port: number,
  signal?: AbortSignal,
): Promise<TcpConnection> {
  signal?.throwIfAborted();
  return new Promise<TcpConnection>((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    const onAbort = () => {
      socket.destroy();
      reject(signal!.reason);
    };
    const failed = (error: Error & { code?: string }) => {
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(
        new NetworkError(`cannot connect to ${host}:${port}: ${error.code ?? error.message}`, {
          neverSent: true,
        }),
      );
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", failed);
    socket.once("connect", () => {
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", failed);
      socket.setNoDelay(true);
      resolve(socketConnection(socket));
    });
  });
}
