/**
 * The emulator's server-side rate limit: a sliding window of served requests
 * per key (provider, token, sandbox), by arrival, and which window each route
 * counts in.
 *
 * @module
 */
import type { EmulatorRateLimitOptions } from "./emulator_types.ts";
import type { Route } from "./routes.ts";

/** Result of admitting one request. */
export interface Admission {
  /** Whether the request may be served. */
  allowed: boolean;
  /** Whether the window was already full (served anyway when not enforcing). */
  over: boolean;
  /** Seconds until a slot frees, for `Retry-After` (at least 1). */
  retryAfterSeconds: number;
}

/** Sliding-window counter. */
export class ServerRateLimiter {
  readonly #windows = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #enforce: boolean;

  /** Creates a limiter of `limit` requests per `windowMs`. */
  constructor(limit: number, windowMs: number, enforce: boolean) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#enforce = enforce;
  }

  /** Admits (and records) or refuses a request arriving at `now`. */
  admit(key: string, now: number): Admission {
    const cutoff = now - this.#windowMs;
    const window = (this.#windows.get(key) ?? []).filter((t) => t > cutoff);
    const over = window.length >= this.#limit;
    const oldest = window[0] ?? now;
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.#windowMs - now) / 1000));
    if (over && this.#enforce) {
      this.#windows.set(key, window);
      return { allowed: false, over, retryAfterSeconds };
    }
    window.push(now);
    this.#windows.set(key, window);
    return { allowed: true, over, retryAfterSeconds };
  }

  /** Forgets every window. */
  clear(): void {
    this.#windows.clear();
  }
}

/** The windows of an emulator's routes: {@link RouteLimits.of} picks a route's. */
export interface RouteLimits {
  /** The limiter of a route, or `undefined` when the route has no budget. */
  of(route: Route, method: string): ServerRateLimiter | undefined;
  /** Forgets every window. */
  clear(): void;
}

/**
 * The rate limit of `createEmulator`'s `rateLimit` option. An explicit limit or
 * window is one budget for every route (both providers); otherwise each Prime
 * Intellect route gets the budget its docs page states and the Tensorlake proxy,
 * which documents none, has none. `undefined` (the option is `false`): no limit.
 */
export function routeLimits(
  options: EmulatorRateLimitOptions | undefined,
): RouteLimits | undefined {
  if (!options) return undefined;
  const enforce = options.enforce ?? true;
  if (options.limit !== undefined || options.windowMs !== undefined) {
    const limiter = new ServerRateLimiter(options.limit ?? 20, options.windowMs ?? 60_000, enforce);
    return { of: () => limiter, clear: () => limiter.clear() };
  }
  const documented = {
    writes: new ServerRateLimiter(20, 60_000, enforce),
    list: new ServerRateLimiter(60, 60_000, enforce),
    listAll: new ServerRateLimiter(60, 60_000, enforce),
    // https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint: 300 / 60 s.
    get: new ServerRateLimiter(300, 60_000, enforce),
  };
  return {
    of: (route, method) => {
      if (route.api !== "primeintellect") return undefined;
      if (route.name === "exposeAll") return documented.listAll;
      if (route.name === "sandbox") return documented.get;
      return route.name === "expose" && method === "GET" ? documented.list : documented.writes;
    },
    clear: () => {
      for (const limiter of Object.values(documented)) limiter.clear();
    },
  };
}
