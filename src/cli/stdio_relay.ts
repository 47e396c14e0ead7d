/**
 * One {@link TcpConnection} relayed over the process's stdin and stdout, as
 * an ssh `ProxyCommand` is: bytes from stdin to the connection (its end
 * closes the sending direction), bytes from the connection to stdout as they
 * are, with backpressure both ways. Used by `sandgate forward --stdio` and
 * the ssh proxy.
 *
 * @module
 */
import type { Readable, Writable } from "node:stream";
import type { TcpConnection } from "../../mod.ts";

/** Where {@link relayStdio} reads and writes. */
export interface StdioRelayOptions {
  /** Bytes to send (the process's stdin). */
  stdin: Readable;
  /** Where received bytes go (the process's stdout). */
  stdout: Writable;
  /** Aborting stops relaying (the caller closes the connection). */
  signal?: AbortSignal;
}

/** What crossed a relay, once it is over. */
export interface StdioRelayResult {
  /** Bytes from stdin to the connection. */
  bytesOut: number;
  /** Bytes from the connection to stdout. */
  bytesIn: number;
}

/**
 * Relays until the connection's readable ends (the far side closed) or the
 * signal aborts; stdin's end half-closes the connection's writable. Rejects
 * when the connection breaks.
 */
export async function relayStdio(
  connection: TcpConnection,
  { stdin, stdout, signal }: StdioRelayOptions,
): Promise<StdioRelayResult> {
  const result: StdioRelayResult = { bytesOut: 0, bytesIn: 0 };
  const writer = connection.writable.getWriter();
  const onData = (chunk: Uint8Array) => {
    stdin.pause();
    writer.write(new Uint8Array(chunk)).then(() => {
      result.bytesOut += chunk.byteLength;
      stdin.resume();
    }, () => {});
  };
  const onEnd = () => void writer.close().catch(() => {});
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  stdin.resume();
  const reader = connection.readable.getReader();
  const stop = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    const copy = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        result.bytesIn += value.byteLength;
        if (!stdout.write(value)) {
          await new Promise<void>((resolve) => stdout.once("drain", () => resolve()));
        }
      }
    })();
    copy.catch(() => {}); // Raced below; a stop leaves it pending, then released.
    await Promise.race([copy, stop]);
  } finally {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
    reader.releaseLock();
    writer.releaseLock();
  }
  return result;
}
