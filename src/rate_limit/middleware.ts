/**
 * Client-side rate limiting: before each attempt, books a send slot in a
 * sliding window per (origin, token hash, sandbox id) and waits for it, first
 * come, first served. A server 429 pauses the key until its `Retry-After` /
 * `RateLimit-Reset`. Under every store, this process's own sends are counted
 * from dispatch until answer and kept within the limit (`send_ledger.ts`), so
 * the server never sees more than `limit` of them in a window, whatever the
 * store says or however late the process hands a request to the socket.
 *
 * @module
 */
import { RateLimitedError, RateLimitStoreError, SandgateError } from "../errors.ts";
import { sleepWithProgress } from "../events.ts";
import type { RateLimitInfo } from "../events.ts";
import { callUser } from "../util/callback.ts";
import type { Clock } from "../util/clock.ts";
import { defaultRateLimitStore } from "./memory_store.ts";
import type { RateLimitStore, Reservation } from "./store.ts";
import { type LedgerEntry, ledgerOf, type SendTicket } from "./send_ledger.ts";
import { parseRetryAfter } from "../http/retry_after.ts";
import type { CallContext, Middleware } from "../middleware/context.ts";

/** Options of {@link rateLimitMiddleware}. */
export interface RateLimitMiddlewareOptions {
  /** Requests per window. */
  limit: number;
  /** Window in milliseconds. */
  windowMs: number;
  /** Safety margin added to the window. */
  marginMs: number;
  /** Longest acceptable wait. */
  maxWaitMs?: number | undefined;
  /** Where slots are booked. Default: an in-memory store shared per clock. */
  store?: RateLimitStore | undefined;
  /** Called when a call waits. */
  onRateLimit?: ((info: RateLimitInfo) => void) | undefined;
  /** Called every 5 s while a call waits (`elapsedMs` so far); turns the one sleep into 5 s steps. */
  onWaitProgress?: ((info: RateLimitInfo, elapsedMs: number) => void) | undefined;
  /** Time source. */
  clock: Clock;
  /**
   * Per-call budget (a provider's documented limits): `undefined` sends the
   * call unlimited; a budget replaces `limit`/`windowMs` and adds its bucket to
   * the key. Default: `limit`/`windowMs` for every call.
   */
  budgetOf?:
    | ((context: CallContext) => { bucket: string; limit: number; windowMs: number } | undefined)
    | undefined;
}

/**
 * The limiter key of a call: origin, token hash and sandbox id, separated by
 * spaces. Never contains the token.
 *
 * @example
 * ```ts
 * import { rateLimitKey } from "./middleware.ts";
 * console.log(rateLimitKey({ origin: "https://api.example.com", tokenHash: "ab12", sandboxId: "sb-1" }));
 * // https://api.example.com ab12 sb-1
 * ```
 */
export function rateLimitKey(
  context: Pick<CallContext, "origin" | "tokenHash" | "sandboxId">,
): string {
  return `${context.origin} ${context.tokenHash} ${context.sandboxId}`;
}

/**
 * Waits for a rate-limit slot before each attempt (retries and redirect hops
 * each count, as they do at the server). The wait is abortable by the call's
 * signal, and an aborted wait gives its slot back. A wait longer than
 * `maxWaitMs`, or one that would end after the call's deadline (see the
 * timeout middleware), fails at once with a client-side
 * {@link RateLimitedError} (status 429, `retryAfterMs` set), and nothing is
 * booked or sent.
 *
 * @example
 * ```ts
 * import { rateLimitMiddleware } from "./middleware.ts";
 * import { systemClock } from "../util/clock.ts";
 * const limiter = rateLimitMiddleware({ limit: 20, windowMs: 60000, marginMs: 500, clock: systemClock });
 * console.log(typeof limiter);
 * ```
 */
export function rateLimitMiddleware(options: RateLimitMiddlewareOptions): Middleware {
  const { maxWaitMs, onRateLimit, onWaitProgress, clock, budgetOf } = options;
  const store = options.store ?? defaultRateLimitStore(clock);
  const ledger = ledgerOf(store);
  return (next) => (request, context) => {
    const signal = context.signal ?? request.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    const budget = budgetOf ? budgetOf(context) : options;
    if (budget === undefined) return next(request, context);
    const limit = budget.limit;
    const windowMs = budget.windowMs + options.marginMs;
    const key = budgetOf
      ? `${rateLimitKey(context)} ${(budget as { bucket: string }).bucket}`
      : rateLimitKey(context);
    const id = crypto.randomUUID();
    // A slot after the call's deadline would only end in a timeout: fail now, book nothing.
    const msLeft = () =>
      context.deadline === undefined ? Infinity : Math.max(0, context.deadline - clock.now() - 1);
    const remainingMs = msLeft();
    const waitLimit = Math.min(maxWaitMs ?? Infinity, remainingMs);
    // This process's own sends count from dispatch to answer (see send_ledger.ts):
    // whatever the store says or the local delay, the server sees at most `limit` of them per window.
    const dispatch = (ticket: SendTicket): Promise<Response> => {
      // Ended at its answer, or when the call gives up on it: a `fetch` that ignores the abort
      // (a stuck connection, a handler that never answers) must not hold the slot for ever.
      let open = true;
      const answered = () => {
        if (!open) return;
        open = false;
        signal.removeEventListener("abort", answered);
        ledger.leave(ticket, clock.now());
      };
      signal.addEventListener("abort", answered, { once: true });
      let sent: Promise<Response>;
      try {
        sent = next(request, context);
      } catch (error) {
        answered();
        throw error;
      }
      const counted = sent.then((response) => {
        answered();
        return response;
      }, (error: unknown) => {
        answered();
        throw error;
      });
      return store.pause ? counted.then((response) => afterResponse(response)) : counted;
    };
    const send = (): Promise<Response> => {
      const entry = ledger.enter(key, limit, windowMs, clock.now());
      return entry.admitted ? dispatch(entry.ticket) : waitForOwnSends(entry);
    };
    const waitForOwnSends = async (first: LedgerEntry): Promise<Response> => {
      let entry = first;
      while (!entry.admitted) {
        const bound = Math.min(maxWaitMs ?? Infinity, msLeft());
        // A wait that cannot end in time fails at once (a lower bound while answers are due).
        if (entry.waitMs > bound) throw rejection(entry.waitMs, bound === msLeft());
        if (entry.known) await clock.sleep(entry.waitMs, signal);
        else await ledger.changed(key, signal);
        entry = ledger.enter(key, limit, windowMs, clock.now());
      }
      return dispatch(entry.ticket);
    };
    const afterResponse = (response: Response): Response | Promise<Response> => {
      if (response.status !== 429) return response;
      const pauseMs = parseRetryAfter(response.headers, clock.now());
      if (pauseMs === undefined || !(pauseMs > 0)) return response;
      const paused = guardStore(context, () => store.pause!(key, pauseMs));
      return isPromise(paused) ? paused.then(() => response) : response;
    };
    const booking = {
      limit,
      windowMs,
      id,
      ...(Number.isFinite(waitLimit) ? { maxWaitMs: waitLimit } : {}),
    };
    /** The client-side refusal of a wait of `waitMs`, past maxWaitMs or the deadline. */
    const rejection = (waitMs: number, byDeadline: boolean): RateLimitedError => {
      const bound = byDeadline
        ? `after the call's timeout (${Math.round(msLeft())} ms left)`
        : `more than maxWaitMs (${maxWaitMs} ms)`;
      return new RateLimitedError({
        status: 429,
        provider: context.provider,
        operation: context.operation,
        retryAfterMs: waitMs,
        source: "client",
        body: `client-side rate limit: the next slot is ${waitMs} ms away, ` +
          `${bound}; nothing was sent`,
      });
    };
    const proceed = (reservation: Reservation): Promise<Response> => {
      if (reservation.rejected) {
        throw rejection(
          reservation.retryAfterMs,
          !(maxWaitMs !== undefined && maxWaitMs <= remainingMs),
        );
      }
      if (reservation.delayMs <= 0) return send();
      return (async () => {
        try {
          const info = { key, waitMs: reservation.delayMs, operation: context.operation };
          if (onRateLimit) callUser(() => onRateLimit(info));
          const progress = onWaitProgress &&
            ((elapsedMs: number) => callUser(() => onWaitProgress(info, elapsedMs)));
          await sleepWithProgress(clock, reservation.delayMs, signal, progress);
        } catch (error) {
          try {
            await store.release?.(key, id);
          } catch {
            // The slot expires on its own; the abort is what the caller needs to see.
          }
          throw error;
        }
        if (!store.confirm) return send();
        // The wait is over, maybe late (a long queue, a stalled event loop) or
        // after a server 429 paused the key: the slot is timed from now, or booked anew.
        const bound = Math.min(maxWaitMs ?? Infinity, msLeft());
        const again = { ...booking, ...(Number.isFinite(bound) ? { maxWaitMs: bound } : {}) };
        const confirmed = await guardStore(context, () => store.confirm!(key, again));
        return proceed(confirmed);
      })();
    };
    // A synchronous store (the default) answers without a promise hop; `compose`
    // turns a synchronous throw (a store failure, a rejected booking) into a rejection.
    const reservation = guardStore(context, () => store.reserve(key, booking));
    return isPromise(reservation) ? reservation.then(proceed) : proceed(reservation);
  };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Runs a store operation; a failure that is not already a `SandgateError`
 * becomes a {@link RateLimitStoreError}. Synchronous results stay synchronous.
 */
function guardStore<T>(context: CallContext, operation: () => Promise<T> | T): T | Promise<T> {
  const wrap = (error: unknown): never => {
    if (error instanceof SandgateError) throw error;
    throw new RateLimitStoreError(`${context.operation}: the rate-limit store failed`, {
      cause: error,
    });
  };
  try {
    const result = operation();
    return isPromise(result) ? Promise.resolve(result).then(undefined, wrap) : result;
  } catch (error) {
    return wrap(error);
  }
}
