/**
 * The generated parts of BENCHMARKS.md: the targets with their verdicts and one table per
 * benchmark. Each block replaces what stands between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->`; the analysis around the blocks is written by hand.
 *
 * @module
 */
import type { FleetSimResult } from "../fleet_sim.ts";
import type { AttachBenchResult } from "./attach.ts";
import type { BundleResult } from "./bundle.ts";
import type { HeapResult } from "./heap_growth.ts";
import type { ImportResult } from "./import_time.ts";
import type { LimiterResult } from "./limiter.ts";
import type { Machine } from "./machine.ts";
import type { OverheadResult, OverheadRow } from "./overhead.ts";

/** Everything one run measures. */
export interface Results {
  overhead: OverheadResult;
  bundle: BundleResult;
  importTime: ImportResult;
  limiter: LimiterResult;
  heap: HeapResult;
  sharedFleet: { name: string; result: FleetSimResult }[];
  attach: AttachBenchResult;
}

/** Context of a run. */
export interface RunInfo {
  command: string;
  date: string;
  seconds: number;
  machine: Machine;
}

type Cell = string | number;
const table = (head: Cell[], rows: Cell[][]) =>
  [head, head.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
const kb = (bytes: number) => Number.isNaN(bytes) ? "—" : (bytes / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
const f1 = (x: number) => x.toFixed(1);

/** `[target, measured, met]` for every promise of BENCHMARKS.md. */
export function verdicts(r: Results): [string, string, boolean][] {
  const high = r.overhead.loopback.find((row) => row.name.includes("high-level"))!.ratioP50;
  const node = r.importTime.rows.find((row) => row.runtime.startsWith("node"))?.importMs ?? NaN;
  const [prime, full] = ["`import { PrimeIntellect }", "full client"].map((prefix) =>
    r.bundle.sandgate.find((b) => b.name.startsWith(prefix))?.gzipBytes ?? NaN
  ) as [number, number];
  const fleet = r.sharedFleet.filter(({ name }) => !name.includes("no margin")).map((s) =>
    s.result
  );
  const worst = Math.max(...fleet.map((s) => s.maxInWindow));
  const tooMany = fleet.reduce((sum, s) => sum + s.tooMany, 0);
  const slowest = Math.max(...fleet.map((s) => s.spanMs / s.idealMs));
  const long = fleet.reduce((a, b) => (b.calls > a.calls ? b : a));
  const use = (long.calls - 20) / long.spanMs / (20 / 60_000);
  const heap = r.heap.bytesPerCall;
  const { throughput, keystroke, pausedReader } = r.attach;
  return [
    [
      "PTY attach output throughput ≥ 0.9× a raw WebSocket client (loopback)",
      `${throughput.ratio.toFixed(2)}×`,
      throughput.ratio >= 0.9,
    ],
    [
      "PTY attach keystroke round-trip p50 ≤ 1.1× raw",
      `${keystroke.ratio.toFixed(2)}×`,
      keystroke.ratio <= 1.1,
    ],
    [
      "PTY attach: peak memory with a paused reader bounded (≤ 4× maxBufferedBytes)",
      `${f1(pausedReader.peakRssDeltaMB)} MB RSS over ${
        f1(pausedReader.outputBytes / 1e6)
      } MB of output`,
      pausedReader.peakRssDeltaMB * 1e6 <= 4 * pausedReader.maxBufferedBytes,
    ],
    [
      "high-level exposePort ≤ 1.10× bare openapi-fetch (loopback, p50)",
      `${high.toFixed(2)}×`,
      high <= 1.1,
    ],
    [
      '`import { PrimeIntellect } from "sandgate"` ≤ 9 kB min+gz',
      `${kb(prime)} kB`,
      prime <= 9_000,
    ],
    ["full client ≤ 16 kB min+gz", `${kb(full)} kB`, full <= 16_000],
    ["import of npm/ on Node ≤ 15 ms (median, in-process)", `${f1(node)} ms`, node <= 15],
    [
      "limiter per-call cost, 10 → 100 000 keys, ≤ 2×",
      `${r.limiter.flatness.toFixed(2)}×`,
      r.limiter.flatness <= 2,
    ],
    [`heap over ${r.heap.calls} calls ≤ 16 B/call once warm`, `${f1(heap)} B/call`, heap <= 16],
    [
      `budget utilisation ≥ 99 % (${long.calls} calls on one key)`,
      `${(use * 100).toFixed(2)} %`,
      use >= 0.99,
    ],
    [
      "shared budget (simulated, with margin): ≤ 20 per 60 s window, no 429, ≤ 1.10× ideal",
      `${worst} per window, ${tooMany} × 429, ${slowest.toFixed(4)}× ideal`,
      worst <= 20 && tooMany === 0 && slowest <= 1.1,
    ],
  ];
}

const overhead = (rows: OverheadRow[]) =>
  table(
    ["variant", "calls", "mean µs", "p50 µs", "p99 µs", "× bare (p50)"],
    rows.map((r) => [r.name, r.samples, f1(r.avg), f1(r.p50), f1(r.p99), r.ratioP50.toFixed(2)]),
  );

/** The generated blocks of BENCHMARKS.md, by name. */
export function blocks(r: Results, info: RunInfo): Record<string, string> {
  const { machine: m } = info;
  const mem = r.limiter.memory;
  const shown = Object.keys(r.bundle.breakdown).filter((n) => /PrimeIntellect|full/.test(n));
  const files = [...new Set(shown.flatMap((n) => r.bundle.breakdown[n]!.map((i) => i.file)))];
  const bytes = (n: string, file: string) =>
    r.bundle.breakdown[n]!.find((i) => i.file === file)?.bytes ?? 0;
  const imports = r.importTime.rows.map((row) => [
    row.runtime,
    ...[row.importMs, row.processDeltaMs, row.emptyProcessMs, row.openapiFetchImportMs].map(f1),
  ]);
  return {
    run: [
      `- **Command:** \`${info.command}\` (${info.seconds.toFixed(0)} s)`,
      `- **Date:** ${info.date}`,
      `- **Machine:** ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}`,
      `- **Runtimes:** ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    ].join("\n"),
    targets: table(
      ["target", "measured", "status"],
      verdicts(r).map(([t, v, ok]) => [t, v, ok ? "✅ met" : "❌ missed"]),
    ),
    loopback: overhead(r.overhead.loopback),
    inProcess: overhead(r.overhead.inProcess),
    layers: overhead(r.overhead.layers),
    bundle: table(
      ["consumer", "min kB", "min+gz kB"],
      r.bundle.sandgate.map((b) => [b.name, kb(b.minBytes), kb(b.gzipBytes)]),
    ),
    peers: table(
      ["package", "version", "min kB", "min+gz kB", "note"],
      r.bundle.peers.map((
        b,
      ) => [b.name, b.version ?? "—", kb(b.minBytes), kb(b.gzipBytes), b.error ?? ""]),
    ),
    breakdown: table(
      [
        "input file",
        ...shown.map((n) => n.replace(/`|import |[{}] ?|\s*from "sandgate"| \(.*\)/g, "")),
      ],
      files.map((file) => [file, ...shown.map((n) => bytes(n, file))]),
    ),
    import: r.importTime.notBuilt ?? table(
      ["runtime", "import ms (in-process)", "process Δ ms", "empty process ms", "openapi-fetch ms"],
      imports,
    ),
    limiter: [
      table(
        ["live keys", "ns / call (p50)"],
        r.limiter.perCall.map((p) => [p.keys, Math.round(p.nsPerCall)]),
      ),
      "",
      table([`memory${mem.forcedGc ? " (after forced GC)" : ""}`, "value"], [
        [
          `${mem.keys} keys touched once`,
          `${mib(mem.heapWithKeysBytes)} MiB (${
            mem.bytesPerKey.toFixed(0)
          } B/key), ${mem.keysHeld} keys held`,
        ],
        [
          `after they went idle and ${mem.keys} calls on 10 other keys`,
          `${mib(mem.retainedAfterIdleBytes)} MiB retained, ${mem.keysHeldAfterIdle} keys held`,
        ],
      ]),
    ].join("\n"),
    heap: [
      table(["calls", "heap MiB"], r.heap.checkpoints.map((c) => [c.calls, mib(c.heapBytes)])),
      "",
      `Growth after warm-up: ${(r.heap.growthBytes / 1024).toFixed(0)} KiB, ` +
      `${r.heap.bytesPerCall.toFixed(2)} bytes per call${
        r.heap.forcedGc ? "" : " (no forced GC)"
      }.`,
    ].join("\n"),
    attach: table(
      ["measure", "attach", "raw WebSocket", "ratio", "goal"],
      [
        [
          "output throughput MB/s",
          f1(r.attach.throughput.attachMBps),
          f1(r.attach.throughput.rawMBps),
          r.attach.throughput.ratio.toFixed(2),
          r.attach.throughput.goal,
        ],
        [
          "keystroke round-trip p50 ms",
          r.attach.keystroke.attachP50Ms.toFixed(3),
          r.attach.keystroke.rawP50Ms.toFixed(3),
          r.attach.keystroke.ratio.toFixed(2),
          r.attach.keystroke.goal,
        ],
        [
          `paused reader, ${f1(r.attach.pausedReader.outputBytes / 1e6)} MB of output: ` +
          `peak RSS / heap Δ MB (${r.attach.pausedReader.outcome})`,
          `${f1(r.attach.pausedReader.peakRssDeltaMB)} / ${
            f1(r.attach.pausedReader.peakHeapDeltaMB)
          }`,
          "—",
          "—",
          `bounded (maxBufferedBytes ${mib(r.attach.pausedReader.maxBufferedBytes)} MiB)`,
        ],
      ],
    ),
    fleet: table(
      ["scenario", "calls", "most in any 60 s window", "429s", "span / ideal"],
      r.sharedFleet.map(({ name, result: s }) => [
        name,
        s.calls,
        s.maxInWindow,
        s.tooMany,
        (s.spanMs / s.idealMs).toFixed(4),
      ]),
    ),
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
