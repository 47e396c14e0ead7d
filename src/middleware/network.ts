/**
 * Turns a thrown `fetch` failure into a typed `NetworkError`, and tells
 * whether the request provably never reached the server (so that even a POST
 * may be retried).
 *
 * @module
 */
import { NetworkError, SandgateError } from "../errors.ts";
import { bufferResponse } from "../http/body.ts";
import type { Middleware } from "./context.ts";

// Error codes meaning "no connection was made", as Node (undici) and Bun report them.
const NEVER_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EAI_NODATA",
  "EAI_FAIL",
  "ConnectionRefused",
]);
// Deno reports these only in the message of the cause.
const NEVER_SENT_MESSAGES = [
  /tcp connect error: Connection refused/i,
  /client error \(Connect\): dns error/i,
];

/** What {@link classifyNetworkError} found out. */
export interface NetworkFailure {
  /** `true` only when the request provably never reached the server. */
  readonly neverSent: boolean;
  /** A short, secret-free reason such as `ECONNREFUSED`, if one was recognised. */
  readonly code: string | undefined;
}

/**
 * Reads a `fetch` failure's cause chain for proof that nothing was sent:
 * connection refused or a DNS failure (Node, Bun and Deno spellings).
 * Anything else, a reset or a TLS error included, counts as possibly sent.
 *
 * @example
 * ```ts
 * import { classifyNetworkError } from "./network.ts";
 * const error = new TypeError("fetch failed", {
 *   cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
 * });
 * console.log(classifyNetworkError(error)); // { neverSent: true, code: "ECONNREFUSED" }
 * ```
 */
export function classifyNetworkError(error: unknown): NetworkFailure {
  let current: unknown = error;
  let firstCode: string | undefined;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (NEVER_SENT_CODES.has(code)) return { neverSent: true, code };
      if (firstCode === undefined && /^[A-Za-z_][A-Za-z0-9_]{1,40}$/.test(code)) firstCode = code;
    }
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string") {
      if (NEVER_SENT_MESSAGES[0]!.test(message)) return { neverSent: true, code: "ECONNREFUSED" };
      if (NEVER_SENT_MESSAGES[1]!.test(message)) return { neverSent: true, code: "ENOTFOUND" };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return { neverSent: false, code: firstCode };
}

/**
 * Sends one attempt and reads its body to the end (see `bufferResponse`:
 * under the call's signal, with a size cap), so that a call's budget covers
 * the body and a body that breaks off fails the attempt, where the retry
 * middleware can repeat it. Wraps transport failures in {@link NetworkError},
 * with `neverSent` set when the failure proves the request never left (see
 * {@link classifyNetworkError}). Aborts pass through untouched (the timeout
 * middleware names them), and so do sandgate's own errors.
 *
 * @example
 * ```ts
 * import { networkErrorMiddleware } from "./network.ts";
 * console.log(typeof networkErrorMiddleware());
 * ```
 */
export function networkErrorMiddleware(): Middleware {
  return (next) => (request, context) => {
    const signal = context.signal ?? request.signal;
    return next(request, context).then((response) =>
      bufferResponse(response, signal, context.operation)
    ).catch(
      (error: unknown) => {
        if (error instanceof SandgateError) throw error;
        if (signal.aborted) throw error;
        const { neverSent, code } = classifyNetworkError(error);
        const detail = code ? ` (${code})` : "";
        const sent = neverSent ? "; the request was not sent" : "";
        const host = new URL(request.url).host;
        throw new NetworkError(
          `${context.operation}: network error reaching ${host}${detail}${sent}`,
          { cause: error, neverSent },
        );
      },
    );
  };
}
