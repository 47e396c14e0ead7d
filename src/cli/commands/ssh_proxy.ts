/**
 * `sandgate ssh-proxy <sandbox> --identity FILE`: what the `ProxyCommand` of
 * `sandgate ssh-config` runs, once per ssh connection. It opens a Prime
 * Intellect SSH session, authorizes `FILE.pub` at the session's gateway,
 * waits with `session.waitUntilReady()` until the endpoint answers, and
 * relays ssh's stdin/stdout to the endpoint (the relay `forward --stdio`
 * uses). When the connection ends — ssh closes stdin, the far end closes,
 * ssh sends SIGHUP as it exits, Ctrl-C, SIGTERM, any failure — the session
 * is closed. Nothing goes to stdout but the far end's bytes; progress and
 * errors go to stderr, which ssh shows.
 *
 * @module
 */
import process from "node:process";
import type { SshSession } from "../../../mod.ts";
import { tcpConnector } from "../../forward/tcp.ts";
import {
  type CommandSpec,
  integerOption,
  parse,
  positionals,
  PRIME_OPTIONS,
  stringOption,
} from "../args.ts";
import { type Context, interruptionOf, primeIntellect } from "../context.ts";
import { UsageError } from "../errors.ts";
import { readIdentity } from "./ssh.ts";
import { relayStdio } from "../stdio_relay.ts";

/** `sandgate ssh-proxy`. */
export const SSH_PROXY: CommandSpec = {
  name: "ssh-proxy",
  usage: "ssh-proxy <sandbox> --identity FILE [--ttl S] [--ready-timeout S]",
  summary: "ssh's ProxyCommand (see ssh-config): a session per connection, closed at its end.",
  details: [
    "Opens an SSH session, authorizes FILE.pub, waits until the endpoint answers, then",
    "relays stdin/stdout to it; the session is closed when the connection ends (stdin",
    "closed, the far end closed, SIGHUP from ssh, Ctrl-C, SIGTERM, or any failure).",
  ],
  options: {
    identity: {
      type: "string",
      value: "FILE",
      description: "the private key ssh logs in with; FILE.pub is authorized (required)",
    },
    ttl: {
      type: "string",
      value: "S",
      description: "session lifetime in seconds, 1–3600 (server default 900)",
    },
    "ready-timeout": {
      type: "string",
      value: "S",
      description: "how long to wait for the endpoint to answer (default 30)",
    },
    ...PRIME_OPTIONS,
  },
};

/** Runs `ssh-proxy`. */
export async function sshProxy(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(SSH_PROXY, args);
  const [sandboxId] = positionals(SSH_PROXY, parsed, ["sandbox"]);
  const identityFile = stringOption(parsed, "identity");
  if (!identityFile) throw new UsageError("ssh-proxy: --identity FILE is required");
  const ttlSeconds = integerOption(SSH_PROXY, parsed, "ttl", 1, 3600);
  const readySeconds = integerOption(SSH_PROXY, parsed, "ready-timeout", 1, 600) ?? 30;
  const publicKey = await readIdentity("ssh-proxy", identityFile);
  const sandbox = primeIntellect(ctx, parsed).sandbox(sandboxId!);
  const { out, signal } = ctx;
  let session: SshSession | undefined;
  try {
    session = await out.during(
      `opening an SSH session on ${sandboxId}`,
      sandbox.createSshSession(ttlSeconds === undefined ? {} : { ttlSeconds }, { signal }),
    );
    const opened = session;
    // The session id and host are checked before anything is done with them.
    opened.sshCommand({ identityFile });
    await out.during("authorizing the key", opened.authorizeKey(publicKey, { signal }));
    await out.during(
      `waiting for ${opened.externalEndpoint} to answer`,
      opened.waitUntilReady({ timeoutMs: readySeconds * 1000, signal }),
    );
    const connect = await tcpConnector("ssh-proxy");
    const connection = await connect(opened.host.replace(/^\[(.*)\]$/, "$1"), opened.port, signal);
    // ssh's bytes, as they are (stdout is a pipe to ssh, not a terminal), through the output
    // layer's passthrough, which resolves once stdout takes more: backpressure is kept.
    const stdout = out.passthroughStream();
    try {
      await relayStdio(connection, { stdin: process.stdin, stdout, signal });
    } finally {
      await connection.close();
    }
    return interruptionOf(signal)?.exitCode ?? 0;
  } finally {
    // Not with `signal`: it may have fired already, and the session must still be closed.
    if (session) {
      await session.close({ timeoutMs: 10_000 }).catch((error: Error) => {
        out.note(
          out.err.yellow(
            `could not close session ${session!.sessionId} (${error.name}: ${error.message}); ` +
              `it expires at ${session!.expiresAt.toISOString()}`,
          ),
        );
      });
    }
  }
}
