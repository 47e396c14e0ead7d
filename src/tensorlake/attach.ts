/**
 * Attaching to a Tensorlake PTY over its WebSocket: {@link PtyConnection},
 * with output as a `ReadableStream`, input as a `WritableStream`, resize over
 * the socket and the exit as a promise of typed outcomes.
 *
 * Protocol (https://docs.tensorlake.ai/api-reference/v2/pty/websocket,
 * https://docs.tensorlake.ai/sandboxes/pty-sessions, and tensorlakeai/tensorlake
 * `typescript/src/sandbox.ts` `Pty.connect`, `crates/cli/src/commands/sbx/ssh.rs`
 * `build_ws_url` / `attach_to_session_unchecked`):
 * - `GET wss://{sandbox}/api/v1/pty/{session_id}/ws`, the PTY token in the
 *   `X-PTY-Token` header (preferred) and in `?token=` (the upstream CLI sends
 *   both: some proxies drop the header; browsers cannot send headers at all);
 * - READY (`0x02`) at once after open, so the server flushes buffered output
 *   (without it the server buffers up to 1 MB, then disconnects);
 * - the exit: a `0x03` frame, then a close with reason `exit:<code>`; a kill:
 *   close code 1001, reason `session terminated`;
 * - a wrong token: 403 `INVALID_TOKEN`, an unknown session: 404
 *   `SESSION_NOT_FOUND` at the upgrade.
 *
 * @module
 */
import { createApiError, NetworkError, NotFoundError, type SandgateError } from "../errors.ts";
import { type ChannelOpener, DEFAULT_CONNECT_TIMEOUT_MS } from "../websocket/open.ts";
import type { SandgateEvent } from "../events.ts";
import type { Clock } from "../util/clock.ts";
import { Connection, PTY_PROTOCOL, type PtyConnection, type PtyEnd } from "./pty_connection.ts";
import type { ReconnectPolicy } from "./reconnect_policy.ts";
import type { AttachOptions } from "./attach_options.ts";
import { ReconnectingConnection } from "./pty_reconnect.ts";

export type { PtyConnection, PtyExit } from "./pty_connection.ts";
export type { AttachOptions };

/** What {@link connectPty} needs. */
export interface ConnectPtyParams {
  /** The sandbox's base URL (`https:`, or `http:` on loopback). */
  baseUrl: string;
  /** The session id. */
  sessionId: string;
  /** The PTY token. */
  token: string;
  /**
   * Opens the channel through the client's pipeline (`Pipeline.openWebSocket`
   * with the client's `webSocket`): routing headers, bearer, events, clock.
   */
  open: ChannelOpener;
  /** Per-call options. */
  options?: AttachOptions;
  /**
   * Explains a refused handshake (standard WebSockets do not report the HTTP
   * status): resolves to the typed error to throw.
   */
  diagnose?: (cause: unknown) => Promise<SandgateError>;
  /** Runs on dispose, after detaching (e.g. kill the PTY `openPty` created). */
  onDispose?: () => Promise<unknown>;
}

/** The WebSocket URL of a session (token in the query, as upstream sends it). */
export function ptyWebSocketUrl(baseUrl: string, sessionId: string, token: string): string {
  const base = baseUrl.replace(/\/+$/, "").replace(/^http/, "ws");
  return `${base}/api/v1/pty/${encodeURIComponent(sessionId)}/ws?token=${
    encodeURIComponent(token)
  }`;
}

/**
 * Opens the session's WebSocket, sends READY and resolves with the
 * connection. Rejects with `ForbiddenError` (403 `INVALID_TOKEN`),
 * `NotFoundError` (404 `SESSION_NOT_FOUND`), `TimeoutError`, the signal's
 * reason, or `NetworkError`.
 */
export async function connectPty(params: ConnectPtyParams): Promise<PtyConnection> {
  const options = params.options ?? {}; // checked by the caller (sandbox_handle.ts)
  const channel = await params.open<PtyEnd>({
    operation: "attachPty",
    url: ptyWebSocketUrl(params.baseUrl, params.sessionId, params.token),
    headers: { "X-PTY-Token": params.token },
    secrets: [params.token],
    protocol: PTY_PROTOCOL,
    maxBufferedBytes: options.maxBufferedBytes,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    diagnose: params.diagnose,
  });
  return new Connection(params.sessionId, channel, params.onDispose);
}

/** Builds the typed error for a refused upgrade from a follow-up `getPty`. */
export async function diagnoseHandshake(
  sessionId: string,
  getPty: () => Promise<unknown>,
): Promise<SandgateError> {
  try {
    await getPty();
  } catch (error) {
    if (error instanceof NotFoundError) {
      return createApiError({
        status: 404,
        provider: "tensorlake",
        operation: "attachPty",
        body: { error: `PTY session ${sessionId} not found`, code: "SESSION_NOT_FOUND" },
        cause: error,
      });
    }
    return new NetworkError("attachPty: the PTY WebSocket handshake failed", { cause: error });
  }
  // The session exists and the upgrade was refused: the token is what the
  // server checks (standard WebSockets do not expose the 403 itself).
  return createApiError({
    status: 403,
    provider: "tensorlake",
    operation: "attachPty",
    body: { error: "the PTY token was refused", code: "INVALID_TOKEN" },
  });
}

/**
 * Attaches as {@link connectPty} does, then keeps the connection alive with `policy`: the first
 * attach diagnoses a refused upgrade as usual; re-attaches do not (see the module doc).
 */
export async function connectReconnectingPty(
  params: ConnectPtyParams & {
    policy: ReconnectPolicy;
    clock: Clock;
    emit: ((event: SandgateEvent) => void) | undefined;
    /** The session as `getPty` sees it (it throws `NotFoundError` when the session is gone). */
    getPty(call: { signal: AbortSignal; timeoutMs: number }): Promise<
      { isAlive: boolean; exitCode: number | null }
    >;
  },
): Promise<PtyConnection> {
  const { policy, clock, emit, getPty, onDispose, ...attach } = params;
  const first = await connectPty(attach);
  const options: AttachOptions = attach.options ?? {};
  const { maxBufferedBytes, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS } = options;
  return new ReconnectingConnection({
    first,
    open: (signal, budgetMs) =>
      connectPty({
        baseUrl: attach.baseUrl,
        sessionId: attach.sessionId,
        token: attach.token,
        open: attach.open,
        options: {
          signal,
          timeoutMs: Math.min(timeoutMs, budgetMs),
          ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
        },
      }),
    probe: async (signal) => {
      try {
        const { isAlive, exitCode } = await getPty({ signal, timeoutMs });
        return { isAlive, exitCode };
      } catch (error) {
        if (error instanceof NotFoundError) return "gone";
        throw error;
      }
    },
    policy,
    clock,
    emit,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(onDispose ? { onDispose } : {}),
  });
}
