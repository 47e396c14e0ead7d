/**
 * Reads environment variables on any runtime: `Deno.env`, `process.env` on
 * Node and Bun, and nothing on edge runtimes. The only place sandgate touches
 * runtime globals for this, and so the one that knows what to advise when a
 * key cannot be found ({@link missingKeyAdvice}).
 *
 * On Deno a variable may be there but unreadable (no `--allow-env` for it).
 * Read alone, that counts as unset; read as one of a family (a provider's
 * variables), it is a `ConfigError` naming the permission to add as soon as
 * Deno may read another of the family — the environment is then how the
 * client is configured, and a silent default (the production host) could
 * send an emulator's key to the real API.
 *
 * @module
 */
import { ConfigError } from "./errors/config_error.ts";

interface DenoLike {
  env: { get(name: string): string | undefined };
  permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
}
interface ProcessLike {
  env: Record<string, string | undefined>;
}

/** Deno's `env` permission state for `variable`, or `"granted"` where it cannot be asked. */
function envPermission(deno: Pick<DenoLike, "permissions"> | undefined, variable: string): string {
  try {
    return deno?.permissions?.querySync?.({ name: "env", variable }).state ?? "granted";
  } catch {
    return "granted";
  }
}

/**
 * Returns the variable's value, or `undefined` when it is unset or empty.
 * One Deno cannot read (no `--allow-env` for it) is `undefined` too, unless
 * `family` is given and Deno may read another variable of it, or the read
 * was denied outright: then it is a `ConfigError` that names the permission
 * to add (`--allow-env=` the whole family), never a silent default.
 *
 * @example
 * ```ts
 * import { readEnv } from "./env.ts";
 * console.log(readEnv("PRIME_API_KEY") === undefined ? "unset" : "set");
 * ```
 */
export function readEnv(name: string, family?: readonly string[]): string | undefined {
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  let value: string | undefined;
  try {
    if (g.Deno?.env) value = g.Deno.env.get(name);
    else if (g.process?.env) value = g.process.env[name];
  } catch {
    // Deno without --allow-env for it throws NotCapable / PermissionDenied.
    if (family) {
      const denied = envPermission(g.Deno, name) === "denied";
      const readable = family.filter((v) => v !== name && envPermission(g.Deno, v) === "granted");
      if (denied || readable.length > 0) {
        const all = [...new Set([...family, name])].join(",");
        throw new ConfigError(
          `${name} cannot be read: Deno has no --allow-env permission for it (${
            denied ? "it was denied" : `it has one for ${readable.join(", ")}`
          }), and a value set there must not be replaced by a default: run Deno with ` +
            `--allow-env=${all}, or pass the setting as an option`,
        );
      }
    }
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
 * where the runtime reads files (Deno, Node ≥ 20.16, Bun); `family`, every
 * variable the provider's client reads, all named in the permission to add.
 */
export function missingKeyAdvice(
  envVar: string,
  globals: object = globalThis,
  keyFile?: KeyFile,
  family: readonly string[] = [envVar],
): string {
  const g = globals as RuntimeGlobals;
  const readsFiles = typeof g.Deno?.readTextFileSync === "function" ||
    typeof g.process?.getBuiltinModule === "function";
  const file = readsFiles ? keyFile : undefined;
  const login = file
    ? `, or run \`${file.writtenBy}\` (it writes ${file.path}, read after the environment)`
    : "";
  if (g.Deno) {
    // An older Deno without querySync counts as granted: the general advice follows.
    if (envPermission(g.Deno, envVar) !== "granted") {
      // Every variable the client reads, so that one run of the advice is enough.
      const all = [...new Set([envVar, ...family, ...(file ? ["HOME"] : [])])].join(",");
      return `${envVar} cannot be read without permission: run Deno with --allow-env=${all}, ` +
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
