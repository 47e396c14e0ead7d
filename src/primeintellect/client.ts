/**
 * The low-level Prime Intellect client: openapi-fetch typed by the generated
 * `paths`, running sandgate's middleware stack.
 *
 * @module
 */
import type { Client } from "openapi-fetch";
import type { paths } from "../generated/primeintellect.ts";
import { readEnv } from "../env.ts";
import {
  assertClientOptions,
  type ClientOptions,
  PRIME_INTELLECT_OPTION_KEYS,
} from "../options.ts";
import { createGatewayClient, type ProviderProfile } from "../transport.ts";

/** Default Prime Intellect API base URL. */
export const PRIME_INTELLECT_BASE_URL = "https://api.primeintellect.ai";

/** The openapi-fetch client for the Prime Intellect gateway endpoints. */
export type PrimeIntellectClient = Client<paths>;

/** Options of {@link createPrimeIntellectClient}. */
export type PrimeIntellectClientOptions = ClientOptions;

const SANDBOX = "/api/v1/sandbox/{sandbox_id}";

/** How Prime Intellect requests are named and keyed. */
export const PRIME_INTELLECT_PROFILE: ProviderProfile = {
  provider: "primeintellect",
  envVar: "PRIME_API_KEY",
  operations: {
    [`GET ${SANDBOX}/expose`]: "listExposures",
    [`POST ${SANDBOX}/expose`]: "exposePort",
    [`DELETE ${SANDBOX}/expose/{exposure_id}`]: "unexposePort",
    [`POST ${SANDBOX}/ssh-session`]: "createSshSession",
    [`DELETE ${SANDBOX}/ssh-session/{session_id}`]: "closeSshSession",
  },
  sandboxIdOf(params, url) {
    const fromParams = params?.sandbox_id;
    if (typeof fromParams === "string") return fromParams;
    return /\/api\/v1\/sandbox\/([^/]+)/.exec(url.pathname)?.[1] ?? "";
  },
};

/**
 * Creates a typed openapi-fetch client for the Prime Intellect sandbox
 * gateway, with auth, rate limiting, retries, timeouts and typed errors.
 *
 * The base URL defaults to `PRIME_API_BASE_URL` (or `PRIME_BASE_URL`) from
 * the environment, then to `https://api.primeintellect.ai`.
 *
 * @example Expose a port with the low-level client
 * ```ts
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * const client = createPrimeIntellectClient({ apiKey: "demo", fetch: emulator.fetch });
 * const { data, error } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
 *   params: { path: { sandbox_id: "sb-1" } },
 *   body: { port: 8080 },
 * });
 * console.log(data ? data.url : error);
 * ```
 */
export function createPrimeIntellectClient(
  options: PrimeIntellectClientOptions = {},
): PrimeIntellectClient {
  assertClientOptions(options, PRIME_INTELLECT_OPTION_KEYS);
  const baseUrl = options.baseUrl ?? readEnv("PRIME_API_BASE_URL") ?? readEnv("PRIME_BASE_URL") ??
    PRIME_INTELLECT_BASE_URL;
  return createGatewayClient<paths>(PRIME_INTELLECT_PROFILE, baseUrl, options);
}
