/**
 * Benchmark 1: what one `exposePort` call costs through each layer, against a
 * loopback HTTP server (in a Worker) and against an in-process handler.
 *
 * @module
 */
import createClient from "openapi-fetch";
import type { paths } from "../../src/generated/primeintellect.ts";
import {
  createPrimeIntellectClient,
  PrimeIntellect,
  type PrimeIntellectClientOptions,
} from "../../mod.ts";
import { inProcessFetch } from "./fixtures.ts";
import { summarize, type Summary, timeInterleaved, type Variant } from "./stats.ts";

/** Latencies of one variant, in microseconds, and its ratio to bare openapi-fetch. */
export interface OverheadRow {
  /** Variant label. */
  name: string;
  /** Per-call latency summary (µs). */
  stats: Summary;
  /** mean / mean of bare openapi-fetch. */
  ratioMean: number;
  /** p50 / p50 of bare openapi-fetch. */
  ratioP50: number;
}

/** Results of benchmark 1. */
export interface OverheadResult {
  /** Rows against the loopback HTTP server. */
  loopback: OverheadRow[];
  /** Rows against an in-process handler (no network). */
  inProcess: OverheadRow[];
  /** In-process, the low-level client with its middleware layers enabled one by one. */
  layers: OverheadRow[];
  /** Timed calls per variant. */
  callsPerVariant: number;
}

const KEY = "bench-key";
const SANDBOX = "sb-bench";
const PATH = "/api/v1/sandbox/{sandbox_id}/expose";
const BARE = "openapi-fetch (bare)";

function variants(
  baseUrl: string,
  fetchImpl: (request: Request) => Promise<Response>,
): Variant[] {
  const url = `${baseUrl}/api/v1/sandbox/${SANDBOX}/expose`;
  const body = JSON.stringify({ port: 8080 });
  const headers = { "authorization": `Bearer ${KEY}`, "content-type": "application/json" };
  const bare = createClient<paths>({ baseUrl, fetch: fetchImpl, headers });
  const sdkOptions: PrimeIntellectClientOptions = {
    apiKey: KEY,
    baseUrl,
    fetch: fetchImpl,
    rateLimit: { limit: 1e9, windowMs: 60_000 },
  };
  const low = createPrimeIntellectClient(sdkOptions);
  const check = (ok: boolean) => {
    if (!ok) throw new Error("benchmark call failed");
  };
  const sandbox = new PrimeIntellect(sdkOptions).sandbox(SANDBOX);
  return [
    {
      name: "raw fetch (floor)",
      async run() {
        const res = await fetchImpl(new Request(url, { method: "POST", headers, body }));
        check(res.ok);
        await res.json();
      },
    },
    {
      name: BARE,
      async run() {
        const { data } = await bare.POST(PATH, {
          params: { path: { sandbox_id: SANDBOX } },
          body: { port: 8080 },
        });
        check(data !== undefined);
      },
    },
    {
      name: "sandgate low-level",
      async run() {
        const { data } = await low.POST(PATH, {
          params: { path: { sandbox_id: SANDBOX } },
          body: { port: 8080 },
        });
        check(data !== undefined);
      },
    },
    {
      name: "sandgate high-level exposePort",
      async run() {
        check((await sandbox.exposePort({ port: 8080 })).url !== "");
      },
    },
  ];
}

function layerVariants(baseUrl: string): Variant[] {
  const base: PrimeIntellectClientOptions = { apiKey: KEY, baseUrl, fetch: inProcessFetch };
  const bare = createClient<paths>({ baseUrl, fetch: inProcessFetch });
  const configs: Array<[string, PrimeIntellectClientOptions]> = [
    ["guard + auth + network errors", {
      ...base,
      retry: false,
      rateLimit: false,
      timeoutMs: Infinity,
    }],
    ["… + timeout", { ...base, retry: false, rateLimit: false }],
    ["… + retry", { ...base, rateLimit: false }],
    ["… + rate limit (full stack)", { ...base, rateLimit: { limit: 1e9, windowMs: 60_000 } }],
  ];
  const call = (client: typeof bare) => async () => {
    const { data } = await client.POST(PATH, {
      params: { path: { sandbox_id: SANDBOX } },
      body: { port: 8080 },
    });
    if (data === undefined) throw new Error("benchmark call failed");
  };
  return [
    { name: BARE, run: call(bare) },
    ...configs.map(([name, options]) => ({
      name,
      run: call(createPrimeIntellectClient(options)),
    })),
  ];
}

function rows(samples: Map<string, number[]>): OverheadRow[] {
  const stats = [...samples].map(([name, s]) => ({ name, stats: summarize(s) }));
  const bare = stats.find((r) => r.name === BARE)!.stats;
  return stats.map((r) => ({
    ...r,
    ratioMean: r.stats.mean / bare.mean,
    ratioP50: r.stats.p50 / bare.p50,
  }));
}

async function startServer(): Promise<{ port: number; stop(): void }> {
  const worker = new Worker(new URL("./server_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.onmessage = (event) => resolve((event.data as { port: number }).port);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  return {
    port,
    stop() {
      worker.postMessage("stop");
      setTimeout(() => worker.terminate(), 50);
    },
  };
}

/**
 * Runs benchmark 1 with `calls` timed calls per variant and setting.
 *
 * @example
 * ```ts ignore
 * import { benchOverhead } from "./overhead.ts";
 * console.log((await benchOverhead(100)).loopback.length);
 * ```
 */
export async function benchOverhead(calls: number): Promise<OverheadResult> {
  const batch = Math.max(1, Math.min(200, Math.floor(calls / 20)));
  const rounds = Math.max(1, Math.round(calls / batch));
  const warmup = Math.min(2_000, Math.max(10, calls / 5));

  const server = await startServer();
  let loopback: OverheadRow[];
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const netFetch = (request: Request) => fetch(request);
    loopback = rows(
      await timeInterleaved(variants(base, netFetch), { warmup, rounds, batch }),
    );
  } finally {
    server.stop();
  }
  const inProcess = rows(
    await timeInterleaved(
      variants("http://127.0.0.1:1", inProcessFetch),
      { warmup, rounds: rounds * 2, batch },
    ),
  );
  const layers = rows(
    await timeInterleaved(layerVariants("http://127.0.0.1:1"), {
      warmup,
      rounds: rounds * 2,
      batch,
    }),
  );
  return { loopback, inProcess, layers, callsPerVariant: rounds * batch };
}
