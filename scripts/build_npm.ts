/**
 * Builds the npm package `npm/` from the Deno sources (dnt is JSR-only), as docs/development.md's
 * "The npm build" describes: `tsc -p` of the three projects in `scripts/npm/` (declarations,
 * CommonJS, the portable tests), one esbuild bundle per `deno.json` entry into `dist/` and one
 * for the CLI bin; then `package.json`. That `src/` uses Web APIs only is oxlint's job
 * (`.oxlintrc.json`); here, esbuild's metafile must show no bare import that is not an `npm:`
 * dependency of `deno.json`.
 *
 * @module
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as esbuild from "esbuild";
import { run } from "./_run.ts";

/** The parts of `deno.json` the build reads: subpath → source file, and the import map. */
type DenoConfig = {
  version: string;
  license?: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
};

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const OUT = `${ROOT}npm`;
/** The fields of the npm `package.json` that `deno.json` has none for. */
const BASE = JSON.parse(readFileSync(`${ROOT}scripts/npm/package.base.json`, "utf8"));

/**
 * What the README and the guides link to, shipped as they are so that every relative link works
 * in the tarball (npmjs.com, `node_modules/sandgate`, unpkg): the package has no verified canonical
 * repository URL to rewrite them to. README, LICENSE and package.json are always packed.
 */
export const DOCS = ["docs/", "examples/", "CHANGELOG.md", "BENCHMARKS.md"];

/** `./src/testing/mod.ts` → `src/testing/mod`. */
const stem = (source: string) => source.replace(/^\.\//, "").replace(/\.ts$/, "");
/** The npm entry points as `[subpath, stem]`: the CLI is the `sandgate` bin there, no subpath. */
const entries = (config: DenoConfig): [string, string][] =>
  Object.entries(config.exports).filter(([k]) => k !== "./cli").map(([k, v]) => [k, stem(v)]);

/** Splits an npm import-map target `npm:name@range/sub` into name and range. */
export function parseNpmSpecifier(spec: string): { name: string; range: string } | undefined {
  const m = /^npm:(@[^/@]+\/[^/@]+|[^/@]+)(?:@([^/]+))?/.exec(spec);
  return m ? { name: m[1]!, range: m[2] ?? "*" } : undefined;
}

/** The generated `package.json`. */
export function packageJson(config: DenoConfig, dependencies: Record<string, string>, bin: string) {
  const exportsField = Object.fromEntries(
    entries(config).map(([subpath, s]) => [subpath, {
      import: { types: `./dist/${s}.d.ts`, default: `./dist/${s}.js` },
      require: { types: `./cjs/${s}.d.ts`, default: `./cjs/${s}.js` },
    }]),
  );
  const main = stem(config.exports["."]!);
  const stubs = entries(config).flatMap(([k]) => (k === "." ? [] : `${k.slice(2)}/`));
  return {
    ...BASE,
    version: config.version,
    license: config.license ?? "MIT",
    main: `./cjs/${main}.js`,
    module: `./dist/${main}.js`,
    types: `./cjs/${main}.d.ts`,
    bin: { [BASE.name]: bin },
    exports: { ...exportsField, "./package.json": "./package.json" },
    files: ["dist/", "cjs/", "bin/", ...stubs, ...DOCS],
    dependencies,
  };
}

/** The relative link targets of a markdown text, outside code fences and inline code. */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.split(/^`{3,}.*$/m).filter((_, i) => i % 2 === 0).join("\n");
  return [...prose.replace(/`[^`\n]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target]) => target!).filter((t) => !/^([a-z]+:|#)/.test(t));
}

/**
 * The links of packed markdown files that lead to no packed file, as `from → target`. `markdown`
 * maps packed paths (`README.md`, `docs/cli.md`) to their text, `packed` is the tarball's file
 * list; a link to a folder (`examples/`) needs a packed file inside it.
 */
export function brokenLinks(markdown: Record<string, string>, packed: string[]): string[] {
  return Object.entries(markdown).flatMap(([from, text]) =>
    relativeLinks(text).filter((target) => {
      const path = new URL(target.split("#")[0]!, `file:///${from}`).pathname.slice(1);
      const url = decodeURIComponent(path);
      const folder = url.endsWith("/") ? url : `${url}/`;
      return !packed.some((f) => f === url || f.startsWith(folder));
    }).map((target) => `${from} → ${target}`)
  );
}

/**
 * Rewrites quoted JSR specifiers to the npm name: `"@sandgate/sdk"` → `"sandgate"`,
 * `"@sandgate/sdk/testing"` → `"sandgate/testing"`. Prose that names the JSR package (unquoted,
 * or in backticks) is left alone.
 */
export function toNpmSpecifiers(text: string): string {
  return text.replace(/(["'])@sandgate\/sdk(\/[a-z]+)?\1/g, "$1sandgate$2$1");
}

const json = (file: string, value: unknown) =>
  writeFileSync(file, JSON.stringify(value, null, 2) + "\n");

const tsc = (project: string) =>
  run(`${ROOT}node_modules/.bin/tsc`, ["-p", `${ROOT}scripts/npm/${project}.json`, "--pretty"]);

/** Runs the whole build; returns the problems found. */
export async function build(): Promise<string[]> {
  const t0 = performance.now();
  const config: DenoConfig = JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8"));
  rmSync(OUT, { recursive: true, force: true });
  await Promise.all(["esm", "cjs", "tests"].map(tsc));
  writeFileSync(`${OUT}/cjs/package.json`, `{ "type": "commonjs" }\n`);

  const common = {
    bundle: true,
    format: "esm",
    target: "es2022",
    packages: "external",
    metafile: true,
    logLevel: "warning",
  } as const;
  const bundles = [
    await esbuild.build({
      ...common,
      entryPoints: entries(config).map(([, s]) => `${ROOT}${s}.ts`),
      splitting: true,
      platform: "neutral",
      // serve.ts imports node:http lazily, only when it runs on a server runtime.
      external: ["node:*"],
      outbase: ROOT,
      outdir: `${OUT}/dist`,
    }),
    await esbuild.build({
      ...common,
      entryPoints: [`${ROOT}src/cli/main.ts`],
      platform: "node",
      banner: { js: "#!/usr/bin/env node" },
      outfile: `${OUT}/bin/sandgate.js`,
    }),
  ].flatMap((r) => Object.values(r.metafile.outputs));
  await esbuild.stop();

  const problems: string[] = [];
  const dependencies: Record<string, string> = {};
  for (const { path, external } of bundles.flatMap((o) => o.imports)) {
    if (!external || path.startsWith("node:")) continue;
    const npm = parseNpmSpecifier(
      config.imports?.[path.split("/").slice(0, path.startsWith("@") ? 2 : 1).join("/")] ?? "",
    );
    if (npm) dependencies[npm.name] = npm.range;
    else problems.push(`imports "${path}", which is not an npm: import of deno.json`);
  }

  // Fixtures the portable tests read next to themselves or from the root (`../openapi/…`).
  const fixture = (f: string) => !f.endsWith(".ts") && !/\/tests\/(repo|workerd)(\/|$)/.test(f);
  cpSync(`${ROOT}tests`, `${OUT}/esm/tests`, { recursive: true, filter: fixture });
  cpSync(`${ROOT}openapi`, `${OUT}/esm/openapi`, { recursive: true });
  // npm users import `sandgate`: the README's and the doc comments' examples say so there.
  for (const f of ["README.md", "LICENSE", ...DOCS]) {
    cpSync(`${ROOT}${f}`, `${OUT}/${f}`, { recursive: true });
  }
  for (const f of readdirSync(OUT, { recursive: true }) as string[]) {
    if (!/^((docs\/.*|README)\.md|examples\/.*\.ts|dist\/.*\.d\.ts|cjs\/.*\.(js|ts))$/.test(f)) {
      continue;
    }
    writeFileSync(`${OUT}/${f}`, toNpmSpecifiers(readFileSync(`${OUT}/${f}`, "utf8")));
  }

  const pkg = packageJson(config, dependencies, "./bin/sandgate.js");
  json(`${OUT}/package.json`, pkg);
  // node10 resolution (TypeScript's legacy `moduleResolution`) reads `sandgate/testing` as a folder.
  for (const [subpath, s] of entries(config).filter(([k]) => k !== ".")) {
    const up = "../".repeat(subpath.split("/").length - 1);
    mkdirSync(`${OUT}/${subpath.slice(2)}`, { recursive: true });
    json(`${OUT}/${subpath.slice(2)}/package.json`, {
      main: `${up}cjs/${s}.js`,
      module: `${up}dist/${s}.js`,
      types: `${up}cjs/${s}.d.ts`,
    });
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const outputs = [...Object.keys(pkg.exports), "bin sandgate"].join(", ");
  console.log(`built npm/ ${pkg.name}@${pkg.version} in ${seconds} s: ${outputs}`);
  return problems;
}

if (import.meta.main) {
  const problems = await build();
  for (const p of problems) console.error(`npm/: ${p}`);
  Deno.exit(problems.length > 0 ? 1 : 0);
}
