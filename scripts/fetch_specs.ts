/**
 * Refreshes the upstream snapshots listed in `openapi/sources.json`: for each
 * one, downloads its docs page (the `.md` variant, which embeds the endpoint's
 * OpenAPI fragment as a ````yaml block), and when the whole fragment is there,
 * rewrites `openapi/upstream/…` verbatim with a header naming the URL and the
 * day, and records `verbatim` in `sources.json`. Offline, or on a page without
 * a complete fragment, it exits non-zero with a clear message and leaves the
 * snapshot untouched: the checked-in snapshots are the source of truth. Then
 * `deno task generate` merges them and regenerates the code.
 *
 * ```sh
 * deno task fetch-specs              # every snapshot
 * deno task fetch-specs tensorlake   # the snapshots whose file name contains this
 * ```
 *
 * @module
 */
import { parse } from "yaml";
import type { SnapshotSource, SpecEntry } from "./merge_specs.ts";

/**
 * The endpoint's OpenAPI fragment embedded in a docs page, as text. Throws
 * when the page has none, or one that is cut off or is not OpenAPI.
 */
export function extractFragment(markdown: string): string {
  const match = /````yaml[^\n]*\n([\s\S]*?)````/.exec(markdown);
  if (!match) throw new Error("the page embeds no ````yaml block");
  const text = match[1]!;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new Error(`the yaml block does not parse: ${(error as Error).message}`);
  }
  const record = doc as { openapi?: unknown; paths?: unknown } | null;
  if (typeof record?.openapi !== "string" || typeof record.paths !== "object" || !record.paths) {
    throw new Error("the yaml block is not an OpenAPI fragment (no `openapi` and `paths`)");
  }
  return text;
}

/** Downloads one page; throws naming the URL on a network error or a non-2xx answer. */
export async function download(
  url: string,
  fetchFn: (url: string) => Promise<Response> = (u) =>
    fetch(u, { signal: AbortSignal.timeout(30_000) }),
): Promise<string> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new Error(`could not download ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`could not download ${url}: HTTP ${response.status}`);
  }
  return await response.text();
}

/** The header of a verbatim snapshot. */
export function verbatimHeader(snapshot: SnapshotSource, day: string): string {
  return "# Upstream OpenAPI fragment, verbatim: the ````yaml block of the docs page\n" +
    `# source: ${snapshot.source}\n` +
    `# retrieved: ${day} (scripts/fetch_specs.ts)\n` +
    "# status: verbatim\n";
}

/**
 * Re-downloads one snapshot and rewrites it atomically; returns the updated
 * `sources.json` entry. Leaves the file as it was on any failure.
 */
export async function refreshSnapshot(
  dir: URL,
  snapshot: SnapshotSource,
  fetchFn?: (url: string) => Promise<Response>,
  day: string = new Date().toISOString().slice(0, 10),
): Promise<SnapshotSource> {
  const fragment = extractFragment(await download(snapshot.source, fetchFn));
  const updated: SnapshotSource = { ...snapshot, retrieved: day, status: "verbatim" };
  const file = new URL(snapshot.file, dir);
  const temp = new URL(`${file.href}.tmp`);
  await Deno.writeTextFile(temp, verbatimHeader(updated, day) + fragment);
  await Deno.rename(temp, file);
  return updated;
}

async function main(args: string[]): Promise<number> {
  const dir = new URL("../openapi/", import.meta.url);
  const sourcesUrl = new URL("sources.json", dir);
  const sources = JSON.parse(await Deno.readTextFile(sourcesUrl)) as {
    specs: Record<string, SpecEntry>;
  };
  let failed = 0;
  let updated = 0;
  for (const spec of Object.values(sources.specs)) {
    for (const [i, snapshot] of spec.snapshots.entries()) {
      if (args.length > 0 && !args.some((a) => snapshot.file.includes(a))) continue;
      try {
        spec.snapshots[i] = await refreshSnapshot(dir, snapshot);
        updated++;
        console.log(`updated openapi/${snapshot.file} from ${snapshot.source}`);
      } catch (error) {
        failed++;
        console.error(
          `fetch-specs: openapi/${snapshot.file} left unchanged: ${(error as Error).message}`,
        );
      }
    }
  }
  if (updated > 0) {
    await Deno.writeTextFile(sourcesUrl, JSON.stringify(sources, null, 2) + "\n");
    console.log("now run `deno task generate` to merge the snapshots and regenerate the code");
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
