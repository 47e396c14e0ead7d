// tmux for the interactive `sandgate pty` test. As a script, `ensure` installs it when missing
// (apt-get, when running as root, as on CI) — run by `npm test` before the suites:
//
//   deno run --allow-all tests/cli/_tmux.ts ensure
//
// A missing tmux skips the test loudly; under CI=true it fails it instead.
import process from "node:process";
import { ensureTool, findTool, type SystemTool, toolSkipReason } from "../helpers/system_tool.ts";

const TMUX: SystemTool = {
  binary: "tmux",
  pkg: "tmux",
  tests: "the interactive pty test",
  requiredBy: "CI=true",
  required: () => process.env.CI === "true",
  extraDirs: ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"],
};

/** Path of `tmux`, or `undefined`. */
export const findTmux = (): string | undefined => findTool(TMUX);

/** `false` when the tmux test can run (or must, under CI=true); else why it is skipped. */
export const tmuxSkipReason = (): string | false => toolSkipReason(TMUX);

if ((import.meta as { main?: boolean }).main && process.argv.includes("ensure")) {
  process.exit(ensureTool(TMUX));
}
