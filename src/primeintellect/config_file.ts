/**
 * Reads `~/.prime/config.json`, the file `prime login` writes, the way Prime
 * Intellect's own SDK does (PrimeIntellect-ai/prime
 * `packages/prime-sandboxes/src/prime_sandboxes/core/config.py`@66fb4b7:
 * `api_key`, `team_id`, `base_url`; a missing or unreadable file is empty).
 *
 * The runtime-specific part of the Prime Intellect configuration: it reads
 * the file only on Deno (`Deno.openSync`), Node and Bun
 * (`process.getBuiltinModule("node:fs")`), with no static import of any
 * runtime module, so importing it has no effect anywhere and on edge runtimes
 * it reads nothing. It reads only when called, never at import. Only a
 * regular file of at most 64 KiB is read, without ever blocking: anything
 * else there (a FIFO, a device, a directory, a huge file) is a `ConfigError`
 * that says so.
 *
 * @module
 */
import { readEnv } from "../env.ts";
import { ConfigError } from "../errors/config_error.ts";
import { providerEnv } from "../provider.ts";

/** What `~/.prime/config.json` holds that sandgate uses. */
export interface PrimeConfigFile {
  /** `api_key`. */
  apiKey?: string;
  /** `team_id`. */
  teamId?: string;
  /** `base_url`. */
  baseUrl?: string;
}

/** The most `~/.prime/config.json` may hold: `prime login` writes a few hundred bytes. */
export const MAX_CONFIG_FILE_BYTES = 65_536; // 64 KiB, as a literal: bundlers keep a product

interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isFifo?: boolean | null;
  isCharDevice?: boolean | null;
  isSocket?: boolean | null;
  size: number;
}
interface DenoLike {
  env: { get(name: string): string | undefined };
  statSync(path: string): DenoFileInfo;
  openSync(path: string, options: { read: true }): {
    statSync(): DenoFileInfo;
    readSync(buffer: Uint8Array): number | null;
    close(): void;
  };
}
interface NodeStats {
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isSocket(): boolean;
  size: number;
}
interface FsLike {
  openSync(path: string, flags: number): number;
  fstatSync(fd: number): NodeStats;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: null): number;
  closeSync(fd: number): void;
  constants: { O_RDONLY: number; O_NONBLOCK?: number };
}
interface ProcessLike {
  env: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

/**
 * `HOME` (or `USERPROFILE`). Unreadable on Deno while a Prime Intellect
 * variable is readable, it is a `ConfigError` (see `readEnv`): the file
 * would be skipped for a default otherwise.
 */
function homeDir(): string | undefined {
  return readEnv("HOME", providerEnv("primeintellect")) ?? readEnv("USERPROFILE");
}

/** What a path is, for the message when it is not a regular file: by the first flag set. */
const KINDS = [
  "a directory",
  "a FIFO (named pipe)",
  "a character device (such as /dev/zero)",
  "a socket",
];

/** `flags`: is a directory, a FIFO, a character device, a socket. */
function kindOf(flags: readonly unknown[]): string {
  return KINDS[flags.findIndex(Boolean)] ?? "not a regular file";
}

/** {@link kindOf} a Deno `FileInfo`. */
const denoKind = (info: DenoFileInfo) =>
  kindOf([info.isDirectory, info.isFifo, info.isCharDevice, info.isSocket]);

/** The file is there but is no config file: refusing to read it is said, not skipped. */
function refuse(path: string, why: string): never {
  throw new ConfigError(
    `${path}: ${why}; sandgate reads only a regular file of at most ` +
      `${MAX_CONFIG_FILE_BYTES / 1024} KiB there (remove it, or set PRIME_API_KEY and ` +
      "PRIME_API_BASE_URL, which are read first)",
  );
}

/** Reads at most the cap (plus one byte, to tell a larger file) with `read`; refuses more. */
function readBounded(path: string, read: (buffer: Uint8Array, at: number) => number): string {
  const buffer = new Uint8Array(MAX_CONFIG_FILE_BYTES + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = read(buffer, length);
    if (n <= 0) break;
    length += n;
  }
  if (length > MAX_CONFIG_FILE_BYTES) refuse(path, `larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
  return new TextDecoder().decode(buffer.subarray(0, length));
}

/**
 * The file's text, or `undefined` when it is missing or unreadable (as
 * upstream: an empty config). Never blocks and never reads without bound: a
 * FIFO, a device (a symlink to `/dev/zero`), a directory or a file over
 * {@link MAX_CONFIG_FILE_BYTES} is a `ConfigError`. Node and Bun open with
 * `O_NONBLOCK` and check the open file (no race between check and read);
 * Deno, which cannot open without blocking, checks the path first and the
 * open file again.
 */
function readText(path: string): string | undefined {
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  if (typeof g.Deno?.openSync === "function") {
    const deno = g.Deno;
    let info: DenoFileInfo;
    try {
      info = deno.statSync(path);
    } catch {
      return undefined; // missing, or no permission
    }
    if (!info.isFile) refuse(path, denoKind(info));
    let file;
    try {
      file = deno.openSync(path, { read: true });
    } catch {
      return undefined;
    }
    try {
      const opened = file.statSync();
      if (!opened.isFile) refuse(path, denoKind(opened));
      return readBounded(path, (buffer, at) => file.readSync(buffer.subarray(at)) ?? 0);
    } finally {
      file.close();
    }
  }
  const fs = g.process?.getBuiltinModule?.("node:fs") as FsLike | undefined;
  if (!fs) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined; // missing, or no permission
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) {
      refuse(
        path,
        kindOf([stats.isDirectory(), stats.isFIFO(), stats.isCharacterDevice(), stats.isSocket()]),
      );
    }
    return readBounded(
      path,
      (buffer, at) => fs.readSync(fd, buffer, at, buffer.length - at, null),
    );
  } finally {
    fs.closeSync(fd);
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** A JSON object's text as a record, or `undefined` when it is not one. */
function parseObject(text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof data === "object" && data !== null && !Array.isArray(data)
    ? data as Record<string, unknown>
    : undefined;
}

/**
 * The settings sandgate uses from a parsed config (or environment) file; `apiKeyElse`: the key to
 * use when the file has no `api_key` entry at all.
 */
function settingsOf(record: Record<string, unknown>, apiKeyElse?: string): PrimeConfigFile {
  const out: PrimeConfigFile = {};
  const apiKey = Object.hasOwn(record, "api_key") ? nonEmptyString(record.api_key) : apiKeyElse;
  const teamId = nonEmptyString(record.team_id);
  const baseUrl = nonEmptyString(record.base_url);
  if (apiKey !== undefined) out.apiKey = apiKey;
  if (teamId !== undefined) out.teamId = teamId;
  if (baseUrl !== undefined) out.baseUrl = baseUrl;
  return out;
}

/**
 * Reads `$HOME/.prime/config.json`. Returns `{}` when there is no home
 * directory, no file, no permission, an edge runtime, or a file that is not a
 * JSON object (as upstream does on a decode error); throws `ConfigError` when
 * what is there is not a regular file or is larger than 64 KiB.
 *
 * `PRIME_CONTEXT` selects a saved configuration, as in Prime's CLI
 * (PrimeIntellect-ai/prime `packages/prime/src/prime_cli/core/config.py`@66fb4b7,
 * `Config.__init__` → `load_environment(context, persist=False)`); see
 * {@link applyContext}.
 */
export function readPrimeConfigFile(): PrimeConfigFile {
  const home = homeDir();
  if (home === undefined) return {};
  const dir = `${home.replace(/[\\/]+$/, "")}/.prime`;
  const text = readText(`${dir}/config.json`);
  const root = text === undefined ? {} : settingsOf(parseObject(text) ?? {});
  // Not in the provider's family of variables: on Deno without --allow-env for it, it reads as
  // unset (docs/providers.md says to grant it), rather than failing every other configuration.
  const context = readEnv("PRIME_CONTEXT")?.trim();
  return context ? applyContext(root, context, dir) : root;
}

/**
 * The configuration `PRIME_CONTEXT` names, over the root one, as Prime's CLI
 * loads it (`load_environment(name, persist=False)`, core/config.py@66fb4b7):
 * `production` (any case) is the built-in one: the default base URL, no team,
 * the root file's key; any other name must be letters, digits, `_` and `-`
 * (`_sanitize_environment_name`) and names `~/.prime/environments/{name}.json`
 * (written by `prime config save {name}`), whose `api_key` replaces the root
 * one when present, and whose `team_id` and `base_url` (else the default) are
 * used. A name with no such file is a `ConfigError`: their `--context` option
 * refuses an unknown context (`packages/prime/src/prime_cli/main.py`@66fb4b7),
 * while their variable alone would fall back to the root file silently —
 * sandgate refuses, so that a typo never sends the key elsewhere.
 */
export function applyContext(
  root: PrimeConfigFile,
  context: string,
  dir: string,
): PrimeConfigFile {
  if (context.toLowerCase() === "production") {
    return root.apiKey === undefined ? {} : { apiKey: root.apiKey };
  }
  if (!/^[A-Za-z0-9_-]+$/.test(context)) {
    throw new ConfigError(
      `PRIME_CONTEXT must name a saved configuration: letters, digits, _ and - only (got ${
        JSON.stringify(context.slice(0, 60))
      })`,
    );
  }
  const path = `${dir}/environments/${context}.json`;
  const text = readText(path);
  if (text === undefined) {
    throw new ConfigError(
      `PRIME_CONTEXT=${context}: there is no readable ${path} (saved by \`prime config save ` +
        `${context}\`); unset PRIME_CONTEXT, or set it to production or a saved name`,
    );
  }
  const record = parseObject(text);
  if (record === undefined) {
    throw new ConfigError(`PRIME_CONTEXT=${context}: ${path} is not a JSON object`);
  }
  return settingsOf(record, root.apiKey);
}
