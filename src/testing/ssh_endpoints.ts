/**
 * Loopback SSH endpoints for the emulator served over HTTP: each SSH session
 * gets a TCP listener of its own on the serving interface, so clients that
 * wait for the endpoint to accept connections (the CLI's readiness probe)
 * are exercised for real. The listener greets with an SSH identification
 * line and hangs up; it is not an SSH server.
 *
 * The in-process emulator has none of this: its sessions keep the
 * placeholder host `ssh.emulator.sandgate.invalid`.
 *
 * @module
 */

/** Where an SSH session can be reached. */
export interface SshEndpoint {
  /** Host to put in the session (`127.0.0.1`, or the serving interface). */
  host: string;
  /** Its own port. */
  port: number;
}

/**
 * Thrown by {@link SshEndpoints.open} when `max` endpoints are open: the
 * emulator answers it 503 in Prime Intellect's `{ detail }` shape.
 */
export class SshEndpointLimitError extends Error {
  /** Creates the error for a cap of `max` endpoints. */
  constructor(readonly max: number) {
    super(
      `SSH endpoint limit reached: ${max} sessions hold one; close one or wait for it to expire`,
    );
    this.name = "SshEndpointLimitError";
  }
}

/** Opens and closes the TCP endpoints of SSH sessions. */
export interface SshEndpoints {
  /**
   * Opens a listener for a new session, closed after `ttlMs` at the latest;
   * rejects with {@link SshEndpointLimitError} when the cap is reached.
   */
  open(sessionId: string, ttlMs?: number): Promise<SshEndpoint>;
  /** Closes the listeners of every session not in `live`. */
  retain(live: ReadonlySet<string>): void;
  /** Closes every listener. */
  close(): Promise<void>;
}

/**
 * The key under which an emulator accepts its {@link SshEndpoints} from
 * `serve()` (`undefined` detaches them). Internal: not exported from the
 * package.
 */
export const USE_SSH_ENDPOINTS: unique symbol = Symbol("sandgate.emulator.useSshEndpoints");

/** A handler that can take {@link SshEndpoints}. */
export interface AcceptsSshEndpoints {
  /** Attaches (or, with `undefined`, detaches) the endpoints. */
  [USE_SSH_ENDPOINTS](endpoints: SshEndpoints | undefined): void;
}

/** Whether `handler` takes {@link SshEndpoints}. */
export function acceptsSshEndpoints(handler: object): handler is AcceptsSshEndpoints {
  return typeof (handler as Partial<AcceptsSshEndpoints>)[USE_SSH_ENDPOINTS] === "function";
}

// Minimal shapes of node:net, so this file type-checks without @types/node.
interface NodeSocket {
  end(data: string): void;
  destroy(): void;
  on(event: "error", listener: () => void): void;
}
interface NodeNetServer {
  listen(port: number, hostname: string, callback: () => void): void;
  address(): { port: number } | string | null;
  close(callback?: () => void): void;
  on(event: "error", listener: (error: unknown) => void): void;
}
interface NodeNet {
  createServer(listener: (socket: NodeSocket) => void): NodeNetServer;
}

const BANNER = "SSH-2.0-sandgate_emulator\r\n";

/** Bounds of {@link loopbackSshEndpoints}. */
export interface SshEndpointsOptions {
  /** Most listeners open at once. Default 64. */
  max?: number;
}

/**
 * TCP listeners on `hostname` through `node:net`, at most `max` at once, each
 * closed when its session ends or its `ttlMs` is over; `undefined` where
 * `node:net` is missing.
 */
export async function loopbackSshEndpoints(
  hostname: string,
  options: SshEndpointsOptions = {},
): Promise<SshEndpoints | undefined> {
  const max = options.max ?? 64;
  let net: NodeNet | undefined;
  try {
    net = (await import("node:net")) as unknown as NodeNet;
  } catch {
    return undefined;
  }
  if (!net?.createServer) return undefined;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  interface Entry {
    server: NodeNetServer;
    sockets: Set<NodeSocket>;
    expiry?: ReturnType<typeof setTimeout>;
  }
  const servers = new Map<string, Entry>();
  // Listeners being opened count against the cap too.
  let opening = 0;
  let closed = false;
  const stop = (sessionId: string) =>
    new Promise<void>((resolve) => {
      const entry = servers.get(sessionId);
      if (!entry) return resolve();
      servers.delete(sessionId);
      if (entry.expiry !== undefined) clearTimeout(entry.expiry);
      for (const socket of entry.sockets) socket.destroy();
      entry.server.close(() => resolve());
    });
  return {
    async open(sessionId, ttlMs) {
      if (closed) throw new Error("SSH endpoints closed");
      if (servers.size + opening >= max) throw new SshEndpointLimitError(max);
      const sockets = new Set<NodeSocket>();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => sockets.delete(socket));
        socket.end(BANNER);
      });
      opening++;
      try {
        await new Promise<void>((resolve, reject) => {
          server.on("error", reject);
          server.listen(0, hostname, () => resolve());
        });
      } finally {
        opening--;
      }
      if (closed) {
        // The server closed while this one was being opened: nothing may outlive it.
        await new Promise<void>((resolve) => server.close(() => resolve()));
        throw new Error("SSH endpoints closed");
      }
      const entry: Entry = { server, sockets };
      // Closed at the session's TTL even when no request comes to notice it expired.
      if (ttlMs !== undefined && ttlMs <= 0x7fff_ffff) {
        entry.expiry = setTimeout(() => void stop(sessionId), Math.max(0, ttlMs));
      }
      servers.set(sessionId, entry);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      return { host, port };
    },
    retain(live) {
      for (const sessionId of servers.keys()) {
        if (!live.has(sessionId)) void stop(sessionId);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...servers.keys()].map(stop));
    },
  };
}
