/**
 * Test doubles shared by the middleware tests: a recording fake `fetch` and a
 * call context.
 *
 * @module
 */
import type { CallContext } from "../../src/middleware/context.ts";
import type { Clock } from "../../src/util/clock.ts";

/** One request as the fake fetch saw it. */
export interface Sent {
  /** The request itself (body already read into `body`). */
  request: Request;
  /** Method. */
  method: string;
  /** URL. */
  url: string;
  /** `Authorization` header, or null. */
  authorization: string | null;
  /** Body text ("" when none). */
  body: string;
  /** Clock time it was sent at. */
  at: number;
}

/** A fake `fetch` recording what it is sent and answering with `respond`. */
export function recordingFetch(
  clock: Clock,
  respond: (sent: Sent, index: number) => Response | Promise<Response> = () => Response.json({}),
) {
  const sent: Sent[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const entry: Sent = {
      request,
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization"),
      body: request.body ? await request.text() : "",
      at: clock.now(),
    };
    sent.push(entry);
    return respond(entry, sent.length - 1);
  };
  return { sent, fetch };
}

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
