/**
 * The one thing the Redis store needs from a Redis client: running a Lua
 * script by SHA and by source. Adapters for ioredis and `@upstash/redis`;
 * any other client fits by implementing {@link RedisEval} in a few lines.
 * Types are structural: nothing here depends on a Redis package.
 *
 * @module
 */

/**
 * Runs Lua scripts. `evalsha` must reject with an error whose message starts
 * with `NOSCRIPT` when the server does not know the script (after a restart
 * or `SCRIPT FLUSH`); the store then falls back to `eval`, which also loads it.
 *
 * @example Adapting node-redis (v4+)
 * ```ts
 * import type { RedisEval } from "@sandgate/sdk/redis";
 * interface NodeRedisLike {
 *   evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
 *   eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
 * }
 * function fromNodeRedis(client: NodeRedisLike): RedisEval {
 *   return {
 *     evalsha: (sha, keys, args) => client.evalSha(sha, { keys, arguments: args }),
 *     eval: (script, keys, args) => client.eval(script, { keys, arguments: args }),
 *   };
 * }
 * console.log(typeof fromNodeRedis);
 * ```
 */
export interface RedisEval {
  /** `EVALSHA sha numkeys ...keys ...args`. */
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  /** `EVAL script numkeys ...keys ...args`. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * The part of an ioredis client (`new Redis()`, `new Redis.Cluster()`) the
 * store uses.
 *
 * @example
 * ```ts
 * import type { IoredisLike } from "@sandgate/sdk/redis";
 * const fake: IoredisLike = {
 *   evalsha: () => Promise.resolve([0, 0]),
 *   eval: () => Promise.resolve([0, 0]),
 * };
 * console.log(typeof fake.evalsha);
 * ```
 */
export interface IoredisLike {
  /** ioredis `evalsha(sha, numKeys, ...keysAndArgs)`. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** ioredis `eval(script, numKeys, ...keysAndArgs)`. */
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/**
 * The part of an `@upstash/redis` client (HTTP, for edge runtimes) the store
 * uses.
 *
 * @example
 * ```ts
 * import type { UpstashLike } from "@sandgate/sdk/redis";
 * const fake: UpstashLike = {
 *   evalsha: () => Promise.resolve([0, 0]),
 *   eval: () => Promise.resolve([0, 0]),
 * };
 * console.log(typeof fake.eval);
 * ```
 */
export interface UpstashLike {
  /** `redis.evalsha(sha, keys, args)`. */
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  /** `redis.eval(script, keys, args)`. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * Wraps an ioredis client (Node, Bun, Deno via npm).
 *
 * @example
 * ```ts ignore
 * import Redis from "ioredis";
 * import { createRedisRateLimitStore, fromIoredis } from "@sandgate/sdk/redis";
 * const store = createRedisRateLimitStore({ client: fromIoredis(new Redis(process.env.REDIS_URL!)) });
 * ```
 */
export function fromIoredis(client: IoredisLike): RedisEval {
  return {
    evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
    eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
  };
}

/**
 * Wraps an `@upstash/redis` client (Cloudflare Workers, Vercel Edge, Deno Deploy).
 *
 * @example
 * ```ts ignore
 * import { Redis } from "@upstash/redis";
 * import { createRedisRateLimitStore, fromUpstash } from "@sandgate/sdk/redis";
 * const store = createRedisRateLimitStore({ client: fromUpstash(Redis.fromEnv()) });
 * ```
 */
export function fromUpstash(redis: UpstashLike): RedisEval {
  return {
    evalsha: (sha, keys, args) => redis.evalsha(sha, keys, args),
    eval: (script, keys, args) => redis.eval(script, keys, args),
  };
}

/**
 * Whether a client error means "script not loaded" (restart, `SCRIPT FLUSH`).
 *
 * @example
 * ```ts
 * import { isNoScriptError } from "./client.ts";
 * console.log(isNoScriptError(new Error("NOSCRIPT No matching script."))); // true
 * ```
 */
export function isNoScriptError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /\bNOSCRIPT\b/.test(message);
}
