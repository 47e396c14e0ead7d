/**
 * The package version, sent in every request's `User-Agent`. deno.json's
 * `version` is the one source of truth: `tests/repo/public_api_test.ts`
 * fails when this constant differs from it.
 *
 * @module
 */

/**
 * The sandgate version.
 *
 * @example
 * ```ts
 * import { VERSION } from "@sandgate/sdk";
 * console.log(`sandgate ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";

interface RuntimeGlobals {
  Deno?: { version?: { deno?: string } };
  Bun?: { version?: string };
  process?: { versions?: { node?: string } };
  navigator?: { userAgent?: string };
}

/** The runtime as `name/version`, e.g. `node/22.12.0`, `deno/2.9.6`, `workerd`. */
export function runtimeName(): string {
  const g = globalThis as RuntimeGlobals;
  if (g.Deno?.version?.deno) return `deno/${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun/${g.Bun.version}`;
  if (g.process?.versions?.node) return `node/${g.process.versions.node}`;
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  return "unknown-runtime";
}

/** The `User-Agent` of every request: `sandgate/<version> <runtime>/<version>`. */
export function userAgent(): string {
  return `sandgate/${VERSION} ${runtimeName()}`;
}
