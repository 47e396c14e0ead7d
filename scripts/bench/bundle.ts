/**
 * Benchmark 2: what a consumer's bundle grows by (BENCHMARKS.md section 2 says how): one import
 * line per consumer bundled by esbuild from the sources, peers installed at bench time into
 * `node_modules/.cache/sandgate-peers`; esbuild's metafile says where the bytes go.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { run } from "../_run.ts";
import { packageVersion } from "./machine.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
/** Where peers are installed at bench time (never in `--quick`). */
export const PEER_DIR = `${ROOT}node_modules/.cache/sandgate-peers`;

/** sandgate consumers, as entry source; the breakdown shows those with a short name. */
const CONSUMERS: [name: string, source: string, short?: string][] = [
  ["openapi-fetch alone (reference)", `import c from "openapi-fetch"; globalThis.x = c;`],
  [
    "low-level createPrimeIntellectClient",
    `export { createPrimeIntellectClient } from "sandgate";`,
    "low-level createPrimeIntellectClient",
  ],
  [
    '`import { PrimeIntellect } from "sandgate"`',
    `export { PrimeIntellect } from "sandgate";`,
    "PrimeIntellect",
  ],
  ['`import { Tensorlake } from "sandgate"`', `export { Tensorlake } from "sandgate";`],
  ["full client (every export of `sandgate`)", `export * from "sandgate";`, "full client"],
];

/** Peers: package and the import a typical consumer writes. */
const PEERS: [string, string][] = [
  ["e2b", `export { Sandbox } from "e2b";`],
  ["@daytonaio/sdk", `export { Daytona } from "@daytonaio/sdk";`],
  ["@cloudflare/sandbox", `export { getSandbox } from "@cloudflare/sandbox";`],
  ["ky", `export { default } from "ky";`],
  ["openapi-fetch", `export { default } from "openapi-fetch";`],
];

/** Each output chunk's bytes, minified and gzipped on its own (as a browser fetches it). */
const measure = (chunks: Uint8Array[]) => ({
  "min kB": chunks.reduce((sum, c) => sum + c.byteLength, 0) / 1e3,
  "min+gz kB": chunks.reduce((sum, c) => sum + gzipSync(c, { level: 9 }).byteLength, 0) / 1e3,
});

/**
 * Bundles one consumer with code splitting, as a consumer's bundler does (Vite, webpack, esbuild
 * with `splitting`): what it imports with `import()` becomes chunks of its own, fetched on first
 * use. `atImport` is the entry chunk and the chunks it imports statically (what loads with the
 * import line); `total` is every chunk the entry can load, `import()` included. Without lazy
 * imports both are the one bundle.
 */
async function bundle(source: string, resolveDir = ROOT) {
  const { outputFiles, metafile } = await esbuild.build({
    entryPoints: ["consumer"],
    plugins: [{
      name: "consumer",
      setup(build) {
        build.onResolve({ filter: /^consumer$/ }, () => ({ path: "consumer", namespace: "entry" }));
        build.onLoad(
          { filter: /.*/, namespace: "entry" },
          () => ({ contents: source, resolveDir, loader: "ts" }),
        );
      },
    }],
    bundle: true,
    splitting: true,
    absWorkingDir: ROOT,
    outdir: `${ROOT}out`, // nothing is written: the metafile names outputs `out/…`
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    alias: { sandgate: `${ROOT}mod.ts` },
    // Workers' and Node's built-in modules are the platform's, not the bundle's.
    external: ["cloudflare:*", "node:*"],
  });
  const outputs = metafile.outputs;
  const code = new Map(outputFiles.map((f) => [f.path.slice(ROOT.length), f.contents]));
  const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint !== undefined)!;
  /** The chunks `entry` loads: statically, or with `import()` too when `dynamic`. */
  const reached = (dynamic: boolean) => {
    const seen = new Set<string>();
    const visit = (chunk: string) => {
      if (seen.has(chunk)) return;
      seen.add(chunk);
      for (const i of outputs[chunk]!.imports) {
        if (!i.external && (i.kind === "import-statement" || dynamic)) visit(i.path);
      }
    };
    visit(entry);
    return seen;
  };
  const eager = reached(false);
  // esbuild makes a chunk of every `import()` it parses, also in code the consumer tree-shook
  // away (a Prime-only bundle still gets Tensorlake's): what no import of the entry reaches is
  // never loaded, so it is not counted.
  const files = [...reached(true)];
  return {
    atImport: measure([...eager].map((o) => code.get(o)!)),
    total: measure(files.map((o) => code.get(o)!)),
    chunks: files.length,
    /** Input file → [bytes at import, bytes in lazy chunks]. */
    inputs: new Map(
      files.flatMap((o) =>
        Object.entries(outputs[o]!.inputs).map(([file, { bytesInOutput }]) =>
          [file, [eager.has(o) ? bytesInOutput : 0, eager.has(o) ? 0 : bytesInOutput]] as const
        )
      ),
    ),
  };
}

/**
 * Bundles every consumer; peers missing from the cache are installed first unless `install` is
 * false (then only peers already there are measured).
 */
export async function benchBundle(install: boolean) {
  const sandgate = [];
  const bytes = new Map<string, Record<string, number>>(); // input file → column → bytes
  for (const [consumer, source, short] of CONSUMERS) {
    const { atImport, total, chunks, inputs } = await bundle(source);
    sandgate.push({
      consumer,
      "at import: min kB": atImport["min kB"],
      "at import: min+gz kB": atImport["min+gz kB"],
      "total: min kB": total["min kB"],
      "total: min+gz kB": total["min+gz kB"],
      chunks,
    });
    for (const [file, [eager, lazy]] of short ? inputs : []) {
      const name = file.replace(/^.*node_modules\//, "");
      const row = bytes.get(name) ?? {};
      if (eager > 0) row[short!] = eager;
      if (lazy > 0) row[`${short} (on first use)`] = lazy;
      bytes.set(name, row);
    }
  }
  const columns = CONSUMERS.flatMap(([, , short]) =>
    short ? [short, `${short} (on first use)`] : []
  )
    .filter((column) => [...bytes.values()].some((row) => (row[column] ?? 0) > 0));
  const full = CONSUMERS.findLast(([, , short]) => short)![2]!;
  const all = (by: Record<string, number>) => (by[full] ?? 0) + (by[`${full} (on first use)`] ?? 0);
  const breakdown = [...bytes].filter(([, by]) => Object.keys(by).length > 0)
    .sort(([, a], [, b]) => all(b) - all(a)).map(([file, by]) => ({
      "input file": file,
      ...Object.fromEntries(columns.map((c) => [c, by[c] ?? 0])),
    }));

  const missing = PEERS.map(([p]) => p).filter((p) => !existsSync(`${PEER_DIR}/node_modules/${p}`));
  let installError = "--quick installs nothing";
  if (install && missing.length > 0) {
    const args = ["install", "--prefix", PEER_DIR, "--no-audit", "--no-fund", "--no-package-lock"];
    installError = await run("npm", [...args, ...missing]).then(
      () => "npm install failed",
      (error) => error.message.trim().split("\n").at(-1),
    );
  }
  const peers = [];
  for (const [pkg, source] of PEERS) {
    const row = {
      package: pkg,
      version: "—",
      "total: min kB": NaN,
      "total: min+gz kB": NaN,
      chunks: NaN,
      note: "",
    };
    try {
      row.version = packageVersion(pkg, `${PEER_DIR}/`);
    } catch {
      peers.push({ ...row, note: `not installed (${installError})` });
      continue;
    }
    try {
      const { total, chunks } = await bundle(source, PEER_DIR);
      peers.push({
        ...row,
        "total: min kB": total["min kB"],
        "total: min+gz kB": total["min+gz kB"],
        chunks,
      });
    } catch (error) {
      const message = (error as { errors?: { text: string }[] }).errors?.[0]?.text ?? String(error);
      peers.push({ ...row, note: `esbuild: ${message}` });
    }
  }
  await esbuild.stop();
  return { sandgate, peers, breakdown };
}
