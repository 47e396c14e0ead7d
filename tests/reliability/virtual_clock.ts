/**
 * A self-advancing virtual clock for the soak and fuzz suites: `sleep(ms)`
 * registers a timer, and whenever the process is otherwise idle (one
 * macrotask turn passed with timers pending) virtual time jumps to the
 * earliest timer and fires every timer due then. Rate-limit waits, backoffs,
 * `Retry-After` pauses and slow faults therefore cost no real time, while
 * their order is kept exactly.
 *
 * Compatible with sandgate's `Clock` and the emulator's clock. Portable:
 * uses `setTimeout(0)` (or `MessageChannel`) turns only.
 *
 * @module
 */

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

type Tick = (run: () => void) => void;

function macrotask(fast: boolean): { tick: Tick; close: () => void } {
  const MC = (globalThis as { MessageChannel?: typeof MessageChannel }).MessageChannel;
  if (fast && MC) {
    const channel = new MC();
    const queue: (() => void)[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return {
      tick: (run) => {
        queue.push(run);
        channel.port2.postMessage(0);
      },
      close: () => {
        channel.port1.onmessage = null;
        channel.port1.close();
        channel.port2.close();
      },
    };
  }
  return { tick: (run) => setTimeout(run, 0), close: () => {} };
}

/** A virtual clock that advances itself when nothing else can run. */
export class VirtualClock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  #pumping = false;
  #ticker: { tick: Tick; close: () => void } | undefined;
  /** Timers fired so far. */
  fired = 0;
  /** Real macrotask turns spent waiting for idleness. */
  turns = 0;

  #activity = 0;
  #seenActivity = -1;
  #quiet = 0;
  readonly #quietTurns: number;
  readonly #fast: boolean;

  /**
   * Starts at `startMs` (default: a fixed date, so runs are reproducible).
   * Time jumps only after `quietTurns` turns of the event loop in a row in
   * which no timer was added or cancelled. A turn is a `setTimeout(0)` by
   * default, which leaves room for work the runtime does off the JavaScript
   * thread (body streams, crypto); `fast: true` uses `MessageChannel` turns,
   * which are quicker but can let time jump while such work is pending.
   */
  constructor(
    startMs = Date.UTC(2026, 0, 1),
    options: { quietTurns?: number; fast?: boolean } = {},
  ) {
    this.#now = startMs;
    this.#quietTurns = options.quietTurns ?? 2;
    this.#fast = options.fast ?? false;
  }

  /** Virtual milliseconds since the epoch. */
  now(): number {
    return this.#now;
  }

  /** Moves virtual time forward by hand (fires nothing by itself). */
  advance(ms: number): void {
    this.#now += Math.max(0, ms);
  }

  /** Resolves once virtual time reaches now + `ms`; rejects with `signal.reason` on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const delay = Number.isFinite(ms) ? Math.max(0, ms) : 0;
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + delay,
        seq: this.#seq++,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        done: false,
      };
      if (signal) {
        timer.onAbort = () => {
          if (timer.done) return;
          timer.done = true;
          this.#activity++;
          this.#remove(timer);
          reject(signal.reason);
        };
        signal.addEventListener("abort", timer.onAbort, { once: true });
      }
      this.#activity++;
      this.#insert(timer);
      this.#pump();
    });
  }

  /** Pending timers (for tests of the clock itself and for "never hangs" checks). */
  get pending(): number {
    return this.#timers.length;
  }

  /** Releases the macrotask channel (lets the process exit). */
  close(): void {
    this.#ticker?.close();
    this.#ticker = undefined;
  }

  #insert(timer: Timer): void {
    // Binary insertion keeps the list ordered by (at, seq).
    let lo = 0;
    let hi = this.#timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.#timers[mid]!;
      if (t.at < timer.at || (t.at === timer.at && t.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.#timers.splice(lo, 0, timer);
  }

  #remove(timer: Timer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#ticker ??= macrotask(this.#fast);
    const step = () => {
      this.turns++;
      const first = this.#timers[0];
      if (!first) {
        this.#pumping = false;
        this.close();
        return;
      }
      // Jump only once nothing has happened for a few turns, so that work
      // scheduled by the last batch (microtasks, stream reads) runs first.
      if (this.#activity !== this.#seenActivity) {
        this.#seenActivity = this.#activity;
        this.#quiet = 0;
      }
      if (this.#quiet++ < this.#quietTurns) {
        this.#ticker!.tick(step);
        return;
      }
      const at = first.at;
      if (at > this.#now) this.#now = at;
      while (this.#timers[0] && this.#timers[0].at <= this.#now) {
        const timer = this.#timers.shift()!;
        timer.done = true;
        if (timer.signal && timer.onAbort) timer.signal.removeEventListener("abort", timer.onAbort);
        this.fired++;
        timer.resolve();
      }
      this.#ticker!.tick(step);
    };
    this.#ticker.tick(step);
  }
}
