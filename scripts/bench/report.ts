/**
 * The generated blocks of BENCHMARKS.md, each between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->`: the targets with their verdicts, and each benchmark's rows as a table
 * (a row's keys are its header). The analysis around the blocks is written by hand.
 *
 * @module
 */
import type { Results, RunInfo } from "../bench.ts";

const cell = (v: unknown) =>
  typeof v !== "number" || Number.isInteger(v) ? String(v) : Number.isNaN(v) ? "—" : v.toFixed(2);

/** A Markdown table of `rows`, headed by the first row's keys. */
export function table(rows: Record<string, unknown>[]): string {
  const head = Object.keys(rows[0] ?? {});
  return [head, head.map(() => "---"), ...rows.map((row) => head.map((h) => cell(row[h])))]
    .map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** Every promise of BENCHMARKS.md. */
const TARGETS = {
  throughput: "PTY attach output throughput ≥ 0.9× a raw WebSocket client (loopback)",
  keystroke: "PTY attach keystroke round-trip p50 ≤ 1.1× raw",
  paused: "PTY attach: peak memory with a paused reader bounded (≤ 4× maxBufferedBytes)",
  forwardTensorlake: "Tensorlake forward() throughput ≥ 0.8× a direct loopback connection",
  forwardPrime: "Prime Intellect forward() throughput ≥ 0.9× a direct loopback connection",
  nodeThroughput: "Node 22 terminal throughput ≥ 1.0× Tensorlake's SDK and ≥ 0.9× raw `ws`",
  nodeKeystroke: "Node 22 keystroke round-trip p50 ≤ 1.05× raw `ws`",
  nodeFirstByte: "Node 22 create → first byte ≤ 1.1× Tensorlake's SDK",
  nodeRequest: "Node 22 request path: client CPU per call ≤ 1.2× a bare `fetch`",
  reconnect: "PTY re-attach: a dropped connection to output flowing again ≤ 1 s (defaults, p50)",
  cliStartup: "`sandgate --version` start-up on Node 22 below e2b's CLI (`e2b --version`, median)",
  cliSsh: "`sandgate ssh` reaches ssh ≤ 0.5 s (median; `prime sandbox ssh` sleeps 5 s first)",
  overhead: "high-level exposePort ≤ 1.10× bare openapi-fetch (loopback, p50)",
  overheadRuntimes:
    "exposePort ≤ 2× bare openapi-fetch on Deno, Node 22 and Bun (server in the process, p50)",
  prime: '`import { PrimeIntellect } from "sandgate"` ≤ 16 kB min+gz loaded at import (issue 23)',
  full: "full client ≤ 20 kB min+gz loaded at import (issue 23)",
  import: "import of npm/ on Node ≤ 15 ms (median, in-process)",
  limiter: "limiter per-call cost, 10 → 100 000 keys, ≤ 2×",
  heap: (calls: number) => `heap over ${calls} calls ≤ 16 B/call once warm`,
  use: (calls: number) => `budget utilisation ≥ 99 % (${calls} calls on one key)`,
  fleet: "shared budget (simulated, with margin): ≤ 20 per 60 s window, no 429, ≤ 1.10× ideal",
};

/** `[target, measured, met]` for every target. */
export function verdicts(r: Results): [string, string, boolean][] {
  const high = Number(
    r.overhead.loopback.find((r) => r.variant.includes("high-level"))!["× bare (p50)"],
  );
  const imports = typeof r.importTime === "string" ? [] : r.importTime;
  const node = imports.find((row) => row.runtime.startsWith("node"))?.["import ms (in-process)"];
  // Judged on the code loaded at import (BENCHMARKS.md section 2 says why); the total is shown.
  const [prime, full] = ["`import { PrimeIntellect }", "full client"].map((prefix) =>
    r.bundle.sandgate.find((b) => b.consumer.startsWith(prefix))!
  );
  const size = (b: typeof prime) =>
    `${cell(b!["at import: min+gz kB"])} kB at import (${cell(b!["total: min+gz kB"])} kB in all)`;
  const fleet = r.sharedFleet.filter(([name]) => !name.includes("no margin")).map(([, s]) => s);
  const worst = Math.max(...fleet.map((s) => s.maxInWindow));
  const tooMany = fleet.reduce((sum, s) => sum + s.tooMany, 0);
  const slowest = Math.max(...fleet.map((s) => s.spanMs / s.idealMs));
  const long = fleet.reduce((a, b) => (b.calls > a.calls ? b : a));
  const use = (long.calls - 20) / long.spanMs / (20 / 60_000);
  const { throughput, keystroke, paused } = r.attach;
  const { forward } = r;
  const t = r.terminal.ratios;
  const { flatness } = r.limiter;
  const x = (ratio: number) => `${ratio.toFixed(2)}×`;
  const memory = `${cell(paused.peakMB)} MB live heap (sampled after forced GCs) over ${
    cell(paused.outputMB)
  } MB of output`;
  return [
    [TARGETS.throughput, x(throughput), throughput >= 0.9],
    [TARGETS.keystroke, x(keystroke), keystroke <= 1.1],
    [TARGETS.paused, memory, paused.peakMB <= 4 * paused.maxBufferedMB],
    [
      TARGETS.forwardTensorlake,
      x(forward.tensorlake.throughput),
      forward.tensorlake.throughput >= 0.8,
    ],
    [TARGETS.forwardPrime, x(forward.prime.throughput), forward.prime.throughput >= 0.9],
    [
      TARGETS.nodeThroughput,
      `${x(t.throughputVsTensorlake)} / ${x(t.throughputVsWs)}`,
      t.throughputVsTensorlake >= 1 && t.throughputVsWs >= 0.9,
    ],
    [
      TARGETS.nodeKeystroke,
      `${x(t.keystrokeVsWs)} (write/onData: ${x(t.keystrokeVsWsCallbacks)})`,
      t.keystrokeVsWs <= 1.05,
    ],
    [TARGETS.nodeFirstByte, x(t.firstByteVsTensorlake), t.firstByteVsTensorlake <= 1.1],
    [TARGETS.nodeRequest, x(t.requestCpuVsFetch), t.requestCpuVsFetch <= 1.2],
    [TARGETS.reconnect, `${cell(r.reconnect.p50Ms)} ms`, r.reconnect.p50Ms <= 1000],
    [
      TARGETS.cliStartup,
      `${cell(r.cli.startup.median)} ms vs ${cell(r.cli.e2bStartup.median)} ms (${
        x(r.cli.startupVsE2b)
      })`,
      r.cli.startupVsE2b < 1,
    ],
    [TARGETS.cliSsh, `${cell(r.cli.sshMedian)} ms`, r.cli.sshMedian <= 500],
    [TARGETS.overhead, x(high), high <= 1.1],
    [
      TARGETS.overheadRuntimes,
      `${x(r.overheadRuntimes.worst)} (the worst runtime)`,
      r.overheadRuntimes.worst <= 2,
    ],
    [TARGETS.prime, size(prime), prime!["at import: min+gz kB"] <= 16],
    [TARGETS.full, size(full), full!["at import: min+gz kB"] <= 20],
    [TARGETS.import, `${cell(node ?? NaN)} ms`, (node ?? NaN) <= 15],
    [TARGETS.limiter, x(flatness), flatness <= 2],
    [TARGETS.heap(r.heap.calls), `${cell(r.heap.bytesPerCall)} B/call`, r.heap.bytesPerCall <= 16],
    [TARGETS.use(long.calls), `${(use * 100).toFixed(2)} %`, use >= 0.99],
    [
      TARGETS.fleet,
      `${worst} per window, ${tooMany} × 429, ${slowest.toFixed(4)}× ideal`,
      worst <= 20 && tooMany === 0 && slowest <= 1.1,
    ],
  ];
}

/** The generated blocks of BENCHMARKS.md, by name. */
export function blocks(r: Results, info: RunInfo): Record<string, string> {
  const { machine: m } = info;
  return {
    run: [
      `- **Command:** \`${info.command}\` (${info.seconds.toFixed(0)} s)`,
      `- **Date:** ${info.date}`,
      `- **Machine:** ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}`,
      `- **Runtimes:** ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    ].join("\n"),
    targets: table(
      verdicts(r).map(([target, measured, met]) => ({
        target,
        measured,
        status: met ? "✅ met" : "❌ missed",
      })),
    ),
    ...Object.fromEntries(Object.entries(r.overhead).map(([name, rows]) => [name, table(rows)])),
    overheadRuntimes: table(r.overheadRuntimes.rows),
    bundle: table(r.bundle.sandgate),
    peers: table(r.bundle.peers),
    breakdown: table(r.bundle.breakdown),
    import: typeof r.importTime === "string" ? r.importTime : table(r.importTime),
    limiter: `${table(r.limiter.perCall)}\n\n${table(r.limiter.memory)}`,
    heap: `${table(r.heap.rows)}\n\n${r.heap.summary}`,
    fleet: table(r.sharedFleet.map(([scenario, s]) => ({
      scenario,
      calls: s.calls,
      "most in any 60 s window": s.maxInWindow,
      "429s": s.tooMany,
      "span / ideal": (s.spanMs / s.idealMs).toFixed(4),
    }))),
    attach: table(r.attach.rows),
    forward: table(r.forward.rows),
    reconnect: table(r.reconnect.rows),
    terminal: `${r.terminal.node}\n\n${table(r.terminal.rows)}`,
    requestNode: table(r.terminal.requestRows),
    cli: `${r.cli.node}\n\n${table(r.cli.startupRows)}\n\n${table(r.cli.sshRows)}`,
  };
}

/** Replaces every generated block of `doc`; blocks `doc` lacks are appended under a heading. */
export function fill(doc: string, generated: Record<string, string>): string {
  let out = doc;
  for (const [name, body] of Object.entries(generated)) {
    const re = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    out = re.test(out)
      ? out.replace(re, (_, open, close) => `${open}\n\n${body}\n\n${close}`)
      : `${out}\n## ${name}\n\n<!-- bench:${name} -->\n\n${body}\n\n<!-- /bench:${name} -->\n`;
  }
  return out;
}
