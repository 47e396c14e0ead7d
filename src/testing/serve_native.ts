/**
 * `serve()` where `node:http` is missing: `Deno.serve` or `Bun.serve`, where
 * a `"reset"` fault can only cut the body short.
 *
 * @module
 */
import { isConnectionReset } from "./faults.ts";
import {
  type Bounds,
  concat,
  type FetchHandler,
  type ServedEmulator,
  TOO_LARGE,
  tooLarge,
} from "./_serve.ts";

interface DenoLike {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request) => Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}
interface BunLike {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number; stop(force?: boolean): Promise<void> | void };
}

function resetBody(): Response {
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.error(new TypeError("connection reset (emulated)"));
      },
    }),
  );
}

/** A request whose body is read up to `maxBytes`, or `TOO_LARGE` (reading stopped there). */
async function boundedRequest(
  request: Request,
  maxBytes: number,
): Promise<Request | typeof TOO_LARGE> {
  if (!request.body) return request;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) return TOO_LARGE;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    ...(size > 0 ? { body: concat(chunks, size) } : {}),
  });
}

/** Serves `handler` with `Deno.serve` or `Bun.serve`. */
export function serveNative(
  handler: FetchHandler,
  port: number,
  hostname: string,
  bounds: Bounds,
): ServedEmulator {
  const wrapped = async (incoming: Request) => {
    try {
      const request = await boundedRequest(incoming, bounds.maxBodyBytes);
      if (request === TOO_LARGE) {
        const head = new Request(incoming.url, {
          method: incoming.method,
          headers: incoming.headers,
        });
        const refused = tooLarge(handler, head, bounds.maxBodyBytes);
        refused.headers.set("connection", "close");
        return refused;
      }
      return await handler.fetch(request);
    } catch (error) {
      if (isConnectionReset(error)) return resetBody();
      throw error;
    }
  };
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno?.serve) {
    const server = deno.serve({ port, hostname, onListen() {} }, wrapped);
    const close = () => server.shutdown();
    const actual = server.addr.port;
    return { url: `http://${host}:${actual}`, port: actual, close, [Symbol.asyncDispose]: close };
  }
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (bun?.serve) {
    const server = bun.serve({ port, hostname, fetch: wrapped });
    const close = async () => {
      await server.stop(true);
    };
    return {
      url: `http://${host}:${server.port}`,
      port: server.port,
      close,
      [Symbol.asyncDispose]: close,
    };
  }
  throw new Error("serve(): this runtime has neither node:http, Deno.serve nor Bun.serve");
}
