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
import { routeLimits } from "./server_limits.ts";
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
  tensorlakeSandboxName,
} from "./routes.ts";
import { MemoryWebSocket } from "./memory_websocket.ts";
import {
  type AcceptsTcpEndpoints,
  normalizeServices,
  type TcpEndpoints,
  USE_TCP_ENDPOINTS,
} from "./tcp_services.ts";
import { EmulatorUpgrades } from "./emulator_upgrades.ts";
import type {
  Emulator,
  EmulatorClock,
  EmulatorOptions,
  EmulatorStats,
  FaultContext,
} from "./emulator_types.ts";

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
  const limits = routeLimits(options.rateLimit === false ? undefined : options.rateLimit ?? {});
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
  const upgrades = new EmulatorUpgrades({
    state: () => state,
    clock,
    apiKeys,
    defaultSandbox,
    services,
  });
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
      : tensorlakeSandboxName(request, url, defaultSandbox);
    const routeLimiter = route.api === "gateway" ? undefined : limits?.of(route, method);
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
        killTerminal: (sessionId) => upgrades.killTerminal(sandbox.id, sessionId),
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
      const decision = upgrades.accept(request);
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
      upgrades.killTerminals();
      state = new EmulatorState(options.sandboxes);
      index = 0;
      limits?.clear();
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
