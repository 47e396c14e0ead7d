/**
 * Options shared by both providers' clients, and the per-call options.
 *
 * @module
 */
import type { Clock } from "./middleware/clock.ts";
import type { RateLimitStore } from "./middleware/rate_limit_store.ts";

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

/** Passed to `onRetry` before each backoff wait. */
export interface RetryInfo {
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** Why it failed: a `SandgateError` or the failed `Response`'s `ApiError`. */
  error: unknown;
  /** How long the client waits before the next attempt, in milliseconds. */
  delayMs: number;
  /** The operation being retried. */
  operation: string;
}

/** Passed to `onRateLimit` when a call has to wait for a rate-limit slot. */
export interface RateLimitInfo {
  /** The limiter key: origin, token hash and sandbox id (never the token). */
  key: string;
  /** How long the call waits, in milliseconds. */
  waitMs: number;
  /** The operation that waits. */
  operation: string;
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
  /** Called when a call waits for a rate-limit slot. */
  onRateLimit?: (info: RateLimitInfo) => void;
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
