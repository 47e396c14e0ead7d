/**
 * Auth: resolves the API key (option, async provider, or environment) per
 * request and sets `Authorization: Bearer …` only on requests to the
 * configured origin. Redirects are followed here, hop by hop, so that a
 * redirect to another origin never carries the key (see {@link followRedirects}).
 *
 * The key lives only in closures: it is never stored on an object, never put
 * into a message, and errors from below are scrubbed of it as a safety net.
 *
 * @module
 */
import { InvalidArgumentError, MissingApiKeyError, type Provider } from "../errors.ts";
import { readEnv } from "../env.ts";
import type { ApiKeySource } from "../options.ts";
import { followRedirects } from "./redirect.ts";
import { tokenHasher } from "./token_hash.ts";
import type { Middleware } from "./types.ts";

/** Options of {@link authMiddleware}. */
export interface AuthOptions {
  /** Provider, for error messages. */
  provider: Provider;
  /** Key or key provider; when absent, `envVar` is read. */
  apiKey: ApiKeySource | undefined;
  /** Environment variable holding the key. */
  envVar: string;
  /** Redirects followed per request before giving up. Default 5. */
  maxRedirects?: number;
}

/**
 * Sets the bearer token on requests to the configured origin (`context.origin`)
 * and follows redirects itself, dropping `Authorization` when a hop leaves
 * that origin and refusing `https:` → `http:` downgrades. Sets
 * `context.tokenHash` (for the rate limiter) to a short hash of the key.
 *
 * @example
 * ```ts
 * import { authMiddleware } from "./auth.ts";
 * import { compose } from "./types.ts";
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
      context.tokenHash = hash(key);
      const prefix = `${context.origin}/`;
      let sent: Promise<Response>;
      try {
        sent = followRedirects(next, request, context, {
          maxRedirects,
          authorize: (headers, url) => {
            // A serialized URL that starts with "origin/" has that origin: no parse needed.
            if (url.startsWith(prefix) || new URL(url).origin === context.origin) {
              headers.set("Authorization", `Bearer ${key}`);
            } else headers.delete("Authorization");
          },
        });
      } catch (error) {
        sent = Promise.reject(error);
      }
      return sent.then(
        (response) => response.status >= 400 ? scrubResponse(response, key) : response,
        (error: unknown) => {
          throw scrubSecret(error, key);
        },
      );
    };
    try {
      const key = resolveKey();
      return typeof key === "string" ? send(key) : key.then(send);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * Returns a function that yields the current API key (trimmed) or throws
 * `MissingApiKeyError`; a provider function is called on every use (its
 * promise is returned as such), the environment is read on every use, and a
 * key given as a string is checked once.
 */
export function apiKeyResolver(options: AuthOptions): () => string | Promise<string> {
  const { apiKey, provider, envVar } = options;
  const check = (raw: unknown): string => {
    const key = typeof raw === "string" ? raw.trim() : "";
    if (key.length === 0) throw new MissingApiKeyError(provider, envVar);
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
      const raw = apiKey();
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

const REDACTED = "[redacted]";

/**
 * Safety net for error responses (status ≥ 400), which end up in `ApiError`
 * messages, bodies and headers: a server that echoes the key gets it replaced
 * by `[redacted]`. Success responses are returned untouched.
 */
export async function scrubResponse(response: Response, secret: string): Promise<Response> {
  if (secret.length < 8) return response;
  let dirty = false;
  for (const [, value] of response.headers) if (value.includes(secret)) dirty = true;
  const text = await response.clone().text();
  if (!dirty && !text.includes(secret)) return response;
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    if (name !== "content-length") headers.append(name, value.split(secret).join(REDACTED));
  }
  return new Response(text.split(secret).join(REDACTED), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/**
 * Safety net: removes `secret` from the message and stack of `error` and of
 * every error in its `cause` chain (a runtime or a custom `fetch` may echo a
 * header value). Short strings are left alone: they would garble messages.
 */
export function scrubSecret(error: unknown, secret: string): unknown {
  if (secret.length < 8) return error;
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    for (const property of ["message", "stack"]) {
      const value: unknown = (current as Record<string, unknown>)[property];
      if (typeof value === "string" && value.includes(secret)) {
        try {
          Object.defineProperty(current, property, {
            value: value.split(secret).join(REDACTED),
            writable: true,
            configurable: true,
          });
        } catch {
          // A frozen error: nothing more we can do.
        }
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}
