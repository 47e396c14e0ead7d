/**
 * Simulates a fleet sharing one rate-limit budget through the Redis store, on a virtual clock, so
 * that the 60 s gateway window can be measured without waiting for it (the real-Redis fleet test
 * uses a 2 s window). The booking rule is the store contract's (the in-memory store implements the
 * same rule as the Redis Lua script); latencies are drawn from a seeded PRNG. `npm run bench`
 * reports {@link SCENARIOS} (section 6 of BENCHMARKS.md).
 *
 * @module
 */
import { createMemoryRateLimitStore } from "../src/rate_limit/memory_store.ts";
import { systemClock } from "../src/util/clock.ts";
import { mulberry32 } from "../src/testing/prng.ts";

type Range = [min: number, max: number];
/** One simulated run; ranges are `[min, max]` in milliseconds. */
const DEFAULTS = {
  processes: 8,
  callsPerProcess: 25, // concurrent, all started at once
  limit: 20, // the gateway's, per window
  windowMs: 60_000,
  marginMs: 500, // client-side, added to the window
  startSkewMs: 200, // the largest process start skew
  redisRttMs: [0.2, 3] as Range,
  timerLateMs: [0, 5] as Range, // lateness after the local sleep
  networkMs: [5, 80] as Range, // client → gateway
  seed: 1,
};
/** Options of {@link simulateFleet}, each defaulting as {@link DEFAULTS}. */
export type FleetSimOptions = Partial<typeof DEFAULTS>;

/**
 * Runs one scenario and says what the gateway saw: the calls made, the most arrivals in any
 * gateway window, the calls it would have answered 429, the first-to-last arrival span, and two
 * bounds on that span: `idealMs` (`(⌈calls / limit⌉ − 1) × (window + margin)`, the best a safe
 * client can do) and `gatewayBoundMs` (the same with the gateway's window alone).
 */
export function simulateFleet(options: FleetSimOptions = {}) {
  const o = { ...DEFAULTS, ...options };
  const random = mulberry32(o.seed);
  const between = ([min, max]: Range) => min + (max - min) * random();

  // Each call reaches Redis at `booking`; the script runs at that instant.
  const calls: { booking: number; rttBack: number }[] = [];
  for (let p = 0; p < o.processes; p++) {
    const start = random() * o.startSkewMs;
    for (let c = 0; c < o.callsPerProcess; c++) {
      const rtt = between(o.redisRttMs);
      calls.push({ booking: start + rtt / 2, rttBack: rtt / 2 });
    }
  }
  calls.sort((a, b) => a.booking - b.booking);

  let now = 0;
  const store = createMemoryRateLimitStore({ clock: { now: () => now, sleep: systemClock.sleep } });
  const booking = { limit: o.limit, windowMs: o.windowMs + o.marginMs };
  const arrivals = calls.map((call, id) => {
    now = call.booking;
    const reservation = store.reserve("fleet", { ...booking, id: String(id) });
    if (reservation.rejected) throw new Error("unexpected rejection without maxWaitMs");
    const send = call.booking + call.rttBack + reservation.delayMs + between(o.timerLateMs);
    return send + between(o.networkMs);
  }).sort((a, b) => a - b);

  // The gateway: `limit` accepted per window, by arrival.
  const accepted: number[] = [];
  let [tooMany, first, maxInWindow, start] = [0, 0, 0, 0];
  for (const [end, t] of arrivals.entries()) {
    while (first < accepted.length && accepted[first]! <= t - o.windowMs) first++;
    if (accepted.length - first >= o.limit) tooMany++;
    else accepted.push(t);
    while (arrivals[start]! <= t - o.windowMs) start++;
    maxInWindow = Math.max(maxInWindow, end - start + 1);
  }
  const batches = Math.ceil(arrivals.length / o.limit) - 1;
  return {
    calls: arrivals.length,
    maxInWindow,
    tooMany,
    spanMs: arrivals.at(-1)! - arrivals[0]!,
    idealMs: batches * (o.windowMs + o.marginMs),
    gatewayBoundMs: batches * o.windowMs,
  };
}

/** The scenarios reported in BENCHMARKS.md. */
export const SCENARIOS: [name: string, options: FleetSimOptions][] = [
  ["8 × 25 calls, 60 s window, 500 ms margin", {}],
  [
    "100 × 1 000 calls (84 h simulated), 60 s window, 500 ms margin",
    { processes: 100, callsPerProcess: 1_000 },
  ],
  ["32 × 25 calls, 60 s window, 500 ms margin", { processes: 32, callsPerProcess: 25 }],
  ["8 × 25 calls, 400 ms network jitter, 500 ms margin", { networkMs: [5, 405] }],
  ["8 × 25 calls, 80 ms network jitter, no margin", { marginMs: 0 }],
];
