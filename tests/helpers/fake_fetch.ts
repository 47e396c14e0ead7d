/**
 * Test doubles for the high-level API tests: a recording `fetch` that answers
 * from a function, and seed-shaped response bodies.
 *
 * @module
 */
import {
  type Clock,
  PrimeIntellect,
  type PrimeIntellectClientOptions,
  Tensorlake,
  type TensorlakeOptions,
} from "../../mod.ts";

/** One request as {@linkcode recordingFetch} saw it. */
export interface Sent {
  /** The request itself (its body still unread: the recorder reads a clone). */
  request: Request;
  /** Method. */
  method: string;
  /** URL. */
  url: string;
  /** `Authorization` header, or null. */
  authorization: string | null;
  /** Body text ("" when none). */
  body: string;
  /** The clock's time when it was sent. */
  at: number;
}

/**
 * A `fetch` that records what it is sent and answers with `respond` (given the request and its
 * index); `clock` stamps each request's `at`. A request whose signal is already aborted is
 * recorded, then refused with the signal's reason, as a real `fetch` does.
 */
export function recordingFetch(
  respond: (request: Request, index: number) => Response | Promise<Response> = () =>
    Response.json({}),
  clock: Pick<Clock, "now"> = { now: Date.now },
) {
  const sent: Sent[] = [];
  const requests: Request[] = [];
  const bodies: unknown[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const body = await request.clone().text();
    const { method, url, headers } = request;
    sent.push({
      request,
      method,
      url,
      authorization: headers.get("authorization"),
      body,
      at: clock.now(),
    });
    requests.push(request);
    bodies.push(body === "" ? undefined : JSON.parse(body));
    if (request.signal.aborted) throw request.signal.reason;
    return await respond(request, sent.length - 1);
  };
  return { sent, requests, bodies, fetch };
}

/** Answers the responses in order, repeating the last one. */
export function sequence(...responses: (() => Response)[]) {
  let i = 0;
  return () => responses[Math.min(i++, responses.length - 1)]!();
}

/** A clock whose sleeps never end unless aborted. */
export const frozenClock: Clock = {
  now: () => 1_700_000_000_000,
  sleep: (_ms, signal) =>
    new Promise((_resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    }),
};

/** Options that keep the middleware out of the way of unit tests. */
const QUIET = { rateLimit: false, retry: false, clock: frozenClock } as const;

/** A Prime Intellect client over `fetch`. */
export function prime(
  fetch: (request: Request) => Promise<Response>,
  options: PrimeIntellectClientOptions = {},
): PrimeIntellect {
  return new PrimeIntellect({
    apiKey: "test-api-key",
    fetch: answeringLookups(fetch),
    ...QUIET,
    ...options,
  });
}

/**
 * Answers the sandbox lookup (`GET /api/v1/sandbox/{id}`) sandgate sends before the first
 * port or SSH call on a sandbox (to refuse VM sandboxes, as Prime's SDK does) with a running
 * container, so that `fetch` sees only the calls under test. Tests of the lookup itself use
 * the emulator or a fetch of their own.
 */
export function answeringLookups(
  fetch: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return (request) =>
    request.method === "GET" && /^\/api\/v1\/sandbox\/[^/]+$/.test(new URL(request.url).pathname)
      ? Promise.resolve(Response.json({ status: "RUNNING", vm: false }))
      : fetch(request);
}

/** A Tensorlake client over `fetch`. */
export function tensorlake(
  fetch: (request: Request) => Promise<Response>,
  options: TensorlakeOptions = {},
): Tensorlake {
  return new Tensorlake({ apiKey: "tl_apiKey_test", fetch, ...QUIET, ...options });
}

/** A seed-shaped `ExposePortResponse`. */
export function exposeBody(overrides: Record<string, unknown> = {}) {
  return {
    exposure_id: "exp-123",
    sandbox_id: "sb-1",
    port: 8000,
    name: "web",
    protocol: "HTTP",
    url: "https://exp-123.sandbox.primeintellect.ai",
    tls_socket: "exp-123.sandbox.primeintellect.ai:443",
    external_port: null,
    external_endpoint: null,
    ...overrides,
  };
}

/** A seed-shaped `UnexposePortResponse`. */
export function unexposeBody() {
  return { success: true, message: "Port unexposed" };
}

/** The SSH session token used in bodies: distinctive, to grep for leaks. */
export const SSH_TOKEN = "ssh-SECRET-token-9Zq7Wx3Lp5";
/** The PTY token used in bodies. */
export const PTY_TOKEN = "pty-SECRET-token-4Hb8Nc2Vm6";

/** A seed-shaped `SSHSessionResponse`. */
export function sshBody(overrides: Record<string, unknown> = {}) {
  return {
    session_id: "sess-abc",
    exposure_id: "exp-ssh-1",
    sandbox_id: "sb-1",
    host: "ssh.primeintellect.ai",
    port: 30022,
    external_endpoint: "ssh.primeintellect.ai:30022",
    expires_at: "2026-05-01T12:15:00Z",
    ttl_seconds: 900,
    gateway_url: "https://gateway.primeintellect.ai",
    user_ns: "user-ns-1",
    job_id: "job-42",
    token: SSH_TOKEN,
    ...overrides,
  };
}

/** A seed-shaped `PtySessionInfo`. */
/** A PTY session as https://docs.tensorlake.ai/api-reference/v2/pty/get documents it. */
export function ptyInfoBody(overrides: Record<string, unknown> = {}) {
  return {
    session_id: "pty-1",
    pid: 42,
    command: "bash",
    args: ["-l"],
    rows: 24,
    cols: 80,
    created_at: Date.parse("2026-05-01T12:00:00Z"),
    ended_at: null,
    exit_code: null,
    is_alive: true,
    ...overrides,
  };
}

/** A 404 `SandboxProxyError`, as seed 003 documents. */
export function ptyNotFound() {
  return Response.json({ error: "PTY session not found", code: "NOT_FOUND" }, { status: 404 });
}

/** A 204 with no body. */
export function noContent() {
  return new Response(null, { status: 204 });
}

/** A Prime Intellect-style 404 (FastAPI `detail`). */
export function primeNotFound() {
  return Response.json({ detail: "Exposure not found" }, { status: 404 });
}
