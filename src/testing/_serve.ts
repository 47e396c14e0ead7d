/**
 * What `serve()` and its two servers (serve_node.ts, serve_native.ts) share:
 * the shapes of a served handler and a running server, the bounds, and the
 * answers to requests refused before they reach the handler.
 *
 * @module
 */
import type { WebSocketAccept } from "./emulator_types.ts";

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

/** The bounds of {@link ServeOptions}, defaults filled in. */
export interface Bounds {
  maxBodyBytes: number;
  idleTimeoutMs: number;
  maxSshEndpoints: number;
}

/** Too large: the body was not (fully) read. */
export const TOO_LARGE = Symbol("too large");

export function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}

/** The handler's answer to a body over the cap (its own error shape), else plain text. */
export function tooLarge(handler: FetchHandler, request: Request, maxBytes: number): Response {
  return refusal(handler, request, 413, `request body larger than ${maxBytes} bytes`);
}

/** The handler's answer to a request refused before `fetch` (its own error shape), else plain text. */
export function refusal(handler: FetchHandler, request: Request, status: number, message: string) {
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
export function hostOf(headers: Headers, fallbackHost: string): { host: string; badHost: boolean } {
  const given = headers.get("host");
  if (given === null) return { host: fallbackHost, badHost: false };
  return validHost(given) ? { host: given, badHost: false } : { host: fallbackHost, badHost: true };
}
