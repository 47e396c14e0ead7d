// tmux for the interactive `sandgate pty` test. As a script, `ensure` installs it when missing
// (apt-get, when running as root, as on CI) — run by `npm test` before the suites:
//
//   deno run --allow-all tests/cli/tmux.ts ensure
//
// A missing tmux skips the test loudly; under CI=true it fails it instead.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import process from "node:process";

/** Path of `tmux`, or `undefined`. */
export function findTmux(): string | undefined {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  for (const dir of [...dirs, "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]) {
    try {
      accessSync(`${dir}/tmux`, constants.X_OK);
      return `${dir}/tmux`;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** `false` when the tmux test can run (or must, under CI=true); else why it is skipped. */
export function tmuxSkipReason(): string | false {
  if (findTmux() || process.env.CI === "true") return false;
  const reason =
    "tmux is not installed (apt-get install -y tmux): SKIPPING the interactive pty test";
  console.warn(`\n!!! ${reason} !!!\n`);
  return reason;
}

/** `ensure`: installs tmux when missing and possible; exit code 1 only under CI=true. */
function ensure(): number {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!findTmux() && isRoot) {
    console.log("tmux missing: apt-get install -y tmux");
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
      execFileSync("apt-get", ["install", "-y", "-qq", "tmux"], {
        stdio: "inherit",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    } catch (error) {
      console.error(`installing tmux failed: ${(error as Error).message}`);
    }
  }
  const found = findTmux();
  if (found) {
    console.log(`tmux: ${found}`);
    return 0;
  }
  const required = process.env.CI === "true";
  console.warn(
    `\n!!! tmux is not installed: the interactive pty test will be ${
      required ? "FAILED (CI=true)" : "SKIPPED"
    }. Install it: sudo apt-get install -y tmux !!!\n`,
  );
  return required ? 1 : 0;
}

if ((import.meta as { main?: boolean }).main && process.argv.includes("ensure")) {
  process.exit(ensure());
}
