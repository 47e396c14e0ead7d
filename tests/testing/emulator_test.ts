// The emulator, driven directly through emulator.fetch(new Request(...)): every
// endpoint of both specs, status codes and bodies validated against openapi/*.yaml.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, FakeClock } from "../../src/testing/mod.ts";
import { assertSchema, emulatorWith, KEY, PRIME, req, TL } from "./_emulator.ts";

test("401 without a valid bearer token, in each provider's error shape", async () => {
  const open = emulatorWith();
  const prime = await open.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb/expose`, undefined, null));
  assert.equal(prime.status, 401);
  assert.deepEqual(await prime.json(), { detail: "Unauthorized" });
  const tl = await open.fetch(req("GET", `${TL}/api/v1/pty`, undefined, null));
  assert.equal(tl.status, 401);
  const body = await tl.json();
  assertSchema("tensorlake", "SandboxProxyError", body);
  assert.equal(body.code, "UNAUTHORIZED");
  assert.equal((await open.fetch(req("GET", `${TL}/api/v1/pty`, undefined, "any"))).status, 200);

  const restricted = emulatorWith({ apiKeys: ["good"] });
  assert.equal(
    (await restricted.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb/expose`, undefined, "bad")))
      .status,
    401,
  );
  assert.equal(
    (await restricted.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb/expose`, undefined, "good")))
      .status,
    200,
  );
  assert.equal(restricted.live().exposures, 0);
});

test("known sandboxes: others answer 404", async () => {
  const emulator = emulatorWith({ sandboxes: ["sb-1", "my-sb"] });
  assert.equal(
    (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb-1/expose`))).status,
    200,
  );
  const unknown = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/zz/expose`, { port: 80 }),
  );
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { detail: "Sandbox not found" });
  assert.equal((await emulator.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
  const tl = await emulator.fetch(req("GET", "http://127.0.0.1/api/v1/pty"));
  assert.equal(tl.status, 404);
  assert.equal((await tl.json()).code, "SANDBOX_NOT_FOUND");
});

test("unknown paths are 404 and wrong methods 405, in the addressed provider's error shape", async () => {
  const emulator = emulatorWith();
  const prime = await emulator.fetch(req("GET", `${PRIME}/api/v2/nothing`));
  assert.equal(prime.status, 404);
  assert.deepEqual(await prime.json(), { detail: "Not Found" });
  const wrong = await emulator.fetch(req("PUT", `${TL}/api/v1/pty`));
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET, POST");
  const wrongBody = await wrong.json();
  assertSchema("tensorlake", "SandboxProxyError", wrongBody);
  assert.equal(wrongBody.code, "METHOD_NOT_ALLOWED");
  // Tensorlake's documented error shape { error, code? }, never FastAPI's { detail }:
  // by its host, by X-Tensorlake-Sandbox-Id, by a {id}.local host, or by a Tensorlake path.
  const tensorlakeAsked = [
    req("GET", `${TL}/nothing`),
    req("GET", "http://sb-1.local:9/nothing"),
    req("GET", "http://127.0.0.1:9/api/v1/pty/x/nothing"),
    req("GET", "http://127.0.0.1:9/v1/namespaces/default/nothing"),
  ];
  const named = req("GET", "http://127.0.0.1:9/nothing");
  named.headers.set("X-Tensorlake-Sandbox-Id", "sb-1");
  for (const request of [...tensorlakeAsked, named]) {
    const response = await emulator.fetch(request);
    assert.equal(response.status, 404, request.url);
    const body = await response.json();
    assertSchema("tensorlake", "SandboxProxyError", body);
    assert.equal(body.code, "NOT_FOUND", request.url);
    assert.equal("detail" in body, false);
  }
  const ws = emulator.acceptWebSocket(new Request(`${TL}/api/v1/nothing/ws`));
  assert.ok(ws instanceof Response);
  assert.equal((await ws.json()).code, "NOT_FOUND");
});

test("rate limit: Prime's documented budgets, sliding, with Retry-After; none on Tensorlake", async () => {
  const clock = new FakeClock(0);
  const emulator = createEmulator({ clock });
  // 60 / 60 s per token and sandbox for listing (list-exposed-ports-endpoint) …
  const lister = createEmulator({ clock });
  for (let i = 0; i < 60; i++) {
    const res = await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/a/expose`));
    assert.equal(res.status, 200);
  }
  assert.equal((await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/a/expose`))).status, 429);
  // … and for listing all, per token only (list-all-exposed-ports-endpoint).
  for (let i = 0; i < 60; i++) {
    assert.equal(
      (await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/expose/all`))).status,
      200,
    );
  }
  assert.equal((await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/expose/all`))).status, 429);
  // Tensorlake documents no limit for the sandbox proxy.
  for (let i = 0; i < 100; i++) {
    assert.equal((await lister.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
  }
  // 20 / 60 s per token and sandbox, shared by expose, unexpose and SSH create/close.
  const list = (sandbox: string, token = KEY) =>
    emulator.fetch(
      req("DELETE", `${PRIME}/api/v1/sandbox/${sandbox}/expose/nope`, undefined, token),
    );
  for (let i = 0; i < 20; i++) {
    assert.equal((await list("a")).status, 404);
    clock.advance(1000); // requests at 0 s, 1 s, … 19 s
  }
  const limited = await list("a"); // at 20 s: the window (−40 s, 20 s] is full
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "40");
  assert.deepEqual(await limited.json(), { detail: "Rate limit exceeded" });
  // Other sandboxes and tokens have their own windows.
  assert.equal((await list("b")).status, 404);
  assert.equal((await list("a", "other")).status, 404);
  clock.advance(40_000); // at 60 s the request at 0 s has left the window
  assert.equal((await list("a")).status, 404);
  assert.equal((await list("a")).status, 429);
  assert.equal(emulator.stats.rateLimited, 2);
  assert.equal(emulator.stats.overLimit, 0);
  assert.equal(emulator.stats.served, 23);

  const tl = createEmulator({ clock, rateLimit: { limit: 1, windowMs: 1000 } });
  assert.equal((await tl.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
  const tlLimited = await tl.fetch(req("GET", `${TL}/api/v1/pty`));
  assert.equal(tlLimited.status, 429);
  assert.equal((await tlLimited.json()).code, "RATE_LIMITED");
  assert.equal(tlLimited.headers.get("retry-after"), "1");
});

test("rate limit not enforced: serves everything and counts overLimit", async () => {
  const clock = new FakeClock(0);
  const emulator = createEmulator({
    clock,
    rateLimit: { limit: 5, windowMs: 1000, enforce: false },
  });
  for (let i = 0; i < 8; i++) {
    assert.equal(
      (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`))).status,
      200,
    );
  }
  assert.equal(emulator.stats.overLimit, 3);
  assert.equal(emulator.stats.rateLimited, 0);
  clock.advance(1000);
  assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`))).status, 200);
  assert.equal(emulator.stats.overLimit, 3);
});

test("onRequest reports method, path (no query) and status once per request, upgrades and resets too", async () => {
  const log: unknown[] = [];
  const emulator = emulatorWith({
    onRequest: (entry) => log.push(entry),
    faults: { decide: (ctx) => (ctx.request.url.includes("reset") ? "reset" : null) },
  });
  const created = await (await emulator.fetch(
    req("POST", `${TL}/api/v1/pty?token=secret`, { command: "sh" }),
  )).json();
  await emulator.fetch(req("GET", `${TL}/caf\u00e9\u202e`));
  await assert.rejects(emulator.fetch(req("GET", `${TL}/reset`)));
  emulator.acceptWebSocket(
    new Request(`${TL}/api/v1/pty/${created.session_id}/ws?token=${created.token}`),
  );
  emulator.acceptWebSocket(new Request(`${TL}/api/v1/pty/${created.session_id}/ws?token=bad`));
  assert.deepEqual(log, [
    { method: "POST", path: "/api/v1/pty", status: 201 },
    { method: "GET", path: "/caf%C3%A9%E2%80%AE", status: 404 },
    { method: "GET", path: "/reset", status: "reset" },
    { method: "GET", path: `/api/v1/pty/${created.session_id}/ws`, status: 101 },
    { method: "GET", path: `/api/v1/pty/${created.session_id}/ws`, status: 403 },
  ]);
  // A throwing logger does not break the answer.
  const throwing = emulatorWith({
    onRequest: () => {
      throw new Error("log down");
    },
  });
  assert.equal((await throwing.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
});

test("the bound fetch works detached from the emulator object", async () => {
  const { fetch } = createEmulator();
  const res = await fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`));
  assert.equal(res.status, 200);
});
