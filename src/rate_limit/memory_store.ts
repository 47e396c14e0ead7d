/**
 * The default {@link RateLimitStore}: a sliding-window log with reservations,
 * in this process's memory. Exact (no approximation), first-come
 * first-served, and bounded: idle keys are forgotten lazily while other keys
 * are used, with no timers.
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";
import type { RateLimitStore, Reservation, ReserveRequest } from "./store.ts";

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Time source. Default: {@link systemClock}. */
  clock?: Clock;
}

/** The in-memory store; `size` tells how many keys it currently remembers. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Number of keys held (idle ones included until they are swept). */
  readonly size: number;
  /** Books a slot; see {@link RateLimitStore.reserve}. */
  reserve(key: string, request: ReserveRequest): Reservation;
  /** Re-checks a slot when its wait is over; see {@link RateLimitStore.confirm}. */
  confirm(key: string, request: ReserveRequest): Reservation;
  /** Gives back a future slot; see {@link RateLimitStore.release}. */
  release(key: string, id: string): void;
  /** Books nothing for `forMs`; see {@link RateLimitStore.pause}. */
  pause(key: string, forMs: number): void;
}

interface Slot {
  readonly at: number;
  readonly id: string;
}

interface Entry {
  /** Booked send times, ascending. */
  slots: Slot[];
  pausedUntil: number;
  /** The window of the latest reservation: how long the last slot matters. */
  windowMs: number;
}

/** Entries examined per call for eviction: any constant ≥ 2 keeps the map bounded. */
const SWEEP_PER_CALL = 2;

/**
 * Creates an in-memory rate-limit store (see `RateLimitStore` for the exact
 * booking rule). Every operation is amortized O(1) in the number of keys: each
 * call examines the next two keys of a round-robin sweep and forgets them if
 * they are idle, so memory follows the keys in use, even after 100 000
 * sandboxes were touched once.
 *
 * Pass one store to several clients to make them share budgets.
 *
 * @example Share one budget between two clients
 * ```ts
 * import { createMemoryRateLimitStore, createPrimeIntellectClient } from "@sandgate/sdk";
 * const store = createMemoryRateLimitStore();
 * const a = createPrimeIntellectClient({ apiKey: "k", rateLimit: { store } });
 * const b = createPrimeIntellectClient({ apiKey: "k", rateLimit: { store } });
 * console.log(typeof a.GET, typeof b.GET, store.size); // function function 0
 * ```
 */
export function createMemoryRateLimitStore(
  options: MemoryRateLimitStoreOptions = {},
): MemoryRateLimitStore {
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  // A sweep cursor that survives between calls: each call moves it two entries on,
  // forgetting idle ones, and starts a new pass at the end. Live entries are never
  // moved, so the map never fills with holes.
  let cursor: Iterator<[string, Entry]> | undefined;

  const idle = (entry: Entry, now: number): boolean => {
    const last = entry.slots[entry.slots.length - 1];
    return (last === undefined || last.at <= now - entry.windowMs) && entry.pausedUntil <= now;
  };

  const sweep = (now: number): void => {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      cursor ??= entries.entries();
      const step = cursor.next();
      if (step.done) {
        cursor = undefined;
        if (i > 0 || entries.size === 0) return;
        continue;
      }
      const [key, entry] = step.value;
      if (idle(entry, now)) entries.delete(key);
    }
  };

  const touch = (key: string, windowMs: number): Entry => {
    let entry = entries.get(key);
    if (!entry) {
      entry = { slots: [], pausedUntil: -Infinity, windowMs };
      entries.set(key, entry);
    }
    return entry;
  };

  /** The key's entry with its expired slots dropped. */
  const prepare = (key: string, request: ReserveRequest, now: number): Entry => {
    const windowMs = Math.max(0, request.windowMs);
    const entry = touch(key, windowMs);
    entry.windowMs = windowMs;
    const { slots } = entry;
    let expired = 0;
    while (expired < slots.length && slots[expired]!.at <= now - windowMs) expired++;
    if (expired > 0) slots.splice(0, expired);
    return entry;
  };

  /** Steps 2–4 of the booking rule (see `RateLimitStore`). */
  const book = (entry: Entry, request: ReserveRequest, now: number): Reservation => {
    const { slots, windowMs } = entry;
    const limit = Math.max(1, Math.floor(request.limit));
    const n = slots.length;
    let at = Math.max(now, entry.pausedUntil);
    if (n >= limit) at = Math.max(at, slots[n - limit]!.at + windowMs);
    const delayMs = at - now;
    if (request.maxWaitMs !== undefined && delayMs > request.maxWaitMs) {
      return { rejected: true, retryAfterMs: delayMs };
    }
    // Insert after every slot at or before `at` (usually at the end).
    let index = slots.length;
    while (index > 0 && slots[index - 1]!.at > at) index--;
    slots.splice(index, 0, { at, id: request.id });
    return { rejected: false, delayMs };
  };

  return {
    get size() {
      return entries.size;
    },

    reserve(key, request) {
      const now = clock.now();
      sweep(now);
      return book(prepare(key, request, now), request, now);
    },

    confirm(key, request) {
      const now = clock.now();
      const entry = prepare(key, request, now);
      const { slots } = entry;
      const own = slots.findIndex((slot) => slot.id === request.id);
      if (own >= 0) slots.splice(own, 1);
      // Sends (and due bookings) in (now − window, now]: all slots left at or before now.
      let due = 0;
      while (due < slots.length && slots[due]!.at <= now) due++;
      const limit = Math.max(1, Math.floor(request.limit));
      // Not yet: the earliest time the window allows, keeping the caller's place in
      // the queue (no booking after it is moved). Every send is confirmed anyway.
      let at = Math.max(now, entry.pausedUntil);
      if (due >= limit) at = Math.max(at, slots[due - limit]!.at + entry.windowMs);
      const delayMs = at - now;
      if (request.maxWaitMs !== undefined && delayMs > request.maxWaitMs) {
        return { rejected: true, retryAfterMs: delayMs };
      }
      let index = due;
      while (index < slots.length && slots[index]!.at <= at) index++;
      slots.splice(index, 0, { at, id: request.id });
      return { rejected: false, delayMs };
    },

    release(key, id) {
      const entry = entries.get(key);
      if (!entry) return;
      const now = clock.now();
      const index = entry.slots.findIndex((slot) => slot.id === id);
      if (index >= 0 && entry.slots[index]!.at > now) entry.slots.splice(index, 1);
    },

    pause(key, forMs) {
      if (!(forMs > 0)) return;
      const now = clock.now();
      sweep(now);
      const existing = entries.get(key);
      const entry = touch(key, existing?.windowMs ?? 0);
      entry.pausedUntil = Math.max(entry.pausedUntil, now + forMs);
    },
  };
}

const defaults = new WeakMap<Clock, MemoryRateLimitStore>();

/**
 * The store clients use when none is configured: one per clock, shared by
 * every client in the process, so that budgets follow the server's (per
 * token and sandbox) even when clients are created per call.
 */
export function defaultRateLimitStore(clock: Clock): MemoryRateLimitStore {
  let store = defaults.get(clock);
  if (!store) {
    store = createMemoryRateLimitStore({ clock });
    defaults.set(clock, store);
  }
  return store;
}
