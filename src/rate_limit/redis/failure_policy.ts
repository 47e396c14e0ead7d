/**
 * What the Redis store does when Redis cannot be reached or errors: refuse to
 * send (`"fail-closed"`), or throttle with an in-process limiter whose limit
 * is the shared one divided by the fleet size (`"local"`). It never sends
 * unthrottled.
 *
 * @module
 */
import { ConfigError } from "../../errors.ts";

/**
 * - `"fail-closed"`: the call fails with `RateLimitStoreError`; nothing is sent.
 * - `{ mode: "local", fleetSize }`: each process keeps `floor(limit / fleetSize)`
 *   (at least 1) per window in memory until Redis answers again.
 *
 * @example
 * ```ts
 * import type { FailurePolicy } from "@sandgate/sdk/redis";
 * const strict: FailurePolicy = "fail-closed";
 * const degrade: FailurePolicy = { mode: "local", fleetSize: 8 };
 * console.log(strict, degrade.mode);
 * ```
 */
export type FailurePolicy = "fail-closed" | { mode: "local"; fleetSize: number };

/**
 * The limit one process may use under the `"local"` policy.
 *
 * @example
 * ```ts
 * import { localLimit } from "./failure_policy.ts";
 * console.log(localLimit(20, 8)); // 2
 * ```
 */
export function localLimit(limit: number, fleetSize: number): number {
  return Math.max(1, Math.floor(limit / fleetSize));
}

/**
 * Throws `ConfigError` unless `policy` is one of the documented shapes.
 *
 * @example
 * ```ts
 * import { checkFailurePolicy } from "./failure_policy.ts";
 * console.log(checkFailurePolicy({ mode: "local", fleetSize: 4 }));
 * ```
 */
export function checkFailurePolicy(policy: unknown): FailurePolicy {
  if (policy === "fail-closed") return policy;
  if (typeof policy === "object" && policy !== null) {
    const { mode, fleetSize } = policy as { mode?: unknown; fleetSize?: unknown };
    if (
      mode === "local" && typeof fleetSize === "number" && Number.isInteger(fleetSize) &&
      fleetSize >= 1
    ) {
      return { mode, fleetSize };
    }
  }
  throw new ConfigError(
    'failurePolicy: must be "fail-closed" or { mode: "local", fleetSize: <integer ≥ 1> }',
  );
}
