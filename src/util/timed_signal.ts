/**
 * A caller's signal combined with a timer: the one place sandgate builds
 * "abort when the user aborts, or when the time is up" (the timeout
 * middleware, with one timer per call for the client's and the call's
 * budget, and the WebSocket connect deadline use it).
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import { type Clock, systemClock } from "./clock.ts";

/** A signal that aborts on the user's signal or on a timer; see {@link timedSignal}. */
export interface TimedSignal {
  /**
   * Aborts with the user's reason when the user's signal aborts, or with a
   * {@link TimeoutError} when the time is up.
   */
  readonly signal: AbortSignal;
  /** Stops the timer; the signal still follows the user's signal. */
  stopTimer(): void;
  /** Stops the timer and detaches from the user's signal: call it in `finally`. */
  dispose(): void;
}

/**
 * Builds one controller, one timer on `clock` and one listener on `user`.
 * The system clock gets a bare `setTimeout` (no promise, no extra controller).
 * `onAbort`, if given, is called with the reason right after the signal
 * aborted (by the user or the timer).
 *
 * @example
 * ```ts
 * import { timedSignal } from "./timed_signal.ts";
 * import { systemClock } from "./clock.ts";
 * const timed = timedSignal(undefined, 1000, systemClock, "exposePort");
 * try {
 *   console.log(timed.signal.aborted); // false
 * } finally {
 *   timed.dispose();
 * }
 * ```
 */
export function timedSignal(
  user: AbortSignal | undefined,
  timeoutMs: number,
  clock: Clock,
  operation?: string,
  onAbort?: (reason: unknown) => void,
): TimedSignal {
  const controller = new AbortController();
  if (user?.aborted) {
    controller.abort(user.reason);
    return { signal: controller.signal, stopTimer() {}, dispose() {} };
  }
  // `onAbort` is told after the signal aborted: one listener fewer for a caller that
  // would otherwise listen to the signal it is handed.
  const abort = (reason: unknown) => {
    controller.abort(reason);
    onAbort?.(reason);
  };
  const onUserAbort = () => abort(user!.reason);
  user?.addEventListener("abort", onUserAbort, { once: true });
  const stopTimer = startTimer(
    clock,
    timeoutMs,
    () => abort(new TimeoutError(timeoutMs, operation)),
  );
  return {
    signal: controller.signal,
    stopTimer,
    dispose() {
      stopTimer();
      user?.removeEventListener("abort", onUserAbort);
    },
  };
}

/** Calls `fire` after `ms` on `clock`; returns how to cancel it. */
function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (clock === systemClock && ms <= 0x7fff_ffff) {
    const id = setTimeout(fire, ms);
    return () => clearTimeout(id);
  }
  const stop = new AbortController();
  clock.sleep(ms, stop.signal).then(fire, () => {/* stopped */});
  return () => stop.abort();
}
