/**
 * `createEmulator`: both providers' gateway endpoints in one in-memory
 * `fetch` handler, with auth, a server-side rate limit and seeded faults.
 *
 * @module
 */
import {
  connectionReset,
  corruptBody,
  decideFault,
  faultResponse,
  isBeforeEffect,
  isConnectionReset,
  slowBody,
} from "./faults.ts";
import { systemClock } from "../util/clock.ts";
import { bearerToken, json, primeError, proxyError } from "./http.ts";
import { ServerRateLimiter } from "./server_limits.ts";
import {
  type AcceptsSshEndpoints,
  SshEndpointLimitError,
  type SshEndpoints,
  USE_SSH_ENDPOINTS,
} from "./ssh_endpoints.ts";
import { exposureRequest, proxyToService, servedExposureUrl } from "./exposure_gateway.ts";
import { EmulatorState } from "./state.ts";
import {
  addressesTensorlake,
  matchRoute,
  providerError,
  type RequestContext,
  type Route,
} from "./routes.ts";
import { MemoryWebSocket } from "./memory_websocket.ts";
import {
  type AcceptsTcpEndpoints,
  acceptTunnel,
  normalizeServices,
  type TcpEndpoints,
  USE_TCP_ENDPOINTS,
} from "./tcp_services.ts";
import { PtyTerminal } from "./pty_shell.ts";
import type {
  Emulator,
  EmulatorClock,
  EmulatorOptions,
  EmulatorStats,
  FaultContext,
  WebSocketAccept,
} from "./emulator_types.ts";

function isLoopbackOrIp(hostname: string): boolean {
  return hostname === "localhost" || hostname.startsWith("[") ||
    /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

function emptyStats(): EmulatorStats {
  return {
    requests: 0,
    served: 0,
    rateLimited: 0,
    overLimit: 0,
    faults: 0,
    faultsByKind: {},
    byStatus: {},
  };
}

/**
 * Creates an in-memory emulator of the Prime Intellect gateway and the
 * Tensorlake sandbox proxy. Its bound `fetch` can be passed straight to a
 * client as its `fetch` option, exported as a Workers-style handler, or put
 * on a real port with `serve()`.
 *
 * A Tensorlake sandbox is named by the `X-Tensorlake-Sandbox-Id` header (what
 * Tensorlake's SDKs send to a proxy other than a local one), else by the first
 * label of the request's host (`abc.sandbox.tensorlake.ai` → `abc`; `Host:
 * abc.local`, what they send to a proxy on `127.0.0.1`); IP addresses and
 * `localhost` without the header name `options.defaultSandbox` (`"default"`).
 *
 * @example Drive a client in-process
 * ```ts
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator({ apiKeys: ["test-key"] });
 * const client = createPrimeIntellectClient({ apiKey: "test-key", fetch: emulator.fetch });
 * const { data } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
 *   params: { path: { sandbox_id: "sb-1" } },
 *   body: { port: 8000 },
 * });
 * console.log(data?.url, emulator.live().exposures); // https://8000-sb-1.emulator.sandgate.invalid 1
 * ```
 *
 * @example Deterministic faults and a fake clock
 * ```ts
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * let now = 0;
 * const emulator = createEmulator({
 *   seed: 42,
 *   clock: { now: () => now },
 *   faults: { rate: 0.3, kinds: ["503", "reset"] },
 *   rateLimit: { limit: 5, windowMs: 1000 },
 * });
 * now += 1000;
 * console.log(emulator.stats.requests); // 0
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const clock: EmulatorClock = options.clock ?? { now: () => Date.now() };
  const sleep = (ms: number, signal?: AbortSignal) =>
    clock.sleep ? clock.sleep(ms, signal) : systemClock.sleep(ms, signal);
  const seed = options.seed ?? 1;
  const apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined;
  const defaultSandbox = options.defaultSandbox ?? "default";
  const maxPtySessions = options.maxPtySessions ?? 64;
  const services = normalizeServices(options.services);
  const rateOptions = options.rateLimit === false ? undefined : options.rateLimit ?? {};
  const enforce = rateOptions?.enforce ?? true;
  // An explicit limit or window is one budget for every route (both providers);
  // otherwise each Prime Intellect route gets the budget its docs page states and the
  // Tensorlake proxy, which documents none, has none.
  const custom = rateOptions !== undefined &&
    (rateOptions.limit !== undefined || rateOptions.windowMs !== undefined);
  const limiter = rateOptions && custom
    ? new ServerRateLimiter(rateOptions.limit ?? 20, rateOptions.windowMs ?? 60_000, enforce)
    : undefined;
  const documented = rateOptions && !custom
    ? {
      writes: new ServerRateLimiter(20, 60_000, enforce),
      list: new ServerRateLimiter(60, 60_000, enforce),
      listAll: new ServerRateLimiter(60, 60_000, enforce),
      // https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint: 300 / 60 s.
      get: new ServerRateLimiter(300, 60_000, enforce),
    }
    : undefined;
  /** The limiter of a route: Prime's documented per-endpoint budgets, or the custom one. */
  const limiterOf = (route: Route, method: string): ServerRateLimiter | undefined => {
    if (limiter) return limiter;
    if (!documented || route.api !== "primeintellect") return undefined;
    if (route.name === "exposeAll") return documented.listAll;
    if (route.name === "sandbox") return documented.get;
    return route.name === "expose" && method === "GET" ? documented.list : documented.writes;
  };

  let state = new EmulatorState(options.sandboxes);
  let index = 0;
  let sshEndpoints: SshEndpoints | undefined;
  let tcpEndpoints: TcpEndpoints | undefined;
  /** Closes the loopback listeners of TCP exposures that are gone. */
  const retainTcpEndpoints = () => {
    if (!tcpEndpoints) return;
    const live = new Set<string>();
    for (const sandbox of state.sandboxes.values()) {
      for (const id of sandbox.exposures.keys()) live.add(id);
      for (const id of sandbox.sshSessions.keys()) live.add(`ssh:${id}`);
    }
    tcpEndpoints.retain(live);
  };
  /** Closes the loopback endpoints of SSH sessions that ended (closed, unexposed, expired). */
  const retainSshEndpoints = () => {
    if (!sshEndpoints) return;
    const live = new Set<string>();
    for (const sandbox of state.sandboxes.values()) {
      for (const id of sandbox.sshSessions.keys()) live.add(id);
    }
    sshEndpoints.retain(live);
  };
  /**
   * Opens a session's endpoint once the ones of ended sessions are closed (they count to the
   * cap). With a service on port 22 (a real sshd), the endpoint relays to it instead of greeting.
   */
  const openSshEndpoint = (sessionId: string, ttlMs?: number) => {
    retainSshEndpoints();
    if (tcpEndpoints && services.has(22)) return tcpEndpoints.open(`ssh:${sessionId}`, 22);
    return sshEndpoints!.open(sessionId, ttlMs);
  };
  // The emulated shells, by sandbox and session id, created on first attach.
  const terminals = new Map<string, PtyTerminal>();
  const terminalKey = (sandbox: string, session: string) => `${sandbox}\u0000${session}`;
  function killTerminal(sandbox: string, session: string): void {
    const key = terminalKey(sandbox, session);
    terminals.get(key)?.kill();
    terminals.delete(key);
  }

  /**
   * The Tensorlake sandbox a request (REST or the PTY upgrade) is for: the
   * `X-Tensorlake-Sandbox-Id` header, else the host's first label; an IP or
   * `localhost` without the header names `defaultSandbox`.
   */
  function tensorlakeSandboxName(request: Request, url: URL): string {
    const header = request.headers.get("x-tensorlake-sandbox-id");
    if (header) return header;
    return isLoopbackOrIp(url.hostname) ? defaultSandbox : url.hostname.split(".")[0]!;
  }

  /**
   * The PTY WebSocket upgrade (https://docs.tensorlake.ai/api-reference/v2/pty/websocket):
   * token from `X-PTY-Token` or `?token=`; 404 `SESSION_NOT_FOUND`, 403 `INVALID_TOKEN`.
   * Assumption: a bearer token is checked when sent (browsers cannot send one).
   */
  function acceptWebSocket(
    request: Request,
  ): Response | WebSocketAccept | Promise<Response | WebSocketAccept> {
    const url = new URL(request.url);
    const route = matchRoute(url.pathname);
    if (route?.name === "tunnel") return acceptTunnelSocket(request, url);
    if (!route || route.name !== "ptyWs") {
      return providerError(addressesTensorlake(url.pathname, url.host, request.headers), 404);
    }
    const bearer = bearerToken(request);
    if (bearer !== undefined && apiKeys && !apiKeys.has(bearer)) {
      return proxyError(401, "missing or invalid bearer token", "UNAUTHORIZED");
    }
    const sandboxName = tensorlakeSandboxName(request, url);
    state.expire(clock.now());
    const sandbox = state.sandbox(sandboxName);
    if (!sandbox) {
      return proxyError(404, `sandbox ${sandboxName} not found`, "SANDBOX_NOT_FOUND");
    }
    const sessionId = route.params[0]!;
    const session = sandbox.ptys.get(sessionId);
    if (!session) {
      return proxyError(404, `PTY session ${sessionId} not found`, "SESSION_NOT_FOUND");
    }
    const token = request.headers.get("x-pty-token") ?? url.searchParams.get("token");
    if (token !== session.token) return proxyError(403, "invalid PTY token", "INVALID_TOKEN");
    const key = terminalKey(sandbox.id, sessionId);
    let terminal = terminals.get(key);
    if (!terminal) {
      terminal = new PtyTerminal(session);
      // The session's info tells of the exit, as Tensorlake's get/list do
      // (docs.tensorlake.ai/api-reference/v2/pty/get: is_alive, exit_code, ended_at).
      terminal.onExit = (code) => {
        session.exitCode = code;
        session.endedAt = clock.now();
      };
      terminals.set(key, terminal);
    }
    const attached = terminal;
    return (peer) => attached.connect(peer);
  }
  /**
   * The TCP tunnel upgrade (https://docs.tensorlake.ai/api-reference/v2/tunnels/tcp):
   * 401 without a bearer token, 400 for a missing, invalid or zero `port`, 502 when
   * nothing accepts on that port (no declared service, or it refused).
   */
  async function acceptTunnelSocket(
    request: Request,
    url: URL,
  ): Promise<Response | WebSocketAccept> {
    const bearer = bearerToken(request);
    if (bearer === undefined || (apiKeys && !apiKeys.has(bearer))) {
      return proxyError(401, "missing or invalid bearer token", "UNAUTHORIZED");
    }
    const sandboxName = tensorlakeSandboxName(request, url);
    if (!state.sandbox(sandboxName)) {
      return proxyError(404, `sandbox ${sandboxName} not found`, "SANDBOX_NOT_FOUND");
    }
    const portText = url.searchParams.get("port") ?? "";
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      return proxyError(400, "port must be an integer from 1 to 65535", "INVALID_PORT");
    }
    const service = services.get(port);
    const accept = service ? await acceptTunnel(service) : undefined;
    return accept ??
      proxyError(502, `nothing accepted the connection on 127.0.0.1:${port}`, "BAD_GATEWAY");
  }
  const stats = emptyStats();

  function count(response: Response): Response {
    const key = String(response.status);
    stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
    return response;
  }

  async function handle(
    request: Request,
    url: URL,
    route: Route | undefined,
    now: number,
  ): Promise<Response> {
    if (!route) {
      return providerError(addressesTensorlake(url.pathname, url.host, request.headers), 404);
    }
    const { method } = request;
    if (!Object.hasOwn(route.handlers, method)) {
      const allow = Object.keys(route.handlers).join(", ");
      return providerError(route.api === "tensorlake", 405, { allow });
    }
    state.expire(now);
    const isPrime = route.api === "primeintellect";
    const base: RequestContext = { request, state, now, params: route.params };
    const token = bearerToken(request);
    if (route.api !== "gateway" && (!token || (apiKeys && !apiKeys.has(token)))) {
      return isPrime
        ? primeError(401, "Unauthorized")
        : proxyError(401, "missing or invalid bearer token", "UNAUTHORIZED");
    }
    const sandboxName = !route.sandboxed
      ? "*"
      : isPrime
      ? route.params[0]!
      : tensorlakeSandboxName(request, url);
    const routeLimiter = route.api === "gateway" ? undefined : limiterOf(route, method);
    if (routeLimiter) {
      const admission = routeLimiter.admit(`${route.api}\u0000${token}\u0000${sandboxName}`, now);
      if (!admission.allowed) {
        stats.rateLimited += 1;
        const headers = { "retry-after": String(admission.retryAfterSeconds) };
        return isPrime
          ? primeError(429, "Rate limit exceeded", headers)
          : proxyError(429, "rate limit exceeded", "RATE_LIMITED", headers);
      }
      if (admission.over) stats.overLimit += 1;
    }
    stats.served += 1;
    if (!route.sandboxed) return await route.handlers[method]!(base);
    const sandbox = state.sandbox(sandboxName, now);
    if (!sandbox) {
      return isPrime
        ? primeError(404, "Sandbox not found")
        : proxyError(404, `sandbox ${sandboxName} not found`, "SANDBOX_NOT_FOUND");
    }
    try {
      return await route.handlers[method]!({
        ...base,
        sandbox,
        gatewayUrl: options.gatewayUrl ?? `${url.origin}/gateway`,
        sshEndpoint: sshEndpoints ? openSshEndpoint : undefined,
        tcpEndpoint: tcpEndpoints?.open,
        // Served (the TCP endpoints are attached): exposures of a port with a service get a
        // URL on this origin that reaches it.
        exposureUrl: tcpEndpoints
          ? (id, port) => servedExposureUrl(url.origin, id, port, services)
          : undefined,
        maxSessions: maxPtySessions,
        killTerminal: (sessionId) => killTerminal(sandbox.id, sessionId),
      });
    } catch (error) {
      // serve()'s cap on SSH endpoints (an assumption: Prime documents no such limit).
      if (error instanceof SshEndpointLimitError) return primeError(503, error.message);
      throw error;
    }
  }

  /** A request refused before routing (serve()'s body cap), in its API's error shape. */
  function refuse(request: Request, status: number, message: string): Response {
    const url = new URL(request.url);
    return count(
      addressesTensorlake(url.pathname, url.host, request.headers)
        ? json({ error: message }, status)
        : primeError(status, message),
    );
  }

  /** Reports one request to `options.onRequest`; a throwing logger does not break the answer. */
  function logRequest(request: Request, status: number | "reset"): void {
    if (!options.onRequest) return;
    try {
      options.onRequest({ method: request.method, path: new URL(request.url).pathname, status });
    } catch {
      // The log is best effort.
    }
  }

  async function fetch(request: Request): Promise<Response> {
    if (!options.onRequest) return await answer(request);
    try {
      const response = await answer(request);
      logRequest(request, response.status);
      return response;
    } catch (error) {
      if (isConnectionReset(error)) logRequest(request, "reset");
      throw error;
    }
  }

  async function answer(request: Request): Promise<Response> {
    // Arrival time: rate-limit windows, created_at and expires_at count from here.
    const arrivedAt = clock.now();
    const url = new URL(request.url);
    // Traffic to an exposure's URL goes through the emulated gateway, not the API.
    const exposed = exposureRequest(url, function* () {
      for (const sandbox of state.sandboxes.values()) yield* sandbox.exposures.values();
    });
    if (exposed) return await proxyToService(request, exposed, services);
    const route = matchRoute(url.pathname);
    const context: FaultContext = { request, api: route?.api ?? "unknown", index: index++ };
    stats.requests += 1;
    const fault = decideFault(options.faults, seed, context);
    if (fault) {
      stats.faults += 1;
      stats.faultsByKind[fault] = (stats.faultsByKind[fault] ?? 0) + 1;
      if (fault === "reset") throw connectionReset();
      if (isBeforeEffect(fault)) {
        return count(faultResponse(fault, context.api, options.faults?.retryAfterSeconds ?? 1));
      }
      if (fault === "slow") await sleep(options.faults?.slowMs ?? 200, request.signal);
    }
    let response: Response;
    try {
      response = await handle(request, url, route, arrivedAt);
    } finally {
      retainSshEndpoints();
      retainTcpEndpoints();
    }
    if (fault === "lost-response") throw connectionReset();
    if (fault === "non-json" || fault === "empty" || fault === "truncated-json") {
      return count(await corruptBody(fault, response));
    }
    if (fault === "trickle" || fault === "endless") {
      return count(
        await slowBody(fault, response, options.faults?.slowMs ?? 200, sleep, request.signal),
      );
    }
    return count(response);
  }

  const emulator: Emulator & AcceptsSshEndpoints & AcceptsTcpEndpoints = {
    fetch,
    acceptWebSocket: (request) => {
      const decision = acceptWebSocket(request);
      logRequest(request, decision instanceof Response ? decision.status : 101);
      return decision;
    },
    refuse,
    webSocket: (url, init) =>
      new MemoryWebSocket(() =>
        emulator.acceptWebSocket(new Request(url.replace(/^ws/, "http"), { headers: init.headers }))
      ),
    get stats() {
      return stats;
    },
    reset() {
      for (const terminal of terminals.values()) terminal.kill();
      terminals.clear();
      state = new EmulatorState(options.sandboxes);
      index = 0;
      limiter?.clear();
      if (documented) { for (const l of Object.values(documented)) l.clear(); }
      Object.assign(stats, emptyStats());
      retainSshEndpoints();
      retainTcpEndpoints();
    },
    live() {
      state.expire(clock.now());
      retainSshEndpoints();
      retainTcpEndpoints();
      return state.live();
    },
    snapshot() {
      state.expire(clock.now());
      retainSshEndpoints();
      return state.snapshot();
    },
    // serve() hands its loopback SSH endpoints over here (internal, not on `Emulator`).
    [USE_SSH_ENDPOINTS](endpoints: SshEndpoints | undefined) {
      sshEndpoints = endpoints;
    },
    // serve() hands its loopback TCP exposure listeners over here (internal too).
    [USE_TCP_ENDPOINTS](endpoints: TcpEndpoints | undefined) {
      tcpEndpoints = endpoints;
      return services;
    },
  };
  return emulator;
}
