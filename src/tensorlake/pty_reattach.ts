/**
 * The re-attach loop after a drop of the re-attaching PTY connection: jittered
 * exponential backoff (the first try at once) within `maxElapsedMs` in all,
 * on the client's clock, a `reconnecting` / `reconnected` event per step,
 * and a stop only on what is known (see ./pty_reconnect.ts).
 *
 * @module
 */
import { ApiError } from "../errors/api_error.ts";
import { NotFoundError } from "../errors/not_found_error.ts";
import { PtyDisconnectedError } from "../errors/pty_disconnected_error.ts";
import type { SandgateError } from "../errors/sandgate_error.ts";
import type { PtyConnection, PtyExit } from "./pty_connection.ts";
import type { SandgateEvent } from "../events.ts";
import type { Clock } from "../util/clock.ts";
import type { ReconnectPolicy } from "./reconnect_policy.ts";

/** What the reconnecting connection needs from the sandbox handle. */
export interface ReconnectParams {
  /** The connection made by the first attach. */
  first: PtyConnection;
  /**
   * Opens a new connection to the same session within `timeoutMs` (no diagnosis of a refused
   * upgrade: a failure is just a failure).
   */
  open(signal: AbortSignal, timeoutMs: number): Promise<PtyConnection>;
  /** Asks the REST API how the session is: `"gone"` on a 404. Aborted by `signal`. */
  probe(signal: AbortSignal): Promise<{ isAlive: boolean; exitCode: number | null } | "gone">;
  policy: ReconnectPolicy;
  clock: Clock;
  /** The client's event sink (`onEvent`, `debug`). */
  emit: ((event: SandgateEvent) => void) | undefined;
  /** The attach's signal: aborting it detaches, as for a plain connection. */
  signal?: AbortSignal;
  /** Runs on dispose, after detaching (e.g. kill the PTY `openPty` created). */
  onDispose?: () => Promise<unknown>;
  /** Random numbers in [0, 1) for the jitter. */
  random?: () => number;
}

/**
 * Re-attaches within the budget after a drop whose cause is `last`;
 * resolves with the new connection or the final exit. `stop` aborts waits
 * and opens; `detaching()` says the client detached meanwhile.
 */
export async function reattach(
  params: ReconnectParams,
  last: unknown,
  stop: AbortSignal,
  detaching: () => boolean,
): Promise<PtyConnection | PtyExit> {
  const { clock, policy, emit } = params;
  const random = params.random ?? Math.random;
  const started = clock.now();
  for (let attempt = 1;; attempt++) {
    const elapsedMs = clock.now() - started;
    if (detaching()) return detachedExit();
    if (elapsedMs >= policy.maxElapsedMs) {
      return {
        kind: "disconnected",
        error: new PtyDisconnectedError(
          `PTY connection: gave up re-attaching after ${attempt - 1} attempts in ` +
            `${elapsedMs} ms (last: ${describe(last)})`,
          { cause: last },
        ),
      };
    }
    const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 2));
    const delayMs = attempt === 1 ? 0 : Math.floor(random() * ceiling);
    emit?.({
      type: "reconnecting",
      operation: "attachPty",
      attempt,
      delayMs,
      elapsedMs,
      reason: describe(last),
      message: `attachPty: connection lost (${describe(last)}); re-attaching, attempt ` +
        `${attempt}${delayMs ? ` in ${delayMs} ms` : ""}`,
    });
    try {
      await clock.sleep(delayMs, stop);
      const budget = Math.max(1, policy.maxElapsedMs - (clock.now() - started));
      const connection = await params.open(stop, budget);
      if (detaching()) {
        await connection.close();
        return detachedExit();
      }
      const downtimeMs = clock.now() - started;
      emit?.({
        type: "reconnected",
        operation: "attachPty",
        attempts: attempt,
        downtimeMs,
        message: `attachPty: re-attached after ${attempt} attempt${
          attempt === 1 ? "" : "s"
        } (${downtimeMs} ms)`,
      });
      return connection;
    } catch (error) {
      if (detaching()) return detachedExit();
      last = error;
      // The server said so, where the runtime shows the status (workerd).
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
        return error.status === 404
          ? { kind: "killed" }
          : { kind: "disconnected", error: error as SandgateError };
      }
      const known = await knownExit(params, stop);
      if (known) return known;
    }
  }
}

/** What the REST API knows for sure: the session ended or is gone; else `undefined`. */
async function knownExit(params: ReconnectParams, stop: AbortSignal): Promise<PtyExit | undefined> {
  try {
    const state = await params.probe(stop);
    if (state === "gone") return { kind: "killed" };
    if (!state.isAlive) {
      return state.exitCode === null
        ? { kind: "killed" }
        : { kind: "exited", exitCode: state.exitCode };
    }
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: "killed" };
    // Unreachable too: nothing is known; keep trying.
  }
  return undefined;
}

/** The exit of a connection the client detached. */
export function detachedExit(): PtyExit {
  return {
    kind: "disconnected",
    error: new PtyDisconnectedError("PTY connection: detached by the client", { byClient: true }),
  };
}

/** An error's name and message, for events and the give-up error. */
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
