/**
 * Argument checks that run before any request. Each throws an
 * {@link InvalidArgumentError} naming the field, the value and the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";

// Characters that change a URL's meaning; whitespace and controls are checked by code point.
// `{` and `}` too: openapi-fetch would take `{name}` in a filled path for a template.
const URL_SPECIAL = /[\s/\\?#%{}]/;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Checks an id that goes into a URL path: non-empty, not `.` or `..`, and free
 * of `/`, `\`, `?`, `#`, `%`, `{`, `}`, whitespace and control characters (openapi-fetch
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
  if (LONE_SURROGATE.test(value)) {
    // encodeURIComponent throws on these; reject them as input, not as a URIError later.
    throw new InvalidArgumentError(
      field,
      value,
      "must be well-formed Unicode (no lone surrogates)",
    );
  }
  if (value.length > 512) {
    throw new InvalidArgumentError(field, value, "must be at most 512 characters");
  }
  if (URL_SPECIAL.test(value) || hasControlCharacter(value)) {
    throw new InvalidArgumentError(
      field,
      value,
      "must not contain /, \\, ?, #, %, {, }, whitespace or control characters",
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
  // Not `*.localhost`: resolving such names is up to the system's resolver.
  if (LOOPBACK_HOSTS.has(hostname)) return true;
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

/**
 * Checks that an options argument is absent or a plain object and, when
 * `allowed` is given, has no other keys (catches typos from JavaScript).
 */
export function assertOptionsObject(
  field: string,
  value: unknown,
  allowed?: readonly string[],
): asserts value is object | undefined {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, value, "must be an options object");
  }
  for (const key of allowed ? Object.keys(value) : []) {
    if (!allowed?.includes(key)) {
      throw new InvalidArgumentError(
        `${field}.${key}`,
        undefined,
        `is not a known option (known: ${allowed?.join(", ")})`,
        { secret: true },
      );
    }
  }
}

/**
 * {@link assertOptionsObject} for an options argument that must be given:
 * absent, it is an {@link InvalidArgumentError} saying what it must be
 * (`shape`, e.g. `"{ port, name?, protocol? }"`).
 */
export function assertRequiredOptions(
  field: string,
  value: unknown,
  allowed: readonly string[],
  shape: string,
): asserts value is object {
  if (value === undefined) throw new InvalidArgumentError(field, value, `must be ${shape}`);
  assertOptionsObject(field, value, allowed);
}

/** Longest delay a timer can wait (2^31 - 1 ms); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Checks per-call options: an object with an optional `AbortSignal` `signal`,
 * a positive `timeoutMs` a timer can wait and, when `extra` allows it, a boolean `strict`.
 */
/**
 * Checks the `signal` (an `AbortSignal`) and `timeoutMs` (a positive number of milliseconds a
 * timer can hold) of the options object `field`, when present.
 */
export function assertSignalAndTimeout(field: string, value: object | undefined): void {
  const { signal, timeoutMs } = (value ?? {}) as Record<string, unknown>;
  if (
    signal !== undefined &&
    !(typeof AbortSignal === "function" && signal instanceof AbortSignal)
  ) {
    throw new InvalidArgumentError(`${field}.signal`, signal, "must be an AbortSignal");
  }
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS)
  ) {
    throw new InvalidArgumentError(
      `${field}.timeoutMs`,
      timeoutMs,
      `must be a positive number of milliseconds, at most ${MAX_TIMER_MS}`,
    );
  }
}

export function assertCallOptions(
  value: unknown,
  extra: readonly string[] = [],
): void {
  assertOptionsObject("options", value, ["signal", "timeoutMs", ...extra]);
  if (value === undefined) return;
  assertSignalAndTimeout("options", value);
  const { strict } = value as Record<string, unknown>;
  if (strict !== undefined && typeof strict !== "boolean") {
    throw new InvalidArgumentError("options.strict", strict, "must be a boolean");
  }
}

function hasNul(value: string): boolean {
  return value.includes("\0");
}

/**
 * Checks a non-empty string without NUL characters. With `secret`, a
 * rejected value is never echoed.
 */
export function assertText(
  field: string,
  value: unknown,
  options?: { secret?: boolean; allowEmpty?: boolean },
): asserts value is string {
  const secret = { secret: options?.secret ?? false };
  if (typeof value !== "string") {
    throw new InvalidArgumentError(field, value, "must be a string", secret);
  }
  if (!options?.allowEmpty && value.length === 0) {
    throw new InvalidArgumentError(field, value, "must not be empty", secret);
  }
  if (hasNul(value)) {
    throw new InvalidArgumentError(field, value, "must not contain NUL characters", secret);
  }
}
