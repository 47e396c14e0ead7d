/**
 * What a client reports while it works, for `onEvent` and `debug: true`:
 * each request and response, each retry, and rate-limit waits with progress
 * every {@link PROGRESS_INTERVAL_MS}. Events carry no secret: URLs and
 * operation names only, never headers or bodies.
 *
 * @module
 */
import type { Clock } from "./util/clock.ts";

/** Passed to `onRetry` before each backoff wait. */
export interface RetryInfo {
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** Why it failed: a `SandgateError` or the failed `Response`'s `ApiError`. */
  error: unknown;
  /** How long the client waits before the next attempt, in milliseconds. */
  delayMs: number;
  /** The operation being retried. */
  operation: string;
}

/** Passed to `onRateLimit` when a call has to wait for a rate-limit slot. */
export interface RateLimitInfo {
  /** The limiter key: origin, token hash and sandbox id (never the token). */
  key: string;
  /** How long the call waits, in milliseconds. */
  waitMs: number;
  /** The operation that waits. */
  operation: string;
}

/** How often a long rate-limit wait reports progress, in milliseconds. */
export const PROGRESS_INTERVAL_MS = 5_000;

/** Fields every {@link SandgateEvent} has. */
export interface SandgateEventBase {
  /** The operation, e.g. `"exposePort"`. */
  readonly operation: string;
  /** One readable line describing the event (no secrets). */
  readonly message: string;
}

/** A request is about to be sent. */
export interface RequestEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "request";
  /** HTTP method. */
  readonly method: string;
  /** Request URL (no credentials: keys travel in headers, which are not reported). */
  readonly url: string;
}

/** A response arrived, or the request failed without one. */
export interface ResponseEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "response";
  /** HTTP method. */
  readonly method: string;
  /** Request URL. */
  readonly url: string;
  /** HTTP status, or `null` when the request failed without a response. */
  readonly status: number | null;
  /** Time from sending to the answer, in milliseconds. */
  readonly durationMs: number;
}

/** A failed attempt is retried after a backoff. */
export interface RetryEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "retry";
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  /** Backoff before the next attempt, in milliseconds. */
  readonly delayMs: number;
  /** Why it failed: the error's name and, for HTTP errors, the status. */
  readonly reason: string;
}

/** A call waits for a client-side rate-limit slot: once at the start, then every 5 s. */
export interface RateLimitWaitEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "rate-limit";
  /** The whole wait, in milliseconds. */
  readonly waitMs: number;
  /** How long it has waited so far (0 for the first event). */
  readonly elapsedMs: number;
  /** How long it still waits. */
  readonly remainingMs: number;
}

/**
 * One attempt of `waitUntilReady` (an exposure's URL or endpoint, an SSH
 * session's endpoint): not ready yet, with the backoff before the next
 * attempt, or ready.
 */
export interface ReadinessEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "readiness";
  /** What is probed: the URL, or `host:port`. */
  readonly target: string;
  /** The attempt (1 for the first). */
  readonly attempt: number;
  /** Whether the service answered. */
  readonly ready: boolean;
  /** What the attempt saw, e.g. `"HTTP 502 from the gateway"` or `"HTTP 200"`. */
  readonly outcome: string;
  /** Time since the first attempt, in milliseconds. */
  readonly elapsedMs: number;
  /** Backoff before the next attempt, in milliseconds; `null` once ready. */
  readonly delayMs: number | null;
}

/** A PTY connection dropped and is being re-attached (the `reconnect` attach option). */
export interface ReconnectingEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "reconnecting";
  /** The re-attach attempt about to be made (1 for the first, made at once). */
  readonly attempt: number;
  /** Backoff before this attempt, in milliseconds. */
  readonly delayMs: number;
  /** Time since the drop, in milliseconds. */
  readonly elapsedMs: number;
  /** Why: the drop, or the previous attempt's failure (an error's name and message). */
  readonly reason: string;
}

/** A dropped PTY connection was re-attached; output and queued input flow again. */
export interface ReconnectedEvent extends SandgateEventBase {
  /** Event kind. */
  readonly type: "reconnected";
  /** Attempts it took. */
  readonly attempts: number;
  /** Time from the drop to the new connection, in milliseconds. */
  readonly downtimeMs: number;
}

/**
 * Everything `onEvent` receives (and `debug: true` prints).
 *
 * @example Show progress during long rate-limit waits
 * ```ts
 * import { PrimeIntellect, type SandgateEvent } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({
 *   apiKey: "demo",
 *   fetch: createEmulator().fetch,
 *   onEvent: (event: SandgateEvent) => {
 *     if (event.type === "rate-limit") console.log(`waiting ${event.remainingMs} ms more`);
 *   },
 * });
 * console.log(await prime.sandbox("sb-1").listExposures()); // []
 * ```
 */
export type SandgateEvent =
  | RequestEvent
  | ResponseEvent
  | RetryEvent
  | RateLimitWaitEvent
  | ReadinessEvent
  | ReconnectingEvent
  | ReconnectedEvent;

/** `debug: true`: one line per event on the console's error stream. */
export function printEvent(event: SandgateEvent): void {
  console.error(`[sandgate] ${event.message}`);
}

/** The event sink of a client: `onEvent`, plus printing when `debug` is on. */
export function eventSink(
  onEvent: ((event: SandgateEvent) => void) | undefined,
  debug: boolean | undefined,
): ((event: SandgateEvent) => void) | undefined {
  if (!onEvent && !debug) return undefined;
  return (event) => {
    // A throwing listener must not break the call it watches.
    try {
      onEvent?.(event);
    } catch {
      // ignored
    }
    if (debug) printEvent(event);
  };
}

/** A duration as the event messages show it: `850 ms`, `2.5 s`. */
export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** The retry hook: the user's `onRetry`, then a `retry` event. */
export function retryReporter(
  onRetry: ((info: RetryInfo) => void) | undefined,
  emit: ((event: SandgateEvent) => void) | undefined,
): ((info: RetryInfo) => void) | undefined {
  if (!emit) return onRetry;
  return (info) => {
    onRetry?.(info);
    const error = info.error as { name?: unknown; status?: unknown } | null;
    const name = typeof error?.name === "string" ? error.name : "error";
    const reason = typeof error?.status === "number" ? `${name} ${error.status}` : name;
    emit({
      type: "retry",
      operation: info.operation,
      attempt: info.attempt,
      delayMs: info.delayMs,
      reason,
      message: `retry ${info.operation}: attempt ${info.attempt} failed (${reason}); ` +
        `next attempt in ${seconds(info.delayMs)}`,
    });
  };
}

/** Emits one `rate-limit` event. */
export function reportWait(
  emit: (event: SandgateEvent) => void,
  info: RateLimitInfo,
  elapsedMs: number,
): void {
  const remainingMs = Math.max(0, info.waitMs - elapsedMs);
  emit({
    type: "rate-limit",
    operation: info.operation,
    waitMs: info.waitMs,
    elapsedMs,
    remainingMs,
    message: elapsedMs === 0
      ? `rate limit: ${info.operation} waits ${seconds(info.waitMs)} for a send slot ` +
        `(client-side limiter; onRateLimit and onEvent report it)`
      : `rate limit: ${info.operation} still waiting, ${seconds(remainingMs)} left`,
  });
}

/**
 * Sleeps `ms` on `clock`, calling `progress(elapsedMs)` every
 * {@link PROGRESS_INTERVAL_MS} while time remains. Without `progress`, one
 * plain sleep.
 */
export async function sleepWithProgress(
  clock: Clock,
  ms: number,
  signal: AbortSignal | undefined,
  progress: ((elapsedMs: number) => void) | undefined,
): Promise<void> {
  if (!progress || ms <= PROGRESS_INTERVAL_MS) return await clock.sleep(ms, signal);
  let elapsed = 0;
  while (elapsed < ms) {
    const step = Math.min(PROGRESS_INTERVAL_MS, ms - elapsed);
    await clock.sleep(step, signal);
    elapsed += step;
    if (elapsed < ms) progress(elapsed);
  }
}

/**
 * Emits the `request` event of one exchange (an HTTP attempt, a WebSocket
 * upgrade) and returns how to emit its `response`: the status, or `null`
 * with `what` saying how it failed. `url` must carry no secret.
 */
export function reportExchange(
  emit: (event: SandgateEvent) => void,
  clock: Clock,
  operation: string,
  method: string,
  url: string,
): (status: number | null, what: string) => void {
  emit({ type: "request", operation, method, url, message: `→ ${method} ${url} (${operation})` });
  const start = clock.now();
  return (status, what) => {
    const durationMs = clock.now() - start;
    emit({
      type: "response",
      operation,
      method,
      url,
      status,
      durationMs,
      message: `← ${what} ${method} ${url} (${operation}) in ${seconds(durationMs)}`,
    });
  };
}

/**
 * Wraps the terminal `fetch` so each attempt reports a `request` event and
 * its `response` (or failure).
 */
export function reportingFetch(
  fetch: (request: Request) => Promise<Response>,
  emit: ((event: SandgateEvent) => void) | undefined,
  clock: Clock,
): (request: Request, operation: string) => Promise<Response> {
  if (!emit) return (request) => fetch(request);
  return async (request, operation) => {
    const done = reportExchange(emit, clock, operation, request.method, request.url);
    try {
      const response = await fetch(request);
      done(response.status, String(response.status));
      return response;
    } catch (error) {
      done(null, `failed (${(error as { name?: string } | null)?.name ?? "error"})`);
      throw error;
    }
  };
}
