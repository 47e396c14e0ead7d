/**
 * Benchmark 2: what a consumer's bundle grows by. Each consumer is one import line bundled by
 * esbuild (`bundle`, `minify`, ESM, browser platform, es2022) and gzipped at level 9; sandgate
 * is bundled from the sources (`sandgate` → `mod.ts`: the npm `dist/` is esbuild output of the
 * same files), peers from the npm registry, installed at bench time into
 * `node_modules/.cache/sandgate-peers` (never into package.json). esbuild's metafile says
 * where the bytes of a bundle go.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

/** One consumer's bundle. */
export interface BundleRow {
  /** What the consumer imports. */
  name: string;
  /** Minified bytes (NaN when it could not be bundled). */
  minBytes: number;
  /** Minified + gzipped bytes. */
  gzipBytes: number;
  /** Package version, for peers. */
  version?: string;
  /** Why there is no number. */
  error?: string;
}

/** Results of benchmark 2. */
export interface BundleResult {
  /** sandgate consumers. */
  sandgate: BundleRow[];
  /** Peer SDKs and libraries, measured the same way. */
  peers: BundleRow[];
  /** Per consumer name: each input file's minified bytes in its bundle, largest first. */
  breakdown: Record<string, { file: string; bytes: number }[]>;
}

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const PEER_DIR = `${ROOT}node_modules/.cache/sandgate-peers`;

/** sandgate consumers, as entry source. */
export const CONSUMERS: [string, string][] = [
  ["openapi-fetch alone (reference)", `import c from "openapi-fetch"; globalThis.x = c;`],
  [
    "low-level createPrimeIntellectClient",
    `export { createPrimeIntellectClient } from "sandgate";`,
  ],
  ['`import { PrimeIntellect } from "sandgate"`', `export { PrimeIntellect } from "sandgate";`],
  ['`import { Tensorlake } from "sandgate"`', `export { Tensorlake } from "sandgate";`],
  ["full client (every export of `sandgate`)", `export * from "sandgate";`],
];

/** Peers: package and the import a typical consumer writes. */
export const PEERS: [string, string][] = [
  ["e2b", `export { Sandbox } from "e2b";`],
  ["@daytonaio/sdk", `export { Daytona } from "@daytonaio/sdk";`],
  ["@cloudflare/sandbox", `export { getSandbox } from "@cloudflare/sandbox";`],
  ["ky", `export { default } from "ky";`],
  ["openapi-fetch", `export { default } from "openapi-fetch";`],
];

async function bundle(name: string, source: string, resolveDir = ROOT) {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir, loader: "ts" },
    bundle: true,
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
  const code = result.outputFiles[0]!.contents;
  const row = {
    name,
    minBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
  };
  return { row, metafile: result.metafile };
}

async function installPeers(install: boolean): Promise<string | undefined> {
  const missing = PEERS.map(([p]) => p).filter((p) => !existsSync(`${PEER_DIR}/node_modules/${p}`));
  if (missing.length === 0 || !install) return undefined;
  const out = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      PEER_DIR,
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      ...missing,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return out.success ? undefined : new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
}

const version = (pkg: string) => {
  try {
    return (JSON.parse(Deno.readTextFileSync(`${PEER_DIR}/node_modules/${pkg}/package.json`)) as {
      version: string;
    }).version;
  } catch {
    return undefined;
  }
};

/**
 * Bundles every consumer; peers are installed first unless `install` is false (then only
 * peers already in the cache are measured).
 */
export async function benchBundle(install: boolean): Promise<BundleResult> {
  const sandgate: BundleRow[] = [];
  const breakdown: BundleResult["breakdown"] = {};
  for (const [name, source] of CONSUMERS) {
    const { row, metafile } = await bundle(name, source);
    sandgate.push(row);
    const output = Object.values(metafile.outputs)[0]!;
    breakdown[name] = Object.entries(output.inputs)
      .map(([file, { bytesInOutput }]) => ({
        file: file.replace(/^.*node_modules\//, ""),
        bytes: bytesInOutput,
      }))
      .filter((i) => i.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  }
  const installError = await installPeers(install);
  const peers: BundleRow[] = [];
  for (const [pkg, source] of PEERS) {
    const v = version(pkg);
    if (!v) {
      const error = install
        ? `not installed: ${installError ?? "npm install failed"}`
        : "not installed (--quick installs nothing)";
      peers.push({ name: pkg, minBytes: NaN, gzipBytes: NaN, error });
      continue;
    }
    try {
      peers.push({ ...(await bundle(pkg, source, PEER_DIR)).row, version: v });
    } catch (error) {
      const message = (error as { errors?: { text: string }[] }).errors?.[0]?.text ?? String(error);
      peers.push({
        name: pkg,
        version: v,
        minBytes: NaN,
        gzipBytes: NaN,
        error: `esbuild: ${message}`,
      });
    }
  }
  await esbuild.stop();
  return { sandgate, peers, breakdown };
}
