/**
 * Argument checks that run before any request. Each throws an
 * {@link InvalidArgumentError} naming the field, the value and the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";

// Characters that change a URL's meaning; whitespace and controls are checked by code point.
const URL_SPECIAL = /[\s/\\?#%]/;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * Checks an id that goes into a URL path: non-empty, not `.` or `..`, and free
 * of `/`, `\`, `?`, `#`, `%`, whitespace and control characters (openapi-fetch
 * only percent-encodes path parameters, so these would reach other endpoints).
 */
export function assertPathId(field: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(field, value, "must be a string");
  }
  if (value.length === 0) throw new InvalidArgumentError(field, value, "must not be empty");
  if (value === "." || value === "..") {
    throw new InvalidArgumentError(field, value, "must not be `.` or `..`");
  }
  if (value.length > 512) {
    throw new InvalidArgumentError(field, value, "must be at most 512 characters");
  }
  if (URL_SPECIAL.test(value) || hasControlCharacter(value)) {
    throw new InvalidArgumentError(
      field,
      value,
      "must not contain /, \\, ?, #, %, whitespace or control characters",
    );
  }
}

/** Checks an integer within `[min, max]`. */
export function assertIntegerInRange(
  field: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, value, `must be an integer from ${min} to ${max}`);
  }
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** Whether a URL's host is loopback: `localhost`, `127.0.0.0/8` or `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  if (LOOPBACK_HOSTS.has(hostname) || hostname.endsWith(".localhost")) return true;
  return /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses a base URL and requires `https:` unless the host is loopback.
 * Returns the URL without a trailing slash. `onError` builds the error thrown.
 */
export function parseSecureUrl(
  value: string,
  onError: (rule: string) => Error,
): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw onError("must be an absolute URL");
  }
  if (url.username || url.password) throw onError("must not contain credentials");
  if (url.search || url.hash) throw onError("must not contain a query or fragment");
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  throw onError(
    "must use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and [::1])",
  );
}
