/**
 * Timeouts and cancellation (placeholder: passes requests through).
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Middleware } from "./types.ts";

/** Options of {@link timeoutMiddleware}. */
export interface TimeoutOptions {
  /** Budget for a whole call in milliseconds. */
  timeoutMs: number;
  /** Time source. */
  clock: Clock;
}

/**
 * Bounds a whole call (all attempts) by `timeoutMs`.
 *
 * @example
 * ```ts
 * import { systemClock, timeoutMiddleware } from "@sandgate/sdk";
 * console.log(typeof timeoutMiddleware({ timeoutMs: 1000, clock: systemClock }));
 * ```
 */
export function timeoutMiddleware(_options: TimeoutOptions): Middleware {
  return (next) => next;
}
