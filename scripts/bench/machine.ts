/**
 * The machine a run measured on, and what the benchmarks share: heap readings after a forced GC
 * (with `--v8-flags=--expose-gc`, as the bench task runs), the median, MiB.
 *
 * @module
 */
import { cpus, totalmem } from "node:os";
import { run } from "../_run.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** `cmd --version`, bare (`v20.1.0`, `deno 2.9.6 (stable…)` → the number), or "not found". */
export const version = (cmd: string) =>
  run(cmd, ["--version"]).then(
    (out) => out.split("\n")[0]!.replace(/^(v|deno |bun )|\s*\(.*$/g, "").trim(),
    () => "not found",
  );
/** The version of an npm package installed under `dir`. */
export const packageVersion = (name: string, dir = ROOT) =>
  JSON.parse(Deno.readTextFileSync(`${dir}node_modules/${name}/package.json`)).version as string;

/** The machine a run measured on and the runtimes' versions, for the report. */
export type Machine = Awaited<ReturnType<typeof describeMachine>>;

/** Reads the {@link Machine} description. */
export async function describeMachine() {
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      node: await version("node"),
      bun: await version(`${ROOT}node_modules/.bin/bun`),
      ...Object.fromEntries(
        ["openapi-fetch", "esbuild", "mitata"].map((p) => [p, packageVersion(p)]),
      ),
    },
  };
}

/** Whether {@link heapUsed} can force a GC first (otherwise numbers are noisier). */
export const canForceGc = typeof (globalThis as { gc?: unknown }).gc === "function";

/**
 * Used heap in bytes, after forced full GCs when possible. Yields to the event loop between
 * collections: `WeakRef` targets stay alive until the current job ends and
 * `FinalizationRegistry` callbacks run in later tasks.
 */
export async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
  return Deno.memoryUsage().heapUsed;
}

/** A full GC when the flag allows it. */
export const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** The q-quantile of `xs` (NaN when empty). */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

/** The median (the upper one of an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Bytes as MiB, two decimals. */
export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
