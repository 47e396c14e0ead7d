/**
 * A `Request` that is built only when something needs one. The pipeline
 * passes one call's request through several layers (openapi-fetch builds it,
 * the redirect/auth layer adds the key, the signal and the redirect mode);
 * each runtime `Request` costs 10–30 µs on Node (a controller, a signal
 * listener and a finalizer each), and `fetch` builds one more of its own from
 * whatever it is given. A {@link deferredRequest} keeps the URL and the init
 * instead, and {@link fetchArguments} hands them to `fetch` as they are, so a
 * call builds one `Request`, inside `fetch`, as a bare `fetch(url, init)` does.
 *
 * It is a `Request` to everyone else (`instanceof Request`): `url`, `method`,
 * `headers`, `signal` and `redirect` are read from the parts, and everything
 * else (the body, `clone()`, `text()`, …) from the real `Request`, built once,
 * on first use. A `fetch` other than sandgate's own gets the real one
 * ({@link realRequest}).
 *
 * @module
 */

/** The init of a {@link deferredRequest}: its headers already a `Headers` (checked at once). */
export type DeferredInit = RequestInit & { headers: Headers };

interface Parts {
  input: string | Request;
  init: DeferredInit;
}

let Deferred: (new (parts: Parts) => Request) | undefined;
const partsOf = new WeakMap<Request, Parts>();
const realOf = new WeakMap<Request, Request>();

/**
 * A request to `input` (a URL, or a request whose other fields `init` keeps)
 * with `init`, built as a runtime `Request` only on first use. A deferred
 * `input` not yet built is merged in (its init under `init`), so a chain of
 * them stays one `Request`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deferredRequest, fetchArguments } from "./outgoing.ts";
 * const request = deferredRequest("https://example.com/a", {
 *   method: "POST",
 *   headers: new Headers({ "content-type": "application/json" }),
 *   body: "{}",
 * });
 * assert.ok(request instanceof Request);
 * assert.equal(request.method, "POST");
 * assert.deepEqual(fetchArguments(request)[0], "https://example.com/a");
 * assert.equal(await request.text(), "{}"); // built now, once
 * ```
 */
export function deferredRequest(input: string | Request, init: DeferredInit): Request {
  const inner = typeof input === "string" ? undefined : partsOf.get(input);
  const parts = inner && !realOf.has(input as Request)
    ? { input: inner.input, init: { ...inner.init, ...init } }
    // Serialized as a `Request` would (and an invalid URL throws here, as it would).
    : { input: typeof input === "string" ? new URL(input).href : input, init };
  return new (deferredClass())(parts);
}

/**
 * What to call `fetch` with to send `request`: a deferred request's URL and
 * init (the runtime builds the one `Request`), otherwise the request itself.
 */
export function fetchArguments(request: Request): [string | Request, RequestInit?] {
  const parts = realOf.has(request) ? undefined : partsOf.get(request);
  return parts ? [parts.input, parts.init] : [realRequest(request)];
}

/** `request` as a runtime `Request`: a deferred one is built (once), any other is itself. */
export function realRequest(request: Request): Request {
  const parts = partsOf.get(request);
  if (!parts) return request;
  let real = realOf.get(request);
  if (!real) {
    real = new Request(parts.input, parts.init);
    realOf.set(request, real);
  }
  return real;
}

/**
 * The signal `request` was given: a runtime `Request`'s own, a deferred one's
 * (`undefined` when it was given none, where `request.signal` would make one).
 */
export function givenSignal(request: Request): AbortSignal | undefined {
  const parts = partsOf.get(request);
  if (!parts) return request.signal;
  const { input, init } = parts;
  return init.signal ?? (typeof input === "string" ? undefined : givenSignal(input));
}

/**
 * The class, defined on first use: touching the global `Request` at import
 * time makes Node 20 load its fetch implementation (~10 ms).
 */
function deferredClass(): new (parts: Parts) => Request {
  if (Deferred) return Deferred;
  const real = realRequest;
  const base = Request.prototype;
  class DeferredRequest {
    constructor(parts: Parts) {
      partsOf.set(this as unknown as Request, parts);
    }
    get url(): string {
      const { input } = parts(this);
      return typeof input === "string" ? input : input.url;
    }
    get method(): string {
      const { input, init } = parts(this);
      return init.method ?? (typeof input === "string" ? "GET" : input.method);
    }
    get headers(): Headers {
      return parts(this).init.headers;
    }
    get redirect(): RequestRedirect {
      const { input, init } = parts(this);
      return init.redirect ?? (typeof input === "string" ? "follow" : input.redirect);
    }
    get signal(): AbortSignal {
      const { input, init } = parts(this);
      // A request without one has its own that never aborts, made when asked for.
      return init.signal ??
        (typeof input === "string" ? (init.signal = new AbortController().signal) : input.signal);
    }
  }
  const own = Object.getOwnPropertyNames(DeferredRequest.prototype);
  // Everything else is the real request's, built on first use.
  for (const name of Object.getOwnPropertyNames(base)) {
    if (own.includes(name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(base, name)!;
    if (typeof descriptor.value === "function") {
      Object.defineProperty(DeferredRequest.prototype, name, {
        configurable: true,
        writable: true,
        value(this: Request, ...args: unknown[]) {
          const target = real(this) as unknown as Record<string, (...a: unknown[]) => unknown>;
          return target[name]!(...args);
        },
      });
    } else if (descriptor.get) {
      Object.defineProperty(DeferredRequest.prototype, name, {
        configurable: true,
        get(this: Request) {
          return (real(this) as unknown as Record<string, unknown>)[name];
        },
      });
    }
  }
  Object.setPrototypeOf(DeferredRequest.prototype, base);
  return Deferred = DeferredRequest as unknown as new (parts: Parts) => Request;
}

function parts(request: unknown): Parts {
  return partsOf.get(request as Request)!;
}
