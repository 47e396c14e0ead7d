/**
 * Turns a thrown `fetch` failure into a typed `NetworkError`.
 *
 * @module
 */
import { NetworkError, SandgateError } from "../errors.ts";
import type { Middleware } from "./types.ts";

/**
 * Wraps transport failures in {@link NetworkError}.
 *
 * @example
 * ```ts
 * import { networkErrorMiddleware } from "@sandgate/sdk";
 * console.log(typeof networkErrorMiddleware());
 * ```
 */
export function networkErrorMiddleware(): Middleware {
  return (next) => async (request, context) => {
    try {
      return await next(request, context);
    } catch (error) {
      if (error instanceof SandgateError) throw error;
      if (request.signal.aborted) throw error;
      throw new NetworkError(`${context.operation}: network error`, { cause: error });
    }
  };
}
