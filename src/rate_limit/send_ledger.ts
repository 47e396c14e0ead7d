/**
 * This process's own sends, per limiter key: the floor under every store.
 *
 * A store books slots at dispatch time, but a request reaches the server
 * somewhere between its dispatch and its answer: later than booked when the
 * process is busy, the queue to the socket long or the network slow. So each
 * of this process's sends counts here from its dispatch until its answer
 * (while it is in flight its end is unknown, and it counts as open), and a
 * send is let through only when fewer than `limit` of them lie in the window
 * before it. Whatever the local delay, the server then never sees more than
 * `limit` of this process's requests in any window; and whatever a shared
 * store says (a Redis `FLUSHALL`, a store that lost its data), a process
 * never goes beyond what it alone has sent.
 *
 * Synchronous and timer-free: waiters are woken by the answers they wait for,
 * or sleep on the caller's clock until a known end leaves the window.
 *
 * @module
 */

/** A send admitted by {@link SendLedger.enter}; give it to `leave` once answered. */
export interface SendTicket {
  /** The limiter key. */
  readonly key: string;
}

/** What {@link SendLedger.enter} answers. */
export type LedgerEntry =
  | { readonly admitted: true; readonly ticket: SendTicket }
  | {
    readonly admitted: false;
    /**
     * How long until a slot frees: exact when `known`, else a lower bound
     * (an answer still in flight decides; it wakes {@link SendLedger.changed}).
     */
    readonly waitMs: number;
    readonly known: boolean;
  };

interface Sends {
  /** Answer times of sends still in some window, ascending. */
  ends: number[];
  /** Sends dispatched and not yet answered. */
  inFlight: number;
  /** The window they were counted in (margin included). */
  windowMs: number;
  /** Called once at the next answer of this key. */
  waiters: Set<() => void>;
}

/** Per-key record of this process's sends, from dispatch to answer. */
export interface SendLedger {
  /** Admits a send at `now` if fewer than `limit` of this key's sends lie in `(now − windowMs, now]`. */
  enter(key: string, limit: number, windowMs: number, now: number): LedgerEntry;
  /** Records the answer (or failure) of an admitted send at `now`. */
  leave(ticket: SendTicket, now: number): void;
  /** Resolves at the next answer of `key`, or rejects when `signal` aborts. */
  changed(key: string, signal?: AbortSignal): Promise<void>;
  /** Number of keys held (for tests: idle keys are forgotten). */
  readonly size: number;
}

/**
 * Creates an empty ledger.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSendLedger } from "./send_ledger.ts";
 * const ledger = createSendLedger();
 * const first = ledger.enter("k", 1, 1000, 0);
 * assert.ok(first.admitted);
 * // In flight: the next one waits for its answer, then a window.
 * assert.deepEqual(ledger.enter("k", 1, 1000, 10), { admitted: false, waitMs: 1000, known: false });
 * ledger.leave(first.ticket, 200);
 * assert.deepEqual(ledger.enter("k", 1, 1000, 300), { admitted: false, waitMs: 900, known: true });
 * assert.ok(ledger.enter("k", 1, 1000, 1200).admitted);
 * ```
 */
export function createSendLedger(): SendLedger {
  const keys = new Map<string, Sends>();
  // Idle keys are swept in bulk once the map doubles: amortized O(1) per call.
  let sweepAt = 64;

  const prune = (sends: Sends, now: number) => {
    let drop = 0;
    while (drop < sends.ends.length && sends.ends[drop]! <= now - sends.windowMs) drop++;
    if (drop > 0) sends.ends.splice(0, drop);
  };
  const sweep = (now: number) => {
    if (keys.size < sweepAt) return;
    for (const [key, sends] of keys) {
      prune(sends, now);
      if (sends.inFlight === 0 && sends.ends.length === 0 && sends.waiters.size === 0) {
        keys.delete(key);
      }
    }
    sweepAt = Math.max(64, keys.size * 2);
  };

  return {
    get size() {
      return keys.size;
    },

    enter(key, limit, windowMs, now) {
      sweep(now);
      let sends = keys.get(key);
      if (!sends) {
        sends = { ends: [], inFlight: 0, windowMs, waiters: new Set() };
        keys.set(key, sends);
      }
      sends.windowMs = Math.max(sends.windowMs, windowMs);
      prune(sends, now);
      const max = Math.max(1, Math.floor(limit));
      const count = sends.ends.length + sends.inFlight;
      if (count < max) {
        sends.inFlight++;
        return { admitted: true, ticket: { key } };
      }
      // Sorted ends with the sends in flight last (their end is unknown, ≥ now):
      // the one at `count − max` must leave the window first.
      const index = count - max;
      if (index < sends.ends.length) {
        return { admitted: false, waitMs: sends.ends[index]! + sends.windowMs - now, known: true };
      }
      return { admitted: false, waitMs: sends.windowMs, known: false };
    },

    leave(ticket, now) {
      const sends = keys.get(ticket.key);
      if (!sends || sends.inFlight === 0) return;
      sends.inFlight--;
      // Answers come in clock order, so the list stays sorted (a clock that went back is clamped).
      const last = sends.ends[sends.ends.length - 1];
      sends.ends.push(last !== undefined && last > now ? last : now);
      const waiters = [...sends.waiters];
      sends.waiters.clear();
      for (const wake of waiters) wake();
    },

    changed(key, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const sends = keys.get(key);
      if (!sends) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          sends.waiters.delete(wake);
          reject(signal!.reason);
        };
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        sends.waiters.add(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}

const ledgers = new WeakMap<object, SendLedger>();

/**
 * The ledger of a store: every client of the process that books in the same
 * store (the default one is shared per clock) counts its sends in one ledger.
 */
export function ledgerOf(store: object): SendLedger {
  let ledger = ledgers.get(store);
  if (!ledger) {
    ledger = createSendLedger();
    ledgers.set(store, ledger);
  }
  return ledger;
}
