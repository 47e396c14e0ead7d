/**
 * An in-process store with exactly the booking rule of the Redis script: the
 * fallback of the `"local"` failure policy, and the model the fleet
 * simulation runs on.
 *
 * @module
 */
import type { Clock } from "../middleware/clock.ts";
import type {
  RateLimitStore,
  Reservation,
  ReserveRequest,
} from "../middleware/rate_limit_store.ts";

interface Booking {
  id: string;
  slot: number;
}

interface Log {
  /** Bookings sorted by slot (ties keep arrival order). */
  bookings: Booking[];
  pausedUntil: number;
}

/**
 * A synchronous {@link RateLimitStore}.
 *
 * @example
 * ```ts
 * import { systemClock } from "@sandgate/sdk";
 * import { createLocalStore, type LocalStore } from "./local_store.ts";
 * const store: LocalStore = createLocalStore(systemClock);
 * store.pause("k", 1000);
 * ```
 */
export interface LocalStore extends RateLimitStore {
  /** Books a slot (see `RateLimitStore`). */
  reserve(key: string, request: ReserveRequest): Reservation;
  /** Gives back a future slot. */
  release(key: string, id: string): void;
  /** No slot before `forMs` from now. */
  pause(key: string, forMs: number): void;
}

/**
 * Creates an in-memory sliding-window-log store with reservations, timed by
 * `clock`. Each call to `limitOf` maps the requested limit to the one
 * enforced here (the `"local"` policy divides it by the fleet size).
 *
 * @example
 * ```ts
 * import { systemClock } from "@sandgate/sdk";
 * import { createLocalStore } from "./local_store.ts";
 * const store = createLocalStore(systemClock);
 * console.log(store.reserve("k", { limit: 1, windowMs: 1000, id: "a" }));
 * ```
 */
export function createLocalStore(
  clock: Pick<Clock, "now">,
  limitOf: (limit: number) => number = (limit) => limit,
): LocalStore {
  const logs = new Map<string, Log>();
  const logOf = (key: string): Log => {
    let log = logs.get(key);
    if (!log) {
      log = { bookings: [], pausedUntil: 0 };
      logs.set(key, log);
    }
    return log;
  };
  return {
    reserve(key, request) {
      const now = clock.now();
      const limit = Math.max(1, limitOf(request.limit));
      const log = logOf(key);
      const bookings = log.bookings;
      let expired = 0;
      while (expired < bookings.length && bookings[expired]!.slot <= now - request.windowMs) {
        expired++;
      }
      if (expired > 0) bookings.splice(0, expired);
      const n = bookings.length;
      let slot = n >= limit ? Math.max(now, bookings[n - limit]!.slot + request.windowMs) : now;
      if (log.pausedUntil > slot) slot = log.pausedUntil;
      const delayMs = slot - now;
      if (request.maxWaitMs !== undefined && delayMs > request.maxWaitMs) {
        return { rejected: true, retryAfterMs: delayMs };
      }
      let at = bookings.length;
      while (at > 0 && bookings[at - 1]!.slot > slot) at--;
      bookings.splice(at, 0, { id: request.id, slot });
      return { rejected: false, delayMs };
    },
    release(key, id) {
      const bookings = logs.get(key)?.bookings;
      if (!bookings) return;
      const at = bookings.findIndex((b) => b.id === id);
      if (at >= 0 && bookings[at]!.slot > clock.now()) bookings.splice(at, 1);
    },
    pause(key, forMs) {
      const until = clock.now() + Math.max(0, forMs);
      const log = logOf(key);
      if (until > log.pausedUntil) log.pausedUntil = until;
    },
  };
}
