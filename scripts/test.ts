/**
 * The whole check behind `npm test`: runs each deno.json task in order, stops at the first
 * failure, and ends with one line `N passed, N failed` counting the tests of every runner (a
 * failed step that runs no tests counts as one failure).
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
  ["format", "fmt:check"],
  ["deno lint + oxlint", "lint"],
  ["type check", "check"],
  ["generated code drift", "generate:check"],
  ["doc lint", "doc:lint"],
  ["README and docs/ examples type-check", "doc:readme"],
  ["API reference (deno doc --html)", "doc:html"],
  ["doc examples", "doc:examples", "deno"],
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

/** Runs one task; its output is shown as it comes and kept for the counts. */
async function run(task: string): Promise<{ ok: boolean; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", task],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const show = (stream: ReadableStream<Uint8Array>, sink: WritableStream<Uint8Array>) => {
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

async function main(args: string[]): Promise<number> {
  const { only = "" } = parseArgs({ args, options: { only: { type: "string" } } }).values;
  const steps = STEPS.filter(([name]) => name.includes(only));
  let [passed, failed] = [0, 0];
  const started = performance.now();
  const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  for (const [name, task, kind] of steps) {
    console.log(`\n=== ${name}: deno task ${task}`);
    const t0 = performance.now();
    const { ok, output } = await run(task);
    const counts = kind ? parseCounts(kind, output) : undefined;
    passed += counts?.[0] ?? 0;
    failed += counts?.[1] ?? 0;
    const problem = !ok ? "FAILED" : kind && !counts ? "could not read the test counts" : "";
    if (problem) {
      if (!counts || counts[1] === 0) failed += 1;
      console.log(`=== ${name}: ${problem} (${seconds(t0)})\n\nstopped at the failing step`);
      console.log(`${passed} passed, ${failed} failed`);
      return 1;
    }
    console.log(`=== ${name}: ok (${seconds(t0)})`);
  }
  console.log(`\nall ${steps.length} steps passed in ${seconds(started)}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
