/**
 * The emulator's server-side rate limit: a sliding window of served requests
 * per key (provider, token, sandbox), by arrival.
 *
 * @module
 */

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
