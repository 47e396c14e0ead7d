/**
 * Summary statistics and an interleaved timing loop for `scripts/bench.ts`.
 *
 * Variants are timed in alternating rounds (A B C D, B C D A, …) rather than
 * one after another, so a slow patch of a noisy machine hits every variant
 * alike and the ratios between them stay stable.
 *
 * @module
 */

/** Mean and percentiles of a sample, in the sample's unit. */
export interface Summary {
  /** Number of samples. */
  n: number;
  /** Arithmetic mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 99th percentile (nearest rank). */
  p99: number;
  /** Smallest sample. */
  min: number;
}

/**
 * Summarises samples (copied, not mutated).
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * console.log(summarize([1, 2, 3]).p50); // 2
 * ```
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { n, mean: NaN, p50: NaN, p99: NaN, min: NaN };
  let sum = 0;
  for (const x of sorted) sum += x;
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
  return { n, mean: sum / n, p50: rank(0.5), p99: rank(0.99), min: sorted[0]! };
}

/**
 * Median of samples.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * console.log(median([5, 1, 3])); // 3
 * ```
 */
export function median(samples: readonly number[]): number {
  return summarize(samples).p50;
}

/** One async operation to time. */
export interface Variant {
  /** Label in the report. */
  name: string;
  /** Performs one call; must fully consume its response. */
  run(): Promise<unknown>;
}

/** Options of {@link timeInterleaved}. */
export interface InterleaveOptions {
  /** Untimed calls per variant before timing starts. */
  warmup: number;
  /** Rounds; each round times `batch` calls of every variant. */
  rounds: number;
  /** Calls per variant per round. */
  batch: number;
}

/**
 * Times each call of each variant in interleaved rounds, rotating the order
 * every round. Returns per-call latencies in microseconds, by variant name.
 *
 * @example
 * ```ts
 * import { timeInterleaved } from "./stats.ts";
 * const out = await timeInterleaved([{ name: "noop", run: () => Promise.resolve() }], {
 *   warmup: 1,
 *   rounds: 2,
 *   batch: 3,
 * });
 * console.log(out.get("noop")!.length); // 6
 * ```
 */
export async function timeInterleaved(
  variants: readonly Variant[],
  options: InterleaveOptions,
): Promise<Map<string, number[]>> {
  for (const variant of variants) {
    for (let i = 0; i < options.warmup; i++) await variant.run();
  }
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(round + k) % variants.length]!;
      const out = samples.get(variant.name)!;
      for (let i = 0; i < options.batch; i++) {
        const t0 = performance.now();
        await variant.run();
        out.push((performance.now() - t0) * 1000);
      }
    }
  }
  return samples;
}

/**
 * Whether every number in a (nested) result is finite: what `--quick` asserts.
 *
 * @example
 * ```ts
 * import { nonFinitePaths } from "./stats.ts";
 * console.log(nonFinitePaths({ a: 1, b: [NaN] })); // ["b.0"]
 * ```
 */
export function nonFinitePaths(value: unknown, path = ""): string[] {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (value === null || typeof value !== "object") return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    out.push(...nonFinitePaths(child, path ? `${path}.${key}` : key));
  }
  return out;
}
