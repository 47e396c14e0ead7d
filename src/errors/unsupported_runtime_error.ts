/**
 * {@link UnsupportedRuntimeError}: what a runtime lacks for a call.
 *
 * @module
 */
import { nameClass } from "./_private.ts";
import { SandgateError } from "./sandgate_error.ts";

/**
 * The runtime cannot do what the call needs: `forward()` needs a local TCP
 * listener (Deno, Node, Bun), and Prime Intellect's `connect()` a raw TCP
 * socket (Deno, Node, Bun, workerd's `cloudflare:sockets`), which browsers
 * do not have. Thrown before any request is sent.
 *
 * @example
 * ```ts
 * import { UnsupportedRuntimeError } from "@sandgate/sdk";
 * const error = new UnsupportedRuntimeError("forward", "a local TCP listener");
 * console.log(error.message);
 * ```
 */
export class UnsupportedRuntimeError extends SandgateError {
  static {
    nameClass(this, "UnsupportedRuntimeError");
  }

  /** The call that cannot run here, e.g. `"forward"`. */
  readonly operation: string;
  /** What the runtime lacks, e.g. `"a local TCP listener"`. */
  readonly needs: string;

  /** Creates the error for `operation`, which needs `needs`. */
  constructor(operation: string, needs: string, hint?: string) {
    super(`${operation}: this runtime has no ${needs}${hint ? `; ${hint}` : ""}`);
    this.operation = operation;
    this.needs = needs;
  }
}
