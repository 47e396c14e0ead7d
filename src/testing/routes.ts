/**
 * The emulator's routes: every path both providers' APIs (and the SSH
 * gateway) answer, which API it belongs to, and who answers each method;
 * and the error shape of the provider a request addresses.
 *
 * @module
 */
import { authorize } from "./gateway_routes.ts";
import { primeError, proxyError } from "./http.ts";
import * as prime from "./prime_routes.ts";
import type { EmulatorState } from "./state.ts";
import * as tensorlake from "./tensorlake_routes.ts";
import type { FaultContext } from "./emulator_types.ts";

export type Api = FaultContext["api"];

/** What every route's handler gets. */
export interface RequestContext {
  request: Request;
  state: EmulatorState;
  now: number;
  /** Decoded path parameters. */
  params: readonly string[];
}

/** What the handler of a route addressed to one sandbox gets. */
export interface SandboxContext
  extends RequestContext, prime.PrimeContext, tensorlake.TensorlakeContext {
  /** Ends the emulated shell of a PTY session that was killed. */
  killTerminal(sessionId: string): void;
}

/** A route's handler per method: the methods it accepts. */
type Handlers<C> = Readonly<Record<string, (ctx: C) => Response | Promise<Response>>>;

/** A route: which API it belongs to, and who answers each method. */
type RouteSpec =
  | { api: Api; sandboxed: false; handlers: Handlers<RequestContext> }
  | { api: Api; sandboxed: true; handlers: Handlers<SandboxContext> };

/** Every route, by name. Routes of a sandbox are checked for auth, rate limit and sandbox first. */
const ROUTES = {
  // Not addressed by sandbox: "60 requests per 60 seconds per IP and token".
  exposeAll: {
    api: "primeintellect",
    sandboxed: false,
    handlers: { GET: (ctx) => prime.listAllExposures(ctx.state) },
  },
  // The SSH gateway: authorized by the session token, not the API key.
  authorize: {
    api: "gateway",
    sandboxed: false,
    handlers: { POST: (ctx) => authorize(ctx.request, ctx.state, ctx.params[0]!, ctx.params[1]!) },
  },
  // What Prime's SDK (VM guard) and CLI (status check) ask before anything else.
  sandbox: { api: "primeintellect", sandboxed: true, handlers: { GET: prime.getSandbox } },
  expose: {
    api: "primeintellect",
    sandboxed: true,
    handlers: { GET: prime.listExposures, POST: prime.exposePort },
  },
  exposure: {
    api: "primeintellect",
    sandboxed: true,
    handlers: { DELETE: (ctx) => prime.unexposePort(ctx, ctx.params[1]!) },
  },
  ssh: { api: "primeintellect", sandboxed: true, handlers: { POST: prime.createSshSession } },
  sshSession: {
    api: "primeintellect",
    sandboxed: true,
    handlers: { DELETE: (ctx) => prime.closeSession(ctx, ctx.params[1]!) },
  },
  // Tensorlake's lifecycle lookup on a localhost API URL (namespace, sandbox id).
  lifecycle: {
    api: "tensorlake",
    sandboxed: false,
    handlers: {
      GET: (ctx) => {
        const sandbox = ctx.state.sandbox(ctx.params[1]!, ctx.now);
        return sandbox
          ? tensorlake.getSandbox(ctx.request, sandbox, ctx.params[0]!, sandbox.createdAt)
          : proxyError(404, `sandbox ${ctx.params[1]} not found`, "SANDBOX_NOT_FOUND");
      },
    },
  },
  pty: {
    api: "tensorlake",
    sandboxed: true,
    handlers: { GET: tensorlake.listPtys, POST: tensorlake.createPty },
  },
  ptySession: {
    api: "tensorlake",
    sandboxed: true,
    handlers: {
      GET: (ctx) => tensorlake.getPty(ctx, ctx.params[0]!),
      DELETE: (ctx) => {
        const response = tensorlake.killPty(ctx, ctx.params[0]!);
        if (response.ok) ctx.killTerminal(ctx.params[0]!);
        return response;
      },
    },
  },
  resize: {
    api: "tensorlake",
    sandboxed: true,
    handlers: { POST: (ctx) => tensorlake.resizePty(ctx, ctx.params[0]!) },
  },
  ptyWs: {
    api: "tensorlake",
    sandboxed: true,
    // Without an upgrade (serve() and emulator.webSocket do the upgrade).
    handlers: {
      GET: () => proxyError(426, "this endpoint needs a WebSocket upgrade", "UPGRADE_REQUIRED"),
    },
  },
  tunnel: {
    api: "tensorlake",
    sandboxed: true,
    handlers: {
      GET: () => proxyError(426, "this endpoint needs a WebSocket upgrade", "UPGRADE_REQUIRED"),
    },
  },
} as const satisfies Record<string, RouteSpec>;

/** A matched route: its spec, name and decoded path parameters. */
export type Route = RouteSpec & { name: keyof typeof ROUTES; params: string[] };

function route(name: keyof typeof ROUTES, params: string[]): Route {
  return { ...ROUTES[name], name, params };
}

export function matchRoute(pathname: string): Route | undefined {
  const raw = pathname.replace(/\/+$/, "").split("/").slice(1);
  let parts: string[];
  try {
    parts = raw.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  const [a, b, c, d, e, f, g] = parts;
  if (a === "api" && b === "v1" && c === "sandbox" && d === "expose" && e === "all" && !f) {
    return route("exposeAll", []);
  }
  if (a === "api" && b === "v1" && c === "sandbox" && d) {
    if (e === undefined) return route("sandbox", [d]);
    if (e === "expose" && f === undefined) return route("expose", [d]);
    if (e === "expose" && f && g === undefined) return route("exposure", [d, f]);
    if (e === "ssh-session" && f === undefined) return route("ssh", [d]);
    if (e === "ssh-session" && f && g === undefined) return route("sshSession", [d, f]);
  }
  if (a === "api" && b === "v1" && c === "pty") {
    if (d === undefined) return route("pty", []);
    if (e === undefined) return route("ptySession", [d]);
    if (e === "resize" && f === undefined) return route("resize", [d]);
    if (e === "ws" && f === undefined) return route("ptyWs", [d]);
  }
  if (a === "api" && b === "v1" && c === "tunnels" && d === "tcp" && e === undefined) {
    return route("tunnel", []);
  }
  if (a === "v1" && b === "namespaces" && c && d === "sandboxes" && e && f === undefined) {
    return route("lifecycle", [c, e]);
  }
  // The documented cloud form (docs.tensorlake.ai/api-reference/v2/sandboxes/get), also what
  // their SDKs ask a non-localhost API URL; its namespace is assumed to be "default".
  if (a === "sandboxes" && b && c === undefined) return route("lifecycle", ["default", b]);
  if (a === "gateway" && b && c && d === "authorize" && e === undefined) {
    return route("authorize", [b, c]);
  }
  return undefined;
}

/**
 * Whether a request no route answers is meant for Tensorlake (its PTY, lifecycle
 * or other sandbox paths, a sandbox named by header or by a `{id}.local` /
 * `*.tensorlake.ai` host) rather than Prime Intellect, whose shape is the default.
 */
export function addressesTensorlake(pathname: string, host: string, headers?: Headers): boolean {
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  return headers?.has("x-tensorlake-sandbox-id") === true ||
    hostname.endsWith(".local") || hostname.endsWith("tensorlake.ai") ||
    /^\/(api\/v1\/(pty|processes|files|tunnels)|v1\/namespaces|sandboxes)(\/|$)/.test(pathname);
}

/**
 * The Tensorlake sandbox a request (REST or an upgrade) is for: the
 * `X-Tensorlake-Sandbox-Id` header, else the host's first label; an IP or
 * `localhost` without the header names `defaultSandbox`.
 */
export function tensorlakeSandboxName(request: Request, url: URL, defaultSandbox: string): string {
  const header = request.headers.get("x-tensorlake-sandbox-id");
  if (header) return header;
  return isLoopbackOrIp(url.hostname) ? defaultSandbox : url.hostname.split(".")[0]!;
}

function isLoopbackOrIp(hostname: string): boolean {
  return hostname === "localhost" || hostname.startsWith("[") ||
    /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * An error in the shape of the provider a request addresses: Tensorlake's
 * `SandboxProxyError { error, code }` (docs.tensorlake.ai/api-reference/v2/pty),
 * else Prime Intellect's FastAPI `{ detail }`. The codes `NOT_FOUND`,
 * `METHOD_NOT_ALLOWED` and `BAD_REQUEST` are assumptions: Tensorlake documents none
 * for these cases.
 */
export function providerError(
  tensorlakeShape: boolean,
  status: 400 | 404 | 405,
  headers?: Record<string, string>,
): Response {
  const [detail, code] = status === 404
    ? ["Not Found", "NOT_FOUND"]
    : status === 405
    ? ["Method Not Allowed", "METHOD_NOT_ALLOWED"]
    : ["Bad Request", "BAD_REQUEST"];
  return tensorlakeShape
    ? proxyError(status, detail.toLowerCase(), code, headers)
    : primeError(status, detail, headers);
}
