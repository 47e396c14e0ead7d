/**
 * Opening a WebSocket as a {@link WebSocketChannel}: the runtime's WebSocket
 * (or the caller's factory), a connect deadline, and one typed failure —
 * `TimeoutError`, the signal's reason, the provider's `ApiError` where the
 * runtime shows the refusal (workerd) or the caller can `diagnose` it, else
 * `NetworkError` — with every secret of the handshake redacted from it.
 *
 * @module
 */
import { createApiError, NetworkError, type Provider, SandgateError } from "../errors.ts";
import { reportExchange, type SandgateEvent } from "../events.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { timedSignal } from "../util/timed_signal.ts";
import { REDACTED, redactError, redactor } from "../util/redact.ts";
import { foreignCause, secretsOf } from "./_secrets.ts";
import { HandshakeFailed, WebSocketChannel } from "./channel.ts";
import { type ChannelEnd, type ChannelProtocol, rawProtocol } from "./protocol.ts";
import { defaultWebSocketFactory, UpgradeRefused } from "./runtime.ts";
import { closeQuietly, type WebSocketFactory, type WebSocketLike } from "./socket.ts";

/** Default connect budget (handshake until open). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** What {@link openWebSocket} needs. */
export interface OpenWebSocketParams<E extends ChannelEnd = ChannelEnd> {
  /** Provider, for typed errors. */
  provider: Provider;
  /** Operation name for errors and events, e.g. `"attachPty"`. */
  operation: string;
  /** The `ws:` / `wss:` URL, query included. */
  url: string;
  /** Headers for runtimes whose WebSocket can send them (`Authorization` is redacted from errors). */
  headers?: Record<string, string> | undefined;
  /** Secrets the URL or headers carry besides the bearer: never in an error or a close reason. */
  secrets?: readonly string[] | undefined;
  /** The WebSocket to use; default: the runtime's ({@link defaultWebSocketFactory}). */
  webSocket?: WebSocketFactory | undefined;
  /** What runs on the channel. Default: raw bytes ({@link rawProtocol}). */
  protocol?: ChannelProtocol<E> | undefined;
  /** Most incoming bytes kept for a slow reader. Default 16 MiB. */
  maxBufferedBytes?: number | undefined;
  /** Aborts connecting; once open, aborting closes the channel. */
  signal?: AbortSignal | undefined;
  /** Budget for the handshake, on `clock`. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Times the handshake. Default: the system clock. */
  clock?: Clock | undefined;
  /**
   * Explains a refused handshake (standard WebSockets do not report the HTTP
   * status): resolves to the typed error to throw. Default: a `NetworkError`.
   */
  diagnose?: ((cause: unknown) => Promise<SandgateError>) | undefined;
  /**
   * The client's event sink (`onEvent`, `debug`): the upgrade is reported as a
   * `request` and a `response` event (status 101 once open), its URL without secrets.
   */
  emit?: ((event: SandgateEvent) => void) | undefined;
}

/**
 * What a provider asks its client's pipeline for (`Pipeline.openWebSocket`),
 * which adds the provider, the clock, the event sink, the routing headers and
 * the bearer.
 */
export type ChannelRequest<E extends ChannelEnd = ChannelEnd> = Omit<
  OpenWebSocketParams<E>,
  "provider" | "clock" | "emit"
>;

/** Opens a channel through a client's pipeline (`Pipeline.openWebSocket`). */
export type ChannelOpener = <E extends ChannelEnd>(
  request: ChannelRequest<E>,
) => Promise<WebSocketChannel<E>>;

/**
 * Opens a WebSocket and resolves with its channel once open. Rejects with
 * `TimeoutError` past `timeoutMs`, the signal's reason, an `ApiError` for a
 * refusal the runtime reports, what `diagnose` builds, or `NetworkError`.
 */
export async function openWebSocket<E extends ChannelEnd = ChannelEnd>(
  params: OpenWebSocketParams<E>,
): Promise<WebSocketChannel<E>> {
  const { operation, provider } = params;
  params.signal?.throwIfAborted();
  const factory = params.webSocket ?? defaultWebSocketFactory();
  if (!factory) {
    throw new SandgateError(
      `${operation}: this runtime has no global WebSocket (Node 20 needs --experimental-websocket): ` +
        "pass the `webSocket` client option, e.g. (url, init) => new WebSocket(url, init) from the ws package",
    );
  }
  const headers = { ...params.headers };
  // Every secret the handshake carries: a server, a WebSocket or a diagnosis may
  // echo any of them, so whatever leaves this function is redacted.
  const secrets = secretsOf(params.secrets ?? [], headers);
  const protocol = params.protocol ?? (rawProtocol(operation) as unknown as ChannelProtocol<E>);

  const clock = params.clock ?? systemClock;
  const done = params.emit &&
    reportExchange(params.emit, clock, operation, "GET", safeUrl(params.url, secrets));
  let socket: WebSocketLike | undefined;
  const timed = timedSignal(
    params.signal,
    params.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    clock,
    operation,
  );
  const interrupted = new Promise<never>((_, reject) => {
    timed.signal.addEventListener("abort", () => reject(timed.signal.reason), { once: true });
  });
  interrupted.catch(() => {});
  try {
    const opening = (async () => {
      try {
        socket = await factory(params.url, { headers });
      } catch (error) {
        if (error instanceof UpgradeRefused) {
          throw createApiError({
            status: error.status,
            provider,
            operation,
            headers: error.headers,
            body: error.body,
          });
        }
        if (error instanceof SandgateError) throw error;
        // Never echo the error: a WebSocket constructor may quote the URL (and its token).
        throw new NetworkError(`${operation}: could not open the WebSocket`, {
          cause: foreignCause(error, secrets),
        });
      }
      // An asynchronous factory may answer after the deadline: nobody waits for it any more.
      if (timed.signal.aborted) {
        closeQuietly(socket);
        throw timed.signal.reason;
      }
      const channel = new WebSocketChannel<E>(socket, {
        protocol,
        maxBufferedBytes: params.maxBufferedBytes,
        signal: params.signal,
        secrets,
      });
      await channel.opened;
      return channel;
    })();
    const channel = await Promise.race([opening, interrupted]).catch(async (error) => {
      if (error instanceof HandshakeFailed) {
        throw params.diagnose
          ? await Promise.race([params.diagnose(error.cause), interrupted])
          : new NetworkError(`${operation}: the server refused or dropped the WebSocket handshake`);
      }
      throw error;
    });
    done?.(101, "101");
    return channel;
  } catch (error) {
    closeQuietly(socket);
    const clean = redactError(error, secrets);
    if (done) {
      const { name, status } = (clean ?? {}) as { name?: unknown; status?: unknown };
      done(
        typeof status === "number" ? status : null,
        `failed (${typeof name === "string" ? name : "error"}${
          typeof status === "number" ? ` ${status}` : ""
        })`,
      );
    }
    throw clean;
  } finally {
    timed.dispose();
  }
}

/** The URL as events show it: secrets and any `token=` query value replaced. */
function safeUrl(url: string, secrets: readonly string[]): string {
  return redactor(secrets).text(url).replace(/([?&]token=)[^&#]*/g, `$1${REDACTED}`);
}
