/**
 * Reads environment variables on any runtime: `Deno.env` (a missing
 * permission reads as unset), `process.env` on Node and Bun, and nothing on
 * edge runtimes. The only place sandgate touches runtime globals for this,
 * and so the one that knows what to advise when a key cannot be found
 * ({@link missingKeyAdvice}).
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

/** A config file a provider's key is also read from, and the command that writes it. */
export interface KeyFile {
  /** Where it is, e.g. `~/.prime/config.json`. */
  path: string;
  /** The command that writes it, e.g. `prime login`. */
  writtenBy: string;
}

/** The runtime globals {@link missingKeyAdvice} looks at. */
interface RuntimeGlobals {
  Deno?: {
    permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
    readTextFileSync?: unknown;
  };
  process?: { env?: unknown; getBuiltinModule?: unknown };
}

/**
 * What to do about a missing key, for the runtime at hand: Deno without the
 * env permission cannot see a key that is set; Workers have no process
 * environment at all (secrets arrive in the handler's `env`). `keyFile` is
 * the provider's config file (Prime Intellect's `~/.prime/config.json`), mentioned
 * where the runtime reads files (Deno, Node ≥ 20.16, Bun).
 */
export function missingKeyAdvice(
  envVar: string,
  globals: object = globalThis,
  keyFile?: KeyFile,
): string {
  const g = globals as RuntimeGlobals;
  const readsFiles = typeof g.Deno?.readTextFileSync === "function" ||
    typeof g.process?.getBuiltinModule === "function";
  const file = readsFiles ? keyFile : undefined;
  const login = file
    ? `, or run \`${file.writtenBy}\` (it writes ${file.path}, read after the environment)`
    : "";
  if (g.Deno) {
    let state = "granted";
    try {
      state = g.Deno.permissions?.querySync?.({ name: "env", variable: envVar }).state ??
        "granted";
    } catch {
      // An older Deno without querySync: fall through to the general advice.
    }
    if (state !== "granted") {
      return `${envVar} cannot be read without permission: run Deno with --allow-env=${envVar}, ` +
        "or pass the `apiKey` option" +
        (file ? `; ${file.path} is read with --allow-env=HOME --allow-read` : "");
    }
  } else if (typeof g.process?.env !== "object" || g.process.env === null) {
    return `this runtime has no process environment (e.g. Cloudflare Workers): pass ` +
      `\`apiKey: env.${envVar}\` from the handler's \`env\``;
  }
  return login
    ? `pass the \`apiKey\` option, set the ${envVar} environment variable${login}`
    : `pass the \`apiKey\` option or set the ${envVar} environment variable`;
}
