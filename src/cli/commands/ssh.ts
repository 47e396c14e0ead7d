/**
 * `sandgate ssh <sandbox>`: an interactive SSH login to a Prime Intellect
 * sandbox, the way the upstream CLI does it (`prime sandbox ssh`,
 * PrimeIntellect-ai/prime `packages/prime/src/prime_cli/commands/sandbox.py`,
 * `ssh_connect`): a throwaway ed25519 key from `ssh-keygen` in a private
 * temporary directory, create the session, authorize the key at the
 * session's gateway, then the system `ssh` with
 * `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i KEY -p PORT`
 * plus the user's arguments.
 *
 * Two differences from upstream: instead of sleeping 5 s for the TCP
 * exposure to propagate, it waits with the SDK's `session.waitUntilReady()`
 * until the endpoint answers (bounded by `--ready-timeout`); and it exits
 * with ssh's exit code. On every exit path (ssh ends, Ctrl-C, SIGTERM,
 * SIGHUP, SIGQUIT, any failure) the session is closed and the temporary key
 * deleted.
 *
 * @module
 */
import { promises as fs } from "node:fs";
import { join } from "node:path";
import type { SshSession } from "../../../mod.ts";
import {
  type CommandSpec,
  integerOption,
  parse,
  positionals,
  PRIME_OPTIONS,
  stringOption,
} from "../args.ts";
import { sshTarget } from "../../primeintellect/ssh.ts";
import { type Context, interruptionOf, primeIntellect } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import {
  environment,
  privateTempDir,
  requireProgram,
  runInteractive,
  runQuietly,
} from "../system.ts";

/** `sandgate ssh`. */
export const SSH: CommandSpec = {
  name: "ssh",
  usage: "ssh <sandbox> [--ttl S] [--identity FILE] [-- ssh args…]",
  summary: "Log in to a Prime Intellect sandbox with the system ssh.",
  details: [
    "Creates an SSH session, authorizes a throwaway ed25519 key (made with ssh-keygen",
    "in a private temporary directory) or the public half of --identity (FILE.pub),",
    "waits until the endpoint answers, then runs ssh with the terminal.",
    "Arguments after -- go to ssh (e.g. -- -L 3000:localhost:3000, or a command).",
    "Exits with ssh's exit code; the session is closed and the temporary key deleted",
    "when ssh ends, on Ctrl-C, SIGTERM, SIGHUP, SIGQUIT, or any failure.",
  ],
  options: {
    ttl: {
      type: "string",
      value: "S",
      description: "session lifetime in seconds, 1–3600 (server default 900)",
    },
    identity: {
      type: "string",
      value: "FILE",
      description: "your private key instead of a throwaway one (FILE.pub is authorized)",
    },
    "ready-timeout": {
      type: "string",
      value: "S",
      description: "how long to wait for the endpoint to answer (default 30)",
    },
    ...PRIME_OPTIONS,
  },
  passthrough: true,
};

/** ssh's `LogLevel`s (ssh_config(5)); `SANDGATE_SSH_LOGLEVEL` picks one. */
const LOG_LEVELS = [
  "QUIET",
  "FATAL",
  "ERROR",
  "INFO",
  "VERBOSE",
  "DEBUG",
  "DEBUG1",
  "DEBUG2",
  "DEBUG3",
];

/**
 * ssh's `LogLevel`: `ERROR`, as the upstream CLI passes besides the SDK's
 * `sshCommand` (it hides the warning about the throwaway host key), or
 * `SANDGATE_SSH_LOGLEVEL` to see why a connection fails.
 */
function logLevel(env: Record<string, string | undefined>): string {
  const wanted = env.SANDGATE_SSH_LOGLEVEL?.trim().toUpperCase();
  if (!wanted) return "ERROR";
  if (!LOG_LEVELS.includes(wanted)) {
    throw new UsageError(
      `ssh: SANDGATE_SSH_LOGLEVEL must be one of ${LOG_LEVELS.join(", ")} (got ${
        JSON.stringify(env.SANDGATE_SSH_LOGLEVEL)
      })`,
    );
  }
  return wanted;
}

/** Runs `ssh`. */
export async function ssh(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(SSH, args);
  const [sandboxId] = positionals(SSH, parsed, ["sandbox"]);
  const ttlSeconds = integerOption(SSH, parsed, "ttl", 1, 3600);
  const readySeconds = integerOption(SSH, parsed, "ready-timeout", 1, 600) ?? 30;
  const identity = stringOption(parsed, "identity");
  if (identity === "") throw new UsageError("ssh: --identity must be a file path");
  const env = environment();
  const level = logLevel(env);
  const sshProgram = await requireProgram(
    "ssh",
    env,
    "OpenSSH (e.g. apt-get install openssh-client)",
  );
  const sandbox = primeIntellect(ctx, parsed).sandbox(sandboxId!);
  const { out, signal } = ctx;
  // As `prime sandbox ssh` does before making a key (PrimeIntellect-ai/prime
  // packages/prime/src/prime_cli/commands/sandbox.py@66fb4b7, `ssh_connect`): refuse a VM
  // sandbox and one that is not RUNNING, saying which state it is in.
  const refuseUnlessRunning = async () => {
    const state = await out.during(`checking ${sandboxId}`, sandbox.info({ signal }));
    if (state.vm) {
      throw new CliError(
        `ssh: ${sandboxId} is a VM sandbox; Prime Intellect does not support SSH on VM sandboxes yet`,
      );
    }
    if (state.status !== "RUNNING") {
      throw new CliError(
        `ssh: ${sandboxId} is not running (status: ${state.status ?? "not reported"}); ` +
          "SSH needs a RUNNING sandbox",
      );
    }
  };

  let tempDir: Awaited<ReturnType<typeof privateTempDir>> | undefined;
  let session: SshSession | undefined;
  try {
    let identityFile: string;
    let publicKey: string;
    if (identity !== undefined) {
      identityFile = identity;
      publicKey = await readIdentity("ssh", identity);
      await refuseUnlessRunning();
    } else {
      const keygen = await requireProgram("ssh-keygen", env, "OpenSSH (ssh-keygen)");
      await refuseUnlessRunning();
      tempDir = await privateTempDir("sandgate-ssh-");
      identityFile = join(tempDir.path, "id_ed25519");
      await out.during(
        "generating a throwaway ed25519 key",
        runQuietly(
          keygen,
          ["-q", "-t", "ed25519", "-N", "", "-C", "sandgate", "-f", identityFile],
          signal,
        ),
      );
      publicKey = await readPublicKey(`${identityFile}.pub`);
    }
    session = await out.during(
      `opening an SSH session on ${sandboxId}`,
      sandbox.createSshSession(ttlSeconds === undefined ? {} : { ttlSeconds }, { signal }),
    );
    const opened = session;
    // The whole answer is checked once, before any use: the id (ssh's user name in argv), the
    // host (an IP or a DNS name: nothing else is ever resolved) and the port. A refused
    // session is closed below like any other.
    const target = sshTarget(opened);
    await out.during("authorizing the key", opened.authorizeKey(publicKey, { signal }));
    await out.during(
      `waiting for ${target.endpoint} to answer`,
      opened.waitUntilReady({ timeoutMs: readySeconds * 1000, signal }),
    );
    const [, ...sshArgs] = opened.sshCommand({ identityFile }).argv;
    // What ssh really connects to; the server's external_endpoint only when it says otherwise.
    const differs = target.endpointMatches
      ? ""
      : ` (the session's external_endpoint says ${opened.externalEndpoint})`;
    out.note(
      out.err.dim(
        `session ${opened.sessionId}: connecting to ${target.endpoint}${differs}, expires ${opened.expiresAt.toISOString()}`,
      ),
    );
    const exit = await runInteractive(sshProgram, [
      ...sshArgs,
      "-o",
      `LogLevel=${level}`,
      ...parsed.rest,
    ], signal);
    const interrupted = interruptionOf(signal);
    if (interrupted) return interrupted.exitCode;
    if (exit.code === 255) {
      // ssh's own error is hidden at LogLevel=ERROR: say what failed and how to see more.
      out.note(
        out.err.yellow(
          `ssh exited with 255: it could not connect to ${opened.externalEndpoint} or log in ` +
            "(or the remote command exited 255)" +
            (["QUIET", "FATAL", "ERROR"].includes(level)
              ? "; to see why, rerun with SANDGATE_SSH_LOGLEVEL=VERBOSE (or add -- -v)"
              : ""),
        ),
      );
    }
    return exit.code;
  } finally {
    // Not with `signal`: it may have fired already, and cleanup must still be sent.
    const results = await Promise.allSettled([
      session ? session.close({ timeoutMs: 10_000 }) : Promise.resolve(undefined),
      tempDir ? tempDir.remove() : Promise.resolve(),
    ]);
    if (session && results[0].status === "fulfilled") {
      out.note(out.err.dim(`session ${session.sessionId} closed`));
    } else if (session && results[0].status === "rejected") {
      const reason = results[0].reason as Error;
      out.note(
        out.err.yellow(
          `could not close session ${session.sessionId} (${reason.name}: ${reason.message}); it expires at ${session.expiresAt.toISOString()}`,
        ),
      );
    }
  }
}

/**
 * The public half of `--identity FILE` (`FILE.pub`, trimmed). A wrong `--identity` (no readable
 * `FILE` or `FILE.pub`) is a bad argument (exit 2), found before anything is sent.
 */
export async function readIdentity(command: string, identity: string): Promise<string> {
  return await fs.access(identity).then(() => readPublicKey(`${identity}.pub`)).catch(
    (error: Error) => {
      throw new UsageError(`${command}: --identity ${identity}: ${error.message}`);
    },
  );
}

/** The text of a public key file, trimmed; unreadable is a {@link CliError}. */
export async function readPublicKey(path: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read the public key ${path}: ${(error as Error).message}`);
  }
  return text.trim();
}
