// Tensorlake routing as upstream does it: a client pointed at a local emulator (proxyUrl, or the
// environment), TENSORLAKE_API_URL → proxy as their SDK derives it, the lifecycle API's
// sandbox_url first, then the proxy, Host {id}.local only on localhost / 127.0.0.1.
// Sources: tensorlakeai/tensorlake typescript/src/url.ts@cab3838 and
// crates/cloud-sdk/src/sandboxes/mod.rs@cab3838 (named at each test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, Tensorlake } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { tensorlakeRoute } from "../../src/tensorlake/client.ts";

import { recordingFetch } from "../helpers/fake_fetch.ts";
import { withEnv } from "../helpers/env.ts";

test("a Tensorlake client pointed at a local emulator: proxyUrl as given, sandbox by Host and header", async () => {
  const emulator = createEmulator();
  await using server = await serve(emulator);
  const tensorlake = new Tensorlake({ apiKey: "k", proxyUrl: server.url });
  const pty = await tensorlake.sandbox("box-1").createPty({ command: "bash" });
  await tensorlake.sandbox("box-2").createPty({ command: "sh" }).then((p) => p.kill());
  assert.equal(emulator.live().sandboxes["box-1"]?.ptys, 1);
  assert.equal((await tensorlake.sandbox("box-2").listPtys()).length, 0);
  await pty.kill();
  // The same through the environment.
  await withEnv(
    { TENSORLAKE_SANDBOX_PROXY_URL: server.url, TENSORLAKE_API_URL: undefined },
    async () => {
      const viaEnv = await new Tensorlake({ apiKey: "k" }).sandbox("box-3").createPty({
        command: "sh",
      });
      assert.equal(emulator.live().sandboxes["box-3"]?.ptys, 1);
      await viaEnv.kill();
    },
  );
});

test("TENSORLAKE_API_URL derives the proxy as upstream does (api.X → sandbox.X, localhost → :9443)", async () => {
  const cases: [string, string][] = [
    ["https://api.tensorlake.dev", "https://sandbox.tensorlake.dev/api/v1/pty"],
    // The port is dropped (typescript/src/url.ts resolveProxyUrl@cab3838: protocol + host only).
    ["https://api.tensorlake.dev:8443", "https://sandbox.tensorlake.dev/api/v1/pty"],
    ["http://localhost:8900", "http://localhost:9443/api/v1/pty"],
    ["https://tensorlake.internal.example", "https://my-sb.sandbox.tensorlake.ai/api/v1/pty"],
  ];
  for (const [api, expected] of cases) {
    const { requests, fetch } = recordingFetch(() => Response.json({ sessions: [] }));
    await withEnv(
      { TENSORLAKE_API_URL: api, TENSORLAKE_SANDBOX_PROXY_URL: undefined },
      () => new Tensorlake({ apiKey: "k", fetch }).sandbox("my-sb").listPtys(),
    );
    assert.equal(requests[0]!.url, expected, api);
    assert.equal(requests[0]!.headers.get("x-tensorlake-sandbox-id"), "my-sb");
  }
});

// Tensorlake routing as their SDKs do it (tensorlakeai/tensorlake@cab3838
// crates/cloud-sdk/src/sandboxes/mod.rs select_sandbox_proxy_url, resolve_sandbox_proxy_target
// and its tests select_proxy_url_prefers_server_sandbox_url,
// proxy_target_preserves_server_sandbox_host; typescript/src/url.ts resolveProxyTarget).
test("Tensorlake routing: the lifecycle API's sandbox_url first, then the proxy; Host {id}.local only on localhost / 127.0.0.1", () => {
  const regional = "https://sbx-1.sandbox.gcp-use4.tensorlake.ai";
  assert.deepEqual(
    tensorlakeRoute("sbx-1", { sandboxUrl: regional, proxyUrl: "https://override.example.com" }),
    { baseUrl: regional, headers: { "X-Tensorlake-Sandbox-Id": "sbx-1" }, sandboxId: "sbx-1" },
  );
  // A proxy other than a local one keeps only its origin and names the sandbox by header.
  assert.deepEqual(tensorlakeRoute("sbx-1", { proxyUrl: "https://proxy.example.com:9443/x/" }), {
    baseUrl: "https://proxy.example.com:9443",
    headers: { "X-Tensorlake-Sandbox-Id": "sbx-1" },
    sandboxId: "sbx-1",
  });
  // A local proxy is used as given, addressed with Host: {id}.local (sandgate adds the header
  // too: Node's and Deno's fetch and WebSocket drop a Host header).
  for (
    const [proxy, base] of [
      ["http://127.0.0.1:9443/", "http://127.0.0.1:9443"],
      ["http://localhost:9443/prefix/", "http://localhost:9443/prefix"],
    ]
  ) {
    assert.deepEqual(tensorlakeRoute("SBX-1", { proxyUrl: proxy }), {
      baseUrl: base,
      headers: { Host: "sbx-1.local", "X-Tensorlake-Sandbox-Id": "sbx-1" },
      sandboxId: "sbx-1",
    }, proxy);
  }
  // Only those two names count as local (url.ts isLocalhost): [::1] and 127.0.0.2 do not.
  for (const proxy of ["http://[::1]:9443", "http://127.0.0.2:9443"]) {
    const route = tensorlakeRoute("sbx-1", { proxyUrl: proxy });
    assert.deepEqual(route.headers, { "X-Tensorlake-Sandbox-Id": "sbx-1" }, proxy);
  }
  // Nothing given: the docs' per-sandbox host, the id in the header as upstream sends it.
  assert.deepEqual(tensorlakeRoute("sbx-1"), {
    baseUrl: "https://sbx-1.sandbox.tensorlake.ai",
    headers: { "X-Tensorlake-Sandbox-Id": "sbx-1" },
    sandboxId: "sbx-1",
  });
  // A URL as the sandbox is used as given, naming none.
  assert.deepEqual(tensorlakeRoute("http://127.0.0.1:8788"), {
    baseUrl: "http://127.0.0.1:8788",
    headers: {},
    sandboxId: undefined,
  });
});

test("Tensorlake: sandbox(id, { sandboxUrl }) sends REST and the PTY WebSocket to the sandbox_url, named by id", async () => {
  const { requests, fetch } = recordingFetch(() =>
    Response.json({ session_id: "pty-1", token: "tok-1" }, { status: 201 })
  );
  const sockets: { url: string; headers: Record<string, string> }[] = [];
  const tensorlake = new Tensorlake({
    apiKey: "k",
    proxyUrl: "https://sandbox.tensorlake.ai",
    fetch,
    webSocket: (url, init) => {
      sockets.push({ url, headers: init.headers });
      throw new Error("no socket here");
    },
  });
  const sandboxUrl = "https://sbx-1.sandbox.gcp-use4.tensorlake.ai";
  const sandbox = tensorlake.sandbox("sbx-1", { sandboxUrl });
  assert.equal(tensorlake.sandbox("sbx-1", { sandboxUrl }), sandbox, "one handle per (id, url)");
  assert.notEqual(tensorlake.sandbox("sbx-1"), sandbox);
  const pty = await sandbox.createPty({ command: "bash" });
  assert.equal(requests[0]!.url, `${sandboxUrl}/api/v1/pty`);
  assert.equal(requests[0]!.headers.get("x-tensorlake-sandbox-id"), "sbx-1");
  assert.equal(requests[0]!.headers.get("host"), null);
  await assert.rejects(pty.attach());
  assert.equal(
    sockets[0]!.url,
    `wss://sbx-1.sandbox.gcp-use4.tensorlake.ai/api/v1/pty/pty-1/ws?token=tok-1`,
  );
  assert.equal(sockets[0]!.headers["X-Tensorlake-Sandbox-Id"], "sbx-1");

  // Checked before anything is sent.
  for (const bad of ["http://sbx-1.sandbox.example.com", "not a url", 42]) {
    assert.throws(
      () => tensorlake.sandbox("sbx-2", { sandboxUrl: bad as string }),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === "sandboxUrl",
    );
  }
  assert.throws(
    () => tensorlake.sandbox("https://x.example.com", { sandboxUrl }),
    InvalidArgumentError,
  );
  assert.throws(() => tensorlake.sandbox("sbx-1", { sandboxURL: sandboxUrl } as never));
  assert.throws(() => new Tensorlake({ sandboxUrl } as never), InvalidArgumentError);
  assert.equal(requests.length, 1);
});

test("Tensorlake routing for real: the served emulator's lifecycle lookup, its sandbox_url, Host {id}.local", async () => {
  const emulator = createEmulator({ sandboxes: ["sb-r", "sb-h"] });
  await using server = await serve(emulator);
  // What Tensorlake's SDK asks on a localhost API URL, then hands over as sandbox_url.
  const lookup = await fetch(`${server.url}/v1/namespaces/default/sandboxes/sb-r`, {
    headers: { authorization: "Bearer k" },
  });
  const { sandbox_url: sandboxUrl } = await lookup.json();
  assert.equal(sandboxUrl, server.url);
  const sandbox = new Tensorlake({ apiKey: "k" }).sandbox("sb-r", { sandboxUrl });
  const pty = await sandbox.createPty({ command: "bash" });
  assert.equal(emulator.live().sandboxes["sb-r"]?.ptys, 1);
  await pty.kill();
  // What a client that can send Host (Bun, curl, their Rust client) sends: Host alone routes.
  const { request } = await import("node:http");
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port: server.port,
      method: "POST",
      path: "/api/v1/pty",
      headers: {
        host: "sb-h.local",
        authorization: "Bearer k",
        "content-type": "application/json",
      },
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(JSON.stringify({ command: "sh" }));
  });
  assert.equal(status, 201);
  assert.equal(emulator.live().sandboxes["sb-h"]?.ptys, 1);
});
