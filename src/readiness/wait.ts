/**
 * Waiting until something inside a sandbox answers: the one loop behind
 * `exposure.waitUntilReady()`, `exposePort({ waitUntilReady })`,
 * `session.waitUntilReady()` and the CLI's `expose --wait`, `ssh` and
 * `ssh-proxy`. A {@link Probe} makes one attempt and says whether the
 * service answered; the loop repeats it with jittered exponential backoff
 * on the client's clock, reports each attempt as a `readiness` event, and
 * ends with the answer, the caller's abort reason, or a `TimeoutError`.
 *
 * Time: the whole budget and the pauses between attempts run on the
 * client's clock (tests drive them with a `FakeClock`); the limits of one
 * attempt (how long a connection or request may take, how long a TCP
 * connection must stay open) follow the socket and run on real time, as
 * the PTY attach's drain waits do.
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import { type ReadinessEvent, type SandgateEvent, seconds } from "../events.ts";
import type { Clock } from "../util/clock.ts";
import { timedSignal } from "../util/timed_signal.ts";
import type { WaitUntilReadyOptions } from "./options.ts";

export type { WaitUntilReadyOptions };

/**
 * What `waitUntilReady` resolves with.
 *
 * @example
 * ```ts
 * import type { ReadyInfo } from "@sandgate/sdk";
 * const info: ReadyInfo = { target: "https://x", attempts: 3, elapsedMs: 1200, answer: "HTTP 200" };
 * console.log(info.answer);
 * ```
 */
export interface ReadyInfo {
  /** What was probed: the URL, or `host:port`. */
  readonly target: string;
  /** Attempts made, the successful one included. */
  readonly attempts: number;
  /** Time from the first attempt to the answer, on the client's clock. */
  readonly elapsedMs: number;
  /** The answer that counted, e.g. `"HTTP 200"` or `"sent 21 bytes"`. */
  readonly answer: string;
}

/** One attempt's outcome. */
export type ProbeOutcome =
  | { readonly ready: true; readonly answer: string }
  | { readonly ready: false; readonly reason: string };

/** One attempt; `signal` aborts it (the budget ran out, or the caller gave up). */
export type Probe = (signal: AbortSignal) => Promise<ProbeOutcome>;

/** What the loop reports to and waits with. */
export interface ReadinessContext {
  /** The client's clock. */
  readonly clock: Clock;
  /** The client's event sink, if any. */
  readonly emit: ((event: SandgateEvent) => void) | undefined;
  /** Operation name in events and errors. Default `"waitUntilReady"`. */
  readonly operation?: string;
  /** Jitter source, [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** The loop's numbers. */
export const READINESS = {
  /** Default budget. */
  timeoutMs: 60_000,
  /** First backoff ceiling. */
  baseDelayMs: 250,
  /** Largest backoff. */
  maxDelayMs: 4_000,
  /** Longest one attempt may take (real time). */
  attemptTimeoutMs: 10_000,
} as const;

/** Backoff before attempt `attempt + 1`: equal jitter over an exponential ceiling. */
export function backoffMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(READINESS.maxDelayMs, READINESS.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `probe` until it reports ready, the budget (`options.timeoutMs`,
 * default 60 s) runs out (a {@link TimeoutError} naming the target and the
 * last reason), or `options.signal` aborts (its reason).
 */
export async function waitUntilReady(
  target: string,
  probe: Probe,
  options: Pick<WaitUntilReadyOptions, "timeoutMs" | "signal"> | undefined,
  context: ReadinessContext,
): Promise<ReadyInfo> {
  const { clock, emit } = context;
  const operation = context.operation ?? "waitUntilReady";
  const random = context.random ?? Math.random;
  const timeoutMs = options?.timeoutMs ?? READINESS.timeoutMs;
  const timed = timedSignal(options?.signal, timeoutMs, clock, operation);
  const { signal } = timed;
  const start = clock.now();
  let reason = "no attempt made";
  let attempt = 0;
  const report = (fields: Omit<ReadinessEvent, "type" | "operation" | "target" | "attempt">) => {
    emit?.({ type: "readiness", operation, target, attempt, ...fields });
  };
  try {
    for (;;) {
      signal.throwIfAborted();
      attempt += 1;
      const outcome = await probe(signal);
      signal.throwIfAborted();
      const elapsedMs = clock.now() - start;
      if (outcome.ready) {
        report({
          ready: true,
          outcome: outcome.answer,
          elapsedMs,
          delayMs: null,
          message: `${operation}: ${target} answered (${outcome.answer}) after ${attempt} ` +
            `attempt${attempt === 1 ? "" : "s"}, ${seconds(elapsedMs)}`,
        });
        return { target, attempts: attempt, elapsedMs, answer: outcome.answer };
      }
      reason = outcome.reason;
      const delayMs = Math.min(backoffMs(attempt, random), Math.max(0, timeoutMs - elapsedMs));
      report({
        ready: false,
        outcome: reason,
        elapsedMs,
        delayMs,
        message: `${operation}: ${target} not ready (${reason}); attempt ${attempt + 1} ` +
          `in ${seconds(delayMs)}`,
      });
      await clock.sleep(delayMs, signal);
    }
  } catch (error) {
    if (signal.aborted && signal.reason instanceof TimeoutError && error === signal.reason) {
      const timeout = new TimeoutError(timeoutMs, operation);
      timeout.message = `${operation}: ${target} did not answer within ${seconds(timeoutMs)} ` +
        `(${attempt} attempt${attempt === 1 ? "" : "s"}; last: ${reason})`;
      throw timeout;
    }
    throw error;
  } finally {
    timed.dispose();
  }
}
