/**
 * A WebSocket driven by the test: open at once, records what is sent, and
 * behaves as a standard one where it matters (bytes sent once closing are
 * dropped silently; with `lingering`, `close()` stays CLOSING until the
 * server answers).
 *
 * @module
 */
import type { WebSocketLike } from "../../mod.ts";

type Listener = (event: unknown) => void;

/** A WebSocket that is open at once, records what is sent and is driven by the test. */
export class ScriptedSocket implements WebSocketLike {
  readyState = 1;
  binaryType = "blob";
  sent: number[][] = [];
  buffered = 0;
  polls = 0;
  paused = 0;
  resumed = 0;
  url = "";
  headers: Record<string, string> = {};
  readonly listeners = new Map<string, Listener[]>();
  withPause = false;
  drained = false;
  get bufferedAmount(): number {
    this.polls += 1;
    return this.buffered;
  }
  /** Frames sent once closing: a standard WebSocket takes them and drops them silently. */
  dropped: number[][] = [];
  /** Models a real socket: `close()` is CLOSING until the server answers (`serverClose`). */
  lingering = false;
  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 1) {
      this.dropped.push([...data]);
      return;
    }
    this.sent.push([...data]);
    if (!this.drained) this.buffered += data.byteLength;
  }
  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    if (this.lingering) {
      this.readyState = 2;
      this.sent.push([-1]); // the close frame, in order with the data
      return;
    }
    this.readyState = 3;
    queueMicrotask(() => this.emit("close", { code, reason }));
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener as Listener]);
  }
  emit(type: string, event: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
  message(bytes: number[]): void {
    this.emit("message", { data: new Uint8Array(bytes).buffer });
  }
  serverClose(code: number, reason: string): void {
    this.readyState = 3;
    this.emit("close", { code, reason });
  }
}
