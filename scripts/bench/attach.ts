/**
 * PTY attach benchmarks (issue 16), self-contained so any harness can call
 * {@link benchAttach} and print its numbers:
 *
 * 1. output throughput of `pty.attach()` vs a raw WebSocket client reading the
 *    same served emulator on loopback (goal ≥ 0.9×);
 * 2. keystroke round-trip p50 (type one byte, wait for its echo) vs raw
 *    (goal ≤ 1.1×);
 * 3. peak memory while a reader is paused during 100 MB of output (bounded:
 *    the connection is dropped past `maxBufferedBytes`, the server paces on
 *    the socket).
 *
 * Variants alternate round by round, so a noisy machine hits both alike.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc scripts/bench/attach.ts [--quick]
 * ```
 *
 * @module
 */
import { type PtyConnection, Tensorlake } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";

/** Sizes of one run. */
export interface AttachBenchOptions {
  /** Output bytes per throughput round. Default 32 MiB. */
  bytes?: number;
  /** Throughput rounds per variant. Default 3. */
  rounds?: number;
  /** Keystrokes timed per variant. Default 300. */
  keystrokes?: number;
  /** Output produced while the reader is paused. Default 100 MB. */
  pausedBytes?: number;
  /** `maxBufferedBytes` of the paused reader; must be below `pausedBytes`. Default 16 MiB. */
  maxBufferedBytes?: number;
}

/** What {@link benchAttach} measures. */
export interface AttachBenchResult {
  throughput: { attachMBps: number; rawMBps: number; ratio: number; goal: ">= 0.9" };
  keystroke: { attachP50Ms: number; rawP50Ms: number; ratio: number; goal: "<= 1.1" };
  pausedReader: {
    outputBytes: number;
    peakRssDeltaMB: number;
    peakHeapDeltaMB: number;
    maxBufferedBytes: number;
    outcome: string;
  };
}

const decoder = new TextDecoder();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function memory(): { rss: number; heap: number } {
  const g = globalThis as {
    Deno?: { memoryUsage(): { rss: number; heapUsed: number; external: number } };
    process?: { memoryUsage(): { rss: number; heapUsed: number; external: number } };
  };
  const usage = (g.Deno ?? g.process)!.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed + usage.external };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A raw client: READY, then its own frames; resolves once open. */
function rawSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    socket.onopen = () => {
      socket.send(new Uint8Array([0x02]));
      resolve(socket);
    };
    socket.onerror = () => reject(new Error("raw WebSocket failed"));
  });
}

function input(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const frame = new Uint8Array(bytes.byteLength + 1);
  frame.set(bytes, 1);
  return frame;
}

/** Runs the three measurements against a served emulator on 127.0.0.1. */
export async function benchAttach(options: AttachBenchOptions = {}): Promise<AttachBenchResult> {
  const bytes = options.bytes ?? 32 * 1024 * 1024;
  const rounds = options.rounds ?? 3;
  const keystrokes = options.keystrokes ?? 300;
  const pausedBytes = options.pausedBytes ?? 100_000_000;
  const emulator = createEmulator({ rateLimit: false });
  await using server = await serve(emulator);
  const sandbox = new Tensorlake({ apiKey: "bench", rateLimit: false }).sandbox(server.url);

  const attachThroughput = async (): Promise<number> => {
    await using pty = await sandbox.createPty({ command: "bash" });
    await using connection = await pty.attach();
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    const start = performance.now();
    await writer.write(`flood ${bytes}\n`);
    let received = 0;
    while (received < bytes) {
      const { value, done } = await reader.read();
      if (done) throw new Error("output ended early");
      received += value.byteLength;
    }
    return bytes / 1e6 / ((performance.now() - start) / 1000);
  };
  const rawThroughput = async (): Promise<number> => {
    await using pty = await sandbox.createPty({ command: "bash" });
    const socket = await rawSocket(
      `${server.url.replace(/^http/, "ws")}/api/v1/pty/${pty.sessionId}/ws?token=${pty.token}`,
    );
    const start = performance.now();
    const elapsed = await new Promise<number>((resolve) => {
      let received = 0;
      socket.onmessage = (event) => {
        const frame = new Uint8Array(event.data as ArrayBuffer);
        if (frame[0] === 0x00) received += frame.byteLength - 1;
        if (received >= bytes) resolve(performance.now() - start);
      };
      socket.send(input(`flood ${bytes}\n`));
    });
    socket.close();
    return bytes / 1e6 / (elapsed / 1000);
  };

  const attachMBps: number[] = [];
  const rawMBps: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const variant of order) {
      gc();
      if (variant === 0) attachMBps.push(await attachThroughput());
      else rawMBps.push(await rawThroughput());
    }
  }

  // Keystroke round trip: one byte typed, its echo read back.
  const attachRtt: number[] = [];
  const rawRtt: number[] = [];
  {
    await using pty = await sandbox.createPty({ command: "bash" });
    await using connection: PtyConnection = await pty.attach();
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    const socket = await rawSocket(
      `${server.url.replace(/^http/, "ws")}/api/v1/pty/${pty.sessionId}/ws?token=${pty.token}`,
    );
    let rawWaiter: (() => void) | undefined;
    socket.onmessage = (event) => {
      const frame = new Uint8Array(event.data as ArrayBuffer);
      if (frame[0] === 0x00 && decoder.decode(frame.subarray(1)).includes("k")) rawWaiter?.();
    };
    // Both clients see every echo; each variant waits for its own client's copy.
    const seen = async (text: string) => {
      for (let i = 0; i < 1000; i++) {
        const { value, done } = await reader.read();
        if (done) throw new Error("output ended");
        if (decoder.decode(value).includes(text)) return;
      }
    };
    await seen("$ ");
    for (let i = 0; i < keystrokes; i++) {
      const rawEcho = new Promise<void>((resolve) => (rawWaiter = resolve));
      const t0 = performance.now();
      await writer.write("k");
      await seen("k");
      attachRtt.push(performance.now() - t0);
      await rawEcho;
      const again = new Promise<void>((resolve) => (rawWaiter = resolve));
      const t1 = performance.now();
      socket.send(input("k"));
      await again;
      rawRtt.push(performance.now() - t1);
      await seen("k"); // the attach client's copy of the raw keystroke
      if (i % 50 === 49) {
        await writer.write("\x03"); // ^C keeps the line short
        await seen("$ ");
      }
    }
    socket.close();
  }

  // A paused reader during 100 MB of output.
  gc();
  const maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024;
  if (maxBufferedBytes >= pausedBytes) {
    throw new RangeError("benchAttach: maxBufferedBytes must be below pausedBytes");
  }
  const base = memory();
  let peakRss = base.rss;
  let peakHeap = base.heap;
  let outcome: string;
  {
    await using pty = await sandbox.createPty({ command: "bash" });
    const connection = await pty.attach({ maxBufferedBytes });
    await connection.input.getWriter().write(`flood ${pausedBytes}\n`);
    const sampler = setInterval(() => {
      const now = memory();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heap);
    }, 5);
    const exit = await connection.exit; // the reader never reads
    outcome = exit.kind === "disconnected" ? `disconnected: ${exit.error.message}` : exit.kind;
    // Keep sampling a little while the server side winds down.
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(sampler);
  }

  const attach = median(attachMBps);
  const raw = median(rawMBps);
  const attachP50 = median(attachRtt);
  const rawP50 = median(rawRtt);
  return {
    throughput: { attachMBps: attach, rawMBps: raw, ratio: attach / raw, goal: ">= 0.9" },
    keystroke: {
      attachP50Ms: attachP50,
      rawP50Ms: rawP50,
      ratio: attachP50 / rawP50,
      goal: "<= 1.1",
    },
    pausedReader: {
      outputBytes: pausedBytes,
      peakRssDeltaMB: (peakRss - base.rss) / 1e6,
      peakHeapDeltaMB: (peakHeap - base.heap) / 1e6,
      maxBufferedBytes,
      outcome,
    },
  };
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const result = await benchAttach(
    quick ? { bytes: 4 * 1024 * 1024, rounds: 1, keystrokes: 20, pausedBytes: 24_000_000 } : {},
  );
  console.log(JSON.stringify(result, null, 2));
}
