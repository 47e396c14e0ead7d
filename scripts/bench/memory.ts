/**
 * Heap measurement helpers: force a full GC when the runtime allows it
 * (`--v8-flags=--expose-gc`) and read the used heap.
 *
 * @module
 */

/** Whether {@link heapUsed} can force a GC first (otherwise numbers are noisier). */
export const canForceGc = typeof (globalThis as { gc?: unknown }).gc === "function";

/**
 * Used heap in bytes, after a forced full GC when possible.
 *
 * @example
 * ```ts
 * import { heapUsed } from "./memory.ts";
 * console.log(heapUsed() > 0);
 * ```
 */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return Deno.memoryUsage().heapUsed;
}
