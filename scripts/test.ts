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
  /** Command and arguments; `deno` means the running Deno. */
  cmd: string[];
  /** How to read the test counts from its output, if it runs tests. */
  counts?: "deno" | "node" | "bun";
  /** Extra environment. */
  env?: Record<string, string>;
}

const BIN = "./node_modules/.bin/";

/** Every step of `npm test`, in order. Later steps build on earlier ones. */
export const STEPS: Step[] = [
  { name: "format", cmd: ["deno", "fmt", "--check"] },
  { name: "deno lint", cmd: ["deno", "lint"] },
  { name: "oxlint", cmd: [`${BIN}oxlint`, "--deny-warnings", "src"] },
  { name: "type check", cmd: ["deno", "check", "mod.ts", "scripts/", "tests/"] },
  {
    name: "generated code drift",
    cmd: [
      "deno",
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "scripts/generate.ts",
      "--check",
    ],
  },
  {
    name: "doc lint",
    cmd: ["deno", "run", "--allow-read", "--allow-run", "--allow-env", "scripts/doc_lint.ts"],
  },
  {
    // Every TypeScript/JavaScript block of the README type-checks against the sources.
    name: "README examples type-check",
    cmd: ["deno", "check", "--doc-only", "README.md"],
  },
  {
    // Type-checks and runs every @example in the public modules.
    name: "doc examples",
    cmd: ["deno", "test", "--doc", "--allow-all", "mod.ts", "src/"],
    counts: "deno",
  },
  {
    // Installs redis-server when missing (root + apt-get, as on CI) for tests/redis/;
    // otherwise warns loudly that the Redis suite is skipped (fails under SANDGATE_REQUIRE_REDIS=1).
    name: "redis-server for the Redis store tests",
    cmd: ["deno", "run", "--allow-all", "scripts/redis_server.ts", "ensure"],
  },
  {
    // Installs tmux when missing (root + apt-get, as on CI) for the interactive `sandgate pty` test.
    name: "tmux for the CLI pty test",
    cmd: ["deno", "run", "--allow-all", "tests/cli/tmux.ts", "ensure"],
  },
  {
    name: "tests on deno",
    cmd: ["deno", "test", "--allow-all", "tests/"],
    counts: "deno",
  },
  {
    // Tiny counts: proves every benchmark still runs and yields finite numbers; asserts no timing.
    name: "bench --quick",
    cmd: ["deno", "run", "--allow-all", "--v8-flags=--expose-gc", "scripts/bench.ts", "--quick"],
  },
  // Packaging (issue 7): JSR, then the npm build and the runtime matrix.
  { name: "jsr publish dry run", cmd: ["deno", "publish", "--dry-run", "--allow-dirty"] },
  {
    name: "npm build",
    cmd: [
      "deno",
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      "scripts/build_npm.ts",
    ],
  },
  {
    // The same test files as `deno test`, compiled next to the built package (Node 20: a directory
    // argument runs its *_test.js files).
    name: "tests on node (built package)",
    cmd: ["node", "--test", "npm/esm/tests/"],
    counts: "node",
  },
  {
    name: "tests on bun (built package)",
    cmd: [`${BIN}bun`, "test", "./npm/esm/tests/"],
    counts: "bun",
  },
  { name: "publint", cmd: [`${BIN}publint`, "--strict", "npm"] },
  { name: "attw (are the types wrong)", cmd: [`${BIN}attw`, "--pack", "npm"] },
  {
    name: "workerd (miniflare, no nodejs_compat)",
    cmd: ["node", "--test", "tests/workerd/workerd.mjs"],
    counts: "node",
  },
  {
    name: "consumer smoke (npm pack → node import/require, bun, deno)",
    cmd: ["deno", "run", "--allow-all", "scripts/check_package.ts"],
  },
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
  const [command, ...args] = step.cmd;
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
    console.log(`\n=== ${step.name}: ${step.cmd.join(" ")}`);
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
