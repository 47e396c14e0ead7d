/**
 * Real TCP clients of the forwarding tests (node:net, so the tests run under
 * Deno, Node and Bun alike), on 127.0.0.1 only, and an echo service.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";
import type { EmulatedService } from "../../src/testing/mod.ts";

/** A service that sends back what it reads, then ends when its client does. */
export const echo: EmulatedService = (connection) =>
  connection.readable.pipeTo(connection.writable).catch(() => {});

/**
 * Connects to 127.0.0.1:`port`, sends `data`, half-closes when `end`, and
 * resolves with everything read until the other side ends (at most 16 MiB).
 */
export function exchange(
  port: number,
  data: Uint8Array | string,
  options: { end?: boolean; until?: number } = {},
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = () => {
      const out = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.byteLength;
      }
      socket.destroy();
      resolve(out);
    };
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(data);
      if (options.end ?? true) socket.end();
    });
    socket.on("data", (chunk: Uint8Array) => {
      chunks.push(new Uint8Array(chunk));
      size += chunk.byteLength;
      if (size > 16 * 1024 * 1024) reject(new Error("more than 16 MiB"));
      if (options.until !== undefined && size >= options.until) done();
    });
    socket.on("end", done);
  });
}

/** `size` bytes of a pattern that does not repeat every 256 bytes. */
export function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 11)) & 0xff;
  return out;
}

/** Whether 127.0.0.1:`port` refuses connections. */
export function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(true));
  });
}

/** Reads a Web stream to its end (bounded). */
export async function readAll(readable: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
    if (text.length > 1 << 20) throw new Error("more than 1 MiB");
  }
}

/** Runs `redis-cli -h 127.0.0.1 -p PORT ARGS…` (20 s at most) and resolves with its trimmed output. */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    execFile(
      "redis-cli",
      ["-h", "127.0.0.1", "-p", String(port), ...args],
      { timeout: 20_000 },
      (error, stdout) => error ? reject(error) : resolve(stdout.trim()),
    )
  );
}
