/**
 * Benchmark 8, forwarding (issue 24), against a served emulator on 127.0.0.1 whose sandboxes'
 * services are two TCP servers of this process: a source (sends N bytes, then ends) and a greeter
 * (sends one line at once, like an SSH banner). Per provider path — Prime Intellect's TCP exposure
 * relayed from a local port, Tensorlake's WebSocket tunnel — against a direct loopback connection
 * to the same server (variants alternate round by round): download throughput, connect latency
 * (connect until the first byte, p50), and the time from `sandbox.forward()` to the first byte.
 * The servers with the emulator, and the client, run in Workers of their own: the main thread is
 * the SDK's relay alone, as when a separate program (psql, redis-cli) uses a forward.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc scripts/bench/forward.ts [--quick]
 * ```
 *
 * @module
 */
import { type Forward, PrimeIntellect, Tensorlake } from "../../mod.ts";
import { gc, median } from "./machine.ts";

const MiB = 1024 * 1024;
/** Bytes per throughput round, rounds per variant, connects for the latency p50, forward() starts. */
const FULL = { bytes: 64 * MiB, rounds: 3, connects: 200, starts: 20 };
/** `--quick`: proves the bench runs and yields finite numbers. */
const QUICK = { bytes: 256 * 1024, rounds: 1, connects: 5, starts: 2 };
const SOURCE_PORT = 7000;
const GREETER_PORT = 7001;
const f = (x: number, digits = 1) => x.toFixed(digits);

/** What one provider path measured. */
interface PathResult {
  mbps: number;
  /** Throughput × a direct connection's. */
  throughput: number;
  connectMs: number;
  /** Connect latency × a direct connection's. */
  connect: number;
  firstByteMs: number;
}

/** Runs the three measurements; the table rows and the ratios the targets judge. */
export async function benchForward(quick: boolean) {
  const { bytes, rounds, connects, starts } = quick ? QUICK : FULL;
  // The services and the emulator run in a Worker: only the client and the SDK's relay share
  // this thread, for the forwarded and the direct variants alike.
  const worker = new Worker(new URL("./forward_worker.ts", import.meta.url), { type: "module" });
  const message = () =>
    new Promise<unknown>((resolve, reject) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.onerror = (event) => reject(new Error(event.message));
    });
  const started = message();
  worker.postMessage({ bytes });
  const ports = await started as { url: string; source: number; greeter: number };
  // The client is another program in real use: a Worker of its own, here.
  const client = new Worker(new URL("./forward_worker.ts", import.meta.url), { type: "module" });
  const read = (port: number, untilFirstByte: boolean) =>
    new Promise<{ firstMs: number; totalMs: number; bytes: number }>((resolve, reject) => {
      client.onmessage = ({ data }) => data.error ? reject(new Error(data.error)) : resolve(data);
      client.onerror = (event) => reject(new Error(event.message));
      client.postMessage({ read: port, untilFirstByte });
    });
  const served = { url: ports.url };
  const sourceServer = { port: ports.source };
  const greeter = { port: ports.greeter };
  const paths = {
    prime: new PrimeIntellect({ apiKey: "bench", baseUrl: served.url, rateLimit: false })
      .sandbox("sb-bench"),
    tensorlake: new Tensorlake({ apiKey: "bench", rateLimit: false }).sandbox(served.url),
  };
  type Path = keyof typeof paths;
  const names = Object.keys(paths) as Path[];

  // Forwards that stay up for the throughput and latency rounds.
  const forwards = Object.fromEntries(
    await Promise.all(names.map(async (name) => {
      // A standard WebSocket cannot be paused (docs/usage.md): the tunnel may queue a whole round.
      const forward = await paths[name].forward(SOURCE_PORT, { maxBufferedBytes: 2 * bytes });
      const greeting = await paths[name].forward(GREETER_PORT);
      return [name, { source: forward, greeter: greeting }] as const;
    })),
  ) as Record<Path, { source: Forward; greeter: Forward }>;
  const variants: [string, { source: number; greeter: number }][] = [
    ["direct", { source: sourceServer.port, greeter: greeter.port }],
    ...names.map((name) =>
      [name, { source: forwards[name].source.port, greeter: forwards[name].greeter.port }] as [
        string,
        { source: number; greeter: number },
      ]
    ),
  ];
  const mbps = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  const latency = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const [name, ports] of order) {
        gc();
        const { totalMs, bytes: got } = await read(ports.source, false);
        if (got !== bytes) throw new Error(`${name}: ${got} of ${bytes} bytes arrived`);
        mbps.get(name)!.push(bytes / 1e6 / (totalMs / 1000));
      }
    }
    for (let i = 0; i < connects; i++) {
      for (const [name, ports] of i % 2 === 0 ? variants : [...variants].reverse()) {
        latency.get(name)!.push((await read(ports.greeter, true)).firstMs);
      }
    }
  } finally {
    await Promise.all(
      names.flatMap((n) => [forwards[n].source.close(), forwards[n].greeter.close()]),
    );
  }

  // From forward() to the first byte of a fresh connection, a new forward each time.
  const firstByte = new Map<Path, number[]>(names.map((name) => [name, []]));
  for (let i = 0; i < starts; i++) {
    for (const name of names) {
      const t0 = performance.now();
      const forward = await paths[name].forward(GREETER_PORT);
      try {
        await read(forward.port, true);
        firstByte.get(name)!.push(performance.now() - t0);
      } finally {
        await forward.close();
      }
    }
  }
  const left = await paths.prime.listExposures();
  const closed = message();
  worker.postMessage("close");
  await closed;
  worker.terminate();
  client.terminate();
  if (left.length !== 0) throw new Error("a forward left an exposure behind");

  const direct = { mbps: median(mbps.get("direct")!), ms: median(latency.get("direct")!) };
  const result = Object.fromEntries(names.map((name) => {
    const m = median(mbps.get(name)!);
    const ms = median(latency.get(name)!);
    return [name, {
      mbps: m,
      throughput: m / direct.mbps,
      connectMs: ms,
      connect: ms / direct.ms,
      firstByteMs: median(firstByte.get(name)!),
    }];
  })) as Record<Path, PathResult>;
  const label = { prime: "Prime TCP exposure relay", tensorlake: "Tensorlake WebSocket tunnel" };
  const goal = { prime: ">= 0.9", tensorlake: ">= 0.8" };
  return {
    ...result,
    rows: [
      {
        path: "direct loopback connection",
        "throughput MB/s": f(direct.mbps),
        "× direct": "1.00",
        goal: "—",
        "connect → first byte p50 ms": f(direct.ms, 3),
        "latency × direct": "1.00",
        "forward() → first byte p50 ms": "—",
      },
      ...names.map((name) => ({
        path: label[name],
        "throughput MB/s": f(result[name].mbps),
        "× direct": f(result[name].throughput, 2),
        goal: goal[name],
        "connect → first byte p50 ms": f(result[name].connectMs, 3),
        "latency × direct": f(result[name].connect, 2),
        "forward() → first byte p50 ms": f(result[name].firstByteMs, 2),
      })),
    ],
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchForward(Deno.args.includes("--quick")), null, 2));
}
