/**
 * A fake {@link Clock} for tests: time stands still until the test moves it.
 * `sleep(ms, signal)` resolves when the test advances the clock past its
 * deadline, and rejects with `signal.reason` as soon as the signal aborts.
 *
 * ```ts
 * const clock = new FakeClock();
 * const call = client.GET(...);      // may sleep on the clock
 * await clock.advance(60_500);       // fires due sleeps in time order
 * ```
 *
 * Between timers, `advance` lets the code under test run (a few macrotask
 * turns), so a sleep started by a woken task is seen in the same `advance`.
 *
 * @module
 */
import type { Clock } from "../../src/shared/clock.ts";

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
  detach(): void;
}

/** Lets pending promise chains (and fake I/O) run: a few macrotask turns. */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/** A manually driven clock. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  /** Every `sleep` duration requested, in call order (for assertions). */
  readonly sleeps: number[] = [];

  /** Starts at `start` milliseconds (default: 1 000 000, far from 0 on purpose). */
  constructor(start = 1_000_000) {
    this.#now = start;
  }

  /** Current fake time. */
  now(): number {
    return this.#now;
  }

  /** Sleeps waiting on the clock. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Resolves once the clock reaches now + `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#remove(timer);
        reject(signal!.reason);
      };
      const timer: Timer = {
        at: this.#now + ms,
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /**
   * Moves time forward by `ms`, firing due sleeps in time order (and letting
   * the woken code run before the next one), then settles.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flush();
    for (;;) {
      const next = this.#earliest();
      if (!next || next.at > target) break;
      this.#now = Math.max(this.#now, next.at);
      this.#remove(next);
      next.resolve();
      await flush();
    }
    this.#now = target;
    await flush();
  }

  /** Advances until no sleep is pending (at most `maxTimers` fired). */
  async runAll(maxTimers = 10_000): Promise<void> {
    await flush();
    for (let fired = 0; fired < maxTimers; fired++) {
      const next = this.#earliest();
      if (!next) return;
      this.#now = Math.max(this.#now, next.at);
      this.#remove(next);
      next.resolve();
      await flush();
    }
    throw new Error(`FakeClock.runAll: more than ${maxTimers} timers fired`);
  }

  /** Time of the earliest pending sleep, if any. */
  nextAt(): number | undefined {
    return this.#earliest()?.at;
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) {
        best = timer;
      }
    }
    return best;
  }

  #remove(timer: Timer): void {
    const index = this.#timers.indexOf(timer);
    if (index >= 0) this.#timers.splice(index, 1);
    timer.detach();
  }
}
