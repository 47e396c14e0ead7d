/**
 * {@link RateLimitedError}: 429 from the server (`source: "server"`), or a client-side refusal
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { ApiError } from "./api_error.ts";

/**
 * 429 from the server (`source: "server"`), or a client-side refusal
 * (`source: "client"`): the next rate-limit slot is further away than
 * `maxWaitMs` or than the call's deadline, and nothing was sent.
 *
 * @example
 * ```ts
 * import { RateLimitedError } from "@sandgate/sdk";
 * const error = new RateLimitedError({
 *   status: 429,
 *   provider: "primeintellect",
 *   operation: "exposePort",
 *   retryAfterMs: 7000,
 * });
 * console.log(error instanceof RateLimitedError, error.retryAfterMs);
 * ```
 */
export class RateLimitedError extends ApiError {
  static {
    nameClass(this, "RateLimitedError");
  }
}
