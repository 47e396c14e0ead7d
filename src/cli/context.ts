/**
 * What every command runs with: the output, an abort signal that fires on
 * SIGINT / SIGTERM, and the two provider clients built from the command
 * line and the same environment variables as the SDK.
 *
 * @module
 */
import process from "node:process";
import {
  PrimeIntellect,
  type SandgateEvent,
  Tensorlake,
  type TensorlakeSandbox,
} from "../../mod.ts";
import { EXIT } from "./errors.ts";
import { type Output, PROGRESS_AFTER_MS } from "./output.ts";
import type { Parsed } from "./args.ts";

/** The signals that end a run, with cleanup, and their exit codes (128 + the signal's number). */
export const STOP_SIGNALS = {
  SIGHUP: EXIT.hangup,
  SIGINT: EXIT.interrupted,
  SIGQUIT: EXIT.quit,
  SIGTERM: EXIT.terminated,
} as const;

/** A signal that ends a run. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/** Why the run was interrupted. */
export interface Interruption {
  /** The signal. */
  signal: StopSignal;
  /** The exit code it maps to (129, 130, 131, 143). */
  exitCode: number;
}

/** A command's view of the run. */
export interface Context {
  /** Printing. */
  out: Output;
  /** Fires on SIGHUP, SIGINT, SIGQUIT and SIGTERM; its reason is an {@link Interruption}. */
  signal: AbortSignal;
}

/**
 * SIGHUP (the terminal closed, an ssh connection dropped), SIGINT, SIGQUIT
 * and SIGTERM as an abort signal while `run` runs: the first one aborts with
 * its {@link Interruption}, so every command cleans up the same way; later
 * ones are ignored while the cleanup runs (Windows has no SIGQUIT / SIGHUP
 * to listen to: those are skipped there).
 */
export async function withSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers: [StopSignal, () => void][] = [];
  for (const [name, exitCode] of Object.entries(STOP_SIGNALS) as [StopSignal, number][]) {
    const handler = () => {
      if (!controller.signal.aborted) controller.abort({ signal: name, exitCode });
    };
    try {
      process.on(name, handler);
      handlers.push([name, handler]);
    } catch {
      // A signal this platform cannot listen to.
    }
  }
  try {
    return await run(controller.signal);
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}

/** The interruption behind an aborted signal, if that is why. */
export function interruptionOf(signal: AbortSignal): Interruption | undefined {
  const reason = signal.reason as Partial<Interruption> | undefined;
  return signal.aborted && typeof reason?.exitCode === "number"
    ? reason as Interruption
    : undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * The client hook that turns rate-limit waits and retries longer than a
 * second, and each readiness attempt that found nothing serving yet, into
 * progress lines: how long and why (the SDK reports a long rate-limit wait
 * again every 5 s, with the time left).
 */
export function progressHooks(out: Output): { onEvent(event: SandgateEvent): void } {
  return {
    onEvent(event) {
      if (event.type === "rate-limit") {
        if (event.waitMs < PROGRESS_AFTER_MS) return;
        out.status(
          `${event.operation}: waiting ${seconds(event.remainingMs)} for a rate-limit slot ` +
            "(the gateway allows 20 requests a minute per sandbox)",
        );
      } else if (event.type === "readiness" && !event.ready) {
        out.status(
          `${event.target} does not answer yet (${event.outcome}); attempt ${
            event.attempt + 1
          } in ${seconds(event.delayMs ?? 0)}`,
        );
      } else if (event.type === "reconnecting" && event.attempt === 1) {
        out.interjection(`sandgate: connection lost (${event.reason}); reconnecting…`);
      } else if (event.type === "reconnected") {
        out.interjection(`sandgate: reconnected after ${seconds(event.downtimeMs)}`);
      } else if (event.type === "retry" && event.delayMs >= PROGRESS_AFTER_MS) {
        out.status(
          `${event.operation}: attempt ${event.attempt} failed (${event.reason}), retrying in ${
            seconds(event.delayMs)
          }`,
        );
      }
    },
  };
}

/** A Prime Intellect client: `--base-url`, else the SDK's environment variables. */
export function primeIntellect(ctx: Context, parsed: Parsed): PrimeIntellect {
  const baseUrl = parsed.values["base-url"];
  return new PrimeIntellect({
    ...(typeof baseUrl === "string" ? { baseUrl } : {}),
    ...progressHooks(ctx.out),
  });
}

/** The Tensorlake sandbox a command names, at its `--sandbox-url` when given. */
export function tensorlakeSandbox(ctx: Context, parsed: Parsed, id: string): TensorlakeSandbox {
  const sandboxUrl = parsed.values["sandbox-url"];
  return tensorlake(ctx, parsed).sandbox(
    id,
    typeof sandboxUrl === "string" ? { sandboxUrl } : undefined,
  );
}

/** A Tensorlake client: `--proxy-url`, else the SDK's environment variables. */
export function tensorlake(ctx: Context, parsed: Parsed): Tensorlake {
  const proxyUrl = parsed.values["proxy-url"];
  return new Tensorlake({
    ...(typeof proxyUrl === "string" ? { proxyUrl } : {}),
    ...progressHooks(ctx.out),
  });
}
