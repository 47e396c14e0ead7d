/**
 * Benchmark 4: the in-memory rate-limit store on a simulated clock, booked as the middleware
 * books it (limit 20, window 60 s + 500 ms margin): mitata's per-call `reserve` cost with 10 to
 * 100 000 live keys, and the heap those keys hold before and after they go idle.
 *
 * @module
 */
import { measure } from "mitata";
import { createMemoryRateLimitStore } from "../../src/rate_limit/memory_store.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { canForceGc, heapUsed, mib } from "./machine.ts";

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
 * Per-call cost (ns, mitata p50) with `keys` live keys: calls cycle over the keys while the clock
 * advances so that each key sees one call per window / limit, as a fully used budget does.
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
  const { p50 } = await measure(call, { min_cpu_time: quick ? 1e6 : 1e9 });
  return { "live keys": keys, "ns / call (p50)": Math.round(p50) };
}

/** Heap with `keys` keys touched once, then after they idled while 10 other keys kept busy. */
async function idleMemory(keys: number) {
  const { clock, store, reserve } = newStore();
  const before = await heapUsed();
  for (let k = 0; k < keys; k++) reserve(`https://api.test|tok|sb-${k}`, `m${k}`);
  const withKeys = (await heapUsed()) - before;
  const keysHeld = store.size;
  clock.tick(2 * WINDOW);
  for (let i = 0; i < keys; i++) {
    clock.tick(WINDOW / LIMIT / 10);
    reserve(`https://api.test|tok|active-${i % 10}`, `a${i}`);
  }
  const retained = (await heapUsed()) - before;
  const perKey = (withKeys / keys).toFixed(0);
  return [
    [`${keys} keys touched once`, `${mib(withKeys)} MiB (${perKey} B/key), ${keysHeld} keys held`],
    [
      `after they went idle and ${keys} calls on 10 other keys`,
      `${mib(retained)} MiB retained, ${store.size} keys held`,
    ],
  ].map(([what, value]) => ({ [`memory${canForceGc ? " (after forced GC)" : ""}`]: what, value }));
}

/** Runs benchmark 4: per-call rows, their flatness (largest / smallest cost) and memory rows. */
export async function benchLimiter(quick: boolean) {
  // An unmeasured round first: otherwise the first key count measured pays the JIT's warm-up.
  await perCallCost(1_000, true);
  const perCall = [];
  for (const keys of quick ? [10, 1_000] : [10, 1_000, 100_000]) {
    perCall.push(await perCallCost(keys, quick));
  }
  const costs = perCall.map((p) => p["ns / call (p50)"]);
  const flatness = Math.max(...costs) / Math.min(...costs);
  return { perCall, flatness, memory: await idleMemory(quick ? 1_000 : 100_000) };
}
