/**
 * Benchmark 2: what sandgate adds to a consumer's bundle, measured as esbuild
 * (`--bundle --minify`, browser platform, ESM) output, raw and gzipped
 * (level 9), for consumers importing different parts of the source `mod.ts`.
 *
 * @module
 */
import { gzipSync } from "node:zlib";

/** Size of one consumer's bundle. */
export interface BundleRow {
  /** What the consumer imports. */
  name: string;
  /** Minified bytes. */
  minBytes: number;
  /** Minified + gzipped bytes. */
  gzipBytes: number;
}

/** The consumers measured, as entry-point source (resolved from the repository root). */
export const CONSUMERS: ReadonlyArray<{ name: string; source: string; needs?: string }> = [
  {
    name: "openapi-fetch alone (reference)",
    source: `import createClient from "openapi-fetch"; globalThis.x = createClient;`,
  },
  {
    name: "low-level client only (createPrimeIntellectClient)",
    source:
      `import { createPrimeIntellectClient } from "./mod.ts"; globalThis.x = createPrimeIntellectClient;`,
  },
  {
    name: "high-level client (PrimeIntellect)",
    source: `import { PrimeIntellect } from "./mod.ts"; globalThis.x = PrimeIntellect;`,
    needs: "PrimeIntellect",
  },
  {
    name: "full client (every export of mod.ts)",
    source: `import * as sdk from "./mod.ts"; globalThis.x = sdk;`,
  },
];

const ROOT = new URL("../..", import.meta.url).pathname;

async function esbuild(source: string): Promise<Uint8Array> {
  const child = new Deno.Command("./node_modules/.bin/esbuild", {
    cwd: ROOT,
    args: [
      "--bundle",
      "--minify",
      "--format=esm",
      "--platform=browser",
      "--target=es2022",
      "--log-level=error",
      "--loader=ts",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`esbuild failed: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

/**
 * Bundles each consumer and measures it; consumers whose export is missing
 * from `mod.ts` are skipped.
 *
 * @example
 * ```ts ignore
 * import { benchBundle } from "./bundle.ts";
 * console.log(await benchBundle());
 * ```
 */
export async function benchBundle(): Promise<BundleRow[]> {
  const exports = await import("../../mod.ts") as Record<string, unknown>;
  const rows: BundleRow[] = [];
  for (const consumer of CONSUMERS) {
    if (consumer.needs && !(consumer.needs in exports)) continue;
    const code = await esbuild(consumer.source);
    rows.push({
      name: consumer.name,
      minBytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    });
  }
  return rows;
}
