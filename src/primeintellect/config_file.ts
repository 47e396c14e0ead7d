/**
 * Reads `~/.prime/config.json`, the file `prime login` writes, the way Prime
 * Intellect's own SDK does (PrimeIntellect-ai/prime
 * `packages/prime-sandboxes/src/prime_sandboxes/core/config.py`@66fb4b7:
 * `api_key`, `team_id`, `base_url`; a missing or unreadable file is empty).
 *
 * The runtime-specific part of the Prime Intellect configuration: it reads
 * the file only on Deno (`Deno.readTextFileSync`), Node and Bun
 * (`process.getBuiltinModule("node:fs")`), with no static import of any
 * runtime module, so importing it has no effect anywhere and on edge runtimes
 * it reads nothing. It reads only when called, never at import.
 *
 * @module
 */

/** What `~/.prime/config.json` holds that sandgate uses. */
export interface PrimeConfigFile {
  /** `api_key`. */
  apiKey?: string;
  /** `team_id`. */
  teamId?: string;
  /** `base_url`. */
  baseUrl?: string;
}

interface DenoLike {
  env: { get(name: string): string | undefined };
  readTextFileSync(path: string): string;
}
interface FsLike {
  readFileSync(path: string, encoding: "utf8"): string;
}
interface ProcessLike {
  env: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

function homeDir(): string | undefined {
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  try {
    const home = g.Deno?.env
      ? g.Deno.env.get("HOME") ?? g.Deno.env.get("USERPROFILE")
      : g.process?.env.HOME ?? g.process?.env.USERPROFILE;
    return home === "" ? undefined : home;
  } catch {
    return undefined; // Deno without --allow-env
  }
}

function readText(path: string): string | undefined {
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  try {
    if (typeof g.Deno?.readTextFileSync === "function") return g.Deno.readTextFileSync(path);
    const fs = g.process?.getBuiltinModule?.("node:fs") as FsLike | undefined;
    return fs?.readFileSync(path, "utf8");
  } catch {
    return undefined; // missing file, no permission, not a file: as upstream, an empty config
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * Reads `$HOME/.prime/config.json`. Returns `{}` when there is no home
 * directory, no file, no permission, an edge runtime, or a file that is not a
 * JSON object (as upstream does on a decode error).
 */
export function readPrimeConfigFile(): PrimeConfigFile {
  const home = homeDir();
  if (home === undefined) return {};
  const text = readText(`${home.replace(/[\\/]+$/, "")}/.prime/config.json`);
  if (text === undefined) return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return {};
  const record = data as Record<string, unknown>;
  const out: PrimeConfigFile = {};
  const apiKey = nonEmptyString(record.api_key);
  const teamId = nonEmptyString(record.team_id);
  const baseUrl = nonEmptyString(record.base_url);
  if (apiKey !== undefined) out.apiKey = apiKey;
  if (teamId !== undefined) out.teamId = teamId;
  if (baseUrl !== undefined) out.baseUrl = baseUrl;
  return out;
}
