/**
 * Produces the merged specs `openapi/<provider>.yaml` from the upstream snapshots listed in
 * `openapi/sources.json` (one OpenAPI fragment per documented endpoint, under
 * `openapi/upstream/`) plus the provider's overlay (`openapi/overlays/<provider>.yaml`:
 * corrections taken from the provider's own SDK, each patch with its source). Runs offline: the
 * snapshots are the source of truth; `deno task fetch-specs` refreshes them where the network
 * allows. `deno task generate` runs it (see generate.ts).
 *
 * @module
 */
import { parse, stringify } from "yaml";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One snapshot of `openapi/sources.json`, whose `$comment` says what `status` means. */
export type SnapshotSource = {
  file: string;
  source: string;
  retrieved: string;
  status: "verbatim" | "reconstructed";
  seed?: string;
};

/**
 * One spec of `openapi/sources.json`: `generated` is relative to the repository root, `overlay`
 * and the snapshots' files to `openapi/`; the snapshots are merged in their order.
 */
export type SpecEntry = {
  provider: string;
  generated: string;
  overlay?: string;
  snapshots: SnapshotSource[];
};

/** One correction of an overlay: the value set at a JSON pointer, and where it comes from. */
type OverlayPatch = { pointer: string; value: Json; source: string };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Merges fragments into one document. Paths, operations, components and tags are unioned; the
 * same name defined twice must be defined identically (else it throws, naming both fragments).
 * Path-level `servers` shared by every path become the document's `servers`.
 */
export function mergeFragments(fragments: readonly { name: string; doc: unknown }[]): JsonObject {
  if (fragments.length === 0) throw new Error("no fragments to merge");
  const first = fragments[0]!.doc as JsonObject;
  // Both are maps of maps: paths.{path}.{method}, components.{section}.{name}.
  const merged: Record<"paths" | "components", Record<string, JsonObject>> = {
    paths: {},
    components: {},
  };
  const tags: Json[] = [];
  const origin = new Map<string, string>();
  for (const { name, doc } of fragments) {
    const fragment = doc as JsonObject;
    if (!isObject(fragment) || !isObject(fragment.paths)) {
      throw new Error(`${name}: not an OpenAPI fragment (no \`paths\`)`);
    }
    for (const top of ["paths", "components"] as const) {
      for (const [outer, entries] of Object.entries(fragment[top] ?? {})) {
        if (!isObject(entries)) throw new Error(`${name}: ${top}.${outer} is not an object`);
        const target = (merged[top][outer] ??= {});
        for (const [key, value] of Object.entries(entries)) {
          const where = `${top}.${outer}.${key}`;
          if (target[key] === undefined) {
            target[key] = value;
            origin.set(where, name);
          } else if (!same(target[key], value)) {
            throw new Error(`${where} differs between ${origin.get(where)} and ${name}`);
          }
        }
      }
    }
    for (const tag of Array.isArray(fragment.tags) ? fragment.tags : []) {
      if (!tags.some((t) => same(t, tag))) tags.push(tag);
    }
  }
  const paths = Object.values(merged.paths);
  // One sandbox-proxy server for every path (Tensorlake): it is the document's server.
  const hoisted = paths.every((item) =>
    item.servers !== undefined && same(item.servers, paths[0]!.servers)
  );
  const servers = hoisted ? paths[0]!.servers! : first.servers ?? [];
  for (const item of hoisted ? paths : []) delete item.servers;
  return {
    openapi: first.openapi!,
    info: first.info!,
    servers,
    security: first.security ?? [],
    ...(tags.length > 0 ? { tags } : {}),
    paths: Object.fromEntries(Object.entries(merged.paths).sort(([a], [b]) => a.localeCompare(b))),
    components: merged.components,
  };
}

/** Applies overlay patches (each pointer's parent must exist). */
export function applyOverlay(doc: JsonObject, patches: readonly OverlayPatch[]): JsonObject {
  for (const { pointer, value, source } of patches) {
    if (typeof source !== "string" || source.length === 0) {
      throw new Error(`overlay ${pointer}: every patch names its source`);
    }
    const parts = pointer.split("/").slice(1).map((p) =>
      p.replaceAll("~1", "/").replaceAll("~0", "~")
    );
    const last = parts.pop();
    let node: Json | undefined = doc;
    for (const part of parts) {
      node = isObject(node) ? node[part] : undefined;
      if (node === undefined) throw new Error(`overlay ${pointer}: ${part} does not exist`);
    }
    if (last === undefined || !isObject(node)) {
      throw new Error(`overlay ${pointer}: the parent is not an object`);
    }
    node[last] = value;
  }
  return doc;
}

const OPENAPI = new URL("../openapi/", import.meta.url);

/** Reads `openapi/sources.json`. */
export const readSources = (dir: URL = OPENAPI): Record<string, SpecEntry> =>
  JSON.parse(Deno.readTextFileSync(new URL("sources.json", dir))).specs;

/** Renders one merged spec from its snapshots and overlay, header included. */
export async function renderMerged(entry: SpecEntry, dir: URL = OPENAPI): Promise<string> {
  const read = async (file: string) => parse(await Deno.readTextFile(new URL(file, dir)));
  const fragments = [];
  for (const { file } of entry.snapshots) fragments.push({ name: file, doc: await read(file) });
  const merged = mergeFragments(fragments);
  const doc = entry.overlay ? applyOverlay(merged, (await read(entry.overlay)).patches) : merged;
  return `# ${entry.provider}: produced by scripts/merge_specs.ts from the upstream snapshots\n` +
    entry.snapshots.map((s) => `#   openapi/${s.file} (${s.status}, ${s.source})\n`).join("") +
    (entry.overlay
      ? `# then the corrections of openapi/${entry.overlay} (each names its source).\n`
      : "") +
    `# Do not edit: change a snapshot or the overlay and run \`deno task generate\`.\n` +
    stringify(doc, { lineWidth: 0 });
}

/**
 * Writes `expected` to `url` (or, with `check`, only compares); true when the file differed.
 */
export async function update(url: URL, expected: string, check: boolean): Promise<boolean> {
  const actual = await Deno.readTextFile(url).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  });
  if (actual !== expected && !check) await Deno.writeTextFile(url, expected);
  return actual !== expected;
}

/** Writes (or, with `check`, compares) every merged spec; returns the stale file names. */
export async function mergeAll(check: boolean, dir: URL = OPENAPI): Promise<string[]> {
  const stale: string[] = [];
  for (const [name, entry] of Object.entries(readSources(dir))) {
    if (await update(new URL(name, dir), await renderMerged(entry, dir), check)) {
      stale.push(`openapi/${name}`);
      if (!check) console.log(`wrote openapi/${name} from ${entry.snapshots.length} snapshots`);
    }
  }
  return check ? stale : [];
}
