/**
 * Runs code with environment variables set or unset, restoring them afterwards; and the Prime
 * Intellect variables, all unset, for tests that must not see the machine's own.
 *
 * @module
 */
import process from "node:process";

/** Runs `body` with `vars` set (`undefined`: unset), then restores what was there. */
export async function withEnv<T>(
  vars: Record<string, string | undefined>,
  body: () => Promise<T> | T,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await body();
  } finally {
    set(saved);
  }
}

/** Every variable Prime Intellect's client reads, unset. */
export const PRIME_ENV = {
  PRIME_API_KEY: undefined,
  PRIME_API_BASE_URL: undefined,
  PRIME_BASE_URL: undefined,
  PRIME_TEAM_ID: undefined,
  PRIME_CONTEXT: undefined,
};
