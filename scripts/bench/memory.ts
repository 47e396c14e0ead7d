/**
 * Heap measurement helpers: force a full GC when the runtime allows it
 * (`--v8-flags=--expose-gc`) and read the used heap.
 *
 * @module
 */

/** Whether {@link heapUsed} can force a GC first (otherwise numbers are noisier). */
export const canForceGc = typeof (globalThis as { gc?: unknown }).gc === "function";

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Used heap in bytes, after forced full GCs when possible. Yields to the
 * event loop between collections: `WeakRef` targets stay alive until the
 * current job ends and `FinalizationRegistry` callbacks run in later tasks,
 * so a collection in the same turn would count garbage as live.
 *
 * @example
 * ```ts
 * import { heapUsed } from "./memory.ts";
 * console.log((await heapUsed()) > 0);
 * ```
 */
export async function heapUsed(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    await turn();
    gc?.();
  }
  return Deno.memoryUsage().heapUsed;
}
