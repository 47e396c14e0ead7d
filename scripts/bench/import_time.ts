/**
 * Benchmark 3: how long importing the built package (`npm/`) takes in a fresh Node, Bun and
 * Deno process: the median, over fresh processes, of the time measured inside the process around
 * `await import()`, and mitata's p50 of the whole process minus that of an empty one.
 *
 * @module
 */
import { measure } from "mitata";
import { existsSync } from "node:fs";
import { run } from "../_run.ts";
import { median, version } from "./machine.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const ENTRY = `${ROOT}npm/dist/mod.js`;
const RUNTIMES: [string, string, (code: string) => string[]][] = [
  ["node", "node", (code) => ["--input-type=module", "-e", code]],
  ["bun", `${ROOT}node_modules/.bin/bun`, (code) => ["-e", code]],
  ["deno", Deno.execPath(), (code) => ["eval", "--no-config", "--node-modules-dir=manual", code]],
];

const timed = (file: string) =>
  `const t0 = performance.now(); await import("file://${file}"); ` +
  `console.log(performance.now() - t0);`;

/**
 * Measures `runs` fresh processes per runtime (mitata warms up with untimed runs first); a row
 * per runtime that could run, or why there is none.
 */
export async function benchImportTime(runs: number) {
  if (!existsSync(ENTRY)) return "npm/ not built (run `npm run build`)";
  const opts = { min_samples: runs, max_samples: runs, min_cpu_time: 0, batch_threshold: 0 };
  const rows = [];
  for (const [name, cmd, args] of RUNTIMES) {
    const bare = await version(cmd);
    if (bare === "not found") continue;
    /** mitata's p50 of the whole process in ms; `inside` gets what the process printed. */
    const wall = async (code: string, inside: number[] = []) => {
      const stats = await measure(async () => {
        inside.push(Number((await run(cmd, args(code), { cwd: ROOT })).trim().split("\n").at(-1)));
      }, opts);
      return { ms: stats.p50 / 1e6, inside: median(inside) };
    };
    const empty = await wall("console.log(0);");
    const sdk = await wall(timed(ENTRY));
    const ref = await wall(timed(`${ROOT}node_modules/openapi-fetch/dist/index.mjs`));
    rows.push({
      runtime: `${name} ${bare}`,
      "import ms (in-process)": sdk.inside,
      "process Δ ms": sdk.ms - empty.ms,
      "empty process ms": empty.ms,
      "openapi-fetch ms": ref.inside,
    });
  }
  return rows;
}
