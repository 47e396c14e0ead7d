/**
 * Benchmark 10, a PTY that re-attaches itself (issue 26): an attached PTY with `reconnect` at
 * its defaults, through a TCP proxy on 127.0.0.1 in front of the served emulator; each round
 * the proxy resets the connection, a command is typed as soon as the drop is noticed (queued
 * while disconnected), and the time from the reset until that command's output arrives is taken. The first re-attach is
 * tried at once, so this is about one WebSocket handshake plus the queued input's round trip.
 *
 * ```sh
 * deno run -A scripts/bench/reconnect.ts [--quick]
 * ```
 *
 * @module
 */
import { Tensorlake } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { startTcpProxy } from "../../tests/helpers/tcp_proxy.ts";
import { median } from "./machine.ts";

/** Rounds (drops) per run. */
const FULL = { rounds: 30 };
const QUICK = { rounds: 2 };

/** Reads until `text` shows up (bounded in bytes). */
async function until(reader: ReadableStreamDefaultReader<Uint8Array>, text: string) {
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`output ended before ${JSON.stringify(text)}`);
    seen += decoder.decode(value, { stream: true });
    if (seen.length > 1_000_000) throw new Error(`no ${JSON.stringify(text)} in 1 MB`);
  }
}

/** Drop → output flowing again, in ms: p50 and max over the rounds. */
export async function benchReconnect(quick: boolean) {
  const { rounds } = quick ? QUICK : FULL;
  await using server = await serve(createEmulator());
  await using proxy = await startTcpProxy(server.port);
  let reconnects = 0;
  let dropped: (() => void) | undefined;
  const sandbox = new Tensorlake({
    apiKey: "bench",
    proxyUrl: proxy.url,
    onEvent: (event) => {
      if (event.type === "reconnecting" && event.attempt === 1) dropped?.();
      if (event.type === "reconnected") reconnects++;
    },
  }).sandbox("bench");
  await using pty = await sandbox.createPty({ command: "bash" });
  const connection = await pty.attach({ reconnect: true });
  const reader = connection.output.getReader();
  const writer = connection.input.getWriter();
  await writer.write("echo ready\n");
  await until(reader, "\r\nready\r\n");
  const downtimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const noticed = new Promise<void>((resolve) => (dropped = resolve));
    const t0 = performance.now();
    proxy.cut();
    // Typed once the drop is noticed: bytes a dying socket took before that may be lost with it.
    await noticed;
    await writer.write(`echo back-${round}\n`);
    await until(reader, `\r\nback-${round}\r\n`);
    downtimes.push(performance.now() - t0);
  }
  await writer.write("exit\n");
  await connection.exit;
  const sorted = [...downtimes].sort((a, b) => a - b);
  const p50 = median(downtimes);
  return {
    p50Ms: p50,
    maxMs: sorted.at(-1) ?? NaN,
    rows: [{
      "drops": rounds,
      "re-attaches": reconnects,
      "drop → output again p50 (ms)": p50,
      "max (ms)": sorted.at(-1) ?? NaN,
    }],
  };
}

if (import.meta.main) console.log(await benchReconnect(Deno.args.includes("--quick")));
