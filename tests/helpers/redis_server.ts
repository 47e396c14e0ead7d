/**
 * Throwaway `redis-server` processes for tests: started on a free loopback
 * port with persistence off, stopped (and restartable on the same port) by
 * the test that started them. Node APIs only, so the tests that use it run
 * under Deno, Node and Bun alike.
 *
 * As a script, `ensure` makes sure `redis-server` is installed (installing
 * the Debian package when running as root with apt-get, as on CI):
 *
 * ```sh
 * deno task redis:ensure
 * ```
 *
 * With `SANDGATE_REQUIRE_REDIS=1`, a missing `redis-server` fails the
 * check (CI) instead of skipping the Redis suite.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { ensureTool, findTool, type SystemTool, toolSkipReason } from "./system_tool.ts";
import { freePort } from "./loopback.ts";

/** A running throwaway Redis. */
export interface RedisServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops it (SIGTERM) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (data is gone: persistence is off). */
  start(): Promise<void>;
}

const REDIS: SystemTool = {
  binary: "redis-server",
  pkg: "redis-server",
  tests: "the Redis rate-limit store suite",
  requiredBy: "SANDGATE_REQUIRE_REDIS=1",
  required: () => process.env.SANDGATE_REQUIRE_REDIS === "1",
  otherHint: "brew install redis",
  extraDirs: ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/opt/homebrew/bin"],
};

/**
 * Path of the `redis-server` binary, or `undefined` when it is not installed.
 * `SANDGATE_REDIS_SERVER` overrides the search (`none`: act as if missing).
 */
export function findRedisServer(): string | undefined {
  const override = process.env.SANDGATE_REDIS_SERVER;
  if (override) return override === "none" ? undefined : override;
  return findTool(REDIS);
}

/**
 * `false` when the Redis suite can run; otherwise why it is skipped (and a
 * loud warning, once). Under `SANDGATE_REQUIRE_REDIS=1` it never skips: the
 * tests then fail on the missing binary.
 */
export const redisSkipReason = (): string | false => toolSkipReason(REDIS, findRedisServer());

/** Starts `redis-server` on a free port (or `port`) and waits until it accepts connections. */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed (apt-get install -y redis-server)");
  const port = options.port ?? await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    // A port just released by a stopped server can take a moment to bind again.
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        child = await launch(binary, port);
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw lastError;
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    await exited;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}

function launch(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(binary, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--logfile",
    "",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let log = "";
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Ready to accept connections")) {
        cleanup();
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${log.slice(-2000)}`));
    };
    const cleanup = () => {
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

if ((import.meta as { main?: boolean }).main && process.argv.includes("ensure")) {
  process.exit(ensureTool(REDIS, findRedisServer));
}
