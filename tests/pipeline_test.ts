import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfigError,
  createPrimeIntellectClient,
  createTensorlakeClient,
  InvalidArgumentError,
} from "../mod.ts";
import { recordingFetch } from "./helpers/fake_fetch.ts";

test("Prime Intellect client sends to the default base URL with a bearer token", async () => {
  const { requests, fetch } = recordingFetch(() =>
    Response.json({
      exposure_id: "e1",
      sandbox_id: "sb-1",
      port: 8000,
      protocol: "HTTP",
      url: "https://x",
      tls_socket: "x:443",
    })
  );
  const client = createPrimeIntellectClient({ apiKey: "key-123", fetch });
  const { data } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: "sb-1" } },
    body: { port: 8000 },
  });
  assert.equal(data?.exposure_id, "e1");
  assert.equal(requests.length, 1);
  const [request] = requests;
  assert.equal(request!.url, "https://api.primeintellect.ai/api/v1/sandbox/sb-1/expose");
  assert.equal(request!.method, "POST");
  assert.equal(request!.headers.get("authorization"), "Bearer key-123");
  assert.deepEqual(await request!.json(), { port: 8000 });
});

test("Tensorlake client reaches the sandbox under the proxy host", async () => {
  const { requests, fetch } = recordingFetch(() => new Response(null, { status: 204 }));
  const client = createTensorlakeClient({ apiKey: "tl_apiKey_x", sandbox: "my-sb", fetch });
  const { response } = await client.DELETE("/api/v1/pty/{session_id}", {
    params: { path: { session_id: "pty-1" } },
  });
  assert.equal(response.status, 204);
  assert.equal(requests[0]!.url, "https://my-sb.sandbox.tensorlake.ai/api/v1/pty/pty-1");
});

test("Tensorlake client accepts a full ingress endpoint", async () => {
  const { requests, fetch } = recordingFetch(() => Response.json({ sessions: [] }));
  const client = createTensorlakeClient({
    apiKey: "k",
    sandbox: "https://abc.sandbox.tensorlake.ai",
    fetch,
  });
  await client.GET("/api/v1/pty");
  assert.equal(requests[0]!.url, "https://abc.sandbox.tensorlake.ai/api/v1/pty");
});

for (const bad of ["..", ".", "", "a/b", "a?b", "a#b", "%2e%2e", "a b", "a\nb", "a\\b"]) {
  test(`path parameter ${JSON.stringify(bad)} is rejected before any request`, async () => {
    const { requests, fetch } = recordingFetch();
    const client = createPrimeIntellectClient({ apiKey: "k", fetch });
    await assert.rejects(
      client.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
        params: { path: { sandbox_id: "sb", exposure_id: bad } },
      }),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === "exposure_id",
    );
    assert.equal(requests.length, 0);
  });
}

test("a missing path parameter is rejected instead of sending a literal {id}", async () => {
  const { requests, fetch } = recordingFetch();
  const client = createPrimeIntellectClient({ apiKey: "k", fetch });
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    client.GET("/api/v1/sandbox/{sandbox_id}/expose", { params: { path: {} } } as any),
    InvalidArgumentError,
  );
  assert.equal(requests.length, 0);
});

test("base URLs must be https except on loopback", () => {
  assert.throws(
    () => createPrimeIntellectClient({ apiKey: "k", baseUrl: "http://api.example.com" }),
    ConfigError,
  );
  assert.throws(
    () => createPrimeIntellectClient({ apiKey: "k", baseUrl: "not a url" }),
    ConfigError,
  );
  for (const ok of ["http://localhost:8080", "http://127.0.0.2", "http://[::1]:9", "https://x.y"]) {
    assert.doesNotThrow(() => createPrimeIntellectClient({ apiKey: "k", baseUrl: ok }));
  }
});

test("Tensorlake sandbox ids must be DNS labels and endpoints https", () => {
  for (const bad of ["-x", "a.b", "a_b", "http://evil.example.com", "x".repeat(64)]) {
    assert.throws(
      () => createTensorlakeClient({ apiKey: "k", sandbox: bad }),
      InvalidArgumentError,
    );
  }
});

test("a user's openapi-fetch middleware may replace the request; its body and headers are sent", async () => {
  const { requests, fetch } = recordingFetch();
  const client = createPrimeIntellectClient({ apiKey: "k", fetch });
  client.use({
    onRequest({ request }) {
      const replaced = new Request(request);
      replaced.headers.set("x-trace", "t-1");
      return replaced;
    },
  });
  await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: "sb" } },
    body: { port: 2200 },
  });
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.headers.get("x-trace"), "t-1");
  assert.equal(requests[0]!.headers.get("authorization"), "Bearer k");
  assert.deepEqual(await requests[0]!.json(), { port: 2200 });
});
