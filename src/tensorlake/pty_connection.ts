/**
 * The PTY protocol on a {@link WebSocketChannel}: READY once open, data
 * frames as output, the exit frame and close reasons as a {@link PtyExit},
 * input and resize as frames; and the {@link PtyConnection} users hold.
 * Frames and reasons: ./pty_frames.ts; the sources are in ./attach.ts.
 *
 * @module
 */
import { InvalidArgumentError, PtyDisconnectedError, type SandgateError } from "../errors.ts";
import { DisposableFields } from "../handle.ts";
import { assertPtySize } from "./validate.ts";
import { MAX_MESSAGE_PAYLOAD, type WebSocketChannel } from "../websocket/channel.ts";
import type { ChannelClose, ChannelEnd, ChannelProtocol } from "../websocket/protocol.ts";
import {
  dataFrame,
  decodeServerFrame,
  exitCodeOfReason,
  OP_DATA,
  readyFrame,
  REASON_SESSION_TERMINATED,
  resizeFrame,
  SHORT_TEXT,
} from "./pty_frames.ts";
import type { PtySize } from "./pty_size.ts";
import { OutputMode } from "./_output_mode.ts";

/**
 * How an attached PTY connection ended. `exit` never rejects.
 *
 * @example
 * ```ts
 * import type { PtyExit } from "@sandgate/sdk";
 * function describe(exit: PtyExit): string {
 *   if (exit.kind === "exited") return `exit code ${exit.exitCode}`;
 *   if (exit.kind === "killed") return "killed";
 *   return `disconnected: ${exit.error.message}`;
 * }
 * console.log(describe({ kind: "exited", exitCode: 3 }));
 * ```
 */
export type PtyExit =
  | { readonly kind: "exited"; readonly exitCode: number }
  | { readonly kind: "killed" }
  | { readonly kind: "disconnected"; readonly error: SandgateError };

/**
 * A live attachment to a PTY session.
 *
 * - `output`: terminal output; it ends when the program exits, the session is
 *   killed or you detach, and errors with a `PtyDisconnectedError` when the
 *   connection drops.
 * - `input`: terminal input (strings are sent as UTF-8); a writer waits while
 *   the socket's `bufferedAmount` is high. Closing it sends nothing (send
 *   `"\x04"` for end-of-file).
 * - `write(data)` and `onData(listener)`: the same input and output without
 *   web streams (fewer promise turns per keystroke, as terminal SDKs do it).
 *   Output goes either to `output` or to `onData` listeners: the first used
 *   decides.
 * - `close()` detaches without killing; `await using` does the same (for
 *   `openPty`'s connection it also kills the PTY).
 *
 * The token is not on the connection, in its `inspect` output or in any error.
 *
 * @example
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * const tensorlake = new Tensorlake({
 *   apiKey: "demo",
 *   fetch: emulator.fetch,
 *   webSocket: emulator.webSocket,
 * });
 * await using pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * const connection = await pty.attach();
 * const writer = connection.input.getWriter();
 * await writer.write("exit 3\n");
 * console.log(await connection.exit); // { kind: "exited", exitCode: 3 }
 * ```
 *
 * @example Without the streams: `write` and `onData` (the fastest path on Node)
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * const tensorlake = new Tensorlake({
 *   apiKey: "demo",
 *   fetch: emulator.fetch,
 *   webSocket: emulator.webSocket,
 * });
 * await using pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * const connection = await pty.attach();
 * const decoder = new TextDecoder();
 * let screen = "";
 * // The prompt printed before this listener came is kept for it, not lost.
 * const unsubscribe = connection.onData((bytes) => {
 *   screen += decoder.decode(bytes, { stream: true });
 * });
 * await connection.write("echo hi\n");
 * await connection.write("exit 3\n");
 * assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 3 });
 * assert.match(screen, /^\$ echo hi\r\nhi\r\n/);
 * unsubscribe();
 * // One way to read output per connection: `output` now throws.
 * assert.throws(() => connection.output, TypeError);
 * ```
 */
export interface PtyConnection extends AsyncDisposable {
  /** The session id. */
  readonly sessionId: string;
  /**
   * Terminal output bytes, as a stream (made on first use). Throws a
   * `TypeError` once {@link PtyConnection.onData} was called: one or the other.
   */
  readonly output: ReadableStream<Uint8Array>;
  /**
   * Terminal output, by callback: `listener` gets each message's bytes as it
   * arrives (no stream, no backpressure). Returns the unsubscribe. Output that
   * came before the first listener (or while none is subscribed) is kept, up
   * to `maxBufferedBytes` as for a paused stream, and passed to the next one.
   * A listener that throws is ignored (the connection and the other listeners
   * carry on). Throws a `TypeError` once `output` was used.
   */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /** Terminal input. */
  readonly input: WritableStream<Uint8Array | string>;
  /**
   * Sends terminal input without the stream: the same frames, errors and
   * backpressure as `input`'s writer (resolves once sent and the socket
   * drained; rejects once the connection ended or `close()` was called).
   * Calls are sent in call order. With `input` it shares one send queue, in
   * the order each reaches it: `write` at once, an `input` chunk when the
   * stream passes it on (at once only if the writer is idle), so await the
   * writer before `write` — or use one of the two.
   */
  write(data: Uint8Array | string): Promise<void>;
  /** Resizes the terminal over the socket (cols and rows, 1–65535). */
  resize(size: PtySize): Promise<void>;
  /** How the connection ended; never rejects. */
  readonly exit: Promise<PtyExit>;
  /** Detaches (the PTY keeps running); resolves once the socket is closed. */
  close(): Promise<void>;
  /** The public fields (never the token). */
  toJSON(): { sessionId: string };
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * A chunk of PTY input as bytes (a string's UTF-8, a `Uint8Array` as it is), for every
 * connection's `input` and `write`; anything else is an {@link InvalidArgumentError}.
 */
export function inputBytes(chunk: unknown): Uint8Array {
  if (typeof chunk === "string") return encoder.encode(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  throw new InvalidArgumentError("input chunk", chunk, "must be a Uint8Array or a string");
}

/** How a PTY channel ends: the channel's end, with the {@link PtyExit} it means. */
export interface PtyEnd extends ChannelEnd {
  /** The outcome `exit` resolves with. */
  readonly exit: PtyExit;
}

/** The end for an exit code (an exit frame or an `exit:<code>` close reason). */
function exited(exitCode: number): PtyEnd {
  return {
    exit: { kind: "exited", exitCode },
    clean: true,
    error: new PtyDisconnectedError(`PTY input: the program exited (code ${exitCode})`),
  };
}

function disconnected(error: PtyDisconnectedError, clean: boolean): PtyEnd {
  return { exit: { kind: "disconnected", error }, clean, error };
}

/** The PTY protocol (https://docs.tensorlake.ai/api-reference/v2/pty/websocket). */
export const PTY_PROTOCOL: ChannelProtocol<PtyEnd> = {
  // READY at once after open, so the server flushes buffered output.
  opened: (channel) => channel.sendNow(readyFrame()),
  message(bytes, channel) {
    // Output, nearly every message: straight to the reader, no decoded object per message.
    if (bytes[0] === OP_DATA) {
      return channel.push(new Uint8Array(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1));
    }
    const frame = decodeServerFrame(bytes);
    // Unknown or malformed frames are ignored, as upstream does.
    if (frame?.op === "exit") channel.finish(exited(frame.exitCode));
  },
  closed(close: ChannelClose): PtyEnd {
    const exitCode = exitCodeOfReason(close.rawReason);
    if (exitCode !== undefined) return exited(exitCode);
    if (close.rawReason === REASON_SESSION_TERMINATED) {
      return {
        exit: { kind: "killed" },
        clean: true,
        error: new PtyDisconnectedError("PTY input: the session was killed"),
      };
    }
    const code = close.code === undefined ? {} : { closeCode: close.code };
    if (close.byClient) {
      return disconnected(
        new PtyDisconnectedError("PTY connection: detached by the client", {
          byClient: true,
          ...code,
          closeReason: close.reason,
        }),
        true,
      );
    }
    return disconnected(
      new PtyDisconnectedError(
        `PTY connection closed unexpectedly: ${close.code ?? "no code"}${
          close.reason ? ` ${close.reason}` : ""
        }`,
        { ...code, closeReason: close.reason },
      ),
      false,
    );
  },
  // Output was lost for this reader: its stream errors instead of ending cleanly.
  overflow: (max) =>
    disconnected(
      new PtyDisconnectedError(
        `PTY output: the reader fell more than ${max} bytes behind; ` +
          "detached (the PTY keeps running, attach again to continue)",
        { byClient: true },
      ),
      false,
    ),
};

/** A {@link PtyConnection} on an open channel running {@link PTY_PROTOCOL}. */
export class Connection extends DisposableFields<{ sessionId: string }> implements PtyConnection {
  protected readonly inspectName = "PtyConnection";
  readonly sessionId: string;
  readonly input: WritableStream<Uint8Array | string>;
  readonly exit: Promise<PtyExit>;
  readonly #channel: WebSocketChannel<PtyEnd>;
  readonly #onDispose: (() => Promise<unknown>) | undefined;
  readonly #mode = new OutputMode();

  constructor(
    sessionId: string,
    channel: WebSocketChannel<PtyEnd>,
    onDispose: (() => Promise<unknown>) | undefined,
  ) {
    super();
    this.sessionId = sessionId;
    this.#channel = channel;
    this.#onDispose = onDispose;
    this.exit = channel.closed.then((end) => end.exit);
    this.input = new WritableStream<Uint8Array | string>({
      write: (chunk) => this.#write(chunk),
    }, {
      highWaterMark: MAX_MESSAGE_PAYLOAD,
      size: (chunk) => typeof chunk === "string" ? chunk.length : chunk?.byteLength ?? 1,
    });
  }

  get output(): ReadableStream<Uint8Array> {
    this.#mode.takeStream();
    return this.#channel.readable;
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    return this.#mode.subscribe(
      listener,
      (listening) => this.#channel.listen(listening ? this.#mode.emit : undefined),
    );
  }

  write(data: Uint8Array | string): Promise<void> {
    return this.#write(data);
  }

  /** The sink's `write`: the channel's own promise (no async wrapper: one turn less per keystroke). */
  #write(chunk: Uint8Array | string): Promise<void> {
    // Typed text: one frame straight from the string (at most 3 bytes a character: one message).
    if (typeof chunk === "string" && chunk.length <= SHORT_TEXT) {
      return this.#channel.send(dataFrame(chunk));
    }
    let bytes: Uint8Array;
    try {
      bytes = inputBytes(chunk);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#channel.write(bytes, dataFrame);
  }

  resize(size: PtySize): Promise<void> {
    try {
      assertPtySize(size);
    } catch (error) {
      return Promise.reject(error);
    }
    // Input and resize share the channel's one queue: they reach the PTY in order.
    return this.#channel.send(resizeFrame(size.cols, size.rows));
  }

  close(): Promise<void> {
    return this.#channel.close();
  }

  protected async dispose(): Promise<void> {
    await this.close();
    await this.#onDispose?.();
  }

  toJSON(): { sessionId: string } {
    return { sessionId: this.sessionId };
  }
}
