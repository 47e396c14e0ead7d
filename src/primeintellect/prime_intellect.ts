/**
 * The high-level Prime Intellect API's entry: {@link PrimeIntellect}, one
 * pipeline per client, and a {@link PrimeIntellectSandbox} per sandbox (see
 * sandbox.ts; implemented in sandbox_handle.ts, loaded on the first call by
 * lazy_sandbox.ts).
 *
 * @module
 */
import type { CallOptions } from "../options.ts";
import { normalizeClientOptions } from "../normalize.ts";
import { createGatewayClient } from "../pipeline.ts";
import { assertPathId } from "../validate.ts";
import {
  PRIME_INTELLECT_OPTION_KEYS,
  type PrimeIntellectClient,
  type PrimeIntellectClientOptions,
  primeIntellectPipeline,
} from "./client.ts";
import type { ExposureInfo } from "./exposure.ts";
import { LazySandbox, listAllExposures } from "./lazy_sandbox.ts";
import type { PrimeIntellectSandbox } from "./sandbox.ts";
import type { Internals } from "./sandbox_handle.ts";

/**
 * The Prime Intellect sandbox gateway, the easy way: pick a sandbox, then
 * expose ports and open SSH sessions on it. Auth, rate limiting, retries,
 * timeouts and typed errors come from the low-level client, available as
 * {@link PrimeIntellect.client} for anything this class does not cover.
 *
 * The API key never appears on the instance: not as a property, not in
 * `JSON.stringify` or `inspect` output.
 *
 * @example Expose a port and print its URL
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using exposure = await prime.sandbox("sb-1").exposePort({ port: 8000 });
 * console.log(exposure.url);
 * ```
 */
export class PrimeIntellect {
  /** The typed low-level openapi-fetch client this instance sends with. */
  readonly client: PrimeIntellectClient;
  readonly #internals: Internals;

  /**
   * Creates the client. Options are those of `createPrimeIntellectClient`;
   * the API key defaults to the `PRIME_API_KEY` environment variable.
   */
  constructor(options: PrimeIntellectClientOptions = {}) {
    const normalized = normalizeClientOptions(options, PRIME_INTELLECT_OPTION_KEYS);
    const pipeline = primeIntellectPipeline(normalized);
    this.client = createGatewayClient(pipeline);
    this.#internals = {
      client: this.client,
      pipeline,
      options: normalized,
      vm: new Map(),
      vmLookups: new Map(),
    };
  }

  /**
   * A handle on one sandbox. Sends nothing; throws `InvalidArgumentError`
   * when `id` cannot be used in a URL path.
   */
  sandbox(id: string): PrimeIntellectSandbox {
    assertPathId("sandboxId", id);
    return new LazySandbox(id, this.#internals);
  }

  /**
   * Lists every exposed port across the caller's sandboxes
   * (`GET /api/v1/sandbox/expose/all`; 60 requests per 60 s per token).
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
   * await using _web = await prime.sandbox("sb-1").exposePort({ port: 8000 });
   * await using _db = await prime.sandbox("sb-2").exposePort({ port: 5432, protocol: "tcp" });
   * for (const e of await prime.listAllExposures()) console.log(e.sandboxId, e.port);
   * ```
   */
  listAllExposures(callOptions?: CallOptions): Promise<ExposureInfo[]> {
    return listAllExposures(this.#internals, callOptions);
  }
}
