/**
 * Servers of the tests on 127.0.0.1 only (never another host name). Node APIs
 * only, so the tests that use them run under Deno, Node and Bun alike.
 *
 * @module
 */
import { createServer, type Socket } from "node:net";

/** Anything with Node's `listen(port, host, cb)` and `address()`: net and http servers. */
interface Listener {
  listen(port: number, host: string, listening: () => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  address(): unknown;
}

/** Listens on a port the OS picks on 127.0.0.1; resolves with that port. */
export function listenOnLoopback(server: Listener): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      // Only a failure to listen rejects: later errors stay the server's own.
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? (address as { port: number }).port : 0);
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A TCP server on 127.0.0.1 that hands each connection to `onSocket`; `close` destroys the open
 * connections and stops listening. `allowHalfOpen` keeps a socket writable after its peer's FIN
 * (an echo server that answers after the client's end).
 */
export async function tcpServer(
  onSocket: (socket: Socket) => void,
  options: { allowHalfOpen?: boolean } = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
