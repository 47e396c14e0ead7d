/**
 * The ordered queue of a PTY's input and resizes, for a re-attaching connection and for
 * `sandgate/xterm`'s binding: what the user asked for, in order, sent to whichever connection
 * is current; kept while there is none. A resize
 * still waiting its turn at the end is replaced by a newer one; input is bounded in bytes
 * (writers wait past it). An op the current connection refuses stays first in line for the
 * next one, so nothing is sent twice.
 *
 * @module
 */
import type { PtySize } from "./pty_size.ts";

/** Where ops go: the current connection's writer and resize. */
export interface OpTarget {
  write(bytes: Uint8Array): Promise<void>;
  resize(size: PtySize): Promise<void>;
}

type Op =
  | { kind: "input"; bytes: Uint8Array; done: () => void }
  | { kind: "resize"; size: PtySize; done: () => void; fail: (error: unknown) => void };

/** See the module doc. */
export class OpQueue {
  readonly #maxBytes: number;
  readonly #onInputSent: () => void;
  readonly #ops: Op[] = [];
  #bytes = 0;
  #spaceWaiters: (() => void)[] = [];
  #running = false;
  #target: OpTarget | undefined;
  #closed = false;

  /** `onInputSent` runs each time the target took some input. */
  constructor(maxBytes: number, onInputSent: () => void) {
    this.#maxBytes = maxBytes;
    this.#onInputSent = onInputSent;
  }

  /** Whether there is a target now. */
  get attached(): boolean {
    return this.#target !== undefined;
  }

  /** Sets (or clears) the target and sends what waits. */
  retarget(target: OpTarget | undefined): void {
    this.#target = target;
    void this.#run();
  }

  /**
   * Queues `piece` (at most one message); resolves once it is queued, waiting while the queue
   * is full. The returned `sent` resolves once a target took it (or the queue was closed).
   */
  async input(piece: Uint8Array): Promise<{ sent: Promise<void> }> {
    while (this.#bytes >= this.#maxBytes && !this.#closed) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    if (this.#closed) return { sent: Promise.resolve() };
    this.#bytes += piece.byteLength;
    const sent = new Promise<void>((done) => this.#ops.push({ kind: "input", bytes: piece, done }));
    void this.#run();
    return { sent };
  }

  /** Queues a resize; resolves once applied, rejects if the queue closes first. */
  resize(size: PtySize): Promise<void> {
    const wanted = { cols: size.cols, rows: size.rows };
    const last = this.#ops.at(-1);
    // Not the op being sent right now: the head while the runner runs.
    if (last?.kind === "resize" && (this.#ops.length > 1 || !this.#running)) {
      last.size = wanted;
      return new Promise((resolve, reject) => {
        const [done, fail] = [last.done, last.fail];
        last.done = () => (done(), resolve());
        last.fail = (e) => (fail(e), reject(e));
      });
    }
    const applied = new Promise<void>((done, fail) =>
      this.#ops.push({ kind: "resize", size: wanted, done, fail })
    );
    void this.#run();
    return applied;
  }

  /** Ends the queue: resizes fail with `error`, input resolves (the next write learns the end). */
  close(error: unknown): void {
    this.#closed = true;
    this.#target = undefined;
    for (const op of this.#ops.splice(0)) {
      if (op.kind === "resize") op.fail(error);
      else op.done();
    }
    this.#bytes = 0;
    this.#wake();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#ops.length > 0 && this.#target) {
        const op = this.#ops[0]!;
        try {
          if (op.kind === "resize") await this.#target.resize(op.size);
          else {
            await this.#target.write(op.bytes);
            this.#onInputSent();
          }
        } catch {
          // Not taken by this connection: it stays first in line for the next one.
          return;
        }
        this.#ops.shift();
        if (op.kind === "input") {
          this.#bytes -= op.bytes.byteLength;
          this.#wake();
        }
        op.done();
      }
    } finally {
      this.#running = false;
    }
    // Ops queued while this loop was finishing, with a target still there.
    if (this.#ops.length > 0 && this.#target) void this.#run();
  }

  #wake(): void {
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }
}
