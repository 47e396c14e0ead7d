/**
 * Consumer smoke test of the npm package built by `deno task build:npm`:
 * `npm pack`s `npm/`, installs the tarball into a fresh temporary project
 * (`npm install <tarball>`: `openapi-fetch` comes from the npm cache or the
 * registry like for any user), then, against the in-process emulator of
 * `sandgate/testing`, exposes a port, lists and unexposes it from
 *
 * - Node: `import` (ESM) and `require` (CommonJS),
 * - Bun: `import` and `require`,
 * - Deno: a bare `import "sandgate"` resolved from the project's
 *   `node_modules` (`nodeModulesDir: "manual"`), type-checked first.
 *
 * ```sh
 * deno task build:npm && deno task check:package
 * ```
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
const BIN = `${rootPath}/node_modules/.bin`;

/** The flow each consumer runs; `IMPORTS` is replaced per module system. */
const FLOW = `
const emulator = createEmulator();
const prime = new PrimeIntellect({ apiKey: "consumer-key", fetch: emulator.fetch });
const sandbox = prime.sandbox("sb-consumer");
const exposure = await sandbox.exposePort({ port: 8080, name: "web" });
const listed = await sandbox.listExposures();
const cleanup = await exposure.unexpose();
// A second, strict unexpose: a typed error from the package's own classes.
const gone = await sandbox.unexposePort(exposure.exposureId, { strict: true }).catch((e) => e);
console.log(JSON.stringify({
  runtime: RUNTIME,
  url: exposure.url,
  listed: listed.map((e) => e.exposureId),
  exposureId: exposure.exposureId,
  alreadyGone: cleanup.alreadyGone,
  live: emulator.live().exposures,
  isSandgateError: gone instanceof NotFoundError && gone instanceof SandgateError,
  name: gone.name,
  dual: DUAL(gone),
}));
`;

// The other module system's copy of the package, loaded in the same process: its
// guards and classes must recognise this copy's errors (dual-package hazard).
const ESM = `import { createRequire } from "node:module";
import { NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
const RUNTIME = typeof Bun !== "undefined" ? "bun (import)" : "node (import)";
const other = createRequire(import.meta.url)("sandgate");
const DUAL = (e) => other.NotFoundError !== NotFoundError && other.isApiError(e) &&
  e instanceof other.NotFoundError;
${FLOW}`;

const CJS = `const { NotFoundError, PrimeIntellect, SandgateError } = require("sandgate");
const { createEmulator } = require("sandgate/testing");
const RUNTIME = typeof Bun !== "undefined" ? "bun (require)" : "node (require)";
(async () => {
const other = await import("sandgate");
const DUAL = (e) => other.NotFoundError !== NotFoundError && other.isApiError(e) &&
  e instanceof other.NotFoundError;
${FLOW}
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

const DENO = `import { isApiError, NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
const RUNTIME: string = "deno (import)";
const DUAL = (e: unknown) => isApiError(e);
${FLOW}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> {
  const output = await new Deno.Command(cmd, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function must(label: string, cmd: string, args: string[], cwd: string): Promise<string> {
  const result = await run(cmd, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${label} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

interface SmokeResult {
  runtime: string;
  url: string;
  listed: string[];
  exposureId: string;
  alreadyGone: boolean;
  live: number;
  isSandgateError: boolean;
  name: string;
  dual: boolean;
}

function checkResult(expected: string, stdout: string): SmokeResult {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  const result = JSON.parse(line) as SmokeResult;
  const problems: string[] = [];
  if (result.runtime !== expected) problems.push(`runtime ${result.runtime}`);
  if (!/^https:\/\/8080-/.test(result.url)) problems.push(`url ${result.url}`);
  if (result.listed.length !== 1 || result.listed[0] !== result.exposureId) {
    problems.push(`listed ${JSON.stringify(result.listed)}`);
  }
  if (result.alreadyGone !== false) problems.push("unexpose said alreadyGone");
  if (result.live !== 0) problems.push(`${result.live} exposures still live`);
  if (!result.isSandgateError) problems.push("a strict unexpose did not throw a NotFoundError");
  if (result.name !== "NotFoundError") problems.push(`error name ${result.name}`);
  if (!result.dual) problems.push("the other module system's copy did not recognise the error");
  if (problems.length > 0) throw new Error(`${expected}: ${problems.join("; ")}\n${line}`);
  return result;
}

/**
 * The README's TypeScript/JavaScript examples that import nothing but the
 * package (the Redis ones need a Redis client, the `node:` ones @types/node,
 * which a bare consumer project does not have).
 */
export function readmeBlocks(readme: string): string[] {
  const blocks: string[] = [];
  for (const match of readme.matchAll(/^```(ts|js)( ignore)?\n([\s\S]*?)^```$/gm)) {
    const code = match[3]!;
    if (match[2] || /\brequire\(/.test(code)) continue; // CommonJS runs in smoke.cjs
    const specifiers = [...code.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
    if (specifiers.every((s) => /^sandgate(\/|$)/.test(s))) {
      // Each example is a module of its own, as a user's file would be.
      blocks.push(/^(import|export) /m.test(code) ? code : `${code}\nexport {};\n`);
    }
  }
  return blocks;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "sandgate-consumer-" });
  try {
    const packed = JSON.parse(
      await must(
        "npm pack",
        "npm",
        ["pack", "--json", "--pack-destination", dir],
        `${rootPath}/npm`,
      ),
    ) as { filename: string; files: unknown[]; size: number }[];
    const tarball = packed[0]!;
    console.log(`packed ${tarball.filename}: ${tarball.files.length} files, ${tarball.size} bytes`);

    const project = `${dir}/project`;
    await Deno.mkdir(project);
    await Deno.writeTextFile(
      `${project}/package.json`,
      JSON.stringify({ name: "sandgate-consumer", private: true }, null, 2),
    );
    await must(
      "npm install",
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", `../${tarball.filename}`],
      project,
    );
    const installed = JSON.parse(
      await Deno.readTextFile(`${project}/node_modules/sandgate/package.json`),
    ) as { version: string };
    console.log(`installed sandgate@${installed.version} into a fresh project`);

    await Deno.writeTextFile(`${project}/smoke.mjs`, ESM);
    await Deno.writeTextFile(`${project}/smoke.cjs`, CJS);
    await Deno.writeTextFile(`${project}/smoke.ts`, DENO);
    await Deno.writeTextFile(
      `${project}/deno.json`,
      JSON.stringify({ nodeModulesDir: "manual" }, null, 2),
    );

    const deno = Deno.execPath();
    const cases: [string, string, string[]][] = [
      ["node (import)", "node", ["smoke.mjs"]],
      ["node (require)", "node", ["smoke.cjs"]],
      ["bun (import)", `${BIN}/bun`, ["smoke.mjs"]],
      ["bun (require)", `${BIN}/bun`, ["smoke.cjs"]],
    ];
    for (const [label, cmd, args] of cases) {
      const out = await must(label, cmd, args, project);
      const r = checkResult(label, out);
      console.log(`ok ${label}: exposed ${r.url}, listed, unexposed`);
    }
    // Deno: the package's types must check too, then the same flow runs.
    await must("deno check", deno, ["check", "smoke.ts"], project);
    const out = await must("deno (import)", deno, ["run", "--no-prompt", "smoke.ts"], project);
    const r = checkResult("deno (import)", out);
    console.log(`ok deno (import, type-checked): exposed ${r.url}, listed, unexposed`);

    // The README as npm ships it: examples import `sandgate`, and every example that
    // uses only sandgate type-checks against the installed package.
    const readme = await Deno.readTextFile(`${project}/node_modules/sandgate/README.md`);
    const stale = readme.match(/(["'])@sandgate\/sdk(\/[a-z]+)?\1/g);
    if (stale) throw new Error(`npm README still imports ${stale.join(", ")}`);
    const blocks = readmeBlocks(readme);
    for (const [i, code] of blocks.entries()) {
      await Deno.writeTextFile(`${project}/readme_${i}.ts`, code);
    }
    await must(
      "deno check README examples",
      deno,
      ["check", ...blocks.map((_, i) => `readme_${i}.ts`)],
      project,
    );
    console.log(`ok README: ${blocks.length} examples import "sandgate" and type-check`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`consumer smoke passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
