/**
 * A {@link WebSocketChannel}: one open WebSocket as a byte channel, whatever
 * protocol runs on it (the PTY's frames, the TCP tunnel's raw bytes).
 *
 * - In: binary messages go to a {@link ChannelProtocol} (default: straight
 *   to the reader). The reader is chosen once: `readable` (made on first
 *   use) or a listener ({@link WebSocketChannel.listen}), see ./_inbound.ts. Bytes nobody takes
 *   yet are kept: up to {@link READ_HIGH_WATER_BYTES}, past it a socket that can pause (the `ws` package, Bun) stops reading
 *   from TCP, and past `maxBufferedBytes` the channel ends (the reader lost
 *   data: `readable` errors) instead of growing.
 * - Out: {@link WebSocketChannel.send} sends messages in order and waits while
 *   the socket's `bufferedAmount` is high; a send either reaches the socket
 *   while it is open or rejects — never resolves while its bytes are dropped.
 * - End: exactly once, with a {@link ChannelEnd} the protocol builds (the
 *   error later sends reject with, and whether `readable` ends cleanly);
 *   {@link WebSocketChannel.close} first delivers the sends already queued,
 *   then closes, and waits at most {@link CLOSE_WAIT_MS} for the server.
 *
 * What runs on a channel (its {@link ChannelProtocol}) is in ./protocol.ts.
 *
 * @module
 */
import { type Redactor, redactor } from "../util/redact.ts";
import { safeReason } from "./_secrets.ts";
import type { ChannelClose, ChannelEnd, ChannelProtocol } from "./protocol.ts";
import { Inbound, READ_HIGH_WATER_BYTES } from "./_inbound.ts";
import { OPEN, toBytes, type WebSocketEventLike, type WebSocketLike } from "./socket.ts";

export { READ_HIGH_WATER_BYTES };

// Sizes are literals: bundlers keep a top-level `a * b` of a module nothing else is used from.
/** Default hard cap of queued incoming bytes. */
export const DEFAULT_MAX_BUFFERED_BYTES = 16_777_216; // 16 MiB
/** Largest message {@link WebSocketChannel.write} sends; bigger writes are split. */
export const MAX_MESSAGE_PAYLOAD = 65_536; // 64 KiB
/** `bufferedAmount` above which sends wait for the socket to drain. */
const SEND_HIGH_WATER_BYTES = 262_144; // 256 KiB
/** How often a waiting send looks at `bufferedAmount` (it has no event). */
const DRAIN_POLL_MS = 2;
/** How long `close()` waits in all: for queued sends, then for the server's closing handshake. */
export const CLOSE_WAIT_MS = 2_000;

/** Options of a {@link WebSocketChannel}. */
export interface ChannelOptions<E extends ChannelEnd> {
  /** What runs on the channel. */
  protocol: ChannelProtocol<E>;
  /** Most incoming bytes kept for a reader that does not keep up. Default 16 MiB. */
  maxBufferedBytes?: number | undefined;
  /** Once open, aborting closes the channel (as `close()`). */
  signal?: AbortSignal | undefined;
  /** Secrets a close reason must not show. */
  secrets?: readonly string[] | undefined;
}

/** Internal: the socket closed or failed before it opened (the opener explains it). */
export class HandshakeFailed extends Error {}

/** One open WebSocket as a byte channel; see the module documentation. */
export class WebSocketChannel<E extends ChannelEnd = ChannelEnd> {
  /** Resolves once open (and the protocol's `opened` ran); rejects with {@link HandshakeFailed}. */
  readonly opened: Promise<void>;
  /** How the channel ended; never rejects. */
  readonly closed: Promise<E>;

  readonly #socket: WebSocketLike;
  readonly #protocol: ChannelProtocol<E>;
  readonly #maxBuffered: number;
  readonly #signal: AbortSignal | undefined;
  readonly #secrets: readonly string[];
  /** Built for the first close reason there is to show (most closes have none). */
  #redact: Redactor | undefined;
  readonly #onAbort = () => void this.close();
  readonly #socketGone: Promise<void>;
  /** Where incoming bytes go. */
  readonly #in: Inbound;
  #paused = false;
  #isOpen = false;
  #closing: Promise<void> | undefined;
  #end: E | undefined;
  #settle!: (end: E) => void;
  #sendChain: Promise<void> = Promise.resolve();
  /** Sends in `#sendChain` not yet settled. */
  #queued = 0;

  /** Wraps `socket` (not yet open, or open); sets its `binaryType` to `"arraybuffer"`. */
  constructor(socket: WebSocketLike, options: ChannelOptions<E>) {
    this.#socket = socket;
    this.#protocol = options.protocol;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#signal = options.signal;
    this.#secrets = options.secrets ?? [];
    socket.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => (this.#settle = resolve));
    let socketGone!: () => void;
    this.#socketGone = new Promise((resolve) => (socketGone = resolve));
    this.#in = new Inbound(
      () => this.resumeReading(),
      socket.pause !== undefined && socket.resume !== undefined,
      () => this.#end,
    );
    this.opened = new Promise<void>((resolve, reject) => {
      const opened = () => {
        if (this.#isOpen) return;
        this.#isOpen = true;
        try {
          this.#protocol.opened?.(this);
        } catch (error) {
          reject(new HandshakeFailed("the socket could not be used once open", { cause: error }));
          return;
        }
        this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
        resolve();
      };
      const listen = (type: string, listener: (event: WebSocketEventLike) => void) =>
        socket.addEventListener(type, listener as (event: never) => void);
      listen("open", opened);
      listen("message", (event) => {
        if (this.#end) return;
        const bytes = toBytes(event.data);
        if (!bytes) return; // text messages are no protocol's
        if (this.#protocol.message) this.#protocol.message(bytes, this);
        else this.push(bytes);
      });
      listen("error", () => {
        if (!this.#isOpen) reject(new HandshakeFailed("WebSocket error before open"));
      });
      listen("close", (event) => {
        socketGone();
        if (!this.#isOpen) reject(new HandshakeFailed(`closed before open: ${event.code ?? ""}`));
        this.finish(this.#protocol.closed(this.#closeOf(event, this.#closing !== undefined)));
      });
      if (socket.readyState === OPEN) opened();
    });
    this.opened.catch(() => {});
  }

  /**
   * Incoming bytes as a stream, made on first use (with the bytes kept until
   * then). Throws a `TypeError` once {@link listen} chose the listener mode.
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#in.readable;
  }

  /**
   * The listener mode: each incoming message's bytes go to `listener` as they
   * arrive (no stream, no backpressure); bytes kept before go first, in a
   * microtask; `undefined` keeps bytes again until the next listener (bounded
   * as always). A `TypeError` once `readable` was used. A listener must not
   * throw (the caller wraps users' callbacks).
   */
  listen(listener: ((bytes: Uint8Array) => void) | undefined): void {
    this.#in.listen(listener);
  }

  /** How it ended, once it has. */
  get end(): E | undefined {
    return this.#end;
  }

  #closeOf(event: WebSocketEventLike, byClient: boolean): ChannelClose {
    const rawReason = String(event.reason ?? "");
    return {
      code: event.code,
      reason: rawReason &&
        safeReason(rawReason, this.#redact ??= redactor(this.#secrets), this.#secrets),
      rawReason,
      byClient,
    };
  }

  /**
   * Queues incoming bytes for `readable`. Past the high-water mark a pausable
   * socket is paused; past `maxBufferedBytes` the channel ends with the
   * protocol's `overflow`. Ignored once ended or when the reader cancelled.
   */
  push(bytes: Uint8Array): void {
    if (this.#end || bytes.byteLength === 0) return;
    const behind = this.#in.take(bytes); // Bytes queued for the reader, these included.
    if (behind < READ_HIGH_WATER_BYTES) return;
    const socket = this.#socket;
    if (socket.pause && socket.resume && !this.#paused) {
      // Real backpressure: the `ws` package and Bun stop reading from TCP.
      this.#paused = true;
      socket.pause();
    }
    // The hard cap holds either way: a paused socket still delivers what it had
    // already read, and one message may be larger than the cap.
    if (behind > this.#maxBuffered) {
      this.finish(this.#protocol.overflow(this.#maxBuffered));
    }
  }

  /** Resumes a socket paused because bytes waited for their reader (a stream's `pull`, a listener's). */
  resumeReading(): void {
    if (this.#paused && !this.#end) {
      this.#paused = false;
      this.#socket.resume?.();
    }
  }

  /** Sends one message now, synchronously (e.g. a greeting from `opened`); throws when it cannot. */
  sendNow(message: Uint8Array<ArrayBuffer>): void {
    this.#socket.send(message);
  }

  /**
   * Sends one message after those sent before it, then waits while the
   * socket's `bufferedAmount` is high. Rejects with the end's error once the
   * channel ended, or once `close()` was called; never resolves for a message
   * the socket did not take while open.
   */
  send(message: Uint8Array<ArrayBuffer>): Promise<void> {
    return this.#transmit(message, undefined);
  }

  /**
   * Sends `bytes` in messages of at most {@link MAX_MESSAGE_PAYLOAD} bytes,
   * each wrapped by `frame` (default: as they are), in order, as one unit of
   * the send queue: a write started before `close()` is delivered whole.
   */
  write(
    bytes: Uint8Array,
    frame: (chunk: Uint8Array) => Uint8Array<ArrayBuffer> = copy,
  ): Promise<void> {
    // One message (a keystroke): framed now, no closure to build it later.
    if (bytes.byteLength <= MAX_MESSAGE_PAYLOAD) return this.#transmit(frame(bytes), undefined);
    return this.#transmit(undefined, function* () {
      for (let offset = 0; offset < bytes.byteLength; offset += MAX_MESSAGE_PAYLOAD) {
        yield frame(bytes.subarray(offset, offset + MAX_MESSAGE_PAYLOAD));
      }
    });
  }

  #throwIfEnded(): void {
    if (this.#end) throw this.#end.error;
  }

  /** Hands one message to the open socket; throws the end's error when it cannot. */
  #sendOne(message: Uint8Array<ArrayBuffer>): void {
    this.#throwIfEnded();
    if (this.#socket.readyState !== OPEN) {
      // Closing (the server's close frame is in, its event not yet): a standard
      // WebSocket would take the bytes and drop them without a word.
      throw this.#protocol.closed({ code: undefined, reason: "", rawReason: "", byClient: false })
        .error;
    }
    this.#socket.send(message);
  }

  /** Waits while the socket's `bufferedAmount` is high (it has no event: polled). */
  async #drain(): Promise<void> {
    while (this.#socket.bufferedAmount > SEND_HIGH_WATER_BYTES) {
      // `close()` or the server may end the channel while this send waits.
      this.#throwIfEnded();
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  /**
   * Queues a send behind every earlier one: `message`, or the messages `build`
   * returns (one, or several built lazily). With nothing queued and the socket
   * drained (a keystroke), a single message goes out at once, without a turn
   * of the queue: the same checks, the same order, no promise chain.
   */
  #transmit(
    message: Uint8Array<ArrayBuffer> | undefined,
    build: (() => Uint8Array<ArrayBuffer> | Iterable<Uint8Array<ArrayBuffer>>) | undefined,
  ): Promise<void> {
    if (this.#closing && !this.#end) return Promise.reject(this.#clientClosed().error);
    if (this.#queued === 0 && this.#socket.bufferedAmount <= SEND_HIGH_WATER_BYTES) {
      let built: Uint8Array<ArrayBuffer> | Iterable<Uint8Array<ArrayBuffer>>;
      try {
        built = message ?? build!();
        if (built instanceof Uint8Array) {
          this.#sendOne(built);
          if (this.#socket.bufferedAmount <= SEND_HIGH_WATER_BYTES) return SENT;
          return this.#enqueue(() => this.#drain());
        }
      } catch (error) {
        return Promise.reject(error);
      }
      return this.#enqueue(() => this.#sendAll(built as Iterable<Uint8Array<ArrayBuffer>>));
    }
    return this.#enqueue(() => {
      const built = message ?? build!();
      return built instanceof Uint8Array ? this.#sendAll([built]) : this.#sendAll(built);
    });
  }

  async #sendAll(messages: Iterable<Uint8Array<ArrayBuffer>>): Promise<void> {
    for (const message of messages) {
      this.#sendOne(message);
      await this.#drain();
    }
  }

  /** Runs `job` after every send queued before it; `close()` waits for the queue. */
  #enqueue(job: () => Promise<void>): Promise<void> {
    this.#queued++;
    const sent = this.#sendChain.then(job).finally(() => this.#queued--);
    this.#sendChain = sent.catch(() => {});
    return sent;
  }

  /**
   * Ends the channel (the first end wins): `readable` closes or errors, later
   * sends reject, the socket is closed, `closed` resolves with `end`.
   */
  finish(end: E): void {
    if (this.#end) return;
    this.#end = end;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#in.end(end);
    if (this.#paused) this.#socket.resume?.();
    this.#closeSocket();
    this.#settle(end);
  }

  #clientClosed(): E {
    return this.#protocol.closed({ code: undefined, reason: "", rawReason: "", byClient: true });
  }

  #closeSocket(): void {
    try {
      if (this.#socket.readyState <= OPEN) this.#socket.close(1000, "client disconnect");
    } catch { /* already closing */ }
  }

  /**
   * Closes the channel from this side: sends already queued are delivered
   * first, sends made from now on reject; then the closing handshake. Waits
   * at most {@link CLOSE_WAIT_MS} in all (a socket with `terminate()` is then
   * dropped), and resolves once the channel has ended.
   */
  close(): Promise<void> {
    if (this.#end) return Promise.resolve();
    this.#closing ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
      try {
        await Promise.race([this.#sendChain, timeUp]);
        this.#closeSocket();
        await Promise.race([this.#socketGone, timeUp]);
      } finally {
        clearTimeout(timer);
      }
      if (!this.#end) {
        // The server did not answer the closing handshake: stop reading where the socket allows it.
        try {
          this.#socket.terminate?.();
        } catch { /* gone */ }
      }
      this.finish(this.#clientClosed());
    })();
    return this.#closing;
  }
}

/** What a send that reached the socket at once returns: one settled promise, shared. */
export const SENT: Promise<void> = /* @__PURE__ */ Promise.resolve();

/** The bytes as a sendable view: as they are over an `ArrayBuffer`, else copied. */
function copy(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  return chunk.buffer instanceof ArrayBuffer
    ? chunk as Uint8Array<ArrayBuffer>
    : new Uint8Array(chunk);
}
