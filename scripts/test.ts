/**
 * The whole check behind `npm test`: runs each deno.json task in order, stops at the first
 * failure, and ends with one line `N passed, N failed` counting the tests of every runner (a
 * failed step that runs no tests counts as one failure). Steps of one {@link TOGETHER} group run
 * two at a time (CI has 2 cores), each one's output shown whole when it ends.
 *
 * ```sh
 * deno task test              # everything
 * deno task test --only=deno  # steps whose name contains "deno"
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

type Counts = "deno" | "node" | "bun";

/** Every step of `npm test` as `[name, deno task, how to read its test counts]`, in order. */
export const STEPS: [string, string, Counts?][] = [
  // The longest of the static checks first: the others run beside it (TOGETHER).
  ["doc examples", "doc:examples", "deno"],
  ["format", "fmt:check"],
  ["deno lint + oxlint", "lint"],
  ["type check", "check"],
  ["generated code drift", "generate:check"],
  ["doc lint", "doc:lint"],
  ["README and docs/ examples type-check", "doc:readme"],
  ["API reference (deno doc --html)", "doc:html"],
  // Install redis-server / tmux / OpenSSH when missing (root + apt-get), else warn that their tests skip.
  ["redis-server for the Redis store tests", "redis:ensure"],
  ["tmux for the CLI pty test", "tmux:ensure"],
  ["ssh and sshd for the CLI ssh-config test", "openssh:ensure"],
  ["chromium for the browser test", "browser:ensure"],
  ["tests on deno", "test:deno", "deno"],
  // Tiny counts: proves every benchmark still runs and yields finite numbers; asserts no timing.
  ["bench --quick", "bench:quick"],
  ["jsr publish dry run", "publish:dry-run"],
  ["npm build", "build:npm"],
  // The same test files as `deno test`, compiled next to the built package; Node 22/24 too.
  ["tests on node (built package)", "test:node", "node"],
  ["tests on node 22 (built package)", "test:node22", "node"],
  ["tests on node 24 (built package)", "test:node24", "node"],
  ["tests on bun (built package)", "test:bun", "bun"],
  ["publint", "check:publint"],
  ["attw (are the types wrong)", "check:attw"],
  ["workerd (miniflare, no nodejs_compat)", "check:workerd", "node"],
  ["consumer smoke (npm pack → node import/require, bun, deno)", "check:package"],
];

/**
 * Groups of consecutive steps (by task) that run two at a time. Each only reads the checkout or
 * writes a folder of its own (api-docs/, npm/), and none measures time: the static checks, which
 * are CPU work only, and the small steps before the npm build. The test runs themselves stay one
 * at a time (Node's run two files at a time, each in a process of its own: deno.json).
 */
export const TOGETHER: string[][] = [
  [
    "doc:examples",
    "fmt:check",
    "lint",
    "check",
    "generate:check",
    "doc:lint",
    "doc:readme",
    "doc:html",
  ],
  // Not bench:quick: its steps use npm/ when it exists, which build:npm removes and rewrites.
  ["publish:dry-run", "build:npm"],
];

/** `steps` cut into batches: a run of steps of one {@link TOGETHER} group, or a step alone. */
export function batches<T extends [string, string, ...unknown[]]>(steps: T[]): T[][] {
  const groupOf = (task: string) => TOGETHER.findIndex((g) => g.includes(task));
  const out: T[][] = [];
  for (const step of steps) {
    const last = out.at(-1);
    const group = groupOf(step[1]);
    if (last && group !== -1 && groupOf(last[0]![1]) === group) last.push(step);
    else out.push([step]);
  }
  return out;
}

/** Pulls `[passed, failed]` out of a test runner's summary. */
export function parseCounts(kind: Counts, output: string): [number, number] | undefined {
  // deno-lint-ignore no-control-regex
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  // The summary is the last such line: deno's, node's TAP (`# pass 3`, Node 20 when piped) or
  // spec reporter (`ℹ pass 3`), bun's (` 3 pass`). Test output echoed as TAP comments precedes it.
  const patterns: Record<Counts, RegExp[]> = {
    deno: [/(\d+) passed[^|\n]*\| \d+ failed/g, /\d+ passed[^|\n]*\| (\d+) failed/g],
    node: [/^(?:#|ℹ) pass (\d+)$/gm, /^(?:#|ℹ) fail (\d+)$/gm],
    bun: [/^\s*(\d+) pass$/gm, /^\s*(\d+) fail$/gm],
  };
  const [p, f] = patterns[kind].map((re) => [...text.matchAll(re)].at(-1)?.[1]);
  return p !== undefined && f !== undefined ? [Number(p), Number(f)] : undefined;
}

/**
 * Runs one task and keeps its output for the counts. `live`: its output is shown as it comes;
 * otherwise the caller shows it when the task ends (beside another, lines would interleave).
 */
async function run(task: string, live: boolean): Promise<{ ok: boolean; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", task],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const show = (stream: ReadableStream<Uint8Array>, sink: WritableStream<Uint8Array>) => {
    if (!live) return Promise.all([new Response(stream).text()]);
    const [shown, kept] = stream.tee();
    return Promise.all([new Response(kept).text(), shown.pipeTo(sink, { preventClose: true })]);
  };
  const [status, [out], [err]] = await Promise.all([
    child.status,
    show(child.stdout, Deno.stdout.writable),
    show(child.stderr, Deno.stderr.writable),
  ]);
  return { ok: status.success, output: out + err };
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** One step's outcome: its test counts and what went wrong, if anything. */
type Outcome = { counts: [number, number] | undefined; problem: string };

/** Runs one step, framed by `=== name` lines; `live` as in {@link run}. */
async function step(
  [name, task, kind]: [string, string, Counts?],
  live: boolean,
): Promise<Outcome> {
  const t0 = performance.now();
  if (live) console.log(`\n=== ${name}: deno task ${task}`);
  const { ok, output } = await run(task, live);
  const counts = kind ? parseCounts(kind, output) : undefined;
  const problem = !ok ? "FAILED" : kind && !counts ? "could not read the test counts" : "";
  if (!live) {
    console.log(`\n=== ${name}: deno task ${task} (run beside another step)`);
    await Deno.stdout.write(new TextEncoder().encode(output));
  }
  console.log(`=== ${name}: ${problem || "ok"} (${seconds(t0)})`);
  return { counts, problem };
}

/** Runs a batch two at a time; after a failure, starts no more of it. */
async function together(batch: [string, string, Counts?][]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < batch.length && !outcomes.some((o) => o.problem)) {
      outcomes.push(await step(batch[next++]!, false));
    }
  };
  await Promise.all([lane(), lane()]);
  return outcomes;
}

async function main(args: string[]): Promise<number> {
  const { only = "" } = parseArgs({ args, options: { only: { type: "string" } } }).values;
  const steps = STEPS.filter(([name]) => name.includes(only));
  let [passed, failed] = [0, 0];
  const started = performance.now();
  for (const batch of batches(steps)) {
    const outcomes = batch.length === 1 ? [await step(batch[0]!, true)] : await together(batch);
    for (const { counts, problem } of outcomes) {
      passed += counts?.[0] ?? 0;
      failed += counts?.[1] ?? 0;
      if (problem && (!counts || counts[1] === 0)) failed += 1;
    }
    if (outcomes.some((o) => o.problem)) {
      console.log(`\nstopped at the failing step\n${passed} passed, ${failed} failed`);
      return 1;
    }
  }
  console.log(`\nall ${steps.length} steps passed in ${seconds(started)}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
