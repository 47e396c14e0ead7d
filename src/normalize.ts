/**
 * Client options normalized once, at construction (as ky's `normalize`):
 * unknown keys rejected, every value checked, defaults filled in, the clock
 * guarded and the event sink built. Everything downstream (the pipeline, the
 * high-level classes) reads this one object and checks nothing again.
 *
 * @module
 */
import { ConfigError, describeValue } from "./errors.ts";
import { eventSink, type RateLimitInfo, type RetryInfo, type SandgateEvent } from "./events.ts";
import { realRequest } from "./http/outgoing.ts";
import {
  type ApiKeySource,
  assertClientOptions,
  type ClientOptions,
  type FetchLike,
  type RateLimitOptions,
  type RetryOptions,
} from "./options.ts";
import type { RateLimitStore } from "./rate_limit/store.ts";
import { guardClock } from "./util/callback.ts";
import { type Clock, systemClock } from "./util/clock.ts";
import { assertOptionsObject } from "./validate.ts";

/** Defaults that hold for every provider. */
export const DEFAULTS = {
  // Room for a full rate-limit window (60.5 s) of queueing plus a slow request.
  timeoutMs: 120_000,
  rateLimit: { limit: 20, windowMs: 60_000, marginMs: 500 },
  retry: { retries: 3, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryDelayMs: 60_000 },
} as const;

/** Retries, every field set. */
export interface NormalizedRetry {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryDelayMs: number;
}

/** Client-side rate limiting, every field set but the optional ones. */
export interface NormalizedRateLimit {
  readonly limit: number;
  readonly windowMs: number;
  readonly marginMs: number;
  readonly maxWaitMs?: number | undefined;
  readonly store?: RateLimitStore | undefined;
  /**
   * Whether `limit` or `windowMs` was given: one budget for every call, instead
   * of the provider's documented budgets per operation.
   */
  readonly custom: boolean;
}

/** {@link ClientOptions} after {@link normalizeClientOptions}. */
export interface NormalizedOptions {
  /** As given: resolved per request by the auth middleware. */
  readonly apiKey: ApiKeySource | undefined;
  /** As given; `undefined` lets the provider pick (its environment, its default). */
  readonly baseUrl: string | undefined;
  /**
   * The caller's `fetch`; `undefined`: the runtime's, as http/default_fetch.ts
   * sends it (the middleware stack picks it, so it loads with the stack).
   */
  readonly fetch: FetchLike | undefined;
  /** The caller's clock (guarded: what it throws is handed back as it is), or the system's. */
  readonly clock: Clock;
  /** The client-wide budget of a call (`Infinity`: none). */
  readonly timeoutMs: number;
  readonly retry: NormalizedRetry | false;
  readonly rateLimit: NormalizedRateLimit | false;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  readonly onRateLimit: ((info: RateLimitInfo) => void) | undefined;
  /** `onEvent` and `debug` as one sink; `undefined` when nobody listens. */
  readonly emit: ((event: SandgateEvent) => void) | undefined;
  /** The options as given, minus the checked common ones: a provider reads its own from here. */
  readonly given: Readonly<Record<string, unknown>>;
}

/**
 * Checks a client's options once and returns them normalized: `known` lists
 * every key the client accepts (the common ones and the provider's own). A
 * bad value is a `ConfigError` naming the option and the rule, before any
 * request; a value that is not an options object is an `InvalidArgumentError`.
 */
export function normalizeClientOptions(
  options: unknown,
  known: readonly string[],
): NormalizedOptions {
  assertOptionsObject("options", options);
  assertClientOptions(options, known);
  const given = (options ?? {}) as ClientOptions & Record<string, unknown>;
  const timeoutMs = given.timeoutMs ?? DEFAULTS.timeoutMs;
  checkPositive("timeoutMs", timeoutMs, false, true);
  return {
    apiKey: given.apiKey,
    baseUrl: given.baseUrl,
    // A caller's `fetch` gets a runtime `Request` (the pipeline's own are deferred).
    fetch: given.fetch ? wrapFetch(given.fetch) : undefined,
    clock: given.clock ? guardClock(given.clock) : systemClock,
    timeoutMs,
    retry: given.retry === false ? false : normalizeRetry(given.retry),
    rateLimit: given.rateLimit === false ? false : normalizeRateLimit(given.rateLimit),
    onRetry: given.onRetry,
    onRateLimit: given.onRateLimit,
    emit: eventSink(given.onEvent, given.debug),
    given,
  };
}

function wrapFetch(fetch: FetchLike): FetchLike {
  return (request) => fetch(realRequest(request));
}

function normalizeRetry(options: RetryOptions | undefined): NormalizedRetry {
  const retry = { ...DEFAULTS.retry, ...stripUndefined(options ?? {}) };
  checkInteger("retry.retries", retry.retries, 0);
  checkPositive("retry.baseDelayMs", retry.baseDelayMs, true);
  checkPositive("retry.maxDelayMs", retry.maxDelayMs, true);
  checkPositive("retry.maxRetryDelayMs", retry.maxRetryDelayMs, true, true);
  return retry;
}

function normalizeRateLimit(options: RateLimitOptions | undefined): NormalizedRateLimit {
  const given = stripUndefined(options || {});
  const rateLimit = { ...DEFAULTS.rateLimit, ...given };
  checkInteger("rateLimit.limit", rateLimit.limit, 1);
  checkPositive("rateLimit.windowMs", rateLimit.windowMs);
  checkPositive("rateLimit.marginMs", rateLimit.marginMs, true);
  if (rateLimit.maxWaitMs !== undefined) {
    checkPositive("rateLimit.maxWaitMs", rateLimit.maxWaitMs, true, true);
  }
  return { ...rateLimit, custom: given.limit !== undefined || given.windowMs !== undefined };
}

function checkPositive(name: string, value: unknown, allowZero = false, allowInfinity = false) {
  const ok = typeof value === "number" && (value > 0 || (allowZero && value === 0)) &&
    (Number.isFinite(value) || allowInfinity);
  if (!ok) {
    throw new ConfigError(
      `${name}: must be a number ${allowZero ? "≥ 0" : "> 0"} (got ${describeValue(value)})`,
    );
  }
}

function checkInteger(name: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name}: must be an integer ≥ ${min} (got ${describeValue(value)})`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
