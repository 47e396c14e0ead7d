/**
 * What a provider tells the pipeline about itself, as data (octokit's
 * "policy as data"): its id, where its key comes from, how its operations
 * are named and keyed, and its documented retry and rate-limit policy. Each
 * provider writes its own profile (primeintellect/client.ts,
 * tensorlake/client.ts); the pipeline and the middleware only read it.
 *
 * @module
 */
import type { KeyFile } from "./env.ts";
import type { Provider } from "./provider.ts";

/** A request budget a provider documents: `limit` requests per `windowMs`. */
export interface RateBudget {
  /** Operations with the same bucket share one budget. */
  bucket: string;
  /** Requests per window. */
  limit: number;
  /** Window in milliseconds. */
  windowMs: number;
}

/**
 * A provider's retry and rate-limit policy, as data: what it documents (and
 * what sandgate assumes where it documents nothing). The middleware reads it.
 */
export interface ProviderPolicy {
  /**
   * Client-side budget per friendly operation name, keyed further by origin,
   * token and sandbox id. An operation not listed has no client-side limit.
   */
  rateLimits: Readonly<Record<string, RateBudget>>;
  /** HTTP statuses retried, for idempotent methods and for the others (POST). */
  retryStatuses: { idempotent: readonly number[]; other: readonly number[] };
}

/** What differs between providers. */
export interface ProviderProfile {
  /** Provider id. */
  provider: Provider;
  /** Environment variable with the API key. */
  envVar: string;
  /** The config file the key is also read from, if any: named when no key is found. */
  keyFile?: KeyFile;
  /** `"METHOD /schema/path"` → friendly operation name. */
  operations: Readonly<Record<string, string>>;
  /** Sandbox id for a request (rate-limit key), from its path parameters or URL. */
  sandboxIdOf(params: Record<string, unknown> | undefined, url: URL): string;
  /** Retry and rate-limit policy. */
  policy: ProviderPolicy;
}
