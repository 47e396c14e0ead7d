/**
 * Errors thrown by the caller's own code (an async `apiKey` provider,
 * `onRetry`, `onRateLimit`, a custom clock) are the caller's, not network
 * errors: they are tagged where sandgate calls that code, and the request
 * path hands them back as they are.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

const tagged = new WeakSet<object>();

/** Tags `error` as thrown by a user callback and returns it. */
export function tagCallbackError(error: unknown): unknown {
  if (typeof error === "object" && error !== null) tagged.add(error);
  return error;
}

/** Whether `error` was thrown by a user callback (see {@link callUser}). */
export function isCallbackError(error: unknown): boolean {
  return typeof error === "object" && error !== null && tagged.has(error);
}

/**
 * Calls the user's `fn`, tagging what it throws (or what its promise rejects
 * with) as a callback error.
 *
 * @example
 * ```ts
 * import { callUser, isCallbackError } from "./callback.ts";
 * try {
 *   callUser(() => {
 *     throw new Error("mine");
 *   });
 * } catch (error) {
 *   console.log(isCallbackError(error)); // true
 * }
 * ```
 */
export function callUser<R>(fn: () => R): R {
  let result: R;
  try {
    result = fn();
  } catch (error) {
    throw tagCallbackError(error);
  }
  if (typeof (result as { then?: unknown } | null)?.then === "function") {
    return Promise.resolve(result).catch((error: unknown) => {
      throw tagCallbackError(error);
    }) as R;
  }
  return result;
}

const guarded = new WeakMap<Clock, Clock>();

/**
 * `clock` with its failures tagged as callback errors (an abort of `sleep`
 * stays the signal's reason). One wrapper per clock, so stores shared per
 * clock stay shared.
 */
export function guardClock(clock: Clock): Clock {
  let wrapper = guarded.get(clock);
  if (!wrapper) {
    wrapper = {
      now: () => callUser(() => clock.now()),
      sleep: (ms, signal) =>
        callUser(() => clock.sleep(ms, signal)).catch((error: unknown) => {
          if (signal?.aborted && error === signal.reason) throw error;
          throw tagCallbackError(error);
        }),
    };
    const track = clock.track;
    // A clock that cannot track is no reason to fail a call: the work is awaited as is.
    if (track) {
      wrapper.track = <T>(work: Promise<T>): Promise<T> => {
        try {
          return clock.track!(work) ?? work;
        } catch {
          return work;
        }
      };
    }
    guarded.set(clock, wrapper);
  }
  return wrapper;
}
