/**
 * Consumer smoke test of the npm package built by `deno task build:npm`: `npm pack`s `npm/`,
 * installs the tarball into a fresh temporary project (`openapi-fetch` comes from the npm cache
 * or the registry like for any user), then, against the in-process emulator of
 * `sandgate/testing`, exposes a port, lists and unexposes it from Node and Bun (`import` and
 * `require`, each also loading the other module system's copy, whose guards must recognise the
 * errors) and Deno (a bare `import "sandgate"` from the project's `node_modules`, type-checked
 * first); the `sandgate` bin must answer `--help`; every relative link of the packed README and
 * guides must lead to a packed file. That the types resolve under every
 * `moduleResolution` is attw's check, that the README's examples type-check `doc:readme`'s.
 *
 * ```sh
 * deno task build:npm && deno task check:package
 * ```
 *
 * @module
 */
import { brokenLinks } from "./build_npm.ts";
import { run } from "./_run.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The flow each consumer runs; prints one JSON line of what it saw. */
const FLOW = `
const emulator = createEmulator();
const sandbox = new PrimeIntellect({ apiKey: "consumer-key", fetch: emulator.fetch }).sandbox("sb-consumer");
const exposure = await sandbox.exposePort({ port: 8000, name: "web" });
const listed = await sandbox.listExposures();
const { alreadyGone } = await exposure.unexpose();
// A second, strict unexpose: a typed error from the package's own classes.
const gone = await sandbox.unexposePort(exposure.exposureId, { strict: true }).catch((e) => e);
console.log(JSON.stringify({
  ok: /^https:\\/\\/8000-/.test(exposure.url) && listed.length === 1 &&
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
/** The consumer project's files. */
const PROJECT = {
  "package.json": `{ "name": "consumer", "private": true }`,
  "deno.json": `{ "nodeModulesDir": "manual" }`,
  "smoke.mjs": `import { createRequire } from "node:module";
import { NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
const other = createRequire(import.meta.url)("sandgate");
${DUAL}
${FLOW}`,
  "smoke.cjs": `const { NotFoundError, PrimeIntellect, SandgateError } = require("sandgate");
const { createEmulator } = require("sandgate/testing");
(async () => {
const other = await import("sandgate");
${DUAL}
${FLOW}})().catch((error) => { console.error(error); process.exit(1); });
`,
  "smoke.ts": `import { isApiError, NotFoundError, PrimeIntellect, SandgateError } from "sandgate";
import { createEmulator } from "sandgate/testing";
const DUAL = (e: unknown) => isApiError(e);
${FLOW}`,
};

const must = (cmd: string, args: string[], cwd: string) =>
  run(cmd, args, { cwd, env: { NO_COLOR: "1" }, signal: AbortSignal.timeout(120_000) });

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "sandgate-consumer-" });
  const project = `${dir}/project`;
  try {
    const [packed] = JSON.parse(
      await must("npm", ["pack", "--json", "--pack-destination", dir], `${ROOT}npm`),
    ) as { filename: string; files: { path: string }[]; size: number }[];
    console.log(`packed ${packed!.filename}: ${packed!.files.length} files, ${packed!.size} bytes`);
    await Deno.mkdir(project);
    for (const [file, code] of Object.entries(PROJECT)) {
      await Deno.writeTextFile(`${project}/${file}`, code);
    }
    const install = ["install", "--no-audit", "--no-fund", "--prefer-offline"];
    await must("npm", [...install, `../${packed!.filename}`], project);
    const [deno, bun] = [Deno.execPath(), `${ROOT}node_modules/.bin/bun`];
    await must(deno, ["check", "smoke.ts"], project);
    const cases: [string, string, ...string[]][] = [
      ["node (import)", "node", "smoke.mjs"],
      ["node (require)", "node", "smoke.cjs"],
      ["bun (import)", bun, "smoke.mjs"],
      ["bun (require)", bun, "smoke.cjs"],
      ["deno (import, type-checked)", deno, "run", "--no-prompt", "smoke.ts"],
    ];
    for (const [label, cmd, ...args] of cases) {
      const line = (await must(cmd, args, project)).trim().split("\n").at(-1)!;
      if (!JSON.parse(line).ok) throw new Error(`${label}: ${line}`);
      console.log(`ok ${label}: exposed, listed, unexposed, typed NotFoundError`);
    }
    // npm users import `sandgate`: the README as npm ships it says so.
    const readme = await Deno.readTextFile(`${project}/node_modules/sandgate/README.md`);
    const stale = readme.match(/(["'])@sandgate\/sdk(\/[a-z]+)?\1/g);
    if (stale) throw new Error(`npm README still imports ${stale.join(", ")}`);
    // Every relative link of the packed README and guides leads to a packed file (npmjs.com).
    const packedFiles = packed!.files.map((f) => f.path);
    const markdown = Object.fromEntries(
      await Promise.all(
        packedFiles.filter((f) => f.endsWith(".md")).map(async (f) =>
          [f, await Deno.readTextFile(`${project}/node_modules/sandgate/${f}`)] as const
        ),
      ),
    );
    const broken = brokenLinks(markdown, packedFiles);
    if (broken.length) throw new Error(`packed links to unpacked files: ${broken.join(", ")}`);
    await must(`${project}/node_modules/.bin/sandgate`, ["--help"], project);
    console.log("ok README imports sandgate; ok links of README and docs/ lead to packed files");
    console.log("ok bin: npx sandgate --help\nconsumer smoke passed");
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exitCode = 1;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
