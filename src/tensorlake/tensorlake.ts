/**
 * The high-level Tensorlake API's entry: {@link Tensorlake}, which hands out
 * one {@link TensorlakeSandbox} per sandbox (see sandbox.ts; implemented in
 * sandbox_handle.ts), each with its own pipeline.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { normalizeClientOptions, type NormalizedOptions } from "../normalize.ts";
import { assertOptionsObject, parseSecureUrl } from "../validate.ts";
import {
  assertSandboxRef,
  TENSORLAKE_OPTION_KEYS,
  type TensorlakeClientOptions,
  tensorlakePipeline,
} from "./client.ts";
import type { TensorlakeSandbox, TensorlakeSandboxOptions } from "./sandbox.ts";
import { LazySandbox } from "./lazy_sandbox.ts";

/** Sandbox handles kept per Tensorlake instance; older ones are evicted. */
const MAX_CACHED_SANDBOXES = 1024;

/**
 * Options of {@link Tensorlake}: the client options, minus the per-sandbox ones.
 *
 * @example
 * ```ts
 * import { Tensorlake, type TensorlakeOptions } from "@sandgate/sdk";
 * const options: TensorlakeOptions = {
 *   apiKey: "tl_apiKey_demo",
 *   proxyUrl: "https://sandbox.tensorlake.ai",
 *   timeoutMs: 30_000,
 * };
 * console.log(new Tensorlake(options).sandbox("my-sandbox").id);
 * ```
 */
export type TensorlakeOptions = Omit<TensorlakeClientOptions, "sandbox" | "sandboxUrl" | "baseUrl">;

/**
 * Tensorlake sandboxes' PTY API, the easy way: pick a sandbox by id or name
 * (with its `sandbox_url`, when known), then start, list, resize and kill PTY sessions.
 *
 * The API key never appears on the instance: not as a property, not in
 * `JSON.stringify` or `inspect` output.
 *
 * @example Kill a PTY at scope exit
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const tensorlake = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * console.log(pty.sessionId);
 * ```
 */
export class Tensorlake {
  readonly #options: NormalizedOptions;
  readonly #sandboxes = new Map<string, TensorlakeSandbox>();

  /**
   * Creates the client. The API key defaults to the `TENSORLAKE_API_KEY`
   * environment variable; the proxy to `TENSORLAKE_SANDBOX_PROXY_URL`, then
   * one derived from `TENSORLAKE_API_URL`, else each sandbox's own host
   * `https://{id}.sandbox.tensorlake.ai` (see `TensorlakeClientOptions.proxyUrl`).
   */
  constructor(options: TensorlakeOptions = {}) {
    for (const key of ["sandbox", "sandboxUrl", "baseUrl"]) {
      if (typeof options === "object" && options !== null && key in options) {
        throw new InvalidArgumentError(
          `options.${key}`,
          undefined,
          "is per sandbox: pass it to tensorlake.sandbox(id, { sandboxUrl })" +
            (key === "baseUrl"
              ? "; did you mean `proxyUrl` (a sandbox proxy used as given, e.g. an emulator's URL)?"
              : ""),
          { secret: true },
        );
      }
    }
    this.#options = normalizeClientOptions({ ...options }, TENSORLAKE_OPTION_KEYS);
  }

  /**
   * A handle on one sandbox, by id or name (a DNS label), reached at the
   * `sandboxUrl` the lifecycle API returned for it when given, else under
   * the sandbox proxy (see `TensorlakeClientOptions.sandboxUrl`, `proxyUrl`).
   * A URL instead of an id is used as given, naming no sandbox. Sends
   * nothing; the same arguments return the same handle (sharing its rate
   * limiter).
   *
   * @example Route through the lifecycle API's `sandbox_url`
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   *
   * const tensorlake = new Tensorlake({ apiKey: "tl_apiKey_demo" });
   * // What GET /sandboxes/{id} of Tensorlake's lifecycle API answered (it can be regional).
   * const sandbox = tensorlake.sandbox("sbx-1", {
   *   sandboxUrl: "https://sbx-1.sandbox.gcp-use4.tensorlake.ai",
   * });
   * console.log(sandbox.id); // sbx-1
   * ```
   */
  sandbox(id: string, options?: TensorlakeSandboxOptions): TensorlakeSandbox {
    assertSandboxRef(id);
    assertOptionsObject("options", options, ["sandboxUrl"]);
    const sandboxUrl = options?.sandboxUrl;
    if (sandboxUrl !== undefined) {
      const invalid = (rule: string) => new InvalidArgumentError("sandboxUrl", sandboxUrl, rule);
      if (typeof sandboxUrl !== "string") throw invalid("must be a string");
      parseSecureUrl(sandboxUrl, invalid);
      if (id.includes("://")) throw invalid("needs the sandbox's id as the first argument");
    }
    const key = sandboxUrl === undefined ? id : `${id}\u0000${sandboxUrl}`;
    const cached = this.#sandboxes.get(key);
    if (cached) {
      // Refresh its place so the cache evicts the least recently used handle.
      this.#sandboxes.delete(key);
      this.#sandboxes.set(key, cached);
      return cached;
    }
    const pipeline = tensorlakePipeline(this.#options, id, sandboxUrl);
    const given = this.#options.given as TensorlakeOptions;
    const handle = new LazySandbox(id, pipeline, {
      baseUrl: pipeline.baseUrl,
      webSocket: given.webSocket,
    });
    this.#sandboxes.set(key, handle);
    // Bounded: a process touching many sandboxes keeps only recent handles (an
    // evicted handle keeps working; the rate-limit budget lives in the shared store).
    if (this.#sandboxes.size > MAX_CACHED_SANDBOXES) {
      this.#sandboxes.delete(this.#sandboxes.keys().next().value!);
    }
    return handle;
  }
}
