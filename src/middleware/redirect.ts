/**
 * Follows HTTP redirects by hand (`redirect: "manual"`), so that every hop's
 * headers are decided here: the key goes only to the configured origin, and
 * an `https:` request is never redirected to plain `http:` (loopback aside).
 *
 * @module
 */
import { UnexpectedResponseError } from "../errors.ts";
import { deferredRequest } from "../http/outgoing.ts";
import { isLoopbackHost } from "../validate.ts";
import type { CallContext, Handler } from "./context.ts";

/** Options of {@link followRedirects}. */
export interface FollowRedirectsOptions {
  /** Hops followed before giving up. */
  maxRedirects: number;
  /** Sets or removes credentials on the headers of a request to `url` (serialized). */
  authorize(headers: Headers, url: string): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language"];

/**
 * Sends `request` through `next`, following redirects when the request asks
 * for it (`redirect: "follow"`, the default). 303 (and 301/302 after a POST)
 * continue as a `GET` without body, as browsers do; 307 and 308 resend the
 * same method and body. A request with `redirect: "manual"` or `"error"` is
 * sent once, with that mode.
 *
 * Each hop is one `Request` built from parts: the body bytes
 * (`context.body`, or `request` read once), the request's headers with
 * credentials decided by `authorize`, and the call's signal
 * (`context.signal`, else `request.signal`).
 *
 * Throws {@link UnexpectedResponseError} after `maxRedirects` hops, on an
 * `https:` → `http:` downgrade to a non-loopback host, on a non-HTTP target,
 * and when the runtime hides the redirect target (browsers' opaque redirects).
 */
export async function followRedirects(
  next: Handler,
  request: Request,
  context: CallContext,
  options: FollowRedirectsOptions,
): Promise<Response> {
  const follow = request.redirect === "follow";
  const signal = context.signal ?? request.signal;
  // The body, read once: every hop (and a 307/308 resend) gets the same bytes,
  // with a known length.
  let body = context.body !== undefined
    ? context.body
    : request.body === null
    ? null
    : await request.arrayBuffer();
  let method = request.method;
  let url = request.url;
  // The first hop is `request` with the body bytes, the call's signal, manual redirects
  // and a copy of its headers, on which credentials are then set. Deferred: sandgate's
  // own `fetch` hands these parts to the runtime's, which builds the one `Request`.
  let current = deferredRequest(request, {
    method,
    headers: new Headers(request.headers),
    body,
    signal,
    redirect: follow ? "manual" : request.redirect,
  });
  options.authorize(current.headers, url);

  for (let hop = 0;; hop++) {
    const response = await next(current, context);
    if (!follow) return response;
    if (response.type === "opaqueredirect") {
      throw fail(context, "the server redirected, and this runtime hides where to");
    }
    const location = REDIRECTS.has(response.status) ? response.headers.get("location") : null;
    if (location === null) return response;
    await response.body?.cancel().catch(() => {});
    if (hop >= options.maxRedirects) {
      throw fail(context, `more than ${options.maxRedirects} redirects`);
    }
    let target: URL;
    try {
      target = new URL(location, url);
    } catch {
      throw fail(context, "a redirect pointed to an invalid URL");
    }
    if (target.protocol !== "https:" && target.protocol !== "http:") {
      throw fail(context, `refused a redirect to a ${target.protocol} URL`);
    }
    if (
      url.startsWith("https:") && target.protocol === "http:" && !isLoopbackHost(target.hostname)
    ) {
      throw fail(context, `refused a redirect from https: to insecure ${target.origin}`);
    }
    const toGet = (response.status === 303 && method !== "GET" && method !== "HEAD") ||
      ((response.status === 301 || response.status === 302) && method === "POST");
    if (toGet) {
      method = "GET";
      body = null;
    }
    url = target.href;
    // Built from parts: some runtimes keep the original headers when the new ones are
    // empty, which would keep an `Authorization`. Credentials are set on the copy.
    current = deferredRequest(url, {
      method,
      headers: new Headers(request.headers),
      body,
      signal,
      redirect: "manual",
    });
    if (toGet) { for (const name of BODY_HEADERS) current.headers.delete(name); }
    options.authorize(current.headers, url);
  }
}

function fail(context: CallContext, reason: string): UnexpectedResponseError {
  return new UnexpectedResponseError(`${context.operation}: ${reason}`);
}
