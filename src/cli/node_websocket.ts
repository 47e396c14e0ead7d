/**
 * `sandgate pty` on Node 20: Node 20.10+ has a `WebSocket` only behind
 * `--experimental-websocket` (Node 22 has it by default), and `npx` runs the
 * bin with whatever `node` is installed. So where that is the case the CLI
 * runs itself again with the flag, the terminal inherited, signals passed
 * on, and the child's exit code as its own; an older Node gets a message
 * that says what to use instead (`sandgate pty` checks, see
 * {@link requireWebSocket}).
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { STOP_SIGNALS, type StopSignal } from "./context.ts";
import { CliError, EXIT } from "./errors.ts";
import { waitForExit } from "./system.ts";

const FLAG = "--experimental-websocket";

interface Runtime {
  globals: { WebSocket?: unknown; Deno?: unknown; Bun?: unknown };
  node: string | undefined;
  execArgv: readonly string[];
}

const here = (): Runtime => ({
  globals: globalThis as Runtime["globals"],
  node: process.versions?.node,
  execArgv: process.execArgv ?? [],
});

/** Whether this Node can have a WebSocket with {@link FLAG}: 20.10 or later. */
function flagWorks(node: string): boolean {
  const [major = 0, minor = 0] = node.split(".").map(Number);
  return major > 20 || (major === 20 && minor >= 10);
}

/**
 * Whether the CLI should run again with `--experimental-websocket`: Node
 * (not Deno or Bun) without a global `WebSocket`, new enough for the flag,
 * and not already run with it.
 */
export function needsWebSocketFlag(runtime: Runtime = here()): boolean {
  const { globals, node, execArgv } = runtime;
  if (globals.Deno || globals.Bun || typeof globals.WebSocket === "function") return false;
  return node !== undefined && flagWorks(node) && !execArgv.includes(FLAG);
}

/** A {@link CliError} that says what to run `sandgate pty` with, where there is no WebSocket. */
export function requireWebSocket(runtime: Runtime = here()): void {
  if (typeof runtime.globals.WebSocket === "function") return;
  throw new CliError(
    `sandgate pty needs a WebSocket, which this runtime does not have (Node ${
      runtime.node ?? "?"
    }): use Node 22 or later, Node 20.10 or later (sandgate then runs itself with ${FLAG}), ` +
      "Deno or Bun",
  );
}

/**
 * Runs this CLI again on the same Node with `--experimental-websocket`
 * (warnings off: the flag's ExperimentalWarning is no news to the user),
 * stdio inherited; SIGHUP, SIGINT, SIGQUIT and SIGTERM are passed on, so the
 * child cleans up as it would alone. Resolves with the child's exit code.
 */
export async function rerunWithWebSocket(args: readonly string[]): Promise<number> {
  const script = process.argv[1];
  if (!script) return EXIT.failure;
  const child = spawn(
    process.execPath,
    [...process.execArgv, FLAG, "--no-warnings", script, ...args],
    { stdio: "inherit" },
  );
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const handler = () => child.kill(name);
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    return (await waitForExit(child, process.execPath)).code;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
