/**
 * One process of the fleet test: its own Redis connection and store, and
 * `CALLS` concurrent calls against the loopback gateway. Prints `ready` once
 * connected and warmed up, starts on a `go` line on stdin, and prints one
 * JSON line `{ "statuses": [...] }` at the end.
 *
 * Environment: `REDIS_URL`, `GATEWAY_URL`, `CALLS`, `MODE` (`client`: a
 * Prime Intellect client with `rateLimit: { store }`; `store`: reserve, sleep,
 * fetch by hand), `LIMIT`, `WINDOW_MS`, `MARGIN_MS`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { createPrimeIntellectClient } from "../../mod.ts";
import { createRedisRateLimitStore, fromIoredis } from "../../src/redis/mod.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`fleet worker: ${name} is not set`);
  return value;
};
const gateway = env("GATEWAY_URL");
const calls = Number(env("CALLS"));
const limit = Number(env("LIMIT"));
const windowMs = Number(env("WINDOW_MS"));
const marginMs = Number(env("MARGIN_MS"));
const mode = env("MODE");
const TOKEN = "fleet-shared-token";
const SANDBOX = "sb-fleet";

const redis = new Redis(env("REDIS_URL"));
await redis.ping();
const store = createRedisRateLimitStore({ client: fromIoredis(redis) });
await store.release("warm-up", "none"); // loads the script, warms the connection

async function viaStore(): Promise<number> {
  const key = `${gateway} fleet-token-hash ${SANDBOX}`;
  const reservation = await store.reserve(key, {
    limit,
    windowMs: windowMs + marginMs,
    id: crypto.randomUUID(),
  });
  if (reservation.rejected) return -1;
  await new Promise((resolve) => setTimeout(resolve, reservation.delayMs));
  const response = await fetch(`${gateway}/api/v1/sandbox/${SANDBOX}/expose`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ port: 8080 }),
  });
  await response.body?.cancel();
  return response.status;
}

const client = createPrimeIntellectClient({
  apiKey: TOKEN,
  baseUrl: gateway,
  retry: false,
  timeoutMs: 120_000,
  rateLimit: { store, limit, windowMs, marginMs },
});

async function viaClient(): Promise<number> {
  const { response } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: SANDBOX } },
    body: { port: 8080 },
  });
  return response.status;
}

// Warm up the HTTP connection pool outside the measured, limited traffic.
await Promise.all(Array.from({ length: calls }, async () => {
  const response = await fetch(`${gateway}/warm-up`);
  await response.body?.cancel();
}));

console.log("ready");
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once("line", () => resolve()));
lines.close();

const call = mode === "store" ? viaStore : viaClient;
const statuses = await Promise.all(Array.from({ length: calls }, () => call()));
console.log(JSON.stringify({ statuses }));
redis.disconnect();
process.exit(0);
