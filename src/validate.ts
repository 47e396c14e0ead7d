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
export function assertCallOptions(
  value: unknown,
  extra: readonly string[] = [],
): void {
  assertOptionsObject("options", value, ["signal", "timeoutMs", ...extra]);
  if (value === undefined) return;
  const { signal, timeoutMs, strict } = value as Record<string, unknown>;
  if (
    signal !== undefined &&
    !(typeof AbortSignal === "function" && signal instanceof AbortSignal)
  ) {
    throw new InvalidArgumentError("options.signal", signal, "must be an AbortSignal");
  }
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS)
  ) {
    throw new InvalidArgumentError(
      "options.timeoutMs",
      timeoutMs,
      `must be a positive number of milliseconds, at most ${MAX_TIMER_MS}`,
    );
  }
  if (strict !== undefined && typeof strict !== "boolean") {
    throw new InvalidArgumentError("options.strict", strict, "must be a boolean");
  }
}

/**
 * Ports Prime Intellect does not expose: https://docs.primeintellect.ai/sandboxes/cli,
 * "Expose Ports" ("Ports must be in the range 22–9000. Ports 8080, 2222, and 8081 cannot…").
 */
export const RESERVED_PORTS: readonly number[] = [8080, 2222, 8081];

/** Checks a port to expose: an integer from 22 to 9000, not one of {@link RESERVED_PORTS}. */
export function assertPort(value: unknown): asserts value is number {
  assertIntegerInRange("port", value, 22, 9000);
  if (RESERVED_PORTS.includes(value as number)) {
    throw new InvalidArgumentError(
      "port",
      value,
      "must not be 8080, 2222 or 8081: Prime Intellect does not expose them (docs: Expose Ports)",
    );
  }
}

/** Checks an exposure name: absent, `null`, or a string of at most 50 characters. */
export function assertExposureName(value: unknown): asserts value is string | null | undefined {
  if (value === undefined || value === null) return;
  if (typeof value !== "string") {
    throw new InvalidArgumentError("name", value, "must be a string of at most 50 characters");
  }
  if ([...value].length > 50) {
    throw new InvalidArgumentError("name", value, "must be at most 50 characters");
  }
}

/** Upper-cases a protocol after checking it is `"HTTP"` or `"TCP"` in any case. */
export function normalizeProtocol(value: unknown): "HTTP" | "TCP" | undefined {
  if (value === undefined) return undefined;
  const upper = typeof value === "string" ? value.toUpperCase() : undefined;
  if (upper === "HTTP" || upper === "TCP") return upper;
  throw new InvalidArgumentError("protocol", value, 'must be "HTTP" or "TCP" (any case)');
}

/** Checks an SSH session lifetime: an integer from 1 to 3600 seconds. */
export function assertTtlSeconds(value: unknown): asserts value is number | undefined {
  if (value === undefined) return;
  assertIntegerInRange("ttlSeconds", value, 1, 3600);
}

/**
 * The terminal sizes Tensorlake documents (it clamps rows to 1..500 and cols
 * to 1..1000: https://docs.tensorlake.ai/api-reference/v2/pty/create). A
 * value outside is rejected here rather than silently clamped there.
 */
export const PTY_LIMITS = { rows: 500, cols: 1000 } as const;

/** Checks a terminal dimension: an integer from 1 to 500 rows or 1 to 1000 cols. */
export function assertDimension(field: "rows" | "cols", value: unknown): asserts value is number {
  assertIntegerInRange(field, value, 1, PTY_LIMITS[field]);
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

/** Checks PTY arguments: an array of strings without NUL characters (never echoed). */
export function assertArgs(value: unknown): asserts value is string[] | undefined {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError("args", value, "must be an array of strings");
  }
  value.forEach((arg, i) => assertText(`args[${i}]`, arg, { secret: true, allowEmpty: true }));
}

const ENV_NAME = /^[^=\0]+$/;

/**
 * Checks PTY environment variables and returns a copy of their own entries:
 * a plain object of string values; names non-empty without `=` or NUL and
 * not `__proto__`. Values may be secrets and are never echoed.
 */
export function normalizeEnv(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError("env", value, "must be an object of string values");
  }
  const entries: [string, string][] = [];
  for (const [name, text] of Object.entries(value)) {
    if (!ENV_NAME.test(name) || name === "__proto__") {
      throw new InvalidArgumentError(
        "env",
        name,
        "variable names must be non-empty, without `=` or NUL, and not __proto__",
      );
    }
    assertText(`env.${name}`, text, { secret: true, allowEmpty: true });
    entries.push([name, text]);
  }
  return Object.fromEntries(entries);
}

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n\0]*)?$/;

/**
 * Checks an OpenSSH public key line (`ssh-ed25519 AAAA… comment`) and returns
 * it without a trailing newline. The value is never echoed: a private key
 * passed by mistake must not end up in an error message.
 */
export function normalizePublicKey(value: unknown): string {
  const rule =
    'must be one OpenSSH public key line, e.g. "ssh-ed25519 AAAA… comment" (the .pub file, never the private key)';
  if (typeof value !== "string") {
    throw new InvalidArgumentError("publicKey", value, rule, { secret: true });
  }
  const line = value.replace(/\r?\n$/, "");
  if (!PUBLIC_KEY.test(line)) {
    throw new InvalidArgumentError("publicKey", undefined, rule, { secret: true });
  }
  return line;
}

/** Checks a path to an SSH identity file: non-empty, one line, no NUL. */
export function assertIdentityFile(value: unknown): asserts value is string {
  assertText("identityFile", value);
  if (/[\r\n]/.test(value)) {
    throw new InvalidArgumentError("identityFile", value, "must not contain line breaks");
  }
}
