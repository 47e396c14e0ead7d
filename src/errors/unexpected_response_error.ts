/**
 * {@link UnexpectedResponseError}: a successful answer did not have the promised shape.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/** Options of {@link UnexpectedResponseError}. */
export interface UnexpectedResponseErrorOptions extends ErrorOptions {
  /** The id of the resource a create answer named (see {@link UnexpectedResponseError.createdId}). */
  createdId?: string;
}

/**
 * A successful response did not have the shape the spec promises.
 *
 * @example
 * ```ts
 * import { UnexpectedResponseError } from "@sandgate/sdk";
 * console.log(new UnexpectedResponseError("exposePort: response lacks url").message);
 * ```
 *
 * @example A create that took effect but answered badly
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnexpectedResponseError } from "@sandgate/sdk";
 * const error = new UnexpectedResponseError(
 *   "exposePort: .tls_socket is missing; the exposure it created could not be removed",
 *   { createdId: "exp-1" },
 * );
 * assert.equal(error.createdId, "exp-1"); // remove it yourself, e.g. unexposePort("exp-1")
 * ```
 */
export class UnexpectedResponseError extends SandgateError {
  static {
    nameClass(this, "UnexpectedResponseError");
  }

  /**
   * Set when the malformed answer was to a create (exposePort,
   * createSshSession, createPty) and named the new resource: its id
   * (`exposure_id`, `session_id`). sandgate has already tried to remove it
   * and the message says whether that worked; when it did not, this id is how
   * to clean up. `undefined` otherwise.
   */
  readonly createdId: string | undefined;

  /** Creates the error; `options.createdId` names a resource the create made. */
  constructor(message: string, options?: UnexpectedResponseErrorOptions) {
    super(message, options);
    this.createdId = options?.createdId;
  }
}
