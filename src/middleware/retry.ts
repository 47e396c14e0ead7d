/**
 * Retries (placeholder: passes requests through).
 *
 * @module
 */
import type { RetryInfo } from "../options.ts";
import type { Clock } from "./clock.ts";
import type { Middleware } from "./types.ts";

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
}

/**
 * Retries failed attempts that are safe to retry.
 *
 * @example
 * ```ts
 * import { retryMiddleware, systemClock } from "@sandgate/sdk";
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
export function retryMiddleware(_options: RetryMiddlewareOptions): Middleware {
  return (next) => next;
}
