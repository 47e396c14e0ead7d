/**
 * `serve()`: puts an emulator (or any `Request → Response` handler) on a real
 * loopback port, on Node, Deno and Bun.
 *
 * It listens with `node:http` (imported dynamically, and only here), which
 * all three runtimes provide: that is what lets a `"reset"` fault destroy the
 * socket before any byte of an answer, so the client's `fetch` rejects exactly
 * as with a real connection reset. Where `node:http` is missing it falls back
 * to `Deno.serve` / `Bun.serve`, where a reset can only cut the body short.
 *
 * It is bounded, since users run it inside their test suites: request bodies
 * are read up to `maxBodyBytes` and no further (413), a connection that sends
 * no complete request within `idleTimeoutMs` is closed, and SSH-session
 * endpoints are capped at `maxSshEndpoints` (see {@link ServeOptions}).
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { acceptsSshEndpoints, loopbackSshEndpoints, USE_SSH_ENDPOINTS } from "./ssh_endpoints.ts";
import { acceptsTcpEndpoints, loopbackTcpEndpoints, USE_TCP_ENDPOINTS } from "./tcp_services.ts";
import type { Bounds, FetchHandler, ServedEmulator } from "./_serve.ts";
import { type NodeHttp, serveWithNode } from "./serve_node.ts";
import { serveNative } from "./serve_native.ts";

export type { FetchHandler, ServedEmulator };

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Port to listen on; `0` (the default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default `"127.0.0.1"`. */
  hostname?: string;
  /**
   * Keep connections open between requests. Default `true`. Set `false` in
   * tests of connection resets: some runtimes' HTTP clients silently resend a
   * request once when a reused connection is reset, which would hide what the
   * SDK itself does.
   */
  keepAlive?: boolean;
  /**
   * Largest request body accepted, in bytes. A larger one is answered 413 in
   * the provider's error shape (Prime Intellect `{ detail }`, Tensorlake
   * `{ error }`) with `Connection: close`, after reading at most this much of
   * it (none at all when `Content-Length` already says so). Default 1 MiB.
   */
  maxBodyBytes?: number;
  /**
   * A connection that makes no progress is closed after this many
   * milliseconds: a request's headers not complete since it connected or
   * since its previous answer, or a body not complete since its headers
   * (slowloris, idle keep-alive). Other clients keep being served. WebSocket
   * connections (PTY attach) are not bounded by it. Default 10 000. Not
   * applied where `node:http` is missing.
   */
  idleTimeoutMs?: number;
  /**
   * Most SSH-session TCP endpoints open at once. Past it, creating an SSH
   * session is answered 503 `{ detail }` and no listener is opened; an
   * endpoint closes with its session, and at the latest after its
   * `ttl_seconds`. Default 64.
   */
  maxSshEndpoints?: number;
}

/** Defaults of the {@link ServeOptions} bounds. */
const SERVE_DEFAULTS = {
  maxBodyBytes: 1_048_576,
  idleTimeoutMs: 10_000,
  maxSshEndpoints: 64,
} as const;

/**
 * Serves an emulator over real HTTP (loopback by default) and resolves once
 * it listens. The `Host` header is passed through, so a Tensorlake client
 * whose base URL is `http://127.0.0.1:PORT` reaches the default sandbox.
 * Each SSH session of a served emulator gets a TCP endpoint of its own on
 * the same interface (`host` `127.0.0.1`, a port of its own) that accepts
 * connections until the session ends; it greets with an SSH identification
 * line and hangs up (it is not an SSH server).
 *
 * @example Run the emulator on a free loopback port
 * ```ts
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import { createEmulator, serve } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * await using server = await serve(emulator, { port: 0 });
 * const client = createPrimeIntellectClient({ apiKey: "demo", baseUrl: server.url });
 * const { data } = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", {
 *   params: { path: { sandbox_id: "sb-1" } },
 * });
 * console.log(data?.exposures.length); // 0
 * ```
 */
export async function serve(
  handler: FetchHandler,
  options: ServeOptions = {},
): Promise<ServedEmulator> {
  const port = options.port ?? 0;
  const hostname = options.hostname ?? "127.0.0.1";
  const bounds = boundsOf(options);
  let http: NodeHttp | undefined;
  try {
    http = (await import("node:http")) as unknown as NodeHttp;
  } catch {
    http = undefined;
  }
  const served = http?.createServer
    ? await serveWithNode(http, handler, port, hostname, options.keepAlive ?? true, bounds)
    : serveNative(handler, port, hostname, bounds);
  return await withTcpEndpoints(
    handler,
    await withSshEndpoints(handler, served, hostname, bounds.maxSshEndpoints),
    hostname,
  );
}

/** Checks the bounds once: each a positive integer (a typed error naming the option otherwise). */
function boundsOf(options: ServeOptions): Bounds {
  const bounds: Bounds = { ...SERVE_DEFAULTS };
  for (const name of Object.keys(SERVE_DEFAULTS) as (keyof Bounds)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(
        `serve(): ${name} must be a positive integer (got ${String(value)})`,
      );
    }
    bounds[name] = value;
  }
  if (bounds.idleTimeoutMs > 0x7fff_ffff) {
    throw new ConfigError(`serve(): idleTimeoutMs must be at most 2147483647`);
  }
  return bounds;
}

/**
 * An emulator served over HTTP gives each TCP exposure a loopback listener
 * relaying to the service declared for its port; closing the server closes them.
 */
async function withTcpEndpoints(
  handler: FetchHandler,
  served: ServedEmulator,
  hostname: string,
): Promise<ServedEmulator> {
  if (!acceptsTcpEndpoints(handler)) return served;
  const services = handler[USE_TCP_ENDPOINTS](undefined);
  const endpoints = await loopbackTcpEndpoints(hostname, services);
  if (!endpoints) return served;
  handler[USE_TCP_ENDPOINTS](endpoints);
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      handler[USE_TCP_ENDPOINTS](undefined);
      await Promise.all([served.close(), endpoints.close()]);
    })();
  return { url: served.url, port: served.port, close, [Symbol.asyncDispose]: close };
}

/**
 * An emulator served over HTTP gives each SSH session a TCP endpoint of its
 * own on `hostname`; closing the server closes them too.
 */
async function withSshEndpoints(
  handler: FetchHandler,
  served: ServedEmulator,
  hostname: string,
  maxSshEndpoints: number,
): Promise<ServedEmulator> {
  if (!acceptsSshEndpoints(handler)) return served;
  const endpoints = await loopbackSshEndpoints(hostname, { max: maxSshEndpoints });
  if (!endpoints) return served;
  handler[USE_SSH_ENDPOINTS](endpoints);
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      handler[USE_SSH_ENDPOINTS](undefined);
      await Promise.all([served.close(), endpoints.close()]);
    })();
  return { url: served.url, port: served.port, close, [Symbol.asyncDispose]: close };
}
