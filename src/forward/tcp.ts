/**
 * Which runtime module does TCP here: workerd's `cloudflare:sockets`
 * (connections only), else `node:net` (Node, Deno, Bun: listeners and
 * connections), else none (browsers): an {@link UnsupportedRuntimeError}
 * before anything is sent.
 *
 * @module
 */
import { connectTcp, listenTcp, loadNodeNet, type TcpListener } from "./tcp_node.ts";
import { connectWorkerd, isWorkerd } from "./tcp_workerd.ts";
import type { TcpConnection } from "./types.ts";
import { UnsupportedRuntimeError } from "../errors.ts";

export type { TcpListener } from "./tcp_node.ts";

/** Opens an outgoing TCP connection. */
export type TcpConnect = (
  host: string,
  port: number,
  signal?: AbortSignal,
) => Promise<TcpConnection>;
/** Listens locally, handing each accepted connection to `accept`. */
export type TcpListen = (
  host: string,
  port: number,
  accept: (connection: TcpConnection) => void,
) => Promise<TcpListener>;

/** This runtime's outgoing TCP; throws {@link UnsupportedRuntimeError} where there is none. */
export async function tcpConnector(operation: string): Promise<TcpConnect> {
  if (isWorkerd()) return connectWorkerd;
  const net = await loadNodeNet();
  if (net) return (host, port, signal) => connectTcp(net, host, port, signal);
  throw new UnsupportedRuntimeError(
    operation,
    "raw TCP socket",
    "Prime Intellect's TCP exposures need Deno, Node, Bun or workerd (browsers cannot open one)",
  );
}

/** This runtime's local listener; throws {@link UnsupportedRuntimeError} where there is none. */
export async function tcpListener(operation: string): Promise<TcpListen> {
  const net = isWorkerd() ? undefined : await loadNodeNet();
  if (net) return (host, port, accept) => listenTcp(net, host, port, accept);
  throw new UnsupportedRuntimeError(
    operation,
    "local TCP listener",
    "forward() runs on Deno, Node and Bun; use connect() on workerd and in browsers",
  );
}
