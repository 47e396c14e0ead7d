/**
 * A Debian-packaged program some tests need (`tmux`, `redis-server`): found on `PATH`, installed
 * by `ensure` when missing and possible (apt-get, as root, as on CI), and otherwise skipped loudly
 * — or failed, when the environment says the tests must run. Node APIs only, so the tests that use
 * it run under Deno, Node and Bun alike.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import process from "node:process";

/** One program and what its absence means. */
export interface SystemTool {
  /** Executable name, e.g. `"tmux"`. */
  binary: string;
  /** Debian package that provides it. */
  pkg: string;
  /** The tests that need it, e.g. `"the interactive pty test"`. */
  tests: string;
  /** The environment setting that makes a missing program a failure, e.g. `"CI=true"`. */
  requiredBy: string;
  /** Whether that setting is in force. */
  required: () => boolean;
  /** Another install hint after apt-get's, e.g. `"brew install redis"`. */
  otherHint?: string;
  /** Where to look besides `PATH`. */
  extraDirs?: string[];
}

/** Path of the program, or `undefined` when it is not installed. */
export function findTool(tool: SystemTool): string | undefined {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  for (const dir of [...dirs, ...(tool.extraDirs ?? ["/usr/bin", "/usr/local/bin"])]) {
    try {
      accessSync(`${dir}/${tool.binary}`, constants.X_OK);
      return `${dir}/${tool.binary}`;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

const warned = new Set<string>();

/**
 * `false` when the tests can run (or, being required, must); otherwise why they are skipped, with
 * a loud warning once per program. `found` overrides the search (e.g. an environment override).
 */
export function toolSkipReason(tool: SystemTool, found = findTool(tool)): string | false {
  if (found || tool.required()) return false;
  const reason = `${tool.binary} is not installed (apt-get install -y ${tool.pkg}): ` +
    `SKIPPING ${tool.tests}`;
  if (!warned.has(tool.binary)) {
    warned.add(tool.binary);
    console.warn(`\n!!! ${reason} !!!\n`);
  }
  return reason;
}

/**
 * `ensure`: installs the program when missing and possible; exit code 1 only when it is still
 * missing and required. `find` overrides the search.
 */
export function ensureTool(tool: SystemTool, find = () => findTool(tool)): number {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!find() && isRoot) {
    console.log(`${tool.binary} missing: apt-get install -y ${tool.pkg}`);
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
      execFileSync("apt-get", ["install", "-y", "-qq", tool.pkg], {
        stdio: "inherit",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    } catch (error) {
      console.error(`installing ${tool.pkg} failed: ${(error as Error).message}`);
    }
  }
  const found = find();
  if (found) {
    console.log(`${tool.binary}: ${found}`);
    return 0;
  }
  const required = tool.required();
  const hint = `sudo apt-get install -y ${tool.pkg}${
    tool.otherHint ? ` (or ${tool.otherHint})` : ""
  }`;
  console.warn(
    `\n!!! ${tool.binary} is not installed${isRoot ? "" : " (and not root: cannot apt-get)"}: ` +
      `${tool.tests} will be ${required ? `FAILED (${tool.requiredBy})` : "SKIPPED"}. ` +
      `Install it: ${hint} !!!\n`,
  );
  return required ? 1 : 0;
}
