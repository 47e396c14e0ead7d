// Repo-only: exercises scripts/fetch_specs.ts (runs under Deno only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterSpec, refresh } from "../../scripts/fetch_specs.ts";

const upstream = {
  openapi: "3.1.0",
  info: { title: "PI API", version: "0.1.0" },
  paths: {
    "/api/v1/sandbox/{sandbox_id}/expose": {
      post: { responses: { "200": { $ref: "#/components/responses/Exposed" } } },
    },
    "/api/v1/pods": { get: { responses: { "200": { $ref: "#/components/schemas/Pod" } } } },
  },
  components: {
    responses: {
      Exposed: {
        content: { "application/json": { schema: { $ref: "#/components/schemas/Exposure" } } },
      },
    },
    schemas: {
      Exposure: { properties: { detail: { $ref: "#/components/schemas/Detail" } } },
      Detail: { type: "string" },
      Pod: { type: "object" },
    },
    securitySchemes: { HTTPBearer: { type: "http", scheme: "bearer" } },
  },
};

test("filterSpec keeps matching paths and exactly the components they reach", () => {
  const out = filterSpec(upstream, "^/api/v1/sandbox/");
  assert.deepEqual(Object.keys(out.paths as object), ["/api/v1/sandbox/{sandbox_id}/expose"]);
  const components = out.components as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(components.schemas!).sort(), ["Detail", "Exposure"]);
  assert.deepEqual(Object.keys(components.responses!), ["Exposed"]);
  assert.ok(components.securitySchemes!.HTTPBearer);
});

test("filterSpec refuses an upstream without the gateway paths", () => {
  assert.throws(() => filterSpec(upstream, "^/nothing"), /no path matches/);
  assert.throws(() => filterSpec({ openapi: "3.1.0" }, "."), /not an OpenAPI document/);
});

test("refresh leaves the existing file untouched when offline or answered badly", async () => {
  const dir = await Deno.makeTempDir();
  const file = new URL(`file://${dir}/spec.yaml`);
  await Deno.writeTextFile(file, "original");
  const source = { upstream: ["https://example.invalid/openapi.json"], pathFilter: "." };
  const offline = () => Promise.reject(new TypeError("dns error"));
  await assert.rejects(refresh(file, source, offline), /could not download the spec/);
  const bad = () => Promise.resolve(new Response("oops", { status: 502 }));
  await assert.rejects(refresh(file, source, bad), /HTTP 502/);
  assert.equal(await Deno.readTextFile(file), "original");
  await Deno.remove(dir, { recursive: true });
});

test("refresh rewrites the file from a good answer", async () => {
  const dir = await Deno.makeTempDir();
  const file = new URL(`file://${dir}/spec.yaml`);
  const good = () => Promise.resolve(Response.json(upstream));
  await refresh(file, { upstream: ["https://x.invalid/a"], pathFilter: "^/api/v1/sandbox/" }, good);
  const text = await Deno.readTextFile(file);
  assert.match(text, /\/api\/v1\/sandbox\/\{sandbox_id\}\/expose/);
  assert.doesNotMatch(text, /\/api\/v1\/pods/);
  await Deno.remove(dir, { recursive: true });
});
