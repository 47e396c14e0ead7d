/**
 * Auth: resolves the API key (option, async provider, or environment) per
 * request and sets `Authorization: Bearer …`, only for the configured origin.
 *
 * @module
 */
import { MissingApiKeyError, type Provider } from "../errors.ts";
import { readEnv } from "../env.ts";
import type { ApiKeySource } from "../options.ts";
import type { Middleware } from "./types.ts";

/** Options of {@link authMiddleware}. */
export interface AuthOptions {
  /** Provider, for error messages. */
  provider: Provider;
  /** Key or key provider; when absent, `envVar` is read. */
  apiKey: ApiKeySource | undefined;
  /** Environment variable holding the key. */
  envVar: string;
}

/**
 * Sets the bearer token on requests to the configured origin.
 *
 * @example
 * ```ts
 * import { authMiddleware } from "@sandgate/sdk";
 * const auth = authMiddleware({ provider: "primeintellect", apiKey: "k", envVar: "PRIME_API_KEY" });
 * console.log(typeof auth);
 * ```
 */
export function authMiddleware(options: AuthOptions): Middleware {
  const resolveKey = apiKeyResolver(options);
  return (next) => async (request, context) => {
    const key = await resolveKey();
    const headers = new Headers(request.headers);
    if (new URL(request.url).origin === context.origin) {
      headers.set("Authorization", `Bearer ${key}`);
    } else {
      headers.delete("Authorization");
    }
    return next(new Request(request, { headers }), context);
  };
}

/** Returns a function that yields the current API key or throws `MissingApiKeyError`. */
export function apiKeyResolver(options: AuthOptions): () => Promise<string> {
  const { apiKey, provider, envVar } = options;
  return async () => {
    const key = typeof apiKey === "function" ? await apiKey() : apiKey ?? readEnv(envVar);
    if (typeof key !== "string" || key.length === 0) throw new MissingApiKeyError(provider, envVar);
    return key;
  };
}
