/**
 * Where the rate limiter books its slots. The default store keeps them in
 * memory; a shared store (e.g. `sandgate/redis`) lets many processes share
 * one budget.
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
 * first served. Keys carry a token hash, never a token.
 */
export interface RateLimitStore {
  /** Atomically books the earliest slot at or after now with room in its window. */
  reserve(key: string, request: ReserveRequest): Promise<Reservation> | Reservation;
  /** Gives back a slot whose call was aborted before it was sent. */
  release?(key: string, id: string): Promise<void> | void;
  /** Blocks every slot of `key` until `untilMs` from now (after a server 429). */
  pause?(key: string, forMs: number): Promise<void> | void;
}
