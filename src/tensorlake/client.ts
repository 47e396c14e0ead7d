/**
 * The low-level Tensorlake sandbox-proxy client: openapi-fetch typed by the
 * generated `paths`, running sandgate's middleware stack.
 *
 * @module
 */
import type { Client } from "openapi-fetch";
import type { paths } from "../generated/tensorlake.ts";
import { ConfigError, InvalidArgumentError } from "../errors.ts";
import { readEnv } from "../env.ts";
import { providerEnv } from "../provider.ts";
import { normalizeClientOptions, type NormalizedOptions } from "../normalize.ts";
import { CLIENT_OPTION_KEYS, type ClientOptions } from "../options.ts";
import { exhaustive } from "../util/exhaustive.ts";
import type { OpenWebSocketParams } from "../websocket/open.ts";
import type { ChannelEnd } from "../websocket/protocol.ts";
import { createGatewayClient, Pipeline } from "../pipeline.ts";
import type { ProviderProfile } from "../profile.ts";
import { parseSecureUrl } from "../validate.ts";
import type { WebSocketFactory } from "../websocket/socket.ts";

/** Default Tensorlake sandbox proxy: sandboxes live at `https://{id}.sandbox.tensorlake.ai`. */
export const TENSORLAKE_SANDBOX_PROXY_URL = "https://sandbox.tensorlake.ai";

/** The header upstream clients name the sandbox with when they send to a proxy URL as given. */
export const SANDBOX_ID_HEADER = "X-Tensorlake-Sandbox-Id";

/** The openapi-fetch client for one Tensorlake sandbox's PTY endpoints. */
export type TensorlakeClient = Client<paths>;

/** Options of {@link createTensorlakeClient}. */
export interface TensorlakeClientOptions extends ClientOptions {
  /**
   * The sandbox: its id or name (a DNS label). A URL is also taken, and used
   * as given without naming any sandbox (the emulator's default one, say);
   * prefer the id with `sandboxUrl`. Ignored when `baseUrl` is given.
   */
  sandbox?: string;
  /**
   * The `sandbox_url` Tensorlake's lifecycle API returned for this sandbox
   * (it can be regional, e.g. `https://{id}.sandbox.<region>.tensorlake.ai`):
   * requests go there, naming the sandbox by id, as Tensorlake's SDKs route
   * (tensorlakeai/tensorlake@cab3838 crates/cloud-sdk/src/sandboxes/mod.rs
   * `select_sandbox_proxy_url`: the server's `sandbox_url` first, then an
   * explicit proxy). Wins over `proxyUrl`. Not the lifecycle API's
   * `ingress_endpoint`: that is a shared host, under which the sandbox is
   * `{id}.{host}` (`sandbox_url_from_ingress_endpoint`).
   */
  sandboxUrl?: string;
  /**
   * A sandbox proxy, used as given, as Tensorlake's own SDKs use one: to a
   * proxy on `localhost` / `127.0.0.1` (a local proxy, this emulator) requests
   * name the sandbox with `Host: {id}.local`, to any other with the
   * `X-Tensorlake-Sandbox-Id` header, keeping only the proxy's origin
   * (typescript/src/url.ts `resolveProxyTarget`@cab3838). Default:
   * `TENSORLAKE_SANDBOX_PROXY_URL`, then one derived from `TENSORLAKE_API_URL`
   * (`api.X` → `sandbox.X` without the port, a localhost API →
   * `http://localhost:9443`), else the sandbox's own host
   * `https://{id}.sandbox.tensorlake.ai`, as the docs show.
   */
  proxyUrl?: string;
  /**
   * The WebSocket PTY attach uses. Default: the runtime's standard
   * `WebSocket` (Deno, Bun, Node ≥ 22, browsers; workerd through `fetch`).
   * On Node 20 pass one, e.g. `(url, init) => new WebSocket(url, init)` with
   * the `ws` package.
   */
  webSocket?: WebSocketFactory;
}

// `exhaustive` fails the type check when an option is added but not listed here. Pure calls
// only: a bundle without Tensorlake drops these lists.
const OWN_KEYS = /* @__PURE__ */ exhaustive<
  Exclude<keyof TensorlakeClientOptions, keyof ClientOptions>
>()(["sandbox", "sandboxUrl", "proxyUrl", "webSocket"]);
/** Options of `createTensorlakeClient()`. */
export const TENSORLAKE_CLIENT_OPTION_KEYS: readonly string[] = /* @__PURE__ */ CLIENT_OPTION_KEYS
  .concat(OWN_KEYS);
/** Options of `new Tensorlake()` (the sandbox comes per call: no `sandbox`, `sandboxUrl`, `baseUrl`). */
export const TENSORLAKE_OPTION_KEYS: readonly string[] =
  /* @__PURE__ */ TENSORLAKE_CLIENT_OPTION_KEYS
    .filter((key) => key !== "sandbox" && key !== "sandboxUrl" && key !== "baseUrl");

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * A local proxy, as upstream counts one: `localhost` or `127.0.0.1`, nothing
 * else (tensorlakeai/tensorlake@cab3838 typescript/src/url.ts `isLocalhost`,
 * `resolveProxyTarget`; crates/cloud-sdk/src/sandboxes/mod.rs `resolve_sandbox_proxy_target`).
 */
function isLocalProxy(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "127.0.0.1";
}

/**
 * The sandbox proxy the environment names, as upstream resolves it
 * (tensorlakeai/tensorlake@cab3838 typescript/src/url.ts `resolveProxyUrl`,
 * crates/cloud-sdk/src/sandboxes/mod.rs `resolve_default_sandbox_proxy_url`):
 * `TENSORLAKE_SANDBOX_PROXY_URL`; else from `TENSORLAKE_API_URL`, a localhost
 * API → `http://localhost:9443`, `api.X` → `sandbox.X` (scheme and host only:
 * the port is dropped); else `undefined`.
 */
export function tensorlakeProxyFromEnv(): string | undefined {
  const explicit = readEnv("TENSORLAKE_SANDBOX_PROXY_URL", providerEnv("tensorlake"))?.trim();
  if (explicit) return explicit;
  const api = readEnv("TENSORLAKE_API_URL", providerEnv("tensorlake"))?.trim();
  if (!api) return undefined;
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new ConfigError(
      `TENSORLAKE_API_URL: must be an absolute URL (got ${JSON.stringify(api)})`,
    );
  }
  if (isLocalProxy(url)) return "http://localhost:9443";
  if (url.hostname.startsWith("api.")) return `${url.protocol}//sandbox.${url.hostname.slice(4)}`;
  return undefined;
}

/** Checks what names a sandbox: a non-empty string (an id, or a URL used as given). */
export function assertSandboxRef(sandbox: unknown): asserts sandbox is string {
  if (typeof sandbox !== "string" || sandbox.length === 0) {
    throw new InvalidArgumentError(
      "sandbox",
      sandbox,
      "must be a sandbox id or a sandbox URL",
    );
  }
}

/** Where one sandbox's PTY API is reached, and the headers that name the sandbox there. */
export interface TensorlakeRoute {
  /** Base URL of the requests. */
  baseUrl: string;
  /** Headers every request (REST and the PTY WebSocket) carries. */
  headers: Readonly<Record<string, string>>;
  /** The sandbox id, when the route names one. */
  sandboxId: string | undefined;
}

function targetUrl(value: string, field: "sandboxUrl" | "proxyUrl"): URL {
  return parseSecureUrl(
    value,
    (rule) => new ConfigError(`${field}: ${rule} (got ${JSON.stringify(value)})`),
  );
}

/**
 * Resolves a sandbox to the base URL its PTY API is reached at and the
 * headers that name it, as Tensorlake's SDKs do (tensorlakeai/tensorlake@cab3838
 * typescript/src/url.ts `resolveProxyTarget`, crates/cloud-sdk/src/sandboxes/mod.rs
 * `select_sandbox_proxy_url`, `resolve_sandbox_proxy_target`):
 * - the target is the sandbox's `sandboxUrl`, else the proxy, else the docs'
 *   `https://{id}.sandbox.tensorlake.ai`;
 * - a local target (`localhost`, `127.0.0.1`) is used as given (trailing `/`
 *   removed) with `Host: {id}.local`; any other keeps its origin and gets
 *   `X-Tensorlake-Sandbox-Id: {id}`.
 *
 * One deliberate difference: to a local target sandgate sends
 * `X-Tensorlake-Sandbox-Id` too, where upstream sends none. Node's and Deno's
 * `fetch` and `WebSocket` silently drop a `Host` header (Bun keeps it), so
 * without it the sandbox would be lost on the way; a proxy that routes by
 * `Host` sees the same id in both.
 *
 * A URL as `sandbox` is used as given (its origin), naming no sandbox.
 * Throws `InvalidArgumentError` for an id that is not a DNS label or a URL
 * that is not `https:` (loopback excepted), `ConfigError` for a bad
 * `sandboxUrl` or proxy.
 */
export function tensorlakeRoute(
  sandbox: string,
  target: { sandboxUrl?: string | undefined; proxyUrl?: string | undefined } = {},
): TensorlakeRoute {
  assertSandboxRef(sandbox);
  if (sandbox.includes("://")) {
    const url = parseSecureUrl(
      sandbox,
      (rule) => new InvalidArgumentError("sandbox", sandbox, rule),
    );
    if (url.pathname !== "/" && url.pathname !== "") {
      throw new InvalidArgumentError("sandbox", sandbox, "a sandbox URL must not have a path");
    }
    return { baseUrl: url.origin, headers: {}, sandboxId: undefined };
  }
  if (!DNS_LABEL.test(sandbox)) {
    throw new InvalidArgumentError(
      "sandbox",
      sandbox,
      "must be a DNS label (letters, digits and inner hyphens, at most 63 characters) or an https: URL",
    );
  }
  const id = sandbox.toLowerCase();
  const named = { [SANDBOX_ID_HEADER]: id };
  const url = target.sandboxUrl !== undefined
    ? targetUrl(target.sandboxUrl, "sandboxUrl")
    : target.proxyUrl !== undefined
    ? targetUrl(target.proxyUrl, "proxyUrl")
    : undefined;
  if (url === undefined) {
    return { baseUrl: `https://${id}.sandbox.tensorlake.ai`, headers: named, sandboxId: id };
  }
  if (isLocalProxy(url)) {
    return {
      baseUrl: url.href.replace(/\/+$/, ""),
      headers: { Host: `${id}.local`, ...named },
      sandboxId: id,
    };
  }
  return { baseUrl: url.origin, headers: named, sandboxId: id };
}

/** The {@link TensorlakeRoute} of a client with these options. */
export function tensorlakeClientRoute(options: TensorlakeClientOptions): TensorlakeRoute {
  if (options.baseUrl !== undefined) {
    return { baseUrl: options.baseUrl, headers: {}, sandboxId: undefined };
  }
  if (options.sandbox === undefined) {
    throw new ConfigError(
      "Tensorlake: pass `sandbox` (an id, with `sandboxUrl` if known) or `baseUrl`",
    );
  }
  return tensorlakeRoute(options.sandbox, {
    sandboxUrl: options.sandboxUrl,
    proxyUrl: options.proxyUrl ?? tensorlakeProxyFromEnv(),
  });
}

/** How Tensorlake requests are named, keyed, rate limited and retried. */
export const TENSORLAKE_PROFILE: ProviderProfile = {
  provider: "tensorlake",
  envVar: "TENSORLAKE_API_KEY",
  operations: {
    "POST /api/v1/pty": "createPty",
    "GET /api/v1/pty": "listPtys",
    "GET /api/v1/pty/{session_id}": "getPty",
    "DELETE /api/v1/pty/{session_id}": "killPty",
    "POST /api/v1/pty/{session_id}/resize": "resizePty",
  },
  sandboxIdOf(_params, url) {
    return url.hostname.split(".")[0] ?? url.hostname;
  },
  policy: {
    // Tensorlake documents no rate limit for the sandbox proxy: no client-side limit.
    rateLimits: {},
    // Its one documented 429 is TOO_MANY_SESSIONS (64 PTYs per sandbox): capacity, which
    // waiting does not fix, so 429 is never retried. Its native proxy client
    // (crates/rust-cloud-sdk-node/src/sandbox.rs@cab3838) retries 502/503/504 and never
    // 429; sandgate also retries 408 and 500 on idempotent methods, never a POST on a status.
    retryStatuses: { idempotent: [408, 500, 502, 503, 504], other: [] },
  },
};

/**
 * Creates a typed openapi-fetch client for one Tensorlake sandbox's PTY API,
 * with auth, rate limiting, retries, timeouts and typed errors.
 *
 * @example Kill a PTY session with the low-level client
 * ```ts
 * import { createTensorlakeClient } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * const client = createTensorlakeClient({
 *   apiKey: "demo",
 *   baseUrl: "http://localhost",
 *   fetch: emulator.fetch,
 * });
 * const { data } = await client.POST("/api/v1/pty", { body: { command: "bash" } });
 * if (data) {
 *   const { response } = await client.DELETE("/api/v1/pty/{session_id}", {
 *     params: { path: { session_id: data.session_id } },
 *   });
 *   console.log(response.status); // 204
 * }
 * ```
 */
export function createTensorlakeClient(options: TensorlakeClientOptions = {}): TensorlakeClient {
  const normalized = normalizeClientOptions(options, TENSORLAKE_CLIENT_OPTION_KEYS);
  return createGatewayClient<paths>(tensorlakePipeline(normalized));
}

/**
 * The pipeline of one Tensorlake sandbox, on its {@link TensorlakeRoute}
 * (from `baseUrl`, or from `sandbox` and `sandboxUrl` — the given ones, else
 * the options' — and the proxy): the headers that name the sandbox go on
 * every request, WebSocket upgrades too.
 */
export function tensorlakePipeline(
  options: NormalizedOptions,
  sandbox?: string,
  sandboxUrl?: string,
): Pipeline {
  const given = options.given as TensorlakeClientOptions;
  const target = sandbox === undefined
    ? given
    : { ...given, sandbox, ...(sandboxUrl === undefined ? {} : { sandboxUrl }) };
  const route = tensorlakeClientRoute(target);
  const { sandboxId } = route;
  const profile: ProviderProfile = sandboxId === undefined
    ? TENSORLAKE_PROFILE
    : { ...TENSORLAKE_PROFILE, sandboxIdOf: () => sandboxId };
  return new Pipeline({
    profile,
    baseUrl: route.baseUrl,
    routingHeaders: route.headers,
    // Tensorlake's PTY attach and TCP tunnel are WebSockets: its pipeline opens them, with the
    // WebSocket code loaded on first use (a client that only sends requests never loads it).
    webSockets: async <E extends ChannelEnd>(params: OpenWebSocketParams<E>) =>
      await (await import("./_lazy.ts")).openWebSocket(params),
  }, options);
}
