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

/** What the module's functions need of the class, defined on first use. */
interface DeferredClass {
  new (input: string | Request, init: DeferredInit): Request;
  /** A deferred request's parts while it is not built; `undefined` for any other request. */
  parts(request: Request): [string | Request, DeferredInit] | undefined;
  /** A deferred request, built (once); any other request as it is. */
  build(request: Request): Request;
  /** A deferred request's URL, parsed once; `undefined` for any other request. */
  parsedUrl(request: Request): URL | undefined;
  /** A deferred request's given signal (or its input's); `null` for any other request. */
  given(request: Request): AbortSignal | undefined | null;
}

let Deferred: DeferredClass | undefined;

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
  const D = deferredClass();
  const inner = typeof input === "string" ? undefined : D.parts(input);
  return inner ? new D(inner[0], { ...inner[1], ...init }) : new D(input, init);
}

/**
 * What to call `fetch` with to send `request`: a deferred request's URL and
 * init (the runtime builds the one `Request`), otherwise the runtime request.
 */
export function fetchArguments(request: Request): [string | Request, RequestInit?] {
  return Deferred?.parts(request) ?? [realRequest(request)];
}

/** `request` as a runtime `Request`: a deferred one is built (once), any other is itself. */
export function realRequest(request: Request): Request {
  return Deferred ? Deferred.build(request) : request;
}

/** `request`'s URL, parsed: a deferred request's is parsed once. */
export function urlOf(request: Request): URL {
  return Deferred?.parsedUrl(request) ?? new URL(request.url);
}

/**
 * The signal `request` was given: a runtime `Request`'s own, a deferred one's
 * (`undefined` when it was given none, where `request.signal` would make one).
 */
export function givenSignal(request: Request): AbortSignal | undefined {
  const given = Deferred ? Deferred.given(request) : null;
  return given === null ? request.signal : given;
}

/**
 * The class, defined on first use: touching the global `Request` at import
 * time makes Node 20 load its fetch implementation (~10 ms). State lives in
 * private fields (no side tables).
 */
function deferredClass(): DeferredClass {
  if (Deferred) return Deferred;
  const base = Request.prototype;
  class DeferredRequest {
    #input: string | Request;
    #init: DeferredInit;
    #url: URL | undefined;
    #real: Request | undefined;
    constructor(input: string | Request, init: DeferredInit) {
      this.#input = input;
      this.#init = init;
    }
    static parts(request: object): [string | Request, DeferredInit] | undefined {
      if (!(#input in request) || request.#real) return undefined;
      return [request.#url?.href ?? request.#input, request.#init];
    }
    static build(request: object): Request {
      if (!(#input in request)) return request as Request;
      return request.#real ??= new Request(request.#url?.href ?? request.#input, request.#init);
    }
    static parsedUrl(request: object): URL | undefined {
      if (!(#input in request)) return undefined;
      const input = request.#input;
      // Parsed as a `Request` would (an invalid URL throws, as it would).
      return request.#url ??= new URL(typeof input === "string" ? input : input.url);
    }
    static given(request: object): AbortSignal | undefined | null {
      if (!(#input in request)) return null;
      const input = request.#input;
      return request.#init.signal ?? (typeof input === "string" ? undefined : givenSignal(input));
    }
    get url(): string {
      return DeferredRequest.parsedUrl(this)!.href;
    }
    get method(): string {
      const input = this.#input;
      return this.#init.method ?? (typeof input === "string" ? "GET" : input.method);
    }
    get headers(): Headers {
      return this.#init.headers;
    }
    get redirect(): RequestRedirect {
      const input = this.#input;
      return this.#init.redirect ?? (typeof input === "string" ? "follow" : input.redirect);
    }
    get signal(): AbortSignal {
      const input = this.#input;
      // A request without one has its own that never aborts, made when asked for.
      return this.#init.signal ??
        (typeof input === "string"
          ? (this.#init.signal = new AbortController().signal)
          : input.signal);
    }
  }
  const own = Object.getOwnPropertyNames(DeferredRequest.prototype);
  const build = (request: unknown) =>
    DeferredRequest.build(request as object) as unknown as Record<string, unknown>;
  // Everything else is the real request's, built on first use.
  for (const name of Object.getOwnPropertyNames(base)) {
    if (own.includes(name)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(base, name)!;
    if (typeof descriptor.value === "function") {
      Object.defineProperty(DeferredRequest.prototype, name, {
        configurable: true,
        writable: true,
        value(this: unknown, ...args: unknown[]) {
          const real = build(this);
          return (real[name] as (...a: unknown[]) => unknown).apply(real, args);
        },
      });
    } else if (descriptor.get) {
      Object.defineProperty(DeferredRequest.prototype, name, {
        configurable: true,
        get(this: unknown) {
          return build(this)[name];
        },
      });
    }
  }
  Object.setPrototypeOf(DeferredRequest.prototype, base);
  return Deferred = DeferredRequest as unknown as DeferredClass;
}
