/**
 * Test doubles shared by the middleware tests: a call context, a settled promise, the expose
 * paths and answer. The recording `fetch` is the shared one of `tests/helpers/fake_fetch.ts`.
 *
 * @module
 */
import type { CallContext } from "../../src/middleware/context.ts";

/** A call context for unit tests of single middleware. */
export function context(overrides: Partial<CallContext> = {}): CallContext {
  return {
    provider: "primeintellect",
    operation: "exposePort",
    sandboxId: "sb-1",
    origin: "https://api.example.com",
    attempt: 1,
    tokenHash: "0123456789ab",
    ...overrides,
  };
}

/** Settles `promise` into a result the test can inspect later without unhandled rejections. */
export function settle<T>(
  promise: Promise<T>,
): { readonly done: boolean; readonly value?: T; readonly error?: unknown } {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

/** The sandbox expose path of the Prime Intellect low-level client. */
export const EXPOSE = "/api/v1/sandbox/{sandbox_id}/expose" as const;
/** The unexpose path. */
export const UNEXPOSE = "/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}" as const;

/** A valid expose-port answer. */
export function exposed(sandboxId = "sb-1"): Response {
  return Response.json({
    exposure_id: "e1",
    sandbox_id: sandboxId,
    port: 8000,
    protocol: "HTTP",
    url: "https://x.example",
    tls_socket: "x:443",
  });
}
