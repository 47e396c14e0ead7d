/**
 * The terminal size a PTY is created, resized and attached with: what both
 * the HTTP calls (pty.ts) and the WebSocket (attach.ts) take.
 *
 * @module
 */

/**
 * A terminal size.
 *
 * @example
 * ```ts
 * import type { PtySize } from "@sandgate/sdk";
 * const size: PtySize = { rows: 50, cols: 200 };
 * console.log(size.rows * size.cols);
 * ```
 */
export interface PtySize {
  /** Rows, an integer from 1 to 500. */
  rows: number;
  /** Columns, an integer from 1 to 1000. */
  cols: number;
}
