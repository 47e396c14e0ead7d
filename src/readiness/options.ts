/**
 * `waitUntilReady` options and their check, apart from the loop (wait.ts): the methods that
 * wait check their options with the class's code, before the loop and its probes are loaded
 * on first use.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { assertOptionsObject, assertSignalAndTimeout } from "../validate.ts";

/**
 * Options of `waitUntilReady`.
 *
 * @example
 * ```ts
 * import type { WaitUntilReadyOptions } from "@sandgate/sdk";
 * const options: WaitUntilReadyOptions = {
 *   timeoutMs: 30_000,
 *   path: "/health",
 *   isReady: (response) => response.status === 200,
 * };
 * console.log(options.path);
 * ```
 */
export interface WaitUntilReadyOptions {
  /** Give up after this long (a `TimeoutError`), in milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** Stops waiting; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** HTTP exposures: the path to request, starting with `/`. Default `/`. */
  path?: string;
  /**
   * HTTP exposures: decides whether an answer that did not come from the
   * gateway counts as ready (e.g. `response.status === 200` for a health
   * path). Default: any such answer, whatever its status.
   */
  isReady?: (response: Response) => boolean | Promise<boolean>;
}

/** Options of {@link waitUntilReady} other than the probe's own. */
export const WAIT_OPTION_KEYS: readonly string[] = ["timeoutMs", "signal"];
/**
 * Every option key of an HTTP exposure's wait (written out, not spread from the list above: a
 * spread is a top-level statement bundlers keep in every bundle, used or not).
 */
export const HTTP_WAIT_OPTION_KEYS: readonly string[] = ["timeoutMs", "signal", "path", "isReady"];

/**
 * Checks `waitUntilReady` options before anything is sent: `keys` are the
 * ones this target takes (an HTTP exposure takes `path` and `isReady`).
 */
export function assertWaitOptions(
  field: string,
  value: unknown,
  keys: readonly string[],
): asserts value is WaitUntilReadyOptions | undefined {
  assertOptionsObject(field, value, keys);
  assertSignalAndTimeout(field, value);
  const { path, isReady } = (value ?? {}) as WaitUntilReadyOptions;
  if (path !== undefined && (typeof path !== "string" || !/^\/[\x21-\x7e]*$/.test(path))) {
    throw new InvalidArgumentError(
      `${field}.path`,
      path,
      "must be a URL path starting with / (printable ASCII, no spaces)",
    );
  }
  if (isReady !== undefined && typeof isReady !== "function") {
    throw new InvalidArgumentError(`${field}.isReady`, isReady, "must be a function");
  }
}
