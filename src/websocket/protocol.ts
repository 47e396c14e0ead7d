/**
 * What runs on a `WebSocketChannel`: a {@link ChannelProtocol} turns
 * incoming messages into bytes for the reader and a socket's close into the
 * channel's {@link ChannelEnd}; {@link rawProtocol} is the one for raw bytes
 * (the TCP tunnel). The channel itself is in ./channel.ts.
 *
 * @module
 */
import { NetworkError, type SandgateError } from "../errors.ts";

/**
 * What a protocol's hooks may do to their channel (a `WebSocketChannel` is one):
 * push incoming bytes, send a message at once, end it.
 */
export interface ProtocolChannel<E extends ChannelEnd = ChannelEnd> {
  /** Queues incoming bytes for the channel's reader. */
  push(bytes: Uint8Array): void;
  /** Sends one message now, synchronously; throws when it cannot. */
  sendNow(message: Uint8Array<ArrayBuffer>): void;
  /** Ends the channel (the first end wins). */
  finish(end: E): void;
}

/** How a channel ended. */
export interface ChannelEnd {
  /** What sends made after the end reject with (and `readable` errors with, unless `clean`). */
  readonly error: SandgateError;
  /** `readable` ends normally (`true`) or errors with `error` (`false`: data was lost). */
  readonly clean: boolean;
}

/** A close of the socket, as a {@link ChannelProtocol} sees it. */
export interface ChannelClose {
  /** The close code, when the socket reported one. */
  readonly code: number | undefined;
  /** The close reason, safe to show (secrets removed, at most 123 characters). */
  readonly reason: string;
  /** The reason as the server sent it: for parsing only, never for display. */
  readonly rawReason: string;
  /** `true` when this side closed (`close()`, abort). */
  readonly byClient: boolean;
}

/** What runs on a channel: the hooks are pure, except that they may push to or end it. */
export interface ChannelProtocol<E extends ChannelEnd = ChannelEnd> {
  /** Runs once the socket is open, before the opener resolves (e.g. sends a greeting with `sendNow`); a throw fails the handshake. */
  opened?(channel: ProtocolChannel<E>): void;
  /** Each binary message (text messages are ignored). Default: `channel.push(bytes)`. */
  message?(bytes: Uint8Array, channel: ProtocolChannel<E>): void;
  /** How the channel ends when the socket closes, or is closed by `close()`. */
  closed(close: ChannelClose): E;
  /** How the channel ends when its reader fell more than `maxBufferedBytes` behind (`clean: false`). */
  overflow(maxBufferedBytes: number): E;
}

/**
 * The protocol of a raw byte channel (the TCP tunnel): every binary message is
 * data; a close by the client or with code 1000 is a clean end of `readable`,
 * anything else errors it with a `NetworkError`.
 */
export function rawProtocol(operation: string): ChannelProtocol {
  return {
    closed: (close) => {
      const clean = close.byClient || close.code === 1000;
      const what = close.byClient
        ? "closed by the client"
        : `closed by the server: ${close.code ?? "no code"}${
          close.reason ? ` ${close.reason}` : ""
        }`;
      return { clean, error: new NetworkError(`${operation}: the WebSocket is ${what}`) };
    },
    overflow: (max) => ({
      clean: false,
      error: new NetworkError(
        `${operation}: the reader fell more than ${max} bytes behind; the WebSocket was closed`,
      ),
    }),
  };
}
