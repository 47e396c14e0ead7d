/**
 * Auth: resolves the API key (option, async provider, or environment) per
 * request and sets `Authorization: Bearer …` only on requests to the
 * configured origin. Redirects are followed here, hop by hop, so that a
 * redirect to another origin never carries the key (see {@link followRedirects}).
 *
 * The key lives only in closures: it is never stored on an object, never put
 * into a message, and every non-2xx answer and error from below is redacted
 * of it (see `redact.ts`, whatever its length or where it was echoed).
 *
 * @module
 */
import { InvalidArgumentError, MissingApiKeyError, type Provider } from "../errors.ts";
import { type KeyFile, readEnv } from "../env.ts";
import type { ApiKeySource } from "../options.ts";
import type { Clock } from "../util/clock.ts";
import { callUser } from "../util/callback.ts";
import { redactError, redactResponse } from "../util/redact.ts";
import { followRedirects } from "./redirect.ts";
import { tokenHasher } from "../util/hash.ts";
import type { Middleware } from "./context.ts";

/** Options of {@link authMiddleware}. */
export interface AuthOptions {
  /** Provider, for error messages. */
  provider: Provider;
  /** Key or key provider; when absent, `envVar` is read. */
  apiKey: ApiKeySource | undefined;
  /** Environment variable holding the key. */
  envVar: string;
  /** The provider's config file the key is also read from, named when no key is found. */
  keyFile?: KeyFile | undefined;
  /** Redirects followed per request before giving up. Default 5. */
  maxRedirects?: number;
  /** The client's clock, told about the off-thread hashing of a new key ({@link Clock.track}). */
  clock?: Clock;
}

/**
 * Sets the bearer token (the API key, or the call's own `context.bearer`) on
 * requests to the configured origin (`context.origin`)
 * and follows redirects itself, dropping `Authorization` when a hop leaves
 * that origin and refusing `https:` → `http:` downgrades. Sets
 * `context.tokenHash` (for the rate limiter) to a short hash of the key.
 *
 * @example
 * ```ts
 * import { authMiddleware } from "./auth.ts";
 * import { compose } from "./compose.ts";
 * const auth = authMiddleware({ provider: "primeintellect", apiKey: "k", envVar: "PRIME_API_KEY" });
 * const handler = compose([auth], (request) =>
 *   Promise.resolve(new Response(request.headers.get("authorization"))));
 * const response = await handler(new Request("https://api.example.com/x"), {
 *   provider: "primeintellect",
 *   operation: "demo",
 *   sandboxId: "sb",
 *   origin: "https://api.example.com",
 *   attempt: 1,
 *   tokenHash: "",
 * });
 * console.log(await response.text()); // Bearer k
 * ```
 */
export function authMiddleware(options: AuthOptions): Middleware {
  const resolveKey = apiKeyResolver(options);
  const hash = tokenHasher();
  const maxRedirects = options.maxRedirects ?? 5;
  return (next) => (request, context) => {
    const send = (key: string): Promise<Response> => {
      // Named once per key (Web Crypto is asynchronous); a known key needs no promise hop.
      const name = hash(key);
      if (typeof name !== "string") {
        return (options.clock?.track?.(name) ?? name).then((tokenHash) => {
          context.tokenHash = tokenHash;
          return sendAs(key);
        });
      }
      context.tokenHash = name;
      return sendAs(key);
    };
    const sendAs = (key: string): Promise<Response> => {
      const prefix = `${context.origin}/`;
      const sent = followRedirects(next, request, context, {
        maxRedirects,
        authorize: (headers, url) => {
          // A serialized URL that starts with "origin/" has that origin: no parse needed.
          if (url.startsWith(prefix) || new URL(url).origin === context.origin) {
            headers.set("Authorization", `Bearer ${key}`);
          } else headers.delete("Authorization");
        },
      });
      return sent.then(
        (response) => response.ok ? response : redactResponse(response, [key]),
        (error: unknown) => {
          throw redactError(error, [key]);
        },
      );
    };
    // `compose` turns a synchronous throw (a missing key) into a rejection.
    const key = context.bearer ? context.bearer() : resolveKey();
    return typeof key === "string" ? send(key) : key.then(send);
  };
}

/**
 * Returns a function that yields the current API key (trimmed) or throws
 * `MissingApiKeyError`; a provider function is called on every use (its
 * promise is returned as such), the environment is read on every use, and a
 * key given as a string is checked once.
 */
export function apiKeyResolver(options: AuthOptions): () => string | Promise<string> {
  const { apiKey, provider, envVar, keyFile } = options;
  const check = (raw: unknown): string => {
    const key = typeof raw === "string" ? raw.trim() : "";
    if (key.length === 0) throw new MissingApiKeyError(provider, envVar, keyFile);
    if (!isHeaderSafe(key)) {
      throw new InvalidArgumentError(
        "apiKey",
        undefined,
        "must contain only printable characters (no line breaks or control characters)",
        { secret: true },
      );
    }
    return key;
  };
  if (typeof apiKey === "function") {
    return () => {
      const raw = callUser(apiKey);
      return typeof raw === "string" ? check(raw) : Promise.resolve(raw).then(check);
    };
  }
  let cached: string | undefined;
  return () => cached ?? (apiKey === undefined ? check(readEnv(envVar)) : (cached = check(apiKey)));
}

function isHeaderSafe(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return false;
  }
  return true;
}
