/**
 * The Redis store keeps working when Redis forgets the script (`SCRIPT
 * FLUSH`) or restarts: `EVALSHA` answers `NOSCRIPT` and the store falls back
 * to `EVAL`, which loads the script again.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createRedisRateLimitStore,
  RateLimitStoreError,
} from "../../../src/rate_limit/redis/mod.ts";
import { countingEval, newId, redisSkipReason, suiteRedis, uniqueKey } from "./_helpers.ts";

const skip = redisSkipReason();

describe("Redis store across SCRIPT FLUSH and restarts", { skip }, () => {
  const suite = suiteRedis();

  test("SCRIPT FLUSH mid-run: the next call reloads the script with EVAL, then EVALSHA again", async () => {
    const client = countingEval(suite.redis);
    const store = createRedisRateLimitStore({ client });
    const key = uniqueKey("flush");
    const request = () => ({ limit: 2, windowMs: 1000, id: newId() });
    await store.reserve(key, request()); // first use: NOSCRIPT → EVAL
    assert.deepEqual(client.counts, { evalsha: 1, eval: 1 });
    await store.reserve(key, request());
    assert.deepEqual(client.counts, { evalsha: 2, eval: 1 });

    await suite.redis.script("FLUSH");
    const third = await store.reserve(key, request());
    assert.deepEqual(client.counts, { evalsha: 3, eval: 2 });
    // The bookings survived the flush: the third call waits for the first slot.
    assert.ok(!third.rejected && third.delayMs > 800 && third.delayMs <= 1000);
    await store.reserve(key, request());
    assert.deepEqual(client.counts, { evalsha: 4, eval: 2 });
  });

  test("Redis restart mid-run: fail-closed while it is down, working again after it is back", async () => {
    const client = countingEval(suite.redis);
    const errors: string[] = [];
    const store = createRedisRateLimitStore({
      client,
      timeoutMs: 1000,
      onStoreError: (info) => errors.push(`${info.operation}:${info.fallback}`),
    });
    const key = uniqueKey("restart");
    const request = () => ({ limit: 5, windowMs: 1000, id: newId() });
    assert.equal((await store.reserve(key, request())).rejected, false);

    await suite.server.stop();
    await assert.rejects(store.reserve(key, request()), RateLimitStoreError);
    assert.deepEqual(errors, ["reserve:none"]);

    await suite.server.start();
    const evalsBefore = client.counts.eval;
    // ioredis reconnects by itself (every 50 ms here); the new server has no scripts.
    let reservation;
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        reservation = await store.reserve(key, request());
        break;
      } catch (error) {
        assert.ok(error instanceof RateLimitStoreError);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.ok(reservation, "the store did not recover after the restart");
    assert.deepEqual(reservation, { rejected: false, delayMs: 0 }); // data is gone with the restart
    assert.equal(client.counts.eval, evalsBefore + 1, "NOSCRIPT path taken once");
    assert.equal((await store.reserve(key, request())).rejected, false);
    assert.equal(client.counts.eval, evalsBefore + 1);
  });
});
