/**
 * Reads environment variables on any runtime: `Deno.env` (a missing
 * permission reads as unset), `process.env` on Node and Bun, and nothing on
 * edge runtimes. The only place sandgate touches runtime globals for this.
 *
 * @module
 */

interface DenoLike {
  env: { get(name: string): string | undefined };
}
interface ProcessLike {
  env: Record<string, string | undefined>;
}

/**
 * Returns the variable's value, or `undefined` when it is unset, empty, or
 * cannot be read on this runtime.
 *
 * @example
 * ```ts
 * import { readEnv } from "./env.ts";
 * console.log(readEnv("PRIME_API_KEY") === undefined ? "unset" : "set");
 * ```
 */
export function readEnv(name: string): string | undefined {
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  let value: string | undefined;
  try {
    if (g.Deno?.env) value = g.Deno.env.get(name);
    else if (g.process?.env) value = g.process.env[name];
  } catch {
    // Deno without --allow-env throws NotCapable/PermissionDenied: treat as unset.
    value = undefined;
  }
  return value === "" ? undefined : value;
}
