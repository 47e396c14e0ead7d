// Runs the CLI as a child process, the way users do, on the runtime running the tests:
// Deno and Bun run src/cli/main.ts from the sources; Node runs the built bin (npm/bin/sandgate.js),
// which exists once the npm build has made it.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
/** The repository root, from the sources (tests/cli/) or the compiled tests (npm/esm/tests/cli/). */
export const ROOT = here.includes("/npm/esm/tests/")
  ? fileURLToPath(new URL("../../../../", import.meta.url))
  : fileURLToPath(new URL("../../", import.meta.url));

const g = globalThis as { Deno?: { execPath(): string }; Bun?: unknown };

/** The argv that starts the CLI, or `undefined` when this runtime has no CLI to run yet. */
export function cliArgv(): string[] | undefined {
  const source = join(ROOT, "src/cli/main.ts");
  if (g.Deno) return [g.Deno.execPath(), "run", "--allow-all", source];
  if (g.Bun) return [process.execPath, source];
  const bin = join(ROOT, "npm/bin/sandgate.js");
  return existsSync(bin) ? [process.execPath, bin] : undefined;
}

/** Why CLI tests are skipped on this runtime, or `false`. */
export const skipCli: string | false = cliArgv()
  ? false
  : "the npm build has not made npm/bin/sandgate.js (the bin) yet";

/**
 * Why the CLI's `sandgate pty` cannot run on this runtime, or `false`: it needs a WebSocket, which
 * Node 20.10+ gets by running itself again with --experimental-websocket (node_websocket.ts).
 */
export const skipPty: string | false = (() => {
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function") return false;
  const [major = 0, minor = 0] = (process.versions.node ?? "0").split(".").map(Number);
  return major > 20 || (major === 20 && minor >= 10)
    ? false
    : "no WebSocket for sandgate pty on this runtime (Node < 20.10)";
})();

/** What a finished CLI run gave. */
export interface Result {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A started CLI process. */
export interface Running {
  /** Sends a signal to the CLI process. */
  kill(signal: "SIGHUP" | "SIGINT" | "SIGQUIT" | "SIGTERM" | "SIGKILL"): void;
  /** Writes to its stdin. */
  write(text: string): void;
  /** Closes its stdin. */
  end(): void;
  done: Promise<Result>;
  stdout(): string;
  stderr(): string;
}

interface DenoChild {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  status: Promise<{ code: number; signal: string | null }>;
  kill(signal: string): void;
}
interface DenoCommandApi {
  Command: new (program: string, options: {
    args: string[];
    cwd: string;
    env: Record<string, string>;
    clearEnv: boolean;
    stdin: "piped";
    stdout: "piped";
    stderr: "piped";
  }) => { spawn(): DenoChild };
}

/**
 * Starts the CLI (or `command`, e.g. another runtime running a bundle of it)
 * with exactly `env` (plus PATH unless given). On Deno through
 * `Deno.Command`: its node:child_process reports a signalled child's exit as
 * the signal even when the child handled it and exited with a code.
 */
export function start(
  args: string[],
  env: Record<string, string>,
  command: string[] = cliArgv()!,
): Running {
  const [program, ...prefix] = command;
  const fullEnv = { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env };
  let stdout = "";
  let stderr = "";
  const deno = (globalThis as { Deno?: DenoCommandApi }).Deno;
  if (deno) {
    const child = new deno.Command(program!, {
      args: [...prefix, ...args],
      cwd: ROOT,
      env: fullEnv,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
      const decoder = new TextDecoder();
      const reader = stream.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        add(decoder.decode(value, { stream: true }));
      }
    };
    const writer = child.stdin.getWriter();
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const done = Promise.all([
      child.status,
      pump(child.stdout, (s) => (stdout += s)),
      pump(child.stderr, (s) => (stderr += s)),
    ]).then(([status]) => {
      clearTimeout(killer);
      return { code: status.signal ? null : status.code, signal: status.signal, stdout, stderr };
    });
    return {
      kill: (signal) => child.kill(signal),
      write: (text) => void writer.write(new TextEncoder().encode(text)).catch(() => {}),
      end: () => void writer.close().catch(() => {}),
      done,
      stdout: () => stdout,
      stderr: () => stderr,
    };
  }
  const child = spawn(program!, [...prefix, ...args], {
    cwd: ROOT,
    env: fullEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  child.stdin!.on("error", () => {});
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const done = new Promise<Result>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    kill: (signal) => child.kill(signal),
    write: (text) => child.stdin!.write(text),
    end: () => child.stdin!.end(),
    done,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** Runs the CLI to the end. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const running = start(args, env);
  running.end();
  return running.done;
}

/** Polls `check` every 50 ms, at most `tries` times. */
export async function until(check: () => boolean, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A directory of fake programs, first on PATH. */
export interface FakeBin {
  dir: string;
  /** PATH with the fakes first. */
  path: string;
  /** A file the fakes write into. */
  file(name: string): string;
  remove(): void;
}

/**
 * Fake `ssh` and `ssh-keygen`: `ssh` records its argv (one per line) in
 * `ssh.argv` and whether its `-i` key existed in `ssh.key`, then exits with
 * `$FAKE_SSH_EXIT` (or sleeps with `$FAKE_SSH_SLEEP`); `ssh-keygen` records
 * its argv in `keygen.argv`, writes a key pair at `-f`, and exits with
 * `$FAKE_KEYGEN_EXIT` (or first sleeps with `$FAKE_KEYGEN_SLEEP`).
 */
export function fakeSshBin(): FakeBin {
  const dir = mkdtempSync(join(tmpdir(), "sandgate-fake-ssh-"));
  const file = (name: string) => join(dir, name);
  const write = (name: string, text: string) => {
    writeFileSync(file(name), text);
    chmodSync(file(name), 0o755);
  };
  write(
    "ssh",
    `#!/bin/sh
out="${dir}"
key=""
prev=""
for a in "$@"; do
  if [ "$prev" = "-i" ]; then key="$a"; fi
  prev="$a"
done
if [ -f "$key" ]; then echo "present $key" > "$out/ssh.key"; else echo "missing $key" > "$out/ssh.key"; fi
printf '%s\\n' "$@" > "$out/ssh.argv.tmp" && mv "$out/ssh.argv.tmp" "$out/ssh.argv"
if [ -n "$FAKE_SSH_SLEEP" ]; then exec sleep "$FAKE_SSH_SLEEP"; fi
exit "\${FAKE_SSH_EXIT:-0}"
`,
  );
  write(
    "ssh-keygen",
    `#!/bin/sh
out="${dir}"
printf '%s\\n' "$@" > "$out/keygen.argv"
if [ -n "$FAKE_KEYGEN_SLEEP" ]; then exec sleep "$FAKE_KEYGEN_SLEEP"; fi
if [ -n "$FAKE_KEYGEN_EXIT" ]; then echo "keygen failed on purpose" >&2; exit "$FAKE_KEYGEN_EXIT"; fi
f=""
prev=""
for a in "$@"; do
  if [ "$prev" = "-f" ]; then f="$a"; fi
  prev="$a"
done
echo "FAKE PRIVATE KEY" > "$f"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForSandgateCliTests sandgate" > "$f.pub"
`,
  );
  return {
    dir,
    path: `${dir}:${process.env.PATH ?? ""}`,
    file,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
