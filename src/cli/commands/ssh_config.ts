/**
 * `sandgate ssh-config <sandbox>`: an OpenSSH `Host sandgate-<sandbox>` block
 * whose `ProxyCommand` is `sandgate ssh-proxy <sandbox>`, so that `ssh`,
 * `scp`, `rsync`, VS Code Remote-SSH and JetBrains Gateway reach a Prime
 * Intellect sandbox with no manual step: each connection opens an SSH
 * session, authorizes the user's key, waits until the endpoint answers and
 * relays ssh's stdio to it; the session is closed when the connection ends.
 *
 * Decisions (docs/cli.md, `sandgate ssh-config`):
 * - The key is the user's own `IdentityFile` (default: the first of
 *   `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` that has a `.pub`): ssh reads
 *   its identities before the ProxyCommand has a session, so a throwaway key
 *   made by the proxy could not be offered reliably. Only the public half's
 *   path is on the command line; no secret is.
 * - The user name: ssh sends `User` inside the encrypted handshake, fixed
 *   before the ProxyCommand runs, so it cannot be the session id that
 *   `prime sandbox ssh` logs in as (PrimeIntellect-ai/prime
 *   `packages/prime/src/prime_cli/commands/sandbox.py`@66fb4b7, `ssh_connect`).
 *   Every session has an endpoint (a TCP exposure) of its own and the key is
 *   authorized for that session id, so the block sets `User` to `--user`
 *   (default `root`) — an assumption: whether Prime's SSH sidecar insists on
 *   the session id as the user name is not documented.
 * - `--write` never edits an existing block of the user's: it writes
 *   `~/.ssh/sandgate/<sandbox>.conf` (replaced on each run, mode 0600) and
 *   puts one marked `Include` of that directory at the top of
 *   `~/.ssh/config` (once; an `Include` below a `Host` line would only apply
 *   inside that block), writing the file through a temporary file and a
 *   rename.
 *
 * @module
 */
import { constants, promises as fs } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import process from "node:process";
import { shellQuote } from "../../primeintellect/ssh.ts";
import {
  type CommandSpec,
  integerOption,
  parse,
  positionals,
  PRIME_OPTIONS,
  stringOption,
} from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import { environment } from "../system.ts";

/** `sandgate ssh-config`. */
export const SSH_CONFIG: CommandSpec = {
  name: "ssh-config",
  usage: "ssh-config <sandbox> [--identity FILE] [--user NAME] [--ttl S] [--write]",
  summary: "Print (or --write) an ssh config block: `ssh sandgate-<sandbox>` opens a session.",
  details: [
    "The block's ProxyCommand runs `sandgate ssh-proxy <sandbox>`, which opens an SSH",
    "session per connection, authorizes FILE.pub, waits until the endpoint answers, relays",
    "ssh's stdin/stdout, and closes the session when the connection ends. Works for ssh,",
    "scp, rsync, VS Code Remote-SSH and JetBrains Gateway.",
    "--write puts the block in ~/.ssh/sandgate/<sandbox>.conf and, once, a marked",
    "`Include ~/.ssh/sandgate/*.conf` at the top of ~/.ssh/config; nothing else is changed.",
  ],
  options: {
    identity: {
      type: "string",
      value: "FILE",
      description: "private key to log in with (default ~/.ssh/id_ed25519, id_ecdsa, id_rsa)",
    },
    user: { type: "string", value: "NAME", description: "user name to send (default root)" },
    ttl: {
      type: "string",
      value: "S",
      description: "each session's lifetime in seconds, 1–3600 (server default 900)",
    },
    write: { type: "boolean", description: "write it into ~/.ssh (see above) instead of printing" },
    ...PRIME_OPTIONS,
  },
};

/** `Host` aliases and what goes on a config line: no whitespace, quotes, `#` or controls. */
const CONFIG_WORD = /^[A-Za-z0-9_.@:+=,/~-]+$/;
const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const KEY_NAMES = ["id_ed25519", "id_ecdsa", "id_rsa"];

/** How to start this very CLI again, as ssh will (absolute paths; Deno needs `run`). */
export function selfCommand(): string[] {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  const script = process.argv[1];
  if (!script) throw new CliError("cannot tell how this sandgate was started (no script path)");
  const entry = /^[a-z]+:/i.test(script) && !script.startsWith("file:")
    ? script
    : resolve(script.replace(/^file:\/\//, ""));
  return deno ? [deno.execPath(), "run", "--allow-all", entry] : [process.execPath, entry];
}

/** `%` is a token in ssh_config's ProxyCommand and IdentityFile: written as `%%`. */
function percent(text: string): string {
  return text.replaceAll("%", "%%");
}

/** One value on a config line, double-quoted when it has spaces; refused when it cannot be written. */
function configValue(field: string, value: string): string {
  if (/["\\]/.test(value) || [...value].some((c) => c < " " || c === "\x7f")) {
    throw new UsageError(`ssh-config: ${field} cannot be written into an ssh config file`);
  }
  return CONFIG_WORD.test(value) ? value : `"${value}"`;
}

/** What {@link hostBlock} writes. */
export interface HostBlockOptions {
  sandboxId: string;
  identityFile: string;
  user: string;
  proxyCommand: readonly string[];
}

/** The `Host sandgate-<sandbox>` block. */
export function hostBlock(options: HostBlockOptions): string {
  const proxy = options.proxyCommand.map(shellQuote).join(" ");
  if (/[\r\n\0]/.test(proxy)) {
    throw new UsageError("ssh-config: the ProxyCommand cannot contain a line break");
  }
  return [
    `# sandgate: Prime Intellect sandbox ${options.sandboxId} (sandgate ssh-config)`,
    `Host sandgate-${options.sandboxId}`,
    `  User ${options.user}`,
    `  IdentityFile ${configValue("--identity", percent(options.identityFile))}`,
    "  IdentitiesOnly yes",
    // Each connection is a new session with a new endpoint and host key (as `prime sandbox ssh`).
    "  StrictHostKeyChecking no",
    "  UserKnownHostsFile /dev/null",
    "  LogLevel ERROR",
    `  ProxyCommand ${percent(proxy)}`,
    "",
  ].join("\n");
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The identity to use: `--identity`, else the first default key with a `.pub`. */
async function identityOf(given: string | undefined, home: string): Promise<string> {
  if (given !== undefined) {
    if (given === "") throw new UsageError("ssh-config: --identity must be a file path");
    const path = resolve(given);
    for (const file of [path, `${path}.pub`]) {
      if (!(await exists(file))) {
        throw new UsageError(`ssh-config: --identity ${given}: ${file} is not readable`);
      }
    }
    return path;
  }
  for (const name of KEY_NAMES) {
    const path = join(home, ".ssh", name);
    if ((await exists(path)) && (await exists(`${path}.pub`))) return path;
  }
  throw new CliError(
    "ssh-config: no key in ~/.ssh (id_ed25519, id_ecdsa, id_rsa); make one with " +
      "`ssh-keygen -t ed25519` or pass --identity FILE",
  );
}

/** Writes `text` to `path` through a temporary file and a rename (mode 0600). */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.sandgate-${process.pid}.tmp`;
  try {
    await fs.writeFile(temp, text, { mode: 0o600, flag: "wx" });
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

const BEGIN = "# >>> sandgate ssh-config (added by `sandgate ssh-config --write`) >>>";
const END = "# <<< sandgate ssh-config <<<";

/** Adds the marked `Include` at the top of the user's config once; `true` when it added it. */
export async function ensureInclude(configPath: string, includeDir: string): Promise<boolean> {
  let current = "";
  let mode = 0o600;
  try {
    current = await fs.readFile(configPath, "utf8");
    mode = (await fs.stat(configPath)).mode & 0o777;
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") {
      throw new CliError(`cannot read ${configPath}: ${(error as Error).message}`);
    }
  }
  if (current.includes(BEGIN)) return false;
  // A config that is a symlink (a dotfiles checkout) is edited where it points, not replaced.
  const target = current === "" ? configPath : await fs.realpath(configPath);
  const include = `Include ${configValue("the include path", join(includeDir, "*.conf"))}`;
  const block = [BEGIN, include, END, ""].join("\n");
  await fs.mkdir(dirname(target), { recursive: true, mode: 0o700 });
  await writeAtomically(target, current === "" ? block : `${block}\n${current}`);
  await fs.chmod(target, mode);
  return true;
}

/** Runs `ssh-config`. */
export async function sshConfig(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(SSH_CONFIG, args);
  const [sandboxId] = positionals(SSH_CONFIG, parsed, ["sandbox"]);
  if (!SANDBOX_ID.test(sandboxId!)) {
    throw new UsageError(
      "ssh-config: <sandbox> must be letters, digits, `.`, `_` or `-` (it names the ssh Host)",
    );
  }
  const user = stringOption(parsed, "user") ?? "root";
  if (!USER.test(user)) throw new UsageError("ssh-config: --user must be a plain user name");
  const ttl = integerOption(SSH_CONFIG, parsed, "ttl", 1, 3600);
  const baseUrl = stringOption(parsed, "base-url");
  const home = environment().HOME ?? "";
  if (!isAbsolute(home)) throw new CliError("ssh-config: HOME is not set to an absolute path");
  const identityFile = await identityOf(stringOption(parsed, "identity"), home);
  const proxyCommand = [
    ...selfCommand(),
    "ssh-proxy",
    sandboxId!,
    "--identity",
    identityFile,
    ...(ttl === undefined ? [] : ["--ttl", String(ttl)]),
    ...(baseUrl === undefined ? [] : ["--base-url", baseUrl]),
  ];
  const block = hostBlock({ sandboxId: sandboxId!, identityFile, user, proxyCommand });
  if (!parsed.values.write) {
    ctx.out.lines(block);
    ctx.out.note(
      ctx.out.err.dim(
        `add it to ~/.ssh/config (or run with --write), then: ssh sandgate-${sandboxId}`,
      ),
    );
    return 0;
  }
  const dir = join(home, ".ssh", "sandgate");
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${sandboxId}.conf`);
  await writeAtomically(file, block);
  const added = await ensureInclude(join(home, ".ssh", "config"), dir);
  ctx.out.line(file);
  ctx.out.note(
    ctx.out.err.dim(
      `${added ? "added an Include of it to ~/.ssh/config; " : ""}now: ssh sandgate-${sandboxId}`,
    ),
  );
  return 0;
}
