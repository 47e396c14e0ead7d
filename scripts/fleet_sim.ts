/**
 * Simulates a fleet sharing one rate-limit budget through the Redis store,
 * on a virtual clock, so that the 60 s gateway window can be measured
 * without waiting for it (the real-Redis fleet test uses a 2 s window). The
 * booking rule is the store contract's (the in-memory store implements the
 * same rule as the Redis Lua script); latencies are drawn from a seeded PRNG.
 *
 * `npm run bench` reports {@link SCENARIOS} (section 6 of BENCHMARKS.md).
 *
 * @module
 */
import { createMemoryRateLimitStore } from "../src/rate_limit/memory_store.ts";
import { systemClock } from "../src/util/clock.ts";
import { mulberry32 } from "../src/testing/prng.ts";

/** One simulated run. */
export interface FleetSimOptions {
  /** Processes sharing the budget. Default 8. */
  processes?: number;
  /** Concurrent calls per process, all started at once. Default 25. */
  callsPerProcess?: number;
  /** Gateway limit per window. Default 20. */
  limit?: number;
  /** Gateway window in milliseconds. Default 60 000. */
  windowMs?: number;
  /** Client-side margin added to the window. Default 500. */
  marginMs?: number;
  /** Largest process start skew in milliseconds. Default 200. */
  startSkewMs?: number;
  /** Redis round trip range `[min, max]` in milliseconds. Default [0.2, 3]. */
  redisRttMs?: [number, number];
  /** Timer lateness range after the local sleep. Default [0, 5]. */
  timerLateMs?: [number, number];
  /** Client → gateway latency range. Default [5, 80]. */
  networkMs?: [number, number];
  /** PRNG seed. Default 1. */
  seed?: number;
}

/** What the gateway saw. */
export interface FleetSimResult {
  /** Calls made. */
  calls: number;
  /** Most arrivals in any gateway window. */
  maxInWindow: number;
  /** Calls the gateway would have answered 429. */
  tooMany: number;
  /** First to last arrival, in milliseconds. */
  spanMs: number;
  /** `(⌈calls / limit⌉ − 1) × (window + margin)`: the best a safe client can do. */
  idealMs: number;
  /** `(⌈calls / limit⌉ − 1) × window`: the gateway's own bound. */
  gatewayBoundMs: number;
}

/**
 * Runs one scenario.
 *
 * @example
 * ```ts
 * import { simulateFleet } from "./fleet_sim.ts";
 * const result = simulateFleet({ processes: 8, callsPerProcess: 25 });
 * console.log(result.tooMany, result.maxInWindow, result.spanMs / result.idealMs);
 * ```
 */
export function simulateFleet(options: FleetSimOptions = {}): FleetSimResult {
  const processes = options.processes ?? 8;
  const perProcess = options.callsPerProcess ?? 25;
  const limit = options.limit ?? 20;
  const windowMs = options.windowMs ?? 60_000;
  const marginMs = options.marginMs ?? 500;
  const random = mulberry32(options.seed ?? 1);
  const between = ([min, max]: [number, number]) => min + (max - min) * random();

  // Each call reaches Redis at `booking`; the script runs at that instant.
  const calls: { booking: number; rttBack: number }[] = [];
  for (let p = 0; p < processes; p++) {
    const start = random() * (options.startSkewMs ?? 200);
    for (let c = 0; c < perProcess; c++) {
      const rtt = between(options.redisRttMs ?? [0.2, 3]);
      calls.push({ booking: start + rtt / 2, rttBack: rtt / 2 });
    }
  }
  calls.sort((a, b) => a.booking - b.booking);

  let now = 0;
  const store = createMemoryRateLimitStore({ clock: { now: () => now, sleep: systemClock.sleep } });
  const arrivals: number[] = [];
  let id = 0;
  for (const call of calls) {
    now = call.booking;
    const reservation = store.reserve("fleet", {
      limit,
      windowMs: windowMs + marginMs,
      id: String(id++),
    });
    if (reservation.rejected) throw new Error("unexpected rejection without maxWaitMs");
    const send = call.booking + call.rttBack + reservation.delayMs +
      between(options.timerLateMs ?? [0, 5]);
    arrivals.push(send + between(options.networkMs ?? [5, 80]));
  }
  arrivals.sort((a, b) => a - b);

  // The gateway: `limit` accepted per window, by arrival.
  const accepted: number[] = [];
  let tooMany = 0;
  let first = 0;
  for (const t of arrivals) {
    while (first < accepted.length && accepted[first]! <= t - windowMs) first++;
    if (accepted.length - first >= limit) tooMany++;
    else accepted.push(t);
  }
  let maxInWindow = 0;
  let start = 0;
  for (let end = 0; end < arrivals.length; end++) {
    while (arrivals[start]! <= arrivals[end]! - windowMs) start++;
    maxInWindow = Math.max(maxInWindow, end - start + 1);
  }
  const batches = Math.ceil(arrivals.length / limit) - 1;
  return {
    calls: arrivals.length,
    maxInWindow,
    tooMany,
    spanMs: arrivals[arrivals.length - 1]! - arrivals[0]!,
    idealMs: batches * (windowMs + marginMs),
    gatewayBoundMs: batches * windowMs,
  };
}

/** The scenarios reported in BENCHMARKS.md. */
export const SCENARIOS: { name: string; options: FleetSimOptions }[] = [
  { name: "8 × 25 calls, 60 s window, 500 ms margin", options: {} },
  {
    name: "100 × 1 000 calls (84 h simulated), 60 s window, 500 ms margin",
    options: { processes: 100, callsPerProcess: 1_000 },
  },
  {
    name: "32 × 25 calls, 60 s window, 500 ms margin",
    options: { processes: 32, callsPerProcess: 25 },
  },
  {
    name: "8 × 25 calls, 400 ms network jitter, 500 ms margin",
    options: { networkMs: [5, 405] },
  },
  {
    name: "8 × 25 calls, 80 ms network jitter, no margin",
    options: { marginMs: 0 },
  },
];
