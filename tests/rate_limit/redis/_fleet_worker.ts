/**
 * One process of the fleet test: its own Redis connection and store, and
 * `CALLS` concurrent calls against the loopback gateway. Prints `ready` once
 * connected and warmed up (`ready {"delayMs": N}`, N the scheduling delay it
 * measured: the worst timer lateness and warm-up round trip), starts on a
 * `go <marginMs>` line on stdin, and prints one JSON line
 * `{ "statuses": [...], "sentAt": [...] }` at the end (`sentAt`: `Date.now()`
 * as each request was handed to `fetch`).
 *
 * Environment: `REDIS_URL`, `GATEWAY_URL`, `CALLS`, `MODE` (`client`: a
 * Prime Intellect client with `rateLimit: { store }`; `store`: reserve, sleep,
 * confirm, fetch by hand, the store protocol the middleware follows), `LIMIT`,
 * `WINDOW_MS`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { createPrimeIntellectClient } from "../../../mod.ts";
import { createRedisRateLimitStore, fromIoredis } from "../../../src/rate_limit/redis/mod.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`fleet worker: ${name} is not set`);
  return value;
};
const gateway = env("GATEWAY_URL");
const calls = Number(env("CALLS"));
const limit = Number(env("LIMIT"));
const windowMs = Number(env("WINDOW_MS"));
const mode = env("MODE");
const TOKEN = "fleet-shared-token";
const SANDBOX = "sb-fleet";

const redis = new Redis(env("REDIS_URL"));
await redis.ping();
const store = createRedisRateLimitStore({ client: fromIoredis(redis) });
await store.release("warm-up", "none"); // loads the script, warms the connection

const sentAt: number[] = [];
const timedFetch = (input: Request | string, init?: RequestInit): Promise<Response> => {
  sentAt.push(Date.now());
  return fetch(input, init);
};

async function viaStore(marginMs: number): Promise<number> {
  const key = `${gateway} fleet-token-hash ${SANDBOX}`;
  const booking = { limit, windowMs: windowMs + marginMs, id: crypto.randomUUID() };
  let reservation = await store.reserve(key, booking);
  // As the middleware does: a wait that ended late (a loaded machine wakes timers
  // late) is confirmed, so the slot is timed from the send, not from the booking.
  for (let i = 0; i < 100; i++) {
    if (reservation.rejected || reservation.delayMs <= 0) break;
    const { delayMs } = reservation;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    reservation = await store.confirm(key, booking);
  }
  if (reservation.rejected || reservation.delayMs > 0) return -1;
  const response = await timedFetch(`${gateway}/api/v1/sandbox/${SANDBOX}/expose`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ port: 8000 }),
  });
  await response.body?.cancel();
  return response.status;
}

function viaClient(marginMs: number): () => Promise<number> {
  const client = createPrimeIntellectClient({
    apiKey: TOKEN,
    baseUrl: gateway,
    retry: false,
    timeoutMs: 120_000,
    fetch: timedFetch,
    rateLimit: { store, limit, windowMs, marginMs },
  });
  return async () => {
    const { response } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
      params: { path: { sandbox_id: SANDBOX } },
      body: { port: 8000 },
    });
    return response.status;
  };
}

// Warm up the HTTP connection pool outside the measured, limited traffic, and
// measure how late this process runs: the worst warm-up round trip and timer lateness.
let delayMs = 0;
await Promise.all(Array.from({ length: calls }, async () => {
  const start = performance.now();
  const response = await fetch(`${gateway}/warm-up`);
  await response.body?.cancel();
  delayMs = Math.max(delayMs, performance.now() - start);
}));
for (let i = 0; i < 20; i++) {
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  delayMs = Math.max(delayMs, performance.now() - start - 5);
}

console.log(`ready ${JSON.stringify({ delayMs: Math.ceil(delayMs) })}`);
const lines = createInterface({ input: process.stdin });
const go = await new Promise<string>((resolve) => lines.once("line", resolve));
lines.close();
const marginMs = Number(go.split(" ")[1]);
if (!Number.isFinite(marginMs)) throw new Error(`fleet worker: bad go line ${go}`);

const call = mode === "store" ? () => viaStore(marginMs) : viaClient(marginMs);
const statuses = await Promise.all(Array.from({ length: calls }, () => call()));
console.log(JSON.stringify({ statuses, sentAt }));
redis.disconnect();
process.exit(0);
