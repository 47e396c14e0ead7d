/**
 * The CLI's contact with the operating system: programs on `PATH`, child
 * processes with inherited stdio and private temporary directories (the
 * readiness probe of `ssh` is the SDK's `waitUntilReady`). Only `node:` modules,
 * so it runs on Node, Deno and Bun.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, promises as fs } from "node:fs";
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

/** The process's environment. */
export function environment(): Record<string, string | undefined> {
  return process.env;
}
