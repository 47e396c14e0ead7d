/**
 * Describes the machine and runtimes a benchmark ran on.
 *
 * @module
 */

/** Machine and runtime description for the report. */
export interface Machine {
  /** Logical CPUs. */
  cpus: number;
  /** CPU model from /proc/cpuinfo. */
  cpuModel: string;
  /** Total memory in GiB. */
  memoryGiB: number;
  /** OS and kernel. */
  os: string;
  /** Runtime and tool versions. */
  versions: Record<string, string>;
}

const ROOT = new URL("../..", import.meta.url).pathname;

async function read(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

async function version(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0]!.replace(/^v/, "").trim();
  } catch {
    return "not found";
  }
}

async function packageVersion(name: string): Promise<string> {
  const text = await read(`${ROOT}node_modules/${name}/package.json`);
  return text ? (JSON.parse(text) as { version: string }).version : "not installed";
}

/**
 * Reads the machine description.
 *
 * @example
 * ```ts ignore
 * import { describeMachine } from "./machine.ts";
 * console.log(await describeMachine());
 * ```
 */
export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await read("/proc/cpuinfo");
  const meminfo = await read("/proc/meminfo");
  const kb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? NaN);
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: Math.round((kb / 1024 / 1024) * 10) / 10,
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      node: await version("node", ["--version"]),
      bun: await version(`${ROOT}node_modules/.bin/bun`, ["--version"]),
      "openapi-fetch": await packageVersion("openapi-fetch"),
      esbuild: await packageVersion("esbuild"),
    },
  };
}
