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
