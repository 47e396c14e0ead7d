/**
 * {@link ForbiddenError}: 403: the API key is valid but may not do this (missing scope or role, a
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { ApiError } from "./api_error.ts";

/**
 * 403: the API key is valid but may not do this (missing scope or role, a
 * sandbox of another team).
 *
 * @example
 * ```ts
 * import { ApiError, ForbiddenError } from "@sandgate/sdk";
 * const error = new ForbiddenError({ status: 403, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ApiError, error.name); // true ForbiddenError
 * ```
 */
export class ForbiddenError extends ApiError {
  static {
    nameClass(this, "ForbiddenError");
  }
}
