/**
 * Benchmark 4: the client-side rate limiter on a simulated clock (no real
 * waits). A fleet of callers books slots in the in-memory store exactly as
 * the rate-limit middleware does (limit 20, window 60 s + 500 ms margin) and
 * sends at `now + delayMs`; an independent sliding-window check over the
 * send times counts requests above the limit, and utilisation compares the
 * achieved rate with 20 / 60 s.
 *
 * @module
 */
import type { RateLimitStore, Reservation } from "../../mod.ts";
import { type ManualClock, manualClock } from "./fake_clock.ts";
import { canForceGc, heapUsed } from "./memory.ts";
import { MinHeap } from "./min_heap.ts";
import { importOptional } from "./optional.ts";

/** How to make the store under test. */
export interface StoreFactory {
  /** Where it comes from, for the report. */
  name: string;
  /** A fresh store on `clock`. */
  create(clock: ManualClock): RateLimitStore;
  /** Drops idle keys, if the store exposes a way to (otherwise eviction is lazy). */
  evict?(store: RateLimitStore): void;
}

/** Simulation parameters. */
export interface FleetParams {
  /** Sandboxes (one limiter key each). */
  sandboxes: number;
  /** Calls per sandbox. */
  callsPerSandbox: number;
  /** Concurrent callers per sandbox. */
  callersPerSandbox: number;
  /** Simulated response latency before a caller issues its next call (ms). */
  latencyMs: number;
}

/** Results of benchmark 4. */
export interface LimiterResult {
  /** Store measured. */
  store: string;
  /** Fleet simulation. */
  fleet: FleetParams & {
    /** Calls sent. */
    sent: number;
    /** Achieved rate / (limit / 60 s), over all sandboxes. */
    utilisation: number;
    /** Best possible with the margin: 60 000 / 60 500. */
    utilisationCeiling: number;
    /** Sends beyond 20 in some 60 s window (independent check). */
    aboveLimit: number;
    /** Smallest gap between a send and the 20th send before it, in ms (≥ 60 000 is safe). */
    minGapMs: number;
    /** Simulated span in hours. */
    simulatedHours: number;
    /** Wall time of the simulation in seconds. */
    wallSeconds: number;
  };
  /** Per-call `reserve` cost (ns) with N keys live. */
  perCall: Array<{ keys: number; calls: number; nsPerCall: number }>;
  /** Largest / smallest per-call cost over the key counts. */
  flatness: number;
  /** Heap (bytes) with 100 000 live keys and after they all went idle. */
  memory: {
    keys: number;
    heapBeforeBytes: number;
    heapWithKeysBytes: number;
    heapAfterIdleBytes: number;
    bytesPerKey: number;
    retainedAfterIdleBytes: number;
    keysHeld: number;
    keysHeldAfterIdle: number;
    forcedGc: boolean;
  };
}

function sizeOf(store: RateLimitStore): number {
  const size = (store as { size?: unknown }).size;
  return typeof size === "number" ? size : NaN;
}

const LIMIT = 20;
const WINDOW = 60_000;
const MARGIN = 500;

/** Finds the default in-memory store, or falls back to the Redis module's local store. */
export async function loadStore(): Promise<StoreFactory> {
  const memory = await importOptional("src/middleware/memory_store.ts");
  if (memory) {
    for (const [name, value] of Object.entries(memory)) {
      if (typeof value !== "function" || !/memory/i.test(name)) continue;
      const isClass = /^class\s/.test(Function.prototype.toString.call(value));
      const make = (clock: ManualClock) =>
        isClass
          ? new (value as new (o: unknown) => RateLimitStore)({ clock })
          : (value as (o: unknown) => RateLimitStore)({ clock });
      return { name: `src/middleware/memory_store.ts ${name}`, create: make };
    }
  }
  const local = await importOptional("src/redis/local_store.ts");
  const create = local?.createLocalStore as
    | ((clock: ManualClock) => RateLimitStore)
    | undefined;
  if (!create) throw new Error("no in-memory RateLimitStore found");
  return { name: "src/redis/local_store.ts createLocalStore (memory_store.ts missing)", create };
}

/** Books as the middleware does; resolves synchronously for synchronous stores. */
function reserve(
  store: RateLimitStore,
  key: string,
  id: string,
): Reservation | Promise<Reservation> {
  return store.reserve(key, { limit: LIMIT, windowMs: WINDOW + MARGIN, id });
}

/**
 * Simulates the fleet: every caller loops reserve → send at `now + delayMs`
 * → response after `latencyMs` → next reserve, in simulated-time order.
 */
export async function simulateFleet(
  factory: StoreFactory,
  params: FleetParams,
): Promise<LimiterResult["fleet"]> {
  const t0 = performance.now();
  const clock = manualClock(1_700_000_000_000);
  const store = factory.create(clock);
  const { sandboxes, callsPerSandbox, callersPerSandbox, latencyMs } = params;
  const callers = sandboxes * callersPerSandbox;
  const heap = new MinHeap(callers);
  const issued = new Int32Array(sandboxes);
  const sends = Array.from({ length: sandboxes }, () => new Float64Array(callsPerSandbox));
  const keys = Array.from({ length: sandboxes }, (_, s) => `https://api.test|tok|sb-${s}`);
  for (let c = 0; c < callers; c++) heap.push(clock.time, c);
  let seq = 0;
  while (heap.size > 0) {
    const caller = heap.pop();
    clock.time = heap.time;
    const s = caller % sandboxes;
    if (issued[s]! >= callsPerSandbox) continue;
    let r = reserve(store, keys[s]!, `r${seq++}`);
    if (r instanceof Promise) r = await r;
    if (r.rejected) throw new Error("unexpected rejection (no maxWaitMs set)");
    const sendAt = clock.time + r.delayMs;
    sends[s]![issued[s]!++] = sendAt;
    heap.push(sendAt + latencyMs, caller);
  }
  let aboveLimit = 0;
  let minGap = Infinity;
  let after = 0;
  let span = 0;
  for (const times of sends) {
    times.sort();
    for (let i = LIMIT; i < times.length; i++) {
      const gap = times[i]! - times[i - LIMIT]!;
      if (gap < minGap) minGap = gap;
      if (gap < WINDOW) aboveLimit++;
    }
    after += times.length - LIMIT;
    span += times[times.length - 1]! - times[0]!;
  }
  return {
    ...params,
    sent: sandboxes * callsPerSandbox,
    utilisation: (after / span) / (LIMIT / WINDOW),
    utilisationCeiling: WINDOW / (WINDOW + MARGIN),
    aboveLimit,
    minGapMs: minGap,
    simulatedHours: span / sandboxes / 3_600_000,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Per-call `reserve` cost with `keys` live keys: calls cycle over the keys
 * while the clock advances so that each key sees one call per
 * (window + margin) / limit, the steady state of a fully used budget.
 */
export async function perCallCost(
  factory: StoreFactory,
  keys: number,
  calls: number,
): Promise<{ keys: number; calls: number; nsPerCall: number }> {
  const clock = manualClock(1_700_000_000_000);
  const store = factory.create(clock);
  const names = Array.from({ length: keys }, (_, k) => `https://api.test|tok|sb-${k}`);
  const step = (WINDOW + MARGIN) / LIMIT / keys;
  let seq = 0;
  const warm = Math.max(keys * LIMIT, Math.min(calls, 100_000));
  const warmStart = performance.now();
  for (let i = 0; i < warm; i++) {
    // A pathological store must not stall the run: cap the warm-up at 30 s.
    if (i % 10_000 === 0 && performance.now() - warmStart > 30_000) break;
    clock.time += step;
    const r = reserve(store, names[i % keys]!, `w${seq++}`);
    if (r instanceof Promise) await r;
  }
  const ids = Array.from({ length: calls }, (_, i) => `c${seq + i}`);
  const t0 = performance.now();
  let done = 0;
  // Timed in chunks, stopping after 15 s so that a slow store still reports a number.
  while (done < calls && performance.now() - t0 < 15_000) {
    const end = Math.min(calls, done + 10_000);
    for (let i = done; i < end; i++) {
      clock.time += step;
      const r = reserve(store, names[i % keys]!, ids[i]!);
      if (r instanceof Promise) await r;
    }
    done = end;
  }
  const ns = ((performance.now() - t0) * 1e6) / done;
  return { keys, calls: done, nsPerCall: ns };
}

/**
 * Heap with `keys` keys touched once, then after they went idle while traffic
 * continued on 10 other keys for `keys` calls (the memory store forgets idle
 * keys lazily, a few per call, with no timers).
 */
export async function idleMemory(
  factory: StoreFactory,
  keys: number,
): Promise<LimiterResult["memory"]> {
  const clock = manualClock(1_700_000_000_000);
  const before = await heapUsed();
  let store: RateLimitStore | undefined = factory.create(clock);
  for (let k = 0; k < keys; k++) {
    const r = reserve(store, `https://api.test|tok|sb-${k}`, `m${k}`);
    if (r instanceof Promise) await r;
  }
  const withKeys = await heapUsed();
  const sizeWithKeys = sizeOf(store);
  clock.time += 2 * (WINDOW + MARGIN);
  factory.evict?.(store);
  for (let i = 0; i < keys; i++) {
    clock.time += (WINDOW + MARGIN) / LIMIT / 10;
    const r = reserve(store, `https://api.test|tok|active-${i % 10}`, `a${i}`);
    if (r instanceof Promise) await r;
  }
  const sizeAfterIdle = sizeOf(store);
  const afterIdle = await heapUsed();
  store = undefined;
  return {
    keys,
    heapBeforeBytes: before,
    heapWithKeysBytes: withKeys,
    heapAfterIdleBytes: afterIdle,
    bytesPerKey: (withKeys - before) / keys,
    retainedAfterIdleBytes: afterIdle - before,
    keysHeld: sizeWithKeys,
    keysHeldAfterIdle: sizeAfterIdle,
    forcedGc: canForceGc,
  };
}

/**
 * Runs benchmark 4.
 *
 * @example
 * ```ts ignore
 * import { benchLimiter } from "./limiter.ts";
 * console.log(await benchLimiter({ quick: true }));
 * ```
 */
export async function benchLimiter(options: { quick: boolean }): Promise<LimiterResult> {
  const factory = await loadStore();
  const fleet = await simulateFleet(
    factory,
    options.quick
      ? { sandboxes: 10, callsPerSandbox: 200, callersPerSandbox: 4, latencyMs: 100 }
      : { sandboxes: 1_000, callsPerSandbox: 10_000, callersPerSandbox: 4, latencyMs: 100 },
  );
  const perCall = [];
  for (const keys of options.quick ? [10, 1_000] : [10, 1_000, 100_000]) {
    perCall.push(await perCallCost(factory, keys, options.quick ? 20_000 : 2_000_000));
  }
  const costs = perCall.map((p) => p.nsPerCall);
  const memory = await idleMemory(factory, options.quick ? 1_000 : 100_000);
  return {
    store: factory.name,
    fleet,
    perCall,
    flatness: Math.max(...costs) / Math.min(...costs),
    memory,
  };
}
