/**
 * A virtual clock that runs itself: whenever every task is waiting on it, it
 * jumps to the earliest pending `sleep` deadline and wakes exactly that
 * sleeper. A minute of rate-limit waits takes milliseconds of real time, and
 * the SDK and the emulator see the same time.
 *
 * @module
 */
import type { Clock } from "../../src/shared/clock.ts";

interface Sleeper {
  at: number;
  seq: number;
  resolve(): void;
}

/** Self-advancing virtual clock shared by a client and an emulator. */
export class AutoClock implements Clock {
  #now: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];
  #pumping = false;

  /** Starts at `start` milliseconds since the epoch. */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  /** Current virtual time. */
  now(): number {
    return this.#now;
  }

  /** Resolves when virtual time reaches `now() + ms`; rejects on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#sleepers.length > 0) {
        // Let every runnable task reach its next sleep (or finish) first.
        for (let i = 0; i < 10; i++) await new Promise<void>((r) => setTimeout(r, 0));
        if (this.#sleepers.length === 0) break;
        this.#sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = this.#sleepers.shift()!;
        this.#now = Math.max(this.#now, next.at);
        next.resolve();
      }
    } finally {
      this.#pumping = false;
    }
  }
}
