/**
 * `sandgate pty`: an interactive terminal on a Tensorlake sandbox, and
 * `pty ls | kill | attach`. Modelled on the upstream CLI
 * (tensorlakeai/tensorlake `crates/cli/src/commands/sbx/ssh.rs` and
 * `pty.rs`): create the PTY at the local terminal's size with `TERM` passed
 * through, raw mode while attached (restored on every exit path), window
 * size changes forwarded, and the remote exit code as the CLI's.
 *
 * Without a terminal it works with piped stdin/stdout: input is forwarded
 * as it comes, and the end of input sends EOT (Ctrl-D).
 *
 * @module
 */
import process from "node:process";
import type { PtyConnection, PtyInfo, TensorlakeSandbox } from "../../../mod.ts";
import {
  type CommandSpec,
  JSON_OPTION,
  parse,
  type Parsed,
  positionals,
  stringOption,
  stringOptions,
  TENSORLAKE_OPTIONS,
} from "../args.ts";
import { type Context, interruptionOf, tensorlake } from "../context.ts";
import { EXIT, localExitCode, UsageError } from "../errors.ts";
import { enterRawMode, isInteractive, onResize, terminalEnv, terminalSize } from "../terminal.ts";

/** The upstream CLI's default shell (`tl sbx ssh`). */
const DEFAULT_COMMAND = "/bin/bash";

/** `sandgate pty`. */
export const PTY: CommandSpec = {
  name: "pty",
  usage:
    "pty <sandbox> [--cwd DIR] [--env K=V]… [-- command args…] | pty ls <sandbox> | pty kill <sandbox> <session-id>… | pty attach <sandbox> <session-id> --token T",
  summary: "An interactive terminal on a Tensorlake sandbox (default command: /bin/bash).",
  details: [
    "<sandbox> is a sandbox id or name, or a URL used as given (e.g. the emulator's URL).",
    "Exits with the remote program's exit code; the PTY is killed when sandgate pty ends.",
    "pty ls lists the sandbox's PTYs; pty kill kills them; pty attach re-attaches to a",
    "running PTY with its token (--token or SANDGATE_PTY_TOKEN) and leaves it running.",
    "Without a terminal, stdin and stdout are piped through as they are.",
  ],
  options: {
    cwd: { type: "string", value: "DIR", description: "working directory of the command" },
    env: {
      type: "string",
      value: "K=V",
      multiple: true,
      description: "an environment variable for the command (repeatable)",
    },
    token: { type: "string", value: "T", description: "pty attach: the PTY's token" },
    ...JSON_OPTION,
    ...TENSORLAKE_OPTIONS,
  },
};

/** Runs `pty` and its subcommands. */
export async function pty(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(PTY, args);
  const [first] = parsed.positionals;
  if (first === "ls") return await list(ctx, parsed);
  if (first === "kill") return await kill(ctx, parsed);
  if (first === "attach") return await attach(ctx, parsed);
  const [sandboxId] = positionals(PTY, parsed, ["sandbox"]);
  const [command = DEFAULT_COMMAND, ...commandArgs] = parsed.rest;
  const sandbox = tensorlake(ctx, parsed).sandbox(sandboxId!);
  const env = { ...terminalEnv(process.env), ...envOptions(parsed) };
  const cwd = stringOption(parsed, "cwd");
  const connection = await ctx.out.during(
    `starting ${command} on ${sandboxId}`,
    sandbox.openPty({
      command,
      ...(commandArgs.length > 0 ? { args: commandArgs } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(cwd === undefined ? {} : { workingDir: cwd }),
      ...terminalSize(),
      signal: ctx.signal,
    }),
  );
  // Disposing the connection of openPty also kills the PTY.
  return await session(ctx, connection, () => connection[Symbol.asyncDispose]());
}

async function attach(ctx: Context, parsed: Parsed): Promise<number> {
  const [, sandboxId, sessionId] = positionals(PTY, parsed, ["attach", "sandbox", "session-id"]);
  const token = stringOption(parsed, "token") ?? process.env.SANDGATE_PTY_TOKEN;
  if (!token) throw new UsageError("pty attach: pass --token T or set SANDGATE_PTY_TOKEN");
  const sandbox = tensorlake(ctx, parsed).sandbox(sandboxId!);
  const connection = await ctx.out.during(
    `attaching to ${sessionId}`,
    sandbox.attachPty(sessionId!, token, { signal: ctx.signal }),
  );
  // Re-attached: detach on the way out, leave the PTY running.
  return await session(ctx, connection, () => connection.close());
}

/** The `--env K=V` values. */
function envOptions(parsed: Parsed): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of stringOptions(parsed, "env")) {
    const eq = value.indexOf("=");
    if (eq <= 0) throw new UsageError(`pty: --env must be K=V (got ${JSON.stringify(value)})`);
    env[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return env;
}

/** Wires the terminal to a connection until the remote program ends or we are interrupted. */
async function session(
  ctx: Context,
  connection: PtyConnection,
  leave: () => PromiseLike<void>,
): Promise<number> {
  const stdin = process.stdin;
  const interactive = isInteractive();
  const restore = enterRawMode();
  const writer = connection.input.getWriter();
  let inputDone = false;
  const onData = (chunk: Uint8Array | string) => {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    // Backpressure: stop reading while the socket is behind.
    stdin.pause();
    writer.write(new Uint8Array(bytes)).then(() => stdin.resume(), () => {});
  };
  const onEnd = () => {
    if (inputDone) return;
    inputDone = true;
    if (!interactive) writer.write(new Uint8Array([4])).catch(() => {});
  };
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  stdin.resume();
  const stopResize = onResize((size) => {
    connection.resize(size).catch(() => {});
  });
  const pumped = (async () => {
    const reader = connection.output.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        await ctx.out.passthrough(value);
      }
    } catch {
      // The exit promise says why the stream ended.
    } finally {
      reader.releaseLock();
    }
  })();
  const interrupted = new Promise<"interrupted">((resolve) => {
    if (ctx.signal.aborted) resolve("interrupted");
    ctx.signal.addEventListener("abort", () => resolve("interrupted"), { once: true });
  });
  try {
    const outcome = await Promise.race([connection.exit, interrupted]);
    if (outcome === "interrupted") return interruptionOf(ctx.signal)?.exitCode ?? EXIT.interrupted;
    await Promise.race([pumped, new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (outcome.kind === "exited") return localExitCode(outcome.exitCode);
    restore();
    if (outcome.kind === "killed") {
      ctx.out.note("the PTY was killed");
      return EXIT.failure;
    }
    throw outcome.error;
  } finally {
    restore();
    stopResize();
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
    writer.releaseLock();
    await Promise.resolve(leave()).catch(() => {});
  }
}

async function list(ctx: Context, parsed: Parsed): Promise<number> {
  const [, sandboxId] = positionals(PTY, parsed, ["ls", "sandbox"]);
  const sandbox: TensorlakeSandbox = tensorlake(ctx, parsed).sandbox(sandboxId!);
  const ptys = await ctx.out.during(
    `listing the PTYs of ${sandboxId}`,
    sandbox.listPtys({ signal: ctx.signal }),
  );
  if (parsed.values.json) {
    ctx.out.json(ptys);
    return EXIT.ok;
  }
  if (ptys.length === 0) {
    ctx.out.note(`no PTY sessions on ${sandboxId}`);
    return EXIT.ok;
  }
  const header = ["SESSION", "SIZE", "CREATED", "EXIT", "COMMAND"];
  const rows = ptys.map((p: PtyInfo) => [
    p.sessionId,
    `${p.cols}x${p.rows}`,
    p.createdAt ? p.createdAt.toISOString() : "-",
    p.exitCode === null ? "-" : String(p.exitCode),
    [p.command, ...p.args].join(" "),
  ]);
  ctx.out.table(header, rows);
  return EXIT.ok;
}

async function kill(ctx: Context, parsed: Parsed): Promise<number> {
  const [, sandboxId, ...sessionIds] = parsed.positionals;
  if (!sandboxId || sessionIds.length === 0) {
    throw new UsageError(
      `pty kill: give <sandbox> and <session-id>… (usage: sandgate ${PTY.usage})`,
    );
  }
  const sandbox = tensorlake(ctx, parsed).sandbox(sandboxId);
  for (const sessionId of sessionIds) {
    await ctx.out.during(
      `killing ${sessionId}`,
      sandbox.killPty(sessionId, { strict: true, signal: ctx.signal }),
    );
    if (!parsed.values.json) ctx.out.line(`killed ${sessionId}`);
  }
  if (parsed.values.json) ctx.out.json({ killed: sessionIds });
  return EXIT.ok;
}
