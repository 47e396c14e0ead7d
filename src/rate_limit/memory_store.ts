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

/**
 * One key's log. Slots `head … at.length − 1` are live, ascending by time:
 * send times in `at` (a plain number array, which V8 stores unboxed) and
 * reservation ids in `ids`, side by side. Expired slots are skipped by moving
 * `head` and compacted away in bulk, so a booking allocates no object and
 * 100 000 keys hold a few small arrays each rather than one object per slot.
 */
interface Entry {
  readonly key: string;
  at: number[];
  ids: string[];
  head: number;
  /**
   * The latest slot time booked (kept when that slot is given back: the key is
   * then forgotten a little later), so that the sweep reads this object only.
   */
  lastAt: number;
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
  // The same entries in a list, for the sweep: a cursor that survives between calls
  // moves two entries on per call, forgetting idle ones, and starts a new pass at the
  // end. A forgotten entry's place is taken by the list's last one, which the cursor
  // then examines: nothing is skipped, and no iterator is allocated.
  let list: Entry[] = [];
  let cursor = 0;
  // The list's length when it was last copied: once it shrinks to a quarter,
  // it is copied again, so that its storage follows the keys in use.
  let peak = 0;

  const idle = (entry: Entry, now: number): boolean =>
    entry.lastAt <= now - entry.windowMs && entry.pausedUntil <= now;

  const sweep = (now: number): void => {
    for (let i = 0; i < SWEEP_PER_CALL && list.length > 0; i++) {
      if (cursor >= list.length) cursor = 0;
      const entry = list[cursor]!;
      if (!idle(entry, now)) {
        cursor++;
        continue;
      }
      entries.delete(entry.key);
      const last = list.pop()!;
      if (last !== entry) list[cursor] = last;
      if (list.length * 4 < peak) {
        list = list.slice();
        peak = list.length;
      }
    }
  };

  const touch = (key: string, windowMs: number): Entry => {
    let entry = entries.get(key);
    if (!entry) {
      entry = {
        key,
        at: [],
        ids: [],
        head: 0,
        lastAt: -Infinity,
        pausedUntil: -Infinity,
        windowMs,
      };
      entries.set(key, entry);
      list.push(entry);
      peak = Math.max(peak, list.length);
    }
    return entry;
  };

  /** The key's entry with its expired slots dropped. */
  const prepare = (key: string, request: ReserveRequest, now: number): Entry => {
    const windowMs = Math.max(0, request.windowMs);
    const entry = touch(key, windowMs);
    entry.windowMs = windowMs;
    const { at, ids } = entry;
    let head = entry.head;
    // Expired ids stay referenced until the next compaction (fewer writes per call).
    while (head < at.length && at[head]! <= now - windowMs) head++;
    if (head === at.length) {
      at.length = ids.length = head = 0;
    } else if (head >= 8 && head * 2 >= at.length) {
      // Compacted once half the array has expired: amortized O(1) per slot.
      at.copyWithin(0, head);
      ids.copyWithin(0, head);
      at.length = ids.length = at.length - head;
      head = 0;
    }
    entry.head = head;
    return entry;
  };

  /** Adds slot `(t, id)` at `index` (usually the end). */
  const insert = (entry: Entry, index: number, t: number, id: string): void => {
    if (t > entry.lastAt) entry.lastAt = t;
    if (entry.at.length === 0) {
      // Sized to fit: a key used once holds one slot, not a grown array.
      entry.at = [t];
      entry.ids = [id];
    } else if (index === entry.at.length) {
      entry.at.push(t);
      entry.ids.push(id);
    } else {
      entry.at.splice(index, 0, t);
      entry.ids.splice(index, 0, id);
    }
  };

  /** Removes the live slot booked under `id`, if there is one and `test` allows. */
  const remove = (entry: Entry, id: string, test?: (t: number) => boolean): void => {
    const index = entry.ids.indexOf(id, entry.head);
    if (index < 0 || (test && !test(entry.at[index]!))) return;
    entry.at.splice(index, 1);
    entry.ids.splice(index, 1);
  };

  /**
   * Steps 2–4 of the booking rule (see `RateLimitStore`), counting the slots before `end`:
   * every live one for a reservation, those at or before now for a confirmation.
   */
  const book = (
    entry: Entry,
    request: ReserveRequest,
    now: number,
    end = entry.at.length,
  ): Reservation => {
    const { at, windowMs } = entry;
    const limit = Math.max(1, Math.floor(request.limit));
    let t = Math.max(now, entry.pausedUntil);
    if (end - entry.head >= limit) t = Math.max(t, at[end - limit]! + windowMs);
    const delayMs = t - now;
    if (request.maxWaitMs !== undefined && delayMs > request.maxWaitMs) {
      return { rejected: true, retryAfterMs: delayMs };
    }
    // Insert after every slot at or before `t` (slots are in time order; usually at the end).
    let index = at.length;
    while (index > entry.head && at[index - 1]! > t) index--;
    insert(entry, index, t, request.id);
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
      remove(entry, request.id);
      const { at } = entry;
      // Sends (and due bookings) in (now − window, now]: all slots left at or before now.
      // Not yet: the earliest time the window allows, keeping the caller's place in
      // the queue (no booking after it is moved). Every send is confirmed anyway.
      let due = entry.head;
      while (due < at.length && at[due]! <= now) due++;
      return book(entry, request, now, due);
    },

    release(key, id) {
      const entry = entries.get(key);
      if (!entry) return;
      const now = clock.now();
      remove(entry, id, (t) => t > now);
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
