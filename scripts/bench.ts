/**
 * `npm run bench`: what sandgate costs its users, in one run (issue 8).
 *
 * 1. per-call overhead vs raw fetch and bare openapi-fetch (loopback + in-process)
 * 2. bundle size (esbuild min + gzip)
 * 3. import time of `npm/` on Node, Bun and Deno
 * 4. the rate limiter on a simulated clock (utilisation, over-limit sends,
 *    per-call cost at 10 / 1 000 / 100 000 keys, memory after idle eviction)
 * 5. heap growth over 100 000 calls against the in-process emulator
 * 6. a fleet sharing one budget through the Redis store's booking rule, at 60 s (simulated)
 *
 * ```sh
 * npm run bench              # full run, writes BENCHMARKS.md
 * npm run bench -- --json    # also prints all results as JSON on stdout
 * npm run bench -- --quick   # tiny counts; checks only that every number is finite
 * npm run bench -- --out=FILE  # write the report to FILE instead (also with --quick)
 * ```
 *
 * Progress goes to stderr. Run with `--v8-flags=--expose-gc` (the deno task
 * does) so memory readings follow a forced GC.
 *
 * @module
 */
import { benchBundle } from "./bench/bundle.ts";
import { benchHeapGrowth } from "./bench/heap_growth.ts";
import { SCENARIOS, simulateFleet } from "./fleet_sim.ts";
import { benchImportTime } from "./bench/import_time.ts";
import { benchLimiter } from "./bench/limiter.ts";
import { describeMachine } from "./bench/machine.ts";
import { benchOverhead } from "./bench/overhead.ts";
import { renderReport } from "./bench/report.ts";
import { nonFinitePaths } from "./bench/stats.ts";
import { type Results, verdicts } from "./bench/targets.ts";
import { NOTES } from "./bench/notes.ts";

const log = (message: string) => console.error(`[bench] ${message}`);

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  log(`${name} …`);
  const t0 = performance.now();
  const result = await run();
  log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

async function main(args: string[]): Promise<number> {
  const quick = args.includes("--quick");
  const json = args.includes("--json");
  const out = args.find((a) => a.startsWith("--out="))?.slice("--out=".length);
  const started = performance.now();
  const results: Results = {
    overhead: await step("1. per-call overhead", () => benchOverhead(quick ? 200 : 20_000)),
    bundle: await step("2. bundle size", () => benchBundle()),
    importTime: await step("3. import time", () => benchImportTime(quick ? 1 : 10)),
    limiter: await step("4. limiter", () => benchLimiter({ quick })),
    heap: await step("5. heap growth", () => benchHeapGrowth(quick ? 1_000 : 100_000)),
    sharedFleet: await step(
      "6. shared budget (simulated fleet)",
      () =>
        Promise.resolve(
          SCENARIOS.map(({ name, options }) => ({ name, result: simulateFleet(options) })),
        ),
    ),
  };
  const seconds = (performance.now() - started) / 1000;
  const judged = verdicts(results);
  const machine = await describeMachine();
  const date = new Date().toISOString();
  const command = ["npm run bench", ...(args.length ? ["--", ...args] : [])].join(" ");
  if (json) {
    console.log(
      JSON.stringify({ command, date, seconds, machine, results, verdicts: judged }, null, 2),
    );
  }
  for (const v of judged) log(`${v.status.padEnd(12)} ${v.target}: ${v.measured}`);
  const report = () => renderReport(results, judged, { command, date, seconds, machine }, NOTES);
  if (out) await Deno.writeTextFile(out, report());
  if (quick) {
    const bad = nonFinitePaths(results).filter((path) => !path.startsWith("importTime"));
    const emptyTables = [
      results.overhead.loopback,
      results.overhead.inProcess,
      results.overhead.layers,
      results.bundle,
      results.limiter.perCall,
      results.heap.checkpoints,
      results.sharedFleet,
    ].filter((rows) => rows.length === 0).length;
    if (bad.length > 0 || emptyTables > 0) {
      log(
        `quick check FAILED: non-finite ${bad.join(", ") || "none"}; empty tables ${emptyTables}`,
      );
      return 1;
    }
    log(`quick check ok in ${seconds.toFixed(1)} s (no timing asserted)`);
    return 0;
  }
  if (!out) {
    const file = new URL("../BENCHMARKS.md", import.meta.url);
    await Deno.writeTextFile(file, report());
    // The repository's `deno fmt --check` covers Markdown: hand it a formatted file.
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", file.pathname] }).output();
  }
  log(`wrote ${out ?? "BENCHMARKS.md"} in ${seconds.toFixed(0)} s`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
