/**
 * The emulator's WebSocket upgrades: Tensorlake's PTY WebSocket (an emulated
 * shell per session, created on first attach) and its TCP tunnel (to the
 * sandbox's declared services).
 *
 * @module
 */
import type { EmulatorClock, WebSocketAccept } from "./emulator_types.ts";
import { bearerToken, proxyError } from "./http.ts";
import { PtyTerminal } from "./pty_shell.ts";
import { addressesTensorlake, matchRoute, providerError, tensorlakeSandboxName } from "./routes.ts";
import type { EmulatorState } from "./state.ts";
import { acceptTunnel, type ServiceMap } from "./tcp_services.ts";

/** What the upgrades need of their emulator. */
export interface UpgradeContext {
  /** The emulator's state now (`reset()` replaces it). */
  state(): EmulatorState;
  clock: EmulatorClock;
  /** The accepted API keys, or `undefined` for any. */
  apiKeys: ReadonlySet<string> | undefined;
  /** The sandbox an IP or `localhost` names without `X-Tensorlake-Sandbox-Id`. */
  defaultSandbox: string;
  /** What listens inside every sandbox, by port. */
  services: ServiceMap;
}

/** The WebSocket upgrades of one emulator, and its emulated shells. */
export class EmulatorUpgrades {
  readonly #context: UpgradeContext;
  /** The emulated shells, by sandbox and session id, created on first attach. */
  readonly #terminals = new Map<string, PtyTerminal>();

  constructor(context: UpgradeContext) {
    this.#context = context;
  }

  /** Kills the emulated shell of a session, if it has one. */
  killTerminal(sandbox: string, session: string): void {
    const key = terminalKey(sandbox, session);
    this.#terminals.get(key)?.kill();
    this.#terminals.delete(key);
  }

  /** Kills every emulated shell. */
  killTerminals(): void {
    for (const terminal of this.#terminals.values()) terminal.kill();
    this.#terminals.clear();
  }

  /** Answers an upgrade request: a refusal, or what to do with the socket once open. */
  accept(request: Request): Response | WebSocketAccept | Promise<Response | WebSocketAccept> {
    const url = new URL(request.url);
    const route = matchRoute(url.pathname);
    if (route?.name === "tunnel") return this.#acceptTunnel(request, url);
    if (!route || route.name !== "ptyWs") {
      return providerError(addressesTensorlake(url.pathname, url.host, request.headers), 404);
    }
    return this.#acceptPty(request, url, route.params[0]!);
  }

  /**
   * The PTY WebSocket upgrade (https://docs.tensorlake.ai/api-reference/v2/pty/websocket):
   * token from `X-PTY-Token` or `?token=`; 404 `SESSION_NOT_FOUND`, 403 `INVALID_TOKEN`.
   * Assumption: a bearer token is checked when sent (browsers cannot send one).
   */
  #acceptPty(request: Request, url: URL, sessionId: string): Response | WebSocketAccept {
    const { apiKeys, clock, defaultSandbox } = this.#context;
    const bearer = bearerToken(request);
    if (bearer !== undefined && apiKeys && !apiKeys.has(bearer)) {
      return proxyError(401, "missing or invalid bearer token", "UNAUTHORIZED");
    }
    const sandboxName = tensorlakeSandboxName(request, url, defaultSandbox);
    const state = this.#context.state();
    state.expire(clock.now());
    const sandbox = state.sandbox(sandboxName);
    if (!sandbox) {
      return proxyError(404, `sandbox ${sandboxName} not found`, "SANDBOX_NOT_FOUND");
    }
    const session = sandbox.ptys.get(sessionId);
    if (!session) {
      return proxyError(404, `PTY session ${sessionId} not found`, "SESSION_NOT_FOUND");
    }
    const token = request.headers.get("x-pty-token") ?? url.searchParams.get("token");
    if (token !== session.token) return proxyError(403, "invalid PTY token", "INVALID_TOKEN");
    const key = terminalKey(sandbox.id, sessionId);
    let terminal = this.#terminals.get(key);
    if (!terminal) {
      terminal = new PtyTerminal(session);
      // The session's info tells of the exit, as Tensorlake's get/list do
      // (docs.tensorlake.ai/api-reference/v2/pty/get: is_alive, exit_code, ended_at).
      terminal.onExit = (code) => {
        session.exitCode = code;
        session.endedAt = clock.now();
      };
      this.#terminals.set(key, terminal);
    }
    const attached = terminal;
    return (peer) => attached.connect(peer);
  }

  /**
   * The TCP tunnel upgrade (https://docs.tensorlake.ai/api-reference/v2/tunnels/tcp):
   * 401 without a bearer token, 400 for a missing, invalid or zero `port`, 502 when
   * nothing accepts on that port (no declared service, or it refused).
   */
  async #acceptTunnel(request: Request, url: URL): Promise<Response | WebSocketAccept> {
    const { apiKeys, defaultSandbox, services } = this.#context;
    const bearer = bearerToken(request);
    if (bearer === undefined || (apiKeys && !apiKeys.has(bearer))) {
      return proxyError(401, "missing or invalid bearer token", "UNAUTHORIZED");
    }
    const sandboxName = tensorlakeSandboxName(request, url, defaultSandbox);
    if (!this.#context.state().sandbox(sandboxName)) {
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
}

function terminalKey(sandbox: string, session: string): string {
  return `${sandbox}\u0000${session}`;
}
