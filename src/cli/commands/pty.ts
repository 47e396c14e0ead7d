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
import { open } from "node:fs/promises";
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
import { type Context, interruptionOf, tensorlakeSandbox } from "../context.ts";
import { EXIT, localExitCode, UsageError } from "../errors.ts";
import { requireWebSocket } from "../node_websocket.ts";
import { enterRawMode, isInteractive, onResize, terminalEnv, terminalSize } from "../terminal.ts";

/** The upstream CLI's default shell (`tl sbx ssh`). */
const DEFAULT_COMMAND = "/bin/bash";

/** `sandgate pty`. */
export const PTY: CommandSpec = {
  name: "pty",
  usage:
    "pty <sandbox> [--cwd DIR] [--env K=V]… [-- command args…] | pty ls <sandbox> | pty kill <sandbox> <session-id>… | pty attach <sandbox> <session-id> [--token-file FILE|-]",
  summary: "An interactive terminal on a Tensorlake sandbox (default command: /bin/bash).",
  details: [
    "<sandbox> is a sandbox id or name, or a URL used as given (e.g. the emulator's URL).",
    "Exits with the remote program's exit code; the PTY is killed when sandgate pty ends.",
    "pty ls lists the sandbox's PTYs; pty kill kills them; pty attach re-attaches to a",
    "running PTY with its token and leaves it running. The token comes from",
    "SANDGATE_PTY_TOKEN, --token-file FILE, or --token-file - (the first line of stdin);",
    "never from the command line, where every user of the machine could read it in ps.",
    "Without a terminal, stdin and stdout are piped through as they are.",
    "A dropped connection is re-attached by itself (told on stderr), for up to 60 s;",
    "--no-reconnect ends the session at the first drop instead.",
  ],
  options: {
    cwd: { type: "string", value: "DIR", description: "working directory of the command" },
    env: {
      type: "string",
      value: "K=V",
      multiple: true,
      description: "an environment variable for the command (repeatable)",
    },
    "token-file": {
      type: "string",
      value: "FILE",
      description: "pty attach: read the PTY's token from FILE (- for the first line of stdin)",
    },
    token: {
      type: "string",
      description: "refused: see --token-file",
      refused: "a token on the command line is visible to every user of the machine " +
        "(ps, /proc/PID/cmdline); set SANDGATE_PTY_TOKEN, or pass --token-file FILE " +
        "(--token-file - reads it from stdin)",
    },
    "no-reconnect": {
      type: "boolean",
      description: "end at the first dropped connection instead of re-attaching",
    },
    ...JSON_OPTION,
    ...TENSORLAKE_OPTIONS,
  },
  passthrough: true,
};

/** Runs `pty` and its subcommands. */
export async function pty(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(PTY, args);
  const [first] = parsed.positionals;
  if (first === "ls") return await list(ctx, parsed);
  if (first === "kill") return await kill(ctx, parsed);
  if (first === "attach") return await attach(ctx, parsed);
  const [sandboxId] = positionals(PTY, parsed, ["sandbox"]);
  requireWebSocket();
  const [command = DEFAULT_COMMAND, ...commandArgs] = parsed.rest;
  const sandbox = tensorlakeSandbox(ctx, parsed, sandboxId!);
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
      reconnect: reconnectOption(parsed),
    }),
  );
  // Disposing the connection of openPty also kills the PTY.
  return await session(ctx, connection, () => connection[Symbol.asyncDispose]());
}

async function attach(ctx: Context, parsed: Parsed): Promise<number> {
  const [, sandboxId, sessionId] = positionals(PTY, parsed, ["attach", "sandbox", "session-id"]);
  requireWebSocket();
  const token = await ptyToken(parsed);
  const sandbox = tensorlakeSandbox(ctx, parsed, sandboxId!);
  const connection = await ctx.out.during(
    `attaching to ${sessionId}`,
    sandbox.attachPty(sessionId!, token, {
      signal: ctx.signal,
      reconnect: reconnectOption(parsed),
    }),
  );
  // Re-attached: detach on the way out, leave the PTY running.
  return await session(ctx, connection, () => connection.close());
}

/** On by default in the CLI: a terminal should survive a network blip (told on stderr). */
function reconnectOption(parsed: Parsed): boolean {
  return parsed.values["no-reconnect"] !== true;
}

/** What a token file or stdin may hold at most: a token is far shorter. */
const MAX_TOKEN_BYTES = 64 * 1024;

/**
 * The PTY token of `pty attach`: `--token-file FILE`, `--token-file -` (the
 * first line of stdin; the rest stays input for the PTY), else
 * `SANDGATE_PTY_TOKEN`. `--token` is refused while parsing (the option's
 * `refused`): argv is public (`ps`, `/proc/PID/cmdline`).
 */
async function ptyToken(parsed: Parsed): Promise<string> {
  const file = stringOption(parsed, "token-file");
  const token = file === undefined
    ? process.env.SANDGATE_PTY_TOKEN?.trim()
    : file === "-"
    ? await firstLineOfStdin()
    : await readTokenFile(file);
  if (!token) {
    throw new UsageError(
      file === undefined
        ? "pty attach: no token: set SANDGATE_PTY_TOKEN or pass --token-file FILE (- for stdin)"
        : `pty attach: the token in ${file === "-" ? "stdin" : file} is empty`,
    );
  }
  return token;
}

/** Reads a token file (a pipe such as `<(pass show pty)` too), at most {@link MAX_TOKEN_BYTES}. */
async function readTokenFile(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new UsageError(
      `pty attach: cannot read --token-file ${path}: ${(error as Error).message}`,
    );
  }
  try {
    const buffer = new Uint8Array(MAX_TOKEN_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_TOKEN_BYTES) {
        throw new UsageError(`pty attach: --token-file ${path} is larger than a token can be`);
      }
    }
    return new TextDecoder().decode(buffer.subarray(0, length)).trim();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `pty attach: cannot read --token-file ${path}: ${(error as Error).message}`,
    );
  } finally {
    await handle.close();
  }
}

/** The first line of stdin; what follows it is put back for the PTY. */
function firstLineOfStdin(): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      stdin.pause();
      const all = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.byteLength;
      }
      const newline = all.indexOf(0x0a);
      if (newline !== -1 && newline + 1 < all.byteLength) {
        stdin.unshift(all.subarray(newline + 1));
      }
      if (error) reject(error);
      else {
        resolve(new TextDecoder().decode(newline === -1 ? all : all.subarray(0, newline)).trim());
      }
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
      chunks.push(bytes);
      length += bytes.byteLength;
      if (bytes.includes(0x0a)) done();
      else if (length > MAX_TOKEN_BYTES) {
        done(new UsageError("pty attach: stdin holds no line break within a token's length"));
      }
    };
    const onEnd = () => done();
    const onError = (error: Error) => done(error);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
    stdin.resume();
  });
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
  // Input may have ended already (a token read from stdin was all there was).
  if (stdin.readableEnded) onEnd();
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
  const sandbox: TensorlakeSandbox = tensorlakeSandbox(ctx, parsed, sandboxId!);
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
  const sandbox = tensorlakeSandbox(ctx, parsed, sandboxId);
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
