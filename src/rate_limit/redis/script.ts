/**
 * The Lua script behind the Redis rate-limit store: a sliding-window log with
 * reservations on one sorted set per limiter key, timed by the Redis server's
 * own clock (`TIME`), so that the processes sharing it may have skewed clocks.
 *
 * @module
 */
import { digestHex } from "../../util/hash.ts";

/**
 * The script. `KEYS[1]` is the sorted set of booked send times (member: the
 * reservation id, score: its slot in Redis milliseconds); `KEYS[2]` holds the
 * end of a pause. `ARGV[1]` picks the operation:
 *
 * - `reserve limit windowMs maxWaitMs id` → `{0, delayMs}` after booking the
 *   earliest slot `t ≥ now` with fewer than `limit` bookings in `(t − window, t]`
 *   and not before a pause ends, or `{1, retryAfterMs}` without booking when
 *   the wait would exceed `maxWaitMs` (negative: no limit);
 * - `confirm limit windowMs maxWaitMs id` → `{0, 0}` after moving the booking
 *   `id` to now when fewer than `limit` bookings lie in `(now − window, now]`
 *   and no pause holds; otherwise books it at the earliest time the past
 *   bookings and the pause allow (see `RateLimitStore.confirm`: slots timed
 *   from the send, not the booking);
 * - `release id` → `{removed, 0}`: removes the booking if its slot is still in
 *   the future (a slot whose time has come may have been used);
 * - `pause forMs` → `{0, forMs}`: no slot before now + `forMs`.
 *
 * Booking at `max(now, entries[n − limit] + window)` (entries sorted by slot)
 * leaves at most `limit − 1` other bookings after `t − window`, so no window
 * holding `t` ever holds more than `limit`.
 *
 * @example Preload it (optional: the store loads it on first use)
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { RATE_LIMIT_SCRIPT } from "@sandgate/sdk/redis";
 * await new Redis().script("LOAD", RATE_LIMIT_SCRIPT);
 * ```
 */
export const RATE_LIMIT_SCRIPT = `-- sandgate rate limit v2
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local op = ARGV[1]
local function book(limit, window, maxWait, id)
  local n = redis.call('ZCARD', KEYS[1])
  local slot = now
  if n >= limit then
    local entry = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
    slot = math.max(now, tonumber(entry[2]) + window)
  end
  local paused = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  if paused > slot then slot = paused end
  local delay = slot - now
  if maxWait >= 0 and delay > maxWait then return {1, delay} end
  redis.call('ZADD', KEYS[1], string.format('%.0f', slot), id)
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local latest = math.max(slot, tonumber(last[2]))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', latest - now + window + 1000))
  return {0, delay}
end
if op == 'reserve' or op == 'confirm' then
  local limit = tonumber(ARGV[2])
  local window = tonumber(ARGV[3])
  local maxWait = tonumber(ARGV[4])
  local id = ARGV[5]
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
  if op == 'confirm' then
    redis.call('ZREM', KEYS[1], id)
    local due = redis.call('ZCOUNT', KEYS[1], '-inf', string.format('%.0f', now))
    local paused = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
    local slot = math.max(now, paused)
    if due >= limit then
      local entry = redis.call('ZRANGE', KEYS[1], due - limit, due - limit, 'WITHSCORES')
      slot = math.max(slot, tonumber(entry[2]) + window)
    end
    local delay = slot - now
    if maxWait >= 0 and delay > maxWait then return {1, delay} end
    redis.call('ZADD', KEYS[1], string.format('%.0f', slot), id)
    local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
    redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(last[2]) - now + window + 1000))
    return {0, delay}
  end
  return book(limit, window, maxWait, id)
elseif op == 'release' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if score and tonumber(score) > now then
    return {redis.call('ZREM', KEYS[1], ARGV[2]), 0}
  end
  return {0, 0}
elseif op == 'pause' then
  local forMs = math.max(0, math.floor(tonumber(ARGV[2])))
  local untilMs = now + forMs
  local current = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  if forMs > 0 and untilMs > current then
    redis.call('SET', KEYS[2], string.format('%.0f', untilMs), 'PX', string.format('%.0f', forMs))
  end
  return {0, forMs}
end
return redis.error_reply('sandgate rate limit: unknown operation')
`;

let shaPromise: Promise<string> | undefined;

/**
 * SHA-1 of {@link RATE_LIMIT_SCRIPT} in hex, as `EVALSHA` wants it; computed
 * once with Web Crypto.
 *
 * @example
 * ```ts
 * import { rateLimitScriptSha } from "@sandgate/sdk/redis";
 * console.log((await rateLimitScriptSha()).length); // 40
 * ```
 */
export function rateLimitScriptSha(): Promise<string> {
  shaPromise ??= digestHex("SHA-1", RATE_LIMIT_SCRIPT);
  return shaPromise;
}
