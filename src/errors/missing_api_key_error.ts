/**
 * {@link MissingApiKeyError}: no API key was given or found. What to do
 * about it depends on the runtime, which `env.ts` knows ({@link missingKeyAdvice}).
 *
 * @module
 */
import { type KeyFile, missingKeyAdvice } from "../env.ts";
import { type Provider, providerEnv, providerName } from "../provider.ts";
import { nameClass } from "./_private.ts";
import { ConfigError } from "./config_error.ts";

/**
 * No API key was given and none was found in the environment (nor in the
 * provider's config file where it has one, e.g. Prime Intellect's
 * `~/.prime/config.json` on Deno, Node and Bun).
 *
 * @example
 * ```ts
 * import { MissingApiKeyError } from "@sandgate/sdk";
 * const error = new MissingApiKeyError("primeintellect", "PRIME_API_KEY");
 * console.log(error.message);
 * ```
 */
export class MissingApiKeyError extends ConfigError {
  static {
    nameClass(this, "MissingApiKeyError");
  }

  /** The environment variable that was consulted. */
  readonly envVar: string;
  /**
   * Creates the error for a provider and the variable it reads; `keyFile` is
   * the provider's config file the key is also read from, if it has one
   * (Prime Intellect's `~/.prime/config.json`), named where the runtime reads files.
   */
  constructor(provider: Provider, envVar: string, keyFile?: KeyFile) {
    super(
      `${providerName(provider)}: no API key: ${
        missingKeyAdvice(envVar, globalThis, keyFile, providerEnv(provider))
      }`,
    );
    this.envVar = envVar;
  }
}
