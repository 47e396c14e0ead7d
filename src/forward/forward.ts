/**
 * The provider-neutral part of `forward()`: a local listener whose every
 * accepted connection is relayed, bytes counted both ways, to a connection
 * the provider opens ({@link Remote}); and the one way everything ends:
 * stop listening, end each relay, then release what the provider holds.
 *
 * @module
 */
import { DisposableFields } from "../handle.ts";
import type { ForwardSettings } from "./options.ts";
import type { TcpListen, TcpListener } from "./tcp.ts";
import type { Forward, ForwardStats, TcpConnection } from "./types.ts";

/** What a provider forwards to. */
export interface Remote {
  /** Opens one connection to the remote port. */
  open(signal: AbortSignal): Promise<TcpConnection>;
  /** Releases what the forward holds (an exposure it created); after every relay ended. */
  release(): Promise<void>;
}

/** What {@link startForward} needs. */
export interface ForwardPlan {
  listen: TcpListen;
  settings: ForwardSettings;
  remotePort: number;
  /**
   * Sets the remote side up (requests to the provider), once the listener
   * is bound: a busy local port fails before anything is created remotely.
   */
  prepare(signal: AbortSignal): Promise<Remote>;
}

/** Copies `from` into `to`, counting bytes; closes `to` at the end of `from`. */
export async function pump(
  from: ReadableStream<Uint8Array>,
  to: WritableStream<Uint8Array>,
  count: (bytes: number) => void,
): Promise<void> {
  const reader = from.getReader();
  const writer = to.getWriter();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await writer.write(value);
      count(value.byteLength);
    }
    await writer.close();
  } catch (error) {
    reader.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
    throw error;
  }
}

/**
 * Relays `a` and `b` both ways until both directions ended; a failure of
 * either direction ends both connections. Resolves with the failure, if any.
 */
export async function relay(
  a: TcpConnection,
  b: TcpConnection,
  countAtoB: (bytes: number) => void,
  countBtoA: (bytes: number) => void,
): Promise<unknown> {
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
    void a.close();
    void b.close();
  };
  await Promise.all([
    pump(a.readable, b.writable, countAtoB).catch(fail),
    pump(b.readable, a.writable, countBtoA).catch(fail),
  ]);
  await Promise.all([a.close(), b.close()]);
  return failure;
}

type MutableStats = { -readonly [K in keyof ForwardStats]: ForwardStats[K] };

/** Public fields of a {@link Forward}. */
interface ForwardFields {
  host: string;
  port: number;
  remotePort: number;
  stats: ForwardStats;
}

/** What a {@link ForwardHandle} calls on its owner, the running forward of {@link startForward}. */
interface ForwardOwner {
  /** Settles once the forward stopped (listener, connections and remote side released). */
  readonly closed: Promise<void>;
  /** Stops the forward, once; later calls share the first one's promise. */
  close(): Promise<void>;
}

/** The {@link Forward} handle. */
class ForwardHandle extends DisposableFields<ForwardFields> implements Forward {
  protected readonly inspectName = "Forward";
  readonly host: string;
  readonly port: number;
  readonly remotePort: number;
  readonly stats: ForwardStats;
  readonly closed: Promise<void>;
  readonly #owner: ForwardOwner;

  constructor(fields: ForwardFields, owner: ForwardOwner) {
    super();
    this.host = fields.host;
    this.port = fields.port;
    this.remotePort = fields.remotePort;
    this.stats = fields.stats;
    this.closed = owner.closed;
    this.#owner = owner;
  }

  toJSON(): ForwardFields {
    return {
      host: this.host,
      port: this.port,
      remotePort: this.remotePort,
      stats: { ...this.stats },
    };
  }

  close(): Promise<void> {
    return this.#owner.close();
  }

  protected dispose(): Promise<void> {
    return this.#owner.close();
  }
}

/**
 * Binds the listener, sets the remote side up, and returns the running
 * {@link Forward}. When setting up fails (or the signal aborts), the
 * listener is closed again and nothing is left behind.
 */
export async function startForward(plan: ForwardPlan): Promise<Forward> {
  const { settings } = plan;
  settings.signal?.throwIfAborted();
  const stats: MutableStats = {
    connections: 0,
    activeConnections: 0,
    failedConnections: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  // Aborted when the forward stops: pending opens and set-up give up.
  const stop = new AbortController();
  const onUserAbort = () => void close();
  const connections = new Set<TcpConnection>();
  const relays = new Set<Promise<void>>();
  let stopping = false;
  // Settles with the set-up: connections accepted before it wait for it.
  let setUp!: (remote: Promise<Remote>) => void;
  const remote = new Promise<Remote>((resolve) => setUp = resolve);
  const report = (error: unknown) => {
    stats.failedConnections += 1;
    try {
      settings.onConnectionError?.(error);
    } catch { /* a hook's failure is not the forward's */ }
  };

  const serve = async (local: TcpConnection) => {
    let far: TcpConnection;
    try {
      far = await (await remote).open(stop.signal);
    } catch (error) {
      if (!stopping) report(error);
      await local.close();
      return;
    }
    if (stopping) {
      await Promise.all([local.close(), far.close()]);
      return;
    }
    connections.add(far);
    try {
      const failure = await relay(
        local,
        far,
        (n) => stats.bytesOut += n,
        (n) => stats.bytesIn += n,
      );
      if (failure !== undefined && !stopping) report(failure);
    } finally {
      connections.delete(far);
    }
  };

  const accept = (local: TcpConnection) => {
    if (stopping) {
      void local.close();
      return;
    }
    stats.connections += 1;
    stats.activeConnections += 1;
    connections.add(local);
    const running = serve(local).finally(() => {
      connections.delete(local);
      stats.activeConnections -= 1;
      relays.delete(running);
    });
    relays.add(running);
  };

  const listener: TcpListener = await plan.listen(settings.host, settings.localPort, accept);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      stopping = true;
      settings.signal?.removeEventListener("abort", onUserAbort);
      stop.abort();
      try {
        await listener.close();
        await Promise.all([...connections].map((c) => c.close()));
        await Promise.allSettled(relays);
        const prepared = await remote.catch(() => undefined);
        await prepared?.release();
      } finally {
        resolveClosed();
      }
    })();

  setUp(plan.prepare(stop.signal));
  settings.signal?.addEventListener("abort", onUserAbort, { once: true });
  try {
    await remote;
    settings.signal?.throwIfAborted();
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return new ForwardHandle(
    { host: listener.host, port: listener.port, remotePort: plan.remotePort, stats },
    { closed, close },
  );
}
