// The low-level clients against the emulator over real loopback HTTP (serve()).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrimeIntellectClient, createTensorlakeClient } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";

const KEY = "loopback-key";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0ZXN0a2V5 test@sandgate";

test("Prime Intellect flow over loopback: expose, list, SSH session + authorize, cleanup", async () => {
  const emulator = createEmulator({ apiKeys: [KEY] });
  const server = await serve(emulator, { port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = createPrimeIntellectClient({ apiKey: KEY, baseUrl: server.url });
    const sandbox = { params: { path: { sandbox_id: "sb-loop" } } };

    const exposed = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
      ...sandbox,
      body: { port: 3000, name: "web" },
    });
    assert.equal(exposed.response.status, 200);
    assert.equal(exposed.data?.url, "https://3000-sb-loop.emulator.sandgate.invalid");

    const listed = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", sandbox);
    assert.deepEqual(listed.data?.exposures.map((e) => e.name), ["web"]);

    const ssh = await client.POST("/api/v1/sandbox/{sandbox_id}/ssh-session", {
      ...sandbox,
      body: { ttl_seconds: 600 },
    });
    const session = ssh.data!;
    assert.equal(session.gateway_url, `${server.url}/gateway`);
    assert.equal(session.ttl_seconds, 600);

    // The gateway authorize endpoint, as the Prime CLI calls it.
    const authorized = await fetch(
      `${session.gateway_url}/${session.user_ns}/${session.job_id}/authorize`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${session.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          session_id: session.session_id,
          public_key: PUBLIC_KEY,
          ttl_seconds: 600,
        }),
      },
    );
    assert.equal(authorized.status, 200);
    assert.deepEqual(await authorized.json(), { authorized: true });
    assert.deepEqual(emulator.live(), {
      exposures: 2,
      sshSessions: 1,
      ptys: 0,
      sandboxes: { "sb-loop": { exposures: 2, sshSessions: 1, ptys: 0 } },
    });

    const closed = await client.DELETE("/api/v1/sandbox/{sandbox_id}/ssh-session/{session_id}", {
      params: { path: { sandbox_id: "sb-loop", session_id: session.session_id } },
    });
    assert.equal(closed.data?.success, true);
    const unexposed = await client.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
      params: { path: { sandbox_id: "sb-loop", exposure_id: exposed.data!.exposure_id } },
    });
    assert.equal(unexposed.data?.success, true);
    assert.equal(emulator.live().exposures, 0);
    assert.equal(emulator.live().sshSessions, 0);

    const wrongKey = createPrimeIntellectClient({ apiKey: "wrong", baseUrl: server.url });
    const denied = await wrongKey.GET("/api/v1/sandbox/{sandbox_id}/expose", sandbox);
    assert.equal(denied.response.status, 401);
  } finally {
    await server.close();
  }
});

test("Tensorlake flow over loopback: the Host header names the default sandbox", async () => {
  const emulator = createEmulator();
  await using server = await serve(emulator);
  const client = createTensorlakeClient({ apiKey: "tl_apiKey_loop", baseUrl: server.url });

  const created = await client.POST("/api/v1/pty", {
    body: { command: "bash", args: ["-l"], rows: 30, cols: 100 },
  });
  assert.equal(created.response.status, 201);
  const id = created.data!.session_id;
  assert.deepEqual(emulator.live().sandboxes, {
    default: { exposures: 0, sshSessions: 0, ptys: 1 },
  });

  const resized = await client.POST("/api/v1/pty/{session_id}/resize", {
    params: { path: { session_id: id } },
    body: { rows: 40, cols: 120 },
  });
  assert.equal(resized.response.status, 204);
  const one = await client.GET("/api/v1/pty/{session_id}", {
    params: { path: { session_id: id } },
  });
  assert.equal(one.data?.rows, 40);
  assert.equal(one.data?.cols, 120);
  const listed = await client.GET("/api/v1/pty");
  assert.deepEqual(listed.data?.sessions.map((s) => s.session_id), [id]);

  const killed = await client.DELETE("/api/v1/pty/{session_id}", {
    params: { path: { session_id: id } },
  });
  assert.equal(killed.response.status, 204);
  const again = await client.DELETE("/api/v1/pty/{session_id}", {
    params: { path: { session_id: id } },
  });
  assert.equal(again.response.status, 404);
  assert.equal(emulator.live().ptys, 0);
});

test("serve(): a reset fault destroys the socket, so fetch rejects; lost-response keeps the effect", async () => {
  const kinds = ["reset", "lost-response", null] as const;
  const emulator = createEmulator({
    faults: { decide: ({ index }) => kinds[index] ?? null },
  });
  const server = await serve(emulator);
  try {
    const expose = () =>
      fetch(`${server.url}/api/v1/sandbox/sb/expose`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ port: 8000 }),
      });
    await assert.rejects(expose(), TypeError);
    assert.equal(emulator.live().exposures, 0);
    await assert.rejects(expose(), TypeError);
    assert.equal(emulator.live().exposures, 1, "lost-response: processed, answer lost");
    const ok = await expose();
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(emulator.live().exposures, 2);
  } finally {
    await server.close();
  }
});

test("serve(): the server-side rate limit answers 429 with Retry-After over HTTP", async () => {
  const emulator = createEmulator({ rateLimit: { limit: 2, windowMs: 60_000 } });
  await using server = await serve(emulator);
  const list = () =>
    fetch(`${server.url}/api/v1/sandbox/sb/expose`, { headers: { authorization: "Bearer k" } });
  for (let i = 0; i < 2; i++) {
    const res = await list();
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  const limited = await list();
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "60");
  assert.deepEqual(await limited.json(), { detail: "Rate limit exceeded" });
  assert.equal(emulator.stats.rateLimited, 1);
});

test("serve(): close() is idempotent and frees the port", async () => {
  const server = await serve(createEmulator());
  await server.close();
  await server.close();
  await assert.rejects(fetch(`${server.url}/api/v1/pty`), TypeError);
});
