/**
 * Reads how long a server asks us to wait, from `Retry-After` (seconds or an
 * HTTP date) or `RateLimit-Reset` (seconds).
 *
 * @module
 */

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "\\d{2}:\\d{2}:\\d{2}";
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT` + // IMF-fixdate
    `|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT` +
    `|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`, // asctime
);

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
    // Only an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, RFC 850 or asctime form):
    // `Date.parse` alone accepts junk such as "a 1" as some date in the past.
    if (HTTP_DATE.test(retryAfter)) {
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - nowMs);
    }
  }
  const reset = headers.get("ratelimit-reset")?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return Math.ceil(Number(reset) * 1000);
  return undefined;
}
