/**
 * Benchmark 4: the in-memory rate-limit store on a simulated clock (no real waits), booked as
 * the rate-limit middleware books it (limit 20, window 60 s + 500 ms margin): mitata's per-call
 * `reserve` cost with 10 to 100 000 live keys, and the heap those keys hold before and after they
 * go idle. Utilisation and sends above the limit are section 6's (`scripts/fleet_sim.ts`).
 *
 * @module
 */
import { measure } from "mitata";
import { createMemoryRateLimitStore } from "../../src/rate_limit/memory_store.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { canForceGc, heapUsed } from "./machine.ts";

/** Results of benchmark 4. */
export interface LimiterResult {
  /** Per-call `reserve` cost (ns, mitata p50) with N keys live. */
  perCall: { keys: number; nsPerCall: number }[];
  /** Largest / smallest per-call cost over the key counts. */
  flatness: number;
  /** Heap with `keys` keys touched once, and after they went idle. */
  memory: {
    keys: number;
    bytesPerKey: number;
    heapWithKeysBytes: number;
    retainedAfterIdleBytes: number;
    keysHeld: number;
    keysHeldAfterIdle: number;
    forcedGc: boolean;
  };
}

const LIMIT = 20;
const WINDOW = 60_000 + 500;

function newStore() {
  const clock = new FakeClock(1_700_000_000_000);
  const store = createMemoryRateLimitStore({ clock });
  const reserve = (key: string, id: string) =>
    store.reserve(key, { limit: LIMIT, windowMs: WINDOW, id });
  return { clock, store, reserve };
}

/**
 * Per-call cost with `keys` live keys: calls cycle over the keys while the clock advances so
 * that each key sees one call per window / limit, the steady state of a fully used budget.
 */
async function perCallCost(keys: number, quick: boolean) {
  const { clock, reserve } = newStore();
  const names = Array.from({ length: keys }, (_, k) => `https://api.test|tok|sb-${k}`);
  const ids = Array.from({ length: 1 << 16 }, (_, i) => `c${i}`);
  const step = WINDOW / LIMIT / keys;
  let i = 0;
  const call = () => {
    clock.tick(step);
    reserve(names[i % keys]!, ids[i++ & 0xffff]!);
  };
  for (let w = keys * LIMIT; w > 0; w--) call();
  return { keys, nsPerCall: (await measure(call, { min_cpu_time: quick ? 1e6 : 1e9 })).p50 };
}

/** Heap with `keys` keys touched once, then after they idled while 10 other keys kept busy. */
async function idleMemory(keys: number): Promise<LimiterResult["memory"]> {
  const { clock, store, reserve } = newStore();
  const before = await heapUsed();
  for (let k = 0; k < keys; k++) reserve(`https://api.test|tok|sb-${k}`, `m${k}`);
  const withKeys = await heapUsed();
  const keysHeld = store.size;
  clock.tick(2 * WINDOW);
  for (let i = 0; i < keys; i++) {
    clock.tick(WINDOW / LIMIT / 10);
    reserve(`https://api.test|tok|active-${i % 10}`, `a${i}`);
  }
  return {
    keys,
    bytesPerKey: (withKeys - before) / keys,
    heapWithKeysBytes: withKeys - before,
    retainedAfterIdleBytes: (await heapUsed()) - before,
    keysHeld,
    keysHeldAfterIdle: store.size,
    forcedGc: canForceGc,
  };
}

/** Runs benchmark 4. */
export async function benchLimiter(quick: boolean): Promise<LimiterResult> {
  const perCall = [];
  for (const keys of quick ? [10, 1_000] : [10, 1_000, 100_000]) {
    perCall.push(await perCallCost(keys, quick));
  }
  const costs = perCall.map((p) => p.nsPerCall);
  return {
    perCall,
    flatness: Math.max(...costs) / Math.min(...costs),
    memory: await idleMemory(quick ? 1_000 : 100_000),
  };
}
