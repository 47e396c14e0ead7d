/**
 * {@link ConfigError}: a client was configured wrongly.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/**
 * A client was configured wrongly (bad base URL, insecure scheme, bad option).
 *
 * @example
 * ```ts
 * import { ConfigError } from "@sandgate/sdk";
 * const error = new ConfigError("baseUrl: must be https");
 * console.log(error instanceof ConfigError);
 * ```
 */
export class ConfigError extends SandgateError {
  static {
    nameClass(this, "ConfigError");
  }
}
