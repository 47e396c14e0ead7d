/**
 * {@link NetworkError}: a request failed before an HTTP response arrived.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/**
 * The request failed before an HTTP response arrived (connection refused or
 * reset, DNS failure, TLS error).
 *
 * @example
 * ```ts
 * import { NetworkError } from "@sandgate/sdk";
 * const error = new NetworkError("connection refused", { neverSent: true });
 * console.log(error.neverSent);
 * ```
 */
export class NetworkError extends SandgateError {
  static {
    nameClass(this, "NetworkError");
  }

  /**
   * `true` when the request provably never reached the server (connection
   * refused, DNS failure), so even a POST can be retried safely.
   */
  readonly neverSent: boolean;
  /** Creates the error; `neverSent` defaults to `false`. */
  constructor(message: string, options?: ErrorOptions & { neverSent?: boolean }) {
    super(message, options);
    this.neverSent = options?.neverSent ?? false;
  }
}
