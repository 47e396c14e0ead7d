/**
 * Benchmark 3: how long importing the built package (`npm/`) takes in a fresh
 * Node, Bun and Deno process. Each sample is a new process; we report the
 * median of the time measured inside the process around `await import()`
 * and the median whole-process wall time minus that of an empty process.
 *
 * @module
 */
import { median } from "./stats.ts";

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
  /** Entry imported, or why nothing was measured. */
  entry: string;
  /** One row per runtime that could run. */
  rows: ImportRow[];
  /** Set when `npm/` is not built. */
  notBuilt?: string;
}

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = `${ROOT}node_modules/.bin/`;

interface Runtime {
  name: string;
  cmd: string;
  args(code: string): string[];
  version: string[];
}

const RUNTIMES: Runtime[] = [
  {
    name: "node",
    cmd: "node",
    args: (code) => ["--input-type=module", "-e", code],
    version: ["--version"],
  },
  { name: "bun", cmd: `${BIN}bun`, args: (code) => ["-e", code], version: ["--version"] },
  {
    name: "deno",
    cmd: Deno.execPath(),
    args: (code) => ["eval", "--no-config", "--node-modules-dir=manual", code],
    version: ["--version"],
  },
];

async function run(cmd: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`);
  }
  return { ms, stdout: new TextDecoder().decode(out.stdout) };
}

/** The ESM entry of `npm/package.json`, as an absolute file URL, or undefined if not built. */
export async function builtEntry(): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await Deno.readTextFile(`${ROOT}npm/package.json`)) as {
      exports?: { ".": { import?: { default?: string } | string } };
      module?: string;
    };
    const entry = pkg.exports?.["."].import;
    const rel = typeof entry === "string" ? entry : entry?.default ?? pkg.module;
    if (!rel) return undefined;
    const url = new URL(rel, `file://${ROOT}npm/`);
    await Deno.stat(url);
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * Measures import time of `npm/` with `runs` cold processes per runtime
 * (after one untimed run that warms the file cache).
 *
 * @example
 * ```ts ignore
 * import { benchImportTime } from "./import_time.ts";
 * console.log(await benchImportTime(3));
 * ```
 */
export async function benchImportTime(runs: number): Promise<ImportResult> {
  const entry = await builtEntry();
  if (!entry) {
    return { entry: "npm/", rows: [], notBuilt: "npm/ not built (run `npm run build`)" };
  }
  const timedImport = (specifier: string, name: string) =>
    `const t0 = performance.now(); const m = await import(${
      JSON.stringify(specifier)
    }); const t1 = performance.now(); if (!m.${name}) throw new Error("bad entry"); console.log(t1 - t0);`;
  const timed = timedImport(entry, "createPrimeIntellectClient");
  const reference = timedImport(
    `file://${ROOT}node_modules/openapi-fetch/dist/index.mjs`,
    "default",
  );
  const empty = `console.log(0);`;
  const rows: ImportRow[] = [];
  for (const runtime of RUNTIMES) {
    let version: string;
    try {
      const line = (await run(runtime.cmd, runtime.version)).stdout.split("\n")[0]!;
      version = line.replace(/^(v|deno |bun )/, "").replace(/\s*\(.*$/, "").trim();
    } catch {
      continue;
    }
    await run(runtime.cmd, runtime.args(timed));
    await run(runtime.cmd, runtime.args(empty));
    const inside: number[] = [];
    const walls: number[] = [];
    const empties: number[] = [];
    const references: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await run(runtime.cmd, runtime.args(reference));
      references.push(Number(r.stdout.trim().split("\n").at(-1)));
      const e = await run(runtime.cmd, runtime.args(empty));
      empties.push(e.ms);
      const t = await run(runtime.cmd, runtime.args(timed));
      walls.push(t.ms);
      inside.push(Number(t.stdout.trim().split("\n").at(-1)));
    }
    const emptyMs = median(empties);
    rows.push({
      runtime: `${runtime.name} ${version}`,
      importMs: median(inside),
      processDeltaMs: median(walls) - emptyMs,
      emptyProcessMs: emptyMs,
      openapiFetchImportMs: median(references),
      runs,
    });
  }
  return { entry: entry.replace(`file://${ROOT}`, ""), rows };
}
