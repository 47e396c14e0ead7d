/**
 * The targets of issue 8 and how each result is judged against them.
 *
 * @module
 */
import type { FleetSimResult } from "../fleet_sim.ts";
import type { BundleRow } from "./bundle.ts";
import type { HeapResult } from "./heap_growth.ts";
import type { ImportResult } from "./import_time.ts";
import type { LimiterResult } from "./limiter.ts";
import type { OverheadResult } from "./overhead.ts";

/** One target and whether it was met. */
export interface Verdict {
  /** What is promised. */
  target: string;
  /** What was measured. */
  measured: string;
  /** Met, missed, or not measured. */
  status: "met" | "missed" | "not measured";
}

/** Everything one run measures. */
export interface Results {
  /** Benchmark 1. */
  overhead: OverheadResult;
  /** Benchmark 2. */
  bundle: BundleRow[];
  /** Benchmark 3. */
  importTime: ImportResult;
  /** Benchmark 4. */
  limiter: LimiterResult;
  /** Benchmark 5. */
  heap: HeapResult;
  /** Benchmark 6: a fleet sharing one budget (Redis store rule), simulated at 60 s. */
  sharedFleet: { name: string; result: FleetSimResult }[];
}

/** Largest ratio of high-level `exposePort` to bare openapi-fetch (loopback). */
export const MAX_CALL_RATIO = 1.10;
/** Largest min+gz bundle of the full client, in bytes (9 kB, 1 kB = 1 000 bytes). */
export const MAX_BUNDLE_GZIP = 9_000;
/** Largest import time on Node, in ms. */
export const MAX_NODE_IMPORT_MS = 15;
/** Smallest budget utilisation. */
export const MIN_UTILISATION = 0.99;
/** Largest per-call cost at 100 000 keys over the cost at 10 keys ("flat"). */
export const MAX_FLATNESS = 2;
/** Largest heap growth per call once warm (bytes): anything above is a leak. */
export const MAX_BYTES_PER_CALL = 16;

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/**
 * Judges every result against its target.
 *
 * @example
 * ```ts ignore
 * import { verdicts } from "./targets.ts";
 * console.log(verdicts(results));
 * ```
 */
export function verdicts(r: Results): Verdict[] {
  const out: Verdict[] = [];
  const high = r.overhead.loopback.find((row) => row.name.includes("high-level"));
  out.push({
    target: `high-level exposePort ≤ ${
      MAX_CALL_RATIO.toFixed(2)
    }× bare openapi-fetch (loopback, p50 and mean)`,
    measured: high
      ? `p50 ${high.ratioP50.toFixed(2)}×, mean ${high.ratioMean.toFixed(2)}×`
      : "no high-level row",
    status: !high
      ? "not measured"
      : high.ratioP50 <= MAX_CALL_RATIO && high.ratioMean <= MAX_CALL_RATIO
      ? "met"
      : "missed",
  });
  const full = r.bundle.find((row) => row.name.startsWith("full client"));
  out.push({
    target: `full client ≤ ${MAX_BUNDLE_GZIP / 1000} kB min+gz incl. openapi-fetch`,
    measured: full ? `${(full.gzipBytes / 1000).toFixed(2)} kB` : "not bundled",
    status: !full ? "not measured" : full.gzipBytes <= MAX_BUNDLE_GZIP ? "met" : "missed",
  });
  const node = r.importTime.rows.find((row) => row.runtime.startsWith("node"));
  out.push({
    target: `import of npm/ on Node ≤ ${MAX_NODE_IMPORT_MS} ms (median, in-process)`,
    measured: node ? `${node.importMs.toFixed(1)} ms` : r.importTime.notBuilt ?? "not measured",
    status: !node ? "not measured" : node.importMs <= MAX_NODE_IMPORT_MS ? "met" : "missed",
  });
  const f = r.limiter.fleet;
  out.push({
    target: `budget utilisation ≥ ${MIN_UTILISATION * 100} %`,
    measured: `${pct(f.utilisation)} (ceiling with the 500 ms margin: ${
      pct(f.utilisationCeiling)
    })`,
    status: f.utilisation >= MIN_UTILISATION ? "met" : "missed",
  });
  out.push({
    target: "requests above the limit = 0",
    measured: `${f.aboveLimit} of ${f.sent} (smallest 20-send span ${f.minGapMs} ms)`,
    status: f.aboveLimit === 0 ? "met" : "missed",
  });
  out.push({
    target: `per-call limiter cost flat from 10 to 100 000 keys (≤ ${MAX_FLATNESS}×)`,
    measured: `${r.limiter.flatness.toFixed(2)}× (${
      r.limiter.perCall.map((p) => `${p.keys} keys: ${Math.round(p.nsPerCall)} ns`).join(", ")
    })`,
    status: r.limiter.flatness <= MAX_FLATNESS ? "met" : "missed",
  });
  out.push({
    target: `heap bounded over ${r.heap.calls} calls (≤ ${MAX_BYTES_PER_CALL} B/call once warm)`,
    measured: `${r.heap.bytesPerCall.toFixed(1)} B/call (${
      (r.heap.growthBytes / 1024).toFixed(0)
    } KiB)`,
    status: r.heap.bytesPerCall <= MAX_BYTES_PER_CALL ? "met" : "missed",
  });
  // Scenarios with the default margin must keep the gateway within its limit.
  const withMargin = r.sharedFleet.filter(({ name }) => !name.includes("no margin"));
  const worst = Math.max(...withMargin.map(({ result }) => result.maxInWindow));
  const rejected = withMargin.reduce((sum, { result }) => sum + result.tooMany, 0);
  const slowest = Math.max(...withMargin.map(({ result }) => result.spanMs / result.idealMs));
  out.push({
    target:
      "shared Redis budget at 60 s (simulated fleet): ≤ 20 per window, 0 × 429, ≤ 1.10× ideal",
    measured: `most in a window ${worst}, ${rejected} × 429, ${slowest.toFixed(4)}× ideal`,
    status: withMargin.length === 0
      ? "not measured"
      : worst <= 20 && rejected === 0 && slowest <= 1.1
      ? "met"
      : "missed",
  });
  return out;
}
