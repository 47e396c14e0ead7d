/**
 * Produces the merged specs `openapi/<provider>.yaml` from the upstream
 * snapshots listed in `openapi/sources.json` (one OpenAPI fragment per
 * documented endpoint, under `openapi/upstream/`) plus the provider's overlay
 * (`openapi/overlays/<provider>.yaml`: corrections taken from the provider's
 * own SDK, each patch with its source). Runs offline: the snapshots are the
 * source of truth; `deno task fetch-specs` refreshes them where the network
 * allows.
 *
 * ```sh
 * deno task generate        # merge, then generate src/generated (see generate.ts)
 * deno task generate:check  # fail when a merged spec or generated file is stale
 * ```
 *
 * @module
 */
import { parse, stringify } from "yaml";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One snapshot entry of `openapi/sources.json`. */
export interface SnapshotSource {
  /** Path of the snapshot, relative to `openapi/`. */
  file: string;
  /** The docs page the fragment comes from (its `.md` variant carries the yaml). */
  source: string;
  /** Day it was retrieved, `YYYY-MM-DD`. */
  retrieved: string;
  /** `verbatim` (the page's yaml block as is) or `reconstructed` (from its fields and examples). */
  status: "verbatim" | "reconstructed";
  /** The seed page it was copied from, when it came with the repository's seeds. */
  seed?: string;
}

/** One spec entry of `openapi/sources.json`. */
export interface SpecEntry {
  /** Provider name, for humans. */
  provider: string;
  /** Generated module, relative to the repository root. */
  generated: string;
  /** Overlay file, relative to `openapi/`. */
  overlay?: string;
  /** Snapshots merged in this order. */
  snapshots: SnapshotSource[];
}

/** One correction of an overlay. */
export interface OverlayPatch {
  /** JSON pointer into the merged document. */
  pointer: string;
  /** The value set there. */
  value: Json;
  /** Where the correction comes from (URL or repository path@commit). */
  source: string;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Merges fragments into one document. Paths, operations, components and tags
 * are unioned; the same name defined twice must be defined identically (else
 * it throws, naming both fragments). Path-level `servers` shared by every
 * path become the document's `servers`.
 */
export function mergeFragments(fragments: readonly { name: string; doc: unknown }[]): JsonObject {
  if (fragments.length === 0) throw new Error("no fragments to merge");
  const first = fragments[0]!.doc as JsonObject;
  const out: JsonObject = { openapi: first.openapi!, info: first.info! };
  const paths: JsonObject = {};
  const components: Record<string, JsonObject> = {};
  const tags: Json[] = [];
  const origin = new Map<string, string>();
  const put = (target: JsonObject, key: string, value: Json, where: string, name: string) => {
    if (target[key] === undefined) {
      target[key] = value;
      origin.set(where, name);
    } else if (!same(target[key], value)) {
      throw new Error(`${where} differs between ${origin.get(where)} and ${name}`);
    }
  };
  for (const { name, doc } of fragments) {
    const fragment = doc as JsonObject;
    if (!isObject(fragment) || !isObject(fragment.paths)) {
      throw new Error(`${name}: not an OpenAPI fragment (no \`paths\`)`);
    }
    for (const [path, item] of Object.entries(fragment.paths)) {
      if (!isObject(item)) throw new Error(`${name}: ${path} is not a path item`);
      const merged = (paths[path] ??= {}) as JsonObject;
      for (const [key, value] of Object.entries(item)) {
        put(merged, key, value, `paths.${path}.${key}`, name);
      }
    }
    if (isObject(fragment.components)) {
      for (const [section, entries] of Object.entries(fragment.components)) {
        if (!isObject(entries)) continue;
        const target = (components[section] ??= {});
        for (const [key, value] of Object.entries(entries)) {
          put(target, key, value, `components.${section}.${key}`, name);
        }
      }
    }
    for (const tag of Array.isArray(fragment.tags) ? fragment.tags : []) {
      if (!tags.some((t) => same(t, tag))) tags.push(tag);
    }
  }
  // One sandbox-proxy server for every path (Tensorlake): it is the document's server.
  const pathServers = Object.values(paths).map((item) => (item as JsonObject).servers);
  if (pathServers.every((s) => s !== undefined && same(s, pathServers[0]))) {
    out.servers = pathServers[0]!;
    for (const item of Object.values(paths)) delete (item as JsonObject).servers;
  } else {
    out.servers = first.servers ?? [];
  }
  out.security = first.security ?? [];
  if (tags.length > 0) out.tags = tags;
  out.paths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  out.components = components;
  return out;
}

/** Applies overlay patches (each pointer's parent must exist). */
export function applyOverlay(doc: JsonObject, patches: readonly OverlayPatch[]): JsonObject {
  for (const patch of patches) {
    if (typeof patch.source !== "string" || patch.source.length === 0) {
      throw new Error(`overlay ${patch.pointer}: every patch names its source`);
    }
    const parts = patch.pointer.split("/").slice(1).map((p) =>
      p.replaceAll("~1", "/").replaceAll("~0", "~")
    );
    const last = parts.pop();
    if (last === undefined) throw new Error(`overlay: bad pointer ${patch.pointer}`);
    let node: Json = doc;
    for (const part of parts) {
      if (!isObject(node) || node[part] === undefined) {
        throw new Error(`overlay ${patch.pointer}: ${part} does not exist`);
      }
      node = node[part]!;
    }
    if (!isObject(node)) throw new Error(`overlay ${patch.pointer}: parent is not an object`);
    node[last] = patch.value;
  }
  return doc;
}

const OPENAPI = new URL("../openapi/", import.meta.url);

/** Reads `openapi/sources.json`. */
export async function readSources(dir: URL = OPENAPI): Promise<Record<string, SpecEntry>> {
  const text = await Deno.readTextFile(new URL("sources.json", dir));
  return (JSON.parse(text) as { specs: Record<string, SpecEntry> }).specs;
}

/** Renders one merged spec from its snapshots and overlay, header included. */
export async function renderMerged(entry: SpecEntry, dir: URL = OPENAPI): Promise<string> {
  const fragments = [];
  for (const snapshot of entry.snapshots) {
    fragments.push({
      name: snapshot.file,
      doc: parse(await Deno.readTextFile(new URL(snapshot.file, dir))),
    });
  }
  let doc = mergeFragments(fragments);
  let overlayNote = "";
  if (entry.overlay) {
    const overlay = parse(await Deno.readTextFile(new URL(entry.overlay, dir))) as {
      patches: OverlayPatch[];
    };
    doc = applyOverlay(doc, overlay.patches);
    overlayNote = `# then the corrections of openapi/${entry.overlay} (each names its source).\n`;
  }
  const header =
    `# ${entry.provider}: produced by scripts/merge_specs.ts from the upstream snapshots\n` +
    entry.snapshots.map((s) => `#   openapi/${s.file} (${s.status}, ${s.source})\n`).join("") +
    overlayNote +
    `# Do not edit: change a snapshot or the overlay and run \`deno task generate\`.\n`;
  return header + stringify(doc, { lineWidth: 0 });
}

/** Writes (or, with `check`, compares) every merged spec; returns the stale file names. */
export async function mergeAll(check: boolean, dir: URL = OPENAPI): Promise<string[]> {
  const stale: string[] = [];
  for (const [name, entry] of Object.entries(await readSources(dir))) {
    const expected = await renderMerged(entry, dir);
    const url = new URL(name, dir);
    let actual = "";
    try {
      actual = await Deno.readTextFile(url);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (actual === expected) continue;
    if (check) stale.push(`openapi/${name}`);
    else {
      await Deno.writeTextFile(url, expected);
      console.log(`wrote openapi/${name} from ${entry.snapshots.length} snapshots`);
    }
  }
  return stale;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const stale = await mergeAll(check);
  for (const file of stale) {
    console.error(`drift: ${file} does not match its snapshots; run \`deno task generate\``);
  }
  Deno.exit(stale.length === 0 ? 0 : 1);
}
