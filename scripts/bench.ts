/**
 * `npm run bench`: what sandgate costs its users, in one run. Timing is mitata's, bundle sizes
 * esbuild's; the script fills the generated blocks (tables, verdicts, the command) of
 * BENCHMARKS.md and leaves the hand-written analysis around them alone.
 *
 * ```sh
 * npm run bench              # full run, fills BENCHMARKS.md
 * npm run bench -- --json    # also prints all results as JSON on stdout
 * npm run bench -- --quick   # tiny counts, installs no peers; checks only that every number is finite
 * npm run bench -- --out=FILE  # write the blocks to FILE instead of BENCHMARKS.md
 * ```
 *
 * Progress goes to stderr. Run with `--v8-flags=--expose-gc` (the deno task does) so memory
 * readings follow a forced GC.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { benchAttach } from "./bench/attach.ts";
import { benchBundle } from "./bench/bundle.ts";
import { benchCli } from "./bench/cli.ts";
import { benchForward } from "./bench/forward.ts";
import { benchHeapGrowth } from "./bench/heap_growth.ts";
import { benchImportTime } from "./bench/import_time.ts";
import { benchLimiter } from "./bench/limiter.ts";
import { describeMachine, type Machine } from "./bench/machine.ts";
import { benchOverhead } from "./bench/overhead.ts";
import { benchOverheadRuntimes } from "./bench/overhead_runtimes.ts";
import { benchReconnect } from "./bench/reconnect.ts";
import { blocks, fill, verdicts } from "./bench/report.ts";
import { benchTerminal } from "./bench/terminal.ts";
import { SCENARIOS, simulateFleet } from "./fleet_sim.ts";

async function step<T>(name: string, run: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const result = await run();
  console.error(`[bench] ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** Paths of the numbers in `value` that are not finite. */
function nonFinite(value: unknown, path = ""): string[] {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => nonFinite(v, `${path}.${k}`));
}

/** Runs every benchmark (`quick`: tiny counts, no peers installed). */
async function measure(quick: boolean) {
  return {
    overhead: await step("1. per-call overhead", () => benchOverhead(quick)),
    overheadRuntimes: await step(
      "1. per-call overhead on Deno, Node 22, Bun",
      () => benchOverheadRuntimes(quick),
    ),
    bundle: await step("2. bundle size", () => benchBundle(!quick)),
    importTime: await step("3. import time", () => benchImportTime(quick ? 1 : 10)),
    limiter: await step("4. limiter", () => benchLimiter(quick)),
    heap: await step("5. heap growth", () => benchHeapGrowth(quick ? 1_000 : 100_000)),
    sharedFleet: await step(
      "6. shared budget",
      () => SCENARIOS.map(([name, options]) => [name, simulateFleet(options)] as const),
    ),
    attach: await step("7. PTY attach", () => benchAttach(quick)),
    forward: await step("8. forwarding", () => benchForward(quick)),
    terminal: await step("9. terminal + requests on Node 22", () => benchTerminal(quick)),
    reconnect: await step("10. PTY re-attach after a drop", () => benchReconnect(quick)),
    cli: await step("11. the CLI on Node 22", () => benchCli(quick)),
  };
}

/** Everything one run measures. */
export type Results = Awaited<ReturnType<typeof measure>>;
/** Context of a run. */
export type RunInfo = { command: string; date: string; seconds: number; machine: Machine };

async function main(args: string[]): Promise<number> {
  const flag = { type: "boolean" } as const;
  const options = { quick: flag, json: flag, out: { type: "string" } } as const;
  const { quick = false, json, out } = parseArgs({ args, options }).values;
  const started = performance.now();
  const results = await measure(quick);
  const info: RunInfo = {
    command: ["npm run bench", ...(args.length ? ["--", ...args] : [])].join(" "),
    date: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    machine: await describeMachine(),
  };
  if (json) console.log(JSON.stringify({ ...info, results }, null, 2));
  for (const [target, measured, met] of verdicts(results)) {
    console.error(`[bench] ${met ? "met   " : "MISSED"} ${target}: ${measured}`);
  }
  const file = out ?? (quick ? undefined : new URL("../BENCHMARKS.md", import.meta.url).pathname);
  if (file) {
    const doc = out ? "# sandgate benchmarks\n" : await Deno.readTextFile(file);
    await Deno.writeTextFile(file, fill(doc, blocks(results, info)));
    // `deno fmt --check` covers Markdown: hand it a formatted file.
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", file] }).output();
    console.error(`[bench] wrote ${file}`);
  }
  // Peers that could not be measured (`--quick` installs none) are NaN by design.
  // So are the Node 22 terminal and CLI before `build:npm` (npm test runs the quick bench first).
  const terminal = results.terminal.skipped ? {} : results.terminal;
  const overheadRuntimes = results.overheadRuntimes.skipped ? {} : results.overheadRuntimes;
  // e2b's CLI is a peer, which `--quick` does not install.
  const cli = results.cli.skipped ? {} : { ...results.cli, e2bStartup: {}, startupVsE2b: 0 };
  const bad = quick
    ? nonFinite({
      ...results,
      bundle: { ...results.bundle, peers: [] },
      terminal,
      overheadRuntimes,
      cli,
    })
    : [];
  if (bad.length > 0) console.error(`[bench] quick check FAILED: not finite: ${bad.join(", ")}`);
  return bad.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
