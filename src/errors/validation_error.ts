/**
 * {@link ValidationError}: 422 (or 400): the server rejected the request's data.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { ApiError } from "./api_error.ts";

/**
 * 422 (or 400): the server rejected the request's data.
 *
 * @example
 * ```ts
 * import { ValidationError } from "@sandgate/sdk";
 * const error = new ValidationError({ status: 422, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ValidationError);
 * ```
 */
export class ValidationError extends ApiError {
  static {
    nameClass(this, "ValidationError");
  }
}
