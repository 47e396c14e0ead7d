/**
 * Where the rate limiter books its slots. The default store keeps them in
 * memory ({@link createMemoryRateLimitStore}); a shared store (e.g.
 * `sandgate/redis`) lets many processes share one budget.
 *
 * ## Semantics every store implements
 *
 * A store keeps, per key, a log of booked send times ("slots", each with the
 * reservation `id`) and a pause deadline. `reserve(key, { limit, windowMs,
 * maxWaitMs, id })` at time `now`:
 *
 * 1. drops slots at or before `now − windowMs` (they can no longer share a
 *    window with a new slot);
 * 2. books the earliest time `t ≥ max(now, pausedUntil)` at which fewer than
 *    `limit` slots lie in `(t − windowMs, ∞)`. With the remaining slots
 *    sorted ascending as `s[0] ≤ … ≤ s[n−1]`, that is
 *    `t = max(now, pausedUntil, s[n−limit] + windowMs)` (the last term only
 *    when `n ≥ limit`). Counting the slots after `t` too keeps every window,
 *    including the ones ending after `t`, at `limit` slots or fewer, and makes
 *    waits first-come, first-served: a later call never takes a slot that
 *    delays an earlier one (it may take a slot given back by `release`);
 * 3. if `maxWaitMs` is set and `t − now > maxWaitMs`, books nothing and
 *    answers `{ rejected: true, retryAfterMs: t − now }`;
 * 4. otherwise adds `(t, id)` to the log and answers
 *    `{ rejected: false, delayMs: t − now }`.
 *
 * `windowMs` already includes the limiter's safety margin. Steps 1–4 are one
 * atomic operation (the Redis store runs them in one Lua script, with the
 * server's clock as `now`).
 *
 * `confirm(key, { limit, windowMs, maxWaitMs, id })`, called when a wait is
 * over and just before sending, times the slot from the actual send rather
 * than from the booking (a busy event loop or a long queue wakes callers
 * late): it removes the slot booked under `id`, and if fewer than `limit`
 * slots lie in `(now − windowMs, now]` and no pause holds, books `(now, id)`
 * and answers `{ rejected: false, delayMs: 0 }` (send now); otherwise it books
 * `(t, id)` at the earliest `t` those slots and the pause allow, and answers
 * `{ rejected: false, delayMs: t − now }` (or rejects past `maxWaitMs`), so a
 * server 429 pause that began during the wait applies here. Each send's slot
 * is then its send time, and the window that ends at it held fewer than
 * `limit` others.
 *
 * `release(key, id)` removes the slot booked under `id` if that slot is still
 * in the future (a call aborted while waiting gives its slot back; a slot
 * whose time has come may have been used); unknown ids are ignored. `pause(key, forMs)`
 * sets `pausedUntil = max(pausedUntil, now + forMs)` (after a server 429).
 * A key whose slots are all at or before `now − windowMs` and whose pause has
 * ended holds no information and may be forgotten at any time.
 *
 * @module
 */

/** What the limiter asks a store for. */
export interface ReserveRequest {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds, margin included. */
  windowMs: number;
  /** Longest acceptable wait; longer ones are rejected without booking. */
  maxWaitMs?: number;
  /** Unique id of this reservation, so that it can be released. */
  id: string;
}

/** A store's answer: wait `delayMs`, then send; or do not send at all. */
export type Reservation =
  | { readonly rejected: false; readonly delayMs: number }
  | { readonly rejected: true; readonly retryAfterMs: number };

/**
 * Books send slots: at most `limit` in any window of `windowMs`, first come,
 * first served (see the module documentation for the exact rule). Keys carry
 * a token hash, never a token.
 *
 * Whatever a store answers, the limiter also keeps this process's own sends
 * within the limit, each counted from its dispatch until its answer (see
 * `send_ledger.ts`); `rateLimit: false` turns limiting off.
 *
 * @example A store that never makes a call wait (this process's own sends still count)
 * ```ts
 * import type { RateLimitStore } from "@sandgate/sdk";
 * const unlimited: RateLimitStore = {
 *   reserve: () => ({ rejected: false, delayMs: 0 }),
 * };
 * console.log(await unlimited.reserve("k", { limit: 1, windowMs: 1000, id: "a" }));
 * ```
 */
export interface RateLimitStore {
  /** Atomically books the earliest slot at or after now with room in its window. */
  reserve(key: string, request: ReserveRequest): Promise<Reservation> | Reservation;
  /**
   * Re-checks the slot booked under `request.id` when its wait is over (see
   * the module documentation); stores without it are trusted to their
   * bookings.
   */
  confirm?(key: string, request: ReserveRequest): Promise<Reservation> | Reservation;
  /** Gives back a slot whose call was aborted before it was sent. */
  release?(key: string, id: string): Promise<void> | void;
  /** Books no slot of `key` earlier than `forMs` from now (after a server 429). */
  pause?(key: string, forMs: number): Promise<void> | void;
}
