// The merged specs in openapi/ are produced from the upstream snapshots in openapi/upstream
// (one docs page's OpenAPI fragment each, listed in openapi/sources.json) and must keep
// everything those fragments say. Everything read here is inside the repository.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { parse } from "yaml";

const root = new URL("../", import.meta.url);
const openapi = new URL("openapi/", root);

type Doc = {
  servers?: unknown;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Snapshot = {
  file: string;
  source: string;
  retrieved: string;
  status: "verbatim" | "reconstructed";
  seed?: string;
};
type Sources = {
  specs: Record<string, { provider: string; overlay?: string; snapshots: Snapshot[] }>;
};

async function sources(): Promise<Sources> {
  return JSON.parse(await readFile(new URL("sources.json", openapi), "utf8")) as Sources;
}

async function loadYaml(url: URL): Promise<Doc> {
  return parse(await readFile(url, "utf8")) as Doc;
}

/** Schema names an overlay patches (their snapshot form is deliberately not kept). */
async function patchedSchemas(overlay: string | undefined): Promise<Set<string>> {
  if (!overlay) return new Set();
  const doc = parse(await readFile(new URL(overlay, openapi), "utf8")) as {
    patches: { pointer: string; source: string }[];
  };
  return new Set(doc.patches.map((p) => p.pointer.split("/")[3]!));
}

test("every snapshot file is listed in sources.json, and every listed one exists", async () => {
  const listed = Object.values((await sources()).specs).flatMap((s) =>
    s.snapshots.map((x) => x.file)
  )
    .sort();
  const onDisk: string[] = [];
  for (const provider of await readdir(new URL("upstream/", openapi))) {
    for (const file of await readdir(new URL(`upstream/${provider}/`, openapi))) {
      onDisk.push(`upstream/${provider}/${file}`);
    }
  }
  assert.deepEqual(onDisk.sort(), listed);
  assert.ok(listed.every((f) => f.endsWith(".yaml")), "snapshots are yaml only");
});

test("each snapshot names its source URL, retrieval date and status in its header", async () => {
  for (const { snapshots } of Object.values((await sources()).specs)) {
    for (const snapshot of snapshots) {
      const text = await readFile(new URL(snapshot.file, openapi), "utf8");
      const header = text.split("\n").filter((line) => line.startsWith("#")).join("\n");
      assert.match(
        snapshot.source,
        /^https:\/\/docs\.(primeintellect|tensorlake)\.ai\/api-reference\/.+\.md$/,
      );
      assert.ok(header.includes(`# source: ${snapshot.source}`), `${snapshot.file}: source`);
      assert.match(snapshot.retrieved, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(header.includes(`# retrieved: ${snapshot.retrieved}`), `${snapshot.file}: date`);
      assert.ok(header.includes(`# status: ${snapshot.status}`), `${snapshot.file}: status`);
      if (snapshot.status === "reconstructed") assert.match(header, /RECONSTRUCTED/);
      const doc = parse(text) as Doc;
      assert.equal((doc as unknown as { openapi: string }).openapi, "3.1.0", snapshot.file);
      assert.ok(Object.keys(doc.paths).length === 1, `${snapshot.file}: one endpoint per page`);
    }
  }
});

test("merged specs keep every path, operation and schema of their snapshots", async () => {
  for (const [name, spec] of Object.entries((await sources()).specs)) {
    const merged = await loadYaml(new URL(name, openapi));
    const patched = await patchedSchemas(spec.overlay);
    const mergedPaths = new Set<string>();
    for (const snapshot of spec.snapshots) {
      const doc = await loadYaml(new URL(snapshot.file, openapi));
      for (const [path, item] of Object.entries(doc.paths)) {
        mergedPaths.add(path);
        for (const [key, value] of Object.entries(item)) {
          if (key === "servers") {
            // A sandbox-proxy server shared by every path is hoisted to the document.
            assert.deepEqual(merged.servers, value, `${snapshot.file}: servers`);
            continue;
          }
          assert.deepEqual(merged.paths[path]?.[key], value, `${snapshot.file}: ${key} ${path}`);
        }
      }
      for (const [schema, value] of Object.entries(doc.components.schemas)) {
        if (patched.has(schema)) continue;
        assert.deepEqual(merged.components.schemas[schema], value, `${snapshot.file}: ${schema}`);
      }
      assert.deepEqual(merged.components.securitySchemes, doc.components.securitySchemes);
    }
    assert.deepEqual(Object.keys(merged.paths).sort(), [...mergedPaths].sort(), `${name}: paths`);
  }
});

test("every overlay patch names its source", async () => {
  for (const { overlay } of Object.values((await sources()).specs)) {
    if (!overlay) continue;
    const doc = parse(await readFile(new URL(overlay, openapi), "utf8")) as {
      patches: { pointer: string; source: string }[];
    };
    for (const patch of doc.patches) {
      assert.match(patch.source, /https:\/\/|PrimeIntellect-ai\/prime|tensorlakeai\/tensorlake/);
      assert.match(patch.source, /@[0-9a-f]{7}|https:\/\//, `${patch.pointer}: a commit or a URL`);
    }
  }
});

test("primeintellect.yaml: the documented constraints and the SDK's optional fields", async () => {
  const merged = await loadYaml(new URL("primeintellect.yaml", openapi));
  const schemas = merged.components.schemas as Record<
    string,
    { properties: Record<string, Record<string, unknown>>; required: string[] }
  >;
  const request = schemas.ExposePortRequest!;
  assert.equal(request.properties.port!.minimum, 22);
  assert.equal(request.properties.port!.maximum, 9000);
  assert.equal(request.properties.protocol!.default, "HTTP");
  assert.deepEqual(request.properties.protocol!.enum, ["HTTP", "TCP"]);
  assert.deepEqual(request.properties.name!.anyOf, [{ type: "string", maxLength: 50 }, {
    type: "null",
  }]);
  // models.py (ExposedPort): protocol is optional in an expose answer.
  assert.equal(schemas.ExposePortResponse!.required.includes("protocol"), false);
  assert.equal(schemas.ExposedPortInfo!.required.includes("protocol"), false);
  assert.ok(merged.paths["/api/v1/sandbox/expose/all"]?.get, "list all exposed ports");
});

test("tensorlake.yaml: PTY info as documented (int64 epoch ms, no working_dir)", async () => {
  const merged = await loadYaml(new URL("tensorlake.yaml", openapi));
  const info = merged.components.schemas.PtySessionInfo as {
    properties: Record<string, Record<string, unknown>>;
    required: string[];
    additionalProperties?: unknown;
  };
  assert.deepEqual(info.required, [
    "session_id",
    "pid",
    "command",
    "args",
    "rows",
    "cols",
    "created_at",
    "is_alive",
  ]);
  assert.deepEqual(info.properties.created_at, { type: "integer", format: "int64" });
  assert.equal(info.properties.working_dir, undefined);
  assert.equal(info.additionalProperties, undefined, "unknown extra fields are tolerated");
  for (
    const path of [
      "/api/v1/pty",
      "/api/v1/pty/{session_id}",
      "/api/v1/pty/{session_id}/resize",
      "/api/v1/pty/{session_id}/ws",
    ]
  ) {
    assert.ok(merged.paths[path], `${path} is present`);
  }
  assert.deepEqual(merged.servers, [{
    url: "https://{identifier}.sandbox.tensorlake.ai",
    description:
      "Example sandbox proxy host for a specific running sandbox. For programmatic access, use the sandbox's `ingress_endpoint`.",
    variables: {
      identifier: { default: "example-sandbox", description: "The sandbox ID or sandbox name." },
    },
  }]);
});
