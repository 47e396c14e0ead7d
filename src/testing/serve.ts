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
import { isConnectionReset } from "./faults.ts";
import { acceptsSshEndpoints, loopbackSshEndpoints, USE_SSH_ENDPOINTS } from "./ssh_endpoints.ts";
import { acceptsTcpEndpoints, loopbackTcpEndpoints, USE_TCP_ENDPOINTS } from "./tcp_services.ts";
import type { WebSocketAccept } from "./emulator_types.ts";
import { acceptUpgrade, type RawSocket, refuseUpgrade } from "./websocket_server.ts";

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

/** A running server. */
export interface ServedEmulator {
  /** Base URL, e.g. `http://127.0.0.1:49152` (no trailing slash). */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Anything with a Workers-style `fetch(request)`: an emulator, for instance. */
export interface FetchHandler {
  /** Answers one request. */
  fetch(request: Request): Promise<Response>;
  /**
   * Decides a WebSocket upgrade (the emulator's PTY endpoint): a `Response`
   * refuses it, a function attaches the accepted socket. Without it,
   * upgrades are answered 404.
   */
  acceptWebSocket?(
    request: Request,
  ): Response | WebSocketAccept | Promise<Response | WebSocketAccept>;
  /**
   * The answer to a request refused before it reached `fetch` (413: its body
   * is too large; 400: its `Host` header is not a valid `host[:port]`), in
   * the handler's own error shape. `request` has the method, URL (on the
   * listening address when the Host was bad) and headers but no body.
   * Without it, a plain-text answer.
   */
  refuse?(request: Request, status: number, message: string): Response;
}

// Minimal shapes of node:http, so this file type-checks without @types/node.
interface NodeIncoming {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  socket: NodeSocket;
  pause(): void;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "end" | "close", listener: () => void): void;
  on(event: "error", listener: (error: unknown) => void): void;
}
interface NodeOutgoing {
  writableEnded: boolean;
  headersSent: boolean;
  writeHead(status: number, headers: string[]): void;
  end(body?: Uint8Array, callback?: () => void): void;
  on(event: "close" | "finish", listener: () => void): void;
}
interface NodeSocket {
  destroyed?: boolean;
  destroy(): void;
  on(event: "close", listener: () => void): void;
}
interface NodeServer {
  listen(port: number, hostname: string, callback: () => void): void;
  address(): { port: number } | string | null;
  close(callback: (error?: unknown) => void): void;
  closeAllConnections?(): void;
  on(event: "error", listener: (error: unknown) => void): void;
  on(event: "connection", listener: (socket: NodeSocket) => void): void;
  on(
    event: "upgrade",
    listener: (req: NodeIncoming, socket: RawSocket, head: Uint8Array) => void,
  ): void;
  off(event: "error", listener: (error: unknown) => void): void;
}
interface NodeHttp {
  createServer(handler: (req: NodeIncoming, res: NodeOutgoing) => void): NodeServer;
}

/** Too large: the body was not (fully) read. */
const TOO_LARGE = Symbol("too large");

/**
 * Reads a body of at most `maxBytes`: `TOO_LARGE` when `Content-Length` says
 * more (nothing read), or as soon as the bytes read pass it (reading stops
 * there: the connection is paused, then closed after the answer).
 */
function readBody(
  req: NodeIncoming,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | typeof TOO_LARGE> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    let chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        done = true;
        chunks = [];
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      resolve(concat(chunks, size));
    });
    req.on("error", (error) => {
      if (!done) reject(error);
    });
  });
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}

/** The handler's answer to a body over the cap (its own error shape), else plain text. */
function tooLarge(handler: FetchHandler, request: Request, maxBytes: number): Response {
  return refusal(handler, request, 413, `request body larger than ${maxBytes} bytes`);
}

/** The handler's answer to a request refused before `fetch` (its own error shape), else plain text. */
function refusal(handler: FetchHandler, request: Request, status: number, message: string) {
  return handler.refuse?.(request, status, message) ??
    new Response(message, { status, headers: { "content-type": "text/plain" } });
}

/**
 * Whether a `Host` header is `host[:port]` (RFC 9110 §7.2) that makes a URL
 * as it is: no `/`, `?`, `#`, `@`, `\\` or space that would move the path or
 * the authority. Another one is answered 400 (RFC 9112 §3.2).
 */
function validHost(host: string): boolean {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(:\d{1,5})?$/.test(host)) return false;
  try {
    return new URL(`http://${host}/`).pathname === "/";
  } catch {
    return false;
  }
}

/** The request's Host when valid, else the listening address (the request is then refused). */
function hostOf(headers: Headers, fallbackHost: string): { host: string; badHost: boolean } {
  const given = headers.get("host");
  if (given === null) return { host: fallbackHost, badHost: false };
  return validHost(given) ? { host: given, badHost: false } : { host: fallbackHost, badHost: true };
}

function headersOf(req: NodeIncoming): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  return headers;
}

/** The request as a web `Request`, or `TOO_LARGE` with a body-less copy to answer. */
async function toRequest(
  req: NodeIncoming,
  fallbackHost: string,
  signal: AbortSignal,
  maxBodyBytes: number,
): Promise<{ request: Request; tooLarge: boolean; badHost: boolean }> {
  const headers = headersOf(req);
  const { host, badHost } = hostOf(headers, fallbackHost);
  const method = req.method ?? "GET";
  const url = `http://${host}${req.url ?? "/"}`;
  const init: RequestInit = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD" && !badHost) {
    const body = await readBody(req, maxBodyBytes);
    if (body === TOO_LARGE) return { request: new Request(url, init), tooLarge: true, badHost };
    if (body.byteLength > 0) init.body = body;
  }
  return { request: new Request(url, init), tooLarge: false, badHost };
}

/**
 * Closes connections that make no progress for `ms`: armed when a socket
 * connects and after each answer, re-armed at a request's headers while its
 * body is read, disarmed while the handler works and on upgrade.
 */
function idleTimers(ms: number) {
  const timers = new Map<NodeSocket, ReturnType<typeof setTimeout>>();
  const disarm = (socket: NodeSocket) => {
    const timer = timers.get(socket);
    if (timer !== undefined) clearTimeout(timer);
    timers.delete(socket);
  };
  const arm = (socket: NodeSocket) => {
    disarm(socket);
    if (socket.destroyed) return;
    timers.set(
      socket,
      setTimeout(() => {
        timers.delete(socket);
        socket.destroy();
      }, ms),
    );
  };
  return { arm, disarm, clear: () => [...timers.keys()].forEach(disarm) };
}

async function serveWithNode(
  http: NodeHttp,
  handler: FetchHandler,
  port: number,
  hostname: string,
  keepAlive: boolean,
  bounds: Bounds,
): Promise<ServedEmulator> {
  let actualPort = port;
  const idle = idleTimers(bounds.idleTimeoutMs);
  const server = http.createServer((req, res) => {
    const controller = new AbortController();
    const socket = req.socket;
    res.on("close", () => {
      if (!res.writableEnded) controller.abort(new Error("client disconnected"));
    });
    // Headers are in: the body gets its own bound, the handler none, the next request one.
    idle.arm(socket);
    res.on("finish", () => {
      if (keepAlive) idle.arm(socket);
    });
    void (async () => {
      try {
        const { request, tooLarge: overCap, badHost } = await toRequest(
          req,
          `${hostname}:${actualPort}`,
          controller.signal,
          bounds.maxBodyBytes,
        );
        idle.disarm(socket);
        const refused = overCap || badHost;
        const response = overCap
          ? tooLarge(handler, request, bounds.maxBodyBytes)
          : badHost
          ? refusal(handler, request, 400, "invalid Host header")
          : await handler.fetch(request);
        const headers: string[] = [];
        response.headers.forEach((value, name) => headers.push(name, value));
        // The rest of an over-long body is never read: the connection ends with the answer.
        if (!keepAlive || refused) headers.push("connection", "close");
        const body = new Uint8Array(await response.arrayBuffer());
        // A length, not chunks (Deno's and Bun's node:http chunk a body without one); none on a 204.
        if (
          response.status !== 204 && response.status !== 304 &&
          !response.headers.has("content-length")
        ) {
          headers.push("content-length", String(body.byteLength));
        }
        res.writeHead(response.status, headers);
        if (refused) res.end(body, () => socket.destroy());
        else res.end(body);
      } catch (error) {
        if (isConnectionReset(error) || controller.signal.aborted) {
          req.socket.destroy();
          return;
        }
        if (!res.headersSent) {
          const text = new TextEncoder().encode("emulator error");
          res.writeHead(500, ["content-type", "text/plain"]);
          res.end(text);
        } else {
          req.socket.destroy();
        }
      }
    })();
  });
  // WebSocket upgrades (the PTY endpoint): node:http hands over the raw socket,
  // which closeAllConnections() does not track, so they are tracked here.
  const upgraded = new Set<RawSocket>();
  server.on("connection", (socket) => {
    idle.arm(socket);
    socket.on("close", () => idle.disarm(socket));
  });
  server.on("upgrade", (req, socket, head) => {
    idle.disarm(socket as unknown as NodeSocket);
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    socket.on("error", () => socket.destroy());
    void (async () => {
      try {
        const headers = headersOf(req);
        const { host, badHost } = hostOf(headers, `${hostname}:${actualPort}`);
        const request = new Request(`http://${host}${req.url ?? "/"}`, { headers });
        const decision = badHost
          ? refusal(handler, request, 400, "invalid Host header")
          : await handler.acceptWebSocket?.(request) ?? new Response("Not Found", { status: 404 });
        if (decision instanceof Response) await refuseUpgrade(socket, decision);
        else await acceptUpgrade(socket, headers, head, decision);
      } catch {
        socket.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  actualPort = typeof address === "object" && address ? address.port : port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
      idle.clear();
      for (const socket of upgraded) socket.destroy();
    });
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface DenoLike {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request) => Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
interface BunLike {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number; stop(force?: boolean): Promise<void> | void };
}

function resetBody(): Response {
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.error(new TypeError("connection reset (emulated)"));
      },
    }),
  );
}

/** A request whose body is read up to `maxBytes`, or `TOO_LARGE` (reading stopped there). */
async function boundedRequest(
  request: Request,
  maxBytes: number,
): Promise<Request | typeof TOO_LARGE> {
  if (!request.body) return request;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) return TOO_LARGE;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    ...(size > 0 ? { body: concat(chunks, size) } : {}),
  });
}

function serveNative(
  handler: FetchHandler,
  port: number,
  hostname: string,
  bounds: Bounds,
): ServedEmulator {
  const wrapped = async (incoming: Request) => {
    try {
      const request = await boundedRequest(incoming, bounds.maxBodyBytes);
      if (request === TOO_LARGE) {
        const head = new Request(incoming.url, {
          method: incoming.method,
          headers: incoming.headers,
        });
        const refused = tooLarge(handler, head, bounds.maxBodyBytes);
        refused.headers.set("connection", "close");
        return refused;
      }
      return await handler.fetch(request);
    } catch (error) {
      if (isConnectionReset(error)) return resetBody();
      throw error;
    }
  };
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno?.serve) {
    const server = deno.serve({ port, hostname, onListen() {} }, wrapped);
    const close = () => server.shutdown();
    const actual = server.addr.port;
    return { url: `http://${host}:${actual}`, port: actual, close, [Symbol.asyncDispose]: close };
  }
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (bun?.serve) {
    const server = bun.serve({ port, hostname, fetch: wrapped });
    const close = async () => {
      await server.stop(true);
    };
    return {
      url: `http://${host}:${server.port}`,
      port: server.port,
      close,
      [Symbol.asyncDispose]: close,
    };
  }
  throw new Error("serve(): this runtime has neither node:http, Deno.serve nor Bun.serve");
}

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

/** The bounds of {@link ServeOptions}, defaults filled in. */
interface Bounds {
  maxBodyBytes: number;
  idleTimeoutMs: number;
  maxSshEndpoints: number;
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
