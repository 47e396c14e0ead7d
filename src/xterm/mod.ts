/**
 * `sandgate/xterm`: shows a {@link PtyConnection} in an xterm.js `Terminal`, in a web page or
 * anywhere xterm runs. Output is written to the terminal with flow control (reading pauses
 * while xterm has more than a high-water mark of unparsed bytes), keystrokes and mouse reports
 * go to the PTY in order, resizes of the terminal (the fit addon's, or `terminal.resize`) are
 * sent over the socket, and the exit is written as a last line and reported.
 *
 * xterm.js is an optional peer dependency: this module only describes the few members it uses
 * ({@link TerminalLike}), so importing it loads no xterm code and works with `@xterm/xterm` 5
 * and 6 alike.
 *
 * The safe shape for a web page: the API key stays on a server, whose handler
 * (`createPtyHandler` from `sandgate`) creates the PTY and hands the page only the session id
 * and its token; the page attaches with the token in the URL (browsers cannot send the
 * `X-PTY-Token` header). See docs/browser.md.
 *
 * @example Bind an emulated PTY to a stand-in terminal
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 * import { connectTerminal, type TerminalLike } from "@sandgate/sdk/xterm";
 *
 * const emulator = createEmulator();
 * const sandbox = new Tensorlake({
 *   apiKey: "demo",
 *   fetch: emulator.fetch,
 *   webSocket: emulator.webSocket,
 * }).sandbox("my-sandbox");
 * await using pty = await sandbox.createPty({ command: "bash" });
 *
 * let typed: (data: string) => void = () => {};
 * const shown: string[] = [];
 * const terminal: TerminalLike = {
 *   cols: 100,
 *   rows: 30,
 *   write(data, done) {
 *     shown.push(typeof data === "string" ? data : new TextDecoder().decode(data));
 *     done?.();
 *   },
 *   onData(listener) {
 *     typed = listener;
 *     return { dispose() {} };
 *   },
 *   onResize: () => ({ dispose() {} }),
 * };
 * const binding = connectTerminal(terminal, await pty.attach());
 * typed("exit 3\n");
 * assert.deepEqual(await binding.exit, { kind: "exited", exitCode: 3 });
 * assert.match(shown.join(""), /exited with code 3/);
 * ```
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import type { PtyConnection, PtyExit } from "../tensorlake/attach.ts";
import { OpQueue } from "../tensorlake/op_queue.ts";

/** What xterm.js's `IDisposable` is: something to stop listening with. */
export interface DisposableLike {
  /** Stops listening. */
  dispose(): void;
}

/**
 * The members of an xterm.js `Terminal` (`@xterm/xterm` 5 or 6) the binding uses: size, write
 * with a parsed callback, and the data, binary and resize events.
 */
export interface TerminalLike {
  /** Columns. */
  readonly cols: number;
  /** Rows. */
  readonly rows: number;
  /** Writes output; `callback` runs once xterm has parsed it. */
  write(data: string | Uint8Array, callback?: () => void): void;
  /** Keystrokes and pastes, as a string. */
  onData(listener: (data: string) => void): DisposableLike;
  /** Binary input (some mouse reports), one byte per UTF-16 code unit. Optional. */
  onBinary?(listener: (data: string) => void): DisposableLike;
  /** Size changes: `terminal.resize`, the fit addon's `fit()`. */
  onResize(listener: (size: { cols: number; rows: number }) => void): DisposableLike;
}

/** Options of {@link connectTerminal}. */
export interface ConnectTerminalOptions {
  /**
   * The line written when the connection ends, or `false` for none. Default: `[process exited
   * with code N]`, `[session killed]` or `[disconnected: …]` on a line of its own.
   */
  exitMessage?: false | ((exit: PtyExit) => string);
  /** Called once with how the connection ended. */
  onExit?: (exit: PtyExit) => void;
  /**
   * Unparsed output bytes xterm may hold before reading from the PTY pauses (xterm's own flow
   * control guide suggests a few hundred KiB). Default 262 144.
   */
  highWaterBytes?: number;
}

/** A terminal bound to a connection. `dispose` detaches; the PTY keeps running. */
export interface TerminalBinding extends AsyncDisposable {
  /** How the connection ended (never rejects). */
  readonly exit: Promise<PtyExit>;
  /** Stops listening to the terminal and detaches from the PTY. */
  dispose(): Promise<void>;
}

const DEFAULT_HIGH_WATER_BYTES = 262_144;
const encoder = /* @__PURE__ */ new TextEncoder();

/** The default last line for each way a connection ends. */
export function describeExit(exit: PtyExit): string {
  if (exit.kind === "exited") return `[process exited with code ${exit.exitCode}]`;
  if (exit.kind === "killed") return "[session killed]";
  return `[disconnected: ${exit.error.message}]`;
}

/**
 * Binds `terminal` to `connection`: output shown, input sent, resizes applied (the current
 * size is sent at once), the exit written and reported. Returns a {@link TerminalBinding}.
 */
export function connectTerminal(
  terminal: TerminalLike,
  connection: PtyConnection,
  options: ConnectTerminalOptions = {},
): TerminalBinding {
  const highWater = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
  if (!Number.isInteger(highWater) || highWater < 1) {
    throw new InvalidArgumentError(
      "options.highWaterBytes",
      highWater,
      "must be a positive integer",
    );
  }
  const writer = connection.input.getWriter();
  let detached = false;
  let listening = true;
  const stopListening = () => {
    if (listening) { for (const listener of listeners) listener.dispose(); }
    listening = false;
  };

  // Input and resizes go out in the order the terminal produced them (a `stty size` typed after
  // a resize sees the new size), through the ordered op queue PTY re-attach uses; a resize
  // still waiting its turn at the end is replaced by a newer one. A refused send means the
  // connection ended, which `exit` reports; the queue is closed then, or on `dispose`.
  const ops = new OpQueue(Infinity, () => {});
  ops.retarget({
    write: (bytes) => writer.write(bytes),
    resize: (size) => connection.resize(size),
  });
  const send = (data: string | Uint8Array) => {
    if (!detached) void ops.input(typeof data === "string" ? encoder.encode(data) : data);
  };
  const resize = (size: { cols: number; rows: number }) => {
    if (!detached) ops.resize(size).catch(() => {});
  };
  const listeners: DisposableLike[] = [terminal.onData(send), terminal.onResize(resize)];
  if (terminal.onBinary) {
    listeners.push(
      terminal.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff))),
    );
  }
  resize({ cols: terminal.cols, rows: terminal.rows });

  // Output, with xterm's flow control: pause reading while too much is unparsed.
  let drained: (() => void) | undefined;
  const pump = (async () => {
    const reader = connection.output.getReader();
    let pending = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        pending += value.byteLength;
        terminal.write(value, () => {
          pending -= value.byteLength;
          if (pending <= highWater / 2) drained?.();
        });
        if (pending > highWater) await new Promise<void>((r) => (drained = r));
        drained = undefined;
      }
    } catch {
      // The connection dropped: `exit` says how.
    } finally {
      reader.releaseLock();
    }
  })();

  const exit = (async () => {
    const ended = await connection.exit;
    ops.close(new Error("the connection ended"));
    drained?.(); // a terminal that stopped parsing must not hold the exit back
    await pump;
    stopListening();
    if (options.exitMessage !== false && !detached) {
      terminal.write(`\r\n${(options.exitMessage ?? describeExit)(ended)}\r\n`);
    }
    options.onExit?.(ended);
    return ended;
  })();

  const dispose = async () => {
    if (detached) return;
    detached = true;
    stopListening();
    ops.close(new Error("detached"));
    writer.releaseLock();
    await connection.close();
  };
  return { exit, dispose, [Symbol.asyncDispose]: dispose };
}
