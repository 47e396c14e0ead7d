/**
 * Benchmark 1, per runtime (issue 25: "in-process cost ≤ 2× bare openapi-fetch on every
 * runtime"): `exposePort` of sandgate's npm build against bare openapi-fetch, one call at a time,
 * on Deno, Node 22 (scripts/node_lts.ts) and Bun, each running
 * scripts/bench/overhead_runtime.mjs: with a `node:http` server in the same process, and with a
 * handler as `fetch`. p50 per call of each variant, and their ratio.
 *
 * Needs the npm build (`deno task build:npm`); without it, or without a runtime, its row says
 * why it was not measured.
 *
 * ```sh
 * deno task build:npm && deno run -A scripts/bench/overhead_runtimes.ts [--quick]
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";

const FULL = { rounds: 7, calls: 400 };
const QUICK = { rounds: 1, calls: 10 };
const ROOT = new URL("../../", import.meta.url);
const path = (file: string) => new URL(file, ROOT).pathname;

/** Each runtime: how to run a script with it. */
const RUNTIMES: [name: string, command: string, args: string[]][] = [
  ["Deno", Deno.execPath(), ["run", "--allow-all"]],
  ["Node 22", Deno.execPath(), ["run", "--allow-all", path("scripts/node_lts.ts"), "22"]],
  ["Bun", path("node_modules/.bin/bun"), ["run"]],
];

type Way = Record<"bare" | "sandgate", number[]>;
type Run = { runtime: string; loopback: Way; handler: Way };

async function run(command: string, args: string[], counts: typeof FULL): Promise<Run | string> {
  try {
    const output = await new Deno.Command(command, {
      args: [...args, path("scripts/bench/overhead_runtime.mjs"), JSON.stringify(counts)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout).trim().split("\n").at(-1) ?? "";
    if (output.success && text.startsWith("{")) return JSON.parse(text);
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-6).join(" ");
    return `not measured: ${stderr || text || `exit ${output.code}`}`;
  } catch (error) {
    return `not measured: ${(error as Error).message}`;
  }
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]! * 1e3;

/** Runs it on every runtime: one row each, and the worst ratio (NaN when one was not measured). */
export async function benchOverheadRuntimes(quick: boolean) {
  const counts = quick ? QUICK : FULL;
  const built = existsSync(path("npm/esm/mod.js"));
  const rows: Record<string, string | number>[] = [];
  let worst = 0;
  for (const [name, command, args] of RUNTIMES) {
    const result = built
      ? await run(command, args, counts)
      : "not measured: no npm build (deno task build:npm)";
    if (typeof result === "string") {
      rows.push({ runtime: name, "server in the process": result, "handler as fetch": "—" });
      worst = NaN;
      continue;
    }
    const way = (w: Way) => {
      const [bare, sandgate] = [p50(w.bare), p50(w.sandgate)];
      return `${bare.toFixed(0)} / ${sandgate.toFixed(0)} µs = ${(sandgate / bare).toFixed(2)}×`;
    };
    const ratio = p50(result.loopback.sandgate) / p50(result.loopback.bare);
    worst = Math.max(worst, ratio);
    rows.push({
      runtime: result.runtime,
      "server in the process": way(result.loopback),
      "handler as fetch": way(result.handler),
    });
  }
  return { rows, worst, skipped: !built };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchOverheadRuntimes(Deno.args.includes("--quick")), null, 2));
}
