/**
 * The `reconnect` attach option: what it may hold, its defaults, and the check that turns it
 * into a {@link ReconnectPolicy}. The behaviour is in ./pty_reconnect.ts.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors/invalid_argument_error.ts";
import { assertIntegerInRange } from "../validate.ts";

/** How a dropped connection is re-attached. All durations in milliseconds. */
export interface ReconnectOptions {
  /** How long to keep trying after a drop, in all. Default 60 000. */
  maxElapsedMs?: number;
  /** The backoff before the second try (the first is at once); it doubles. Default 100. */
  initialDelayMs?: number;
  /** The largest backoff (each one is drawn at random below it: full jitter). Default 2 000. */
  maxDelayMs?: number;
  /**
   * A connection that receives nothing for this long after input was sent is taken as dropped
   * (a half-open TCP connection reports nothing). `0` turns it off. Default 15 000, the
   * interval at which Tensorlake's own tunnel client pings.
   */
  silenceMs?: number;
  /** Most input bytes queued while disconnected; past it writers wait. Default 1 MiB. */
  maxQueuedInputBytes?: number;
}

/** The keys of {@link ReconnectOptions}. */
const RECONNECT_KEYS = [
  "maxElapsedMs",
  "initialDelayMs",
  "maxDelayMs",
  "silenceMs",
  "maxQueuedInputBytes",
] as const;

/** {@link ReconnectOptions} with every default filled in. */
export type ReconnectPolicy = Required<ReconnectOptions>;

const DEFAULTS: ReconnectPolicy = {
  maxElapsedMs: 60_000,
  initialDelayMs: 100,
  maxDelayMs: 2_000,
  silenceMs: 15_000,
  maxQueuedInputBytes: 1_048_576,
};

/** Checks the `reconnect` attach option and fills in the defaults; `undefined` when off. */
export function reconnectPolicy(value: unknown): ReconnectPolicy | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { ...DEFAULTS };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      "options.reconnect",
      value,
      "must be true, false or { maxElapsedMs?, initialDelayMs?, maxDelayMs?, silenceMs?, " +
        "maxQueuedInputBytes? }",
    );
  }
  const policy = { ...DEFAULTS };
  for (const key of Object.keys(value)) {
    if (!(RECONNECT_KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(
        `options.reconnect.${key}`,
        undefined,
        `is not an option (known: ${RECONNECT_KEYS.join(", ")})`,
      );
    }
  }
  for (const key of RECONNECT_KEYS) {
    const given = (value as ReconnectOptions)[key];
    if (given === undefined) continue;
    const min = key === "silenceMs" ? 0 : key === "maxQueuedInputBytes" ? 1024 : 1;
    assertIntegerInRange(`options.reconnect.${key}`, given, min, 2 ** 31 - 1);
    policy[key] = given;
  }
  return policy;
}
