/**
 * The machine a run measured on, and heap readings after a forced GC (with
 * `--v8-flags=--expose-gc`, as the bench task runs).
 *
 * @module
 */
import { cpus, totalmem } from "node:os";

/** Machine and runtime description for the report. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  versions: Record<string, string>;
}

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

async function version(cmd: string): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args: ["--version"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0]!.replace(/^v/, "").trim();
  } catch {
    return "not found";
  }
}

const packageVersion = (name: string) =>
  (JSON.parse(Deno.readTextFileSync(`${ROOT}node_modules/${name}/package.json`)) as {
    version: string;
  }).version;

/** Reads the machine description. */
export async function describeMachine(): Promise<Machine> {
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
    (globalThis as { gc?: () => void }).gc?.();
  }
  return Deno.memoryUsage().heapUsed;
}
