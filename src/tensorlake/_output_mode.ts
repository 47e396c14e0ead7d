/**
 * How a PTY connection hands out its output: the `output` stream or `onData`
 * listeners, one or the other, chosen by the first use; and the listeners.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors/invalid_argument_error.ts";

type Listener = (bytes: Uint8Array) => void;

const EXCLUSIVE = "`output` and `onData` are exclusive: the first one used takes the output";

/** See the module doc. */
export class OutputMode {
  #stream = false;
  /** Replaced, never changed in place: `emit` loops over the list it started with. */
  #listeners: readonly Listener[] | undefined;

  /** Chooses the stream; throws a `TypeError` once a listener was added. */
  takeStream(): void {
    if (this.#listeners) {
      throw new TypeError(`PtyConnection: output goes to onData listeners; ${EXCLUSIVE}`);
    }
    this.#stream = true;
  }

  /** Whether there is a listener now. */
  get listening(): boolean {
    return (this.#listeners?.length ?? 0) > 0;
  }

  /**
   * Adds `listener` (a `TypeError` once the stream was taken); `change(true)` runs when the
   * first one comes, `change(false)` when the last one goes. Returns the unsubscribe.
   */
  subscribe(listener: Listener, change: (listening: boolean) => void): () => void {
    if (typeof listener !== "function") {
      throw new InvalidArgumentError("onData listener", listener, "must be a function");
    }
    if (this.#stream) {
      throw new TypeError(`PtyConnection: output was taken as a stream; ${EXCLUSIVE}`);
    }
    const before = this.#listeners ?? [];
    this.#listeners = [...before, listener];
    if (before.length === 0) change(true);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const list = this.#listeners!;
      const at = list.indexOf(listener);
      this.#listeners = [...list.slice(0, at), ...list.slice(at + 1)];
      if (this.#listeners.length === 0) change(false);
    };
  }

  /**
   * Passes `bytes` to every listener. One that throws does not stop the others or the
   * connection: its error is ignored, as a throwing `onEvent` is.
   */
  readonly emit = (bytes: Uint8Array): void => {
    const list = this.#listeners!;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i]!(bytes);
      } catch {
        // A listener's failure is not the connection's.
      }
    }
  };
}
