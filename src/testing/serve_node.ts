/**
 * `serve()` on `node:http`, which Node, Deno and Bun all provide: a `"reset"`
 * fault destroys the socket before any byte of an answer, bodies are read
 * up to the bound, idle connections are closed, WebSocket upgrades are
 * handed the raw socket.
 *
 * @module
 */
import { isConnectionReset } from "./faults.ts";
import { acceptUpgrade, type RawSocket, refuseUpgrade } from "./websocket_server.ts";
import {
  type Bounds,
  concat,
  type FetchHandler,
  hostOf,
  refusal,
  type ServedEmulator,
  TOO_LARGE,
  tooLarge,
} from "./_serve.ts";

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
export interface NodeHttp {
  createServer(handler: (req: NodeIncoming, res: NodeOutgoing) => void): NodeServer;
}

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

/** Serves `handler` with `node:http` on `hostname:port` (0: a free one). */
export async function serveWithNode(
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
