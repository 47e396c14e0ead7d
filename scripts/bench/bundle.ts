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
const PEER_DIR = `${ROOT}node_modules/.cache/sandgate-peers`;

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

async function bundle(source: string, resolveDir = ROOT) {
  const { outputFiles, metafile } = await esbuild.build({
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
  const code = outputFiles[0]!.contents;
  const size = {
    "min kB": code.byteLength / 1e3,
    "min+gz kB": gzipSync(code, { level: 9 }).byteLength / 1e3,
  };
  return { size, inputs: Object.values(metafile.outputs)[0]!.inputs };
}

/**
 * Bundles every consumer; peers missing from the cache are installed first unless `install` is
 * false (then only peers already there are measured).
 */
export async function benchBundle(install: boolean) {
  const sandgate = [];
  const bytes = new Map<string, Record<string, number>>(); // input file → short name → bytes
  for (const [consumer, source, short] of CONSUMERS) {
    const { size, inputs } = await bundle(source);
    sandgate.push({ consumer, ...size });
    for (const [file, { bytesInOutput }] of Object.entries(short ? inputs : {})) {
      const name = file.replace(/^.*node_modules\//, "");
      if (bytesInOutput > 0) bytes.set(name, { ...bytes.get(name), [short!]: bytesInOutput });
    }
  }
  const shorts = CONSUMERS.flatMap(([, , short]) => short ?? []);
  const full = (by: Record<string, number>) => by[shorts.at(-1)!] ?? 0; // largest first
  const breakdown = [...bytes].sort(([, a], [, b]) => full(b) - full(a)).map(([file, by]) => ({
    "input file": file,
    ...Object.fromEntries(shorts.map((s) => [s, by[s] ?? 0])),
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
    const row = { package: pkg, version: "—", "min kB": NaN, "min+gz kB": NaN, note: "" };
    try {
      row.version = packageVersion(pkg, `${PEER_DIR}/`);
    } catch {
      peers.push({ ...row, note: `not installed (${installError})` });
      continue;
    }
    try {
      peers.push({ ...row, ...(await bundle(source, PEER_DIR)).size });
    } catch (error) {
      const message = (error as { errors?: { text: string }[] }).errors?.[0]?.text ?? String(error);
      peers.push({ ...row, note: `esbuild: ${message}` });
    }
  }
  await esbuild.stop();
  return { sandgate, peers, breakdown };
}
