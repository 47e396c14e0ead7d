/**
 * {@link AttachOptions} and their check, apart from the attach itself (attach.ts): the sandbox
 * handle checks them with the class's code, before the WebSocket code is loaded on first use.
 *
 * @module
 */
import { assertCallOptions, assertIntegerInRange } from "../validate.ts";
import { type ReconnectOptions, reconnectPolicy } from "./reconnect_policy.ts";

/**
 * Options of `attach`, `attachPty` and `openPty`.
 *
 * @example
 * ```ts
 * import type { AttachOptions } from "@sandgate/sdk";
 * const options: AttachOptions = { timeoutMs: 10_000, signal: AbortSignal.timeout(60_000) };
 * console.log(options.timeoutMs);
 * ```
 */
export interface AttachOptions {
  /** Aborts connecting; once attached, aborting detaches (the PTY keeps running). */
  signal?: AbortSignal;
  /** Budget for the WebSocket handshake. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Most output bytes kept for a reader that does not keep up: past it the
   * connection is dropped with a `PtyDisconnectedError` (the PTY keeps
   * running; attach again). A socket that can be paused (the `ws` package,
   * Bun) stops reading at the stream's high-water mark first, so the cap is
   * only reached by messages it had already read or by one huge message;
   * other standard WebSockets reach it when the reader stalls. Default 16 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Re-attach by itself when the connection drops (`true`, or the policy): `output`, `input`
   * and `exit` carry on across the drop; input written meanwhile is queued and sent once, in
   * order; `onEvent` reports `reconnecting` and `reconnected`. Off by default in the SDK (an
   * application may have its own policy, and a silent retry would hide the drop from it); on
   * in the CLI. See {@link ReconnectOptions} for the defaults.
   */
  reconnect?: boolean | ReconnectOptions;
}

/** Checks {@link AttachOptions}. */
export function assertAttachOptions(
  options: unknown,
): asserts options is AttachOptions | undefined {
  if (options === undefined) return;
  const { maxBufferedBytes, reconnect, ...call } = options as AttachOptions;
  assertCallOptions(call);
  reconnectPolicy(reconnect);
  if (maxBufferedBytes !== undefined) {
    assertIntegerInRange("options.maxBufferedBytes", maxBufferedBytes, 1024, 2 ** 31);
  }
}
