// Hostile servers for the CLI tests: a proxy on 127.0.0.1 in front of a served emulator that
// rewrites the answers (server-sent strings with terminal escapes, odd values), so that the
// CLI meets what a server it does not control may send.
import { serve, type ServedEmulator } from "../../src/testing/mod.ts";

/**
 * What a hostile server appends to strings: OSC 52 (sets the clipboard), clear screen, an OSC 8
 * hyperlink, a window title, a C1 CSI, DEL, bidi overrides and isolates, zero-width characters,
 * a BOM, a line separator, an astral format character, and a line break.
 */
export const HOSTILE =
  "\x1b]52;c;aGFja2Vk\x07\x1b[2J\x1b]8;;https://evil.test/\x1b\\link\x1b]8;;\x1b\\" +
  "\x1b]0;pwned\x07\x9b31m\x7f\u202e\u2066\u200b\u200f\ufeff\u2028\u{e0001}\r\nX";

/** Every character the CLI must never print raw (in text or in JSON), but a line break. */
export const RAW_CONTROL = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** Rewrites a JSON answer: `edit(key, value)` for every field that is not an object, at any depth. */
export type Edit = (key: string, value: unknown, request: Request) => unknown;

function rewrite(value: unknown, edit: Edit, request: Request, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, edit, request, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, rewrite(v, edit, request, k)]),
    );
  }
  return edit(key, value, request);
}

/**
 * A proxy to `upstream` that rewrites JSON answers with `edit`; `answer` may answer a request
 * itself instead (return `undefined` to forward it).
 */
export function hostileProxy(
  upstream: string,
  edit: Edit,
  answer: (request: Request) => Response | Promise<Response> | undefined = () => undefined,
): Promise<ServedEmulator> {
  return serve({
    async fetch(request) {
      const own = answer(request);
      if (own) return own;
      const url = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD"
        ? undefined
        : await request.arrayBuffer();
      const headers = new Headers(request.headers);
      headers.delete("host");
      const response = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      if (!(response.headers.get("content-type") ?? "").includes("json")) return response;
      const data = await response.json();
      return Response.json(rewrite(data, edit, request), { status: response.status });
    },
  });
}
