/**
 * What listens inside an emulated sandbox: the services a user declares
 * (`createEmulator({ services: { 6379: "127.0.0.1:6379" } })`, or a
 * handler), so that a forwarded port reaches something real.
 *
 * - Tensorlake's TCP tunnel WebSocket (`/api/v1/tunnels/tcp?port=N`) relays
 *   to the service of port N; a port without one is refused 502, as the
 *   docs say of a port nothing accepts on
 *   (https://docs.tensorlake.ai/api-reference/v2/tunnels/tcp).
 * - Served over HTTP, each Prime Intellect TCP exposure gets a loopback
 *   listener of its own as `external_endpoint`, relaying to the service of
 *   its port. A connection to a port without one is accepted and closed at
 *   once (assumption: what Prime's relay does then is not documented).
 *
 * @module
 */
import { relay } from "../forward/forward.ts";
import { parseHostPort } from "../util/host_port.ts";
import {
  connectTcp,
  loadNodeNet,
  type NodeNet,
  type NodeSocket,
  socketConnection,
} from "../forward/tcp_node.ts";
import type { TcpConnection } from "../forward/types.ts";
import type { PeerHandlers, PeerSocket } from "./pty_shell.ts";

/**
 * A service inside every emulated sandbox: a `"host:port"` (or
 * `{ host, port }`) it relays to, or a handler given each connection.
 *
 * @example A TCP echo service on port 7
 * ```ts
 * import type { EmulatedService } from "@sandgate/sdk/testing";
 * const echo: EmulatedService = (connection) => connection.readable.pipeTo(connection.writable);
 * console.log(typeof echo);
 * ```
 */
export type EmulatedService =
  | string
  | { readonly host: string; readonly port: number }
  | ((connection: TcpConnection) => void | Promise<void>);

/** A checked service. */
export type ServiceTarget =
  | { kind: "upstream"; host: string; port: number }
  | { kind: "handler"; handler: (connection: TcpConnection) => void | Promise<void> };

/** Services by port inside the sandbox. */
export type ServiceMap = ReadonlyMap<number, ServiceTarget>;

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/** Checks the `services` option once; throws a `TypeError` naming the entry. */
export function normalizeServices(
  services: Readonly<Record<number, EmulatedService>> | undefined,
): ServiceMap {
  const map = new Map<number, ServiceTarget>();
  for (const [key, service] of Object.entries(services ?? {})) {
    const port = Number(key);
    if (!isPort(port)) throw new TypeError(`services: ${key} is not a port (1-65535)`);
    if (typeof service === "function") {
      map.set(port, { kind: "handler", handler: service });
      continue;
    }
    const target = typeof service === "string"
      ? parseHostPort(service)
      : service && typeof service.host === "string" && isPort(service.port)
      ? { host: service.host, port: service.port }
      : undefined;
    if (!target) {
      throw new TypeError(`services[${port}]: must be "host:port", { host, port } or a handler`);
    }
    map.set(port, { kind: "upstream", ...target });
  }
  return map;
}

/**
 * Two {@link TcpConnection}s joined in memory: what one writes, the other
 * reads. Closing a writable ends the other's readable; `close()` ends both.
 */
export function memoryPair(): [TcpConnection, TcpConnection] {
  const controllers: TransformStreamDefaultController<Uint8Array>[] = [];
  const pipe = () =>
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        controllers.push(controller);
      },
    });
  const aToB = pipe();
  const bToA = pipe();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);
  const close = () => {
    for (const controller of controllers) {
      try {
        controller.terminate();
      } catch { /* already over */ }
    }
    resolveClosed();
    return closed;
  };
  const end = (readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>) => ({
    readable,
    writable,
    closed,
    close,
    [Symbol.asyncDispose]: close,
  });
  return [end(bToA.readable, aToB.writable), end(aToB.readable, bToA.writable)];
}

/** Opens a connection to a service (a handler runs on its own end of a memory pair). */
export async function openService(target: ServiceTarget): Promise<TcpConnection> {
  if (target.kind === "handler") {
    const [ours, theirs] = memoryPair();
    Promise.resolve()
      .then(() => target.handler(theirs))
      .catch(() => void theirs.close());
    return ours;
  }
  const net = await loadNodeNet();
  if (!net) throw new TypeError("services: a host:port service needs node:net");
  return await connectTcp(net, target.host, target.port);
}

/** Relays a connection to the service of `port`; without one it is closed at once. */
async function relayToService(
  connection: TcpConnection,
  target: ServiceTarget | undefined,
): Promise<void> {
  if (!target) return await connection.close();
  let service: TcpConnection;
  try {
    service = await openService(target);
  } catch {
    return await connection.close();
  }
  await relay(connection, service, () => {}, () => {});
}

/**
 * The server side of an accepted tunnel WebSocket as a {@link TcpConnection}:
 * binary messages in, `send` out; closing the writable closes the socket
 * (the tunnel has no half-close), the socket's close ends the readable.
 */
export function peerConnection(peer: PeerSocket): {
  connection: TcpConnection;
  handlers: PeerHandlers;
} {
  let input!: ReadableStreamDefaultController<Uint8Array>;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);
  let over = false;
  const finish = () => {
    if (over) return;
    over = true;
    try {
      input.close();
    } catch { /* already closed */ }
    resolveClosed();
  };
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      input = controller;
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (!over) peer.send(chunk);
    },
    close() {
      if (!over) peer.close(1000, "");
    },
    abort() {
      if (!over) peer.close(1011, "service connection failed");
    },
  });
  const close = () => {
    if (!over) peer.close(1000, "");
    finish();
    return closed;
  };
  return {
    connection: { readable, writable, closed, close, [Symbol.asyncDispose]: close },
    handlers: {
      message(bytes) {
        if (!over) input.enqueue(bytes);
      },
      closed: finish,
    },
  };
}

/** Unsent bytes on a tunnel WebSocket above which the emulator stops reading its service. */
const TUNNEL_UNSENT_BYTES = 1_048_576; // 1 MiB

/**
 * Accepts a tunnel WebSocket for `target`: the service connection is made
 * first, so that a refused one answers the upgrade 502 as Tensorlake does. A
 * host:port service is relayed socket to WebSocket directly (the emulator
 * stands for Tensorlake's relay and costs as little as it can); a handler
 * gets a {@link TcpConnection}.
 */
export async function acceptTunnel(
  target: ServiceTarget,
): Promise<((peer: PeerSocket) => PeerHandlers) | undefined> {
  if (target.kind === "handler") {
    const service = await openService(target);
    return (peer) => {
      const { connection, handlers } = peerConnection(peer);
      void relay(connection, service, () => {}, () => {});
      return handlers;
    };
  }
  const net = await loadNodeNet();
  if (!net) return undefined;
  const socket = await new Promise<PipeSocket | undefined>((resolve) => {
    const upstream = net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
    }) as PipeSocket;
    upstream.once("error", () => resolve(undefined));
    upstream.once("connect", () => resolve(upstream));
  });
  if (!socket) return undefined;
  socket.setNoDelay(true);
  socket.pause();
  return (peer) => {
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      peer.close(1000, "");
      socket.destroy();
    };
    // Backpressure: the service is paused while the WebSocket holds more than 1 MiB unsent
    // (the server side reports no drain, so it is polled).
    const drain = () => {
      if (!open) return;
      if (peer.bufferedAmount > TUNNEL_UNSENT_BYTES) setTimeout(drain, 1);
      else socket.resume();
    };
    socket.on("data", (chunk) => {
      if (!open) return;
      peer.send(chunk);
      if (peer.bufferedAmount > TUNNEL_UNSENT_BYTES) {
        socket.pause();
        setTimeout(drain, 1);
      }
    });
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
    socket.resume();
    return {
      message: (bytes) => {
        if (open) socket.write(bytes);
      },
      closed: () => {
        open = false;
        socket.destroy();
      },
    };
  };
}

/** Loopback listeners standing for TCP exposures' external endpoints. */
export interface TcpEndpoints {
  /** Opens the listener of a new exposure of sandbox port `port`. */
  open(exposureId: string, port: number): Promise<{ host: string; port: number }>;
  /** Closes the listeners of every exposure not in `live`. */
  retain(live: ReadonlySet<string>): void;
  /** Closes every listener. */
  close(): Promise<void>;
}

/** The key under which an emulator takes its {@link TcpEndpoints} from `serve()`. Internal. */
export const USE_TCP_ENDPOINTS: unique symbol = Symbol("sandgate.emulator.useTcpEndpoints");

/** A handler that can take {@link TcpEndpoints}; it tells which services it has. */
export interface AcceptsTcpEndpoints {
  /** Attaches (or, with `undefined`, detaches) the endpoints; returns the services. */
  [USE_TCP_ENDPOINTS](endpoints: TcpEndpoints | undefined): ServiceMap;
}

/** Whether `handler` takes {@link TcpEndpoints}. */
export function acceptsTcpEndpoints(handler: object): handler is AcceptsTcpEndpoints {
  return typeof (handler as Partial<AcceptsTcpEndpoints>)[USE_TCP_ENDPOINTS] === "function";
}

/** A `node:net` socket as relayed here: piped straight to another. */
interface PipeSocket extends NodeSocket {
  pipe(destination: PipeSocket): void;
}

/**
 * Relays a raw accepted socket to the service of its port: a host:port service
 * by piping the two sockets (the emulator stands for the provider's relay, so
 * it costs as little as it can), a handler through a {@link TcpConnection}.
 * Without a service the connection is closed at once.
 */
function relayRaw(net: NodeNet, socket: PipeSocket, target: ServiceTarget | undefined): void {
  if (!target) return socket.destroy();
  if (target.kind === "handler") {
    void relayToService(socketConnection(socket), target);
    return;
  }
  const upstream = net.connect({
    host: target.host,
    port: target.port,
    allowHalfOpen: true,
  }) as PipeSocket;
  const fail = () => {
    socket.destroy();
    upstream.destroy();
  };
  socket.on("error", fail);
  upstream.on("error", fail);
  socket.on("close", () => upstream.destroy());
  upstream.on("close", () => socket.destroy());
  upstream.once("connect", () => {
    upstream.setNoDelay(true);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
}

/** Listeners on `hostname` through `node:net`; `undefined` where it is missing. */
export async function loopbackTcpEndpoints(
  hostname: string,
  services: ServiceMap,
): Promise<TcpEndpoints | undefined> {
  const net = await loadNodeNet();
  if (!net) return undefined;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const listeners = new Map<string, Promise<{ close(): Promise<void> }>>();
  const stop = async (exposureId: string) => {
    const listener = listeners.get(exposureId);
    listeners.delete(exposureId);
    await (await listener?.catch(() => undefined))?.close();
  };
  const listen = async (port: number) => {
    const sockets = new Set<PipeSocket>();
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      const raw = socket as PipeSocket;
      sockets.add(raw);
      raw.once("close", () => sockets.delete(raw));
      raw.on("error", () => {});
      raw.setNoDelay(true);
      relayRaw(net, raw, services.get(port));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, hostname, () => resolve());
    });
    const address = server.address();
    return {
      port: typeof address === "object" && address ? address.port : 0,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  };
  return {
    async open(exposureId, port) {
      const listening = listen(port);
      listeners.set(exposureId, listening);
      return { host, port: (await listening).port };
    },
    retain(live) {
      for (const exposureId of listeners.keys()) {
        if (!live.has(exposureId)) void stop(exposureId);
      }
    },
    async close() {
      await Promise.all([...listeners.keys()].map(stop));
    },
  };
}
