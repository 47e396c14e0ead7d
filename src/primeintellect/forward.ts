/**
 * Forwarding on Prime Intellect: a TCP exposure of the sandbox's port
 * (`POST /api/v1/sandbox/{id}/expose` with `protocol: "TCP"`; seed page
 * "Expose Port Endpoint") and raw TCP to its `external_endpoint`
 * (`host:port`), as Prime's own example does
 * (PrimeIntellect-ai/prime@66fb4b7 `examples/sandbox_port_expose_demo.py`,
 * `verify_tcp`: `endpoint.rsplit(":", 1)` then a plain socket). No `ssh`
 * binary is involved.
 *
 * An existing TCP exposure of the same port is reused (and then left in
 * place); one created here is removed when the forward or connection ends.
 *
 * @module
 */
import { UnexpectedResponseError } from "../errors.ts";
import type { CallOptions } from "../options.ts";
import { systemClock } from "../util/clock.ts";
import { timedSignal } from "../util/timed_signal.ts";
import { type HostPort, parseHostPort } from "../util/host_port.ts";
import { type Remote, startForward } from "../forward/forward.ts";
import type { ForwardSettings } from "../forward/options.ts";
import { tcpConnector, tcpListener } from "../forward/tcp.ts";
import type { ConnectOptions, Forward, TcpConnection } from "../forward/types.ts";
import type { ExposePortOptions, Exposure } from "./exposure.ts";

/** What forwarding needs of a sandbox handle. */
export interface ExposureApi {
  exposePort(options: ExposePortOptions, callOptions?: CallOptions): Promise<Exposure>;
  listExposures(callOptions?: CallOptions): Promise<Exposure[]>;
}

/** A TCP endpoint of the sandbox's port, and how to give it back. */
interface Endpoint {
  host: string;
  port: number;
  /** Removes the exposure when it was created for this; a no-op for a reused one. */
  release(): Promise<void>;
}

/** Default budget of `connect()`: the exposure's requests and the socket's connect. */
const CONNECT_TIMEOUT_MS = 30_000;

/** `external_endpoint`, documented as `host:port` (the rule: util/host_port.ts). */
export function parseEndpoint(endpoint: string | null, exposureId: string): HostPort {
  const parsed = parseHostPort(endpoint);
  if (parsed) return parsed;
  throw new UnexpectedResponseError(
    `Prime Intellect exposure ${exposureId}: external_endpoint is not host:port`,
  );
}

/**
 * The sandbox's TCP exposure of `port`: an existing one, or one created now.
 * The create request itself is not abandoned when `signal` aborts (an
 * exposure the server made would be left with nobody knowing its id): it
 * runs to its answer under the client's own timeout, and is then removed.
 */
async function tcpEndpoint(api: ExposureApi, port: number, signal: AbortSignal): Promise<Endpoint> {
  const existing = (await api.listExposures({ signal })).find((e) =>
    e.protocol?.toUpperCase() === "TCP" && e.port === port && e.externalEndpoint
  );
  if (existing) {
    return { ...parseEndpoint(existing.externalEndpoint, existing.exposureId), release: noop };
  }
  signal.throwIfAborted();
  const created = await api.exposePort({ port, protocol: "TCP", name: `sandgate-forward-${port}` });
  try {
    signal.throwIfAborted();
    return {
      ...parseEndpoint(created.externalEndpoint, created.exposureId),
      release: async () => {
        await created.unexpose();
      },
    };
  } catch (error) {
    await created.unexpose().catch(() => {});
    throw error;
  }
}

async function noop(): Promise<void> {}

/**
 * `sandbox.forward(remotePort, options)` on Prime Intellect; the handle checked the port and
 * the options (sandbox_handle.ts, before this module is loaded).
 */
export async function primeForward(
  api: ExposureApi,
  remotePort: number,
  settings: ForwardSettings,
): Promise<Forward> {
  const listen = await tcpListener("forward");
  const connect = await tcpConnector("forward");
  return await startForward({
    listen,
    settings,
    remotePort,
    async prepare(signal): Promise<Remote> {
      const endpoint = await tcpEndpoint(api, remotePort, signal);
      return {
        open: (openSignal) => connect(endpoint.host, endpoint.port, openSignal),
        release: endpoint.release,
      };
    },
  });
}

/** `sandbox.connect(remotePort, options)` on Prime Intellect; checked as `primeForward`'s. */
export async function primeConnect(
  api: ExposureApi,
  remotePort: number,
  options: ConnectOptions | undefined,
): Promise<TcpConnection> {
  const connect = await tcpConnector("connect");
  // One budget for the requests and the socket's connect, as for the tunnel's handshake.
  const timed = timedSignal(
    options?.signal,
    options?.timeoutMs ?? CONNECT_TIMEOUT_MS,
    systemClock,
    "connect",
  );
  try {
    const endpoint = await tcpEndpoint(api, remotePort, timed.signal);
    let connection: TcpConnection;
    try {
      connection = await connect(endpoint.host, endpoint.port, timed.signal);
    } catch (error) {
      await endpoint.release().catch(() => {});
      throw error;
    }
    return withRelease(connection, endpoint.release, options?.signal);
  } finally {
    timed.dispose();
  }
}

/**
 * `connection`, releasing `release` once it has closed (by either side,
 * `close()`, or `signal` aborting); `close()` resolves after the release and
 * rejects when it failed.
 */
export function withRelease(
  connection: TcpConnection,
  release: () => Promise<void>,
  signal?: AbortSignal,
): TcpConnection {
  let released: Promise<void> | undefined;
  const onAbort = () => void connection.close();
  const releaseOnce = () => {
    signal?.removeEventListener("abort", onAbort);
    return released ??= release();
  };
  const closed = connection.closed.then(releaseOnce).catch(() => {});
  const close = async () => {
    await connection.close();
    await releaseOnce();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  return {
    readable: connection.readable,
    writable: connection.writable,
    closed,
    close,
    [Symbol.asyncDispose]: close,
  };
}
