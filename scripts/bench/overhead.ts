/**
 * Benchmark 1: what one `exposePort` call costs through each layer, timed by mitata's `measure`
 * (one call per sample, no batching, so p50/p99 are per call), against a loopback HTTP server
 * in a Worker and against an in-process handler.
 *
 * @module
 */
import { measure } from "mitata";
import createClient from "openapi-fetch";
import type { paths } from "../../src/generated/primeintellect.ts";
import {
  createPrimeIntellectClient,
  PrimeIntellect,
  type PrimeIntellectClientOptions,
} from "../../mod.ts";

/** Per-call latency of one variant (µs) and its ratio to bare openapi-fetch. */
export interface OverheadRow {
  /** Variant label. */
  name: string;
  /** Samples (calls) timed. */
  samples: number;
  /** Mean, median and 99th percentile, µs. */
  avg: number;
  p50: number;
  p99: number;
  /** p50 / p50 of bare openapi-fetch. */
  ratioP50: number;
}

/** Results of benchmark 1. */
export interface OverheadResult {
  /** Against the loopback HTTP server. */
  loopback: OverheadRow[];
  /** Against an in-process handler (no network). */
  inProcess: OverheadRow[];
  /** In-process, the low-level client with its middleware layers enabled one by one. */
  layers: OverheadRow[];
}

/** The fixed `ExposePortResponse` both servers answer with. */
const BODY = JSON.stringify({
  exposure_id: "exp-0123456789",
  sandbox_id: "sb-bench",
  port: 8080,
  name: null,
  protocol: "HTTP",
  url: "https://sb-bench-8080.example.test",
  tls_socket: "sb-bench-8080.example.test:443",
  external_port: null,
  external_endpoint: null,
});
const HEADERS = { "content-type": "application/json" };
const inProcessFetch = async (request: Request) => {
  await request.arrayBuffer();
  return new Response(BODY, { headers: HEADERS });
};
/** The loopback server, in a Worker so that its work does not share the client's thread. */
const SERVER = `
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  await request.arrayBuffer();
  return new Response(${JSON.stringify(BODY)}, { headers: ${JSON.stringify(HEADERS)} });
});
self.postMessage(server.addr.port);
self.onmessage = async () => { await server.shutdown(); self.close(); };`;

type Variant = [name: string, run: () => Promise<unknown>];

const KEY = "bench-key";
const PATH = "/api/v1/sandbox/{sandbox_id}/expose";
const BARE = "openapi-fetch (bare)";
const REQUEST = { params: { path: { sandbox_id: "sb-bench" } }, body: { port: 8080 } };
const LIMIT = { limit: 1e9, windowMs: 60_000 }; // the full stack, never waiting

async function post(client: ReturnType<typeof createClient<paths>>) {
  const { data } = await client.POST(PATH, REQUEST);
  if (data === undefined) throw new Error("benchmark call failed");
}

function variants(baseUrl: string, fetch: (r: Request) => Promise<Response>): Variant[] {
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const url = `${baseUrl}/api/v1/sandbox/sb-bench/expose`;
  const bare = createClient<paths>({ baseUrl, fetch, headers });
  const options: PrimeIntellectClientOptions = { apiKey: KEY, baseUrl, fetch, rateLimit: LIMIT };
  const low = createPrimeIntellectClient(options);
  const sandbox = new PrimeIntellect(options).sandbox("sb-bench");
  return [
    ["raw fetch (floor)", async () => {
      const body = JSON.stringify({ port: 8080 });
      await (await fetch(new Request(url, { method: "POST", headers, body }))).json();
    }],
    [BARE, () => post(bare)],
    ["sandgate low-level", () => post(low)],
    ["sandgate high-level exposePort", () => sandbox.exposePort({ port: 8080 })],
  ];
}

function layers(baseUrl: string): Variant[] {
  const base = { apiKey: KEY, baseUrl, fetch: inProcessFetch };
  const bare = createClient<paths>({ baseUrl, fetch: inProcessFetch });
  return [
    [BARE, () => post(bare)],
    ...([
      ["auth + network errors", { retry: false, rateLimit: false, timeoutMs: Infinity }],
      ["… + timeout", { retry: false, rateLimit: false }],
      ["… + retry", { rateLimit: false }],
      ["… + rate limit (full stack)", { rateLimit: LIMIT }],
    ] as const).map(([name, o]): Variant => {
      const client = createPrimeIntellectClient({ ...base, ...o });
      return [name, () => post(client)];
    }),
  ];
}

async function time(list: Variant[], quick: boolean): Promise<OverheadRow[]> {
  const rows: Omit<OverheadRow, "ratioP50">[] = [];
  for (const [name, run] of list) {
    const s = await measure(run, {
      batch_threshold: 0,
      min_cpu_time: quick ? 1e6 : 1e9,
      max_samples: quick ? 50 : 1e9,
    });
    rows.push({
      name,
      samples: s.samples.length,
      avg: s.avg / 1e3,
      p50: s.p50 / 1e3,
      p99: s.p99 / 1e3,
    });
  }
  const bare = rows.find((r) => r.name === BARE)!.p50;
  return rows.map((r) => ({ ...r, ratioP50: r.p50 / bare }));
}

async function startServer(): Promise<{ port: number; stop(): void }> {
  const url = URL.createObjectURL(new Blob([SERVER], { type: "application/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const port = await new Promise<number>((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data as number);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  return {
    port,
    stop: () => {
      worker.postMessage("stop");
      setTimeout(() => worker.terminate(), 50);
    },
  };
}

/** Runs benchmark 1 (`quick`: a handful of calls per variant). */
export async function benchOverhead(quick: boolean): Promise<OverheadResult> {
  const server = await startServer();
  try {
    const loopback = await time(
      variants(`http://127.0.0.1:${server.port}`, (r) => fetch(r)),
      quick,
    );
    const inProcess = await time(variants("http://127.0.0.1:1", inProcessFetch), quick);
    return { loopback, inProcess, layers: await time(layers("http://127.0.0.1:1"), quick) };
  } finally {
    server.stop();
  }
}
