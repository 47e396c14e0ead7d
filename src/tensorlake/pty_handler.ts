/**
 * `createPtyHandler`: the server half of a terminal in a web page. A `fetch`-style handler
 * (Workers, Deno.serve, Bun.serve, Hono, any `Request → Response` server) that creates a PTY
 * with the server's API key and answers the page only `{ sessionId, token }`: the page then
 * attaches with the token in the WebSocket URL, the one credential a browser can send
 * (`X-PTY-Token` is a header, and browsers' WebSockets send none). The API key never reaches
 * the page; the token opens only that one session.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { exhaustive } from "../util/exhaustive.ts";
import { assertRequiredOptions } from "../validate.ts";
import type { CreatePtyOptions } from "./pty.ts";
import type { TensorlakeSandbox } from "./sandbox.ts";

/** Options of {@link createPtyHandler}. */
export interface PtyHandlerOptions {
  /** The sandbox the PTYs start in (a handle of a `Tensorlake` client holding the API key). */
  sandbox: Pick<TensorlakeSandbox, "createPty">;
  /** What to start: fixed options, or a function of the request (e.g. the user's shell). */
  pty: CreatePtyOptions | ((request: Request) => CreatePtyOptions | Promise<CreatePtyOptions>);
  /**
   * Decides whether a request may open a terminal (your session cookie, your auth): `false`
   * answers 403. Default: every POST may. Every accepted request creates a PTY, so put your
   * own authentication here or in front of the handler.
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
}

/** The keys of {@link PtyHandlerOptions}: any other is refused. */
const PTY_HANDLER_KEYS = /* @__PURE__ */ exhaustive<keyof PtyHandlerOptions>()([
  "sandbox",
  "pty",
  "authorize",
]);

const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

/**
 * A handler for `POST` that creates a PTY and answers 201 `{ sessionId, token }` (with
 * `Cache-Control: no-store`); 405 for other methods, 403 when `authorize` says no, 502
 * `{ error, code }` when the PTY cannot be created (the error's name and code only: no
 * upstream text reaches the page).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPtyHandler, Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const tensorlake = new Tensorlake({ apiKey: "server-side-key", fetch: createEmulator().fetch });
 * const handler = createPtyHandler({
 *   sandbox: tensorlake.sandbox("my-sandbox"),
 *   pty: { command: "bash", cols: 100, rows: 30 },
 * });
 * const response = await handler(new Request("http://app.test/pty", { method: "POST" }));
 * assert.equal(response.status, 201);
 * const { sessionId, token } = await response.json();
 * assert.equal(typeof sessionId, "string");
 * assert.equal(typeof token, "string");
 * await tensorlake.sandbox("my-sandbox").killPty(sessionId);
 * ```
 */
export function createPtyHandler(
  options: PtyHandlerOptions,
): (request: Request) => Promise<Response> {
  assertRequiredOptions("options", options, PTY_HANDLER_KEYS, "{ sandbox, pty, authorize? }");
  const { sandbox, pty, authorize } = options;
  if (typeof sandbox?.createPty !== "function") {
    throw new InvalidArgumentError(
      "options.sandbox",
      sandbox,
      "must be a sandbox handle (tensorlake.sandbox(id))",
    );
  }
  if (typeof pty !== "function" && (typeof pty !== "object" || pty === null)) {
    throw new InvalidArgumentError("options.pty", pty, "must be CreatePtyOptions or a function");
  }
  if (authorize !== undefined && typeof authorize !== "function") {
    throw new InvalidArgumentError("options.authorize", authorize, "must be a function");
  }
  return async (request) => {
    if (request.method !== "POST") {
      return new Response(JSON.stringify({ error: "use POST", code: "METHOD_NOT_ALLOWED" }), {
        status: 405,
        headers: { ...JSON_HEADERS, allow: "POST" },
      });
    }
    if (authorize && !(await authorize(request))) {
      return new Response(JSON.stringify({ error: "forbidden", code: "FORBIDDEN" }), {
        status: 403,
        headers: JSON_HEADERS,
      });
    }
    try {
      const created = await sandbox.createPty(typeof pty === "function" ? await pty(request) : pty);
      return new Response(JSON.stringify({ sessionId: created.sessionId, token: created.token }), {
        status: 201,
        headers: JSON_HEADERS,
      });
    } catch (error) {
      const { name, code } = error as { name?: unknown; code?: unknown };
      return new Response(
        JSON.stringify({
          error: `could not create the terminal (${typeof name === "string" ? name : "Error"})`,
          ...(typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code) ? { code } : {}),
        }),
        { status: 502, headers: JSON_HEADERS },
      );
    }
  };
}
