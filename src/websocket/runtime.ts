/**
 * The runtime's own WebSocket as a {@link WebSocketFactory}: the one place
 * sandgate looks at which runtime it runs on to open a WebSocket.
 *
 * @module
 */
import type { WebSocketFactory, WebSocketLike } from "./socket.ts";

interface GlobalsLike {
  WebSocket?: new (url: string, init?: unknown) => WebSocketLike;
  navigator?: { userAgent?: string };
  Deno?: unknown;
  Bun?: unknown;
  process?: { versions?: { node?: string } };
}

/**
 * An upgrade the server answered with an HTTP response instead of 101 (seen
 * only where the runtime shows it: workerd's `fetch` upgrade). The opener
 * turns it into the provider's typed `ApiError`.
 */
export class UpgradeRefused extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers. */
  readonly headers: Headers;
  /** The body: parsed JSON, else the text. */
  readonly body: unknown;
  /** Creates it. */
  constructor(status: number, headers: Headers, body: unknown) {
    super(`the WebSocket upgrade was answered with HTTP ${status}`);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/**
 * The runtime's WebSocket as a {@link WebSocketFactory}, or `undefined` when
 * there is none (Node 20 without `--experimental-websocket`):
 * - workerd: `fetch` with `Upgrade: websocket`, then `response.webSocket.accept()`
 *   (a refused upgrade throws {@link UpgradeRefused} with the server's status and body);
 * - Deno, Bun, Node ≥ 22: `new WebSocket(url, { headers })`;
 * - elsewhere (browsers): `new WebSocket(url)`; the token travels in the URL only.
 */
export function defaultWebSocketFactory(): WebSocketFactory | undefined {
  const g = globalThis as unknown as GlobalsLike;
  if (g.navigator?.userAgent === "Cloudflare-Workers") return workerdWebSocket;
  const WebSocketClass = g.WebSocket;
  if (typeof WebSocketClass !== "function") return undefined;
  const sendsHeaders = g.Deno !== undefined || g.Bun !== undefined ||
    g.process?.versions?.node !== undefined;
  return sendsHeaders
    ? (url, init) => new WebSocketClass(url, init)
    : (url) => new WebSocketClass(url);
}

async function workerdWebSocket(
  url: string,
  init: { headers: Record<string, string> },
): Promise<WebSocketLike> {
  const response = await fetch(url.replace(/^ws/, "http"), {
    headers: { ...init.headers, Upgrade: "websocket" },
  });
  const socket = (response as { webSocket?: WebSocketLike & { accept(): void } | null }).webSocket;
  if (!socket) {
    const text = await response.text().catch(() => "");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* not JSON: keep the text */ }
    throw new UpgradeRefused(response.status, response.headers, body);
  }
  socket.accept();
  return socket;
}
