/**
 * Consumer smoke test of the npm package built by `deno task build:npm`: `npm pack`s `npm/`,
 * installs the tarball into a fresh temporary project (`openapi-fetch` comes from the npm cache
 * or the registry like for any user), then, against the in-process emulator of
 * `sandgate/testing`, exposes a port, lists and unexposes it from Node and Bun (`import` and
 * `require`, each also loading the other module system's copy, whose guards must recognise the
 * errors) and Deno (a bare `import "sandgate"` from the project's `node_modules`, type-checked
 * first); the README's examples must import `sandgate` and type-check against the package, and
 * the `sandgate` bin, when the package has one, must answer `--help`.
 *
 * ```sh
 * deno task build:npm && deno task check:package
 * ```
 *
 * @module
 */
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The flow each consumer runs; prints one JSON line of what it saw. */
const FLOW = `
const emulator = createEmulator();
const sandbox = new PrimeIntellect({ apiKey: "consumer-key", fetch: emulator.fetch }).sandbox("sb-consumer");
const exposure = await sandbox.exposePort({ port: 8080, name: "web" });
const listed = await sandbox.listExposures();
const { alreadyGone } = await exposure.unexpose();
// A second, strict unexpose: a typed error from the package's own classes.
const gone = await sandbox.unexposePort(exposure.exposureId, { strict: true }).catch((e) => e);
console.log(JSON.stringify({
  ok: /^https:\\/\\/8080-/.test(exposure.url) && listed.length === 1 &&
    listed[0].exposureId === exposure.exposureId && !alreadyGone && emulator.live().exposures === 0 &&
    gone instanceof NotFoundError && gone instanceof SandgateError && gone.name === "NotFoundError" &&
    DUAL(gone),
  url: exposure.url,
}));
`;
// The other module system's copy of the package, loaded in the same process: its guards and
// classes must recognise this copy's errors (dual-package hazard).
const DUAL = `const DUAL = (e) => other.NotFoundError !== NotFoundError && other.isApiError(e) &&
  e instanceof other.NotFoundError;`;
const ESM = `import { createRequire } from "node:module";
import { NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
const other = createRequire(import.meta.url)("sandgate");
${DUAL}
${FLOW}`;
const CJS = `const { NotFoundError, PrimeIntellect, SandgateError } = require("sandgate");
const { createEmulator } = require("sandgate/testing");
(async () => {
const other = await import("sandgate");
${DUAL}
${FLOW}})().catch((error) => { console.error(error); process.exit(1); });
`;
const DENO = `import { isApiError, NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
const DUAL = (e: unknown) => isApiError(e);
${FLOW}`;

/**
 * The README's TypeScript/JavaScript examples that import nothing but the package (the Redis
 * ones need a Redis client, the `node:` ones @types/node, which a bare consumer project lacks).
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

async function must(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const [stdout, stderr] = [out.stdout, out.stderr].map((b) => new TextDecoder().decode(b));
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  return stdout!;
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sandgate-consumer-" });
  try {
    const [packed] = JSON.parse(
      await must("npm", ["pack", "--json", "--pack-destination", dir], `${ROOT}npm`),
    ) as { filename: string; files: unknown[]; size: number }[];
    console.log(`packed ${packed!.filename}: ${packed!.files.length} files, ${packed!.size} bytes`);
    const project = `${dir}/project`;
    await Deno.mkdir(project);
    await Deno.writeTextFile(`${project}/package.json`, `{ "name": "consumer", "private": true }`);
    await Deno.writeTextFile(`${project}/deno.json`, `{ "nodeModulesDir": "manual" }`);
    await must("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      `../${packed!.filename}`,
    ], project);
    await Deno.writeTextFile(`${project}/smoke.mjs`, ESM);
    await Deno.writeTextFile(`${project}/smoke.cjs`, CJS);
    await Deno.writeTextFile(`${project}/smoke.ts`, DENO);
    const deno = Deno.execPath();
    await must(deno, ["check", "smoke.ts"], project);
    const bun = `${ROOT}node_modules/.bin/bun`;
    const cases: [string, string, string][] = [
      ["node (import)", "node", "smoke.mjs"],
      ["node (require)", "node", "smoke.cjs"],
      ["bun (import)", bun, "smoke.mjs"],
      ["bun (require)", bun, "smoke.cjs"],
      ["deno (import, type-checked)", deno, "smoke.ts"],
    ];
    for (const [label, cmd, file] of cases) {
      const args = cmd === deno ? ["run", "--no-prompt", file] : [file];
      const line = (await must(cmd, args, project)).trim().split("\n").at(-1)!;
      if (!(JSON.parse(line) as { ok: boolean }).ok) throw new Error(`${label}: ${line}`);
      console.log(`ok ${label}: exposed, listed, unexposed, typed NotFoundError`);
    }
    // The README as npm ships it: examples import `sandgate`, and every example that uses only
    // sandgate type-checks against the installed package.
    const readme = await Deno.readTextFile(`${project}/node_modules/sandgate/README.md`);
    const stale = readme.match(/(["'])@sandgate\/sdk(\/[a-z]+)?\1/g);
    if (stale) throw new Error(`npm README still imports ${stale.join(", ")}`);
    const blocks = readmeBlocks(readme);
    for (const [i, code] of blocks.entries()) {
      await Deno.writeTextFile(`${project}/readme_${i}.ts`, code);
    }
    await must(deno, ["check", ...blocks.map((_, i) => `readme_${i}.ts`)], project);
    console.log(`ok README: ${blocks.length} examples import "sandgate" and type-check`);
    const pkg = JSON.parse(await Deno.readTextFile(`${ROOT}npm/package.json`)) as { bin?: object };
    if (pkg.bin) {
      await must(`${project}/node_modules/.bin/sandgate`, ["--help"], project);
      console.log("ok bin: npx sandgate --help");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    await main();
    console.log("consumer smoke passed");
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
