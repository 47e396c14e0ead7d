/**
 * {@link NotFoundError}: 404: the sandbox, exposure or session does not exist (any more).
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { ApiError } from "./api_error.ts";

/**
 * 404: the sandbox, exposure or session does not exist (any more).
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@sandgate/sdk";
 * const error = new NotFoundError({ status: 404, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof NotFoundError);
 * ```
 */
export class NotFoundError extends ApiError {
  static {
    nameClass(this, "NotFoundError");
  }
}
