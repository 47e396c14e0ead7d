/**
 * Benchmark 7, PTY attach (issue 16), against a served emulator on 127.0.0.1: output throughput
 * of `pty.attach()` and keystroke round-trip p50 each against a raw WebSocket client of the same
 * server (variants alternate round by round, so a noisy machine hits both alike), and peak memory
 * while a reader is paused during a flood (BENCHMARKS.md section 7 says the sizes and goals).
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc scripts/bench/attach.ts [--quick]
 * ```
 *
 * @module
 */
import { Tensorlake } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { gc, median, mib } from "./machine.ts";

const MiB = 1024 * 1024;
/** Bytes per throughput round, rounds per variant, keystrokes, the paused reader's flood and cap. */
const FULL = { bytes: 32 * MiB, rounds: 3, keystrokes: 300, pausedBytes: 100e6, cap: 16 * MiB };
/** `--quick`: proves the bench runs and yields finite numbers. */
const QUICK = { bytes: MiB, rounds: 1, keystrokes: 10, pausedBytes: 4e6, cap: MiB };

const decoder = new TextDecoder();
const f = (x: number, digits = 1) => x.toFixed(digits);

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

/** A raw input frame: opcode 0x00, then the text. */
const input = (text: string) => new Uint8Array([0, ...new TextEncoder().encode(text)]);

/** Runs the three measurements; the table rows and the three figures the targets judge. */
export async function benchAttach(quick: boolean) {
  const { bytes, rounds, keystrokes, pausedBytes, cap } = quick ? QUICK : FULL;
  await using server = await serve(createEmulator({ rateLimit: false }));
  const sandbox = new Tensorlake({ apiKey: "bench", rateLimit: false }).sandbox(server.url);
  const wsUrl = (pty: { sessionId: string; token: string }) =>
    `${server.url.replace(/^http/, "ws")}/api/v1/pty/${pty.sessionId}/ws?token=${pty.token}`;

  /** MB/s of one flood read by `pty.attach()` or by a raw socket, from the first write. */
  const flood = async (raw: boolean): Promise<number> => {
    await using pty = await sandbox.createPty({ command: "bash" });
    let start = 0;
    if (raw) {
      const socket = await rawSocket(wsUrl(pty));
      start = performance.now();
      await new Promise<void>((resolve) => {
        let received = 0;
        socket.onmessage = ({ data }) => {
          const frame = new Uint8Array(data as ArrayBuffer);
          if (frame[0] === 0x00) received += frame.byteLength - 1;
          if (received >= bytes) resolve();
        };
        socket.send(input(`flood ${bytes}\n`));
      });
      socket.close();
    } else {
      await using connection = await pty.attach();
      const reader = connection.output.getReader();
      start = performance.now();
      await connection.input.getWriter().write(`flood ${bytes}\n`);
      for (let received = 0; received < bytes;) {
        const { value, done } = await reader.read();
        if (done) throw new Error("output ended early");
        received += value.byteLength;
      }
    }
    return bytes / 1e6 / ((performance.now() - start) / 1000);
  };
  const mbps: [number[], number[]] = [[], []]; // attach, raw
  for (let round = 0; round < rounds; round++) {
    for (const raw of round % 2 === 0 ? [false, true] : [true, false]) {
      gc();
      mbps[Number(raw)]!.push(await flood(raw));
    }
  }

  // Keystroke round trip: one byte typed, its echo read back.
  const rtt: [number[], number[]] = [[], []]; // attach, raw
  {
    await using pty = await sandbox.createPty({ command: "bash" });
    await using connection = await pty.attach();
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    const socket = await rawSocket(wsUrl(pty));
    let rawWaiter: (() => void) | undefined;
    socket.onmessage = ({ data }) => {
      const frame = new Uint8Array(data as ArrayBuffer);
      if (frame[0] === 0x00 && decoder.decode(frame.subarray(1)).includes("k")) rawWaiter?.();
    };
    const rawEcho = () => new Promise<void>((resolve) => (rawWaiter = resolve));
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
      let echo = rawEcho();
      const t0 = performance.now();
      await writer.write("k");
      await seen("k");
      rtt[0].push(performance.now() - t0);
      await echo;
      echo = rawEcho();
      const t1 = performance.now();
      socket.send(input("k"));
      await echo;
      rtt[1].push(performance.now() - t1);
      await seen("k"); // the attach client's copy of the raw keystroke
      if (i % 50 === 49) {
        await writer.write("\x03"); // ^C keeps the line short
        await seen("$ ");
      }
    }
    socket.close();
  }

  // A paused reader during the flood: the reader never reads.
  gc();
  const base = Deno.memoryUsage();
  const peak = { rss: base.rss, heap: base.heapUsed + base.external };
  let outcome: string;
  {
    await using pty = await sandbox.createPty({ command: "bash" });
    const connection = await pty.attach({ maxBufferedBytes: cap });
    await connection.input.getWriter().write(`flood ${pausedBytes}\n`);
    // The bound is on the live heap, sampled after forced GCs (late in a full run RSS stays put).
    const sampler = setInterval(() => {
      gc();
      const now = Deno.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heap = Math.max(peak.heap, now.heapUsed + now.external);
    }, 20);
    const exit = await connection.exit;
    outcome = exit.kind === "disconnected" ? `disconnected: ${exit.error.message}` : exit.kind;
    // Keep sampling a little while the server side winds down.
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(sampler);
  }

  const [attachMBps, rawMBps, attachMs, rawMs] = [...mbps, ...rtt].map(median) as number[];
  const [throughput, keystroke] = [attachMBps! / rawMBps!, attachMs! / rawMs!];
  const [peakRssMB, peakHeapMB] = [peak.rss - base.rss, peak.heap - base.heapUsed - base.external]
    .map((bytes) => bytes / 1e6) as [number, number];
  const memoryMB = `${f(peakRssMB)} / ${f(peakHeapMB)}`;
  const outputMB = pausedBytes / 1e6;
  const label = `paused reader, ${
    f(outputMB)
  } MB of output: peak RSS / live heap Δ MB (${outcome})`;
  const head = ["measure", "attach", "raw WebSocket", "ratio", "goal"];
  const row = (...cells: string[]) => Object.fromEntries(head.map((h, i) => [h, cells[i]]));
  return {
    throughput,
    keystroke,
    paused: { peakMB: peakHeapMB, outputMB, maxBufferedMB: cap / 1e6 },
    rows: [
      row("output throughput MB/s", f(attachMBps!), f(rawMBps!), f(throughput, 2), ">= 0.9"),
      row("keystroke round-trip p50 ms", f(attachMs!, 3), f(rawMs!, 3), f(keystroke, 2), "<= 1.1"),
      row(label, memoryMB, "—", "—", `bounded (maxBufferedBytes ${mib(cap)} MiB)`),
    ],
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchAttach(Deno.args.includes("--quick")), null, 2));
}
