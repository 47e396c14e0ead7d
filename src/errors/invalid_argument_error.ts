/**
 * {@link InvalidArgumentError}: an argument failed validation before any request.
 *
 * @module
 */
import { describeValue, nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/**
 * An argument failed validation before any request was sent.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from "@sandgate/sdk";
 * const error = new InvalidArgumentError("port", 80000, "must be an integer from 22 to 9000");
 * console.log(error.message); // port: must be an integer from 22 to 9000 (got 80000)
 * ```
 */
export class InvalidArgumentError extends SandgateError {
  static {
    nameClass(this, "InvalidArgumentError");
  }

  /** The argument (or field path) that was rejected. */
  readonly field: string;
  /** The rule it broke. */
  readonly rule: string;
  /**
   * Creates the error. Pass `{ secret: true }` for values that must never be
   * echoed (tokens, keys): the message then omits the value.
   */
  constructor(field: string, value: unknown, rule: string, options?: { secret?: boolean }) {
    const shown = options?.secret ? "" : ` (got ${describeValue(value)})`;
    super(`${field}: ${rule}${shown}`);
    this.field = field;
    this.rule = rule;
  }
}
