/**
 * A {@link RateLimitStore} shared through Redis: every process that uses the
 * same Redis and key prefix draws from one budget per limiter key.
 *
 * @module
 */
import { oneLine, RateLimitStoreError } from "../../errors.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { createMemoryRateLimitStore } from "../memory_store.ts";
import type { RateLimitStore, Reservation, ReserveRequest } from "../store.ts";
import { isNoScriptError, type RedisEval } from "./client.ts";
import { checkFailurePolicy, type FailurePolicy, localLimit } from "./failure_policy.ts";
import { RATE_LIMIT_SCRIPT, rateLimitScriptSha } from "./script.ts";

/**
 * Default prefix of every key the store writes.
 *
 * @example
 * ```ts
 * import { DEFAULT_KEY_PREFIX } from "@sandgate/sdk/redis";
 * console.log(DEFAULT_KEY_PREFIX); // sandgate:rl:
 * ```
 */
export const DEFAULT_KEY_PREFIX = "sandgate:rl:";

/**
 * Passed to `onStoreError` each time Redis fails a call.
 *
 * @example
 * ```ts
 * import type { StoreErrorInfo } from "@sandgate/sdk/redis";
 * const log = (info: StoreErrorInfo) => console.warn(info.operation, info.fallback, info.error.message);
 * console.log(typeof log);
 * ```
 */
export interface StoreErrorInfo {
  /** The store call that failed. */
  operation: "reserve" | "confirm" | "release" | "pause";
  /** The limiter key (origin, token hash, sandbox; never a token). */
  key: string;
  /** What went wrong; its `cause` is the client's error. */
  error: RateLimitStoreError;
  /**
   * What happened instead: `"local"` when the in-memory limiter took over,
   * `"none"` when the call failed (`"fail-closed"`) or the failure was ignored
   * (a `release` or `pause` that could not reach Redis).
   */
  fallback: "local" | "none";
}

/**
 * The store {@link createRedisRateLimitStore} returns: every call is one
 * round trip to Redis.
 *
 * @example
 * ```ts
 * import { createRedisRateLimitStore, type RedisRateLimitStore } from "@sandgate/sdk/redis";
 * const store: RedisRateLimitStore = createRedisRateLimitStore({
 *   client: { evalsha: () => Promise.resolve([0, 0]), eval: () => Promise.resolve([0, 0]) },
 * });
 * await store.release("k", "id");
 * ```
 */
export interface RedisRateLimitStore extends RateLimitStore {
  /** Books the earliest slot with room in its window, or rejects a wait beyond `maxWaitMs`. */
  reserve(key: string, request: ReserveRequest): Promise<Reservation>;
  /** Times a slot from the send once its wait is over, or books anew (`RateLimitStore.confirm`). */
  confirm(key: string, request: ReserveRequest): Promise<Reservation>;
  /** Gives back a booked slot that is still in the future. */
  release(key: string, id: string): Promise<void>;
  /** No slot of `key` before `forMs` from now. */
  pause(key: string, forMs: number): Promise<void>;
}

/**
 * Options of {@link createRedisRateLimitStore}.
 *
 * @example
 * ```ts
 * import type { RedisRateLimitStoreOptions } from "@sandgate/sdk/redis";
 * const options: Omit<RedisRateLimitStoreOptions, "client"> = {
 *   keyPrefix: "myapp:rl:",
 *   failurePolicy: { mode: "local", fleetSize: 4 },
 *   timeoutMs: 500,
 * };
 * console.log(options.keyPrefix);
 * ```
 */
export interface RedisRateLimitStoreOptions {
  /** Runs the Lua script: `fromIoredis(new Redis())`, `fromUpstash(Redis.fromEnv())`, … */
  client: RedisEval;
  /** Prefix of every key written. Default `"sandgate:rl:"`. */
  keyPrefix?: string;
  /** What to do when Redis fails. Default `"fail-closed"`. */
  failurePolicy?: FailurePolicy;
  /** How long one Redis call may take before it counts as failed. Default 2 000 ms. */
  timeoutMs?: number;
  /**
   * Called on every Redis failure. Without it, the first failure of each
   * outage is reported with `console.warn` (message only, never a token).
   */
  onStoreError?: (info: StoreErrorInfo) => void;
  /** Time source of the call timeout and of the `"local"` fallback. */
  clock?: Clock;
}

/**
 * Creates a rate-limit store backed by Redis: a sliding-window log with
 * reservations, one sorted set per limiter key, booked atomically by one Lua
 * script in one round trip per call, timed by the Redis server's clock. At
 * most `limit` sends fall in any window across every process sharing the
 * Redis, first come first served; callers sleep locally until their slot.
 *
 * Scripts run by `EVALSHA`, falling back to `EVAL` after a Redis restart or
 * `SCRIPT FLUSH`. Keys (`<prefix>{<limiter key>}` and `…:pause`) expire by
 * themselves; on Redis Cluster both keys of a limiter share a hash slot.
 *
 * @example Share one budget across processes with ioredis
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import { createRedisRateLimitStore, fromIoredis } from "@sandgate/sdk/redis";
 *
 * const store = createRedisRateLimitStore({
 *   client: fromIoredis(new Redis(process.env.REDIS_URL!)),
 *   failurePolicy: { mode: "local", fleetSize: 8 },
 * });
 * const client = createPrimeIntellectClient({ rateLimit: { store } });
 * ```
 *
 * @example With any client that can run a script
 * ```ts
 * import { createRedisRateLimitStore } from "@sandgate/sdk/redis";
 * const store = createRedisRateLimitStore({
 *   client: {
 *     evalsha: () => Promise.resolve([0, 250]),
 *     eval: () => Promise.resolve([0, 250]),
 *   },
 * });
 * console.log(await store.reserve("k", { limit: 20, windowMs: 60_500, id: "1" }));
 * // { rejected: false, delayMs: 250 }
 * ```
 */
export function createRedisRateLimitStore(
  options: RedisRateLimitStoreOptions,
): RedisRateLimitStore {
  const client = options.client;
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const policy = checkFailurePolicy(options.failurePolicy ?? "fail-closed");
  const timeoutMs = options.timeoutMs ?? 2_000;
  const clock = options.clock ?? systemClock;
  const memory = policy === "fail-closed" ? undefined : createMemoryRateLimitStore({ clock });
  const local = memory && policy !== "fail-closed"
    ? {
      reserve: (key: string, request: ReserveRequest) =>
        memory.reserve(key, { ...request, limit: localLimit(request.limit, policy.fleetSize) }),
      confirm: (key: string, request: ReserveRequest) =>
        memory.confirm(key, { ...request, limit: localLimit(request.limit, policy.fleetSize) }),
      release: (key: string, id: string) => memory.release(key, id),
      pause: (key: string, forMs: number) => memory.pause(key, forMs),
    }
    : undefined;
  let warned = false;
  /** When the current Redis outage began (clock ms), while the "local" fallback is in use. */
  let outageSince: number | undefined;

  const keysOf = (key: string): string[] => {
    const base = `${prefix}{${key.replace(/[{}]/g, "_")}}`;
    return [base, `${base}:pause`];
  };

  const run = async (keys: string[], args: string[]): Promise<unknown> => {
    const sha = await rateLimitScriptSha();
    try {
      return await client.evalsha(sha, keys, args);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return await client.eval(RATE_LIMIT_SCRIPT, keys, args);
    }
  };

  const call = async (
    operation: StoreErrorInfo["operation"],
    key: string,
    args: string[],
  ): Promise<[number, number]> => {
    const timer = new AbortController();
    let reply: unknown;
    try {
      reply = await Promise.race([
        run(keysOf(key), args),
        clock.sleep(timeoutMs, timer.signal).then(() => {
          throw new Error(`no answer within ${timeoutMs} ms`);
        }, () => new Promise<never>(() => {})),
      ]);
    } catch (cause) {
      throw new RateLimitStoreError(
        `Redis rate-limit store: ${operation} failed: ${
          oneLine(cause instanceof Error ? cause.message : String(cause)) || "unknown error"
        }`,
        { cause },
      );
    } finally {
      timer.abort();
    }
    const parsed = parseReply(reply);
    if (!parsed) {
      throw new RateLimitStoreError(
        `Redis rate-limit store: ${operation} failed: unexpected reply from the script`,
      );
    }
    warned = false;
    outageSince = undefined;
    return parsed;
  };

  const report = (
    operation: StoreErrorInfo["operation"],
    key: string,
    error: unknown,
    fallback: StoreErrorInfo["fallback"],
  ): RateLimitStoreError => {
    const storeError = error instanceof RateLimitStoreError
      ? error
      : new RateLimitStoreError(`Redis rate-limit store: ${operation} failed`, { cause: error });
    if (options.onStoreError) {
      options.onStoreError({ operation, key, error: storeError, fallback });
    } else if (!warned) {
      warned = true;
      const then = fallback === "local" ? "throttling in memory" : "calls fail until it answers";
      console.warn(`sandgate: ${storeError.message}; ${then}`);
    }
    return storeError;
  };

  const book = async (
    operation: "reserve" | "confirm",
    key: string,
    request: ReserveRequest,
  ): Promise<Reservation> => {
    const maxWait = request.maxWaitMs;
    const args = [
      operation,
      String(Math.max(1, Math.floor(request.limit))),
      String(Math.max(1, Math.ceil(request.windowMs))),
      String(maxWait === undefined || !Number.isFinite(maxWait) ? -1 : Math.max(0, maxWait)),
      request.id,
    ];
    try {
      const [rejected, ms] = await call(operation, key, args);
      return rejected === 1
        ? { rejected: true, retryAfterMs: ms }
        : { rejected: false, delayMs: ms };
    } catch (error) {
      const storeError = report(operation, key, error, local ? "local" : "none");
      if (!local) throw storeError;
      // The fleet may have used the whole shared budget just before Redis went away,
      // and no process can know: the in-memory window starts full, so the first
      // local send of an outage comes one window after it began.
      outageSince ??= clock.now();
      memory!.pause(key, outageSince + request.windowMs - clock.now());
      return operation === "confirm" ? local.confirm(key, request) : local.reserve(key, request);
    }
  };

  return {
    reserve: (key: string, request: ReserveRequest) => book("reserve", key, request),

    confirm: (key: string, request: ReserveRequest) => book("confirm", key, request),

    async release(key: string, id: string): Promise<void> {
      local?.release(key, id);
      try {
        await call("release", key, ["release", id]);
      } catch (error) {
        report("release", key, error, "none");
      }
    },

    async pause(key: string, forMs: number): Promise<void> {
      local?.pause(key, forMs);
      try {
        await call("pause", key, ["pause", String(Math.max(0, Math.ceil(forMs)))]);
      } catch (error) {
        report("pause", key, error, local ? "local" : "none");
      }
    },
  };
}

function parseReply(reply: unknown): [number, number] | undefined {
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  const first = Number(reply[0]);
  const second = Number(reply[1]);
  if (!Number.isFinite(first) || !Number.isFinite(second) || second < 0) return undefined;
  return [first, second];
}
