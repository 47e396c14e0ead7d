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
import { createPrimeIntellectClient, PrimeIntellect } from "../../mod.ts";
import ANSWER from "./expose_answer.json" with { type: "json" };

/** The fixed `ExposePortResponse` both servers answer with (shared with overhead_runtime.mjs). */
const BODY = JSON.stringify(ANSWER);
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
const BARE = "openapi-fetch (bare)";
const LIMIT = { limit: 1e9, windowMs: 60_000 }; // the full stack, never waiting
const IN_PROCESS = "http://127.0.0.1:1";

async function post(client: ReturnType<typeof createClient<paths>>) {
  const { data } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: "sb-bench" } },
    body: { port: 8000 },
  });
  if (data === undefined) throw new Error("benchmark call failed");
}

function variants(baseUrl: string, fetch: (r: Request) => Promise<Response>): Variant[] {
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const url = `${baseUrl}/api/v1/sandbox/sb-bench/expose`;
  const options = { apiKey: KEY, baseUrl, fetch, rateLimit: LIMIT };
  const bare = createClient<paths>({ baseUrl, fetch, headers });
  const low = createPrimeIntellectClient(options);
  const sandbox = new PrimeIntellect(options).sandbox("sb-bench");
  const body = JSON.stringify({ port: 8000 });
  return [
    [
      "raw fetch (floor)",
      async () => (await fetch(new Request(url, { method: "POST", headers, body }))).json(),
    ],
    [BARE, () => post(bare)],
    ["sandgate low-level", () => post(low)],
    ["sandgate high-level exposePort", () => sandbox.exposePort({ port: 8000 })],
  ];
}

/** In-process, the low-level client with its middleware layers enabled one by one. */
function layers(): Variant[] {
  const base = { apiKey: KEY, baseUrl: IN_PROCESS, fetch: inProcessFetch };
  const bare = createClient<paths>({ baseUrl: IN_PROCESS, fetch: inProcessFetch });
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

/** Per variant: per-call µs, p50 ratio to bare; 8 rounds of turns, so load drift hits all alike. */
async function time(list: Variant[], quick: boolean) {
  const rounds = quick ? 1 : 8;
  const opts = quick ? { min_cpu_time: 1e6, max_samples: 50 } : { min_cpu_time: 1e9 / rounds };
  const samples = list.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [, run]] of list.entries()) {
      samples[i]!.push(...(await measure(run, { batch_threshold: 0, ...opts })).samples);
    }
  }
  const rows = list.map(([variant], i) => {
    const all = samples[i]!.sort((a, b) => a - b);
    const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))]! / 1e3;
    const mean = all.reduce((sum, x) => sum + x, 0) / all.length / 1e3;
    return { variant, calls: all.length, "mean µs": mean, "p50 µs": at(0.5), "p99 µs": at(0.99) };
  });
  const bare = rows.find((r) => r.variant === BARE)!["p50 µs"];
  return rows.map((r) => ({ ...r, "× bare (p50)": (r["p50 µs"] / bare).toFixed(2) }));
}

/** Runs benchmark 1 (`quick`: a handful of calls per variant). */
export async function benchOverhead(quick: boolean) {
  const worker = new Worker(`data:text/javascript,${encodeURIComponent(SERVER)}`, {
    type: "module",
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data as number);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  try {
    return {
      loopback: await time(variants(`http://127.0.0.1:${port}`, (r) => fetch(r)), quick),
      inProcess: await time(variants(IN_PROCESS, inProcessFetch), quick),
      layers: await time(layers(), quick),
    };
  } finally {
    worker.postMessage("stop");
    setTimeout(() => worker.terminate(), 50);
  }
}
