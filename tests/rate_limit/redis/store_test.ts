/**
 * Booking semantics of the Redis rate-limit store against a real redis-server.
 * Delays come from Redis's clock, so bounds allow for the time the test
 * itself takes between calls.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  createRedisRateLimitStore,
  DEFAULT_KEY_PREFIX,
  fromIoredis,
  RATE_LIMIT_SCRIPT,
  rateLimitScriptSha,
} from "../../../src/rate_limit/redis/mod.ts";
import { newId, redisSkipReason, suiteRedis, uniqueKey } from "./_helpers.ts";

const skip = redisSkipReason();

/** Delay of a reservation that must not be rejected. */
function delayOf(reservation: { rejected: boolean; delayMs?: number }): number {
  assert.equal(reservation.rejected, false, "reservation was rejected");
  return reservation.delayMs!;
}

describe("Redis rate-limit store", { skip }, () => {
  const suite = suiteRedis();
  let store: ReturnType<typeof createRedisRateLimitStore>;

  before(() => {
    store = createRedisRateLimitStore({ client: fromIoredis(suite.redis) });
  });

  test("the script SHA computed with Web Crypto is the one Redis computes", async () => {
    const loaded = await suite.redis.script("LOAD", RATE_LIMIT_SCRIPT);
    assert.equal(await rateLimitScriptSha(), loaded);
  });

  test("limit 3 per 1000 ms: three go now, the fourth waits for the first slot's window", async () => {
    const key = uniqueKey("limit");
    const request = { limit: 3, windowMs: 1000 };
    const start = Date.now();
    const delays = [];
    for (let i = 0; i < 4; i++) {
      delays.push(delayOf(await store.reserve(key, { ...request, id: newId() })));
    }
    const elapsed = Date.now() - start;
    assert.deepEqual(delays.slice(0, 3), [0, 0, 0]);
    assert.ok(delays[3]! <= 1000 && delays[3]! >= 1000 - elapsed - 5, `fourth delay ${delays[3]}`);
  });

  test("FIFO: concurrent callers get slots in arrival order, limit per window", async () => {
    const key = uniqueKey("fifo");
    const ids = Array.from({ length: 9 }, (_, i) => `call-${i}`);
    const results = await Promise.all(
      ids.map((id) => store.reserve(key, { limit: 3, windowMs: 1000, id })),
    );
    const delays = results.map(delayOf);
    // Booked slots, by time (ties by id): the order the calls reached Redis.
    assert.deepEqual(await suite.redis.zrange(`${DEFAULT_KEY_PREFIX}{${key}}`, "0", "-1"), ids);
    // Three per window: calls 4–6 wait about one window, 7–9 about two.
    for (let i = 0; i < 9; i++) {
      const batch = Math.floor(i / 3);
      assert.ok(
        delays[i]! <= batch * 1000 && delays[i]! >= batch * 1000 - 100,
        `call ${i + 1}: delay ${delays[i]} (expected ≈ ${batch * 1000})`,
      );
    }
  });

  test("a wait beyond maxWaitMs is rejected and books nothing", async () => {
    const key = uniqueKey("maxwait");
    assert.equal(delayOf(await store.reserve(key, { limit: 1, windowMs: 1000, id: "a" })), 0);
    const rejected = await store.reserve(key, {
      limit: 1,
      windowMs: 1000,
      maxWaitMs: 100,
      id: "b",
    });
    assert.equal(rejected.rejected, true);
    assert.ok(rejected.rejected && rejected.retryAfterMs > 800 && rejected.retryAfterMs <= 1000);
    assert.equal(await suite.redis.zcard(`${DEFAULT_KEY_PREFIX}{${key}}`), 1);
    // Had "b" been booked, "c" would wait two windows.
    const next = delayOf(await store.reserve(key, { limit: 1, windowMs: 1000, id: "c" }));
    assert.ok(next > 800 && next <= 1000, `delay ${next}`);
    // A maxWaitMs the wait fits into books normally.
    const fits = await store.reserve(key, { limit: 1, windowMs: 1000, maxWaitMs: 5000, id: "d" });
    assert.ok(!fits.rejected && fits.delayMs > 1800 && fits.delayMs <= 2000);
  });

  test("release frees a future slot for the next caller", async () => {
    const key = uniqueKey("release");
    const request = { limit: 1, windowMs: 1000 };
    assert.equal(delayOf(await store.reserve(key, { ...request, id: "a" })), 0);
    assert.ok(delayOf(await store.reserve(key, { ...request, id: "b" })) > 800);
    await store.release(key, "b");
    const c = delayOf(await store.reserve(key, { ...request, id: "c" }));
    assert.ok(c > 800 && c <= 1000, `c waits one window, not two: ${c}`);
  });

  test("release keeps a slot whose time has come (its request may be on the wire)", async () => {
    const key = uniqueKey("release-past");
    const request = { limit: 1, windowMs: 1000 };
    assert.equal(delayOf(await store.reserve(key, { ...request, id: "a" })), 0);
    await store.release(key, "a");
    const b = delayOf(await store.reserve(key, { ...request, id: "b" }));
    assert.ok(b > 800, `b still waits for a's window: ${b}`);
  });

  test("pause: no slot before it ends, and a shorter pause does not shorten it", async () => {
    const key = uniqueKey("pause");
    await store.pause(key, 600);
    await store.pause(key, 100);
    const delay = delayOf(await store.reserve(key, { limit: 5, windowMs: 1000, id: newId() }));
    assert.ok(delay > 500 && delay <= 600, `delay ${delay}`);
    const rejected = await store.reserve(key, {
      limit: 5,
      windowMs: 1000,
      maxWaitMs: 100,
      id: newId(),
    });
    assert.equal(rejected.rejected, true);
  });

  test("keys are namespaced, share a cluster hash slot, and expire", async () => {
    const key = uniqueKey("keys");
    await store.reserve(key, { limit: 1, windowMs: 1000, id: "a" });
    await store.reserve(key, { limit: 1, windowMs: 1000, id: "b" });
    await store.pause(key, 300);
    const base = `${DEFAULT_KEY_PREFIX}{${key}}`;
    const ttl = await suite.redis.pttl(base);
    // Until the last slot (≈ 1000 ms ahead) leaves its window, plus 1 s.
    assert.ok(ttl > 2500 && ttl <= 3000, `pttl ${ttl}`);
    const pauseTtl = await suite.redis.pttl(`${base}:pause`);
    assert.ok(pauseTtl > 0 && pauseTtl <= 300, `pause pttl ${pauseTtl}`);
    const all = await suite.redis.keys(`${base}*`);
    assert.deepEqual(all.sort(), [base, `${base}:pause`]);
  });

  test("separate keys and key prefixes have separate budgets", async () => {
    const key = uniqueKey("separate");
    const other = createRedisRateLimitStore({
      client: fromIoredis(suite.redis),
      keyPrefix: "other:",
    });
    assert.equal(delayOf(await store.reserve(key, { limit: 1, windowMs: 1000, id: "a" })), 0);
    assert.equal(delayOf(await other.reserve(key, { limit: 1, windowMs: 1000, id: "a" })), 0);
    assert.equal(
      delayOf(await store.reserve(`${key}-2`, { limit: 1, windowMs: 1000, id: "a" })),
      0,
    );
  });
});
