/**
 * Timeouts and cancellation. The outermost middleware: it bounds a whole call
 * (every attempt, backoff and rate-limit wait) by one timer, for the shorter
 * of the client's `timeoutMs` and the call's own (`context.timeoutMs`), and
 * sets the call's one deadline (`context.deadline`); the call's own signal
 * (`request.signal`) aborts it too.
 *
 * A timeout rejects with a {@link TimeoutError}; a user abort rejects with the
 * user's reason, as it is. The budget covers the response body too: the
 * network middleware reads each body to its end under the call's signal
 * (see `bufferResponse`), so the timer stops only once the whole answer is
 * in memory (or the call failed), and no timer outlives a call.
 *
 * @module
 */
import { SandgateError, TimeoutError } from "../errors.ts";
import type { Clock } from "../util/clock.ts";
import { givenSignal } from "../http/outgoing.ts";
import { timedSignal } from "../util/timed_signal.ts";
import type { Middleware } from "./context.ts";

/** Options of {@link timeoutMiddleware}. */
export interface TimeoutOptions {
  /**
   * Budget for a whole call in milliseconds. `Infinity` sets no client-wide
   * budget (the call's own signal still applies).
   */
  timeoutMs: number;
  /** Time source. */
  clock: Clock;
}

/**
 * Bounds a whole call (all attempts and waits) by `timeoutMs`, and turns
 * aborts into the right error: {@link TimeoutError} for a timeout (ours, a
 * per-call one, or an `AbortSignal.timeout`), the user's reason otherwise.
 * Each call gets its own timer and signal; nothing is shared between calls.
 *
 * @example
 * ```ts
 * import { compose } from "./compose.ts";
 * import { systemClock } from "../util/clock.ts";
 * import { TimeoutError } from "../errors.ts";
 * import { timeoutMiddleware } from "./timeout.ts";
 * const never = () => new Promise<Response>(() => {});
 * const handler = compose([timeoutMiddleware({ timeoutMs: 10, clock: systemClock })], never);
 * const context = {
 *   provider: "primeintellect" as const,
 *   operation: "demo",
 *   sandboxId: "sb",
 *   origin: "https://example.com",
 *   attempt: 1,
 *   tokenHash: "",
 * };
 * try {
 *   await handler(new Request("https://example.com/"), context);
 * } catch (error) {
 *   console.log(error instanceof TimeoutError); // true
 * }
 * ```
 */
export function timeoutMiddleware(options: TimeoutOptions): Middleware {
  const { clock } = options;
  return (next) => (request, context) => {
    // One timer per call, for the shorter of the client's budget and the call's own.
    const timeoutMs = Math.min(options.timeoutMs, context.timeoutMs ?? Infinity);
    const bounded = Number.isFinite(timeoutMs) && timeoutMs > 0;
    const user = context.signal ?? givenSignal(request);
    const start = clock.now();
    const fail = (reason: unknown) => abortError(reason, clock.now() - start, context.operation);
    if (user?.aborted) return Promise.reject(fail(user.reason));
    // No budget and no signal: nothing can abort this call.
    if (!bounded && !user) return next(request, context);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let stop = () => {};
      // Settles at once on abort, even when a custom `fetch` ignores its signal.
      const onAbort = (reason: unknown) => {
        if (settled) return;
        settled = true;
        stop();
        reject(fail(reason));
      };
      let signal = user!;
      let forwarded = request;
      if (bounded) {
        // One controller and one timer per call; it tells `onAbort` itself. The user's
        // abort stays forwarded after success (only the timer stops), so reading the body
        // remains abortable; the user's signal belongs to this one call, so listeners do
        // not pile up.
        const timed = timedSignal(user, timeoutMs, clock, context.operation, onAbort);
        signal = timed.signal;
        stop = timed.stopTimer;
        // Inside sandgate's pipeline (`context.body` set) the auth middleware builds
        // the request with `context.signal`; elsewhere the request carries it.
        if (context.body === undefined) {
          try {
            forwarded = new Request(request, { signal });
          } catch (error) {
            timed.dispose();
            throw error;
          }
        }
        context.deadline = Math.min(context.deadline ?? Infinity, start + timeoutMs);
        context.signal = signal;
      } else {
        const onUserAbort = () => onAbort(signal.reason);
        signal.addEventListener("abort", onUserAbort, { once: true });
        stop = () => signal.removeEventListener("abort", onUserAbort);
      }
      // `compose` turns a synchronous throw below into a rejection.
      next(forwarded, context).then(
        (response) => {
          if (settled) return discardResponse(response);
          settled = true;
          stop();
          resolve(response);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          stop();
          reject(signal.aborted ? fail(signal.reason) : error);
        },
      );
    });
  };
}

function discardResponse(response: Response): void {
  response.body?.cancel().catch(() => {});
}

/**
 * What a call rejects with once its signal aborted: a `SandgateError` reason
 * as it is (e.g. a per-call {@link TimeoutError}), a DOM `TimeoutError`
 * (from `AbortSignal.timeout`) as a {@link TimeoutError}, anything else (the
 * user's reason) as it is.
 */
export function abortError(reason: unknown, elapsedMs: number, operation?: string): unknown {
  if (reason instanceof SandgateError) return reason;
  if (typeof reason === "object" && reason !== null && "name" in reason) {
    if (reason.name === "TimeoutError") return new TimeoutError(Math.round(elapsedMs), operation);
  }
  return reason;
}
