/**
 * Reads how long a server asks us to wait, from `Retry-After` (seconds or an
 * HTTP date) or `RateLimit-Reset` (seconds).
 *
 * @module
 */

/**
 * Milliseconds to wait according to the response headers, or `undefined`
 * when they say nothing usable. Malformed, negative or non-finite values are
 * ignored.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./retry_after.ts";
 * console.log(parseRetryAfter(new Headers({ "retry-after": "7" }), Date.now())); // 7000
 * ```
 */
export function parseRetryAfter(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    // HTTP dates contain letters; bare numbers were handled above.
    if (/[a-z]/i.test(retryAfter)) {
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - nowMs);
    }
  }
  const reset = headers.get("ratelimit-reset")?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return Math.ceil(Number(reset) * 1000);
  return undefined;
}
