// The per-runtime side of benchmark 1 (scripts/bench/overhead_runtimes.ts runs it on Deno,
// Node 22 and Bun): what one `exposePort` costs over bare openapi-fetch, per call, on the runtime
// that runs this file. Plain JavaScript so each runtime runs it as it is; sandgate is the npm
// build (npm/esm), openapi-fetch the same package bare.
//
// Two ways, variants interleaved round by round (one warm-up round):
// - "server in the process": a `node:http` server on 127.0.0.1 on this thread (every runtime has
//   `node:http`), the clients on the runtime's own `fetch`; the server's work is in every call;
// - "handler as fetch": the clients' `fetch` is a function answering from memory: no network,
//   only the clients' own work (sandgate's then builds the runtime `Request` a caller's `fetch`
//   is given).
//
// Input: one JSON argument { rounds, calls }. Output: one JSON line, per way and variant the
// wall times per call (ms).
import { createServer } from "node:http";
import ANSWER from "./expose_answer.json" with { type: "json" };

const { rounds, calls } = JSON.parse(process.argv.at(-1));
const runtime = globalThis.Deno
  ? `Deno ${Deno.version.deno}`
  : globalThis.Bun
  ? `Bun ${Bun.version}`
  : `Node ${process.versions.node}`;
const { PrimeIntellect } = await import("../../npm/esm/mod.js");
const { default: createClient } = await import("openapi-fetch");

/** The fixed `ExposePortResponse` both ways answer with (as scripts/bench/overhead.ts). */
const BODY = JSON.stringify(ANSWER);
const KEY = "bench-key";
const LIMIT = { limit: 1e9, windowMs: 60_000 }; // the full stack, never waiting

const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(BODY),
    });
    response.end(BODY);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const handler = async (request) => {
  await request.arrayBuffer();
  return new Response(BODY, { headers: { "content-type": "application/json" } });
};

function variants(baseUrl, fetch) {
  const bare = createClient({
    baseUrl,
    ...(fetch ? { fetch } : {}),
    headers: { authorization: `Bearer ${KEY}` },
  });
  const sandbox = new PrimeIntellect({
    apiKey: KEY,
    baseUrl,
    rateLimit: LIMIT,
    ...(fetch ? { fetch } : {}),
  })
    .sandbox("sb-bench");
  return {
    bare: async () => {
      const { data } = await bare.POST("/api/v1/sandbox/{sandbox_id}/expose", {
        params: { path: { sandbox_id: "sb-bench" } },
        body: { port: 8000 },
      });
      if (data === undefined) throw new Error("benchmark call failed");
    },
    sandgate: () => sandbox.exposePort({ port: 8000 }),
  };
}

async function time(list) {
  const names = Object.keys(list);
  const wallMs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await list[name]();
        if (round > 0) wallMs[name].push(performance.now() - t0);
      }
    }
  }
  return wallMs;
}

const result = {
  runtime,
  loopback: await time(variants(`http://127.0.0.1:${server.address().port}`)),
  handler: await time(variants("http://127.0.0.1:1", handler)),
};
server.close();
server.closeAllConnections?.();
// Exit once the line is flushed; keep-alive sockets may linger.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
