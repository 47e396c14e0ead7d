// Repo-only: exercises scripts/fetch_specs.ts and scripts/merge_specs.ts (Deno only).
// No network: every download goes through a stub fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { extractFragment, refreshSnapshot } from "../../scripts/fetch_specs.ts";
import { applyOverlay, mergeFragments } from "../../scripts/merge_specs.ts";

const FRAGMENT = [
  "openapi: 3.1.0",
  "info:",
  "  title: Tensorlake API",
  "  version: 0.1.0",
  "paths:",
  "  /api/v1/pty/{session_id}:",
  "    delete:",
  "      responses:",
  "        '204':",
  "          description: PTY session terminated",
  "",
].join("\n");
const PAGE =
  `# Kill PTY Session\n\n## OpenAPI\n\n\`\`\`\`yaml delete /api/v1/pty/{session_id}\n${FRAGMENT}\`\`\`\`\n`;
const SNAPSHOT = {
  file: "kill.yaml",
  source: "https://docs.tensorlake.ai/api-reference/v2/pty/kill.md",
  retrieved: "2026-01-01",
  status: "reconstructed" as const,
};

test("extractFragment takes the page's ````yaml block and refuses a cut-off or missing one", () => {
  assert.equal(extractFragment(PAGE), FRAGMENT);
  assert.throws(() => extractFragment("# no block"), /no ````yaml block/);
  assert.throws(() => extractFragment("````yaml\ntitle: x\n````"), /not an OpenAPI fragment/);
  assert.throws(() => extractFragment("````yaml\npaths: [\n````"), /does not parse/);
});

test("refreshSnapshot leaves the snapshot untouched when offline or answered badly", async () => {
  const dir = await Deno.makeTempDir();
  const base = new URL(`file://${dir}/`);
  await Deno.writeTextFile(new URL("kill.yaml", base), "original");
  const offline = () => Promise.reject(new TypeError("dns error"));
  await assert.rejects(refreshSnapshot(base, SNAPSHOT, offline), /could not download .*dns error/);
  const bad = () => Promise.resolve(new Response("oops", { status: 502 }));
  await assert.rejects(refreshSnapshot(base, SNAPSHOT, bad), /HTTP 502/);
  const cut = () => Promise.resolve(new Response("````yaml\nopenapi: 3.1.0\ninfo:\n"));
  await assert.rejects(refreshSnapshot(base, SNAPSHOT, cut), /no ````yaml block/);
  assert.equal(await Deno.readTextFile(new URL("kill.yaml", base)), "original");
  await Deno.remove(dir, { recursive: true });
});

test("refreshSnapshot writes the fragment verbatim under a header naming URL and day", async () => {
  const dir = await Deno.makeTempDir();
  const base = new URL(`file://${dir}/`);
  const seen: string[] = [];
  const good = (url: string) => {
    seen.push(url);
    return Promise.resolve(new Response(PAGE));
  };
  const updated = await refreshSnapshot(base, SNAPSHOT, good, "2026-12-01");
  assert.deepEqual(seen, [SNAPSHOT.source]);
  assert.deepEqual(updated, { ...SNAPSHOT, retrieved: "2026-12-01", status: "verbatim" });
  const text = await Deno.readTextFile(new URL("kill.yaml", base));
  assert.ok(text.startsWith("# Upstream OpenAPI fragment, verbatim"));
  assert.ok(text.includes(`# source: ${SNAPSHOT.source}\n# retrieved: 2026-12-01`));
  assert.ok(text.endsWith(FRAGMENT));
  await Deno.remove(dir, { recursive: true });
});

test("mergeFragments unions paths and components, hoists a shared path server, refuses conflicts", () => {
  const server = [{ url: "https://{identifier}.sandbox.tensorlake.ai" }];
  const a = {
    openapi: "3.1.0",
    info: { title: "T", version: "1" },
    servers: [{ url: "https://api.tensorlake.ai/" }],
    paths: { "/a": { servers: server, get: { operationId: "a" } } },
    components: { schemas: { E: { type: "object" } } },
  };
  const b = {
    ...a,
    paths: { "/a": { servers: server, delete: { operationId: "d" } }, "/b": { servers: server } },
  };
  const merged = mergeFragments([{ name: "a", doc: a }, { name: "b", doc: b }]);
  assert.deepEqual(merged.servers, server);
  assert.deepEqual(merged.paths, {
    "/a": { get: { operationId: "a" }, delete: { operationId: "d" } },
    "/b": {},
  });
  const clash = { ...a, components: { schemas: { E: { type: "string" } } } };
  assert.throws(
    () => mergeFragments([{ name: "a", doc: a }, { name: "clash", doc: clash }]),
    /components\.schemas\.E differs between a and clash/,
  );
});

test("applyOverlay sets by JSON pointer, requires a source and an existing parent", () => {
  const doc = { components: { schemas: { R: { required: ["x", "protocol"] } } } };
  applyOverlay(doc, [{ pointer: "/components/schemas/R/required", value: ["x"], source: "u" }]);
  assert.deepEqual(doc.components.schemas.R.required, ["x"]);
  assert.throws(
    () => applyOverlay(doc, [{ pointer: "/components/nope/R/x", value: 1, source: "u" }]),
    /nope does not exist/,
  );
  assert.throws(
    () => applyOverlay(doc, [{ pointer: "/components/schemas/R/x", value: 1, source: "" }]),
    /names its source/,
  );
});
