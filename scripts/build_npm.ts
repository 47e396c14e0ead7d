/**
 * Builds the npm package `npm/` from the Deno sources (a small stand-in for
 * dnt, which is JSR-only): every entry point of `deno.json` `exports`
 * compiled by the TypeScript compiler API to
 *
 * - `npm/esm/`: ES modules (`.js`, `.d.ts`, source and declaration maps),
 * - `npm/cjs/`: CommonJS (a `{"type":"commonjs"}` folder), so `require()`
 *   works on every Node ≥ 20 (require(esm) is unflagged only from 20.19),
 * - `npm/<subpath>/package.json` stubs, so `sandgate/testing` also resolves
 *   for TypeScript's legacy `node10` resolution,
 * - `npm/package.json` generated from `deno.json`, README, LICENSE and the
 *   `.ts` sources the maps point to.
 *
 * It then checks the compiled library: no `node:` (or Node built-in)
 * imports and no `Deno`/`Bun`/`process`/`Buffer` globals outside the
 * runtime-specific modules, and no bare import that is not a dependency.
 *
 * The test suite (`tests/**\/*_test.ts` minus the repo-only tests) is
 * compiled into `npm/esm/tests/`, next to the compiled library, so that
 * `node --test` and `bun test` run the same test files as `deno test`
 * against the very files the package ships (the tests are not packed).
 *
 * ```sh
 * deno task build:npm
 * ```
 *
 * @module
 */
import ts from "typescript";

/** Modules allowed to touch runtime-specific APIs (relative to the root). */
export const RUNTIME_SPECIFIC: ReadonlySet<string> = new Set([
  "src/testing/serve.ts",
  "src/primeintellect/config_file.ts", // reads ~/.prime/config.json on Deno, Node and Bun
]);

/** Test files that read repository files or need Deno, besides `tests/repo/`. */
export const REPO_ONLY_TESTS: ReadonlySet<string> = new Set([
  "tests/integration/demo_test.ts", // runs scripts/demo.ts with Deno
  "tests/redis/fleet_test.ts", // spawns Deno processes running fleet_worker.ts
]);

/** Repository folders the portable tests read as fixtures (copied, not packed). */
export const TEST_FIXTURE_DIRS: readonly string[] = ["openapi/"];

/** Test directories that are not part of the portable suite. */
const NON_PORTABLE_TEST_DIRS = ["tests/repo/", "tests/workerd/"];

/** Globals that only exist on some runtimes. */
const RUNTIME_GLOBALS = new Set([
  "Deno",
  "Bun",
  "process",
  "Buffer",
  "global",
  "__dirname",
  "__filename",
  "setImmediate",
]);

/** Node built-in modules that may be imported without the `node:` prefix. */
const NODE_BUILTINS = new Set([
  "assert",
  "buffer",
  "child_process",
  "crypto",
  "dns",
  "events",
  "fs",
  "fs/promises",
  "http",
  "http2",
  "https",
  "net",
  "os",
  "path",
  "process",
  "stream",
  "timers",
  "tls",
  "url",
  "util",
  "worker_threads",
  "zlib",
]);

/** The parts of `deno.json` the build reads. */
export interface DenoConfig {
  /** JSR name (the npm name is the part after the scope). */
  name: string;
  /** Package version. */
  version: string;
  /** License identifier. */
  license?: string;
  /** Subpath → source file, e.g. `{".": "./mod.ts"}`. */
  exports: string | Record<string, string>;
  /** Import map. */
  imports?: Record<string, string>;
}

/** npm metadata that `deno.json` has no field for. */
export const NPM_META = {
  name: "sandgate",
  description:
    "Typed SDK for sandbox gateway APIs: Prime Intellect port exposure and SSH sessions, Tensorlake PTY sessions. Runs on Node, Deno, Bun and Cloudflare Workers.",
  repository: { type: "git", url: "git+https://github.com/sandgate/sandgate.git" },
  keywords: ["sandbox", "primeintellect", "tensorlake", "openapi", "pty", "ssh", "workers"],
  engines: { node: ">=20" },
} as const;

const ROOT = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
const OUT = `${rootPath}/npm`;

/** `./mod.ts` → `mod`, the extension-less path relative to the root. */
function stem(source: string): string {
  return source.replace(/^\.\//, "").replace(/\.ts$/, "");
}

/** The entry points as `[subpath, source]` pairs. */
export function entries(config: DenoConfig): [string, string][] {
  const exp = typeof config.exports === "string" ? { ".": config.exports } : config.exports;
  return Object.entries(exp).map(([k, v]) => [k, v]);
}

/** Splits an npm import-map target `npm:name@range/sub` into name and range. */
export function parseNpmSpecifier(spec: string): { name: string; range: string } | undefined {
  const m = /^npm:(@[^/@]+\/[^/@]+|[^/@]+)(?:@([^/]+))?/.exec(spec);
  if (!m) return undefined;
  return { name: m[1]!, range: m[2] ?? "*" };
}

/** Writes the generated `package.json` object. */
export function packageJson(config: DenoConfig, dependencies: Record<string, string>) {
  const exportsField: Record<string, unknown> = {};
  for (const [subpath, source] of entries(config)) {
    const s = stem(source);
    exportsField[subpath] = {
      import: { types: `./esm/${s}.d.ts`, default: `./dist/${s}.js` },
      require: { types: `./cjs/${s}.d.ts`, default: `./cjs/${s}.js` },
    };
  }
  exportsField["./package.json"] = "./package.json";
  const main = stem(entries(config).find(([k]) => k === ".")?.[1] ?? "./mod.ts");
  const stubs = entries(config).map(([k]) => k.slice(2)).filter((k) => k !== "");
  return {
    name: NPM_META.name,
    version: config.version,
    description: NPM_META.description,
    keywords: NPM_META.keywords,
    license: config.license ?? "MIT",
    repository: NPM_META.repository,
    type: "module",
    main: `./cjs/${main}.js`,
    module: `./dist/${main}.js`,
    types: `./cjs/${main}.d.ts`,
    exports: exportsField,
    files: [
      "dist/",
      "esm/",
      "!esm/tests/",
      ...TEST_FIXTURE_DIRS.map((d) => `!esm/${d}`),
      "cjs/",
      "src/",
      "*.ts",
      ...stubs.map((s) => `${s}/`),
    ],
    sideEffects: false,
    engines: NPM_META.engines,
    dependencies,
  };
}

function listFiles(dir: string, accept: (rel: string) => boolean, out: string[] = []): string[] {
  let items: Deno.DirEntry[];
  try {
    items = [...Deno.readDirSync(`${rootPath}/${dir}`)];
  } catch {
    return out;
  }
  for (const item of items.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = `${dir}${item.name}`;
    if (item.isDirectory) listFiles(`${rel}/`, accept, out);
    else if (accept(rel)) out.push(rel);
  }
  return out;
}

/** The portable test files (relative to the root) that run on Node and Bun too. */
export function portableTests(): string[] {
  return listFiles("tests/", (rel) => /(^|[_.\/])test\.ts$/.test(rel)).filter((rel) =>
    !NON_PORTABLE_TEST_DIRS.some((d) => rel.startsWith(d)) && !REPO_ONLY_TESTS.has(rel)
  );
}

/** The library's lib: ES2023 is what Node 20 fully supports, plus Web APIs. */
const LIB = [
  "lib.es2023.d.ts",
  "lib.dom.d.ts",
  "lib.dom.iterable.d.ts",
  "lib.esnext.disposable.d.ts",
];

const BASE: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: LIB,
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  rewriteRelativeImportExtensions: true,
  allowImportingTsExtensions: false,
  skipLibCheck: true,
  rootDir: rootPath,
  newLine: ts.NewLineKind.LineFeed,
  removeComments: false,
  sourceMap: true,
};

function compile(
  label: string,
  roots: string[],
  options: ts.CompilerOptions,
  emitFilter: (rel: string) => boolean,
): string[] {
  const program = ts.createProgram(roots.map((r) => `${rootPath}/${r}`), options);
  // The library is checked without @types/node; runtime-specific modules may
  // still import Node modules lazily (typed by a local interface).
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) =>
    !(d.code === 2307 && d.file &&
      RUNTIME_SPECIFIC.has(d.file.fileName.slice(rootPath.length + 1)) &&
      /'node:[a-z_/]+'/.test(ts.flattenDiagnosticMessageText(d.messageText, "\n")))
  );
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => rootPath,
    getNewLine: () => "\n",
  };
  if (diagnostics.length > 0) {
    console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    throw new Error(`${label}: ${diagnostics.length} type error(s)`);
  }
  const emitted: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.startsWith(`${rootPath}/`)) continue;
    const rel = sf.fileName.slice(rootPath.length + 1);
    if (rel.startsWith("node_modules/") || !emitFilter(rel)) continue;
    const result = program.emit(sf);
    if (result.diagnostics.length > 0 || result.emitSkipped) {
      console.error(ts.formatDiagnosticsWithColorAndContext(result.diagnostics, host));
      throw new Error(`${label}: emit failed for ${rel}`);
    }
    emitted.push(rel);
  }
  return emitted;
}

/** One problem found in the compiled output. */
export interface Finding {
  /** Compiled file, relative to `npm/`. */
  file: string;
  /** What is wrong. */
  message: string;
}

/**
 * Scans one compiled JavaScript file: its module specifiers (static, dynamic
 * and `require`) and its free references to runtime-specific globals.
 */
export function scanModule(
  file: string,
  text: string,
  allowRuntime: boolean,
): { findings: Finding[]; bare: Set<string> } {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const findings: Finding[] = [];
  const bare = new Set<string>();
  const specifier = (spec: string) => {
    if (spec.startsWith("./") || spec.startsWith("../")) return;
    if (spec.startsWith("node:") || NODE_BUILTINS.has(spec)) {
      if (!allowRuntime) findings.push({ file, message: `imports the Node module "${spec}"` });
      return;
    }
    bare.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
  };
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specifier(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isImport || isRequire) && arg) {
        if (ts.isStringLiteralLike(arg)) specifier(arg.text);
        else if (!allowRuntime) findings.push({ file, message: "has a computed import/require" });
      }
    } else if (ts.isIdentifier(node) && RUNTIME_GLOBALS.has(node.text) && !allowRuntime) {
      const p = node.parent;
      const isMemberName = (ts.isPropertyAccessExpression(p) && p.name === node) ||
        (ts.isPropertyAssignment(p) && p.name === node) ||
        (ts.isMethodDeclaration(p) && p.name === node) ||
        (ts.isPropertyDeclaration(p) && p.name === node);
      if (!isMemberName) {
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
        findings.push({ file, message: `line ${line + 1}: uses the global \`${node.text}\`` });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { findings, bare };
}

function write(path: string, text: string) {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

/** Points the `sources` of every map under `dir` at the copied `.ts` files in `npm/`. */
function relocateMaps(dir: string) {
  for (const rel of listFiles(`npm/${dir}/`, (r) => r.endsWith(".map"))) {
    const abs = `${rootPath}/${rel}`;
    const map = JSON.parse(Deno.readTextFileSync(abs)) as {
      sources: string[];
      sourceRoot?: string;
    };
    const mapDir = abs.slice(0, abs.lastIndexOf("/"));
    map.sources = map.sources.map((s) => {
      const source = new URL(s, `file://${mapDir}/`).pathname;
      const relSource = source.slice(rootPath.length + 1); // e.g. src/env.ts
      const target = `${OUT}/${relSource}`;
      return relative(mapDir, target);
    });
    Deno.writeTextFileSync(abs, JSON.stringify(map));
  }
}

function relative(fromDir: string, to: string): string {
  const a = fromDir.split("/").filter(Boolean);
  const b = to.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

/**
 * Rewrites quoted JSR specifiers to the npm name: `"@sandgate/sdk"` →
 * `"sandgate"`, `"@sandgate/sdk/testing"` → `"sandgate/testing"`. Prose that
 * names the JSR package (unquoted, or in backticks) is left alone.
 */
export function toNpmSpecifiers(text: string): string {
  return text.replace(/(["'])@sandgate\/sdk(\/[a-z]+)?\1/g, "$1sandgate$2$1");
}

/** Runs the whole build; returns the problems found in the output. */
export function build(): Finding[] {
  const t0 = performance.now();
  const config = JSON.parse(Deno.readTextFileSync(`${rootPath}/deno.json`)) as DenoConfig;
  const sources = entries(config).map(([, source]) => source.replace(/^\.\//, ""));
  try {
    Deno.removeSync(OUT, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const isCore = (rel: string) => !rel.startsWith("tests/");

  // 1. ESM library, type-checked without @types/node: Web APIs only.
  const core = compile("esm", sources, {
    ...BASE,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    declaration: true,
    declarationMap: true,
    outDir: `${OUT}/esm`,
  }, isCore);

  // 2. CommonJS library.
  compile("cjs", sources, {
    ...BASE,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    types: [],
    declaration: true,
    declarationMap: true,
    outDir: `${OUT}/cjs`,
  }, isCore);
  write(`${OUT}/cjs/package.json`, JSON.stringify({ type: "commonjs" }, null, 2) + "\n");

  // 3. The portable tests, next to the ESM library (node:test + @types/node).
  const tests = portableTests();
  const testOutputs = compile("tests", tests, {
    ...BASE,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // The tests may use anything their runtimes have (e.g. isWellFormed on Node 20).
    lib: ["lib.esnext.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: ["node"],
    sourceMap: false,
    outDir: `${OUT}/esm`,
  }, (rel) => !isCore(rel) || !core.includes(rel));
  // Fixtures the tests read next to themselves or from the repository root
  // (`new URL("../openapi/…", import.meta.url)` lands in npm/esm/openapi/).
  const fixtures = [
    ...listFiles("tests/", (r) => !r.endsWith(".ts")),
    ...TEST_FIXTURE_DIRS.flatMap((dir) => listFiles(dir, () => true)),
  ];
  for (const rel of fixtures) {
    if (NON_PORTABLE_TEST_DIRS.some((d) => rel.startsWith(d))) continue;
    Deno.mkdirSync(`${OUT}/esm/${rel.slice(0, rel.lastIndexOf("/"))}`, { recursive: true });
    Deno.copyFileSync(`${rootPath}/${rel}`, `${OUT}/esm/${rel}`);
  }

  // 4. Sources for the maps, README, LICENSE.
  for (const rel of core) {
    Deno.mkdirSync(`${OUT}/${rel.slice(0, rel.lastIndexOf("/") + 1)}`, { recursive: true });
    Deno.copyFileSync(`${rootPath}/${rel}`, `${OUT}/${rel}`);
  }
  relocateMaps("esm");
  relocateMaps("cjs");
  for (const f of ["README.md", "LICENSE"]) Deno.copyFileSync(`${rootPath}/${f}`, `${OUT}/${f}`);
  // npm users import `sandgate`: the README's and the doc comments' examples say so there.
  const documented = listFiles(
    "npm/",
    (rel) =>
      /\.(md|ts|js)$/.test(rel) && !rel.startsWith("npm/esm/tests/") && !rel.endsWith(".map"),
  );
  for (const rel of documented) {
    const text = Deno.readTextFileSync(`${rootPath}/${rel}`);
    const rewritten = toNpmSpecifiers(text);
    if (rewritten !== text) Deno.writeTextFileSync(`${rootPath}/${rel}`, rewritten);
  }

  // 5. Check the compiled library.
  const findings: Finding[] = [];
  const bare = new Set<string>();
  for (const rel of core) {
    const js = rel.replace(/\.ts$/, ".js");
    for (const dir of ["esm", "cjs"]) {
      const file = `${dir}/${js}`;
      const scan = scanModule(
        file,
        Deno.readTextFileSync(`${OUT}/${file}`),
        RUNTIME_SPECIFIC.has(rel),
      );
      findings.push(...scan.findings);
      for (const b of scan.bare) bare.add(b);
    }
  }
  const dependencies: Record<string, string> = {};
  for (const name of [...bare].sort()) {
    const target = config.imports?.[name];
    const npm = target ? parseNpmSpecifier(target) : undefined;
    if (!npm) {
      findings.push({ file: "*", message: `imports "${name}", which is not an npm: import` });
      continue;
    }
    dependencies[npm.name] = npm.range;
  }

  // 6. The ESM that `import` loads: the compiled modules bundled per entry point,
  // with code shared between entries split into common chunks (so `sandgate` and
  // `sandgate/redis` share one copy of the error classes). One file per entry
  // instead of ~40 makes importing on Node several milliseconds faster (see
  // BENCHMARKS.md). The tests above run against the unbundled modules; the
  // workerd check and the consumer smoke test import the bundles.
  bundleEsm(entries(config).map(([, source]) => `${OUT}/esm/${stem(source)}.js`));

  // 7. package.json and the node10 stubs for subpaths.
  const pkg = packageJson(config, dependencies);
  write(`${OUT}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  for (const [subpath, source] of entries(config)) {
    if (subpath === ".") continue;
    const s = stem(source);
    const depth = subpath.slice(2).split("/").length;
    const up = "../".repeat(depth);
    write(
      `${OUT}/${subpath.slice(2)}/package.json`,
      JSON.stringify(
        { main: `${up}cjs/${s}.js`, module: `${up}dist/${s}.js`, types: `${up}cjs/${s}.d.ts` },
        null,
        2,
      ) + "\n",
    );
  }

  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `built npm/ ${pkg.name}@${pkg.version} in ${seconds} s: ${
      entries(config).length
    } entry point(s) ` +
      `(${entries(config).map(([k]) => k).join(", ")}), ${core.length} modules (esm + cjs), ` +
      `${
        testOutputs.filter((r) => r.startsWith("tests/")).length
      } test modules in npm/esm/tests/; ` +
      `dependencies ${JSON.stringify(dependencies)}`,
  );
  return findings;
}

function bundleEsm(entryFiles: string[]): void {
  const result = new Deno.Command(`${rootPath}/node_modules/.bin/esbuild`, {
    args: [
      ...entryFiles,
      "--bundle",
      "--splitting",
      "--format=esm",
      "--platform=neutral",
      "--target=es2022",
      "--external:openapi-fetch",
      // serve.ts imports node:http lazily, only when it runs on a server runtime.
      "--external:node:*",
      "--sourcemap",
      "--log-level=warning",
      `--outbase=${OUT}/esm`,
      `--outdir=${OUT}/dist`,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).outputSync();
  if (!result.success) throw new Error("esbuild could not bundle the ESM entry points");
}

if (import.meta.main) {
  const findings = build();
  if (findings.length > 0) {
    for (const f of findings) console.error(`npm/${f.file}: ${f.message}`);
    console.error(`${findings.length} problem(s) in the compiled library`);
    Deno.exit(1);
  }
  console.log("compiled library: no Node imports, no runtime globals outside runtime modules");
}
