/**
 * A connection whose far end is a message channel (Tensorlake's tunnel
 * WebSocket) as calls and callbacks: while its streams are untouched, a
 * relay from a local `node:net` socket may use it directly, without Web
 * streams (`relaySocketToPeer` in ./tcp_node.ts).
 *
 * @module
 */
import type { TcpConnection } from "./types.ts";

/** How a {@link MessagePeer} ended: the end of its data (`clean`), or a failure. */
export interface PeerEnd {
  readonly clean: boolean;
  readonly error: Error;
}

/** The far end of a connection as calls and callbacks. */
export interface MessagePeer {
  /**
   * Hands incoming bytes to `sink` from now on (it returns how many bytes
   * wait for their reader: past the peer's bound the peer ends, not clean).
   * `false`, changing nothing, when the peer cannot.
   */
  divert(sink: (bytes: Uint8Array) => number): boolean;
  /** The sink's reader caught up: a peer paused for it reads again. */
  resumeReading(): void;
  /**
   * Sends bytes after those sent before; `undefined` when they reached the
   * peer at once and nothing waits, else a promise to wait for (it rejects
   * once the peer ended).
   */
  send(bytes: Uint8Array): Promise<void> | undefined;
  /** How it ended, once it has; never rejects. */
  readonly ended: Promise<PeerEnd>;
  /** Delivers what was sent, then ends (there is no half-close). */
  close(): Promise<void>;
}

const peers = new WeakMap<TcpConnection, MessagePeer>();

/** Registers `connection`'s far end while its streams are untouched. */
export function offerPeer(connection: TcpConnection, peer: MessagePeer): void {
  peers.set(connection, peer);
}

/** Its streams were touched: `connection` is relayed through them from now on. */
export function withdrawPeer(connection: TcpConnection): void {
  peers.delete(connection);
}

/** `connection`'s far end, while its streams are untouched. */
export function peerOf(connection: TcpConnection): MessagePeer | undefined {
  return peers.get(connection);
}
