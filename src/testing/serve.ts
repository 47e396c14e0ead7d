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
 * @module
 */
import { isConnectionReset } from "./faults.ts";
import { acceptsSshEndpoints, loopbackSshEndpoints, USE_SSH_ENDPOINTS } from "./ssh_endpoints.ts";
import { acceptsTcpEndpoints, loopbackTcpEndpoints, USE_TCP_ENDPOINTS } from "./tcp_services.ts";
import type { WebSocketAccept } from "./types.ts";
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
}

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
}

// Minimal shapes of node:http, so this file type-checks without @types/node.
interface NodeIncoming {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  socket: { destroy(): void };
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "end" | "close", listener: () => void): void;
  on(event: "error", listener: (error: unknown) => void): void;
}
interface NodeOutgoing {
  writableEnded: boolean;
  headersSent: boolean;
  writeHead(status: number, headers: string[]): void;
  end(body?: Uint8Array): void;
  on(event: "close", listener: () => void): void;
}
interface NodeServer {
  listen(port: number, hostname: string, callback: () => void): void;
  address(): { port: number } | string | null;
  close(callback: (error?: unknown) => void): void;
  closeAllConnections?(): void;
  on(event: "error", listener: (error: unknown) => void): void;
  on(
    event: "upgrade",
    listener: (req: NodeIncoming, socket: RawSocket, head: Uint8Array) => void,
  ): void;
  off(event: "error", listener: (error: unknown) => void): void;
}
interface NodeHttp {
  createServer(handler: (req: NodeIncoming, res: NodeOutgoing) => void): NodeServer;
}

function readBody(req: NodeIncoming): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const size = chunks.reduce((n, c) => n + c.byteLength, 0);
      const body = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        body.set(c, offset);
        offset += c.byteLength;
      }
      resolve(body);
    });
    req.on("error", reject);
  });
}

async function toRequest(req: NodeIncoming, fallbackHost: string, signal: AbortSignal) {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const host = headers.get("host") ?? fallbackHost;
  const method = req.method ?? "GET";
  const init: RequestInit = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    const body = await readBody(req);
    if (body.byteLength > 0) init.body = body;
  }
  return new Request(`http://${host}${req.url ?? "/"}`, init);
}

async function serveWithNode(
  http: NodeHttp,
  handler: FetchHandler,
  port: number,
  hostname: string,
  keepAlive: boolean,
): Promise<ServedEmulator> {
  let actualPort = port;
  const server = http.createServer((req, res) => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableEnded) controller.abort(new Error("client disconnected"));
    });
    void (async () => {
      try {
        const request = await toRequest(req, `${hostname}:${actualPort}`, controller.signal);
        const response = await handler.fetch(request);
        const headers: string[] = [];
        response.headers.forEach((value, name) => headers.push(name, value));
        if (!keepAlive) headers.push("connection", "close");
        const body = new Uint8Array(await response.arrayBuffer());
        res.writeHead(response.status, headers);
        res.end(body);
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
  server.on("upgrade", (req, socket, head) => {
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    socket.on("error", () => socket.destroy());
    void (async () => {
      try {
        const headers = new Headers();
        for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
          headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
        }
        const host = headers.get("host") ?? `${hostname}:${actualPort}`;
        const request = new Request(`http://${host}${req.url ?? "/"}`, { headers });
        const decision = await handler.acceptWebSocket?.(request) ??
          new Response("Not Found", { status: 404 });
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

function serveNative(handler: FetchHandler, port: number, hostname: string): ServedEmulator {
  const wrapped = async (request: Request) => {
    try {
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
  let http: NodeHttp | undefined;
  try {
    http = (await import("node:http")) as unknown as NodeHttp;
  } catch {
    http = undefined;
  }
  const served = http?.createServer
    ? await serveWithNode(http, handler, port, hostname, options.keepAlive ?? true)
    : serveNative(handler, port, hostname);
  return await withTcpEndpoints(
    handler,
    await withSshEndpoints(handler, served, hostname),
    hostname,
  );
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
): Promise<ServedEmulator> {
  if (!acceptsSshEndpoints(handler)) return served;
  const endpoints = await loopbackSshEndpoints(hostname);
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
