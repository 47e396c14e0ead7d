/**
 * Client-side rate limiting (placeholder: passes requests through).
 *
 * @module
 */
import type { RateLimitInfo } from "../options.ts";
import type { Clock } from "./clock.ts";
import type { RateLimitStore } from "./rate_limit_store.ts";
import type { Middleware } from "./types.ts";

/** Options of {@link rateLimitMiddleware}. */
export interface RateLimitMiddlewareOptions {
  /** Requests per window. */
  limit: number;
  /** Window in milliseconds. */
  windowMs: number;
  /** Safety margin added to the window. */
  marginMs: number;
  /** Longest acceptable wait. */
  maxWaitMs?: number | undefined;
  /** Where slots are booked. */
  store?: RateLimitStore | undefined;
  /** Called when a call waits. */
  onRateLimit?: ((info: RateLimitInfo) => void) | undefined;
  /** Time source. */
  clock: Clock;
}

/**
 * Waits for a slot before each attempt.
 *
 * @example
 * ```ts
 * import { rateLimitMiddleware, systemClock } from "@sandgate/sdk";
 * const limiter = rateLimitMiddleware({ limit: 20, windowMs: 60000, marginMs: 500, clock: systemClock });
 * console.log(typeof limiter);
 * ```
 */
export function rateLimitMiddleware(_options: RateLimitMiddlewareOptions): Middleware {
  return (next) => next;
}
