/**
 * Hostile HTTP servers of our own on 127.0.0.1 (node:http / node:net, so the
 * same file runs on Deno, Node and Bun): each test decides per request what
 * the server does — trickle a body, never end it, drop the connection after
 * reading a POST, echo secrets — and counts what reached it. `close()` ends
 * every socket, so nothing outlives a test.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { listenOnLoopback } from "../helpers/loopback.ts";

/** One request the server read in full. */
export interface Received {
  /** Method. */
  method: string;
  /** Path and query. */
  url: string;
  /** Headers, lower-case names. */
  headers: IncomingMessage["headers"];
  /** Body text. */
  body: string;
  /** Index of the TCP connection it came on (0, 1, …). */
  connection: number;
}

/** What a handler gets: the request read in full, and the raw response / socket. */
export interface Exchange {
  /** The request. */
  received: Received;
  /** The response to write to. */
  res: ServerResponse;
  /** The connection's socket (destroy it to drop the connection). */
  socket: Socket;
  /** Resolves when the server is closing: trickling handlers stop on it. */
  closing: Promise<void>;
}

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every request read, in order. */
  received: Received[];
  /** Closes the server and destroys every socket. */
  close(): Promise<void>;
}

/**
 * The sandbox lookup (`GET /api/v1/sandbox/{id}`) Prime's SDK and sandgate send before the
 * first port or SSH call on a sandbox (to refuse VM sandboxes): a running container.
 */
const LOOKUP = /^\/api\/v1\/sandbox\/[^/?]+(?:\?.*)?$/;
const RUNNING = JSON.stringify({ id: "sb", status: "RUNNING", vm: false });

/**
 * Starts a server on 127.0.0.1 whose every request goes to `handle`, except the sandbox
 * lookup, answered as a running container and not recorded (the hostility is for the call
 * under test), unless `{ lookups: true }` hands those to `handle` too.
 */
export async function startHostileServer(
  handle: (exchange: Exchange) => void | Promise<void>,
  options: { lookups?: boolean } = {},
): Promise<HostileServer> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, number>();
  let connections = 0;
  let signalClosing!: () => void;
  const closing = new Promise<void>((resolve) => (signalClosing = resolve));
  const server = createServer((req, res) => {
    if (!options.lookups && req.method === "GET" && LOOKUP.test(req.url ?? "")) {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" }).end(RUNNING);
      return;
    }
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    req.on("end", () => {
      const entry: Received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: new TextDecoder().decode(concat(chunks)),
        connection: connectionIds.get(req.socket) ?? -1,
      };
      received.push(entry);
      Promise.resolve(handle({ received: entry, res, socket: req.socket, closing })).catch(() => {
        req.socket.destroy();
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket: Socket) => {
    connectionIds.set(socket, connections++);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => {
      signalClosing();
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Writes `piece` every `everyMs` until the server closes or `maxPieces` were written. */
export async function trickle(
  exchange: Exchange,
  piece: string,
  everyMs: number,
  maxPieces = 400,
): Promise<void> {
  let closed = false;
  exchange.closing.then(() => (closed = true));
  exchange.res.on("close", () => (closed = true));
  for (let i = 0; i < maxPieces && !closed; i++) {
    exchange.res.write(piece);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Settles with `promise`'s outcome, or with `{ hung: true }` after `ms` of
 * real time: a bug that makes a call hang fails the test instead of the run.
 */
export async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ hung: true } | { hung: false; value?: T; error?: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<{ hung: true }>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), ms);
  });
  try {
    return await Promise.race([
      promise.then((value) => ({ hung: false as const, value }), (error: unknown) => ({
        hung: false as const,
        error,
      })),
      guard,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (real time, bounded) until `condition()` holds. */
export async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
