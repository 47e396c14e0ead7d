/**
 * A manual clock for the benchmarks: `now()` is whatever the simulation set;
 * `sleep` resolves at once for non-positive waits and otherwise only when
 * aborted (simulations never wait for real).
 *
 * @module
 */
import type { Clock } from "../../mod.ts";

/** A clock whose time the caller sets. */
export interface ManualClock extends Clock {
  /** Current simulated time in ms. */
  time: number;
}

/**
 * Creates a {@link ManualClock} starting at `start`.
 *
 * @example
 * ```ts
 * import { manualClock } from "./fake_clock.ts";
 * const clock = manualClock(0);
 * clock.time += 5;
 * console.log(clock.now()); // 5
 * ```
 */
export function manualClock(start = 0): ManualClock {
  const clock: ManualClock = {
    time: start,
    now: () => clock.time,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (ms <= 0) return Promise.resolve();
      return new Promise((_resolve, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    },
  };
  return clock;
}
