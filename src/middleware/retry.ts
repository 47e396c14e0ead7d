/**
 * Retries: attempts that failed in a way that is safe to repeat are sent
 * again after a full-jitter exponential backoff, or after the server's
 * `Retry-After` / `RateLimit-Reset`.
 *
 * - Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) retry on network
 *   errors and on 408, 429, 500, 502, 503 and 504.
 * - Other methods (POST) retry only on 429 and on network errors that prove
 *   the request never reached the server (connection refused, DNS): never on
 *   a timeout or a 5xx, which could create a second SSH session or exposure.
 *
 * The overall budget is the timeout middleware's: a retry that could not
 * start before the call's deadline is not attempted.
 *
 * @module
 */
import { createApiError, NetworkError } from "../errors.ts";
import type { RetryInfo } from "../events.ts";
import { callUser } from "../util/callback.ts";
import type { Clock } from "../util/clock.ts";
import { parseRetryAfter } from "../http/retry_after.ts";
import type { Middleware } from "./context.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Options of {@link retryMiddleware}. */
export interface RetryMiddlewareOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff ceiling in milliseconds. */
  baseDelayMs: number;
  /** Largest backoff in milliseconds. */
  maxDelayMs: number;
  /** Largest `Retry-After` honoured, in milliseconds. */
  maxRetryDelayMs: number;
  /** Called before each retry. */
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /** Time source. */
  clock: Clock;
  /** Random source in [0, 1) for jitter. */
  random?: () => number;
  /**
   * Statuses retried (the provider's policy). Default: 408, 429, 500, 502,
   * 503 and 504 for idempotent methods, 429 for the others.
   */
  statuses?: { idempotent: readonly number[]; other: readonly number[] } | undefined;
}

/**
 * Retries failed attempts that are safe to retry (see the module
 * documentation). Each attempt sends a copy of the request, so a retried POST
 * sends the same body; the copy is made only when `retries > 0`, and not at
 * all inside sandgate's pipeline, which reads the body once (see
 * `CallContext.body`). Backoff waits
 * are abortable by the call's signal. `onRetry` gets the failure as a
 * `SandgateError` (an `ApiError` for an HTTP status) before each wait. When
 * retries run out, or the server asks to wait longer than `maxRetryDelayMs`,
 * the last response is returned (or the last error thrown) as it is.
 *
 * @example
 * ```ts
 * import { retryMiddleware } from "./retry.ts";
 * import { systemClock } from "../util/clock.ts";
 * const retry = retryMiddleware({
 *   retries: 3,
 *   baseDelayMs: 250,
 *   maxDelayMs: 8000,
 *   maxRetryDelayMs: 60000,
 *   clock: systemClock,
 * });
 * console.log(typeof retry);
 * ```
 */
export function retryMiddleware(options: RetryMiddlewareOptions): Middleware {
  const { retries, baseDelayMs, maxDelayMs, maxRetryDelayMs, onRetry, clock } = options;
  const random = options.random ?? Math.random;
  const retryIdempotent = options.statuses
    ? new Set(options.statuses.idempotent)
    : RETRYABLE_STATUS;
  const retryOther = new Set(options.statuses ? options.statuses.other : [429]);
  return (next) => (request, context) => {
    context.attempt = 1;
    if (!(retries > 0)) return next(request, context);
    const idempotent = IDEMPOTENT.has(request.method.toUpperCase());
    const signal = context.signal ?? request.signal;
    // With the body already read (`context.body`), the layer below builds every
    // attempt from those bytes: nothing to copy.
    const copy = context.body === undefined;
    const retryable = (attempt: number, failed: boolean, outcome: unknown): boolean =>
      attempt <= retries && !signal.aborted &&
      (failed
        ? outcome instanceof NetworkError && (idempotent || outcome.neverSent)
        : (idempotent ? retryIdempotent : retryOther).has((outcome as Response).status));
    // Each attempt is a plain promise chain; only a retry goes through the async backoff.
    const send = (attempt: number): Promise<Response> => {
      context.attempt = attempt;
      const last = attempt > retries;
      // Every attempt but the last sends a copy, so the body is there for the next one.
      return next(last || !copy ? request : request.clone(), context).then(
        (response) => retryable(attempt, false, response) ? backoff(attempt, response) : response,
        (error: unknown) => {
          if (!retryable(attempt, true, error)) throw error;
          return backoff(attempt, undefined, error);
        },
      );
    };
    const backoff = async (
      attempt: number,
      response: Response | undefined,
      error?: unknown,
    ): Promise<Response> => {
      const failed = response === undefined;
      const serverMs = response ? parseRetryAfter(response.headers, clock.now()) : undefined;
      if (serverMs !== undefined && serverMs > maxRetryDelayMs) return response!;
      const delayMs = serverMs ??
        Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      if (context.deadline !== undefined && clock.now() + delayMs >= context.deadline) {
        if (failed) throw error;
        return response!;
      }
      const reason = failed ? error : createApiError({
        status: response!.status,
        provider: context.provider,
        operation: context.operation,
        headers: response!.headers,
        retryAfterMs: serverMs,
      });
      await response?.body?.cancel().catch(() => {});
      if (onRetry) {
        const info = { attempt, error: reason, delayMs, operation: context.operation };
        callUser(() => onRetry(info));
      }
      await clock.sleep(delayMs, signal);
      return send(attempt + 1);
    };
    return send(1);
  };
}
