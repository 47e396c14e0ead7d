/**
 * What the Redis store does when Redis is down or hangs: `"fail-closed"`
 * rejects with `RateLimitStoreError`; `"local"` throttles in memory at
 * `limit / fleetSize`. Neither lets a call through unthrottled.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Redis } from "ioredis";
import { ConfigError } from "../../../mod.ts";
import { systemClock } from "../../../src/util/clock.ts";
import {
  createRedisRateLimitStore,
  fromIoredis,
  RateLimitStoreError,
  type RedisEval,
  type StoreErrorInfo,
} from "../../../src/rate_limit/redis/mod.ts";
import {
  newId,
  type RedisServer,
  redisSkipReason,
  startRedisServer,
  testRedis,
  uniqueKey,
} from "./_helpers.ts";

const skip = redisSkipReason();

/** A client that never answers. */
const hanging: RedisEval = {
  evalsha: () => new Promise(() => {}),
  eval: () => new Promise(() => {}),
};

describe("Redis store failure policies", { skip }, () => {
  let server: RedisServer;
  let down: Redis;

  before(async () => {
    server = await startRedisServer();
    await server.stop(); // a port where Redis was and is no more
    down = testRedis(server.port, { offlineQueue: false });
  });
  after(() => {
    down?.disconnect();
  });

  test("fail-closed: reserve rejects with RateLimitStoreError carrying the cause", async () => {
    const reports: StoreErrorInfo[] = [];
    const store = createRedisRateLimitStore({
      client: fromIoredis(down),
      failurePolicy: "fail-closed",
      onStoreError: (info) => reports.push(info),
    });
    const key = uniqueKey("closed");
    const error = await store.reserve(key, { limit: 20, windowMs: 60_000, id: newId() }).then(
      () => assert.fail("reserve succeeded with Redis down"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RateLimitStoreError);
    assert.match(error.message, /^Redis rate-limit store: reserve failed: /);
    assert.ok(error.cause instanceof Error);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.operation, "reserve");
    assert.equal(reports[0]!.fallback, "none");
    assert.equal(reports[0]!.error, error);
  });

  test("fail-closed is the default, and a hanging Redis times out into the same error", async () => {
    const store = createRedisRateLimitStore({ client: hanging, timeoutMs: 30, onStoreError() {} });
    await assert.rejects(
      store.reserve(uniqueKey("hang"), { limit: 1, windowMs: 1000, id: newId() }),
      (error: unknown) =>
        error instanceof RateLimitStoreError && /no answer within 30 ms/.test(error.message),
    );
  });

  test("release and pause failures are reported, not thrown", async () => {
    const reports: string[] = [];
    const store = createRedisRateLimitStore({
      client: fromIoredis(down),
      onStoreError: (info) => reports.push(`${info.operation}:${info.fallback}`),
    });
    const key = uniqueKey("quiet");
    await store.release(key, "a");
    await store.pause(key, 1000);
    assert.deepEqual(reports, ["release:none", "pause:none"]);
  });

  test("local: throttles in memory at limit / fleetSize while Redis is down", async () => {
    let now = 1_000_000;
    const clock = { now: () => now, sleep: systemClock.sleep };
    const reports: StoreErrorInfo[] = [];
    const store = createRedisRateLimitStore({
      client: fromIoredis(down),
      failurePolicy: { mode: "local", fleetSize: 4 },
      clock,
      onStoreError: (info) => reports.push(info),
    });
    const key = uniqueKey("local");
    const reserve = (maxWaitMs?: number) =>
      store.reserve(key, {
        limit: 20,
        windowMs: 1000,
        id: newId(),
        ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
      });
    // 20 / 4 = 5 per window for this process, and the in-memory window starts full:
    // the fleet may have used the whole budget through Redis just before the outage.
    const delays = [];
    for (let i = 0; i < 11; i++) {
      const r = await reserve();
      assert.equal(r.rejected, false);
      if (!r.rejected) delays.push(r.delayMs);
    }
    assert.deepEqual(delays, [1000, 1000, 1000, 1000, 1000, 2000, 2000, 2000, 2000, 2000, 3000]);
    assert.deepEqual(await reserve(500), { rejected: true, retryAfterMs: 3000 });
    assert.equal(reports.length, 12);
    assert.ok(reports.every((r) => r.fallback === "local" && r.operation === "reserve"));

    now += 2500; // the first local window is over
    const later = await reserve();
    assert.deepEqual(later, { rejected: false, delayMs: 500 });
  });

  test("local: pause and release apply to the in-memory limiter too", async () => {
    const now = 5_000_000;
    const clock = { now: () => now, sleep: systemClock.sleep };
    const store = createRedisRateLimitStore({
      client: fromIoredis(down),
      failurePolicy: { mode: "local", fleetSize: 20 },
      clock,
      onStoreError() {},
    });
    const key = uniqueKey("local-pause");
    const request = { limit: 20, windowMs: 1000 }; // 1 per window locally, after a full one
    assert.deepEqual(await store.reserve(key, { ...request, id: "a" }), {
      rejected: false,
      delayMs: 1000,
    });
    assert.deepEqual(await store.reserve(key, { ...request, id: "b" }), {
      rejected: false,
      delayMs: 2000,
    });
    await store.release(key, "b");
    assert.deepEqual(await store.reserve(key, { ...request, id: "c" }), {
      rejected: false,
      delayMs: 2000,
    });
    await store.pause(key, 5000);
    assert.deepEqual(await store.reserve(key, { ...request, id: "d" }), {
      rejected: false,
      delayMs: 5000,
    });
  });

  test("local: Redis answers again → bookings go back to Redis", async () => {
    const restarted = await startRedisServer();
    const redis = testRedis(restarted.port);
    try {
      const reports: string[] = [];
      let healthy = false;
      const inner = fromIoredis(redis);
      const client: RedisEval = {
        evalsha: (...a) =>
          healthy ? inner.evalsha(...a) : Promise.reject(new Error("ECONNREFUSED")),
        eval: (...a) => healthy ? inner.eval(...a) : Promise.reject(new Error("ECONNREFUSED")),
      };
      const store = createRedisRateLimitStore({
        client,
        failurePolicy: { mode: "local", fleetSize: 2 },
        onStoreError: (info) => reports.push(info.fallback),
      });
      const key = uniqueKey("recover");
      await store.reserve(key, { limit: 4, windowMs: 1000, id: newId() });
      assert.deepEqual(reports, ["local"]);
      healthy = true;
      await store.reserve(key, { limit: 4, windowMs: 1000, id: newId() });
      assert.deepEqual(reports, ["local"]);
      assert.equal(await redis.zcard(`sandgate:rl:{${key}}`), 1);
    } finally {
      redis.disconnect();
      await restarted.stop();
    }
  });

  test("an invalid failure policy is a ConfigError", () => {
    for (const failurePolicy of [{ mode: "local", fleetSize: 0 }, { mode: "open" }, "fail-open"]) {
      assert.throws(
        () =>
          createRedisRateLimitStore({
            client: hanging,
            failurePolicy: failurePolicy as never,
          }),
        ConfigError,
      );
    }
  });
});
