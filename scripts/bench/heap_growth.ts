/**
 * Benchmark 5: heap growth over many calls of the high-level client (default limiter, retries,
 * timeout) against the in-process emulator, both on a manual clock advanced one limiter slot per
 * call, so the budget is used in full but nothing waits.
 *
 * @module
 */
import { PrimeIntellect } from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { canForceGc, heapUsed, mib } from "./machine.ts";

/**
 * Runs `calls` calls (expose and unexpose count one each), reads the heap at each tenth, and
 * gives the growth per call from the first checkpoint after warm-up to the end.
 */
export async function benchHeapGrowth(calls: number) {
  const clock = new FakeClock(1_700_000_000_000);
  const emulator = createEmulator({ clock, rateLimit: false });
  const sandbox = new PrimeIntellect({
    apiKey: "bench-key",
    baseUrl: "http://127.0.0.1:1",
    fetch: emulator.fetch,
    clock,
  }).sandbox("sb-bench");
  const step = (60_000 + 500) / 20;
  const checkpoints: { calls: number; heapBytes: number }[] = [];
  const every = Math.max(2, Math.floor(calls / 10 / 2) * 2);
  for (let done = 0; done < calls; done += 2) {
    if (done % every === 0) checkpoints.push({ calls: done, heapBytes: await heapUsed() });
    clock.tick(step);
    const exposure = await sandbox.exposePort({ port: 8000 });
    clock.tick(step);
    if ((await exposure.unexpose()).alreadyGone) throw new Error("emulator lost an exposure");
  }
  checkpoints.push({ calls, heapBytes: await heapUsed() });
  const first = checkpoints[1] ?? checkpoints[0]!;
  const last = checkpoints.at(-1)!;
  const growthBytes = last.heapBytes - first.heapBytes;
  const bytesPerCall = growthBytes / Math.max(1, last.calls - first.calls);
  return {
    calls,
    bytesPerCall,
    rows: checkpoints.map((c) => ({ calls: c.calls, "heap MiB": mib(c.heapBytes) })),
    summary: `Growth after warm-up: ${(growthBytes / 1024).toFixed(0)} KiB, ` +
      `${bytesPerCall.toFixed(2)} bytes per call${canForceGc ? "" : " (no forced GC)"}.`,
  };
}
