/**
 * The TCP connect of readiness probes on Deno, Node and Bun: `node:net`,
 * imported lazily on the first probe, so importing the library stays free
 * of side effects and edge bundles never load it. Where it is missing
 * (browsers, workerd) a TCP probe fails with an `UnsupportedRuntimeError`-
 * like `NetworkError` before anything is sent.
 *
 * @module
 */
import { NetworkError } from "../errors.ts";
import type { ProbeConnection } from "./tcp_probe.ts";

// Minimal shapes of node:net, so this file type-checks without @types/node.
interface NodeSocket {
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "end" | "close", listener: () => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  once(event: "connect", listener: () => void): void;
  once(event: "error", listener: (error: Error) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
  pause(): void;
  destroy(): void;
}
interface NodeNet {
  connect(options: { host: string; port: number }): NodeSocket;
}

let loaded: Promise<NodeNet | undefined> | undefined;

function loadNet(): Promise<NodeNet | undefined> {
  return loaded ??= import("node:net").then(
    (net) => {
      const api = net as unknown as NodeNet & { default?: NodeNet };
      return typeof api.connect === "function" ? api : api.default;
    },
    () => undefined,
  );
}

/** Connects to `host:port`; the connection's readable yields what the far end sends. */
export async function nodeConnect(
  host: string,
  port: number,
  signal?: AbortSignal,
): Promise<ProbeConnection> {
  signal?.throwIfAborted();
  const net = await loadNet();
  if (!net) {
    throw new NetworkError("this runtime has no node:net to open a TCP connection with", {
      neverSent: true,
    });
  }
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      socket.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    socket.once("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(error);
    });
  });
  socket.on("error", () => {}); // Reported through the readable; never unhandled.
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (chunk) => {
        socket.pause(); // A probe reads one chunk.
        try {
          controller.enqueue(new Uint8Array(chunk));
        } catch { /* cancelled */ }
      });
      socket.on("end", () => {
        try {
          controller.close();
        } catch { /* cancelled */ }
      });
      socket.on("error", (error) => {
        try {
          controller.error(error);
        } catch { /* cancelled */ }
      });
    },
    cancel() {
      socket.destroy();
    },
  });
  return {
    readable,
    close: () => {
      socket.destroy();
      return Promise.resolve();
    },
  };
}
