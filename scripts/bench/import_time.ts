/**
 * Benchmark 3: how long importing the built package (`npm/`) takes in a fresh Node, Bun and
 * Deno process: the median, over fresh processes, of the time measured inside the process around
 * `await import()`, and mitata's p50 of the whole process minus that of an empty one.
 *
 * @module
 */
import { measure } from "mitata";

/** Import time on one runtime. */
export interface ImportRow {
  /** Runtime and version. */
  runtime: string;
  /** Median ms spent in `await import(...)`, measured in-process. */
  importMs: number;
  /** Median process wall time (ms) minus the empty-process median. */
  processDeltaMs: number;
  /** Median wall time of an empty process (ms). */
  emptyProcessMs: number;
  /** Median ms of `await import("openapi-fetch")` alone, for reference. */
  openapiFetchImportMs: number;
  /** Processes per measurement. */
  runs: number;
}

/** Results of benchmark 3. */
export interface ImportResult {
  /** Entry imported. */
  entry: string;
  /** One row per runtime that could run. */
  rows: ImportRow[];
  /** Set when `npm/` is not built. */
  notBuilt?: string;
}

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const RUNTIMES: [string, string, (code: string) => string[]][] = [
  ["node", "node", (code) => ["--input-type=module", "-e", code]],
  ["bun", `${ROOT}node_modules/.bin/bun`, (code) => ["-e", code]],
  ["deno", Deno.execPath(), (code) => ["eval", "--no-config", "--node-modules-dir=manual", code]],
];

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd}: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;

/** Measures `runs` fresh processes per runtime (mitata warms up with untimed runs first). */
export async function benchImportTime(runs: number): Promise<ImportResult> {
  const entry = "npm/dist/mod.js";
  try {
    await Deno.stat(`${ROOT}${entry}`);
  } catch {
    return { entry, rows: [], notBuilt: "npm/ not built (run `npm run build`)" };
  }
  const timed = (specifier: string) =>
    `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); ` +
    `console.log(performance.now() - t0);`;
  const opts = { min_samples: runs, max_samples: runs, min_cpu_time: 0, batch_threshold: 0 };
  const rows: ImportRow[] = [];
  for (const [name, cmd, args] of RUNTIMES) {
    let version: string;
    try {
      version = (await run(cmd, ["--version"])).split("\n")[0]!.replace(/^(v|deno |bun )/, "")
        .replace(/\s*\(.*$/, "").trim();
    } catch {
      continue;
    }
    const inside: Record<string, number[]> = { sdk: [], ref: [] };
    const wall = async (code: string, into?: number[]) =>
      (await measure(async () => {
        const ms = Number((await run(cmd, args(code))).trim().split("\n").at(-1));
        into?.push(ms);
      }, opts)).p50 / 1e6;
    const emptyMs = await wall("console.log(0);");
    const sdkMs = await wall(timed(`file://${ROOT}${entry}`), inside.sdk);
    await wall(timed(`file://${ROOT}node_modules/openapi-fetch/dist/index.mjs`), inside.ref);
    rows.push({
      runtime: `${name} ${version}`,
      importMs: median(inside.sdk!),
      processDeltaMs: sdkMs - emptyMs,
      emptyProcessMs: emptyMs,
      openapiFetchImportMs: median(inside.ref!),
      runs,
    });
  }
  return { entry, rows };
}
