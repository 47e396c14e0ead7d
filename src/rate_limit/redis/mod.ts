/**
 * A Redis-backed rate-limit store, so that every process, worker and CI job
 * sharing one API token shares one budget (the gateways allow 20 requests per
 * 60 s per token and sandbox). A separate entry point: the core SDK stays
 * free of Redis code, and this module depends on no Redis package; bring
 * ioredis, `@upstash/redis` or any client that can run a Lua script.
 *
 * @example Node, Bun or Deno with ioredis
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import { createRedisRateLimitStore, fromIoredis } from "@sandgate/sdk/redis";
 *
 * const store = createRedisRateLimitStore({
 *   client: fromIoredis(new Redis(process.env.REDIS_URL!)),
 *   failurePolicy: "fail-closed",
 * });
 * const client = createPrimeIntellectClient({ rateLimit: { store } });
 * ```
 *
 * @example Edge runtimes with `@upstash/redis`
 * ```ts ignore
 * import { Redis } from "@upstash/redis";
 * import { createTensorlakeClient } from "@sandgate/sdk";
 * import { createRedisRateLimitStore, fromUpstash } from "@sandgate/sdk/redis";
 *
 * const store = createRedisRateLimitStore({ client: fromUpstash(Redis.fromEnv()) });
 * const client = createTensorlakeClient({ sandbox: "sb-1", rateLimit: { store } });
 * ```
 *
 * @module
 */
export {
  fromIoredis,
  fromUpstash,
  type IoredisLike,
  type RedisEval,
  type UpstashLike,
} from "./client.ts";
export type { FailurePolicy } from "./failure_policy.ts";
export { RATE_LIMIT_SCRIPT, rateLimitScriptSha } from "./script.ts";
export {
  createRedisRateLimitStore,
  DEFAULT_KEY_PREFIX,
  type RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  type StoreErrorInfo,
} from "./store.ts";
export { RateLimitStoreError, SandgateError } from "../../errors.ts";
export type { Clock } from "../../util/clock.ts";
export type { RateLimitStore, Reservation, ReserveRequest } from "../store.ts";
