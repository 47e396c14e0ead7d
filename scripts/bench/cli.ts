/**
 * Benchmark 11, the CLI where users meet it (issue 25): the npm build's bin on Node 22
 * (scripts/node_lts.ts), run as fresh processes.
 *
 * - Start-up: wall time of `sandgate --version`, median and p90, against e2b's CLI (npm
 *   `@e2b/cli`, installed at bench time next to the bundle step's peers; never in `--quick`)
 *   run the same way, `<node 22> <its bin script> --version`, the two alternating run by run.
 * - ssh handoff: from spawning `sandgate ssh sb-bench` (Prime Intellect, a served emulator on
 *   127.0.0.1, the sandbox running and not a VM) to the moment a fake `ssh` first on PATH starts
 *   (it writes `date +%s%N`); the real `ssh-keygen` makes the throwaway key, as for users.
 *
 * Needs the npm build (`deno task build:npm`); without it (or without Node 22) the rows are
 * not measured and say so. Prime's CLI (Python; PyPI is unreachable here) and Tensorlake's (not
 * on npm) are not run: their rows say why.
 *
 * ```sh
 * deno task build:npm && deno run -A scripts/bench/cli.ts [--quick]
 * ```
 *
 * @module
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { run } from "../_run.ts";
import { cachedNode, ensureNode, PINNED } from "../node_lts.ts";
import { PEER_DIR } from "./bundle.ts";
import { packageVersion, quantile } from "./machine.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const BIN = `${ROOT}npm/bin/sandgate.js`;
const NO_BUILD = "not measured: no npm build (deno task build:npm)";
const NO_NODE = "not measured: no Node 22 (scripts/node_lts.ts; `--quick` installs nothing)";
const E2B = "@e2b/cli";
/** `prime sandbox ssh` sleeps this long before it runs ssh (see BENCHMARKS.md section 11). */
const PRIME_SSH_SLEEP_MS = 5_000;
const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "—");

/** Wall ms of one fresh process to its exit (killed after 30 s); NaN when it fails (not kept). */
async function timeProcess(cmd: string, args: string[]) {
  const t0 = performance.now();
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const { success } = await child.status;
  clearTimeout(killer);
  return success ? performance.now() - t0 : NaN;
}

/** e2b's CLI bin script, installing the package first when `install`; or why there is none. */
async function e2bBin(install: boolean): Promise<string> {
  const link = `${PEER_DIR}/node_modules/.bin/e2b`;
  if (!existsSync(link)) {
    if (!install) return "not measured: --quick installs nothing";
    const args = ["install", "--prefix", PEER_DIR, "--no-audit", "--no-fund", "--no-package-lock"];
    const failed = await run("npm", [...args, E2B]).then(
      () => "",
      (error) => error.message.trim().split("\n").at(-1) as string,
    );
    if (!existsSync(link)) return `not measured: npm install ${E2B} failed (${failed})`;
  }
  return realpathSync(link);
}

/** Time from spawning `sandgate ssh` to the fake `ssh` starting, per run (ms). */
async function sshHandoff(node: string, runs: number): Promise<number[] | string> {
  await using server = await serve(
    createEmulator({ apiKeys: ["bench-key"], sandboxes: ["sb-bench"], rateLimit: false }),
  );
  const dir = mkdtempSync(join(tmpdir(), "sandgate-bench-ssh-"));
  const stamp = join(dir, "ssh.started");
  writeFileSync(
    join(dir, "ssh"),
    `#!/bin/sh\ndate +%s%N > "${stamp}.tmp"\nmv "${stamp}.tmp" "${stamp}"\n`,
  );
  chmodSync(join(dir, "ssh"), 0o755);
  const env = {
    PRIME_API_KEY: "bench-key",
    PRIME_API_BASE_URL: server.url,
    PATH: `${dir}:${Deno.env.get("PATH") ?? ""}`,
    NO_COLOR: "1",
  };
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      rmSync(stamp, { force: true });
      const startedAt = Date.now();
      const child = new Deno.Command(node, {
        args: [BIN, "ssh", "sb-bench"],
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const { success, stderr } = await child.output();
      clearTimeout(killer);
      if (!success || !existsSync(stamp)) {
        const why = new TextDecoder().decode(stderr).trim().split("\n").at(-1);
        return `not measured: sandgate ssh failed (${why})`;
      }
      samples.push(Number(BigInt(readFileSync(stamp, "utf8").trim()) / 1000n) / 1000 - startedAt);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

/** Runs benchmark 11; the rows and the figures the targets judge (NaN when not measured). */
export async function benchCli(quick: boolean) {
  const runs = quick ? 2 : 21;
  const node = existsSync(BIN)
    ? (quick ? cachedNode("22") : await ensureNode(PINNED["22"]!)) ?? NO_NODE
    : NO_BUILD;
  const built = node !== NO_BUILD && node !== NO_NODE;
  const e2b = built ? await e2bBin(!quick) : node;
  const e2bOk = e2b.startsWith("/");
  const [sg, peer]: [number[], number[]] = [[], []];
  for (let i = 0; built && i < runs; i++) {
    // Alternate which goes first, so neither always follows the other.
    const order = i % 2 ? [[peer, e2b], [sg, BIN]] : [[sg, BIN], [peer, e2b]];
    for (const [into, script] of order as [number[], string][]) {
      if (into === peer && !e2bOk) continue;
      const ms = await timeProcess(node, [script, "--version"]);
      if (Number.isFinite(ms)) into.push(ms);
    }
  }
  const handoff = built ? await sshHandoff(node, runs) : node;
  const ssh = typeof handoff === "string" ? [] : handoff;
  const startup = { median: quantile(sg, 0.5), p90: quantile(sg, 0.9) };
  const e2bStartup = { median: quantile(peer, 0.5), p90: quantile(peer, 0.9) };
  const sshMedian = quantile(ssh, 0.5);
  const e2bVersion = e2bOk ? packageVersion(E2B, `${PEER_DIR}/`) : "—";
  const notRun = (why: string) => ({ "median ms": "—", "p90 ms": "—", note: why });
  return {
    node: built ? `Node ${PINNED["22"]}, ${runs} fresh processes each` : node,
    /** Not measured for want of the npm build or Node 22 (`--quick` before `build:npm`). */
    skipped: !built,
    startup,
    e2bStartup,
    /** sandgate's median start-up over e2b CLI's (NaN when e2b's was not measured). */
    startupVsE2b: startup.median / e2bStartup.median,
    sshMedian,
    startupRows: [
      {
        CLI: "`sandgate --version`",
        "median ms": f(startup.median),
        "p90 ms": f(startup.p90),
        note: built ? "measured" : node,
      },
      {
        CLI: `\`e2b --version\` (${E2B} ${e2bVersion})`,
        "median ms": f(e2bStartup.median),
        "p90 ms": f(e2bStartup.p90),
        note: e2bOk ? `measured; sandgate ${f(startup.median / e2bStartup.median, 2)}× e2b` : e2b,
      },
      {
        CLI: "`prime --version`",
        ...notRun("not measured: Python CLI, PyPI unreachable here"),
      },
      {
        CLI: "`tensorlake` CLI",
        ...notRun("not measured: not on npm (npm `tensorlake` ships only deploy/image bins)"),
      },
    ],
    sshRows: [
      {
        command: "`sandgate ssh` (emulator, fake ssh)",
        "spawn → ssh starts, median ms": f(sshMedian),
        "p90 ms": f(quantile(ssh, 0.9)),
        note: typeof handoff === "string"
          ? handoff
          : `measured, ${ssh.length} runs; ≤ ${
            f(sshMedian / PRIME_SSH_SLEEP_MS, 2)
          }× \`prime sandbox ssh\` (its sleep alone)`,
      },
      {
        command: "`prime sandbox ssh`",
        "spawn → ssh starts, median ms": `≥ ${PRIME_SSH_SLEEP_MS}`,
        "p90 ms": "—",
        note:
          "from source, not measured: `time.sleep(5)` before ssh (prime_cli sandbox.py `ssh_connect`)",
      },
    ],
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchCli(Deno.args.includes("--quick")), null, 2));
}
