/**
 * The CLI's contact with the operating system: programs on `PATH`, child
 * processes with inherited stdio, private temporary directories and TCP
 * readiness probes. Only `node:` modules, so it runs on Node, Deno and Bun.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import type { StopSignal } from "./context.ts";
import { CliError } from "./errors.ts";

/** The full path of `program` on `PATH`, or `undefined`. */
export async function findOnPath(
  program: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      await fs.access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Like {@link findOnPath}, but a missing program is a {@link CliError} that says what to install. */
export async function requireProgram(
  program: string,
  env: Record<string, string | undefined>,
  install: string,
): Promise<string> {
  const found = await findOnPath(program, env);
  if (!found) throw new CliError(`${program} not found on PATH: install ${install}`);
  return found;
}

/** A private (mode 0700) temporary directory, and its removal. */
export async function privateTempDir(prefix: string): Promise<{
  path: string;
  remove(): Promise<void>;
}> {
  const path = await fs.mkdtemp(join(tmpdir(), prefix));
  await fs.chmod(path, 0o700);
  return { path, remove: () => fs.rm(path, { recursive: true, force: true }) };
}

/** How a child ended. */
export interface ChildExit {
  /** Its exit code, or 128 + the signal number when a signal ended it. */
  code: number;
  /** The signal that ended it, if one did. */
  signal: string | null;
}

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

/** Waits for a spawned child to end (a spawn failure rejects with a {@link CliError}). */
export function waitForExit(child: ChildProcess, program: string): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      reject(new CliError(`could not run ${program}: ${(error as Error).message}`));
    });
    child.once("exit", (code, signal) => {
      resolve({
        code: code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 1),
        signal,
      });
    });
  });
}

/**
 * Runs a program to completion with piped output; a non-zero exit is a
 * {@link CliError}. When `signal` aborts, the program is stopped and the
 * signal's reason thrown once it has ended.
 */
export async function runQuietly(
  program: string,
  args: string[],
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  const child = spawn(program, args, { stdio: ["ignore", "ignore", "pipe"] });
  const stop = () => child.kill("SIGTERM");
  signal?.addEventListener("abort", stop, { once: true });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (stderr.length < 2000) stderr += chunk;
  });
  const [exit] = await Promise.all([
    waitForExit(child, program),
    new Promise((resolve) => child.stderr ? child.stderr.once("close", resolve) : resolve(null)),
  ]).finally(() => signal?.removeEventListener("abort", stop));
  signal?.throwIfAborted();
  if (exit.code !== 0) {
    const detail = stderr.trim().split("\n")[0];
    throw new CliError(`${program} exited with code ${exit.code}${detail ? `: ${detail}` : ""}`);
  }
}

/**
 * Runs a program with the terminal (stdio inherited). When `signal` aborts
 * with `{ signal }`, that signal is passed on to the child, then SIGKILL
 * after `killAfterMs`.
 */
export async function runInteractive(
  program: string,
  args: readonly string[],
  signal: AbortSignal,
  killAfterMs = 5000,
): Promise<ChildExit> {
  const child = spawn(program, [...args], { stdio: "inherit" });
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const forward = () => {
    // The signal that stopped us (SIGHUP, SIGINT, SIGQUIT, SIGTERM) is passed on as it is.
    const name = (signal.reason as { signal?: StopSignal } | undefined)?.signal ?? "SIGTERM";
    child.kill(name);
    killTimer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  };
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  try {
    return await waitForExit(child, program);
  } finally {
    signal.removeEventListener("abort", forward);
    clearTimeout(killTimer);
  }
}

/** Options of {@link waitForTcp}. */
export interface ProbeOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Each connection attempt's own limit. Default 1000. */
  attemptTimeoutMs?: number;
  /** Pause between attempts. Default 250. */
  intervalMs?: number;
  /** Stops probing. */
  signal: AbortSignal;
}

function attempt(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Resolves once `host:port` accepts a TCP connection; a {@link CliError}
 * after `timeoutMs` (or as many attempts as fit in it).
 */
export async function waitForTcp(host: string, port: number, options: ProbeOptions): Promise<void> {
  const attemptMs = options.attemptTimeoutMs ?? 1000;
  const interval = options.intervalMs ?? 250;
  const deadline = Date.now() + options.timeoutMs;
  const maxAttempts = Math.max(1, Math.ceil(options.timeoutMs / interval));
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  for (let n = 1; n <= maxAttempts; n++) {
    if (options.signal.aborted) throw options.signal.reason;
    const left = deadline - Date.now();
    if (await attempt(bare, port, Math.max(50, Math.min(attemptMs, left)))) return;
    if (Date.now() + interval >= deadline) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, interval);
      function done() {
        clearTimeout(timer);
        options.signal.removeEventListener("abort", done);
        resolve();
      }
      options.signal.addEventListener("abort", done, { once: true });
    });
  }
  if (options.signal.aborted) throw options.signal.reason;
  throw new CliError(
    `${host}:${port} did not accept connections within ${Math.round(options.timeoutMs / 1000)} s`,
  );
}

/** The process's environment. */
export function environment(): Record<string, string | undefined> {
  return process.env;
}
