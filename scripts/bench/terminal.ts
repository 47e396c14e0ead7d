/**
 * Benchmark 9, the terminal on Node 22 (issue 25): sandgate's npm build, Tensorlake's own SDK
 * (npm `tensorlake`) and two raw floors (the `ws` package, Node's own WebSocket) side by side,
 * all on Node 22 (scripts/node_lts.ts) against one served emulator that this process runs on
 * 127.0.0.1; variants alternate round by round (scripts/bench/terminal_node.mjs is the client).
 * Per variant: output throughput of a `flood`, keystroke round-trip p50 and p99, and
 * create → first output byte (create the PTY, attach, READY, the prompt's first byte). Then the
 * request path on Node 22: client CPU and wall time per `getPty` call against a bare `fetch`.
 *
 * Needs the npm build (`deno task build:npm`); without it (or without Node 22) the rows are
 * not measured and say so. `--quick` runs tiny counts.
 *
 * ```sh
 * deno task build:npm && deno run -A scripts/bench/terminal.ts [--quick]
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { emulatorEnvironment } from "../../src/cli/commands/emulator.ts";
import { median, quantile } from "./machine.ts";

const MiB = 1024 * 1024;
const FULL = { bytes: 32 * MiB, rounds: 7, keystrokes: 700, starts: 21, calls: 400 };
const QUICK = { bytes: MiB, rounds: 1, keystrokes: 10, starts: 1, calls: 5 };
const VARIANTS = ["sandgate", "sandgateCallbacks", "tensorlake", "ws", "WebSocket"] as const;
const NO_BUILD = "not measured: no npm build (deno task build:npm)";
type Samples = { mbps: number[]; rttMs: number[]; firstByteMs: number[] };
const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "—");

/** Runs the Node client once; its samples per variant, or why it could not. */
async function runNode(
  url: string,
  counts: typeof FULL & { phase: "terminal" | "request" },
): Promise<
  {
    node: string;
    result?: Record<string, Samples>;
    request?: Record<string, { cpuUs: number[]; wallMs: number[] }>;
  } | string
> {
  const root = new URL("../../", import.meta.url);
  if (!existsSync(new URL("npm/esm/mod.js", root))) return NO_BUILD;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("scripts/node_lts.ts", root).pathname,
      "22",
      new URL("scripts/bench/terminal_node.mjs", root).pathname,
      JSON.stringify({ url, ...counts }),
    ],
    env: emulatorEnvironment(url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").at(-1) ?? "";
  if (!output.success || !text.startsWith("{")) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-12).join(" ");
    return `Node 22 client failed: ${stderr || text || `exit ${output.code}`}`;
  }
  return JSON.parse(text);
}

/** Runs benchmark 9; rows per variant and the ratios the goals judge (NaN when not measured). */
export async function benchTerminal(quick: boolean) {
  const counts = quick ? QUICK : FULL;
  await using server = await serve(
    createEmulator({ apiKeys: ["emulator"], sandboxes: ["sb-bench"], rateLimit: false }),
  );
  const run = await runNode(server.url, { ...counts, phase: "terminal" });
  const requestRun = await runNode(server.url, { ...counts, phase: "request" });
  const measured = typeof run === "string" ? undefined : run.result;
  const request = typeof requestRun === "string" ? undefined : requestRun.request;
  const stat = (variant: string) => {
    const s = measured?.[variant];
    return {
      mbps: median(s?.mbps ?? []),
      p50: quantile(s?.rttMs ?? [], 0.5),
      p99: quantile(s?.rttMs ?? [], 0.99),
      first: median(s?.firstByteMs ?? []),
    };
  };
  const stats = Object.fromEntries(VARIANTS.map((v) => [v, stat(v)]));
  const sg = stats.sandgate!, cb = stats.sandgateCallbacks!, tl = stats.tensorlake!, ws = stats.ws!;
  const req = (variant: string) => ({
    cpu: median(request?.[variant]?.cpuUs ?? []),
    p50: quantile(request?.[variant]?.wallMs ?? [], 0.5),
  });
  const [bareFetch, sgCall] = [req("fetch"), req("sandgate")];
  const ratios = {
    requestCpuVsFetch: sgCall.cpu / bareFetch.cpu,
    throughputVsTensorlake: sg.mbps / tl.mbps,
    throughputVsWs: sg.mbps / ws.mbps,
    keystrokeVsWs: sg.p50 / ws.p50,
    /** The same two for `write` / `onData` (no web streams). */
    throughputVsWsCallbacks: cb.mbps / ws.mbps,
    keystrokeVsWsCallbacks: cb.p50 / ws.p50,
    firstByteVsTensorlake: sg.first / tl.first,
  };
  return {
    node: typeof run === "string"
      ? run
      : typeof requestRun === "string"
      ? requestRun
      : `Node ${run.node}`,
    /** Not measured for want of the npm build: `--quick` before `build:npm` skips it. */
    skipped: run === NO_BUILD,
    ratios,
    requestRows: [["bare fetch (floor)", bareFetch], ["sandgate getPty", sgCall]].map((
      [client, s],
    ) => ({
      "Node 22 client": client,
      "client CPU µs/call": f((s as typeof sgCall).cpu, 0),
      "wall p50 µs": f((s as typeof sgCall).p50 * 1e3, 0),
      "× fetch (CPU)": f((s as typeof sgCall).cpu / bareFetch.cpu, 2),
    })),
    rows: VARIANTS.map((variant) => ({
      client: variant === "ws"
        ? "raw `ws` (floor)"
        : variant === "WebSocket"
        ? "raw Node WebSocket"
        : variant === "tensorlake"
        ? "Tensorlake SDK"
        : variant === "sandgateCallbacks"
        ? "sandgate (write/onData)"
        : "sandgate (streams)",
      "throughput MB/s": f(stats[variant]!.mbps),
      "keystroke p50 / p99 µs": `${f(stats[variant]!.p50 * 1e3, 0)} / ${
        f(stats[variant]!.p99 * 1e3, 0)
      }`,
      "create → first byte ms": f(stats[variant]!.first, 2),
    })),
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchTerminal(Deno.args.includes("--quick")), null, 2));
}
