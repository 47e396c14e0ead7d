/**
 * The services and the emulator of benchmark 8 (`forward.ts`), in a Worker of their own so that
 * their work does not share the thread of the client and of the SDK's relay being measured: a
 * source (sends `bytes` bytes, then ends), a greeter (one line at once, like an SSH banner), and a
 * served emulator whose sandboxes' ports 7000 and 7001 are those two.
 *
 * Messages: in `{ bytes }`, out `{ url, source, greeter }`; in `"close"`, out `"closed"`. As the
 * bench's client (another instance): in `{ read: port, untilFirstByte }`, out what `read` measured.
 *
 * @module
 */
import { connect, createServer, type Socket } from "node:net";
import { createEmulator, serve } from "../../src/testing/mod.ts";

const CHUNK = new Uint8Array(64 * 1024).fill(0x78);

/** A TCP server on 127.0.0.1 running `onSocket` per connection; resolves with its port and close. */
async function server(onSocket: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  const port = (tcp.address() as { port: number }).port;
  return {
    port,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        tcp.close(() => resolve());
      }),
  };
}

/** Writes `bytes` bytes of `x` with backpressure, then ends. */
function sourceOf(bytes: number) {
  return (socket: Socket) => {
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.byteLength);
        left -= n;
        if (!socket.write(n === CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, n))) {
          socket.once("drain", pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  };
}

/** Connects to 127.0.0.1:`port`; resolves with ms until the first byte and until the end, and bytes. */
function read(port: number, untilFirstByte: boolean) {
  return new Promise<{ firstMs: number; totalMs: number; bytes: number }>((resolve, reject) => {
    const t0 = performance.now();
    let firstMs = NaN;
    let bytes = 0;
    const socket = connect({ host: "127.0.0.1", port });
    const done = () => {
      socket.destroy();
      resolve({ firstMs, totalMs: performance.now() - t0, bytes });
    };
    socket.on("error", reject);
    socket.on("data", (chunk: Uint8Array) => {
      if (bytes === 0) firstMs = performance.now() - t0;
      bytes += chunk.byteLength;
      if (untilFirstByte) done();
    });
    socket.on("end", done);
  });
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};
let stop: (() => Promise<void>) | undefined;
scope.onmessage = async ({ data }) => {
  if (typeof data === "object" && "read" in data) {
    try {
      scope.postMessage(await read(data.read, data.untilFirstByte));
    } catch (error) {
      scope.postMessage({ error: String(error) });
    }
    return;
  }
  if (data === "close") {
    await stop?.();
    scope.postMessage("closed");
    return;
  }
  const source = await server(sourceOf(data.bytes));
  const greeter = await server((socket) => socket.end("SSH-2.0-bench\r\n"));
  const served = await serve(createEmulator({
    rateLimit: false,
    services: { 7000: `127.0.0.1:${source.port}`, 7001: `127.0.0.1:${greeter.port}` },
  }));
  stop = async () => {
    await served.close();
    await source[Symbol.asyncDispose]();
    await greeter[Symbol.asyncDispose]();
  };
  scope.postMessage({ url: served.url, source: source.port, greeter: greeter.port });
};
