/**
 * Benchmark 5: heap growth over many calls of the high-level client against
 * the in-process emulator, with the default limiter, retries and timeout.
 * The client and the emulator share a manual clock that advances by one
 * limiter slot per call ((60 000 + 500) / 20 ms), so the budget is used in
 * full but nothing ever waits; calls alternate `exposePort` and `unexpose`
 * so that the emulator's own state stays the same size.
 *
 * @module
 */
import { PrimeIntellect } from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { canForceGc, heapUsed } from "./machine.ts";

/** Results of benchmark 5. */
export interface HeapResult {
  /** Calls made (expose and unexpose each count as one). */
  calls: number;
  /** Heap used (bytes, after GC) at each tenth of the run. */
  checkpoints: Array<{ calls: number; heapBytes: number }>;
  /** Heap growth from the first checkpoint (after warm-up) to the end, in bytes. */
  growthBytes: number;
  /** Growth per call over that stretch, in bytes. */
  bytesPerCall: number;
  /** Whether a full GC was forced before each reading. */
  forcedGc: boolean;
}

/**
 * Runs `calls` calls and reads the heap ten times.
 *
 * @example
 * ```ts ignore
 * import { benchHeapGrowth } from "./heap_growth.ts";
 * console.log(await benchHeapGrowth(1000));
 * ```
 */
export async function benchHeapGrowth(calls: number): Promise<HeapResult> {
  const clock = new FakeClock(1_700_000_000_000);
  const emulator = createEmulator({ clock, rateLimit: false });
  const prime = new PrimeIntellect({
    apiKey: "bench-key",
    baseUrl: "http://127.0.0.1:1",
    fetch: emulator.fetch,
    clock,
  });
  const sandbox = prime.sandbox("sb-bench");
  const step = (60_000 + 500) / 20;
  const checkpoints: HeapResult["checkpoints"] = [];
  const every = Math.max(2, Math.floor(calls / 10 / 2) * 2);
  for (let done = 0; done < calls; done += 2) {
    if (done % every === 0) checkpoints.push({ calls: done, heapBytes: await heapUsed() });
    clock.tick(step);
    const exposure = await sandbox.exposePort({ port: 8080 });
    clock.tick(step);
    const { alreadyGone } = await exposure.unexpose();
    if (alreadyGone) throw new Error("emulator lost an exposure");
  }
  checkpoints.push({ calls, heapBytes: await heapUsed() });
  const first = checkpoints[1] ?? checkpoints[0]!;
  const last = checkpoints[checkpoints.length - 1]!;
  const growthBytes = last.heapBytes - first.heapBytes;
  return {
    calls,
    checkpoints,
    growthBytes,
    bytesPerCall: growthBytes / Math.max(1, last.calls - first.calls),
    forcedGc: canForceGc,
  };
}
