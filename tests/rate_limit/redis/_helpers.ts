/**
 * Shared set-up of the Redis store tests: a throwaway redis-server and
 * ioredis clients that reconnect fast and fail fast while it is down.
 *
 * @module
 */
import { after, before } from "node:test";
import { Redis } from "ioredis";
import { fromIoredis, type RedisEval } from "../../../src/rate_limit/redis/mod.ts";
import { type RedisServer, startRedisServer } from "../../helpers/redis_server.ts";

export { type RedisServer, redisSkipReason, startRedisServer } from "../../helpers/redis_server.ts";

/**
 * A throwaway redis-server and a {@link testRedis} client for the tests of the `describe` this is
 * called in: both start before its first test and stop after its last.
 */
export function suiteRedis(): { readonly server: RedisServer; readonly redis: Redis } {
  const suite = {} as { server: RedisServer; redis: Redis };
  before(async () => {
    suite.server = await startRedisServer();
    suite.redis = testRedis(suite.server.port);
  });
  after(async () => {
    suite.redis?.disconnect();
    await suite.server?.stop();
  });
  return suite;
}

/** An ioredis client for tests: fast reconnects, commands fail at once while offline. */
export function testRedis(port: number, options: { offlineQueue?: boolean } = {}): Redis {
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: false,
    enableOfflineQueue: options.offlineQueue ?? true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  redis.on("error", () => {}); // connection errors surface through the commands
  return redis;
}

/** A {@link RedisEval} that counts how often each command ran. */
export function countingEval(
  redis: Redis,
): RedisEval & { counts: { evalsha: number; eval: number } } {
  const inner = fromIoredis(redis);
  const counts = { evalsha: 0, eval: 0 };
  return {
    counts,
    evalsha(sha, keys, args) {
      counts.evalsha++;
      return inner.evalsha(sha, keys, args);
    },
    eval(script, keys, args) {
      counts.eval++;
      return inner.eval(script, keys, args);
    },
  };
}

let sequence = 0;

/** A fresh limiter key per test (keys carry a token hash, never a token). */
export function uniqueKey(label: string): string {
  sequence++;
  return `http://127.0.0.1 tok-${label}-${Date.now().toString(36)}-${sequence} sb-1`;
}

/** A fresh reservation id. */
export function newId(): string {
  return crypto.randomUUID();
}
