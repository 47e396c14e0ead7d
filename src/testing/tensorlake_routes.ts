/**
 * Tensorlake sandbox-proxy PTY endpoints, answering as
 * `openapi/tensorlake.yaml` says; every error is a `SandboxProxyError`
 * `{ error, code }` (codes `INVALID_REQUEST`, `NOT_FOUND`, `TOO_MANY_SESSIONS`).
 *
 * @module
 */
import { isInteger, isObject, json, noContent, proxyError, randomToken, readJson } from "./http.ts";
import type { EmulatorState, PtySession, Sandbox } from "./state.ts";

/**
 * The lifecycle lookup `GET /v1/namespaces/{namespace}/sandboxes/{id}` (and the
 * documented cloud form `GET /sandboxes/{id}`, namespace `default`): what
 * Tensorlake's SDKs ask the API URL before reaching a sandbox they were not
 * given a proxy for, on a localhost API (tensorlakeai/tensorlake@ef3cf682, the
 * npm 0.5.89 release, crates/rust-cloud-sdk-node/src/sandbox.rs: namespaced
 * endpoints when the API URL's host is localhost or 127.0.0.1). Fields as
 * docs.tensorlake.ai/api-reference/v2/sandboxes/get lists them (`id`, `namespace`,
 * `status`, `created_at` ms, `resources`, `timeout_secs`,
 * `allow_unauthenticated_access`, `sandbox_url`, `ingress_endpoint`); their SDK
 * needs `namespace`, `status`, `resources.cpus`, `resources.memory_mb`
 * (crates/cloud-sdk/src/sandboxes/models.rs `SandboxInfo`) and routes through
 * `sandbox_url` (crates/cloud-sdk/src/sandboxes/mod.rs@cab3838 `select_sandbox_proxy_url`).
 *
 * `sandbox_url` points back at the emulator: on a loopback or IP host it is the
 * request's own origin (their clients then send `Host: {id}.local`); else
 * `{id}.` before the host, `api.` becoming `sandbox.`, as the cloud's per-sandbox
 * URLs look. Assumptions: every sandbox is `running`, resources are the docs'
 * defaults (1 CPU, 512 MB), and there is no `ingress_endpoint` on loopback.
 */
export function getSandbox(
  request: Request,
  sandbox: Sandbox,
  namespace: string,
  createdAt: number,
): Response {
  const url = new URL(request.url);
  const local = url.hostname === "localhost" || url.hostname.startsWith("[") ||
    /^\d{1,3}(\.\d{1,3}){3}$/.test(url.hostname);
  const ingress = local ? undefined : `${url.protocol}//${url.host.replace(/^api\./, "sandbox.")}`;
  return json({
    id: sandbox.id,
    namespace,
    status: "running",
    created_at: createdAt,
    resources: { cpus: 1, memory_mb: 512, ephemeral_disk_mb: 1024 },
    timeout_secs: 0,
    allow_unauthenticated_access: false,
    sandbox_url: ingress === undefined
      ? url.origin
      : `${url.protocol}//${sandbox.id}.${ingress.slice(url.protocol.length + 2)}`,
    ...(ingress === undefined ? {} : { ingress_endpoint: ingress }),
  });
}

/** What a Tensorlake route needs. */
export interface TensorlakeContext {
  request: Request;
  state: EmulatorState;
  sandbox: Sandbox;
  now: number;
  maxSessions: number;
}

function invalid(message: string): Response {
  return proxyError(400, message, "INVALID_REQUEST");
}

function notFound(sessionId: string): Response {
  return proxyError(404, `PTY session ${sessionId} not found`, "NOT_FOUND");
}

/** Tensorlake clamps rows to 1..500 and cols to 1..1000 (docs: pty/create, pty/resize). */
const MAX = { rows: 500, cols: 1000 } as const;

function dimension(value: unknown, field: "rows" | "cols", fallback?: number): number | string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!isInteger(value)) return `${field} must be an integer`;
  return Math.min(MAX[field], Math.max(1, value));
}

/** The documented session info (https://docs.tensorlake.ai/api-reference/v2/pty/get). */
function info(p: PtySession) {
  return {
    session_id: p.sessionId,
    pid: p.pid,
    command: p.command,
    args: [...p.args],
    rows: p.rows,
    cols: p.cols,
    created_at: p.createdAt,
    ended_at: p.endedAt,
    exit_code: p.exitCode,
    is_alive: p.endedAt === null,
    ...(p.oomKilled ? { oom_killed: true } : {}),
  };
}

/** `POST /api/v1/pty` → 201 `{ session_id, token }`. */
export async function createPty(ctx: TensorlakeContext): Promise<Response> {
  const body = await readJson(ctx.request);
  if (!body.ok) return invalid(`invalid JSON body: ${body.reason}`);
  if (!isObject(body.value)) return invalid("body must be a JSON object");
  const { command, args = [], env = {}, working_dir: workingDir, rows, cols } = body.value;
  if (typeof command !== "string" || command.length === 0) {
    return invalid("command must be a non-empty string");
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) {
    return invalid("args must be an array of strings");
  }
  if (!isObject(env) || !Object.values(env).every((v) => typeof v === "string")) {
    return invalid("env must be an object of strings");
  }
  if (workingDir !== undefined && typeof workingDir !== "string") {
    return invalid("working_dir must be a string");
  }
  const r = dimension(rows, "rows", 24);
  const c = dimension(cols, "cols", 80);
  if (typeof r === "string") return invalid(r);
  if (typeof c === "string") return invalid(c);
  if (ctx.sandbox.ptys.size >= ctx.maxSessions) {
    return proxyError(
      429,
      `too many PTY sessions: at most ${ctx.maxSessions} may exist at once`,
      "TOO_MANY_SESSIONS",
    );
  }
  const session: PtySession = {
    sessionId: ctx.state.id("pty-"),
    token: randomToken(),
    pid: 100 + ctx.sandbox.ptys.size + ctx.state.sandboxes.size,
    command,
    args: args as string[],
    env: env as Record<string, string>,
    workingDir: workingDir ?? null,
    rows: r,
    cols: c,
    createdAt: ctx.now,
    endedAt: null,
    exitCode: null,
    oomKilled: false,
  };
  ctx.sandbox.ptys.set(session.sessionId, session);
  return json({ session_id: session.sessionId, token: session.token }, 201);
}

/** `GET /api/v1/pty`. */
export function listPtys(ctx: TensorlakeContext): Response {
  return json({ sessions: [...ctx.sandbox.ptys.values()].map(info) });
}

/** `GET /api/v1/pty/{session_id}`. */
export function getPty(ctx: TensorlakeContext, sessionId: string): Response {
  const session = ctx.sandbox.ptys.get(sessionId);
  return session ? json(info(session)) : notFound(sessionId);
}

/** `DELETE /api/v1/pty/{session_id}` → 204. */
export function killPty(ctx: TensorlakeContext, sessionId: string): Response {
  return ctx.sandbox.ptys.delete(sessionId) ? noContent() : notFound(sessionId);
}

/** `POST /api/v1/pty/{session_id}/resize` → 204. */
export async function resizePty(ctx: TensorlakeContext, sessionId: string): Promise<Response> {
  const body = await readJson(ctx.request);
  if (!body.ok) return invalid(`invalid JSON body: ${body.reason}`);
  if (!isObject(body.value)) return invalid("body must be a JSON object");
  const r = dimension(body.value.rows, "rows");
  const c = dimension(body.value.cols, "cols");
  if (typeof r === "string") return invalid(r);
  if (typeof c === "string") return invalid(c);
  const session = ctx.sandbox.ptys.get(sessionId);
  if (!session) return notFound(sessionId);
  session.rows = r;
  session.cols = c;
  return noContent();
}
