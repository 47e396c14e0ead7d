/**
 * The fixed answer both benchmark servers (loopback and in-process) give.
 *
 * @module
 */

const BODY = JSON.stringify({
  exposure_id: "exp-0123456789",
  sandbox_id: "sb-bench",
  port: 8080,
  name: null,
  protocol: "HTTP",
  url: "https://sb-bench-8080.example.test",
  tls_socket: "sb-bench-8080.example.test:443",
  external_port: null,
  external_endpoint: null,
});

/**
 * A 200 `ExposePortResponse` (or 404 for any other path).
 *
 * @example
 * ```ts
 * import { exposeResponse } from "./fixtures.ts";
 * console.log(exposeResponse("/api/v1/sandbox/sb/expose").status); // 200
 * ```
 */
export function exposeResponse(pathname: string): Response {
  if (!pathname.endsWith("/expose")) return new Response("not found", { status: 404 });
  return new Response(BODY, { status: 200, headers: { "content-type": "application/json" } });
}

/**
 * An in-process handler standing in for the server: reads the body, answers.
 *
 * @example
 * ```ts
 * import { inProcessFetch } from "./fixtures.ts";
 * const res = await inProcessFetch(new Request("http://x/api/v1/sandbox/s/expose", { method: "POST" }));
 * console.log(res.status); // 200
 * ```
 */
export async function inProcessFetch(request: Request): Promise<Response> {
  await request.arrayBuffer();
  return exposeResponse(new URL(request.url).pathname);
}
