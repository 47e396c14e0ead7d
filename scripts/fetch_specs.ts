/**
 * Refreshes the upstream snapshots of `openapi/sources.json` from their docs pages (the `.md`
 * variant embeds the endpoint's OpenAPI fragment as a ````yaml block): a complete fragment is
 * written verbatim under a header naming the URL and the day, and `sources.json` records it.
 * Offline, or without a complete fragment, the snapshot stays as it is and the exit code is 1:
 * the checked-in snapshots are the source of truth.
 *
 * ```sh
 * deno task fetch-specs              # every snapshot
 * deno task fetch-specs tensorlake   # the snapshots whose file name contains this
 * ```
 *
 * @module
 */
import { parse } from "yaml";
import { readSources, type SnapshotSource } from "./merge_specs.ts";

/**
 * The endpoint's OpenAPI fragment embedded in a docs page, as text. Throws when the page has
 * none, or one that is cut off or is not OpenAPI.
 */
export function extractFragment(markdown: string): string {
  const text = /````yaml[^\n]*\n([\s\S]*?)````/.exec(markdown)?.[1];
  if (text === undefined) throw new Error("the page embeds no ````yaml block");
  let doc: { openapi?: unknown; paths?: unknown } | null;
  try {
    doc = parse(text);
  } catch (error) {
    throw new Error(`the yaml block does not parse: ${(error as Error).message}`);
  }
  if (typeof doc?.openapi !== "string" || typeof doc.paths !== "object" || !doc.paths) {
    throw new Error("the yaml block is not an OpenAPI fragment (no `openapi` and `paths`)");
  }
  return text;
}

/**
 * Re-downloads one snapshot and rewrites it atomically; returns the updated `sources.json`
 * entry. Leaves the file as it was on any failure (a network error, a non-2xx answer, no
 * complete fragment).
 */
export async function refreshSnapshot(
  dir: URL,
  snapshot: SnapshotSource,
  fetchFn = (url: string) => fetch(url, { signal: AbortSignal.timeout(30_000) }),
  day: string = new Date().toISOString().slice(0, 10),
): Promise<SnapshotSource> {
  const url = snapshot.source;
  const response = await fetchFn(url).catch((error) => {
    throw new Error(`could not download ${url}: ${error.message}`);
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`could not download ${url}: HTTP ${response.status}`);
  }
  const fragment = extractFragment(await response.text());
  const file = new URL(snapshot.file, dir);
  const temp = new URL(`${file.href}.tmp`);
  await Deno.writeTextFile(
    temp,
    "# Upstream OpenAPI fragment, verbatim: the ````yaml block of the docs page\n" +
      `# source: ${url}\n# retrieved: ${day} (scripts/fetch_specs.ts)\n# status: verbatim\n` +
      fragment,
  );
  await Deno.rename(temp, file);
  return { ...snapshot, retrieved: day, status: "verbatim" };
}

if (import.meta.main) {
  const dir = new URL("../openapi/", import.meta.url);
  const specs = readSources(dir);
  let [failed, updated] = [0, 0];
  for (const { snapshots } of Object.values(specs)) {
    for (const [i, snapshot] of snapshots.entries()) {
      if (Deno.args.length > 0 && !Deno.args.some((a) => snapshot.file.includes(a))) continue;
      try {
        snapshots[i] = await refreshSnapshot(dir, snapshot);
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
    const file = new URL("sources.json", dir);
    const sources = { ...JSON.parse(await Deno.readTextFile(file)), specs };
    await Deno.writeTextFile(file, JSON.stringify(sources, null, 2) + "\n");
    console.log("now run `deno task generate` to merge the snapshots and regenerate the code");
  }
  Deno.exit(failed === 0 ? 0 : 1);
}
