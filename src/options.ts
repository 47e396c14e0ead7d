/**
 * Options every client accepts, and the per-call options, with the check that
 * rejects unknown option names (each provider lists its own on top).
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import type { RateLimitInfo, RetryInfo, SandgateEvent } from "./events.ts";
import type { Clock } from "./util/clock.ts";
import type { RateLimitStore } from "./rate_limit/store.ts";
import { exhaustive } from "./util/exhaustive.ts";
import { userAgent } from "./version.ts";

/** An API key, or a function returning one (called per request, for rotating tokens). */
export type ApiKeySource = string | (() => string | Promise<string>);

/** A `fetch` that takes a `Request`: the global one, an emulator's, or a test double. */
export type FetchLike = (request: Request) => Promise<Response>;

/** Client-side rate limiting (sliding window per origin, token and sandbox). */
export interface RateLimitOptions {
  /** Requests allowed per window. Default 20 (the gateway's documented limit). */
  limit?: number;
  /** Window length in milliseconds. Default 60 000. */
  windowMs?: number;
  /**
   * Safety margin added to the window, so that arrival jitter at the server
   * cannot squeeze two sends a full window apart into one window. Default 500.
   */
  marginMs?: number;
  /**
   * Longest a call may wait for a slot; a longer wait fails at once with a
   * `RateLimitedError` and nothing is sent. Default: wait as long as needed.
   */
  maxWaitMs?: number;
  /** Where reservations are kept. Default: in this process's memory. */
  store?: RateLimitStore;
}

/** Automatic retries with full-jitter exponential backoff. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff ceiling in milliseconds. Default 250. */
  baseDelayMs?: number;
  /** Largest backoff in milliseconds. Default 8 000. */
  maxDelayMs?: number;
  /** Largest wait a server's `Retry-After` may impose before we give up. Default 60 000. */
  maxRetryDelayMs?: number;
}

/** Options every sandgate client accepts. */
export interface ClientOptions {
  /** API key; by default read from the provider's environment variable. */
  apiKey?: ApiKeySource;
  /** Base URL of the API; must be `https:` except for loopback hosts. */
  baseUrl?: string;
  /** The `fetch` to send requests with. Default: the global `fetch`. */
  fetch?: FetchLike;
  /**
   * Budget for a whole call, all attempts and waits included. Default 120 000
   * ms: enough to queue behind a full rate-limit window and still send.
   * `Infinity` sets no client-wide budget (per-call `timeoutMs` still applies).
   * A per-call `timeoutMs` can shorten the budget, not extend it.
   */
  timeoutMs?: number;
  /** Client-side rate limiting, or `false` to turn it off. */
  rateLimit?: RateLimitOptions | false;
  /** Retries, or `false` to turn them off. */
  retry?: RetryOptions | false;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /** Called when a call waits for a rate-limit slot (once per wait; `onEvent` also reports progress). */
  onRateLimit?: (info: RateLimitInfo) => void;
  /**
   * Receives every request, response, retry and rate-limit wait, with
   * progress every 5 s during a long wait. Events never contain a key or
   * token.
   */
  onEvent?: (event: SandgateEvent) => void;
  /**
   * `true` prints each event as one `[sandgate] …` line with `console.error`
   * (requests, responses, retries, waits; no secrets). Default `false`.
   */
  debug?: boolean;
  /** Time source for the limiter, retries and timeouts (tests inject a fake). */
  clock?: Clock;
}

/** Options every method accepts as its last argument. */
export interface CallOptions {
  /** Aborts the call; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Budget for this call, all attempts and waits included. The client's
   * `timeoutMs` still applies too, so this can shorten the budget, not extend it.
   */
  timeoutMs?: number;
}

/** `User-Agent` of every request this process sends. */
export const USER_AGENT: string = userAgent();

// Every option, by name: `exhaustive` fails the type check when an option is
// added to the interfaces but not here (so it would be rejected as unknown).
/** The options of {@link ClientOptions}: a provider lists its own after these. */
export const CLIENT_OPTION_KEYS: readonly string[] = exhaustive<keyof ClientOptions>()([
  "apiKey",
  "baseUrl",
  "fetch",
  "timeoutMs",
  "rateLimit",
  "retry",
  "onRetry",
  "onRateLimit",
  "onEvent",
  "debug",
  "clock",
]);
const RATE_LIMIT_KEYS = exhaustive<keyof RateLimitOptions>()(
  ["limit", "windowMs", "marginMs", "maxWaitMs", "store"],
);
const RETRY_KEYS = exhaustive<keyof RetryOptions>()(
  ["retries", "baseDelayMs", "maxDelayMs", "maxRetryDelayMs"],
);

/**
 * Spellings people reach for, from other SDKs (ky, axios, openai), and what we
 * call them: the first of a list that the options at hand know (a base URL on
 * `new Tensorlake()` is its `proxyUrl`).
 */
const ALIASES: Record<string, string | readonly string[]> = {
  timeout: "timeoutMs",
  retries: "retry: { retries }",
  maxRetries: "retry: { retries }",
  retryDelay: "retry: { baseDelayMs }",
  baseURL: ["baseUrl", "proxyUrl"],
  baseurl: ["baseUrl", "proxyUrl"],
  url: ["baseUrl", "proxyUrl"],
  key: "apiKey",
  token: "apiKey",
  apikey: "apiKey",
  api_key: "apiKey",
  rateLimiter: "rateLimit",
  ratelimit: "rateLimit",
  logger: "onEvent",
  verbose: "debug",
};

/** Edits from `a` to `b`: insertions, deletions, substitutions and swaps of neighbours (`nmae`). */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, before[j - 2]! + 1);
      }
    }
    [before, previous] = [previous, row];
  }
  return previous[b.length]!;
}

/** The known option `key` was most likely meant to be, if any. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const aliases = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  for (const alias of typeof aliases === "string" ? [aliases] : aliases ?? []) {
    if (known.includes(alias.split(":")[0]!)) return alias;
  }
  const lower = key.toLowerCase();
  const same = known.find((k) => k.toLowerCase() === lower);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3));
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d <= bestDistance) [best, bestDistance] = [k, d];
  }
  if (best) return best;
  return key.length >= 4 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
}

function checkKeys(path: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    throw new ConfigError(
      `${path}.${key}: unknown option${guess ? `; did you mean \`${guess}\`?` : ""} ` +
        `(known: ${known.join(", ")})`,
    );
  }
}

/**
 * Checks a client's options for unknown keys, nested `rateLimit` and
 * `retry` included: a typo (`timeout`, `baseURL`, `rateLimit.limt`) is a
 * `ConfigError` with a "did you mean", never silently ignored.
 */
export function assertClientOptions(options: unknown, known: readonly string[]): void {
  if (typeof options !== "object" || options === null) return;
  checkKeys("options", options, known);
  const { rateLimit, retry, debug, onEvent } = options as ClientOptions;
  if (typeof rateLimit === "object" && rateLimit !== null) {
    checkKeys("options.rateLimit", rateLimit, RATE_LIMIT_KEYS);
  }
  if (typeof retry === "object" && retry !== null) {
    checkKeys("options.retry", retry, RETRY_KEYS);
  }
  if (debug !== undefined && typeof debug !== "boolean") {
    throw new ConfigError(`options.debug: must be a boolean (got ${typeof debug})`);
  }
  if (onEvent !== undefined && typeof onEvent !== "function") {
    throw new ConfigError(`options.onEvent: must be a function (got ${typeof onEvent})`);
  }
  // A wrong type is not "no key": the environment is read only when apiKey is left out.
  const { apiKey } = options as ClientOptions;
  if (apiKey !== undefined && typeof apiKey !== "string" && typeof apiKey !== "function") {
    throw new ConfigError(
      `options.apiKey: must be a string or a function returning one (got ${
        apiKey === null ? "null" : typeof apiKey
      }); leave it out to use the environment`,
    );
  }
}
