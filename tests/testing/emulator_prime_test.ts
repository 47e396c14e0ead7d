// The emulator's Prime Intellect endpoints and SSH gateway, driven through emulator.fetch:
// bodies validated against openapi/primeintellect.yaml.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, FakeClock } from "../../src/testing/mod.ts";
import { assertSchema, emulatorWith, KEY, PRIME, req } from "./_emulator.ts";

test("Prime: expose, list, unexpose answer spec-shaped bodies", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock });
  const res = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/expose`, { port: 8000, name: "web" }),
  );
  assert.equal(res.status, 200);
  const exposed = await res.json();
  assertSchema("primeintellect", "ExposePortResponse", exposed);
  assert.equal(exposed.sandbox_id, "sb-1");
  assert.equal(exposed.port, 8000);
  assert.equal(exposed.protocol, "HTTP");
  assert.equal(exposed.url, "https://8000-sb-1.emulator.sandgate.invalid");
  assert.equal(exposed.external_port, null);

  const tcp = await (await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/expose`, { port: 5432, protocol: "TCP" }),
  )).json();
  assertSchema("primeintellect", "ExposePortResponse", tcp);
  assert.equal(typeof tcp.external_port, "number");
  assert.equal(tcp.external_endpoint, `tcp.emulator.sandgate.invalid:${tcp.external_port}`);

  const listed = await (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb-1/expose`)))
    .json();
  assertSchema("primeintellect", "ListExposedPortsResponse", listed);
  assert.deepEqual(listed.exposures.map((e: { port: number }) => e.port), [8000, 5432]);
  assert.equal(listed.exposures[0].created_at, new Date(clock.now()).toISOString());

  const del = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/expose/${exposed.exposure_id}`),
  );
  assert.equal(del.status, 200);
  assertSchema("primeintellect", "UnexposePortResponse", await del.json());
  assert.equal(emulator.live().exposures, 1);

  const again = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/expose/${exposed.exposure_id}`),
  );
  assert.equal(again.status, 404);
  assert.deepEqual(await again.json(), { detail: "Exposure not found" });
});

test("Prime: 422 ErrorResponse for out-of-range and malformed input", async () => {
  const emulator = emulatorWith();
  const cases: [unknown, string][] = [
    [{ port: 21 }, "port"],
    [{ port: 9001 }, "port"],
    [{ port: 80.5 }, "port"],
    [{ port: "80" }, "port"],
    [{}, "port"],
    [{ port: 80, name: "x".repeat(51) }, "name"],
    [{ port: 80, protocol: "SCTP" }, "protocol"],
    ["{not json", "body"],
    ["", "body"],
    [[1, 2], "body"],
  ];
  for (const [body, param] of cases) {
    const res = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, body));
    assert.equal(res.status, 422, JSON.stringify(body));
    const json = await res.json();
    assertSchema("primeintellect", "ErrorResponse", json);
    assert.equal(json.errors[0].param, param, JSON.stringify(body));
  }
  const boundary = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, { port: 22, name: "x".repeat(50) }),
  );
  assert.equal(boundary.status, 200);
  const top = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, { port: 9000 }),
  );
  assert.equal(top.status, 200);
  assert.equal(emulator.live().exposures, 2);
});

test("Prime: ports 8080, 2222 and 8081 are refused like an out-of-range one (an assumed 422)", async () => {
  const emulator = emulatorWith();
  for (const port of [8080, 2222, 8081]) {
    const res = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/sb-1/expose`, { port }));
    assert.equal(res.status, 422);
    const body = await res.json();
    assertSchema("primeintellect", "ErrorResponse", body);
    assert.match(JSON.stringify(body), new RegExp(`Port ${port} cannot be exposed`));
  }
  assert.equal(emulator.live().exposures, 0);
});

test("Prime: SSH session has all 12 fields, expires_at from ttl, closing removes its exposure", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock });
  const res = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/ssh-session`, { ttl_seconds: 120 }),
  );
  assert.equal(res.status, 200);
  const session = await res.json();
  assertSchema("primeintellect", "SSHSessionResponse", session);
  assert.equal(Object.keys(session).length, 12);
  assert.equal(session.expires_at, new Date(clock.now() + 120_000).toISOString());
  assert.equal(session.gateway_url, `${PRIME}/gateway`);
  assert.ok(session.token.length >= 32);
  assert.equal(session.external_endpoint, `${session.host}:${session.port}`);

  const defaults = await (await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/ssh-session`, {}),
  )).json();
  assert.equal(defaults.ttl_seconds, 900);
  assert.equal(defaults.expires_at, new Date(clock.now() + 900_000).toISOString());
  assert.notEqual(defaults.token, session.token);

  const listed = await (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb-1/expose`)))
    .json();
  assert.ok(
    listed.exposures.some((e: { exposure_id: string }) => e.exposure_id === session.exposure_id),
  );
  assert.deepEqual(emulator.live().sandboxes["sb-1"], { exposures: 2, sshSessions: 2, ptys: 0 });

  const close = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/ssh-session/${session.session_id}`),
  );
  assert.equal(close.status, 200);
  assertSchema("primeintellect", "UnexposePortResponse", await close.json());
  assert.deepEqual(emulator.live().sandboxes["sb-1"], { exposures: 1, sshSessions: 1, ptys: 0 });
  const again = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/ssh-session/${session.session_id}`),
  );
  assert.equal(again.status, 404);
  assert.deepEqual(await again.json(), { detail: "SSH session not found" });

  // Expired sessions disappear with their exposure.
  clock.advance(900_000);
  assert.equal(emulator.live().sshSessions, 0);
  assert.equal(emulator.live().exposures, 0);
});

test("Prime: ttl_seconds outside 1..3600 or not an integer is a 422", async () => {
  const emulator = emulatorWith();
  for (const ttl of [0, 3601, 1.5, "60", true]) {
    const res = await emulator.fetch(
      req("POST", `${PRIME}/api/v1/sandbox/sb/ssh-session`, { ttl_seconds: ttl }),
    );
    assert.equal(res.status, 422, String(ttl));
    assert.equal((await res.json()).errors[0].param, "ttl_seconds");
  }
  const max = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb/ssh-session`, { ttl_seconds: 3600 }),
  );
  assert.equal(max.status, 200);
  const missing = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/sb/ssh-session`));
  assert.equal(missing.status, 422);
});

test("gateway authorize checks the session token and body", async () => {
  const emulator = emulatorWith();
  const s = await (await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/ssh-session`, {}),
  )).json();
  const url = `${s.gateway_url}/${s.user_ns}/${s.job_id}/authorize`;
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1234567890abcdef user@host";
  const body = { session_id: s.session_id, public_key: key, ttl_seconds: 900 };

  const ok = await emulator.fetch(req("POST", url, body, s.token));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { authorized: true });
  assert.deepEqual(emulator.snapshot().sandboxes["sb-1"]!.sshSessions[0]!.authorized_keys, [key]);

  assert.equal((await emulator.fetch(req("POST", url, body, null))).status, 401);
  assert.equal((await emulator.fetch(req("POST", url, body, KEY))).status, 401);
  assert.equal(
    (await emulator.fetch(req("POST", url, { ...body, public_key: "nope" }, s.token))).status,
    422,
  );
  assert.equal(
    (await emulator.fetch(
      req("POST", `${s.gateway_url}/other/${s.job_id}/authorize`, body, s.token),
    )).status,
    404,
  );
  await emulator.fetch(req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/ssh-session/${s.session_id}`));
  assert.equal((await emulator.fetch(req("POST", url, body, s.token))).status, 404);
  // The snapshot never carries tokens.
  assert.ok(!JSON.stringify(emulator.snapshot()).includes(s.token));
});

test("Prime: GET /api/v1/sandbox/{id} answers a SandboxResponse with the configured status and vm", async () => {
  const clock = new FakeClock(Date.parse("2026-12-06T12:00:00Z"));
  const emulator = emulatorWith({
    clock,
    sandboxes: ["sb-1", { id: "sb-vm", vm: true }, { id: "sb-new", status: "PENDING" }],
  });
  const get = (id: string) => emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/${id}`));
  const running = await get("sb-1");
  assert.equal(running.status, 200);
  const body = await running.json();
  assertSchema("primeintellect", "SandboxResponse", body);
  // What their SDK's VM guard and their CLI's ssh read (prime models.py@66fb4b7, Sandbox).
  assert.equal(body.id, "sb-1");
  assert.equal(body.status, "RUNNING");
  assert.equal(body.vm, false);
  assert.equal(body.createdAt, "2026-12-06T12:00:00.000Z");
  assert.equal(body.startedAt, body.createdAt);
  const vm = await (await get("sb-vm")).json();
  assert.deepEqual([vm.status, vm.vm], ["RUNNING", true]);
  const pending = await (await get("sb-new")).json();
  assert.deepEqual([pending.status, pending.vm, pending.startedAt], ["PENDING", false, null]);
  const unknown = await get("zz");
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { detail: "Sandbox not found" });
  const anonymous = await emulator.fetch(
    req("GET", `${PRIME}/api/v1/sandbox/sb-1`, undefined, null),
  );
  assert.equal(anonymous.status, 401);
});

test("Prime: GET /api/v1/sandbox/{id} has its documented budget of 300 / 60 s, apart from the writes", async () => {
  const clock = new FakeClock(0);
  const emulator = createEmulator({ clock });
  for (let i = 0; i < 20; i += 1) {
    const res = await emulator.fetch(
      req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, { port: 3000 + i }),
    );
    assert.equal(res.status, 200);
  }
  for (let i = 0; i < 300; i += 1) {
    assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb`))).status, 200);
  }
  assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb`))).status, 429);
});
