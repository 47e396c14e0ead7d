/**
 * {@link RateLimitStoreError}: a rate-limit store failed and nothing was sent.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/**
 * A client-side or shared rate-limit store could not be reached, and the
 * failure policy is `"fail-closed"`: nothing was sent.
 *
 * @example
 * ```ts
 * import { RateLimitStoreError } from "@sandgate/sdk";
 * console.log(new RateLimitStoreError("store unreachable").name);
 * ```
 */
export class RateLimitStoreError extends SandgateError {
  static {
    nameClass(this, "RateLimitStoreError");
  }
}
