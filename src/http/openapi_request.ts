/**
 * What the pipeline hands openapi-fetch so that a call costs what a bare
 * `fetch` does: a `Request` stand-in that remembers the serialized body
 * (the pipeline never reads the stream back) and, unless a caller's own
 * openapi-fetch middleware needs runtime `Request`s, builds a deferred one
 * (./outgoing.ts: one runtime `Request` per call, inside `fetch`); and the
 * path serializer of plain `{name}` templates.
 *
 * @module
 */
import { defaultPathSerializer } from "openapi-fetch";
import type { CallContext } from "../middleware/context.ts";
import { carried, carry, deferredRequest } from "./outgoing.ts";

/**
 * openapi-fetch's default path serialization for string parameters in plain
 * `{name}` templates (every path of both APIs), without its per-call regular
 * expression; anything else (label, matrix, explode, non-string values) goes
 * to {@link defaultPathSerializer}.
 */
export function simplePathSerializer(
  pathname: string,
  pathParams: Record<string, unknown>,
): string {
  let url = pathname;
  for (const name in pathParams) {
    const value = pathParams[name];
    if (typeof value !== "string") return defaultPathSerializer(pathname, pathParams);
    const template = `{${name}}`;
    // An encoded value holds no brace, so this ends.
    for (let at = url.indexOf(template); at !== -1; at = url.indexOf(template)) {
      url = url.slice(0, at) + encodeURIComponent(value) + url.slice(at + template.length);
    }
  }
  return /\{[.;]|\*\}/.test(url) ? defaultPathSerializer(pathname, pathParams) : url;
}

/** What the pipeline keeps with a deferred request of its own: its body, then its call. */
export interface Carried {
  body: string | null;
  context?: CallContext;
}

/** Bodies as openapi-fetch serialized them (`null`: none), keyed by the Request built from them. */
const serializedBodies = new WeakMap<Request, string | null>();

/**
 * The body openapi-fetch serialized for `request` (`null`: none), or
 * `undefined` when it is not one of the stand-in's (read its stream then).
 */
export function serializedBody(request: Request): string | null | undefined {
  const own = carried<Carried>(request);
  return own ? own.body : serializedBodies.get(request);
}

/**
 * The `Request` "class" handed to openapi-fetch: remembers the string body,
 * so the pipeline need not read the stream back, and builds a deferred
 * request (one `Request` per call, inside `fetch`) unless `real()` says a
 * runtime one is needed. A function, not `class extends Request`: touching
 * the global `Request` at import time makes Node 20 load its fetch
 * implementation (~10 ms) on import.
 */
export function requestClass(real: () => boolean): typeof Request {
  const construct = function (input: RequestInfo | URL, init?: RequestInit): Request {
    const body = init?.body;
    if (typeof input === "string" && (body == null || typeof body === "string") && !real()) {
      const headers = init?.headers;
      const request = deferredRequest(input, {
        ...init,
        headers: headers instanceof Headers ? headers : new Headers(headers),
      });
      carry(request, { body: body ?? null } satisfies Carried);
      return request;
    }
    const request = new Request(input, init);
    if (typeof body === "string") serializedBodies.set(request, body);
    return request;
  } as unknown as typeof Request;
  // openapi-fetch checks a middleware's returned request with `instanceof` this "class".
  Object.defineProperty(construct, Symbol.hasInstance, {
    value: (value: unknown) => value instanceof Request,
  });
  return construct;
}
