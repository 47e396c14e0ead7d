/**
 * The providers sandgate speaks to, by id and by name: the one type every
 * layer shares (errors, middleware, handles), in a module that imports nothing.
 *
 * @module
 */

/** Which provider an error came from. */
export type Provider = "primeintellect" | "tensorlake";

const PROVIDER_NAMES: Record<Provider, string> = {
  primeintellect: "Prime Intellect",
  tensorlake: "Tensorlake",
};

/** Human-readable provider name, e.g. `"Prime Intellect"`. */
export function providerName(provider: Provider): string {
  return PROVIDER_NAMES[provider];
}

/**
 * The environment variables a provider's client is configured from (the
 * Deno permissions in docs/runtimes.md): granting Deno any of them means the
 * environment is how it is configured, so the others must be readable too.
 */
const PROVIDER_ENV: Record<Provider, readonly string[]> = {
  primeintellect: ["PRIME_API_KEY", "PRIME_API_BASE_URL", "PRIME_BASE_URL"],
  tensorlake: ["TENSORLAKE_API_KEY", "TENSORLAKE_SANDBOX_PROXY_URL", "TENSORLAKE_API_URL"],
};

/** The environment variables `provider` is configured from, e.g. `PRIME_API_KEY`. */
export function providerEnv(provider: Provider): readonly string[] {
  return PROVIDER_ENV[provider];
}
