/**
 * Virtual time for tests: {@link FakeClock} is a `Clock` (the `clock`
 * client option, and the emulator's `clock`) whose time moves only when the
 * test says so, or, in auto-advance mode, whenever everything else waits on
 * it. A minute of rate-limit waits, backoffs and `Retry-After` pauses then
 * costs no real time, and the SDK and the emulator see the same time.
 *
 * The idea is Deno std's `testing/time.ts` `FakeTime`, as an injectable
 * clock instead of a patch of the global timers: nothing global changes, so
 * other code (and the test runner) keeps real time.
 *
 * @example Drive time by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import { createEmulator, FakeClock } from "@sandgate/sdk/testing";
 *
 * const clock = new FakeClock();
 * const emulator = createEmulator({ clock });
 * const client = createPrimeIntellectClient({
 *   apiKey: "test-key",
 *   fetch: emulator.fetch,
 *   clock,
 *   rateLimit: { limit: 1, windowMs: 60_000 },
 * });
 * const list = () =>
 *   client.GET("/api/v1/sandbox/{sandbox_id}/expose", { params: { path: { sandbox_id: "sb-1" } } });
 * await list();
 * let done = false;
 * const second = list().then((result) => {
 *   done = true; // the limiter made it wait a window (60.5 s with its margin) on the clock
 *   return result;
 * });
 * await clock.tickAsync(59_000);
 * assert.equal(done, false);
 * await clock.tickAsync(2_000);
 * assert.equal((await second).response.status, 200);
 * ```
 *
 * @example Let time run itself (run until idle)
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "@sandgate/sdk/testing";
 *
 * using clock = new FakeClock(0, { autoAdvance: true });
 * const started = performance.now();
 * await clock.sleep(3_600_000); // an hour of virtual time
 * assert.equal(clock.now(), 3_600_000);
 * assert.ok(performance.now() - started < 1_000);
 * ```
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";

/** `Symbol.dispose`, or the registered symbol polyfills use where the runtime lacks it (Node 20). */
const dispose: typeof Symbol.dispose =
  (Symbol.dispose ?? Symbol.for("Symbol.dispose")) as typeof Symbol.dispose;

/** Options of {@link FakeClock}. */
export interface FakeClockOptions {
  /**
   * Advance by itself: whenever the event loop has been idle for
   * `quietTurns` macrotask turns in a row (no timer added or cancelled) while
   * sleeps are pending, jump to the earliest one and wake every sleep due
   * then. `true` for the defaults. Work the SDK awaits off the JavaScript
   * thread (Web Crypto, a first call's `import()`) is
   * {@link FakeClock.track}ed and holds time still;
   * real sockets are not: a timer racing a loopback server, such as a
   * client's `timeoutMs`, may fire first, so give such calls more
   * `quietTurns` or no budget.
   *
   * @default {false}
   */
  autoAdvance?: boolean | AutoAdvanceOptions;
}

/** How {@link FakeClock} decides that everything waits on it. */
export interface AutoAdvanceOptions {
  /**
   * Quiet macrotask turns before time jumps: enough for work scheduled by the
   * last wake-up (microtasks, stream reads, loopback I/O) to run first.
   *
   * @default {2}
   */
  quietTurns?: number;
  /**
   * Use `MessageChannel` turns, quicker than the default `setTimeout(0)`, but
   * they can let time jump while work off the JavaScript thread is pending.
   *
   * @default {false}
   */
  fast?: boolean;
}

interface Timer {
  at: number;
  seq: number;
  wake(): void;
}

type Ticker = { tick(run: () => void): void; close(): void };

/** Lets pending promise chains and I/O run: a few macrotask turns. */
function turns(count: number): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < count; i++) {
    chain = chain.then(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  }
  return chain;
}

/**
 * A `Clock` whose time stands still until the test moves it with
 * {@link FakeClock.tick}, {@link FakeClock.tickAsync} or
 * {@link FakeClock.runAllAsync}, or, with `autoAdvance`, until everything else
 * waits on it. Sleeps wake in time order (ties in the order they began) and
 * reject with `signal.reason` as soon as their signal aborts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "@sandgate/sdk/testing";
 * const clock = new FakeClock(1_000);
 * let woke = false;
 * clock.sleep(500).then(() => (woke = true));
 * clock.tick(499);
 * await Promise.resolve();
 * assert.equal(woke, false);
 * await clock.tickAsync(1);
 * assert.equal(woke, true);
 * assert.equal(clock.now(), 1_500);
 * ```
 */
export class FakeClock implements Clock, Disposable {
  #now: number;
  #seq = 0;
  /** Ordered by (at, seq). */
  #timers: Timer[] = [];
  readonly #auto: Required<AutoAdvanceOptions> | undefined;
  #ticker: Ticker | undefined;
  #pumping = false;
  #activity = 0;
  readonly #held = new Set<Promise<unknown>>();

  /**
   * Starts at `start` (epoch milliseconds or a `Date`).
   *
   * @param start When time starts. @default {Date.UTC(2026, 0, 1)}
   */
  constructor(start: number | Date = Date.UTC(2026, 0, 1), options: FakeClockOptions = {}) {
    this.#now = typeof start === "number" ? start : start.getTime();
    const auto = options.autoAdvance;
    this.#auto = auto ? { quietTurns: 2, fast: false, ...(auto === true ? {} : auto) } : undefined;
  }

  /** The current virtual time, in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Sleeps waiting on the clock. */
  get pending(): number {
    return this.#timers.length;
  }

  /** When the earliest pending sleep is due, if any. */
  nextAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /**
   * Resolves once the clock reaches `now() + ms`; rejects with
   * `signal.reason` as soon as `signal` aborts. A wait of 0 or less resolves
   * at once (in auto-advance mode: the next time everything is idle); a
   * non-finite one only ends by its signal.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const delay = ms > 0 ? ms : 0;
    if (delay === 0 && !this.#auto) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#remove(timer);
        reject(signal!.reason);
      };
      const timer: Timer = {
        at: this.#now + delay,
        seq: this.#seq++,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#insert(timer);
      this.#pump();
    });
  }

  /**
   * Holds time still until `work` settles: auto-advance does not jump, and
   * {@link FakeClock.tickAsync} / {@link FakeClock.runAllAsync} wait for it
   * before waking sleeps. The SDK passes the work it awaits off the
   * JavaScript thread, which no macrotask count can see: hashing a new API
   * key with Web Crypto, and loading the code a client's first call needs
   * (`import()`, file or network I/O). Returns `work`.
   */
  track<T>(work: Promise<T>): Promise<T> {
    const held = work.then(() => {}, () => {});
    this.#held.add(held);
    this.#activity++;
    held.then(() => {
      this.#held.delete(held);
      this.#activity++;
    });
    return work;
  }

  /**
   * Moves time forward by `ms` without waking any sleep: an event-loop stall.
   * Sleeps that fell due wake late, at the next {@link FakeClock.tick},
   * {@link FakeClock.tickAsync} or auto-advance, and see the later time.
   *
   * @example A stall: the sleep is due after 10 ms but wakes at 50 ms
   * ```ts
   * import assert from "node:assert/strict";
   * import { FakeClock } from "@sandgate/sdk/testing";
   *
   * const clock = new FakeClock(0);
   * const woke = clock.sleep(10).then(() => clock.now());
   * clock.advance(50);
   * assert.equal(clock.pending, 1); // due, not woken
   * await clock.tickAsync(0);
   * assert.equal(await woke, 50);
   * ```
   */
  advance(ms: number): void {
    this.#now += Math.max(0, ms);
  }

  /**
   * Moves time forward by `ms` at once, waking every sleep due by then in
   * time order. The woken code runs after this returns (their promises
   * resolve, continuations are queued); use {@link FakeClock.tickAsync} to
   * let it run between wake-ups.
   */
  tick(ms = 0): void {
    const target = this.#now + Math.max(0, ms);
    for (let next = this.#timers[0]; next && next.at <= target; next = this.#timers[0]) {
      this.#now = Math.max(this.#now, next.at);
      this.#fire(next);
    }
    this.#now = target;
  }

  /**
   * Moves time forward by `ms`, waking due sleeps one at a time and letting
   * the woken code run (a few macrotask turns) before the next, so a sleep
   * that a woken task starts is seen in the same call.
   */
  async tickAsync(ms = 0): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await this.#settle();
    for (let next = this.#timers[0]; next && next.at <= target; next = this.#timers[0]) {
      this.#now = Math.max(this.#now, next.at);
      this.#fire(next);
      await this.#settle();
    }
    // Woken code may have moved time on itself (`advance`): time never goes back.
    this.#now = Math.max(this.#now, target);
    await this.#settle();
  }

  /**
   * Wakes sleeps in time order, letting woken code run between them, until
   * none is pending; throws after `maxTimers` wake-ups (a loop that keeps
   * sleeping).
   */
  async runAllAsync(maxTimers = 10_000): Promise<void> {
    await this.#settle();
    for (let fired = 0; fired < maxTimers; fired++) {
      const next = this.#timers[0];
      if (!next || !Number.isFinite(next.at)) return;
      this.#now = Math.max(this.#now, next.at);
      this.#fire(next);
      await this.#settle();
    }
    throw new Error(`FakeClock.runAllAsync: more than ${maxTimers} timers fired`);
  }

  /**
   * Stops auto-advancing (and releases its `MessageChannel`, so the process
   * may exit); a later sleep starts it again. Also `[Symbol.dispose]`.
   */
  close(): void {
    this.#ticker?.close();
    this.#ticker = undefined;
  }

  /** {@link FakeClock.close}, for `using`. */
  [dispose](): void {
    this.close();
  }

  /** A few macrotask turns, then until no tracked work is pending (each settles by itself). */
  async #settle(): Promise<void> {
    await turns(3);
    while (this.#held.size > 0) {
      await Promise.all(this.#held);
      await turns(3);
    }
  }

  #fire(timer: Timer): void {
    this.#timers.splice(this.#timers.indexOf(timer), 1);
    timer.wake();
  }

  #insert(timer: Timer): void {
    this.#activity++;
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
    this.#activity++;
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Auto-advance: jump to the earliest sleep once the loop has been quiet long enough. */
  #pump(): void {
    const auto = this.#auto;
    if (!auto || this.#pumping) return;
    this.#pumping = true;
    this.#ticker ??= ticker(auto.fast);
    let seen = -1;
    let quiet = 0;
    const step = () => {
      const first = this.#timers[0];
      if (!first || !Number.isFinite(first.at) || !this.#ticker) {
        this.#pumping = false;
        this.close();
        return;
      }
      if (this.#activity !== seen || this.#held.size > 0) {
        seen = this.#activity;
        quiet = 0;
      }
      if (quiet++ >= auto.quietTurns) {
        this.#now = Math.max(this.#now, first.at);
        while (this.#timers[0] && this.#timers[0].at <= this.#now) this.#fire(this.#timers[0]);
      }
      this.#ticker.tick(step);
    };
    this.#ticker.tick(step);
  }
}

function ticker(fast: boolean): Ticker {
  const Channel = (globalThis as { MessageChannel?: typeof MessageChannel }).MessageChannel;
  if (fast && Channel) {
    const channel = new Channel();
    const queue: (() => void)[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return {
      tick(run) {
        queue.push(run);
        channel.port2.postMessage(0);
      },
      close() {
        channel.port1.onmessage = null;
        channel.port1.close();
        channel.port2.close();
      },
    };
  }
  return { tick: (run) => setTimeout(run, 0), close() {} };
}
