/**
 * A {@link PtyConnection} that re-attaches itself when its WebSocket drops (the `reconnect`
 * attach option): one `output` stream, one `input`, one `exit` across any number of
 * underlying connections.
 *
 * - A drop is a connection that ends `disconnected` without this side asking (a close without
 *   an exit or kill, an error, a reset), or one that stays silent for `silenceMs` after input
 *   was sent (a half-open TCP connection reports nothing; a terminal echoes or answers input).
 * - Re-attaching uses the session id and token, with jittered exponential backoff (the first
 *   try at once) within `maxElapsedMs` in all, on the client's clock.
 * - It stops only on what is known: the PTY exited (the server replays the exit, or `getPty`
 *   says so), the session is gone (`getPty` answers 404: reported as `killed`), or the server
 *   itself refused with 403/404 where the runtime shows the status (workerd). A failed upgrade
 *   whose status a standard WebSocket hides is not taken for a bad token: the token worked a
 *   moment ago, so it is tried again within the budget.
 * - Input written while disconnected is queued (at most `maxQueuedInputBytes`; past it writers
 *   wait) and sent once, in order, after the re-attach; a resize made meanwhile is applied
 *   after it, in its place in that order. Bytes the old socket had already taken are not sent
 *   again (at most once: they may be lost with the connection, never duplicated).
 * - Output continues on the same stream (or the same `onData` listeners, which read that stream). Whether the server keeps output produced while no
 *   client is attached is not documented upstream (only that output before READY is buffered
 *   up to 1 MB): sandgate assumes it does, and so does the emulator.
 *
 * @module
 */
import { PtyDisconnectedError } from "../errors/pty_disconnected_error.ts";
import type { SandgateError } from "../errors/sandgate_error.ts";
import { DisposableFields } from "../handle.ts";
import { assertPtySize } from "./validate.ts";
import { MAX_MESSAGE_PAYLOAD } from "../websocket/channel.ts";
import { inputBytes, type PtyConnection, type PtyExit } from "./pty_connection.ts";
import type { PtySize } from "./pty_size.ts";
import { OpQueue } from "./op_queue.ts";
import { OutputMode } from "./_output_mode.ts";
import { detachedExit, reattach, type ReconnectParams } from "./pty_reattach.ts";

export type { ReconnectParams } from "./pty_reattach.ts";

const OUTPUT_HIGH_WATER_BYTES = 262_144;

/** The {@link PtyConnection} of an attach with `reconnect` on. */
export class ReconnectingConnection extends DisposableFields<{ sessionId: string }>
  implements PtyConnection {
  protected readonly inspectName = "PtyConnection";
  readonly sessionId: string;
  readonly input: WritableStream<Uint8Array | string>;
  readonly exit: Promise<PtyExit>;

  readonly #params: ReconnectParams;
  /** The connection ops go to; `undefined` while re-attaching. */
  #current: PtyConnection | undefined;
  readonly #ops: OpQueue;
  #ended: PtyExit | undefined;
  #detaching = false;
  readonly #stop = new AbortController();
  #resolveExit!: (exit: PtyExit) => void;
  #output!: ReadableStreamDefaultController<Uint8Array>;
  #demand: (() => void) | undefined;
  readonly #stream: ReadableStream<Uint8Array>;
  readonly #mode = new OutputMode();
  /** The listener mode's reader of `#stream`, and a chunk read while no listener was left. */
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #parked: Uint8Array | undefined;
  #pumping = false;
  /** Settles once the write before the last one has put all its pieces in the op queue. */
  #queueing: Promise<void> | undefined;
  /** Clock time of the first input sent since output last arrived (the silence check). */
  #unansweredSince: number | undefined;

  constructor(params: ReconnectParams) {
    super();
    this.#params = params;
    this.#ops = new OpQueue(
      params.policy.maxQueuedInputBytes,
      () => (this.#unansweredSince ??= params.clock.now()),
    );
    this.sessionId = params.first.sessionId;
    this.exit = new Promise((resolve) => (this.#resolveExit = resolve));
    this.#stream = new ReadableStream<Uint8Array>({
      start: (controller) => void (this.#output = controller),
      pull: () => this.#demand?.(),
      cancel: () => this.close(),
    }, { highWaterMark: OUTPUT_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength });
    this.input = new WritableStream<Uint8Array | string>({
      write: (chunk) => this.#write(chunk),
    }, {
      highWaterMark: MAX_MESSAGE_PAYLOAD,
      size: (chunk) => typeof chunk === "string" ? chunk.length : chunk?.byteLength ?? 1,
    });
    params.signal?.addEventListener("abort", () => void this.close(), { once: true });
    void this.#drive(params.first);
  }

  get output(): ReadableStream<Uint8Array> {
    this.#mode.takeStream();
    return this.#stream;
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    return this.#mode.subscribe(listener, (listening) => listening && void this.#pump());
  }

  /** The listener mode: reads the output stream for the listeners while there are any. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      // As a plain connection does: output kept for the first listener comes in a microtask.
      await undefined;
      this.#reader ??= this.#stream.getReader();
      while (this.#mode.listening) {
        const parked = this.#parked;
        this.#parked = undefined;
        if (parked) {
          this.#mode.emit(parked);
          continue;
        }
        const { done, value } = await this.#reader.read();
        if (done) return;
        if (this.#mode.listening) this.#mode.emit(value);
        else this.#parked = value;
      }
    } catch {
      // The stream errored: `exit` says how.
    } finally {
      this.#pumping = false;
    }
  }

  write(data: Uint8Array | string): Promise<void> {
    return this.#write(data);
  }

  /** Attaches, reads, re-attaches: until an exit, a detach or the budget's end. */
  async #drive(first: PtyConnection): Promise<void> {
    let connection: PtyConnection | PtyExit = first;
    while (!("kind" in connection)) {
      const exit = await this.#attached(connection);
      // A drop is a disconnect this side did not ask for (a detach or an overflow did).
      const byClient = exit.kind === "disconnected" &&
        exit.error instanceof PtyDisconnectedError && exit.error.byClient && !this.#silent;
      if (exit.kind !== "disconnected" || byClient || this.#detaching) {
        return this.#finish(this.#detaching ? detachedExit() : exit);
      }
      connection = await this.#reattach(exit.error);
    }
    this.#finish(connection);
  }

  /** Runs one connection until it ends: output pumped, queued ops flushed, silence watched. */
  async #attached(connection: PtyConnection): Promise<PtyExit> {
    this.#current = connection;
    const writer = connection.input.getWriter();
    this.#unansweredSince = undefined;
    this.#ops.retarget({
      write: (bytes) => writer.write(bytes),
      resize: (size) => connection.resize(size),
    });
    const silence = this.#watchSilence(connection);
    const reader = connection.output.getReader();
    try {
      for (;;) {
        while ((this.#output.desiredSize ?? 1) <= 0 && !this.#ended) {
          await new Promise<void>((resolve) => (this.#demand = resolve));
          this.#demand = undefined;
        }
        if (this.#ended) break;
        const { done, value } = await reader.read();
        if (done) break;
        this.#unansweredSince = undefined;
        this.#output.enqueue(value);
      }
    } catch {
      // The connection dropped; its exit says how.
    } finally {
      reader.releaseLock();
      silence.abort();
    }
    const exit = await connection.exit;
    this.#current = undefined;
    this.#ops.retarget(undefined);
    writer.releaseLock();
    return exit;
  }

  /** Takes a connection silent for `silenceMs` after input as dropped: closes it. */
  #watchSilence(connection: PtyConnection): AbortController {
    const stop = new AbortController();
    const { silenceMs } = this.#params.policy;
    if (silenceMs === 0) return stop;
    const { clock } = this.#params;
    void (async () => {
      try {
        while (!stop.signal.aborted) {
          const since = this.#unansweredSince;
          const wait = since === undefined ? silenceMs : since + silenceMs - clock.now();
          if (since !== undefined && wait <= 0) {
            this.#silent = true;
            await connection.close();
            return;
          }
          await clock.sleep(Math.max(1, wait), stop.signal);
        }
      } catch {
        // Stopped.
      }
    })();
    return stop;
  }

  /** Set when the last connection was closed for its silence: that is a drop, not a detach. */
  #silent = false;

  /** Re-attaches within the budget; resolves with the new connection or the final exit. */
  #reattach(dropped: SandgateError): Promise<PtyConnection | PtyExit> {
    const last = this.#silent
      ? new PtyDisconnectedError(
        `PTY connection: no answer for ${this.#params.policy.silenceMs} ms after input`,
      )
      : dropped;
    this.#silent = false;
    return reattach(this.#params, last, this.#stop.signal, () => this.#detaching);
  }

  #finish(exit: PtyExit): void {
    if (this.#ended) return;
    this.#ended = exit;
    this.#stop.abort();
    try {
      // A drop past the budget errors the stream; an exit, a kill or a detach ends it.
      if (exit.kind === "disconnected" && !this.#detaching) this.#output.error(exit.error);
      else this.#output.close();
    } catch {
      // Already closed by a cancel.
    }
    this.#demand?.();
    const gone = new PtyDisconnectedError(
      exit.kind === "exited"
        ? `PTY input: the program exited (code ${exit.exitCode})`
        : exit.kind === "killed"
        ? "PTY input: the session was killed"
        : "PTY connection: detached or lost",
      { byClient: this.#detaching },
    );
    this.#ops.close(gone);
    this.#resolveExit(exit);
  }

  /**
   * Input, in call order: a write still putting pieces in the op queue (a big one, or one
   * waiting for room) holds the later ones back; otherwise a write is queued at once.
   */
  #write(chunk: Uint8Array | string): Promise<void> {
    const before = this.#queueing;
    const queued = before ? before.then(() => this.#queue(chunk)) : this.#queue(chunk);
    const settled = queued.then(ignore, ignore);
    this.#queueing = settled;
    void settled.then(() => {
      if (this.#queueing === settled) this.#queueing = undefined;
    });
    // While attached, the writer waits for the socket (its backpressure); while re-attaching,
    // queued input resolves at once (bounded by maxQueuedInputBytes).
    return queued.then((pieces) =>
      this.#ops.attached ? Promise.all(pieces).then(ignore) : undefined
    );
  }

  /** Puts `chunk` in the op queue; resolves with each piece's `sent`. */
  async #queue(chunk: Uint8Array | string): Promise<Promise<void>[]> {
    const bytes = inputBytes(chunk);
    this.#throwIfEnded();
    const pieces: Promise<void>[] = [];
    for (let at = 0; at < bytes.byteLength; at += MAX_MESSAGE_PAYLOAD) {
      const { sent } = await this.#ops.input(bytes.subarray(at, at + MAX_MESSAGE_PAYLOAD));
      this.#throwIfEnded();
      pieces.push(sent);
    }
    return pieces;
  }

  #throwIfEnded(): void {
    if (this.#ended) {
      throw new PtyDisconnectedError(
        this.#ended.kind === "exited"
          ? `PTY input: the program exited (code ${this.#ended.exitCode})`
          : this.#ended.kind === "killed"
          ? "PTY input: the session was killed"
          : "PTY input: the connection is closed",
        { byClient: this.#detaching },
      );
    }
  }

  resize(size: PtySize): Promise<void> {
    try {
      assertPtySize(size);
      this.#throwIfEnded();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#ops.resize(size);
  }

  /** Detaches (the PTY keeps running) and stops re-attaching. */
  async close(): Promise<void> {
    this.#detaching = true;
    this.#stop.abort();
    await this.#current?.close();
    if (!this.#ended) this.#finish(detachedExit());
    await this.exit;
  }

  protected async dispose(): Promise<void> {
    await this.close();
    await this.#params.onDispose?.();
  }

  toJSON(): { sessionId: string } {
    return { sessionId: this.sessionId };
  }
}

function ignore(): void {}
