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

/** Opens and closes the TCP endpoints of SSH sessions. */
export interface SshEndpoints {
  /** Opens a listener for a new session. */
  open(sessionId: string): Promise<SshEndpoint>;
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

/** TCP listeners on `hostname` through `node:net`; `undefined` where it is missing. */
export async function loopbackSshEndpoints(hostname: string): Promise<SshEndpoints | undefined> {
  let net: NodeNet | undefined;
  try {
    net = (await import("node:net")) as unknown as NodeNet;
  } catch {
    return undefined;
  }
  if (!net?.createServer) return undefined;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const servers = new Map<string, { server: NodeNetServer; sockets: Set<NodeSocket> }>();
  const stop = (sessionId: string) =>
    new Promise<void>((resolve) => {
      const entry = servers.get(sessionId);
      if (!entry) return resolve();
      servers.delete(sessionId);
      for (const socket of entry.sockets) socket.destroy();
      entry.server.close(() => resolve());
    });
  return {
    async open(sessionId) {
      const sockets = new Set<NodeSocket>();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => sockets.delete(socket));
        socket.end(BANNER);
      });
      await new Promise<void>((resolve, reject) => {
        server.on("error", reject);
        server.listen(0, hostname, () => resolve());
      });
      servers.set(sessionId, { server, sockets });
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
      await Promise.all([...servers.keys()].map(stop));
    },
  };
}
