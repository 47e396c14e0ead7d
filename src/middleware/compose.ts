/**
 * Stacks middleware into one handler, and owns their error handling once (as
 * hono's `compose.ts` does): a middleware, or the terminal handler, that
 * throws synchronously rejects the call instead, so no layer needs a
 * `try { next() } catch` guard of its own.
 *
 * @module
 */
import type { Handler, Middleware } from "./context.ts";

/**
 * Stacks middleware around a terminal handler; the first middleware is the
 * outermost, so it sees the call before and after all the others. Every
 * layer is guarded: a synchronous throw becomes a rejected promise.
 *
 * @example
 * ```ts
 * import { compose } from "./compose.ts";
 * import type { Middleware } from "./context.ts";
 * const log: Middleware = (next) => (request, context) => {
 *   console.log(request.method, request.url);
 *   return next(request, context);
 * };
 * const context = {
 *   provider: "primeintellect" as const,
 *   operation: "demo",
 *   sandboxId: "sb",
 *   origin: "https://example.com",
 *   attempt: 1,
 *   tokenHash: "",
 * };
 * const handler = compose([log], () => Promise.resolve(new Response("ok")));
 * console.log(await (await handler(new Request("https://example.com/"), context)).text()); // ok
 *
 * // A synchronous throw anywhere in the stack is a rejection, not an exception.
 * const broken = compose([log], () => {
 *   throw new Error("boom");
 * });
 * const settled = broken(new Request("https://example.com/"), context);
 * await settled.catch((error) => console.log(error.message)); // boom
 * ```
 */
export function compose(middleware: readonly Middleware[], terminal: Handler): Handler {
  let handler = guard(terminal);
  for (let i = middleware.length - 1; i >= 0; i--) handler = guard(middleware[i]!(handler));
  return handler;
}

function guard(handler: Handler): Handler {
  return (request, context) => {
    try {
      return handler(request, context);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
