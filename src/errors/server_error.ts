/**
 * {@link ServerError}: 5xx: the server failed.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { ApiError } from "./api_error.ts";

/**
 * 5xx: the server failed.
 *
 * @example
 * ```ts
 * import { ServerError } from "@sandgate/sdk";
 * const error = new ServerError({ status: 503, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ServerError);
 * ```
 */
export class ServerError extends ApiError {
  static {
    nameClass(this, "ServerError");
  }
}
