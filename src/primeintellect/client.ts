/**
 * The low-level Prime Intellect client: openapi-fetch typed by the generated
 * `paths`, running sandgate's middleware stack.
 *
 * @module
 */
import type { Client } from "openapi-fetch";
import type { paths } from "../generated/primeintellect.ts";
import { readEnv } from "../env.ts";
import { providerEnv } from "../provider.ts";
import { normalizeClientOptions, type NormalizedOptions } from "../normalize.ts";
import { CLIENT_OPTION_KEYS, type ClientOptions } from "../options.ts";
import { createGatewayClient, Pipeline } from "../pipeline.ts";
import type { ProviderProfile } from "../profile.ts";
import { type PrimeConfigFile, readPrimeConfigFile } from "./config_file.ts";

/** What Prime Intellect is configured from: an unreadable one of them is an error, not a default. */
const PRIME_ENV = /* @__PURE__ */ providerEnv("primeintellect");

/** Default Prime Intellect API base URL. */
export const PRIME_INTELLECT_BASE_URL = "https://api.primeintellect.ai";

/** The openapi-fetch client for the Prime Intellect gateway endpoints. */
export type PrimeIntellectClient = Client<paths>;

/** Options of {@link createPrimeIntellectClient}. */
export type PrimeIntellectClientOptions = ClientOptions;

/** Options of `new PrimeIntellect()` and `createPrimeIntellectClient()`: the common ones. */
export const PRIME_INTELLECT_OPTION_KEYS: readonly string[] = CLIENT_OPTION_KEYS;

/**
 * The budgets Prime Intellect documents on each endpoint's API reference page
 * (https://docs.primeintellect.ai/api-reference/sandbox/…: "Rate Limit").
 * Whether endpoints share a budget is not documented; sandgate assumes the
 * four 20 / 60 s endpoints of a sandbox share one (the safe reading: it never
 * sends more than either reading allows), and that the list endpoints, with
 * their own limit, have their own.
 */
const PER_SANDBOX_WRITES = { bucket: "sandbox-writes", limit: 20, windowMs: 60_000 } as const;

/** How Prime Intellect requests are named, keyed, rate limited and retried. */
export const PRIME_INTELLECT_PROFILE: ProviderProfile = {
  provider: "primeintellect",
  envVar: "PRIME_API_KEY",
  // Prime's SDK reads the key from here too (config_file.ts); `prime login` writes it.
  keyFile: { path: "~/.prime/config.json", writtenBy: "prime login" },
  // Literal keys, not templates: a computed key keeps the table (and this module) in
  // every bundle, Tensorlake-only ones included.
  operations: {
    "GET /api/v1/sandbox/{sandbox_id}": "getSandbox",
    "GET /api/v1/sandbox/{sandbox_id}/expose": "listExposures",
    "GET /api/v1/sandbox/expose/all": "listAllExposures",
    "POST /api/v1/sandbox/{sandbox_id}/expose": "exposePort",
    "DELETE /api/v1/sandbox/{sandbox_id}/expose/{exposure_id}": "unexposePort",
    "POST /api/v1/sandbox/{sandbox_id}/ssh-session": "createSshSession",
    "DELETE /api/v1/sandbox/{sandbox_id}/ssh-session/{session_id}": "closeSshSession",
  },
  sandboxIdOf(params, url) {
    const fromParams = params?.sandbox_id;
    if (typeof fromParams === "string") return fromParams;
    // `/api/v1/sandbox/expose/all` is not addressed by sandbox: an empty id.
    if (url.pathname.endsWith("/api/v1/sandbox/expose/all")) return "";
    return /\/api\/v1\/sandbox\/([^/]+)/.exec(url.pathname)?.[1] ?? "";
  },
  policy: {
    rateLimits: {
      exposePort: PER_SANDBOX_WRITES,
      unexposePort: PER_SANDBOX_WRITES,
      createSshSession: PER_SANDBOX_WRITES,
      closeSshSession: PER_SANDBOX_WRITES,
      listExposures: { bucket: "sandbox-list", limit: 60, windowMs: 60_000 },
      // https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint
      getSandbox: { bucket: "sandbox-get", limit: 300, windowMs: 60_000 },
      // "per IP and token", not per sandbox: the key's sandbox id is empty.
      listAllExposures: { bucket: "list-all", limit: 60, windowMs: 60_000 },
    },
    // A 429 after client-side limiting means the server counts differently than
    // documented: waiting for its Retry-After and trying again is safe.
    retryStatuses: { idempotent: [408, 429, 500, 502, 503, 504], other: [429] },
  },
};

/**
 * Normalises a Prime Intellect base URL like their SDK's `Config._strip_api_v1`
 * (core/config.py@66fb4b7): trailing slashes and one trailing `/api/v1` go, so
 * `https://api.primeintellect.ai/api/v1/` means `https://api.primeintellect.ai`.
 */
export function normalizePrimeBaseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, "");
  return trimmed.endsWith("/api/v1") ? trimmed.slice(0, -"/api/v1".length) : trimmed;
}

/**
 * Resolves Prime Intellect settings as their SDK does: the environment first,
 * then `~/.prime/config.json` (read at most once, only on Deno, Node and Bun,
 * and only when the environment leaves that setting open), then the default
 * base URL. Each setting is read only when asked for, so a client given
 * `apiKey` never reads `PRIME_API_KEY`, nor the file for it.
 */
export class PrimeIntellectConfig {
  #file: PrimeConfigFile | undefined;
  readonly #readFile: () => PrimeConfigFile;

  /** `readFile` reads `~/.prime/config.json` (tests pass their own). */
  constructor(readFile: () => PrimeConfigFile = readPrimeConfigFile) {
    this.#readFile = readFile;
  }

  #fromFile(): PrimeConfigFile {
    return (this.#file ??= this.#readFile());
  }

  /** `PRIME_API_KEY`, then `api_key` of the file. */
  apiKey(): string | undefined {
    return readEnv("PRIME_API_KEY") ?? this.#fromFile().apiKey;
  }

  /** `PRIME_TEAM_ID`, then `team_id` of the file. No gateway endpoint takes a team. */
  teamId(): string | undefined {
    return readEnv("PRIME_TEAM_ID") ?? this.#fromFile().teamId;
  }

  /** `PRIME_API_BASE_URL`, `PRIME_BASE_URL`, `base_url` of the file, the default; normalised. */
  baseUrl(): string {
    return normalizePrimeBaseUrl(
      readEnv("PRIME_API_BASE_URL", PRIME_ENV) ?? readEnv("PRIME_BASE_URL", PRIME_ENV) ??
        this.#fromFile().baseUrl ??
        PRIME_INTELLECT_BASE_URL,
    );
  }
}

/**
 * Creates a typed openapi-fetch client for the Prime Intellect sandbox
 * gateway, with auth, rate limiting, retries, timeouts and typed errors.
 *
 * The base URL defaults to `PRIME_API_BASE_URL` (or `PRIME_BASE_URL`) from
 * the environment, then `base_url` of `~/.prime/config.json` (Deno, Node,
 * Bun), then `https://api.primeintellect.ai`; the API key to `PRIME_API_KEY`,
 * then `api_key` of that file. A trailing `/api/v1` is stripped, as Prime's
 * own SDK does.
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
 *   body: { port: 8000 },
 * });
 * console.log(data ? data.url : error);
 * ```
 */
export function createPrimeIntellectClient(
  options: PrimeIntellectClientOptions = {},
): PrimeIntellectClient {
  const pipeline = primeIntellectPipeline(
    normalizeClientOptions(options, PRIME_INTELLECT_OPTION_KEYS),
  );
  return createGatewayClient<paths>(pipeline);
}

/**
 * The pipeline of a Prime Intellect client: the base URL and key from the
 * options, else from the environment, then `~/.prime/config.json` (read at
 * most once, and only when an option and the environment leave a gap).
 */
export function primeIntellectPipeline(options: NormalizedOptions): Pipeline {
  const config = new PrimeIntellectConfig();
  const baseUrl = options.baseUrl === undefined
    ? config.baseUrl()
    : normalizePrimeBaseUrl(options.baseUrl);
  const apiKey = options.apiKey ?? (() => config.apiKey() ?? "");
  return new Pipeline({ profile: PRIME_INTELLECT_PROFILE, baseUrl }, { ...options, apiKey });
}
