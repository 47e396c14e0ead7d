/**
 * {@link TimeoutError}: a call did not finish within its budget.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/**
 * A request did not finish within its `timeoutMs` budget (all attempts included).
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@sandgate/sdk";
 * console.log(new TimeoutError(5000).message);
 * ```
 */
export class TimeoutError extends SandgateError {
  static {
    nameClass(this, "TimeoutError");
  }

  /** The budget that ran out, in milliseconds. */
  readonly timeoutMs: number;
  /** Creates the error for a budget in milliseconds. */
  constructor(timeoutMs: number, operation?: string) {
    super(`${operation ? `${operation}: ` : ""}request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}
