/**
 * Tensorlake's TCP tunnel: one WebSocket per TCP connection,
 * `GET wss://{sandbox}/api/v1/tunnels/tcp?port=N`, raw bytes both ways in
 * binary messages, on the shared WebSocket channel.
 *
 * Sources: https://docs.tensorlake.ai/api-reference/v2/tunnels/tcp (binary
 * frames relayed verbatim to `127.0.0.1:<port>` in the sandbox; text frames
 * rejected; 400 for a missing, invalid or zero port, 401 without
 * authenticated forwarding, 502 when nothing accepts on the port),
 * https://docs.tensorlake.ai/sandboxes/tunnels, and
 * tensorlakeai/tensorlake@cab3838 `typescript/src/tunnel.ts`
 * (`buildTunnelWsUrl`, `openTunnelWebSocket`: the PTY's `wsHeaders`, i.e.
 * `Authorization` and `X-Tensorlake-Sandbox-Id`; 10 s connect timeout) and
 * `crates/cli/src/commands/sbx/tunnel.rs` (`build_tunnel_url`,
 * `build_proxy_headers`, `relay_connection`).
 *
 * Not documented, and assumed here as upstream's clients do:
 * - there is no half-close: the end of what a client sends closes the
 *   WebSocket (upstream `onLocalEnd` / a `Close` on EOF), and bytes the
 *   service sent before the server's close frame still arrive;
 * - a clean close is code 1000 (or one this side started); any other code
 *   ends the connection with a `NetworkError`;
 * - keepalive: upstream pings every 15 s; the standard WebSocket API cannot
 *   send pings, so an idle tunnel lives as long as the proxy lets it.
 *
 * @module
 */
import { NetworkError } from "../errors.ts";
import type { WebSocketChannel } from "../websocket/channel.ts";
import type { ChannelOpener } from "../websocket/open.ts";
import type { TcpConnection } from "../forward/types.ts";

/** Upstream's connect budget per tunnel WebSocket (`DEFAULT_TUNNEL_CONNECT_TIMEOUT_MS`). */
export const TUNNEL_CONNECT_TIMEOUT_MS = 10_000;

/** How a sandbox handle reaches the tunnel. */
export interface TunnelContext {
  /** The sandbox's proxy base URL (`https://…`, or `http://` on loopback). */
  baseUrl: string;
  /**
   * Opens the WebSocket through the client's pipeline (`Pipeline.openWebSocket`
   * with the client's `webSocket`): `Authorization` and the sandbox-routing
   * header, the client's clock, `onEvent` / `debug`.
   */
  open: ChannelOpener;
}

/** `ws(s)://{host}/api/v1/tunnels/tcp?port=N`, as upstream builds it (path replaced, query set). */
export function tunnelUrl(baseUrl: string, port: number): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = "/api/v1/tunnels/tcp";
  url.search = `port=${port}`;
  return url.href;
}

/** A tunnel channel as a {@link TcpConnection}: closing the writable closes the WebSocket. */
function channelConnection(channel: WebSocketChannel): TcpConnection {
  const close = () => channel.close();
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => channel.write(chunk),
    close,
    abort: close,
  });
  return {
    readable: channel.readable,
    writable,
    closed: channel.closed.then(() => {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Opens one tunnel connection to `port` inside the sandbox. Rejects with
 * `TimeoutError` (default budget 10 s, as upstream), the signal's reason, an
 * `ApiError` where the runtime shows the refusal (workerd: 502 `ServerError`
 * when nothing listens), else a `NetworkError` saying what a refusal means.
 */
export async function openTunnel(
  context: TunnelContext,
  port: number,
  options: {
    operation: string;
    signal?: AbortSignal | undefined;
    timeoutMs?: number | undefined;
    maxBufferedBytes?: number | undefined;
  },
): Promise<TcpConnection> {
  const { operation } = options;
  const channel = await context.open({
    operation,
    url: tunnelUrl(context.baseUrl, port),
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? TUNNEL_CONNECT_TIMEOUT_MS,
    maxBufferedBytes: options.maxBufferedBytes,
    // Standard WebSockets do not show the refusal's status; the docs say what a refusal is.
    diagnose: () =>
      Promise.resolve(
        new NetworkError(
          `${operation}: the tunnel WebSocket to port ${port} was refused ` +
            `(Tensorlake answers 502 when nothing accepts on 127.0.0.1:${port} inside the sandbox, ` +
            "401 without a valid API key)",
        ),
      ),
  });
  return channelConnection(channel);
}
