/**
 * The `fetch` a client sends with when none is configured: the global one,
 * except that on Deno a request that is not idempotent (POST) goes out on a
 * connection of its own.
 *
 * Why: when a server closes a reused keep-alive connection after reading a
 * request, Deno's fetch (hyper) silently sends the request again on a new
 * connection. For a POST that means a second exposure or SSH session that
 * nobody knows about. A connection pool with no idle connections
 * (`Deno.createHttpClient({ poolMaxIdlePerHost: 0 })`) is never reused, so
 * the request is sent exactly once; a failure after that surfaces as a
 * `NetworkError` that the retry middleware does not repeat. Node (undici)
 * and Bun do not resend a POST, and use the global `fetch` as it is.
 *
 * Only `globalThis.Deno` is touched, at call time: the module is inert on
 * every other runtime (edge bundles included).
 *
 * @module
 */
import { bufferResponse } from "./body.ts";
import { fetchArguments } from "./outgoing.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);

interface DenoHttpClient {
  close(): void;
}
interface DenoLike {
  createHttpClient?(options: { poolMaxIdlePerHost?: number }): DenoHttpClient;
}

/**
 * Sends `request` with the global `fetch`; on Deno, a non-idempotent request
 * uses a fresh connection that is closed once its body has been read.
 *
 * @example
 * ```ts
 * import { defaultFetch } from "./default_fetch.ts";
 * console.log(typeof defaultFetch);
 * ```
 */
export function defaultFetch(request: Request): Promise<Response> {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  // A deferred request (./outgoing.ts) goes as its parts: the runtime builds the one `Request`.
  const [input, init] = fetchArguments(request);
  if (IDEMPOTENT.has(request.method) || typeof deno?.createHttpClient !== "function") {
    return globalThis.fetch(input, init);
  }
  let client: DenoHttpClient;
  try {
    client = deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  } catch {
    return globalThis.fetch(input, init);
  }
  // The body is read before the client closes (closing it would cut the body off).
  return globalThis.fetch(input, { ...init, client } as RequestInit)
    .then((response) => bufferResponse(response, request.signal, request.method))
    .finally(() => client.close());
}
