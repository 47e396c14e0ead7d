/**
 * Time, injectable: the rate limiter, retries and timeouts read the clock and
 * sleep through this interface, so tests drive them with a fake clock.
 *
 * @module
 */

/** A source of time and a way to wait. */
export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as
   * `signal` aborts. Must not keep timers alive after it settles.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Told about work the SDK awaits off the JavaScript thread (the Web Crypto
   * hash of a new API key), so a fake clock can keep time still until it
   * settles instead of mistaking the wait for idleness. Returns `work`.
   * Optional: the real clock has no use for it.
   */
  track?<T>(work: Promise<T>): Promise<T>;
}

/** The longest delay `setTimeout` honours; longer ones fire at once on every runtime. */
const MAX_TIMEOUT_MS = 0x7fff_ffff;

/**
 * The real clock: `Date.now()` and `setTimeout`. A sleep longer than
 * `setTimeout` can express (2³¹ − 1 ms, about 24.8 days) is waited in steps,
 * so it never ends early.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const start = systemClock.now();
 * await systemClock.sleep(1);
 * console.log(systemClock.now() >= start);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout>;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const wait = (left: number) => {
        timer = setTimeout(() => {
          if (left > MAX_TIMEOUT_MS) return wait(left - MAX_TIMEOUT_MS);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, Math.min(left, MAX_TIMEOUT_MS));
      };
      wait(ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
