/**
 * The local terminal during `sandgate pty`: raw mode (always restored),
 * its size and size changes, and the `TERM` to give the remote program.
 *
 * @module
 */
import process from "node:process";

/** A terminal size. */
export interface TerminalSize {
  /** Columns. */
  cols: number;
  /** Rows. */
  rows: number;
}

/** Whether stdin is a terminal (raw mode and resizes apply). */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY);
}

/** The terminal's size, or 80 × 24 off a terminal (as upstream). */
export function terminalSize(): TerminalSize {
  const { columns, rows } = process.stdout;
  return process.stdout.isTTY && columns > 0 && rows > 0
    ? { cols: columns, rows }
    : { cols: 80, rows: 24 };
}

/**
 * `TERM` types every Linux terminfo database has; others (e.g.
 * `xterm-kitty`, `xterm-ghostty`) are sent as `xterm-256color`, as the
 * upstream CLI does (tensorlakeai/tensorlake `crates/cli/src/commands/sbx/ssh.rs`).
 */
const PORTABLE_TERMS = new Set([
  "xterm",
  "xterm-256color",
  "xterm-color",
  "screen",
  "screen-256color",
  "tmux",
  "tmux-256color",
  "vt100",
  "vt220",
  "ansi",
  "linux",
]);

/** The environment for the remote program: `TERM` (and `COLORTERM` when set here). */
export function terminalEnv(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  const term = env.TERM;
  if (term) result.TERM = PORTABLE_TERMS.has(term) ? term : "xterm-256color";
  if (env.COLORTERM) result.COLORTERM = env.COLORTERM;
  return result;
}

/**
 * Puts stdin in raw mode (when it is a terminal) and returns the function
 * that restores it; the restore also runs if the process exits first.
 */
export function enterRawMode(): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") return () => {};
  stdin.setRawMode(true);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off("exit", restore);
    try {
      stdin.setRawMode(false);
    } catch {
      // The terminal is gone.
    }
  };
  process.on("exit", restore);
  return restore;
}

/** Calls `onResize` with the new size on every SIGWINCH; returns the unsubscribe. */
export function onResize(onResize: (size: TerminalSize) => void): () => void {
  if (!process.stdout.isTTY || process.platform === "win32") return () => {};
  const handler = () => onResize(terminalSize());
  process.on("SIGWINCH", handler);
  return () => process.off("SIGWINCH", handler);
}
