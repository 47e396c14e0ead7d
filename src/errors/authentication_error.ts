/**
 * {@link AuthenticationError}: 401: the API key was missing, wrong or expired.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { ApiError } from "./api_error.ts";

/**
 * 401: the API key was missing, wrong or expired.
 *
 * @example
 * ```ts
 * import { AuthenticationError } from "@sandgate/sdk";
 * const error = new AuthenticationError({ status: 401, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof AuthenticationError);
 * ```
 */
export class AuthenticationError extends ApiError {
  static {
    nameClass(this, "AuthenticationError");
  }
}
