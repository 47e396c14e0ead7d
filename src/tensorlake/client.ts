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
import {
  assertClientOptions,
  type ClientOptions,
  TENSORLAKE_CLIENT_OPTION_KEYS,
} from "../options.ts";
import { createGatewayClient, type ProviderProfile } from "../transport.ts";
import { parseSecureUrl } from "../validate.ts";
import type { WebSocketFactory } from "./attach.ts";

/** Default Tensorlake sandbox proxy: sandboxes live at `https://{id}.sandbox.tensorlake.ai`. */
export const TENSORLAKE_SANDBOX_PROXY_URL = "https://sandbox.tensorlake.ai";

/** The openapi-fetch client for one Tensorlake sandbox's PTY endpoints. */
export type TensorlakeClient = Client<paths>;

/** Options of {@link createTensorlakeClient}. */
export interface TensorlakeClientOptions extends ClientOptions {
  /**
   * The sandbox: its id or name (a DNS label, reached under `proxyUrl`), or
   * its full ingress endpoint URL. Ignored when `baseUrl` is given.
   */
  sandbox?: string;
  /**
   * Sandbox proxy under which `sandbox` ids are reached. Default:
   * `TENSORLAKE_SANDBOX_PROXY_URL` from the environment, then
   * `https://sandbox.tensorlake.ai`.
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

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Resolves a sandbox id or ingress endpoint to the sandbox's base URL.
 * Throws `InvalidArgumentError` for an id that is not a DNS label or an
 * endpoint that is not `https:` (loopback excepted).
 */
export function tensorlakeSandboxUrl(
  sandbox: string,
  proxyUrl: string = TENSORLAKE_SANDBOX_PROXY_URL,
): string {
  if (typeof sandbox !== "string" || sandbox.length === 0) {
    throw new InvalidArgumentError(
      "sandbox",
      sandbox,
      "must be a sandbox id or an ingress endpoint URL",
    );
  }
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
  const proxy = parseSecureUrl(proxyUrl, (rule) => new ConfigError(`proxyUrl: ${rule}`));
  return `${proxy.protocol}//${sandbox.toLowerCase()}.${proxy.host}`;
}

/** How Tensorlake requests are named and keyed. */
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
  assertClientOptions(options, TENSORLAKE_CLIENT_OPTION_KEYS);
  return createGatewayClient<paths>(TENSORLAKE_PROFILE, tensorlakeBaseUrl(options), options);
}

/** The base URL a Tensorlake client with these options talks to. */
export function tensorlakeBaseUrl(options: TensorlakeClientOptions): string {
  if (options.baseUrl !== undefined) return options.baseUrl;
  if (options.sandbox === undefined) {
    throw new ConfigError("Tensorlake: pass `sandbox` (id or ingress endpoint) or `baseUrl`");
  }
  return tensorlakeSandboxUrl(
    options.sandbox,
    options.proxyUrl ?? readEnv("TENSORLAKE_SANDBOX_PROXY_URL") ?? TENSORLAKE_SANDBOX_PROXY_URL,
  );
}
