/**
 * An in-memory WebSocket pair: the client half behaves like a standard
 * `WebSocket` (async open, `bufferedAmount`, `ArrayBuffer` messages, a
 * refused upgrade seen only as `error` + close 1006), the server half is a
 * {@link PeerSocket}. What `emulator.webSocket` hands out.
 *
 * @module
 */
import type { WebSocketLike } from "../websocket/socket.ts";
import type { PeerHandlers, PeerSocket } from "./pty_shell.ts";

type Listener = (event: Record<string, unknown>) => void;
/** An upgrade's outcome: refused, or the server side's attachment. */
type Accepted = Response | ((peer: PeerSocket) => PeerHandlers);

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** The client half of an in-memory WebSocket. */
export class MemoryWebSocket implements WebSocketLike {
  readyState = CONNECTING;
  bufferedAmount = 0;
  binaryType = "blob";
  readonly #listeners = new Map<string, Listener[]>();
  #server: PeerHandlers | undefined;

  /**
   * `accept` runs on the next task: a `Response` (or a promise of one)
   * refuses the upgrade, a function attaches the server side.
   */
  constructor(accept: () => Accepted | Promise<Accepted>) {
    setTimeout(async () => {
      let outcome: Accepted;
      try {
        outcome = await accept();
      } catch {
        outcome = new Response(null, { status: 500 });
      }
      if (outcome instanceof Response) {
        void outcome.body?.cancel();
        this.readyState = CLOSED;
        this.#dispatch("error", {});
        this.#dispatch("close", { code: 1006, reason: "", wasClean: false });
        return;
      }
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.#server = outcome(this.#peer());
      this.#dispatch("open", {});
    }, 0);
  }

  #peer(): PeerSocket {
    return {
      // Delivery is a microtask away: nothing stays buffered on this side.
      bufferedAmount: 0,
      send: (message) => {
        if (this.readyState !== OPEN) return;
        const data = message.slice().buffer;
        queueMicrotask(() => {
          if (this.readyState === OPEN || this.readyState === CLOSING) {
            this.#dispatch("message", { data });
          }
        });
      },
      close: (code, reason) => {
        if (this.readyState === CLOSED) return;
        this.readyState = CLOSING;
        queueMicrotask(() => this.#end(code, reason));
      },
    };
  }

  #end(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    const server = this.#server;
    this.#server = undefined;
    server?.closed();
    this.#dispatch("close", { code, reason, wasClean: true });
  }

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState === CONNECTING) throw new Error("InvalidStateError: still connecting");
    if (this.readyState !== OPEN) return;
    const bytes = data.slice();
    this.bufferedAmount += bytes.byteLength;
    queueMicrotask(() => {
      this.bufferedAmount -= bytes.byteLength;
      if (this.readyState === OPEN) this.#server?.message(bytes);
    });
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    queueMicrotask(() => this.#end(code, reason));
  }

  addEventListener(type: string, listener: (event: never) => void): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener as Listener);
    this.#listeners.set(type, list);
  }

  #dispatch(type: string, event: Record<string, unknown>): void {
    for (const listener of this.#listeners.get(type) ?? []) listener({ type, ...event });
  }
}
