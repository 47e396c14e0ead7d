// The merged specs in openapi/ must keep everything the seed pages say.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { parse } from "yaml";

const root = new URL("../", import.meta.url);
const seedsDir = new URL("../shared/seeds/", root);

type Doc = {
  servers?: unknown;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

async function loadYaml(url: URL): Promise<Doc> {
  return parse(await readFile(url, "utf8")) as Doc;
}

async function seedFragments(): Promise<{ file: string; doc: Doc }[]> {
  const files = (await readdir(seedsDir)).filter((f) => /^\d{3}_.*\.txt$/.test(f)).sort();
  const out = [];
  for (const file of files) {
    const text = await readFile(new URL(file, seedsDir), "utf8");
    const match = /````yaml[^\n]*\n([\s\S]*?)````/.exec(text);
    assert.ok(match, `${file} has a yaml block`);
    out.push({ file, doc: parse(match[1]!) as Doc });
  }
  return out;
}

test("seed pages are all there", async () => {
  const seeds = await seedFragments();
  assert.equal(seeds.length, 5);
});

test("primeintellect.yaml keeps every path, operation and schema of the Prime Intellect seeds", async () => {
  const merged = await loadYaml(new URL("openapi/primeintellect.yaml", root));
  const seeds = (await seedFragments()).filter(({ doc }) =>
    JSON.stringify(doc.servers).includes("primeintellect")
  );
  assert.equal(seeds.length, 4);
  for (const { file, doc } of seeds) {
    assert.deepEqual(merged.servers, doc.servers, `${file}: servers`);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.deepEqual(merged.paths[path]?.[method], operation, `${file}: ${method} ${path}`);
      }
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      assert.deepEqual(merged.components.schemas[name], schema, `${file}: schema ${name}`);
    }
    assert.deepEqual(merged.components.securitySchemes, doc.components.securitySchemes);
  }
});

test("primeintellect.yaml keeps the documented constraints", async () => {
  const merged = await loadYaml(new URL("openapi/primeintellect.yaml", root));
  const request = merged.components.schemas.ExposePortRequest as {
    properties: Record<string, Record<string, unknown>>;
  };
  assert.equal(request.properties.port!.minimum, 22);
  assert.equal(request.properties.port!.maximum, 9000);
  assert.equal(request.properties.protocol!.default, "HTTP");
  assert.deepEqual(request.properties.name!.anyOf, [{ type: "string", maxLength: 50 }, {
    type: "null",
  }]);
});

test("tensorlake.yaml keeps the kill operation and error schema of seed 003", async () => {
  const merged = await loadYaml(new URL("openapi/tensorlake.yaml", root));
  const seed = (await seedFragments()).find(({ file }) => file.startsWith("003_"))!.doc;
  const seedPath = seed.paths["/api/v1/pty/{session_id}"]!;
  const mergedPath = merged.paths["/api/v1/pty/{session_id}"]!;
  assert.deepEqual(mergedPath.delete, seedPath.delete);
  assert.deepEqual(mergedPath.parameters, seedPath.parameters);
  assert.deepEqual(
    merged.components.schemas.SandboxProxyError,
    seed.components.schemas.SandboxProxyError,
  );
  assert.deepEqual(merged.components.securitySchemes, seed.components.securitySchemes);
  // The sandbox-proxy server of the seed is the document's server.
  assert.deepEqual(merged.servers, (seedPath as { servers: unknown }).servers);
  for (
    const path of ["/api/v1/pty", "/api/v1/pty/{session_id}", "/api/v1/pty/{session_id}/resize"]
  ) {
    assert.ok(merged.paths[path], `${path} is present`);
  }
});

test("sources.json names an upstream, the seeds and a path filter for every spec", async () => {
  const sources = JSON.parse(await readFile(new URL("openapi/sources.json", root), "utf8")) as {
    specs: Record<string, { upstream: string[]; seeds: string[]; pathFilter: string }>;
  };
  const seeds = await readdir(seedsDir);
  for (const [name, source] of Object.entries(sources.specs)) {
    const doc = await loadYaml(new URL(`openapi/${name}`, root));
    assert.ok(source.upstream.length > 0);
    for (const seed of source.seeds) assert.ok(seeds.includes(seed), `${name}: seed ${seed}`);
    const filter = new RegExp(source.pathFilter);
    for (const path of Object.keys(doc.paths)) {
      assert.ok(filter.test(path), `${name}: ${path} matches its pathFilter`);
    }
  }
});
