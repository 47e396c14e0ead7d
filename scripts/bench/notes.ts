/**
 * Hand-written analysis that BENCHMARKS.md carries next to the numbers:
 * why a target is missed and what would fix it. Keep it about causes, not
 * about numbers (those change every run).
 *
 * @module
 */

/** Notes per section of the report. */
export const NOTES: Partial<
  Record<"overhead" | "bundle" | "import" | "limiter" | "heap", string>
> = {};
