/**
 * Timeouts and cancellation (placeholder: passes requests through).
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import type { CallOptions } from "../options.ts";
import type { Clock } from "./clock.ts";
import type { Middleware } from "./types.ts";

/** Options of {@link timeoutMiddleware}. */
export interface TimeoutOptions {
  /** Budget for a whole call in milliseconds. */
  timeoutMs: number;
  /** Time source. */
  clock: Clock;
}

/**
 * Bounds a whole call (all attempts) by `timeoutMs`.
 *
 * @example
 * ```ts
 * import { systemClock, timeoutMiddleware } from "@sandgate/sdk";
 * console.log(typeof timeoutMiddleware({ timeoutMs: 1000, clock: systemClock }));
 * ```
 */
export function timeoutMiddleware(_options: TimeoutOptions): Middleware {
  return (next) => next;
}

/** A call's signal, and how to release its timer once the call settles. */
export interface CallSignal {
  /** Aborts on the user's signal (with its reason) or after `timeoutMs` (with a `TimeoutError`). */
  readonly signal: AbortSignal | undefined;
  /** Stops the timer; call it in `finally`. */
  dispose(): void;
}

/**
 * Turns per-call options into one signal: the user's `signal` and, when
 * `timeoutMs` is set, a timer that aborts with a {@link TimeoutError}. The
 * timeout middleware rethrows a `SandgateError` reason as it is, so a
 * per-call timeout surfaces as `TimeoutError` and a user abort as the
 * user's reason.
 *
 * @example
 * ```ts
 * import { callSignal, systemClock } from "@sandgate/sdk";
 * const call = callSignal({ timeoutMs: 1000 }, systemClock, "exposePort");
 * try {
 *   console.log(call.signal?.aborted); // false
 * } finally {
 *   call.dispose();
 * }
 * ```
 */
export function callSignal(
  options: CallOptions | undefined,
  clock: Clock,
  operation?: string,
): CallSignal {
  const user = options?.signal;
  const timeoutMs = options?.timeoutMs;
  if (timeoutMs === undefined) return { signal: user, dispose() {} };
  const controller = new AbortController();
  const stop = new AbortController();
  const onUserAbort = () => controller.abort(user!.reason);
  if (user?.aborted) controller.abort(user.reason);
  else user?.addEventListener("abort", onUserAbort, { once: true });
  clock.sleep(timeoutMs, stop.signal).then(
    () => controller.abort(new TimeoutError(timeoutMs, operation)),
    () => {/* disposed */},
  );
  return {
    signal: controller.signal,
    dispose() {
      stop.abort();
      user?.removeEventListener("abort", onUserAbort);
    },
  };
}
