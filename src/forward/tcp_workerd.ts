/**
 * Outgoing TCP on Cloudflare Workers (workerd): `connect()` from
 * `cloudflare:sockets` (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/),
 * whose socket already is a pair of Web streams. Imported lazily through a
 * computed specifier, so no other runtime or bundler ever resolves it.
 *
 * @module
 */
import { NetworkError } from "../errors.ts";
import type { TcpConnection } from "./types.ts";

/** The `cloudflare:sockets` socket, as used here. */
interface WorkerdSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened?: Promise<unknown>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}
interface WorkerdSockets {
  connect(
    address: { hostname: string; port: number },
    options: { allowHalfOpen: boolean },
  ): WorkerdSocket;
}

const SOCKETS_MODULE = "cloudflare:sockets";

/** Whether this is workerd (Cloudflare documents this `navigator.userAgent`). */
export function isWorkerd(): boolean {
  const navigator = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  return navigator?.userAgent === "Cloudflare-Workers";
}

/** Connects to `host:port` with `cloudflare:sockets`. */
export async function connectWorkerd(
  host: string,
  port: number,
  signal?: AbortSignal,
): Promise<TcpConnection> {
  signal?.throwIfAborted();
  const sockets = (await import(SOCKETS_MODULE)) as WorkerdSockets;
  const socket = sockets.connect({ hostname: host, port }, { allowHalfOpen: true });
  const close = async () => {
    await socket.close().catch(() => {});
  };
  try {
    const aborted = new Promise<never>((_, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    await Promise.race([socket.opened ?? Promise.resolve(), aborted]);
  } catch (error) {
    await close();
    if (signal?.aborted) throw signal.reason;
    throw new NetworkError(`cannot connect to ${host}:${port}: ${String(error)}`, {
      neverSent: true,
      cause: error,
    });
  }
  const closed = socket.closed.then(() => {}, () => {});
  return {
    readable: socket.readable,
    writable: socket.writable,
    closed,
    close,
    [Symbol.asyncDispose]: close,
  };
}
