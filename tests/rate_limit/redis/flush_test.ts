/**
 * A Redis `FLUSHALL` mid-window wipes the shared budget: Redis then answers
 * "send now" to everyone. A process still never goes beyond what it alone
 * has sent in the window (the limiter's own record of its sends), so the
 * flush can at most let other processes' sends be forgotten, never its own.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createPrimeIntellectClient, RateLimitedError } from "../../../mod.ts";
import { createRedisRateLimitStore, fromIoredis } from "../../../src/rate_limit/redis/mod.ts";
import { redisSkipReason, suiteRedis } from "./_helpers.ts";

const skip = redisSkipReason();
const PATH = "/api/v1/sandbox/{sandbox_id}/expose" as const;

describe("Redis FLUSHALL mid-window", { skip }, () => {
  const suite = suiteRedis();

  test("after a FLUSHALL, a process sends no more than the limit within the window it already used", async () => {
    const sent: number[] = [];
    const fetch = (request: Request) => {
      sent.push(Date.now());
      void request.body?.cancel();
      return Promise.resolve(Response.json({ exposures: [] }));
    };
    const store = createRedisRateLimitStore({ client: fromIoredis(suite.redis) });
    const client = createPrimeIntellectClient({
      apiKey: "flush-token",
      fetch,
      retry: false,
      // A minute's window (the test never waits for it) and no waiting beyond 1 s.
      rateLimit: { store, limit: 3, windowMs: 60_000, maxWaitMs: 1_000 },
    });
    const list = () => client.GET(PATH, { params: { path: { sandbox_id: "sb-flush" } } });
    for (let i = 0; i < 3; i++) assert.equal((await list()).response.status, 200);
    assert.equal(sent.length, 3);

    // Without the flush the 4th call is refused by Redis itself; after it, Redis says "go".
    await suite.redis.flushall();
    const after = await Promise.allSettled([list(), list(), list()]);
    assert.equal(sent.length, 3, "nothing beyond this process's own 3 sends in the window");
    for (const outcome of after) {
      assert.equal(outcome.status, "rejected");
      const error = (outcome as PromiseRejectedResult).reason;
      assert.ok(error instanceof RateLimitedError, String(error));
      assert.equal(error.source, "client");
      assert.ok(error.retryAfterMs! > 1_000, `a slot ${error.retryAfterMs} ms away`);
    }
  });
});
