/**
 * Where a channel's incoming bytes go: one reader, chosen once — `readable`
 * (a stream made on first use) or a listener (called per message) — and the
 * bytes no reader took yet. The channel counts what {@link Inbound.take} says
 * waits, to pause its socket and to end past its cap.
 *
 * @module
 */
import type { ChannelEnd } from "./protocol.ts";

/** Bytes `readable` queues before it signals backpressure (256 KiB). */
export const READ_HIGH_WATER_BYTES = 262_144;

/** See the module doc. */
export class Inbound {
  /** Resumes the socket (a stream's `pull`, once kept bytes were taken). */
  readonly #resume: () => void;
  readonly #pausable: boolean;
  /** The channel's end, once it has one. */
  readonly #ended: () => ChannelEnd | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Set once {@link listen} chose the listener mode. */
  #listening = false;
  /** Where bytes go instead of `readable`, in the listener mode (none: kept). */
  #listener: ((bytes: Uint8Array) => void) | undefined;
  /** Bytes no reader took yet (before `readable` or a listener, or between listeners). */
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #readableDone = false;

  constructor(resume: () => void, pausable: boolean, ended: () => ChannelEnd | undefined) {
    this.#resume = resume;
    this.#pausable = pausable;
    this.#ended = ended;
  }

  /**
   * Incoming bytes as a stream, made on first use (with the bytes kept until
   * then). Throws a `TypeError` once {@link listen} chose the listener mode.
   */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#listening) {
      throw new TypeError("WebSocketChannel: incoming bytes go to a listener, not to readable");
    }
    return this.#readable ??= new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        // What came before (the stream counts it against its high-water mark as usual).
        for (const bytes of this.#held.splice(0)) controller.enqueue(bytes);
        this.#heldBytes = 0;
        const end = this.#ended();
        if (end) this.end(end);
      },
      // A socket that cannot pause gets no `pull` (the stream calls it after every read: on
      // Node's WebSocket, a call per message for nothing).
      ...(this.#pausable ? { pull: this.#resume } : {}),
      cancel: () => {
        this.#readableDone = true;
        this.#resume();
      },
    }, { highWaterMark: READ_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength });
  }

  /**
   * The listener mode: each message's bytes go to `listener` as they arrive (no stream, no
   * backpressure: it takes them at once); bytes kept before go first, in a microtask. With
   * `undefined`, bytes are kept again until the next listener. A `TypeError` once `readable`
   * was used. A listener must not throw (the caller wraps users' callbacks).
   */
  listen(listener: ((bytes: Uint8Array) => void) | undefined): void {
    if (this.#readable) {
      throw new TypeError("WebSocketChannel: incoming bytes go to readable, not to a listener");
    }
    this.#listening = true;
    this.#listener = listener;
    if (listener && this.#held.length > 0) queueMicrotask(() => this.#deliverHeld());
  }

  #deliverHeld(): void {
    while (this.#listener && this.#held.length > 0) {
      const bytes = this.#held.shift()!;
      this.#heldBytes -= bytes.byteLength;
      this.#listener(bytes);
    }
    if (this.#held.length === 0) this.#resume();
  }

  /**
   * Passes `bytes` on (a listener takes them now, unless older kept bytes still wait: they go
   * first); returns how many bytes wait for the reader, these included (`-1`: dropped, the
   * stream was cancelled).
   */
  take(bytes: Uint8Array): number {
    if (this.#listener && this.#held.length === 0) {
      this.#listener(bytes);
      return 0;
    }
    if (this.#controller) {
      if (this.#readableDone) return -1;
      this.#controller.enqueue(bytes);
      return READ_HIGH_WATER_BYTES - (this.#controller.desiredSize ?? 0);
    }
    this.#held.push(bytes);
    return this.#heldBytes += bytes.byteLength;
  }

  /**
   * The channel ended: `readable` closes (clean) or errors. Without a stream yet, kept bytes
   * stay for the reader to come (a stream made later ends after them).
   */
  end(end: ChannelEnd): void {
    if (!this.#controller || this.#readableDone) return;
    this.#readableDone = true;
    try {
      if (end.clean) this.#controller.close();
      else this.#controller.error(end.error);
    } catch { /* already cancelled */ }
  }
}
