/**
 * The Redis store behind a real client (`rateLimit: { store }`): nothing is
 * sent when the store fails closed, the `"local"` policy throttles, an aborted
 * wait gives its Redis slot back, and nothing secret reaches Redis.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { createPrimeIntellectClient, RateLimitedError } from "../../../mod.ts";
import {
  createRedisRateLimitStore,
  fromIoredis,
  RateLimitStoreError,
  type RedisRateLimitStore,
} from "../../../src/rate_limit/redis/mod.ts";
import { FakeClock } from "../../../src/testing/time.ts";
import { type RedisServer, redisSkipReason, startRedisServer, testRedis } from "./_helpers.ts";

const skip = redisSkipReason();
const TOKEN = "secret-token-never-in-redis";
const PATH = "/api/v1/sandbox/{sandbox_id}/expose" as const;

/** A fake gateway: counts requests, answers a valid exposure. */
function fakeFetch() {
  const calls: Request[] = [];
  const fetch = (request: Request) => {
    calls.push(request);
    return Promise.resolve(Response.json({ id: "exp-1", url: "https://x.example" }));
  };
  return { fetch, calls };
}

function clientWith(
  store: RedisRateLimitStore,
  fetch: (r: Request) => Promise<Response>,
  extra = {},
) {
  return createPrimeIntellectClient({
    apiKey: TOKEN,
    fetch,
    retry: false,
    rateLimit: { store, limit: 1, windowMs: 1000, marginMs: 0, ...extra },
  });
}

function expose(client: ReturnType<typeof clientWith>, sandbox: string, signal?: AbortSignal) {
  return client.POST(PATH, {
    params: { path: { sandbox_id: sandbox } },
    body: { port: 8000 },
    ...(signal ? { signal } : {}),
  });
}

describe("Redis store behind a client", { skip }, () => {
  let server: RedisServer;
  let redis: Redis;
  let downPort: number;
  let down: Redis;

  before(async () => {
    server = await startRedisServer();
    redis = testRedis(server.port);
    const gone = await startRedisServer();
    downPort = gone.port;
    await gone.stop();
    down = testRedis(downPort, { offlineQueue: false });
  });
  after(async () => {
    redis?.disconnect();
    down?.disconnect();
    await server?.stop();
  });

  test("fail-closed with Redis down: the call fails with RateLimitStoreError, nothing is sent", async () => {
    const gateway = fakeFetch();
    const store = createRedisRateLimitStore({ client: fromIoredis(down), onStoreError() {} });
    const client = clientWith(store, gateway.fetch);
    await assert.rejects(expose(client, "sb-closed"), RateLimitStoreError);
    assert.equal(gateway.calls.length, 0);
  });

  test("local with Redis down: limit / fleetSize per window, the rest never sent", async () => {
    const gateway = fakeFetch();
    const clock = new FakeClock();
    const store = createRedisRateLimitStore({
      client: fromIoredis(down),
      failurePolicy: { mode: "local", fleetSize: 2 },
      onStoreError() {},
      clock,
    });
    // 4 per window shared by 2 processes → 2 here, after one full window (the fleet may
    // have spent the budget just before Redis went down); waits past 1.5 s are errors.
    const client = createPrimeIntellectClient({
      apiKey: TOKEN,
      fetch: gateway.fetch,
      retry: false,
      clock,
      rateLimit: { store, limit: 4, windowMs: 1000, marginMs: 0, maxWaitMs: 1500 },
    });
    const outcomes = [1, 2, 3].map(() =>
      expose(client, "sb-local").then((r) => r.response.status, (e: unknown) => e)
    );
    // The third booking is two windows away: refused at once; nothing sent yet.
    assert.ok(await Promise.race(outcomes) instanceof RateLimitedError);
    assert.equal(gateway.calls.length, 0, "sent while the fallback window is full");
    await clock.tickAsync(1000);
    const statuses = await Promise.all(outcomes);
    assert.deepEqual(statuses.filter((s) => s === 200).length, 2);
    assert.equal(gateway.calls.length, 2);
  });

  test("an aborted wait releases its Redis slot; no token is written to Redis", async () => {
    const gateway = fakeFetch();
    const store = createRedisRateLimitStore({ client: fromIoredis(redis), keyPrefix: "abort:" });
    const client = clientWith(store, gateway.fetch);
    assert.equal((await expose(client, "sb-abort")).response.status, 200);
    const [key] = await redis.keys("abort:*");
    assert.ok(key, "a limiter key was written");
    assert.equal(await redis.zcard(key), 1);

    const controller = new AbortController();
    const waiting = expose(client, "sb-abort", controller.signal);
    // The second call has booked the next window's slot and is sleeping.
    for (let i = 0; i < 100 && await redis.zcard(key) < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(await redis.zcard(key), 2);
    controller.abort(new Error("caller gave up"));
    await assert.rejects(waiting, /caller gave up/);
    assert.equal(await redis.zcard(key), 1, "the aborted call's slot was released");
    assert.equal(gateway.calls.length, 1);

    const dump = JSON.stringify([await redis.keys("*"), await redis.zrange(key, "0", "-1")]);
    assert.ok(!dump.includes(TOKEN), "the token reached Redis");
  });

  test("a server 429 with Retry-After pauses the key for every process", async () => {
    const store = createRedisRateLimitStore({ client: fromIoredis(redis), keyPrefix: "pause:" });
    const tooMany = () =>
      Promise.resolve(
        Response.json({ error: "slow down" }, { status: 429, headers: { "retry-after": "3" } }),
      );
    const client = clientWith(store, tooMany, { limit: 20 });
    const { response } = await expose(client, "sb-429");
    assert.equal(response.status, 429);
    const [pauseKey] = await redis.keys("pause:*:pause");
    assert.ok(pauseKey, "no pause was written");
    const ttl = await redis.pttl(pauseKey);
    assert.ok(ttl > 2500 && ttl <= 3000, `pause pttl ${ttl}`);
    // Another process (another store on the same Redis) waits out the pause.
    const other = createRedisRateLimitStore({ client: fromIoredis(redis), keyPrefix: "pause:" });
    const limiterKey = pauseKey.slice("pause:{".length, -"}:pause".length);
    const next = await other.reserve(limiterKey, { limit: 20, windowMs: 1000, id: "x" });
    assert.ok(!next.rejected && next.delayMs > 2500, JSON.stringify(next));
  });
});
