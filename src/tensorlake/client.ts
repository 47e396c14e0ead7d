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
import { normalizeClientOptions, type NormalizedOptions } from "../normalize.ts";
import { CLIENT_OPTION_KEYS, type ClientOptions } from "../options.ts";
import { exhaustive } from "../util/exhaustive.ts";
import { createGatewayClient, Pipeline, type ProviderProfile } from "../pipeline.ts";
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
   * The sandbox: its id or name (a DNS label), or its `sandbox_url` /
   * ingress URL from the lifecycle API. Ignored when `baseUrl` is given.
   */
  sandbox?: string;
  /**
   * A sandbox proxy, used as given: requests go to this URL and name the
   * sandbox in the `X-Tensorlake-Sandbox-Id` header, as Tensorlake's own SDKs
   * do (so `http://127.0.0.1:PORT`, a local emulator, just works). Default:
   * `TENSORLAKE_SANDBOX_PROXY_URL`, then one derived from `TENSORLAKE_API_URL`
   * (`api.X` → `sandbox.X`, a localhost API → `http://localhost:9443`), else
   * the sandbox's own host `https://{id}.sandbox.tensorlake.ai`.
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

/** Options of `createTensorlakeClient()`. */
export const TENSORLAKE_CLIENT_OPTION_KEYS: readonly string[] = [
  ...CLIENT_OPTION_KEYS,
  // `exhaustive` fails the type check when an option is added but not listed here.
  ...exhaustive<Exclude<keyof TensorlakeClientOptions, keyof ClientOptions>>()(
    ["sandbox", "proxyUrl", "webSocket"],
  ),
];
/** Options of `new Tensorlake()` (the sandbox comes per call, so no `sandbox` or `baseUrl`). */
export const TENSORLAKE_OPTION_KEYS: readonly string[] = TENSORLAKE_CLIENT_OPTION_KEYS.filter(
  (key) => key !== "sandbox" && key !== "baseUrl",
);

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function isLocalhost(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
}

/**
 * The sandbox proxy the environment names, as upstream resolves it
 * (tensorlakeai/tensorlake typescript/src/url.ts `resolveProxyUrl`@cab3838):
 * `TENSORLAKE_SANDBOX_PROXY_URL`; else from `TENSORLAKE_API_URL`, a localhost
 * API → `http://localhost:9443`, `api.X` → `sandbox.X`; else `undefined`.
 */
export function tensorlakeProxyFromEnv(): string | undefined {
  const explicit = readEnv("TENSORLAKE_SANDBOX_PROXY_URL")?.trim();
  if (explicit) return explicit;
  const api = readEnv("TENSORLAKE_API_URL")?.trim();
  if (!api) return undefined;
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new ConfigError(
      `TENSORLAKE_API_URL: must be an absolute URL (got ${JSON.stringify(api)})`,
    );
  }
  if (isLocalhost(url)) return "http://localhost:9443";
  if (url.hostname.startsWith("api.")) {
    return `${url.protocol}//sandbox.${url.hostname.slice(4)}${url.port ? `:${url.port}` : ""}`;
  }
  return undefined;
}

/** Checks what names a sandbox: a non-empty string (an id or an ingress endpoint URL). */
export function assertSandboxRef(sandbox: unknown): asserts sandbox is string {
  if (typeof sandbox !== "string" || sandbox.length === 0) {
    throw new InvalidArgumentError(
      "sandbox",
      sandbox,
      "must be a sandbox id or an ingress endpoint URL",
    );
  }
}

/**
 * Resolves a sandbox to the base URL its PTY API is reached at:
 * - a `sandbox_url` / ingress URL (`https:`, loopback `http:`): its origin;
 * - an id with a `proxyUrl`: the proxy as given (trailing `/` removed; a
 *   non-loopback proxy keeps only its origin, as upstream does), the id going
 *   in the `X-Tensorlake-Sandbox-Id` header;
 * - an id alone: `https://{id}.sandbox.tensorlake.ai`, as the docs show.
 *
 * Throws `InvalidArgumentError` for an id that is not a DNS label or a URL
 * that is not `https:` (loopback excepted), `ConfigError` for a bad proxy.
 */
export function tensorlakeSandboxUrl(sandbox: string, proxyUrl?: string): string {
  assertSandboxRef(sandbox);
  if (sandbox.includes("://")) {
    const url = parseSecureUrl(
      sandbox,
      (rule) => new InvalidArgumentError("sandbox", sandbox, rule),
    );
    if (url.pathname !== "/" && url.pathname !== "") {
      throw new InvalidArgumentError(
        "sandbox",
        sandbox,
        "an ingress endpoint must not have a path",
      );
    }
    return url.origin;
  }
  if (!DNS_LABEL.test(sandbox)) {
    throw new InvalidArgumentError(
      "sandbox",
      sandbox,
      "must be a DNS label (letters, digits and inner hyphens, at most 63 characters) or an https: URL",
    );
  }
  if (proxyUrl === undefined) return `https://${sandbox.toLowerCase()}.sandbox.tensorlake.ai`;
  const proxy = parseSecureUrl(
    proxyUrl,
    (rule) => new ConfigError(`proxyUrl: ${rule} (got ${JSON.stringify(proxyUrl)})`),
  );
  return isLocalhost(proxy) ? proxy.href.replace(/\/+$/, "") : proxy.origin;
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
 * The pipeline of one Tensorlake sandbox: its base URL from `baseUrl`, or
 * from `sandbox` (the given one, else the options') and the proxy; a proxy
 * used as given routes by the `X-Tensorlake-Sandbox-Id` header, which every
 * request to it then carries (WebSocket upgrades too).
 */
export function tensorlakePipeline(options: NormalizedOptions, sandbox?: string): Pipeline {
  const given = options.given as TensorlakeClientOptions;
  const target = sandbox === undefined ? given : { ...given, sandbox };
  const baseUrl = tensorlakeBaseUrl(target);
  // The sandbox id when it is known and not in the host: sent in X-Tensorlake-Sandbox-Id.
  const sandboxId = tensorlakeSandboxIdHeader(target);
  const profile: ProviderProfile = sandboxId === undefined
    ? TENSORLAKE_PROFILE
    : { ...TENSORLAKE_PROFILE, sandboxIdOf: () => sandboxId };
  return new Pipeline({
    profile,
    baseUrl,
    ...(sandboxId === undefined ? {} : { routingHeaders: { [SANDBOX_ID_HEADER]: sandboxId } }),
  }, options);
}

/** The `X-Tensorlake-Sandbox-Id` value a client with these options sends, if any. */
export function tensorlakeSandboxIdHeader(options: TensorlakeClientOptions): string | undefined {
  if (options.baseUrl !== undefined || options.sandbox === undefined) return undefined;
  return options.sandbox.includes("://") ? undefined : options.sandbox.toLowerCase();
}

/** The base URL a Tensorlake client with these options talks to. */
export function tensorlakeBaseUrl(options: TensorlakeClientOptions): string {
  if (options.baseUrl !== undefined) return options.baseUrl;
  if (options.sandbox === undefined) {
    throw new ConfigError("Tensorlake: pass `sandbox` (id or ingress endpoint) or `baseUrl`");
  }
  return tensorlakeSandboxUrl(options.sandbox, options.proxyUrl ?? tensorlakeProxyFromEnv());
}
