/**
 * Re-fetches the upstream OpenAPI documents listed in `openapi/sources.json`,
 * keeps only the gateway paths (`pathFilter`) and the components they
 * reference, and rewrites `openapi/<name>`. Offline, or on a bad answer, it
 * exits non-zero with a clear message and leaves the existing file untouched.
 *
 * ```sh
 * deno task fetch-specs                 # every spec
 * deno task fetch-specs primeintellect  # the specs whose file name contains this
 * ```
 *
 * @module
 */
import { parse, stringify } from "yaml";

/** One entry of `openapi/sources.json`. */
export interface SpecSource {
  /** Upstream URLs, tried in order. */
  upstream: string[];
  /** Regular expression the kept paths match. */
  pathFilter: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function collectRefs(node: Json | undefined, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, into);
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") into.add(value);
      else collectRefs(value, into);
    }
  }
}

/**
 * Keeps the paths matching `pathFilter` and, transitively, the components they
 * reference (plus every security scheme). Throws when no path matches: an
 * upstream that lost the gateway endpoints must not silently empty our spec.
 */
export function filterSpec(doc: unknown, pathFilter: string): JsonObject {
  if (!isObject(doc as Json) || !isObject((doc as JsonObject).paths)) {
    throw new Error("not an OpenAPI document (no `paths` object)");
  }
  const source = doc as JsonObject;
  const filter = new RegExp(pathFilter);
  const paths: JsonObject = {};
  for (const [path, item] of Object.entries(source.paths as JsonObject)) {
    if (filter.test(path)) paths[path] = item;
  }
  if (Object.keys(paths).length === 0) {
    throw new Error(`no path matches ${pathFilter}`);
  }
  const components = isObject(source.components) ? source.components : {};
  const kept: Record<string, JsonObject> = {};
  const pending = new Set<string>();
  collectRefs(paths, pending);
  const seen = new Set<string>();
  while (pending.size > 0) {
    const ref = pending.values().next().value as string;
    pending.delete(ref);
    if (seen.has(ref)) continue;
    seen.add(ref);
    const match = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
    if (!match) throw new Error(`unsupported $ref ${ref}`);
    const [, section, name] = match as unknown as [string, string, string];
    const target = isObject(components[section])
      ? (components[section] as JsonObject)[name]
      : undefined;
    if (target === undefined) throw new Error(`dangling $ref ${ref}`);
    (kept[section] ??= {})[name] = target;
    collectRefs(target, pending);
  }
  if (isObject(components.securitySchemes)) kept.securitySchemes = components.securitySchemes;
  const out: JsonObject = {};
  for (const key of ["openapi", "info", "servers", "security", "tags"]) {
    if (source[key] !== undefined) out[key] = source[key]!;
  }
  out.paths = paths;
  out.components = kept;
  return out;
}

/** Downloads the first upstream that answers with a parseable document. */
export async function download(
  urls: readonly string[],
  fetchFn: (url: string) => Promise<Response> = (url) =>
    fetch(url, { signal: AbortSignal.timeout(30_000) }),
): Promise<unknown> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const response = await fetchFn(url);
      if (!response.ok) {
        failures.push(`${url}: HTTP ${response.status}`);
        continue;
      }
      const text = await response.text();
      // JSON is YAML, so one parser reads both.
      return parse(text);
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`could not download the spec:\n  ${failures.join("\n  ")}`);
}

/** Fetches, filters and atomically rewrites one spec file. */
export async function refresh(
  file: URL,
  source: SpecSource,
  fetchFn?: (url: string) => Promise<Response>,
): Promise<void> {
  const filtered = filterSpec(await download(source.upstream, fetchFn), source.pathFilter);
  const header = `# Fetched from ${source.upstream.join(" or ")} by scripts/fetch_specs.ts.\n` +
    `# Paths kept: ${source.pathFilter}\n`;
  const temp = new URL(`${file.href}.tmp`);
  await Deno.writeTextFile(temp, header + stringify(filtered, { lineWidth: 0 }));
  await Deno.rename(temp, file);
}

async function main(args: string[]): Promise<number> {
  const dir = new URL("../openapi/", import.meta.url);
  const { specs } = JSON.parse(await Deno.readTextFile(new URL("sources.json", dir))) as {
    specs: Record<string, SpecSource>;
  };
  let failed = 0;
  for (const [name, source] of Object.entries(specs)) {
    if (args.length > 0 && !args.some((a) => name.includes(a))) continue;
    try {
      await refresh(new URL(name, dir), source);
      console.log(`updated openapi/${name}; now run \`deno task generate\``);
    } catch (error) {
      failed++;
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`fetch-specs: openapi/${name} left unchanged: ${reason}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
