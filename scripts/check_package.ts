/**
 * Consumer smoke test of the npm package built by `deno task build:npm`: `npm pack`s `npm/`,
 * installs the tarball into a fresh temporary project (`openapi-fetch` comes from the npm cache
 * or the registry like for any user), then, against the in-process emulator of
 * `sandgate/testing`, exposes a port, lists and unexposes it from Node and Bun (`import` and
 * `require`) and Deno (a bare `import "sandgate"` from the project's `node_modules`,
 * type-checked first); the `sandgate` bin, when the package has one, must answer `--help`.
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
    gone instanceof NotFoundError && gone instanceof SandgateError,
  url: exposure.url,
}));
`;
const ESM = `import { NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
${FLOW}`;
const CJS = `const { NotFoundError, PrimeIntellect, SandgateError } = require("sandgate");
const { createEmulator } = require("sandgate/testing");
(async () => {${FLOW}})().catch((error) => { console.error(error); process.exit(1); });
`;

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
    await Deno.writeTextFile(`${project}/smoke.ts`, ESM);
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
