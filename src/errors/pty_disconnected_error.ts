/**
 * {@link PtyDisconnectedError}: a PTY WebSocket ended without an exit or a kill.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { NetworkError } from "./network_error.ts";

/**
 * A PTY WebSocket ended without an exit or a kill: the network dropped it,
 * the server closed it for another reason, the reader fell too far behind, or
 * the client detached (`byClient`). The PTY itself may still run: attach again
 * with its session id and token.
 *
 * @example
 * ```ts
 * import { PtyDisconnectedError } from "@sandgate/sdk";
 * const error = new PtyDisconnectedError("PTY connection closed: 1006", { closeCode: 1006 });
 * console.log(error.closeCode, error.byClient); // 1006 false
 * ```
 */
export class PtyDisconnectedError extends NetworkError {
  static {
    nameClass(this, "PtyDisconnectedError");
  }
  /** The WebSocket close code, when the socket reported one. */
  readonly closeCode: number | undefined;
  /** The WebSocket close reason (`""` when none). */
  readonly closeReason: string;
  /** `true` when this side detached (`close()`, dispose, abort). */
  readonly byClient: boolean;
  /** Creates the error. */
  constructor(
    message: string,
    options?: ErrorOptions & { closeCode?: number; closeReason?: string; byClient?: boolean },
  ) {
    super(message, options);
    this.closeCode = options?.closeCode;
    this.closeReason = options?.closeReason ?? "";
    this.byClient = options?.byClient ?? false;
  }
}
